//! A STAND-IN for GuruConnect, not GuruConnect: a small axum server on a loopback port that
//! plays GuruConnect's side of CONTRACT.md v1 (capabilities, integration-key auth and the error
//! envelope, per-machine keys, sessions with support codes, viewer tokens, end, the agent
//! release channel) plus a fake `/viewer` page that posts the embed lifecycle events. GuruRMM's
//! tests use it to exercise the HTTP calls without a dependency on any guruconnect crate. The
//! real two-server end-to-end test belongs to GuruConnect's side.

#![allow(dead_code)]
// Handlers answer early with a ready response; its size does not matter in a test stand-in.
#![allow(clippy::result_large_err)]

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One call the stand-in received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub body: Value,
    pub authorized: bool,
}

#[derive(Debug, Default)]
pub struct StandInState {
    pub integration_key: String,
    pub capabilities: Mutex<Value>,
    /// platform -> release JSON.
    pub releases: Mutex<HashMap<String, Value>>,
    pub calls: Mutex<Vec<Call>>,
    /// route name -> (status, error_code, detail): the next call of that route fails so.
    pub failures: Mutex<HashMap<String, (u16, String, String)>>,
    /// Keys minted, in order (plaintext, as GuruConnect hands them out once).
    pub minted: Mutex<Vec<String>>,
    /// session id -> session JSON.
    pub sessions: Mutex<HashMap<String, Value>>,
    /// Support codes handed out.
    pub codes: Mutex<Vec<String>>,
    /// Viewer tokens handed out.
    pub tokens: Mutex<Vec<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The capabilities GuruConnect 1.1.0 serves with everything on.
pub fn current_capabilities() -> Value {
    json!({"contract_version": "1.1.0", "features": {"embedded_viewer": true,
        "consent_prompt": true, "per_machine_keys": true, "programmatic_sessions": true}})
}

pub struct StandIn {
    pub base: String,
    pub state: Arc<StandInState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    pub async fn start(integration_key: &str) -> Self {
        Self::start_on("127.0.0.1:0", integration_key).await
    }

    pub async fn start_on(addr: &str, integration_key: &str) -> Self {
        let state = Arc::new(StandInState {
            integration_key: integration_key.to_owned(),
            capabilities: Mutex::new(current_capabilities()),
            ..StandInState::default()
        });
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind stand-in");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, state, task }
    }

    pub fn set_capabilities(&self, caps: Value) {
        *lock(&self.state.capabilities) = caps;
    }

    pub fn publish(&self, platform: &str, release: Value) {
        lock(&self.state.releases).insert(platform.to_owned(), release);
    }

    /// The next call of `route` (`keys`, `sessions`, `viewer_token`, `end`, `release`) fails.
    pub fn fail_next(&self, route: &str, status: u16, error_code: &str, detail: &str) {
        lock(&self.state.failures).insert(
            route.to_owned(),
            (status, error_code.to_owned(), detail.to_owned()),
        );
    }

    /// Changes fields of a session as GuruConnect would (its agent connected, the user
    /// declined, the relay refused the agent…).
    pub fn update_session(&self, id: &str, changes: Value) {
        let mut sessions = lock(&self.state.sessions);
        let session = sessions.get_mut(id).expect("a session the stand-in made");
        for (key, value) in changes.as_object().expect("an object") {
            session[key] = value.clone();
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        lock(&self.state.calls).clone()
    }

    pub fn calls_to(&self, suffix: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.path.ends_with(suffix) || c.path.contains(suffix))
            .collect()
    }

    pub fn minted(&self) -> Vec<String> {
        lock(&self.state.minted).clone()
    }

    pub fn codes(&self) -> Vec<String> {
        lock(&self.state.codes).clone()
    }

