//! Two-factor sign-in against the real server: the scenarios are api-harness's, shared with
//! GuruConnect; this file gives them GuruRMM's sign-in and accounts.

use crate::helpers::*;
use api_harness::second_factor::SignIn;

const PASSWORD: &str = "a long enough password";

fn sign_in(app: &TestApp) -> SignIn<'_> {
    SignIn {
        api: app,
        login_field: "email",
        token_field: "token",
        device_cookie: "grmm_device",
    }
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let me = app.get_checked("/api/auth/me", token).await.1;
    me["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_sign_in_needs_the_authenticator_code_and_each_code_signs_in_once() {
    let app = TestApp::spawn().await;
    let token = app.technician_token("ana@example.com").await;
    sign_in(&app)
        .codes_sign_in_once_each("ana@example.com", PASSWORD, &token)
        .await;
}

#[tokio::test]
async fn guessing_codes_with_the_right_password_is_throttled() {
    let app = TestApp::spawn().await;
    let token = app.technician_token("guessed@example.com").await;
    sign_in(&app)
        .guessing_codes_is_throttled("guessed@example.com", PASSWORD, &token)
        .await;
}

#[tokio::test]
async fn guesses_sent_all_at_once_get_no_more_tries_than_the_budget() {
    let app = TestApp::spawn().await;
    let token = app.technician_token("burst@example.com").await;
    let budget = server_kit::second_factor::CODE_FAILURES as usize;
    sign_in(&app)
        .a_burst_of_guesses_gets_no_more_than_the_budget(
            "burst@example.com",
            PASSWORD,
            &token,
            budget,
        )
        .await;
}

#[tokio::test]
async fn a_remembered_browser_signs_in_without_a_code_for_its_user_only() {
    let app = TestApp::spawn().await;
    let token = app.technician_token("ben@example.com").await;
    let other = app.technician_token("cyd@example.com").await;
    sign_in(&app)
        .a_remembered_browser_skips_the_code(
            ("ben@example.com", PASSWORD, &token),
            ("cyd@example.com", &other),
        )
        .await;
}

#[tokio::test]
async fn a_role_that_must_use_a_second_factor_can_only_set_it_up_until_it_has() {
    let app = TestApp::spawn_with(|c| c.second_factor_roles = vec!["technician".into()]).await;
    let token = app.technician_token("dee@example.com").await;
    sign_in(&app)
        .a_required_role_sets_up_first(&token, "/api/agents")
        .await;
    assert_eq!(app.get("/api/agents", &app.admin_token).await.status(), 200);
}

#[tokio::test]
async fn an_admin_resets_a_lost_authenticator_and_a_technician_cannot() {
    let app = TestApp::spawn().await;
    let token = app.technician_token("eve@example.com").await;
    let technician = app.technician_token("fay@example.com").await;
    let id = user_id(&app, &token).await;
    sign_in(&app)
        .an_admin_resets_a_lost_authenticator(
            &app.admin_token,
            ("eve@example.com", PASSWORD, &token, &id),
            &technician,
        )
        .await;
}

#[test]
fn an_unknown_role_in_the_policy_stops_the_server_with_its_name() {
    let config = gururmm_server::config::Config {
        second_factor_roles: vec!["owner".into()],
        ..Default::default()
    };
    let err = config.validate().expect_err("not a role");
    assert!(err.to_string().contains("`owner` is not a role"), "{err}");
}

#[tokio::test]
async fn the_command_line_turns_off_a_second_factor_when_no_admin_can() {
    let app = TestApp::spawn().await;
    let token = app.technician_token("gil@example.com").await;
    let data_dir = app.state().config.data_dir.clone();
    let database = app.state().config.database_url.clone();
    let reset = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gururmm-server"));
        command
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["admin", "reset-second-factor", "--email", "gil@example.com"])
            .env("RUST_LOG", "warn");
        if let Some(url) = &database {
            command.env("GURURMM_DATABASE_URL", url.expose());
        }
        let output = command.output().expect("run gururmm-server");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    sign_in(&app)
        .the_command_line_resets_a_lost_authenticator(("gil@example.com", PASSWORD, &token), reset)
        .await;
}

#[tokio::test]
async fn a_wrong_code_on_the_security_page_is_audited() {
    let app = TestApp::spawn().await;
    let token = app.technician_token("hal@example.com").await;
    sign_in(&app)
        .a_wrong_code_on_the_security_page_is_audited(
            &token,
            &app.admin_token,
            "/api/audit?action=second_factor_failed",
        )
        .await;
}

#[tokio::test]
async fn only_a_recent_sign_in_sets_up_an_authenticator() {
    let app = TestApp::spawn().await;
    let token = app.technician_token("ivy@example.com").await;
    let id = user_id(&app, &token).await;
    let limit_ms = server_kit::second_factor::RECENT_SIGN_IN_SECS as i64 * 1000;
    sqlx::query("UPDATE sign_ins SET created_at = created_at - $1 WHERE user_id = $2")
        .bind(limit_ms + 60_000)
        .bind(&id)
        .execute(&app.state().db.pool)
        .await
        .expect("age the sign-in");
    sign_in(&app)
        .a_setup_needs_a_recent_sign_in("ivy@example.com", PASSWORD, &token)
        .await;
}
