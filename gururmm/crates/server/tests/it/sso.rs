//! Single sign-on against a real OpenID Connect provider (npm's oidc-provider): the scenarios
//! are api-harness's, shared with GuruConnect; this file gives them GuruRMM's accounts.

use crate::helpers::*;
use api_harness::oidc::scenarios::{Site, PEOPLE};
use api_harness::oidc::{free_port, TestProvider, CLIENT_ID, CLIENT_SECRET};
use api_harness::second_factor::SignIn;
use server_kit::sso::SsoConfig;
use server_kit::SecretString;

/// A server whose single sign-on is the provider, which knows [`PEOPLE`]; the account
/// `alice@example.com` exists. The provider must outlive the test.
async fn spawn() -> (TestApp, TestProvider, String) {
    let port = free_port();
    let public_url = format!("http://127.0.0.1:{port}");
    let callback = format!("{public_url}{}", server_kit::sso::CALLBACK_PATH);
    let provider = TestProvider::start(&callback, PEOPLE).await;
    let issuer = provider.issuer.clone();
    let app = TestApp::spawn_with(|c| {
        c.bind = format!("127.0.0.1:{port}").parse().expect("addr");
        c.public_url = Some(public_url);
        c.sso = Some(SsoConfig {
            issuer,
            client_id: CLIENT_ID.into(),
            client_secret: SecretString::new(CLIENT_SECRET),
            name: None,
        });
    })
    .await;
    let alice = app.technician_token("alice@example.com").await;
    (app, provider, alice)
}

fn site(app: &TestApp) -> Site<'_> {
    Site {
        api: app,
        login_page: "/login",
        token_field: "token",
        name_field: "email",
    }
}

#[tokio::test]
async fn a_vouched_address_signs_in_as_its_account_and_stays_linked() {
    let (app, _provider, _) = spawn().await;
    site(&app).a_vouched_address_signs_in_as_its_account().await;
    let options = app.get_checked("/api/auth/sso", "").await.1;
    assert_eq!(
        options,
        serde_json::json!({"enabled": true, "name": "single sign-on"})
    );
    // The first link is audited once, naming the identity.
    let linked = app.get_json("/api/audit?action=sso_linked").await;
    let linked = linked["items"].as_array().expect("items");
    assert_eq!(linked.len(), 1, "{linked:?}");
    assert!(linked[0]["detail"]["subject"].is_string(), "{linked:?}");
}

#[tokio::test]
async fn unvouched_and_unknown_addresses_are_refused() {
    let (app, _provider, _) = spawn().await;
    site(&app)
        .unvouched_and_unknown_addresses_are_refused()
        .await;
}

#[tokio::test]
async fn a_ticket_signs_in_once_from_the_dashboard_only() {
    let (app, _provider, _) = spawn().await;
    site(&app).a_ticket_signs_in_once().await;
}

#[tokio::test]
async fn a_callback_this_browser_did_not_start_signs_nobody_in() {
    let (app, _provider, _) = spawn().await;
    site(&app)
        .a_callback_this_browser_did_not_start_is_refused()
        .await;
}

#[tokio::test]
async fn an_account_with_an_authenticator_is_asked_for_its_code_after_the_provider() {
    let (app, _provider, alice) = spawn().await;
    let sign_in = SignIn {
        api: &app,
        login_field: "email",
        token_field: "token",
        device_cookie: "grmm_device",
    };
    site(&app)
        .the_second_factor_is_still_asked(&sign_in, &alice)
        .await;
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_by_sso_even_once_linked() {
    let (app, _provider, alice) = spawn().await;
    let site = site(&app);
    site.sign_in("alice").await;
    let me = app.get_checked("/api/auth/me", &alice).await.1;
    let id = me["id"].as_str().expect("id");
    let path = format!("/api/users/{id}/disable");
    let res = app
        .post(&path, &app.admin_token, serde_json::json!({}))
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    site.is_refused("alice", "account_disabled").await;
}

#[tokio::test]
async fn without_sso_configured_the_login_page_is_told_so() {
    let app = TestApp::spawn().await;
    let options = app.get_checked("/api/auth/sso", "").await.1;
    assert_eq!(options["enabled"], false);
    let mut browser = api_harness::oidc::Browser::new();
    let back = browser
        .follow(&format!("{}/api/auth/sso/start", app.base))
        .await;
    assert_eq!(back, "/login?sso_error=not_configured");
}

#[tokio::test]
async fn a_refused_person_can_sign_in_again_as_someone_else() {
    let (app, _provider, _) = spawn().await;
    site(&app)
        .a_refused_person_can_sign_in_again_as_someone_else()
        .await;
}

#[tokio::test]
async fn junk_answers_are_not_audited_and_their_address_waits() {
    let (app, _provider, _) = spawn().await;
    site(&app)
        .junk_answers_are_not_audited_and_their_address_waits(
            &app.admin_token,
            "/api/audit?action=sso_failed",
        )
        .await;
}
