//! Sign-ins as token families: a copied token dies with its sign-in once it is exchanged twice,
//! sign-out and disabling the account end tokens at once, and no refresh outlives the sign-in.

use crate::helpers::*;
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough password";

async fn sign_in(app: &TestApp, email: &str) -> String {
    app.login(email, PASSWORD).await
}

async fn refresh(app: &TestApp, token: &str) -> Result<String, u16> {
    let res = app.post("/api/auth/refresh", token, json!({})).await;
    if res.status() != 200 {
        return Err(res.status().as_u16());
    }
    let body: Value = res.json().await.expect("json");
    Ok(body["token"].as_str().expect("token").to_owned())
}

async fn me(app: &TestApp, token: &str) -> u16 {
    app.get("/api/auth/me", token).await.status().as_u16()
}

#[tokio::test]
async fn a_copied_token_exchanged_twice_ends_the_sign_in_for_both_holders() {
    let app = TestApp::spawn().await;
    app.technician_token("tech@example.com").await;
    let token = sign_in(&app, "tech@example.com").await;
    // Someone with a copy exchanges it first...
    let theirs = refresh(&app, &token).await.expect("the copy refreshes");
    assert_eq!(me(&app, &theirs).await, 200);
    // ...then the dashboard exchanges the same token: reuse, so the sign-in ends.
    assert_eq!(refresh(&app, &token).await, Err(401));
    assert_eq!(
        me(&app, &theirs).await,
        401,
        "the copy's new token died too"
    );
    assert_eq!(me(&app, &token).await, 401);
    let audit = app.get_json("/api/audit?action=sign_in_revoked").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
}

#[tokio::test]
async fn a_copy_refreshed_twice_is_caught_when_the_old_token_comes_back() {
    let app = TestApp::spawn().await;
    app.technician_token("tech@example.com").await;
    let first = sign_in(&app, "tech@example.com").await;
    // Someone with a copy refreshes it twice, so the user's token is neither current nor
    // just replaced...
    let second = refresh(&app, &first).await.expect("refresh");
    assert_eq!(me(&app, &first).await, 200, "a request already on its way");
    let third = refresh(&app, &second).await.expect("refresh");
    // ...and the user's next request with it ends the sign-in for both.
    assert_eq!(me(&app, &first).await, 401);
    assert_eq!(
        (me(&app, &second).await, me(&app, &third).await),
        (401, 401)
    );
    assert_eq!(refresh(&app, &third).await, Err(401));
    let audit = app.get_json("/api/audit?action=sign_in_revoked").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
}

#[tokio::test]
async fn signing_out_ends_every_token_of_that_sign_in_and_no_other() {
    let app = TestApp::spawn().await;
    app.technician_token("tech@example.com").await;
    let laptop = sign_in(&app, "tech@example.com").await;
    let laptop_next = refresh(&app, &laptop).await.expect("refresh");
    let phone = sign_in(&app, "tech@example.com").await;
    let res = app.post("/api/auth/logout", &laptop_next, json!({})).await;
    assert_eq!(res.status(), 204);
    assert_eq!(me(&app, &laptop).await, 401);
    assert_eq!(me(&app, &laptop_next).await, 401);
    assert_eq!(refresh(&app, &laptop_next).await, Err(401));
    assert_eq!(me(&app, &phone).await, 200, "another sign-in is not ended");
}

#[tokio::test]
async fn disabling_an_account_cuts_every_token_it_holds_at_once() {
    let app = TestApp::spawn().await;
    app.technician_token("tech@example.com").await;
    let first = sign_in(&app, "tech@example.com").await;
    let second = sign_in(&app, "tech@example.com").await;
    let users = app.get_json("/api/users").await;
    let tech = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == "tech@example.com")
        .expect("tech listed");
    assert_eq!(tech["disabled"], false);
    let tech_id = tech["id"].as_str().expect("id").to_owned();
    let me_id = app.get_json("/api/auth/me").await["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let path = |id: &str| format!("/api/users/{id}/disable");
    assert_eq!(
        app.post(&path(&me_id), &first, json!({})).await.status(),
        403
    );
    assert_eq!(
        app.post(&path(&me_id), &app.admin_token, json!({}))
            .await
            .status(),
        409
    );
    assert_eq!(
        app.post(&path(&tech_id), &app.admin_token, json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(
        (me(&app, &first).await, me(&app, &second).await),
        (401, 401)
    );
    assert_eq!(refresh(&app, &second).await, Err(401));
    let again = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": "tech@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(again.status(), 401);
    let none = "00000000-0000-0000-0000-000000000000";
    assert_eq!(
        app.post(&path(none), &app.admin_token, json!({}))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn no_refresh_outlives_its_sign_in() {
    let app = TestApp::spawn_with(|c| c.limits.sign_in_lifetime_secs = 2).await;
    app.technician_token("tech@example.com").await;
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": "tech@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    let body: Value = res.json().await.expect("json");
    assert!(
        body["expires_in"].as_u64().expect("expires_in") <= 2,
        "{body}"
    );
    let token = body["token"].as_str().expect("token").to_owned();
    let next = refresh(&app, &token)
        .await
        .expect("refresh within the sign-in");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(me(&app, &next).await, 401);
    assert_eq!(refresh(&app, &next).await, Err(401));
}
