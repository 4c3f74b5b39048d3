//! `/api/v1/endpoints`: the subscribers events are delivered to.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, PathId};
use super::AppState;
use crate::endpoint_service::{self, EndpointChangeError};
use crate::ids::EndpointId;
use crate::model::{Endpoint, EndpointIn, EndpointPatch};
use crate::store::endpoints;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EndpointList {
    pub data: Vec<Endpoint>,
}

fn parse_id(PathId(text): PathId) -> ApiResult<EndpointId> {
    EndpointId::parse(&text).ok_or_else(|| ApiError::not_found("endpoint"))
}

/// List endpoints
#[utoipa::path(get, path = "/api/v1/endpoints", tag = "endpoints", security(("bearer" = [])),
    responses((status = 200, body = EndpointList), (status = 401, body = ErrorBody)))]
pub async fn list_endpoints(State(state): State<AppState>) -> ApiResult<Json<EndpointList>> {
    let data = state.store.read(endpoints::list).await?;
    Ok(Json(EndpointList { data }))
}

/// Create an endpoint
#[utoipa::path(post, path = "/api/v1/endpoints", tag = "endpoints", security(("bearer" = [])), request_body = EndpointIn,
    responses((status = 201, body = Endpoint), (status = 400, body = ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)))]
pub async fn create_endpoint(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<Endpoint>)> {
    let endpoint = endpoint_service::create(&state.store, &state.delivery, &state.bus, input).await?;
    Ok((StatusCode::CREATED, Json(endpoint)))
}

/// Get an endpoint
#[utoipa::path(get, path = "/api/v1/endpoints/{id}", tag = "endpoints", security(("bearer" = [])),
    params(("id" = String, Path, description = "An `ep_…` id")),
    responses((status = 200, body = Endpoint), (status = 404, body = ErrorBody)))]
pub async fn get_endpoint(State(state): State<AppState>, id: PathId) -> ApiResult<Json<Endpoint>> {
    let id = parse_id(id)?;
    let endpoint = state.store.read(move |conn| endpoints::get(conn, &id)).await?;
    endpoint.map(Json).ok_or_else(|| ApiError::not_found("endpoint"))
}

/// Update an endpoint
///
/// Absent fields keep their values. Enabling an endpoint clears its `disabled_reason`
/// and resumes its waiting deliveries.
#[utoipa::path(patch, path = "/api/v1/endpoints/{id}", tag = "endpoints", security(("bearer" = [])), request_body = EndpointPatch,
    params(("id" = String, Path, description = "An `ep_…` id")),
    responses((status = 200, body = Endpoint), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_endpoint(
    State(state): State<AppState>,
    id: PathId,
    ApiJson(patch): ApiJson<EndpointPatch>,
) -> ApiResult<Json<Endpoint>> {
    let id = parse_id(id)?;
    // Read, patch and write in one transaction so concurrent patches don't lose fields.
    let updated = state
        .store
        .write(move |conn| {
            let Some(current) = endpoints::get(conn, &id)? else { return Ok(Err(ApiError::not_found("endpoint"))) };
            let next = match current.patched(patch, Utc::now()) {
                Ok(next) => next,
                Err(invalid) => return Ok(Err(invalid.into())),
            };
            endpoints::update(conn, &next)?;
            Ok(Ok(next))
        })
        .await??;
    endpoint_service::announce_changed(&state.delivery, &state.bus, &updated);
    Ok(Json(updated))
}

/// Delete an endpoint
///
/// Its pending deliveries are cancelled; its history stays.
#[utoipa::path(delete, path = "/api/v1/endpoints/{id}", tag = "endpoints", security(("bearer" = [])),
    params(("id" = String, Path, description = "An `ep_…` id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete_endpoint(State(state): State<AppState>, id: PathId) -> ApiResult<StatusCode> {
    let id = parse_id(id)?;
    if !endpoint_service::delete(&state.store, &state.delivery, &state.bus, &id).await? {
        return Err(ApiError::not_found("endpoint"));
    }
    Ok(StatusCode::NO_CONTENT)
}

impl From<EndpointChangeError> for ApiError {
    fn from(err: EndpointChangeError) -> Self {
        match err {
            EndpointChangeError::Invalid(invalid) => invalid.into(),
            EndpointChangeError::Store(store) => store.into(),
        }
    }
}
