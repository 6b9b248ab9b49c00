//! Single sign-on scenarios both servers run against themselves and a real provider whose
//! people are [`PEOPLE`]: the account `alice@example.com` must exist on the server (and no
//! account for `nobody@example.com`).

use super::{Browser, Person};
use crate::second_factor::{steady_clock, SignIn};
use crate::Api;
use serde_json::{json, Value};

/// Alice, whose verified address is an account; Mallory, who claims Alice's address without
/// the provider vouching for it; Nobody, verified but with no account.
pub const PEOPLE: &[Person] = &[
    Person {
        login: "alice",
        email: "alice@example.com",
        email_verified: true,
    },
    Person {
        login: "mallory",
        email: "alice@example.com",
        email_verified: false,
    },
    Person {
        login: "nobody",
        email: "nobody@example.com",
        email_verified: true,
    },
];

/// One server, as the scenarios see it.
pub struct Site<'a> {
    pub api: &'a Api,
    /// Where the sign-in form is: `/` or `/login`.
    pub login_page: &'static str,
    /// The token's field in a sign-in's answer.
    pub token_field: &'static str,
    /// The login name field of `/api/auth/me`.
    pub name_field: &'static str,
}

impl Site<'_> {
    fn finished(&self) -> String {
        format!("{}?sso=finish", self.login_page)
    }

    fn refused(&self, reason: &str) -> String {
        format!("{}?sso_error={reason}", self.login_page)
    }

    /// Signs in as `login` at the provider and finishes; the token.
    pub async fn sign_in(&self, login: &str) -> String {
        let mut browser = Browser::new();
        let back = browser.single_sign_on(&self.api.base, login).await;
        assert_eq!(back, self.finished());
        let (status, body) = browser.finish(&self.api.base, json!({})).await;
        assert_eq!(status, 200, "{body}");
        body[self.token_field].as_str().expect("token").to_owned()
    }

    /// A verified address that is an account signs in, is linked, and signs in again.
    pub async fn a_vouched_address_signs_in_as_its_account(&self) {
        for _ in 0..2 {
            let token = self.sign_in("alice").await;
            let me: Value = self
                .api
                .get("/api/auth/me", &token)
                .await
                .json()
                .await
                .expect("answer");
            assert_eq!(me[self.name_field], "alice@example.com");
        }
    }

    /// Nobody becomes Alice by claiming her address unverified, and a verified address with no
    /// account gets none: both go back to the login page with the reason, and no ticket.
    pub async fn unvouched_and_unknown_addresses_are_refused(&self) {
        for login in ["mallory", "nobody"] {
            self.is_refused(login, "no_account").await;
        }
    }

    /// `login`'s single sign-on ends on the login page with `reason` and no ticket.
    pub async fn is_refused(&self, login: &str, reason: &str) {
        let mut browser = Browser::new();
        let back = browser.single_sign_on(&self.api.base, login).await;
        assert_eq!(back, self.refused(reason), "{login}");
        let (status, body) = browser.finish(&self.api.base, json!({})).await;
        assert_eq!(
            (status.as_u16(), &body["error_code"]),
            (401, &json!("sso_ticket_invalid"))
        );
    }

    /// Someone refused because the provider signed them in as the wrong account can ask it to
    /// sign in again: without asking, the provider answers for the remembered person at once.
    pub async fn a_refused_person_can_sign_in_again_as_someone_else(&self) {
        let base = &self.api.base;
        let mut browser = Browser::new();
        let back = browser.single_sign_on(base, "nobody").await;
        assert_eq!(back, self.refused("no_account"));
        let at_provider = browser.follow(&format!("{base}/api/auth/sso/start")).await;
        let answered = browser.follow(&at_provider).await;
        assert!(answered.starts_with(base.as_str()), "no form: {answered}");
        assert_eq!(browser.follow(&answered).await, self.refused("no_account"));
        let start = "/api/auth/sso/start?sign_in_again=true";
        let callback = browser.to_callback_from(base, start, "alice").await;
        assert_eq!(browser.follow(&callback).await, self.finished());
        assert_eq!(browser.finish(base, json!({})).await.0, 200);
    }

    /// Answers nobody started (junk sent straight to the callback) are refused without a row
    /// in the audit log, and past the per-address budget the address waits. `audit` is the
    /// admin's audit-log query for `sso_failed`.
    pub async fn junk_answers_are_not_audited_and_their_address_waits(
        &self,
        admin_token: &str,
        audit: &str,
    ) {
        let base = &self.api.base;
        let mut browser = Browser::new();
        let budget = server_kit::sso::FAILURES_PER_ADDRESS;
        for n in 0..budget + 2 {
            let junk = format!("{base}/api/auth/sso/callback?code=junk{n}&state=junk{n}");
            let back = browser.follow(&junk).await;
            let expected = if n < budget {
                "not_started"
            } else {
                "too_many_attempts"
            };
            assert_eq!(back, self.refused(expected), "answer {n}");
        }
        let (status, page) = self.api.get_checked(audit, admin_token).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["items"], json!([]), "junk is not audited");
    }

    /// The ticket signs in once, only from the console's own pages, only in the browser that
    /// holds it.
    pub async fn a_ticket_signs_in_once(&self) {
        let mut browser = Browser::new();
        assert_eq!(
            browser.single_sign_on(&self.api.base, "alice").await,
            self.finished()
        );
        let url = format!("{}/api/auth/sso/finish", self.api.base);
        let cross_site = browser
            .request(reqwest::Method::POST, &url)
            .header("sec-fetch-site", "cross-site")
            .json(&json!({}))
            .send()
            .await
            .expect("answer");
        assert_eq!(cross_site.status(), 403);
        let (status, body) = Browser::new().finish(&self.api.base, json!({})).await;
        assert_eq!(
            (status.as_u16(), &body["error_code"]),
            (401, &json!("sso_ticket_invalid"))
        );
        assert_eq!(browser.finish(&self.api.base, json!({})).await.0, 200);
        let (status, body) = browser.finish(&self.api.base, json!({})).await;
        assert_eq!(
            (status.as_u16(), &body["error_code"]),
            (401, &json!("sso_ticket_invalid"))
        );
    }

    /// Login CSRF: an attacker's own sign-in, its callback URL followed by a victim's browser,
    /// does not sign the victim in as the attacker.
    pub async fn a_callback_this_browser_did_not_start_is_refused(&self) {
        let callback = Browser::new().to_callback(&self.api.base, "alice").await;
        let mut victim = Browser::new();
        assert_eq!(victim.follow(&callback).await, self.refused("not_started"));
        assert_eq!(victim.finish(&self.api.base, json!({})).await.0, 401);
    }

    /// An account with an authenticator is asked for its code after the provider, as after
    /// a password; a wrong code does not spend the ticket, the right one signs in.
    pub async fn the_second_factor_is_still_asked(&self, sign_in: &SignIn<'_>, token: &str) {
        steady_clock().await;
        let (phone, _) = sign_in.enrol(token).await;
        // The enrolment spent the previous step's code.
        let (right, wrong) = (phone.code(0), phone.wrong_code());
        let mut browser = Browser::new();
        assert_eq!(
            browser.single_sign_on(&self.api.base, "alice").await,
            self.finished()
        );
        let (status, body) = browser.finish(&self.api.base, json!({})).await;
        assert_eq!(
            (status.as_u16(), &body["error_code"]),
            (401, &json!("second_factor_required"))
        );
        let (status, body) = browser.finish(&self.api.base, json!({"code": wrong})).await;
        assert_eq!(status, 401, "{body}");
        let (status, body) = browser.finish(&self.api.base, json!({"code": right})).await;
        assert_eq!(status, 200, "{body}");
    }
}
