//! Attacks on authentication: forged and misused tokens, route-variant
//! probing for bypasses, first-admin takeover, keys used as the wrong machine or the wrong kind.

use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use guruconnect_proto::DisconnectReason;
use serde_json::{json, Value};

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn claims(app_sub: &str, aud: &str, typ: &str, exp: u64) -> Value {
    json!({"sub": app_sub, "name": "admin", "role": "admin", "typ": typ, "aud": aud, "iss": "guruconnect",
           "iat": now(), "exp": exp, "jti": "forged", "fam": "forged", "sid": "s"})
}

fn hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    use hmac::{Hmac, Mac};
    let signing_input = format!("{}.{}", b64(header), b64(claims));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("key");
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

pub(crate) async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.get("/api/auth/me", token).await.status().as_u16()
}

#[tokio::test]
async fn forged_and_misused_jwts_are_refused() {
    let app = TestApp::spawn().await;
    let me: Value = app.get_json("/api/auth/me", &app.admin_token).await;
    let sub = me["id"].as_str().expect("id");
    assert_eq!(
        me_status(&app, &app.admin_token).await,
        200,
        "the real token works"
    );

    // alg=none with no signature.
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims(sub, "guruconnect-api", "access", now() + 3600))
    );
    assert_eq!(me_status(&app, &none).await, 401, "alg=none");
    // Right shape, foreign key.
    let foreign = hs256(
        b"someone-elses-key-0123456789abcdef",
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims(sub, "guruconnect-api", "access", now() + 3600),
    );
    assert_eq!(me_status(&app, &foreign).await, 401, "foreign key");
    // Wrong algorithm declared.
    let hs512 = hs256(
        b"x",
        &json!({"alg": "HS512", "typ": "JWT"}),
        &claims(sub, "guruconnect-api", "access", now() + 3600),
    );
    assert_eq!(me_status(&app, &hs512).await, 401, "wrong alg");
    let rs256 = format!(
        "{}.{}.c2ln",
        b64(&json!({"alg": "RS256"})),
        b64(&claims(sub, "guruconnect-api", "access", now() + 3600))
    );
    assert_eq!(me_status(&app, &rs256).await, 401, "RS256");

    // Tokens signed with the server's real keys but wrong audience/type/expiry.
    let keys = &app.state().tokens;
    let mut access = guruconnect_server::auth::jwt::AccessClaims {
        sub: sub.into(),
        name: "admin".into(),
        role: "admin".into(),
        typ: "access".into(),
        aud: "guruconnect-viewer".into(),
        iss: "guruconnect".into(),
        iat: now(),
        exp: now() + 3600,
        jti: "j1".into(),
        fam: "f1".into(),
    };
    let wrong_aud = keys.sign_access(&access).expect("sign");
    assert_eq!(me_status(&app, &wrong_aud).await, 401, "wrong aud");
    access.aud = "guruconnect-api".into();
    access.typ = "viewer".into();
    let wrong_typ = keys.sign_access(&access).expect("sign");
    assert_eq!(me_status(&app, &wrong_typ).await, 401, "wrong typ");
    access.typ = "access".into();
    access.exp = now() - 60; // beyond the 5 s leeway
    let expired = keys.sign_access(&access).expect("sign");
    assert_eq!(me_status(&app, &expired).await, 401, "expired");
    access.exp = now() + 3600;
    let valid_forged_shape = keys.sign_access(&access).expect("sign");
    assert_eq!(
        me_status(&app, &valid_forged_shape).await,
        200,
        "control: the same claims with a proper aud/typ/exp pass"
    );

    // A viewer token is not an API credential.
    let (agent, _) = online_agent(&app, "m-viewer-as-bearer").await;
    let viewer = app.viewer_token(&agent.session_id, &app.admin_token).await;
    assert_eq!(
        me_status(&app, &viewer).await,
        401,
        "viewer token as bearer"
    );
    assert_eq!(app.get("/api/machines", &viewer).await.status(), 401);
}

