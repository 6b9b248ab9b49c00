//! Whose word the address is: the peer's, or the trusted proxy's last entry, never the
//! client's own `X-Forwarded-For`.

use super::*;
use axum::http::HeaderValue;

const PEER: &str = "192.0.2.10:40000";

fn peer() -> Option<SocketAddr> {
    PEER.parse().ok()
}

fn headers(lines: &[&'static str]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in lines {
        map.append("x-forwarded-for", HeaderValue::from_static(line));
    }
    map
}

fn ip(text: &str) -> Option<IpAddr> {
    text.parse().ok()
}

#[test]
fn without_a_trusted_proxy_the_header_is_ignored() {
    let spoofed = headers(&["203.0.113.5"]);
    assert_eq!(client_ip(false, &spoofed, peer()), ip("192.0.2.10"));
}

#[test]
fn behind_a_trusted_proxy_its_appended_entry_is_the_address() {
    assert_eq!(
        client_ip(true, &headers(&["198.51.100.7"]), peer()),
        ip("198.51.100.7")
    );
}

#[test]
fn what_a_client_writes_before_the_proxys_entry_is_not_believed() {
    // The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
    let appended = headers(&["6.6.6.6, 198.51.100.7"]);
    assert_eq!(client_ip(true, &appended, peer()), ip("198.51.100.7"));
    // A proxy that adds a header line of its own instead: its line is the last.
    let lines = headers(&["6.6.6.6", "198.51.100.7"]);
    assert_eq!(client_ip(true, &lines, peer()), ip("198.51.100.7"));
}

#[test]
fn an_entry_that_is_no_address_falls_back_to_the_peer() {
    for junk in ["", "unknown", "6.6.6.6, not-an-ip", "198.51.100.7,"] {
        let value = HeaderValue::from_str(junk).expect("header");
        let mut map = HeaderMap::new();
        map.insert("x-forwarded-for", value);
        assert_eq!(client_ip(true, &map, peer()), ip("192.0.2.10"), "{junk:?}");
    }
    assert_eq!(client_ip(true, &HeaderMap::new(), peer()), ip("192.0.2.10"));
    assert_eq!(client_ip(true, &HeaderMap::new(), None), None);
}

#[test]
fn ipv6_entries_are_read() {
    assert_eq!(
        client_ip(true, &headers(&["2001:db8::1"]), peer()),
        ip("2001:db8::1")
    );
}
