//! Throttling: credential stuffing, password spraying from many addresses,
//! support-code guessing, all without permanent lockout and without user enumeration.

use crate::helpers::*;
use guruconnect_proto::DisconnectReason;
use serde_json::{json, Value};
use std::net::IpAddr;

fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().expect("ip"))
        .build()
        .expect("client")
}

async fn attempt(
    app: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> (u16, Value) {
    let res = client
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_look_the_same() {
    let app = TestApp::spawn().await;
    app.user("existing", "technician").await;
    let (s1, b1) = attempt(&app, &app.client, "existing", "wrong password!!").await;
    let (s2, b2) = attempt(&app, &app.client, "nobody-here", "wrong password!!").await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1["detail"], b2["detail"]);
    assert_eq!(b1["error_code"], b2["error_code"]);
}

#[tokio::test]
async fn stuffing_from_one_address_is_throttled_then_released() {
    let app = TestApp::spawn_with(|c| {
        c.limits.login_failures_per_ip = 5;
        c.limits.login_window_secs = 2;
    })
    .await;
    let attacker = client_from("127.0.0.2");
    for i in 0..5 {
        assert_eq!(
            attempt(&app, &attacker, &format!("user{i}"), "guess guess guess")
                .await
                .0,
            401
        );
    }
    let (status, body) = attempt(&app, &attacker, "user9", "guess guess guess").await;
    assert_eq!(status, 429);
    assert_eq!(body["error_code"], "rate_limited");
    // Another address is unaffected.
    let (status, _) = attempt(
        &app,
        &client_from("127.0.0.3"),
        "user9",
        "guess guess guess",
    )
    .await;
    assert_eq!(status, 401);
    // No permanent lockout: the window slides.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        attempt(&app, &attacker, "user9", "guess guess guess")
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn behind_a_proxy_a_client_cannot_pick_its_own_address_to_escape_the_throttle() {
    let app = TestApp::spawn_with(|c| {
        c.trust_forwarded_for = true;
        c.limits.login_failures_per_ip = 3;
    })
    .await;
    let statuses = app
        .login_with_spoofed_forwarded_for(
            |n| json!({"username": format!("user{n}"), "password": "guess guess guess"}),
        )
        .await;
    assert_eq!(
        statuses,
        [401, 401, 401, 429, 429],
        "one address, however it is dressed"
    );
}

#[tokio::test]
async fn an_ipv6_client_taking_a_new_address_of_its_64_for_each_try_is_still_one_client() {
    let app = TestApp::spawn_with(|c| {
        c.trust_forwarded_for = true;
        c.limits.login_failures_per_ip = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for n in 1..=5 {
        let res = app
            .client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", format!("2001:db8:7:7::{n:x}"))
            .json(&json!({"username": format!("user{n}"), "password": "guess guess guess"}))
            .send()
            .await
            .expect("login");
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429], "one /64, one budget");
    let elsewhere = app
        .client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", "2001:db8:7:8::1")
        .json(&json!({"username": "user9", "password": "guess guess guess"}))
        .send()
        .await
        .expect("login");
    assert_eq!(elsewhere.status(), 401, "the next /64 is another client");
}

#[tokio::test]
async fn strangers_failing_for_an_account_cannot_keep_its_user_out() {
    let app = TestApp::spawn_with(|c| {
        c.limits.login_failures_per_user = 3;
        c.limits.login_window_secs = 60;
    })
    .await;
    app.user("victim", "technician").await;
    let right = "a long enough password";
    let office = client_from("127.0.1.50");
    assert_eq!(attempt(&app, &office, "victim", right).await.0, 200);
    // Strangers fail for the account from many places, more than its budget.
    for i in 1..=4 {
        let stranger = client_from(&format!("127.0.1.{i}"));
        assert_eq!(
            attempt(&app, &stranger, "victim", "wrong wrong").await.0,
            401
        );
    }
    let again = attempt(&app, &client_from("127.0.1.1"), "victim", "wrong again").await;
    assert_eq!(again.0, 429, "a place that failed for the account waits");
    assert_eq!(
        attempt(&app, &office, "VICTIM", right).await.0,
        200,
        "the user's own place is never held by strangers' failures"
    );
    assert_eq!(
        attempt(&app, &client_from("127.0.1.9"), "victim", right)
            .await
            .0,
        200,
        "a fresh place still gets its try"
    );
}

#[tokio::test]
async fn spraying_one_try_per_address_is_stopped_once_the_server_budget_is_spent() {
    let app = TestApp::spawn_with(|c| {
        c.limits.login_failures_global = 10;
        c.limits.login_window_secs = 60;
    })
    .await;
    app.user("legit", "technician").await;
    let right = "a long enough password";
    let desk = client_from("127.0.3.1");
    assert_eq!(attempt(&app, &desk, "legit", right).await.0, 200);
    // One password against many accounts, one try from each address.
    let mut statuses = Vec::new();
    for i in 0..20u8 {
        let sprayer = client_from(&format!("127.0.2.{}", i + 1));
        let account = format!("account{i}");
        statuses.push(attempt(&app, &sprayer, &account, "Summer2026!").await.0);
    }
    assert_eq!(statuses[..10], [401; 10]);
    assert_eq!(statuses[10..], [429; 10], "spraying went on: {statuses:?}");
    // A user at a place they signed in from before still signs in during the spray.
    assert_eq!(attempt(&app, &desk, "legit", right).await.0, 200);
}

#[tokio::test]
async fn support_code_guessing_is_rate_limited() {
    let app = TestApp::spawn_with(|c| {
        c.limits.code_failures_per_ip = 3;
        c.limits.code_window_secs = 60;
    })
    .await;
    for guess in ["11111111", "22222222", "33333333"] {
        let r = TestAgent::try_connect(&app, hello_with_code("uid-guesser", guess)).await;
        assert!(matches!(r, Err(Some(DisconnectReason::AuthFailed))));
    }
    let created: Value = app
        .post_json("/api/codes", &app.admin_token, json!({}))
        .await;
    let real = created["code"].as_str().expect("code");
    let r = TestAgent::try_connect(&app, hello_with_code("uid-guesser", real)).await;
    assert!(
        matches!(r, Err(Some(DisconnectReason::RateLimited))),
        "even a valid code waits once the address is throttled"
    );
}

#[tokio::test]
async fn a_flood_of_junk_codes_spends_the_server_budget_but_a_valid_code_still_redeems() {
    let app = TestApp::spawn_with(|c| {
        c.limits.code_failures_per_ip = 3;
        c.limits.code_failures_global = 6;
        c.limits.code_window_secs = 60;
    })
    .await;
    let created: Value = app
        .post_json("/api/codes", &app.admin_token, json!({}))
        .await;
    let real = created["code"].as_str().expect("code").to_owned();
    // Three flooding addresses, two junk codes each: the server's budget is spent.
    for n in 1..=3 {
        let flooder = format!("127.0.4.{n}");
        for guess in ["11111111", "22222222"] {
            let r = TestAgent::try_connect_from(&app, &flooder, hello_with_code("uid-j", guess));
            assert!(matches!(r.await, Err(Some(DisconnectReason::AuthFailed))));
        }
    }
    let again =
        TestAgent::try_connect_from(&app, "127.0.4.1", hello_with_code("uid-j", "33333333"));
    assert!(
        matches!(again.await, Err(Some(DisconnectReason::RateLimited))),
        "a flooding address waits once the budget is spent"
    );
    // The end user, at an address that never failed, redeems the code they were given.
    let user = TestAgent::try_connect_from(&app, "127.0.4.99", hello_with_code("uid-user", &real));
    assert!(
        user.await.is_ok(),
        "a valid code was refused during the flood"
    );
}