/// Route variants that must never reach a protected handler unauthenticated.
fn variants(path: &str) -> Vec<String> {
    let mut out = vec![
        path.to_owned(),
        format!("{path}/"),
        format!("{path}/anything"),
        format!("{path};x"),
        format!("{path}%2f"),
        format!("/{path}"),
        path.replacen("/api/", "/api//", 1),
        path.replacen("/api/", "/api/./", 1),
        path.replacen("/api/", "/api/%2e/", 1),
        path.replacen("/api/", "/x/../api/", 1),
        path.to_uppercase(),
        format!("{path}.json"),
    ];
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn no_protected_route_or_variant_answers_2xx_unauthenticated() {
    // With the integration on, so its routes are probed past "not enabled".
    let app = TestApp::spawn_with(|c| {
        c.integration_key = Some(guruconnect_server::config::SecretString::new(
            "integration-key-for-tests-0123456789abcdef",
        ))
    })
    .await;
    let spec: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("spec")
        .json()
        .await
        .expect("json");
    let mut probed = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("ops") {
            let protected = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if !protected {
                continue;
            }
            let concrete = path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{agent_id}", "m1");
            for variant in variants(&concrete) {
                for auth in [
                    None,
                    Some("Bearer "),
                    Some("Bearer null"),
                    Some("Basic YWRtaW46YWRtaW4="),
                ] {
                    let mut req = app.client.request(
                        method.to_uppercase().parse().expect("method"),
                        app.url(&variant),
                    );
                    if let Some(auth) = auth {
                        req = req.header("authorization", auth);
                    }
                    let res = req.json(&json!({})).send().await.expect("probe");
                    assert!(
                        !res.status().is_success(),
                        "{method} {variant} with {auth:?} answered {}",
                        res.status()
                    );
                    probed += 1;
                }
            }
            // The canonical route itself says 401 with the envelope.
            let res = app
                .client
                .request(
                    method.to_uppercase().parse().expect("m"),
                    app.url(&concrete),
                )
                .json(&json!({}))
                .send()
                .await
                .expect("req");
            assert_eq!(res.status(), 401, "{method} {concrete}");
            assert_eq!(
                res.json::<Value>().await.expect("json")["error_code"],
                "unauthorized"
            );
        }
    }
    assert!(
        probed > 500,
        "probed only {probed} requests: the spec lost its protected routes?"
    );
}

#[tokio::test]
async fn no_setup_route_exists_and_bootstrap_cannot_run_twice() {
    let app = TestApp::spawn().await;
    for path in [
        "/setup",
        "/api/setup",
        "/SetupWizard.aspx",
        "/SetupWizard.aspx/x",
        "/api/auth/register",
        "/api/users/bootstrap",
        "/api/admin/setup",
    ] {
        let res = app
            .client
            .post(app.url(path))
            .json(&json!({"username": "evil", "password": "evil password 123", "role": "admin"}))
            .send()
            .await
            .expect("req");
        assert!(!res.status().is_success(), "{path}");
    }
    let again = guruconnect_server::bootstrap::first_admin_if_empty(&app.state().db)
        .await
        .expect("bootstrap");
    assert!(again.is_none(), "bootstrap must not run once a user exists");
    assert_eq!(
        guruconnect_server::db::users::USERS
            .count(&app.state().db)
            .await
            .expect("count"),
        1
    );
}

#[tokio::test]
async fn a_technician_jwt_is_never_an_agent_credential() {
    let app = TestApp::spawn().await;
    let jwt = app.admin_token.clone();
    let refused = TestAgent::try_connect(&app, hello_with_key("m1", "uid-m1", &jwt)).await;
    assert!(
        matches!(refused, Err(Some(DisconnectReason::AuthFailed))),
        "{:?}",
        refused.err()
    );
    // Nor is a viewer token, nor a support code presented as a key.
    let (agent, _) = online_agent(&app, "real").await;
    let viewer = app.viewer_token(&agent.session_id, &app.admin_token).await;
    let refused = TestAgent::try_connect(&app, hello_with_key("real", "uid-real", &viewer)).await;
    assert!(matches!(refused, Err(Some(DisconnectReason::AuthFailed))));
    let list: Value = app.get_json("/api/machines", &app.admin_token).await;
    assert_eq!(list["total"], 1, "refused agents leave no machine behind");
}

#[tokio::test]
async fn a_machine_key_cannot_act_as_another_machine_and_revocation_drops_the_socket() {
    let app = TestApp::spawn().await;
    let (key_x, key_x_id) = app.mint_key("machine-x").await;
    let spoof = TestAgent::try_connect(&app, hello_with_key("machine-y", "uid-y", &key_x)).await;
    assert!(
        matches!(spoof, Err(Some(DisconnectReason::AuthFailed))),
        "key for X used as Y"
    );

    let mut x = TestAgent::connect(&app, hello_with_key("machine-x", "uid-x", &key_x)).await;
    assert_eq!(x.agent_id, "machine-x");
    // The same key from different hardware is a copied key.
    let copied =
        TestAgent::try_connect(&app, hello_with_key("machine-x", "uid-other-box", &key_x)).await;
    assert!(
        matches!(copied, Err(Some(DisconnectReason::AuthFailed))),
        "copied key"
    );

    assert_eq!(
        app.delete(&format!("/api/agent-keys/{key_x_id}"), &app.admin_token)
            .await
            .status(),
        204
    );
    assert_eq!(
        disconnect_reason(&mut x.ws).await,
        Some(DisconnectReason::KeyRevoked)
    );
    let again = TestAgent::try_connect(&app, hello_with_key("machine-x", "uid-x", &key_x)).await;
    assert!(
        matches!(again, Err(Some(DisconnectReason::AuthFailed))),
        "revoked key"
    );
}

