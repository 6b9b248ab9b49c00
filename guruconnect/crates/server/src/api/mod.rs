//! The HTTP surface, assembled in one place. Each handler names its single authentication
//! mechanism in its signature (`Technician`, `Admin`, or nothing for public routes) and in its
//! OpenAPI `security`; the sockets authenticate inside their first message.

mod audit;
mod auth;
mod codes;
pub mod dto;
pub mod integration;
mod keys;
mod machines;
mod meta;
mod refresh_cookie;
mod releases;
mod second_factor;
mod sessions;
mod sso;
mod users;

pub use users::valid_username;

use crate::app::AppState;
use crate::http::error::ApiError;
use crate::relay;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "GuruConnect API", description = "Remote support relay: technicians, machines, sessions, support codes."),
    modifiers(&BearerScheme),
    components(schemas(crate::http::error::ErrorEnvelope))
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let integration = "The integration key (integration_key / CONNECT_INTEGRATION_KEY)";
        server_kit::http::add_bearer_schemes(openapi, &[("integration", integration)]);
    }
}

/// Every documented route and the OpenAPI document describing exactly those routes.
pub fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(meta::health))
        .routes(routes!(meta::version))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(sso::options))
        .routes(routes!(sso::start))
        .routes(routes!(sso::callback))
        .routes(routes!(sso::finish))
        .routes(routes!(second_factor::status))
        .routes(routes!(second_factor::setup))
        .routes(routes!(second_factor::confirm))
        .routes(routes!(second_factor::recovery_codes))
        .routes(routes!(second_factor::off))
        .routes(routes!(second_factor::reset))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::disable))
        .routes(routes!(keys::mint, keys::list))
        .routes(routes!(keys::revoke))
        .routes(routes!(audit::list))
        .routes(routes!(machines::list))
        .routes(routes!(machines::groups))
        .routes(routes!(machines::detail, machines::delete))
        .routes(routes!(machines::bulk_delete))
        .routes(routes!(sessions::list, sessions::start))
        .routes(routes!(sessions::detail))
        .routes(routes!(sessions::end))
        .routes(routes!(sessions::events))
        .routes(routes!(sessions::viewer_token))
        .routes(routes!(codes::create, codes::list))
        .routes(routes!(codes::cancel))
        .routes(routes!(integration::capabilities))
        .routes(routes!(integration::capabilities_v1))
        .routes(routes!(integration::mint_agent_key))
        .routes(routes!(integration::create_session))
        .routes(routes!(integration::session))
        .routes(routes!(integration::viewer_token))
        .routes(routes!(integration::end_session))
        .routes(routes!(integration::support_code))
        .routes(routes!(releases::latest))
        .routes(routes!(releases::download))
        .routes(routes!(releases::agent_downloads))
        .split_for_parts()
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi() -> serde_json::Value {
    server_kit::http::served_document(&documented_routes().1)
}

/// The whole application: API, sockets, docs, fallbacks, and the middleware stack.
pub fn router(state: AppState) -> Router {
    let (api, spec) = documented_routes();
    let app = api
        .route("/ws/agent", get(relay::agent::upgrade))
        .route("/ws/viewer", get(relay::viewer::upgrade))
        .merge(server_kit::http::docs_routes(&spec, "GuruConnect API", ""))
        .merge(crate::web::routes(&state.config))
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(64 * 1024));
    let tls = state.config.tls.is_some();
    server_kit::http::with_common_layers(app, &state.config.cors_allowed_origins, tls)
        .with_state(state)
}

/// The integration contract's part of the OpenAPI document (`/api/integration/*` and the
/// release download), with the schemas it references, as JSON; `info.version` is the contract
/// version. Checked in as `guruconnect/integration-v1.openapi.json` and held to it by tests.
pub fn integration_openapi(spec: &serde_json::Value) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let in_contract =
        |path: &str| path.starts_with("/api/integration/") || path.starts_with("/api/releases/");
    let paths: Map<String, Value> = spec["paths"]
        .as_object()
        .map(|all| {
            all.iter()
                .filter(|(path, _)| in_contract(path))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let all_schemas = spec["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let wanted = server_kit::http::referenced_schemas(spec, &Value::Object(paths.clone()));
    let schemas: Map<String, Value> = wanted
        .into_iter()
        .filter_map(|name| all_schemas.get(&name).map(|s| (name, s.clone())))
        .collect();
    json!({
        "openapi": spec["openapi"],
        "info": {"title": "GuruConnect integration contract", "version": integration::CONTRACT_VERSION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"integration": spec["components"]["securitySchemes"]["integration"]},
        },
    })
}

#[cfg(test)]
mod document_tests {
    /// The checked-in `guruconnect/openapi.json` is what the code documents: the viewer's types
    /// are generated from it (`npm run gen:api` in `guruconnect/web`), so a changed DTO shows
    /// up here first. Regenerate with
    /// `UPDATE_OPENAPI=1 cargo test -p guruconnect-server --lib document`.
    #[test]
    fn the_checked_in_openapi_document_is_what_the_code_documents() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json");
        let checked = server_kit::golden::check_json(&path, &super::openapi(), "UPDATE_OPENAPI");
        assert_eq!(checked, Ok(()));
    }
}
