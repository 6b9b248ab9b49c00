//! Two-factor sign-in as a user and an attacker meet it, written once for both servers (their
//! routes are the same; only the sign-in's field names differ): an authenticator app that
//! computes real codes from the secret the server hands out, and the scenarios each product
//! runs against itself.

use crate::Api;
use reqwest::Response;
use serde_json::{json, Value};
use server_kit::jwt::now_secs;
use server_kit::second_factor::totp::STEP_SECS;
use server_kit::second_factor::TotpSecret;

/// The phone: computes codes from the secret it was given.
pub struct Authenticator {
    secret: TotpSecret,
}

impl Authenticator {
    /// A code that is not the current one: each digit of it moved by one.
    pub fn wrong_code(&self) -> String {
        self.code(0)
            .chars()
            .map(|c| char::from(b'0' + (c as u8 - b'0' + 1) % 10))
            .collect()
    }

    /// The code `steps` steps from now (-1: the one before, accepted for clock drift).
    pub fn code(&self, steps: i64) -> String {
        let shifted = now_secs().saturating_add_signed(steps * STEP_SECS as i64);
        self.secret.code_at(shifted)
    }
}

/// Waits, when fewer than ten seconds of the current 30-second step are left, for the next one:
/// a scenario that uses the codes of neighbouring steps must not see the step turn over.
pub async fn steady_clock() {
    let into_step = now_secs() % STEP_SECS;
    if into_step + 10 > STEP_SECS {
        let left = STEP_SECS - into_step;
        tokio::time::sleep(std::time::Duration::from_secs(left + 1)).await;
    }
}

/// One server's sign-in, as the scenarios drive it.
pub struct SignIn<'a> {
    pub api: &'a Api,
    /// `username` or `email`.
    pub login_field: &'static str,
    /// The token's field in the sign-in's answer.
    pub token_field: &'static str,
    /// The remembered-browser cookie's name.
    pub device_cookie: &'static str,
}

/// The `error_code` of a JSON error answer.
pub async fn error_code(res: Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body["error_code"].as_str().unwrap_or("").to_owned())
}

