//! Test support shared by both products: a client for a server under test that sends bearer
//! tokens and JSON, and holds each JSON answer to the OpenAPI document the server serves, so a
//! response that drifts from the document (the front ends' types are generated from it) fails
//! the test that saw it.

pub mod oidc;
pub mod raw_socket;
mod roles;
pub mod second_factor;

pub use roles::{admits, Admits};

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

/// Calls to one server under test.
pub struct Api {
    /// `http://127.0.0.1:<port>` or `https://localhost:<port>`.
    pub base: String,
    pub client: reqwest::Client,
    /// The server's OpenAPI document (made once per test binary).
    document: &'static Value,
}

impl Api {
    pub fn new(base: String, client: reqwest::Client, document: &'static Value) -> Self {
        Self {
            base,
            client,
            document,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends `method path` with `token` as the bearer (none when empty) and `body` as JSON.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.send(Method::DELETE, path, token, None).await
    }

    /// GET `path` and its JSON body, whatever the status, held to the document: a success, or
    /// an error the document describes, must be what it promises.
    pub async fn get_checked(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let res = self.get(path, token).await;
        let status = res.status();
        let body: Value = res.json().await.expect("json body");
        self.check("GET", path, status, &body);
        (status, body)
    }

    /// Panics when `body` differs from what the document promises for `method path` at
    /// `status`. An error status the document does not describe is not checked (the envelope
    /// of a route's unlisted failure), nor is the document itself.
    pub fn check(&self, method: &str, path: &str, status: StatusCode, body: &Value) {
        if path.ends_with("/openapi.json") {
            return;
        }
        let checked = server_kit::http::documented_response(
            self.document,
            method,
            path,
            status.as_u16(),
            body,
        );
        let Err(problems) = checked else { return };
        let undocumented_error = !status.is_success()
            && problems
                .iter()
                .all(|p| p.contains("no JSON response documented"));
        assert!(
            undocumented_error,
            "the response differs from the OpenAPI document:\n{problems:#?}\n{body:#}"
        );
    }

    /// Signs in with `credentials` at `/api/auth/login` and returns the `token_field` of the
    /// answer.
    pub async fn login(&self, credentials: Value, token_field: &str) -> String {
        let res = self.post("/api/auth/login", "", credentials).await;
        assert_eq!(res.status(), 200, "login refused");
        let body: Value = res.json().await.expect("json");
        body[token_field].as_str().expect("token").to_owned()
    }
}

impl Api {
    /// An attack on the sign-in throttle behind a trusted proxy: five wrong sign-ins, each
    /// claiming a new client address in `X-Forwarded-For` ahead of the one the proxy appends
    /// (198.51.100.7). `credentials(n)` is the body of attempt `n` (1 to 5). The statuses, in
    /// order: a server that counts the proxy's address, three failures allowed per address,
    /// answers 401, 401, 401, 429, 429.
    pub async fn login_with_spoofed_forwarded_for(
        &self,
        credentials: impl Fn(u32) -> Value,
    ) -> Vec<u16> {
        let mut statuses = Vec::new();
        for n in 1..=5 {
            let res = self
                .client
                .post(self.url("/api/auth/login"))
                .header("x-forwarded-for", format!("6.6.6.{n}, 198.51.100.7"))
                .json(&credentials(n))
                .send()
                .await
                .expect("login");
            statuses.push(res.status().as_u16());
        }
        statuses
    }
}

/// Sends the server's logs to the test's captured output (shown when a test fails); `RUST_LOG`
/// chooses what, `warn` by default. Only the first call in a test binary installs it.
pub fn capture_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn api() -> Api {
        static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
        let document = DOCUMENT.get_or_init(|| {
            json!({"paths": {"/api/things/{id}": {"get": {"responses": {"200": {"content": {
                "application/json": {"schema": {"type": "object", "required": ["id"],
                    "properties": {"id": {"type": "string"}}}}}}}}}}})
        });
        Api::new(
            "http://127.0.0.1:9".into(),
            reqwest::Client::new(),
            document,
        )
    }

    #[test]
    fn a_documented_answer_passes() {
        api().check("GET", "/api/things/7", StatusCode::OK, &json!({"id": "7"}));
    }

    #[test]
    #[should_panic(expected = "differs from the OpenAPI document")]
    fn an_answer_missing_a_required_field_fails() {
        api().check("GET", "/api/things/7", StatusCode::OK, &json!({}));
    }

    #[test]
    fn an_undocumented_error_is_not_checked() {
        api().check(
            "GET",
            "/api/things/7",
            StatusCode::NOT_FOUND,
            &json!({"x": 1}),
        );
    }

    #[test]
    #[should_panic(expected = "differs from the OpenAPI document")]
    fn an_undocumented_success_fails() {
        api().check("GET", "/api/other", StatusCode::OK, &json!({}));
    }
}
