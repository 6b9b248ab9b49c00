//! Attacks on authentication: forged tokens, route variants that must never be
//! 200 unauthenticated (CVE-2024-1709 style), login and registration throttling without
//! enumeration and without permanent lockout (6), and a database dump that holds no usable
//! secret (7).

use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gururmm_server::auth::throttle::ManualClock;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Status, `error_code` and `detail` of a sign-in attempt.
async fn login_answer(app: &TestApp, email: &str, password: &str) -> (u16, Value, Value) {
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login");
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json");
    (status, body["error_code"].clone(), body["detail"].clone())
}

/// Status and `detail` of a registration attempt.
async fn register_answer(app: &TestApp, email: &str) -> (u16, String) {
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&json!({"email": email, "password": "a long enough password"}))
        .send()
        .await
        .expect("register");
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json");
    let detail = body["detail"].as_str().unwrap_or_default().to_owned();
    (status, detail)
}

async fn user_with_password(app: &TestApp, email: &str, password: &str) {
    app.technician(email, password).await;
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn hs256(secret: &[u8], claims: &Value) -> String {
    use hmac::{Hmac, Mac};
    let input = format!(
        "{}.{}",
        b64(&json!({"alg": "HS256", "typ": "JWT"})),
        b64(claims)
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("key");
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[tokio::test]
async fn forged_and_expired_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let me: Value = app.get_json("/api/auth/me").await;
    let sub = me["id"].as_str().expect("id");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = json!({"sub": sub, "typ": "access", "aud": "gururmm-api", "iss": "gururmm",
                        "iat": now, "exp": now + 3600, "jti": "x"});
    let none = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims));
    let foreign = hs256(b"some-other-install-key-0123456789abcdef", &claims);
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = json!(now - 3600);
    let expired = hs256(b"some-other-install-key-0123456789abcdef", &expired_claims);
    let (_, agent_key) = app.agent_with_key(None).await;
    for token in [
        none.as_str(),
        foreign.as_str(),
        expired.as_str(),
        agent_key.as_str(),
        "",
        "garbage",
    ] {
        let res = app.get("/api/auth/me", token).await;
        assert_eq!(res.status(), 401, "token {token:?}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error_code"], "unauthorized");
    }
}

#[tokio::test]
async fn protected_routes_and_their_variants_are_never_200_unauthenticated() {
    let app = TestApp::spawn().await;
    let protected = [
        "/api/auth/me",
        "/api/clients",
        "/api/sites",
        "/api/agents",
        "/api/agents/stats",
        "/api/agents/unassigned",
        "/api/commands",
        "/api/metrics/summary",
        "/api/releases",
    ];
    for base in protected {
        for variant in [
            base.to_owned(),
            format!("{base}/"),
            format!("{base}/anything"),
            format!("{base};x=1"),
            format!("{base}%2e"),
            format!("/{base}"),
            base.to_uppercase(),
            format!("{base}?token=x"),
        ] {
            let res = app
                .client
                .get(app.url(&variant))
                .send()
                .await
                .expect("request");
            assert_ne!(
                res.status(),
                200,
                "{variant} answered 200 without credentials"
            );
        }
    }
}

#[tokio::test]
async fn technicians_cannot_mint_agent_keys_or_releases() {
    let app = TestApp::spawn_with(|c| c.allow_registration = true).await;
    let body = json!({"email": "tech@example.com", "password": "a long enough password"});
    app.client
        .post(app.url("/api/auth/register"))
        .json(&body)
        .send()
        .await
        .expect("register");
    let tech = app
        .login("tech@example.com", "a long enough password")
        .await;
    assert_eq!(
        app.post("/api/agents", &tech, json!({})).await.status(),
        403
    );
    assert_eq!(app.get("/api/releases", &tech).await.status(), 403);
    assert_eq!(app.get("/api/agents", &tech).await.status(), 200);
}