impl SignIn<'_> {
    /// Signs in with `code` (when given) and `cookie` (a `name=value` pair, when given).
    pub async fn attempt(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
        remember: bool,
        cookie: Option<&str>,
    ) -> Response {
        let mut body = json!({self.login_field: login, "password": password,
                              "remember_device": remember});
        if let Some(code) = code {
            body["code"] = json!(code);
        }
        let mut request = self
            .api
            .client
            .post(self.api.url("/api/auth/login"))
            .json(&body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("sign-in request")
    }

    /// A token from a sign-in that must succeed.
    pub async fn token(&self, res: Response) -> String {
        assert_eq!(res.status(), 200, "sign-in refused");
        let body: Value = res.json().await.expect("json");
        body[self.token_field].as_str().expect("token").to_owned()
    }

    /// Sets up an authenticator for the holder of `token`: the phone and the recovery codes.
    pub async fn enrol(&self, token: &str) -> (Authenticator, Vec<String>) {
        let res = self
            .api
            .post("/api/auth/second-factor/setup", token, json!({}))
            .await;
        assert_eq!(res.status(), 200, "setup");
        let setup: Value = res.json().await.expect("json");
        let secret = setup["secret"].as_str().expect("secret");
        let uri = setup["otpauth_uri"].as_str().expect("uri");
        assert!(
            uri.starts_with("otpauth://totp/") && uri.contains(secret),
            "{uri}"
        );
        let phone = Authenticator {
            secret: TotpSecret::from_base32(secret).expect("base32 secret"),
        };
        let res = self
            .api
            .post(
                "/api/auth/second-factor/confirm",
                token,
                json!({"code": phone.code(-1)}),
            )
            .await;
        assert_eq!(res.status(), 200, "confirm");
        let body: Value = res.json().await.expect("json");
        let codes = body["recovery_codes"].as_array().expect("codes");
        let codes = codes
            .iter()
            .map(|c| c.as_str().expect("code").to_owned())
            .collect();
        (phone, codes)
    }

    /// With an authenticator set up, a sign-in needs its code — each code once — or a recovery
    /// code, each once; a wrong password never learns that a code is asked for.
    pub async fn codes_sign_in_once_each(&self, login: &str, password: &str, token: &str) {
        steady_clock().await;
        let me = self.api.get_checked("/api/auth/me", token).await.1;
        assert_eq!(me["second_factor"], false, "{me}");
        // A wrong code while setting up is refused as such (422), and the sign-in stands.
        let res = self
            .api
            .post("/api/auth/second-factor/setup", token, json!({}))
            .await;
        assert_eq!(res.status(), 200);
        let wrong_setup = self
            .api
            .post(
                "/api/auth/second-factor/confirm",
                token,
                json!({"code": "12345x"}),
            )
            .await;
        assert_eq!(
            error_code(wrong_setup).await,
            (422, "second_factor_invalid".into())
        );
        assert_eq!(
            self.api.get("/api/auth/me", token).await.status(),
            200,
            "still signed in"
        );
        let (phone, recovery) = self.enrol(token).await;
        let me = self.api.get_checked("/api/auth/me", token).await.1;
        assert_eq!(me["second_factor"], true, "the account shows it: {me}");
        let sign_in = |code: Option<String>| async move {
            error_code(
                self.attempt(login, password, code.as_deref(), false, None)
                    .await,
            )
            .await
        };
        let no_code = sign_in(None).await;
        assert_eq!(no_code, (401, "second_factor_required".into()));
        let wrong_password = self
            .attempt(login, "not the password", None, false, None)
            .await;
        assert_eq!(
            error_code(wrong_password).await,
            (401, "invalid_credentials".into())
        );
        let wrong = wrong_code(&phone);
        assert_eq!(
            sign_in(Some(wrong)).await,
            (401, "second_factor_invalid".into())
        );
        assert_eq!(sign_in(Some(phone.code(0))).await.0, 200);
        assert_eq!(
            sign_in(Some(phone.code(0))).await,
            (401, "second_factor_invalid".into()),
            "a code replayed"
        );
        assert_eq!(
            sign_in(Some(phone.code(-1))).await.0,
            401,
            "an older code after a newer"
        );
        assert_eq!(sign_in(Some(recovery[0].to_uppercase())).await.0, 200);
        assert_eq!(
            sign_in(Some(recovery[0].clone())).await.0,
            401,
            "a recovery code reused"
        );
        let status = self
            .api
            .get_checked("/api/auth/second-factor", token)
            .await
            .1;
        assert_eq!(status["enabled"], true);
        assert_eq!(status["recovery_codes_left"], 9);
    }

    /// Wrong codes count against the sign-in throttle as wrong passwords do: guessing codes
    /// with the right password ends in 429, and then even the right code waits.
    pub async fn guessing_codes_is_throttled(&self, login: &str, password: &str, token: &str) {
        steady_clock().await;
        let (phone, _) = self.enrol(token).await;
        let wrong = wrong_code(&phone);
        let mut statuses = Vec::new();
        for _ in 0..40 {
            let res = self
                .attempt(login, password, Some(&wrong), false, None)
                .await;
            statuses.push(res.status().as_u16());
            if res.status() == 429 {
                break;
            }
        }
        assert_eq!(statuses.last(), Some(&429), "never throttled: {statuses:?}");
        assert!(statuses.len() > 1 && statuses[..statuses.len() - 1].iter().all(|s| *s == 401));
        let right = self
            .attempt(login, password, Some(&phone.code(0)), false, None)
            .await;
        assert_eq!(
            right.status(),
            429,
            "the throttle holds for the right code too"
        );
    }

    /// Guesses sent all at once are checked one at a time and each against the throttle, so a
    /// burst gets no more tries than the budget: at most `budget` are told the code is wrong,
    /// the rest wait (429).
    pub async fn a_burst_of_guesses_gets_no_more_than_the_budget(
        &self,
        login: &str,
        password: &str,
        token: &str,
        budget: usize,
    ) {
        steady_clock().await;
        let (phone, _) = self.enrol(token).await;
        let wrong = wrong_code(&phone);
        let burst = (0..40).map(|_| self.attempt(login, password, Some(&wrong), false, None));
        let answers = futures_util::future::join_all(burst).await;
        let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
        let wrong_told = statuses.iter().filter(|s| **s == 401).count();
        assert!(
            wrong_told <= budget,
            "{wrong_told} guesses checked of a budget of {budget}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 401 || *s == 429),
            "{statuses:?}"
        );
    }

    /// A browser remembered after a good code signs in without one, for its user only, until
    /// the user turns two-factor sign-in off.
    pub async fn a_remembered_browser_skips_the_code(
        &self,
        (login, password, token): (&str, &str, &str),
        (other_login, other_token): (&str, &str),
    ) {
        steady_clock().await;
        let (phone, _) = self.enrol(token).await;
        let res = self
            .attempt(login, password, Some(&phone.code(0)), true, None)
            .await;
        let cookie = self.device_cookie_of(&res);
        assert_eq!(res.status(), 200);
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/auth/login"] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        let pair = cookie.split(';').next().expect("pair").to_owned();
        let again = self
            .attempt(login, password, None, false, Some(&pair))
            .await;
        assert_eq!(again.status(), 200, "remembered");
        let forged = format!("{}=made-up", self.device_cookie);
        let res = self
            .attempt(login, password, None, false, Some(&forged))
            .await;
        assert_eq!(error_code(res).await.1, "second_factor_required");
        let (other_phone, _) = self.enrol(other_token).await;
        let res = self
            .attempt(other_login, password, None, false, Some(&pair))
            .await;
        assert_eq!(
            error_code(res).await.1,
            "second_factor_required",
            "another user's browser"
        );
        drop(other_phone);
        let off = self
            .api
            .post(
                "/api/auth/second-factor/off",
                token,
                json!({"code": phone.code(1)}),
            )
            .await;
        assert_eq!(off.status(), 204, "off with a current code");
        self.enrol(token).await;
        let res = self
            .attempt(login, password, None, false, Some(&pair))
            .await;
        assert_eq!(
            error_code(res).await.1,
            "second_factor_required",
            "forgotten when turned off"
        );
    }

    /// Under a policy requiring a second factor of the user's role, the user's token opens
    /// only the sign-in's own routes until an authenticator is set up; then everything, and it
    /// cannot be turned off. `guarded` is a route the role may otherwise read.
    pub async fn a_required_role_sets_up_first(&self, token: &str, guarded: &str) {
        steady_clock().await;
        let (status, code) = error_code(self.api.get(guarded, token).await).await;
        assert_eq!(
            (status, code.as_str()),
            (403, "second_factor_setup_required")
        );
        assert_eq!(self.api.get("/api/auth/me", token).await.status(), 200);
        let state = self
            .api
            .get_checked("/api/auth/second-factor", token)
            .await
            .1;
        assert_eq!(
            (state["required"].clone(), state["enabled"].clone()),
            (json!(true), json!(false))
        );
        let (phone, _) = self.enrol(token).await;
        assert_eq!(
            self.api.get(guarded, token).await.status(),
            200,
            "set up: allowed"
        );
        let off = self
            .api
            .post(
                "/api/auth/second-factor/off",
                token,
                json!({"code": phone.code(0)}),
            )
            .await;
        assert_eq!(
            error_code(off).await,
            (403, "second_factor_required_by_policy".into())
        );
    }

    /// An admin resets the second factor of a user who lost their phone; the user signs in
    /// with the password alone again. A technician cannot reset anyone's.
    pub async fn an_admin_resets_a_lost_authenticator(
        &self,
        admin_token: &str,
        (login, password, token, user_id): (&str, &str, &str, &str),
        technician_token: &str,
    ) {
        let me = self.api.get_checked("/api/auth/me", admin_token).await.1;
        let own = format!(
            "/api/users/{}/second-factor/reset",
            me["id"].as_str().expect("id")
        );
        let res = self.api.post(&own, admin_token, json!({})).await;
        assert_eq!(
            error_code(res).await,
            (409, "conflict".into()),
            "an admin's own second factor takes a code to remove"
        );
        let path = format!("/api/users/{user_id}/second-factor/reset");
        let res = self.api.post(&path, admin_token, json!({})).await;
        assert_eq!(
            error_code(res).await,
            (409, "second_factor_off".into()),
            "nothing to reset"
        );
        self.enrol(token).await;
        let res = self.api.post(&path, technician_token, json!({})).await;
        assert_eq!(res.status(), 403, "a technician cannot reset");
        let res = self.attempt(login, password, None, false, None).await;
        assert_eq!(error_code(res).await.1, "second_factor_required");
        assert_eq!(
            self.api.post(&path, admin_token, json!({})).await.status(),
            204
        );
        let res = self.attempt(login, password, None, false, None).await;
        assert_eq!(res.status(), 200, "password alone again");
    }

    fn device_cookie_of(&self, res: &Response) -> String {
        let prefix = format!("{}=", self.device_cookie);
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&prefix))
            .unwrap_or_else(|| panic!("a Set-Cookie for {}", self.device_cookie))
            .to_owned()
    }
}