    pub fn tokens(&self) -> Vec<String> {
        lock(&self.state.tokens).clone()
    }
}

fn router(state: Arc<StandInState>) -> Router {
    Router::new()
        .route("/api/integration/capabilities", get(capabilities))
        .route("/api/integration/v1/capabilities", get(capabilities))
        .route("/api/integration/v1/agents/{agent_id}/keys", post(mint_key))
        .route("/api/integration/v1/sessions", post(create_session))
        .route(
            "/api/integration/v1/sessions/{id}/viewer-token",
            post(viewer_token),
        )
        .route("/api/integration/v1/sessions/{id}", get(session))
        .route("/api/integration/v1/sessions/{id}/end", post(end_session))
        .route(
            "/api/integration/v1/agent-releases/latest",
            get(latest_release),
        )
        .route("/viewer", get(viewer_page))
        .with_state(state)
}

fn envelope(status: u16, code: &str, detail: &str) -> Response {
    let correlation_id = format!("standin-{}", uuid::Uuid::new_v4());
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(
            json!({"detail": detail, "error_code": code, "status_code": status,
            "correlation_id": correlation_id}),
        ),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&correlation_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// Records the call, checks the integration key, applies an injected failure.
fn admit(
    state: &StandInState,
    headers: &HeaderMap,
    method: &'static str,
    path: String,
    route: &str,
    body: Value,
) -> Result<(), Response> {
    let presented = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let authorized = presented == Some(state.integration_key.as_str());
    lock(&state.calls).push(Call {
        method,
        path,
        body,
        authorized,
    });
    if !authorized {
        return Err(envelope(
            401,
            "unauthorized",
            "integration key missing or wrong",
        ));
    }
    if let Some((status, code, detail)) = lock(&state.failures).remove(route) {
        return Err(envelope(status, &code, &detail));
    }
    Ok(())
}

/// Refuses fields the contract does not name (GuruConnect answers 422).
fn only_fields(body: &Value, allowed: &[&str]) -> Result<(), Response> {
    if let Some(obj) = body.as_object() {
        if let Some(extra) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(envelope(
                422,
                "validation_failed",
                &format!("unknown field `{extra}`"),
            ));
        }
    }
    Ok(())
}

async fn capabilities(State(state): State<Arc<StandInState>>) -> Response {
    lock(&state.calls).push(Call {
        method: "GET",
        path: "/api/integration/v1/capabilities".into(),
        body: Value::Null,
        authorized: true,
    });
    axum::Json(lock(&state.capabilities).clone()).into_response()
}

fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

async fn mint_key(
    State(state): State<Arc<StandInState>>,
    Path(agent_id): Path<String>,
    headers: HeaderMap,
    body: Option<axum::Json<Value>>,
) -> Response {
    let body = body.map(|b| b.0).unwrap_or(Value::Null);
    let path = format!("/api/integration/v1/agents/{agent_id}/keys");
    if let Err(r) = admit(&state, &headers, "POST", path, "keys", body.clone()) {
        return r;
    }
    if let Err(r) = only_fields(&body, &["label"]) {
        return r;
    }
    let key = random_token("gcak_");
    lock(&state.minted).push(key.clone());
    (
        StatusCode::CREATED,
        axum::Json(json!({"key": key, "id": uuid::Uuid::new_v4().to_string(),
            "agent_id": agent_id, "key_prefix": &key[..9], "label": body["label"],
            "created_by": "integration", "created_at": "2026-01-01T00:00:00Z"})),
    )
        .into_response()
}

async fn create_session(
    State(state): State<Arc<StandInState>>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let path = "/api/integration/v1/sessions".to_owned();
    if let Err(r) = admit(&state, &headers, "POST", path, "sessions", body.clone()) {
        return r;
    }
    if let Err(r) = only_fields(&body, &["agent_id", "mode", "technician_name", "reason"]) {
        return r;
    }
    let agent_id = body["agent_id"].as_str().unwrap_or_default().to_owned();
    let mode = body["mode"].as_str().unwrap_or_default().to_owned();
    if mode != "unattended" && mode != "attended" {
        return envelope(
            422,
            "validation_failed",
            &format!("mode must be `unattended` or `attended`, not `{mode}`"),
        );
    }
    let mut sessions = lock(&state.sessions);
    if mode == "unattended" {
        // The machine's one live session.
        if let Some(existing) = sessions.values().find(|s| {
            s["agent_id"] == agent_id.as_str()
                && s["mode"] == "unattended"
                && s["status"] != "ended"
        }) {
            let mut out = existing.clone();
            out["support_code"] = Value::Null;
            out["support_code_expires_at"] = Value::Null;
            return (StatusCode::CREATED, axum::Json(out)).into_response();
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let session = json!({"id": id, "agent_id": agent_id, "mode": mode, "is_managed": true,
        "source": "gururmm", "status": "waiting", "created_by": "integration",
        "created_at": "2026-01-01T00:00:00Z", "started_at": null, "ended_at": null,
        "end_reason": null, "bytes_from_agent": 0, "bytes_to_agent": 0,
        "agent_online": false, "viewers": 0});
    sessions.insert(id.clone(), session.clone());
    let mut out = session;
    if mode == "attended" {
        let code = format!("{:06}", rand_code());
        lock(&state.codes).push(code.clone());
        out["support_code"] = json!(code);
        out["support_code_expires_at"] = json!("2026-01-01T00:10:00Z");
    } else {
        out["support_code"] = Value::Null;
        out["support_code_expires_at"] = Value::Null;
    }
    (StatusCode::CREATED, axum::Json(out)).into_response()
}

fn rand_code() -> u32 {
    let n = uuid::Uuid::new_v4().as_u128();
    u32::try_from(n % 1_000_000).unwrap_or(0)
}

async fn viewer_token(
    State(state): State<Arc<StandInState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Option<axum::Json<Value>>,
) -> Response {
    let body = body.map(|b| b.0).unwrap_or(Value::Null);
    let path = format!("/api/integration/v1/sessions/{id}/viewer-token");
    if let Err(r) = admit(&state, &headers, "POST", path, "viewer_token", body.clone()) {
        return r;
    }
    if let Err(r) = only_fields(&body, &["technician_name", "technician_id"]) {
        return r;
    }
    match lock(&state.sessions).get(&id) {
        None => return envelope(404, "not_found", "session not found"),
        Some(s) if s["status"] == "ended" => {
            return envelope(409, "conflict", "the session has ended")
        }
        Some(_) => {}
    }
    let token = random_token("vt.");
    lock(&state.tokens).push(token.clone());
    (
        StatusCode::CREATED,
        axum::Json(
            json!({"token": token, "session_id": id, "expires_at": 1_900_000_000u64,
            "ws_path": "/ws/viewer"}),
        ),
    )
        .into_response()
}

async fn session(
    State(state): State<Arc<StandInState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/api/integration/v1/sessions/{id}");
    if let Err(r) = admit(&state, &headers, "GET", path, "session", Value::Null) {
        return r;
    }
    match lock(&state.sessions).get(&id) {
        None => envelope(404, "not_found", "session not found"),
        Some(s) => (StatusCode::OK, axum::Json(s.clone())).into_response(),
    }
}

async fn end_session(
    State(state): State<Arc<StandInState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/api/integration/v1/sessions/{id}/end");
    if let Err(r) = admit(&state, &headers, "POST", path, "end", Value::Null) {
        return r;
    }
    let mut sessions = lock(&state.sessions);
    match sessions.get_mut(&id) {
        None => envelope(404, "not_found", "session not found"),
        Some(s) if s["status"] == "ended" => envelope(409, "conflict", "already ended"),
        Some(s) => {
            s["status"] = json!("ended");
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

async fn latest_release(
    State(state): State<Arc<StandInState>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let platform = q.get("platform").cloned().unwrap_or_default();
    let path = format!("/api/integration/v1/agent-releases/latest?platform={platform}");
    if let Err(r) = admit(&state, &headers, "GET", path, "release", Value::Null) {
        return r;
    }
    match lock(&state.releases).get(&platform) {
        Some(release) => axum::Json(release.clone()).into_response(),
        None => envelope(
            404,
            "not_found",
            &format!("no release published for {platform}"),
        ),
    }
}

/// A FAKE viewer page (not GuruConnect's viewer): it reads the fragment and posts the embed
/// lifecycle events to the `parent` origin, as CONTRACT.md "Viewer embed protocol" describes:
/// ready, connected, resize, then — when the host sends `viewer:disconnect` — disconnected
/// (final). `?fake=refuse` makes it report a refused token instead.
async fn viewer_page() -> Html<&'static str> {
    Html(
        r#"<!doctype html><html><head><title>Stand-in viewer</title></head>
<body style="margin:0;background:#123"><p id="status" style="color:#fff">stand-in viewer</p>
<script>
const params = new URLSearchParams(location.search);
const parent_origin = params.get("parent");
const frag = new URLSearchParams(location.hash.slice(1));
const session = frag.get("session");
history.replaceState(null, "", location.pathname + location.search);
const post = (m) => window.parent.postMessage(Object.assign({ v: 1 }, m), parent_origin);
window.addEventListener("message", (e) => {
  if (e.origin !== parent_origin || e.source !== window.parent) return;
  if (e.data && e.data.type === "viewer:disconnect") {
    post({ type: "viewer:disconnected", reason: "technician disconnected", final: true });
  }
});
post({ type: "viewer:ready" });
if (params.get("fake") === "refuse") {
  post({ type: "viewer:disconnected", reason: "viewer token refused", final: true });
} else {
  setTimeout(() => {
    post({ type: "viewer:connected", session_id: session, hostname: "standin-host" });
    post({ type: "viewer:resize", width: 1280, height: 720 });
    document.getElementById("status").textContent = "connected " + session;
  }, 50);
}
</script></body></html>"#,
    )
}