#[tokio::test]
async fn failed_logins_are_throttled_without_telling_accounts_apart() {
    let app = TestApp::spawn_with(|c| c.limits.login_failures_per_user = 3).await;
    let attempt = |email: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/auth/login"))
                .json(&json!({"email": email, "password": "wrong password!"}))
                .send()
                .await
                .expect("request")
        }
    };
    let known: Value = attempt(gururmm_server::bootstrap::BOOTSTRAP_EMAIL)
        .await
        .json()
        .await
        .expect("json");
    let unknown: Value = attempt("nobody@example.com")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        known["detail"], unknown["detail"],
        "same message for unknown accounts"
    );
    assert_eq!(known["error_code"], "invalid_credentials");
    attempt(gururmm_server::bootstrap::BOOTSTRAP_EMAIL).await;
    attempt(gururmm_server::bootstrap::BOOTSTRAP_EMAIL).await;
    let blocked = attempt(gururmm_server::bootstrap::BOOTSTRAP_EMAIL).await;
    assert_eq!(blocked.status(), 429);
    assert!(blocked.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn an_unknown_account_a_wrong_password_and_a_disabled_account_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let password = "the right password";
    user_with_password(&app, "known@example.com", password).await;
    user_with_password(&app, "disabled@example.com", password).await;
    sqlx::query("UPDATE users SET disabled = 1 WHERE email_key = 'disabled@example.com'")
        .execute(&app.state().db.pool)
        .await
        .expect("disable");
    let wrong_password = login_answer(&app, "known@example.com", "not the password").await;
    let unknown = login_answer(&app, "nobody@example.com", "not the password").await;
    let disabled = login_answer(&app, "disabled@example.com", password).await;
    assert_eq!(wrong_password.0, 401);
    assert_eq!(wrong_password.1, "invalid_credentials");
    assert_eq!(
        unknown, wrong_password,
        "status and message name no account"
    );
    assert_eq!(disabled, wrong_password);
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_throttled_then_recovers() {
    let clock = Arc::new(ManualClock::new());
    let app = TestApp::spawn_with_clock(
        |c| {
            c.limits.login_failures_per_ip = 3;
            c.limits.login_window_secs = 900;
        },
        clock.clone(),
    )
    .await;
    let password = "the right password";
    user_with_password(&app, "real@example.com", password).await;
    // One password against many accounts, one attempt each: the per-account limit never
    // trips, the per-address one does.
    for email in ["a@example.com", "b@example.com", "real@example.com"] {
        assert_eq!(login_answer(&app, email, "Summer2026!").await.0, 401);
    }
    let (status, code, _) = login_answer(&app, "d@example.com", "Summer2026!").await;
    assert_eq!((status, code), (429, json!("rate_limited")));
    assert_eq!(
        login_answer(&app, "real@example.com", password).await.0,
        429,
        "the address is paused, even with the right password"
    );
    // Not a lockout: once the window has slid past the failures, the address is answered.
    clock.advance(Duration::from_secs(899));
    assert_eq!(
        login_answer(&app, "real@example.com", password).await.0,
        429
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        login_answer(&app, "real@example.com", password).await.0,
        200
    );
}

#[tokio::test]
async fn registration_names_no_account_and_is_throttled_per_address_without_lockout() {
    let clock = Arc::new(ManualClock::new());
    let app = TestApp::spawn_with_clock(
        |c| {
            c.allow_registration = true;
            c.limits.login_failures_per_ip = 3;
            c.limits.login_window_secs = 900;
        },
        clock.clone(),
    )
    .await;
    assert_eq!(register_answer(&app, "new@example.com").await.0, 201);
    let taken = register_answer(&app, "NEW@example.com").await;
    assert_eq!(taken, (409, "registration failed".to_owned()));
    let admin_taken = register_answer(&app, gururmm_server::bootstrap::BOOTSTRAP_EMAIL).await;
    assert_eq!(
        admin_taken, taken,
        "the same answer for every taken address"
    );
    // Three attempts spent the address's budget: probing or creating accounts pauses...
    assert_eq!(register_answer(&app, "other@example.com").await.0, 429);
    // ...until the window slides.
    clock.advance(Duration::from_secs(900));
    assert_eq!(register_answer(&app, "other@example.com").await.0, 201);
    let rows = gururmm_server::db::audit::list(
        &app.state().db,
        &gururmm_server::db::audit::AuditFilter {
            action: Some("user_registered".into()),
            target: None,
        },
        10,
        0,
    )
    .await
    .expect("audit")
    .0;
    assert_eq!(rows.len(), 2, "each new account is audited");
}

/// A sign-in through the trusted proxy as the client at `ip` (this test's own address when
/// empty); the status.
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> u16 {
    let mut request = app.client.post(app.url("/api/auth/login"));
    if !ip.is_empty() {
        request = request.header("x-forwarded-for", ip);
    }
    request
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn password_spraying_from_many_addresses_is_stopped_without_locking_out_known_places() {
    let app = TestApp::spawn_with(|c| {
        c.trust_forwarded_for = true;
        c.limits.login_failures_global = 3;
    })
    .await;
    // A technician signs in from their desk (this test's own address) before the spray.
    app.technician_token("tech@example.com").await;
    let attempt = |ip, email, password| login_from(&app, ip, email, password);
    // One password against three accounts from three addresses: each looks harmless alone.
    let spray = "Summer2026!";
    assert_eq!(attempt("203.0.113.1", "a@example.com", spray).await, 401);
    assert_eq!(attempt("203.0.113.2", "b@example.com", spray).await, 401);
    assert_eq!(attempt("203.0.113.3", "c@example.com", spray).await, 401);
    // The budget is spent: an address that failed, and a fresh one, spray no more...
    assert_eq!(attempt("203.0.113.1", "d@example.com", spray).await, 429);
    assert_eq!(attempt("198.51.100.7", "e@example.com", spray).await, 429);
    // ...while the technician at the desk they signed in from still gets in.
    let password = "a long enough password";
    assert_eq!(attempt("", "tech@example.com", password).await, 200);
}

#[tokio::test]
async fn strangers_failing_for_an_account_cannot_keep_its_user_out() {
    let app = TestApp::spawn_with(|c| {
        c.trust_forwarded_for = true;
        c.limits.login_failures_per_user = 3;
    })
    .await;
    app.technician_token("tech@example.com").await;
    let login = |ip, password| login_from(&app, ip, "tech@example.com", password);
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"] {
        assert_eq!(login(ip, "wrong guess").await, 401);
    }
    assert_eq!(login("203.0.113.1", "wrong again").await, 429);
    // The account's own place (this test's address, where it signed in) is not held.
    assert_eq!(login("", "a long enough password").await, 200);
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
            |n| json!({"email": format!("user{n}@example.com"), "password": "Summer2026!"}),
        )
        .await;
    assert_eq!(
        statuses,
        [401, 401, 401, 429, 429],
        "one address, however it is dressed"
    );
}

