//! `DELETE /api/v1/events`: clearing the whole event log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiQuery;
use super::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClearParams {
    /// Must be `all`: the guard against clearing by accident.
    #[param(pattern = "^all$")]
    pub confirm: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Cleared {
    /// How many events were deleted, with their deliveries and attempts.
    pub deleted_events: u64,
}

/// Clear the event log
///
/// Deletes every event with its deliveries and attempts, including those still waiting to
/// be delivered, and every idempotency key. Endpoints and settings stay. Needs `confirm=all`.
#[utoipa::path(delete, path = "/api/v1/events", tag = "events", security(("bearer" = [])), params(ClearParams),
    responses((status = 200, body = Cleared), (status = 401, body = ErrorBody),
        (status = 422, description = "`confirm=all` is missing", body = ErrorBody)))]
pub async fn clear_events(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ClearParams>,
) -> ApiResult<(StatusCode, Json<Cleared>)> {
    if params.confirm.as_deref() != Some("all") {
        return Err(ApiError::invalid_field(
            "confirm",
            "this deletes every event, delivery and attempt; add ?confirm=all to do it",
        ));
    }
    let deleted_events = state.retention.clear_all().await?;
    state.bus.publish(crate::bus::StreamMessage::EventsCleared { deleted_events });
    Ok((StatusCode::OK, Json(Cleared { deleted_events })))
}
