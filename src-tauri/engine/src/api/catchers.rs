//! `/api/v1/catchers`: manage the mock receivers and read what they caught.
//! The logic is in [`crate::catchers`]; these handlers parse and answer.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, PathId};
use super::AppState;
use crate::catchers::CatcherError;
use crate::ids::{CatcherId, CaughtRequestId};
use crate::model::{CatcherIn, CatcherOut, CatcherPatch, CaughtRequestOut, CaughtRequestSummary};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CatcherList {
    pub data: Vec<CatcherOut>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaughtRequestPage {
    /// Newest first.
    pub data: Vec<CaughtRequestSummary>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_before: Option<CaughtRequestId>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RequestsQuery {
    /// Only requests older than this `req_…` id.
    pub before: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// Also delete the endpoint created with the catcher (`subscribe`).
    pub with_endpoint: Option<bool>,
}

impl From<CatcherError> for ApiError {
    fn from(err: CatcherError) -> Self {
        match err {
            CatcherError::Invalid(invalid) => invalid.into(),
            CatcherError::NameTaken(_) => Self::name_taken("name", err.to_string()),
            CatcherError::NotFound => Self::not_found("catcher"),
            CatcherError::RequestNotFound => Self::not_found("caught request"),
            CatcherError::Store(store) => store.into(),
        }
    }
}

fn catcher_id(PathId(text): PathId) -> ApiResult<CatcherId> {
    CatcherId::parse(&text).ok_or_else(|| ApiError::not_found("catcher"))
}

/// List catchers
#[utoipa::path(get, path = "/api/v1/catchers", tag = "catchers", security(("bearer" = [])),
    responses((status = 200, body = CatcherList), (status = 401, body = ErrorBody)))]
pub async fn list_catchers(State(state): State<AppState>) -> ApiResult<Json<CatcherList>> {
    Ok(Json(CatcherList { data: state.catchers.list().await? }))
}

/// Create a catcher
///
/// With `subscribe`, also creates an endpoint delivering to `http://{listen address}/catch/{name}`
/// (as `POST /api/v1/endpoints` would) and verifies signatures with that endpoint's secrets.
#[utoipa::path(post, path = "/api/v1/catchers", tag = "catchers", security(("bearer" = [])), request_body = CatcherIn,
    responses((status = 201, body = CatcherOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)))]
pub async fn create_catcher(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CatcherIn>,
) -> ApiResult<(StatusCode, Json<CatcherOut>)> {
    Ok((StatusCode::CREATED, Json(state.catchers.create(input).await?)))
}

/// Get a catcher
#[utoipa::path(get, path = "/api/v1/catchers/{id}", tag = "catchers", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `cat_…` id")),
    responses((status = 200, body = CatcherOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_catcher(State(state): State<AppState>, id: PathId) -> ApiResult<Json<CatcherOut>> {
    Ok(Json(state.catchers.get(&catcher_id(id)?).await?))
}

/// Update a catcher
///
/// Changes `script` and/or `verify` (`null` stops checking). A new script restarts its status sequence.
#[utoipa::path(patch, path = "/api/v1/catchers/{id}", tag = "catchers", security(("bearer" = [])), request_body = CatcherPatch,
    params(("id" = String, Path, description = "A `cat_…` id")),
    responses((status = 200, body = CatcherOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_catcher(
    State(state): State<AppState>,
    id: PathId,
    ApiJson(patch): ApiJson<CatcherPatch>,
) -> ApiResult<Json<CatcherOut>> {
    let id = catcher_id(id)?;
    Ok(Json(state.catchers.update(&id, patch).await?))
}

/// Delete a catcher
///
/// Its caught requests go with it; `?with_endpoint=true` also deletes the endpoint made with it.
#[utoipa::path(delete, path = "/api/v1/catchers/{id}", tag = "catchers", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `cat_…` id"), DeleteQuery),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn delete_catcher(
    State(state): State<AppState>,
    id: PathId,
    ApiQuery(query): ApiQuery<DeleteQuery>,
) -> ApiResult<StatusCode> {
    let id = catcher_id(id)?;
    state.catchers.delete(&id, query.with_endpoint.unwrap_or(false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List caught requests
///
/// Newest first; page with `before` (the `next_before` of the previous page).
#[utoipa::path(get, path = "/api/v1/catchers/{id}/requests", tag = "catchers", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `cat_…` id"), RequestsQuery),
    responses((status = 200, body = CaughtRequestPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_requests(
    State(state): State<AppState>,
    id: PathId,
    ApiQuery(query): ApiQuery<RequestsQuery>,
) -> ApiResult<Json<CaughtRequestPage>> {
    let id = catcher_id(id)?;
    let before = match query.before.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            CaughtRequestId::parse(text)
                .ok_or_else(|| ApiError::invalid_field("before", "before must be a req_… id"))?,
        ),
    };
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("limit must be between 1 and {MAX_PAGE}")));
    }
    let data = state.catchers.requests(&id, before, limit).await?;
    let full = data.len() == limit as usize;
    let next_before = data.last().filter(|_| full).map(|last| last.id.clone());
    Ok(Json(CaughtRequestPage { data, next_before }))
}

/// Get a caught request
///
/// With its headers and body: text when the body is UTF-8, else base64 (`body_base64`).
#[utoipa::path(get, path = "/api/v1/catchers/{id}/requests/{request_id}", tag = "catchers", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `cat_…` id"), ("request_id" = String, Path, description = "A `req_…` id")),
    responses((status = 200, body = CaughtRequestOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_request(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Json<CaughtRequestOut>> {
    let Path((id, request_id)) =
        path.map_err(|rejection| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", rejection.body_text()))?;
    let id = CatcherId::parse(&id).ok_or_else(|| ApiError::not_found("catcher"))?;
    let request_id = CaughtRequestId::parse(&request_id).ok_or_else(|| ApiError::not_found("caught request"))?;
    Ok(Json(state.catchers.request(&id, &request_id).await?))
}

/// Clear caught requests
#[utoipa::path(delete, path = "/api/v1/catchers/{id}/requests", tag = "catchers", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `cat_…` id")),
    responses((status = 204, description = "Cleared"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn clear_requests(State(state): State<AppState>, id: PathId) -> ApiResult<StatusCode> {
    state.catchers.clear_requests(&catcher_id(id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