#[tokio::test]
async fn a_database_dump_holds_no_usable_secret() {
    let app = TestApp::spawn().await;
    let (_, site_id, code) = app.site("S").await;
    let (_, key) = app.agent_with_key(None).await;
    let token = app.registration_token(&site_id).await;
    let token = token["token"].as_str().expect("token").to_owned();
    let enrolled = TestAgent::connect(&app, auth_payload(&token, "dump-dev")).await;
    let issued = enrolled.key();
    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM users")
        .fetch_one(&app.state().db.pool)
        .await
        .expect("row");
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    // Scan every text column of the tables that hold credentials.
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT COALESCE(api_key_hash, '') FROM agents UNION ALL SELECT site_code_hash FROM sites
         UNION ALL SELECT token_hash FROM registration_tokens UNION ALL SELECT detail_json FROM audit_events",
    )
    .fetch_all(&app.state().db.pool)
    .await
    .expect("rows");
    let dump: String = rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n");
    assert!(!dump.contains(&key), "agent key stored in the clear");
    assert!(!dump.contains(&code), "site code stored in the clear");
    assert!(
        !dump.contains(&token),
        "registration token stored in the clear"
    );
    assert!(
        !dump.contains(&issued),
        "issued agent key stored in the clear"
    );
    assert!(dump.contains(&gururmm_server::auth::secrets::sha256_hex(&key)));
}

#[tokio::test]
async fn every_secured_route_admits_exactly_the_roles_its_document_names() {
    let app = TestApp::spawn().await;
    let tech = app.technician_token("tech@example.com").await;
    // Refreshing and signing out act on the caller's own sign-in (sign_ins.rs covers them).
    let own = ["/api/auth/refresh", "/api/auth/logout"];
    let checked = app.check_role_matrix(&tech, &app.admin_token, &own).await;
    // Technicians cannot delete fleet objects, rotate or read enrolment secrets, or touch
    // agent keys, policies, releases and the audit log.
    let admins_only = [
        "DELETE /api/agents/{id}",
        "DELETE /api/sites/{id}",
        "DELETE /api/clients/{id}",
        "POST /api/sites/{id}/regenerate-key",
        "GET /api/registration-tokens",
        "POST /api/sites/{id}/registration-tokens",
        "DELETE /api/registration-tokens/{id}",
        "POST /api/agents",
        "POST /api/agents/{id}/rotate-key",
        "POST /api/agents/{id}/revoke-key",
        "POST /api/policies",
        "PUT /api/policies/{id}",
        "DELETE /api/policies/{id}",
        "GET /api/releases",
        "POST /api/releases",
        "GET /api/audit",
        "GET /api/users",
        "POST /api/users/{id}/disable",
    ];
    for operation in admins_only {
        assert!(
            checked.contains(&(operation.to_owned(), api_harness::Admits::Admins)),
            "{operation} is not admins' alone: {checked:#?}"
        );
    }
    assert!(checked.len() > 45, "only {} operations", checked.len());
}
