//! The refresh token as an attacker meets it: an HttpOnly, Strict cookie whose rotation detects a
//! replayed one, a refresh route that takes only that cookie and only from its own origin, and
//! an expired sign-in that says so.

use super::auth_attacks::me_status;
use crate::helpers::*;
use serde_json::{json, Value};

/// Signs in and returns the body and the `gc_refresh` cookie as the server set it.
async fn sign_in(app: &TestApp, username: &str) -> (Value, String) {
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": username, "password": "a long enough password"}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    let cookie = set_cookie(&res);
    (res.json().await.expect("json"), cookie)
}

/// The `Set-Cookie` value of the refresh cookie.
fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gc_refresh="))
        .expect("a Set-Cookie header for gc_refresh")
        .to_owned()
}

/// `gc_refresh=<token>` out of a `Set-Cookie` value.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().expect("pair").to_owned()
}

/// POSTs the refresh route as the app's own page does: the cookie and an empty JSON object.
async fn refresh_with(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({}))
        .send()
        .await
        .expect("refresh")
}

#[tokio::test]
async fn the_refresh_token_is_an_http_only_strict_cookie_and_rotation_detects_replay() {
    let app = TestApp::spawn().await;
    app.user("rotator", "technician").await;
    let (login, set) = sign_in(&app, "rotator").await;
    assert!(
        login.get("refresh_token").is_none(),
        "no script-readable refresh token: {login}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/auth/refresh"] {
        assert!(set.contains(attribute), "{attribute} missing: {set}");
    }
    let first = pair(&set);
    let rotated = refresh_with(&app, &first).await;
    assert_eq!(rotated.status(), 200);
    let second = pair(&set_cookie(&rotated));
    let body: Value = rotated.json().await.expect("json");
    let new_access = body["access_token"].as_str().expect("access").to_owned();
    assert_ne!(first, second);
    assert_eq!(me_status(&app, &new_access).await, 200);

    // Replaying the spent cookie revokes the whole login, including the newest tokens.
    let replay = refresh_with(&app, &first).await;
    assert_eq!(replay.status(), 401);
    let why: Value = replay.json().await.expect("json");
    assert_eq!(why["error_code"], "session_ended");
    assert_eq!(refresh_with(&app, &second).await.status(), 401);
    assert_eq!(
        me_status(&app, &new_access).await,
        401,
        "replay revokes the family's access tokens"
    );

    // Logout ends the login and removes the cookie from the browser.
    let (login, set) = sign_in(&app, "rotator").await;
    let token = login["access_token"].as_str().expect("token");
    let out = app.post("/api/auth/logout", token, json!({})).await;
    assert_eq!(out.status(), 204);
    assert!(
        set_cookie(&out).contains("Max-Age=0"),
        "{}",
        set_cookie(&out)
    );
    assert_eq!(me_status(&app, token).await, 401, "logged-out token");
    let after: Value = refresh_with(&app, &pair(&set))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(after["error_code"], "session_ended");
}

/// One credential on the refresh route, the cookie, and only from the app's own origin.
#[tokio::test]
async fn the_refresh_route_takes_only_its_cookie_and_only_from_its_own_origin() {
    let app = TestApp::spawn().await;
    app.user("csrf", "technician").await;
    let (login, set) = sign_in(&app, "csrf").await;
    let cookie = pair(&set);
    let token = cookie.trim_start_matches("gc_refresh=").to_owned();
    let access = login["access_token"].as_str().expect("access");

    // The token in the body (the old way) is refused, and so is a bearer token.
    let in_body = app
        .post("/api/auth/refresh", "", json!({"refresh_token": token}))
        .await;
    assert_eq!(in_body.status(), 422);
    let bearer = app.post("/api/auth/refresh", access, json!({})).await;
    assert_eq!(bearer.status(), 401);
    assert_eq!(
        bearer.json::<Value>().await.expect("json")["error_code"],
        "unauthorized"
    );

    // A page of another site, or another origin of this site, cannot use the cookie.
    for site in ["cross-site", "same-site", "none"] {
        let res = app
            .client
            .post(app.url("/api/auth/refresh"))
            .header("cookie", &cookie)
            .header("sec-fetch-site", site)
            .json(&json!({}))
            .send()
            .await
            .expect("refresh");
        assert_eq!(res.status(), 403, "Sec-Fetch-Site: {site}");
    }
    // A form post (what a cross-origin page can send without a preflight) is refused too.
    let form = app
        .client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("x=1")
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), 400);
    // None of those spent the token: the real page still renews with it.
    assert_eq!(refresh_with(&app, &cookie).await.status(), 200);
}

/// Expired, whether the reaper has pruned the token yet or not.
#[tokio::test]
async fn an_expired_sign_in_says_so() {
    let app = TestApp::spawn_with(|c| c.limits.refresh_token_ttl_secs = 0).await;
    app.user("expiring", "technician").await;
    for prune_first in [false, true] {
        let (_, set) = sign_in(&app, "expiring").await;
        if prune_first {
            guruconnect_server::db::tokens::prune_expired(&app.state().db)
                .await
                .expect("prune");
        }
        let res = refresh_with(&app, &pair(&set)).await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.json::<Value>().await.expect("json")["error_code"],
            "session_expired",
            "pruned first: {prune_first}"
        );
    }
}
