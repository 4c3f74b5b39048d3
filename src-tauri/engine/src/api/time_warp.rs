//! `/api/v1/time_warp`: compress retry schedules and auto-disable windows to watch a
//! webhook's whole lifecycle in about a minute.

use axum::extract::State;
use axum::Json;

use super::error::{ApiResult, ErrorBody};
use super::extract::ApiJson;
use super::AppState;
use crate::delivery::TimeWarpError;
use crate::model::time_warp::TimeWarpIn;
use crate::model::TimeWarp;

/// Get the time warp
#[utoipa::path(get, path = "/api/v1/time_warp", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = TimeWarp), (status = 401, body = ErrorBody)))]
pub async fn get_time_warp(State(state): State<AppState>) -> Json<TimeWarp> {
    Json(state.delivery.time_warp())
}

/// Set or turn off the time warp
///
/// Retry delays (jitter, the one-minute slow-down floor and the `Retry-After` clamp included)
/// and `failing_for` auto-disable windows are divided by `factor`: at 3600 an hour passes in
/// a second, so the default schedule's 27.5 hours take about 28 s. Request timeouts are not
/// warped. Retries already scheduled are rescaled to the new factor at once. Null or 1 turns
/// it off. Open UIs are told with a `time_warp.changed` stream message.
#[utoipa::path(put, path = "/api/v1/time_warp", tag = "settings", security(("bearer" = [])),
    request_body = TimeWarpIn,
    responses((status = 200, body = TimeWarp), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn put_time_warp(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TimeWarpIn>,
) -> ApiResult<Json<TimeWarp>> {
    match state.delivery.set_time_warp(input.factor).await {
        Ok(time_warp) => Ok(Json(time_warp)),
        Err(TimeWarpError::Invalid(err)) => Err(err.into()),
        Err(TimeWarpError::Store(err)) => Err(err.into()),
    }
}
