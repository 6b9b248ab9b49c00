//! The budget and the bounds, first as parts, then through a real server on loopback: a body
//! read under the budget stops at it, one read after `proven` does not.

use super::*;
use crate::{bind, serve};
use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use std::net::{Ipv4Addr, SocketAddr};

fn address(last: u8) -> Option<IpAddr> {
    Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
}

#[test]
fn waiting_sockets_are_bounded_per_address_and_in_total_and_leaving_frees_a_place() {
    let waiting = Waiting::new(2, 3);
    let budget = ConnectionBudget::unlimited();
    let a1 = waiting.admit(address(1), &budget).expect("first from .1");
    let a2 = waiting.admit(address(1), &budget).expect("second from .1");
    assert_eq!(
        waiting.admit(address(1), &budget).map(drop),
        Err(Crowded::Address)
    );
    let b1 = waiting.admit(address(2), &budget).expect("first from .2");
    assert_eq!(
        waiting.admit(address(3), &budget).map(drop),
        Err(Crowded::Server)
    );
    assert_eq!(waiting.len(), 3);

    drop(a1);
    let a3 = waiting
        .admit(address(1), &budget)
        .expect("a dropped socket's place");
    a2.proven();
    b1.proven();
    assert_eq!(waiting.len(), 1, "authenticated sockets no longer wait");
    drop(a3);
    assert!(waiting.is_empty());
    assert!(waiting.0.lock().by_address.is_empty(), "no address kept");
}

#[test]
fn one_ipv6_client_is_bounded_across_its_whole_64() {
    let waiting = Waiting::new(2, 10);
    let budget = ConnectionBudget::unlimited();
    let from = |text: &str| Some(text.parse::<IpAddr>().expect("address"));
    let _a = waiting
        .admit(from("2001:db8:1:2::1"), &budget)
        .expect("first");
    let _b = waiting
        .admit(from("2001:db8:1:2:ffff::9"), &budget)
        .expect("second");
    assert_eq!(
        waiting
            .admit(from("2001:db8:1:2:abcd::7"), &budget)
            .map(drop),
        Err(Crowded::Address),
        "a third address of the same /64"
    );
    let _c = waiting
        .admit(from("2001:db8:1:3::1"), &budget)
        .expect("the next /64 is another client");
}

#[test]
fn a_budget_limits_until_lifted() {
    let budget = ConnectionBudget::unlimited();
    assert!(budget.spend(u64::MAX / 2), "unlimited spends anything");
    budget.limit(100);
    assert!(budget.spend(60));
    assert!(budget.spend(40));
    assert!(!budget.spend(1), "past the limit");
    budget.lift();
    assert!(budget.spend(1_000_000));
}

#[test]
fn zero_bounds_are_refused_by_name() {
    let err = check_limits(0, 10).expect_err("zero per address");
    assert!(
        err.to_string()
            .contains("limits.unauthenticated_sockets_per_address"),
        "{err}"
    );
    assert!(check_limits(1, 0).is_err());
    assert!(check_limits(1, 1).is_ok());
}

/// Reads the request body, as a socket reads its first message, after admitting the
/// connection as unauthenticated; with `?proven` it is let through first.
async fn read_body(
    State(waiting): State<Waiting>,
    budget: ConnectionBudget,
    query: axum::extract::RawQuery,
    body: Body,
) -> String {
    let unproven = waiting.admit(None, &budget).expect("room");
    if query.0.as_deref() == Some("proven") {
        unproven.proven();
    }
    match to_bytes(body, 8 << 20).await {
        Ok(bytes) => bytes.len().to_string(),
        Err(_) => "cut".to_owned(),
    }
}

#[tokio::test]
async fn an_unauthenticated_connection_is_cut_at_its_budget_and_an_authenticated_one_is_not() {
    let app = Router::new()
        .route("/read", post(read_body))
        .with_state(Waiting::new(8, 8))
        .into_make_service_with_connect_info::<SocketAddr>();
    let bound = bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
    let addr = bound.addr;
    let serving = serve(bound, None, app).await.expect("serve");
    let client = reqwest::Client::new();
    let megabyte = vec![7u8; 1 << 20];

    let unproven = client
        .post(format!("http://{addr}/read"))
        .body(megabyte.clone())
        .send()
        .await;
    let unproven = match unproven {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(_) => "cut".to_owned(),
    };
    // The body read failed at the budget: the handler answered "cut", or the connection went
    // before it could (anything else — a 500, the whole megabyte — is a failure).
    assert_eq!(
        unproven, "cut",
        "an unauthenticated connection was read past its budget"
    );

    let proven = client
        .post(format!("http://{addr}/read?proven"))
        .body(megabyte)
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("body");
    assert_eq!(proven, "1048576");
    serving.abort().await;
}

#[tokio::test]
async fn a_route_asking_for_a_budget_outside_the_kits_server_is_refused() {
    use tower::ServiceExt;
    let app = Router::new()
        .route("/read", post(read_body))
        .with_state(Waiting::new(8, 8));
    let response = app
        .oneshot(
            axum::http::Request::post("/read")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