#[tokio::test]
async fn the_shared_agent_key_works_only_when_explicitly_enabled() {
    let shared = "shared-key-0123456789-0123456789-abcdef";
    let off = TestApp::spawn_with(|c| {
        c.agent_api_key = Some(guruconnect_server::config::SecretString::new(shared))
    })
    .await;
    assert!(
        TestAgent::try_connect(&off, hello_with_key("legacy", "uid-legacy", shared))
            .await
            .is_err()
    );
    let on = TestApp::spawn_with(|c| {
        c.agent_api_key = Some(guruconnect_server::config::SecretString::new(shared));
        c.allow_shared_agent_key = true;
    })
    .await;
    let agent = TestAgent::connect(&on, hello_with_key("legacy", "uid-legacy", shared)).await;
    assert_eq!(agent.agent_id, "legacy");
}

#[tokio::test]
async fn a_viewer_token_opens_only_its_own_session() {
    let app = TestApp::spawn().await;
    let (a, _) = online_agent(&app, "session-a").await;
    let (b, _) = online_agent(&app, "session-b").await;
    let token_a = app.viewer_token(&a.session_id, &app.admin_token).await;
    assert!(
        TestViewer::join(&app, &a.session_id, &token_a)
            .await
            .is_ok(),
        "control: A's token opens A"
    );
    assert!(
        TestViewer::join(&app, &b.session_id, &token_a)
            .await
            .is_err(),
        "A's token on B"
    );
    // On the agent socket it is nothing.
    assert!(
        TestAgent::try_connect(&app, hello_with_key("session-a", "uid-session-a", &token_a))
            .await
            .is_err()
    );
    // A token whose jti the server never issued (signed with the right key) is refused.
    let keys = &app.state().tokens;
    let forged = keys
        .sign_viewer(&guruconnect_server::auth::jwt::ViewerClaims {
            sub: "x".into(),
            name: "x".into(),
            sid: b.session_id.clone(),
            typ: "viewer".into(),
            aud: "guruconnect-viewer".into(),
            iss: "guruconnect".into(),
            iat: now(),
            exp: now() + 60,
            jti: "never-issued".into(),
        })
        .expect("sign");
    assert!(
        TestViewer::join(&app, &b.session_id, &forged)
            .await
            .is_err(),
        "unissued jti"
    );
    // Ending the session revokes its tokens.
    app.post(
        &format!("/api/sessions/{}/end", a.session_id),
        &app.admin_token,
        json!({}),
    )
    .await;
    assert!(
        TestViewer::join(&app, &a.session_id, &token_a)
            .await
            .is_err(),
        "token of an ended session"
    );
}

#[tokio::test]
async fn technicians_cannot_view_other_technicians_attended_sessions() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", "technician").await;
    let bob = app.user("bob", "technician").await;
    let code: Value = app.post_json("/api/codes", &alice, json!({})).await;
    let agent = TestAgent::connect(
        &app,
        hello_with_code("uid-att", code["code"].as_str().expect("code")),
    )
    .await;
    let path = format!("/api/sessions/{}/viewer-token", agent.session_id);
    assert_eq!(
        app.post(&path, &bob, json!({})).await.status(),
        404,
        "bob may not view alice's attended session"
    );
    assert_eq!(app.post(&path, &alice, json!({})).await.status(), 201);
    assert_eq!(
        app.post(&path, &app.admin_token, json!({})).await.status(),
        201
    );
}

#[tokio::test]
async fn browser_origins_are_checked_before_the_websocket_upgrade() {
    let app = TestApp::spawn().await;
    assert_eq!(
        open_ws(&app.ws_url("/ws/viewer"), Some("https://evil.example.com"))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        open_ws(&app.ws_url("/ws/viewer"), None).await.err(),
        Some(403),
        "missing origin"
    );
    assert!(
        open_ws(&app.ws_url("/ws/viewer"), Some(&app.viewer_origin()))
            .await
            .is_ok()
    );
    // The agent socket is not for browsers at all.
    assert_eq!(
        open_ws(&app.ws_url("/ws/agent"), Some(&app.viewer_origin()))
            .await
            .err(),
        Some(403)
    );
}