/// Six digits that are none of the codes accepted now.
fn wrong_code(phone: &Authenticator) -> String {
    let accepted = [phone.code(-1), phone.code(0), phone.code(1)];
    (0..4u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !accepted.contains(c))
        .expect("four candidates, three accepted codes")
}

impl SignIn<'_> {
    /// The server's command line turns off `login`'s second factor (an admin's last resort):
    /// the password alone signs in after, and a second run says there is nothing to reset.
    /// `reset` runs `admin reset-second-factor` for `login`: (success, stdout, stderr).
    pub async fn the_command_line_resets_a_lost_authenticator(
        &self,
        (login, password, token): (&str, &str, &str),
        reset: impl Fn() -> (bool, String, String),
    ) {
        self.enrol(token).await;
        let (status, code) =
            error_code(self.attempt(login, password, None, false, None).await).await;
        assert_eq!((status, code.as_str()), (401, "second_factor_required"));
        let (ok, out, err) = reset();
        assert!(ok, "{out}{err}");
        assert!(out.contains("turned off"), "{out}");
        let res = self.attempt(login, password, None, false, None).await;
        assert_eq!(res.status(), 200, "the password alone signs in");
        let (ok, _, err) = reset();
        assert!(!ok && err.contains("has no two-factor sign-in"), "{err}");
    }

    /// A wrong code on the Security page (here: turning it off) is refused and audited, as one
    /// at sign-in is; `audit` is the admin's audit-log query for `second_factor_failed`.
    pub async fn a_wrong_code_on_the_security_page_is_audited(
        &self,
        token: &str,
        admin_token: &str,
        audit: &str,
    ) {
        let (phone, _) = self.enrol(token).await;
        let wrong = phone.wrong_code();
        let before = self.audited(admin_token, audit).await;
        let res = self
            .api
            .post("/api/auth/second-factor/off", token, json!({"code": wrong}))
            .await;
        assert_eq!(error_code(res).await.0, 422);
        assert_eq!(self.audited(admin_token, audit).await, before + 1);
    }

    async fn audited(&self, admin_token: &str, audit: &str) -> usize {
        let (status, page) = self.api.get_checked(audit, admin_token).await;
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().expect("items").len()
    }

    /// An authenticator can be set up only from a recent sign-in: `old` is a token whose
    /// sign-in the caller has made older than the kit's limit (refreshing does not make it
    /// younger); a fresh sign-in with the password sets up.
    pub async fn a_setup_needs_a_recent_sign_in(&self, login: &str, password: &str, old: &str) {
        let res = self
            .api
            .post("/api/auth/second-factor/setup", old, json!({}))
            .await;
        assert_eq!(
            error_code(res).await,
            (403, "recent_sign_in_required".to_owned())
        );
        let fresh = self
            .token(self.attempt(login, password, None, false, None).await)
            .await;
        let res = self
            .api
            .post("/api/auth/second-factor/setup", &fresh, json!({}))
            .await;
        assert_eq!(res.status(), 200, "a fresh sign-in sets up");
    }
}
