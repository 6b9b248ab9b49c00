//! The HTTP surface in one place. Each handler names its single authentication mechanism in its
//! signature (`Technician`, `Admin`, `AgentKey`, or nothing) and in its OpenAPI `security`; the
//! router and the OpenAPI document come from the same list, so every route is documented.

mod agents;
mod alerts;
mod audit;
mod auth;
mod clients;
mod command_events;
pub(crate) mod commands;
pub mod dto;
mod launch_summary;
mod legacy;
mod meta;
mod metrics;
mod policies;
mod registration_tokens;
mod releases;
pub mod remote_control;
mod second_factor;
mod sites;
mod sso;
mod users;

pub use auth::valid_email;

use crate::app::AppState;
use crate::http::dashboard;
use crate::http::error::ApiError;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "GuruRMM API", description = "Monitoring and management: clients, sites, agents, commands, metrics. Agents connect to the WebSocket at /ws."),
    modifiers(&BearerScheme),
    components(schemas(crate::http::error::ErrorEnvelope))
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        server_kit::http::add_bearer_schemes(openapi, &[]);
        // Polling agents (legacy mode) send their grmm_ key in a header instead.
        let key = ApiKey::Header(ApiKeyValue::with_description(
            crate::auth::AGENT_KEY_HEADER,
            "the agent's grmm_ key",
        ));
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("agent_key", SecurityScheme::ApiKey(key));
    }
}

/// Every documented route and the OpenAPI document describing exactly those.
pub fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(meta::health))
        .routes(routes!(meta::version))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(users::list))
        .routes(routes!(users::disable))
        .routes(routes!(auth::register))
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
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::detail, clients::update, clients::delete))
        .routes(routes!(clients::sites))
        .routes(routes!(sites::list, sites::create))
        .routes(routes!(sites::detail, sites::update, sites::delete))
        .routes(routes!(sites::regenerate_key))
        .routes(routes!(agents::list, agents::create))
        .routes(routes!(agents::stats))
        .routes(routes!(agents::unassigned))
        .routes(routes!(agents::detail, agents::delete))
        .routes(routes!(agents::rotate_key))
        .routes(routes!(agents::revoke_key))
        .routes(routes!(agents::move_agent))
        .routes(routes!(agents::agent_state))
        .routes(routes!(agents::watchdog_events))
        .routes(routes!(agents::updates))
        .routes(routes!(commands::send))
        .routes(routes!(commands::list))
        .routes(routes!(command_events::events))
        .routes(routes!(commands::detail))
        .routes(routes!(commands::cancel))
        .routes(routes!(remote_control::status))
        .routes(routes!(remote_control::start))
        .routes(routes!(remote_control::sessions))
        .routes(routes!(remote_control::session))
        .routes(routes!(remote_control::viewer_link))
        .routes(routes!(remote_control::end))
        .routes(routes!(metrics::history))
        .routes(routes!(metrics::summary))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::acknowledge))
        .routes(routes!(alerts::resolve))
        .routes(routes!(policies::list, policies::create))
        .routes(routes!(
            policies::detail,
            policies::update,
            policies::delete
        ))
        .routes(routes!(registration_tokens::create))
        .routes(routes!(registration_tokens::list))
        .routes(routes!(registration_tokens::revoke))
        .routes(routes!(releases::list, releases::create))
        .routes(routes!(audit::list))
        .routes(routes!(legacy::register))
        .routes(routes!(legacy::heartbeat))
        .routes(routes!(legacy::command_result))
        .split_for_parts()
}

pub fn openapi() -> serde_json::Value {
    server_kit::http::served_document(&documented_routes().1)
}

/// The whole application: API, agent socket, docs, the dashboard as the fallback, middleware.
pub fn router(state: AppState) -> Router {
    let (api, spec) = documented_routes();
    let app = api
        .route("/ws", get(crate::ws::connection::upgrade))
        .merge(server_kit::http::docs_routes(
            &spec,
            "GuruRMM API",
            "Agents connect to <code>/ws</code>.",
        ))
        .fallback(dashboard::fallback)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // Legacy command results carry up to 2 x 512 KiB of output.
        .layer(DefaultBodyLimit::max(2 * 1024 * 1024));
    let tls = state.config.tls.is_some();
    server_kit::http::with_common_layers(app, &state.config.cors_allowed_origins, tls)
        .with_state(state)
}

#[cfg(test)]
mod document_tests {
    /// The checked-in `gururmm/openapi.json` is what the code documents: the dashboard's types
    /// are generated from it (`npm run gen:api` in `gururmm/web`), so a changed DTO shows up
    /// here first. Regenerate with `UPDATE_OPENAPI=1 cargo test -p gururmm-server --lib document`.
    #[test]
    fn the_checked_in_openapi_document_is_what_the_code_documents() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json");
        let checked = server_kit::golden::check_json(&path, &super::openapi(), "UPDATE_OPENAPI");
        assert_eq!(checked, Ok(()));
    }
}
