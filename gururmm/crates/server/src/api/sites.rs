//! Sites (RMM-2). A site's code (`WORD-WORD-NUMBER`) enrols agents; it is returned once, on
//! creation and on regeneration, and stored only as a keyed hash.

use super::dto::SiteDto;
use crate::app::AppState;
use crate::auth::secrets::{hmac_hex, new_site_code};
use crate::auth::{Admin, Technician};
use crate::db;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path, Query};
use crate::model::{ClientId, SiteId};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateSiteRequest {
    pub client_id: ClientId,
    pub name: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateSiteRequest {
    pub name: String,
    #[serde(default)]
    pub notes: String,
}

/// A site with its code. The code is shown only in this response: store it in the installer.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteWithCode {
    #[serde(flatten)]
    pub site: SiteDto,
    pub site_code: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SiteFilter {
    pub client_id: Option<ClientId>,
}

fn valid_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::Validation("name must be 1-200 characters".into()));
    }
    Ok(name.to_owned())
}

#[utoipa::path(get, path = "/api/sites", tag = "sites", security(("bearer" = [])), params(SiteFilter),
    responses((status = 200, body = Vec<SiteDto>), (status = 401, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    _t: Technician,
    Query(filter): Query<SiteFilter>,
) -> ApiResult<Json<Vec<SiteDto>>> {
    let rows = db::sites::list(&state.db, filter.client_id.as_ref()).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/sites", tag = "sites", security(("bearer" = [])), request_body = CreateSiteRequest,
    responses((status = 201, body = SiteWithCode), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    t: Technician,
    Json(req): Json<CreateSiteRequest>,
) -> ApiResult<(StatusCode, Json<SiteWithCode>)> {
    let name = valid_name(&req.name)?;
    db::clients::find(&state.db, &req.client_id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let notes: String = req.notes.chars().take(4000).collect();
    // A fresh code collides with an existing one with negligible probability; retry if it does.
    for _ in 0..5 {
        let code = new_site_code();
        let hash = hmac_hex(&state.code_key, &code);
        if let Some(id) = db::sites::create(&state.db, &req.client_id, &name, &notes, &hash).await?
        {
            let site = db::sites::find(&state.db, &id)
                .await?
                .ok_or(ApiError::NotFound("site"))?;
            db::audit::record(
                &state.db,
                &format!("user:{}", t.0.user_id),
                "site_created",
                &format!("site:{id}"),
                serde_json::json!({}),
            )
            .await;
            return Ok((
                StatusCode::CREATED,
                Json(SiteWithCode {
                    site: site.into(),
                    site_code: code,
                }),
            ));
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "could not draw a unique site code"
    )))
}

#[utoipa::path(get, path = "/api/sites/{id}", tag = "sites", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = SiteDto), (status = 404, body = ErrorEnvelope)))]
pub async fn detail(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<SiteId>,
) -> ApiResult<Json<SiteDto>> {
    let row = db::sites::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    Ok(Json(row.into()))
}

#[utoipa::path(put, path = "/api/sites/{id}", tag = "sites", security(("bearer" = [])), request_body = UpdateSiteRequest,
    params(("id" = String, Path)), responses((status = 200, body = SiteDto), (status = 404, body = ErrorEnvelope)))]
pub async fn update(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<SiteId>,
    Json(req): Json<UpdateSiteRequest>,
) -> ApiResult<Json<SiteDto>> {
    let name = valid_name(&req.name)?;
    let notes: String = req.notes.chars().take(4000).collect();
    if !db::sites::update(&state.db, &id, &name, &notes).await? {
        return Err(ApiError::NotFound("site"));
    }
    let row = db::sites::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    Ok(Json(row.into()))
}

/// Deletes the site; its agents become unassigned.
#[utoipa::path(delete, path = "/api/sites/{id}", tag = "sites", security(("bearer" = ["admin"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<SiteId>,
) -> ApiResult<StatusCode> {
    if !db::sites::delete(&state.db, &id).await? {
        return Err(ApiError::NotFound("site"));
    }
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "site_deleted",
        &format!("site:{id}"),
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteCode {
    pub site_code: String,
    /// Registration tokens of the site revoked by this call (`revoke_registration_tokens`).
    pub registration_tokens_revoked: u64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct RegenerateQuery {
    /// Also revoke every registration token of the site, so no enrolment
    /// credential the site had before works any more: for a site whose code or tokens may
    /// have leaked, e.g. from a machine suspected compromised.
    #[serde(default)]
    pub revoke_registration_tokens: bool,
}

/// Replaces the site code. The old code stops enrolling at once; agents already enrolled keep
/// working because they are matched by device and speak with their own keys. With
/// `revoke_registration_tokens=true` the site's registration tokens are revoked
/// first, so all of the site's enrolment credentials are replaced in one call.
#[utoipa::path(post, path = "/api/sites/{id}/regenerate-key", tag = "sites", security(("bearer" = ["admin"])),
    params(("id" = String, Path), RegenerateQuery),
    responses((status = 200, body = SiteCode), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn regenerate_key(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<SiteId>,
    Query(q): Query<RegenerateQuery>,
) -> ApiResult<Json<SiteCode>> {
    // Tokens first: if revoking fails, the code is unchanged, so no new code is lost with the
    // error response.
    let revoked = if q.revoke_registration_tokens {
        db::registration_tokens::revoke_for_site(&state.db, &id).await?
    } else {
        0
    };
    for _ in 0..5 {
        let code = new_site_code();
        let hash = hmac_hex(&state.code_key, &code);
        match db::sites::set_code_hash(&state.db, &id, &hash).await {
            Ok(true) => {
                db::audit::record(
                    &state.db,
                    &format!("user:{}", admin.user_id),
                    "site_code_regenerated",
                    &format!("site:{id}"),
                    serde_json::json!({"registration_tokens_revoked": revoked}),
                )
                .await;
                return Ok(Json(SiteCode {
                    site_code: code,
                    registration_tokens_revoked: revoked,
                }));
            }
            Ok(false) => return Err(ApiError::NotFound("site")),
            Err(e) if db::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "could not draw a unique site code"
    )))
}
