//! Reading one cookie from a request's `Cookie` headers, and whether a request that carries a
//! cookie credential comes from the console's own pages.

use axum::http::{header, HeaderMap};

/// False when the browser says the request comes from a page of another origin.
pub fn same_origin(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        None => true, // not a browser that tells; SameSite and the JSON body still hold
        Some(site) => site.eq_ignore_ascii_case("same-origin"),
    }
}

/// The value of the cookie `name`, if the browser sent a non-empty one.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, value)| *found == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}
