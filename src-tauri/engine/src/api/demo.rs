//! `/api/v1/demo`: demo mode. The logic is in [`crate::demo`]; these handlers parse and answer.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::OptionalJson;
use super::AppState;
use crate::delivery::TimeWarpError;
use crate::demo::{DemoError, DemoIn, DemoOut, DemoResetOut};

impl From<DemoError> for ApiError {
    fn from(err: DemoError) -> Self {
        match err {
            DemoError::Running => Self::new(StatusCode::CONFLICT, "demo_running", err.to_string()),
            DemoError::NameTaken(_) => Self::new(StatusCode::CONFLICT, "name_taken", err.to_string()),
            DemoError::Invalid(invalid) => invalid.into(),
            DemoError::Catcher(catcher) => catcher.into(),
            DemoError::TimeWarp(TimeWarpError::Invalid(invalid)) => invalid.into(),
            DemoError::TimeWarp(TimeWarpError::Store(store)) | DemoError::Store(store) => store.into(),
        }
    }
}

/// Get the demo's state
#[utoipa::path(get, path = "/api/v1/demo", tag = "demo", security(("bearer" = [])),
    responses((status = 200, body = DemoOut), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_demo(State(state): State<AppState>) -> ApiResult<Json<DemoOut>> {
    Ok(Json(state.demo.state().await?))
}

/// Start (or resume) the demo
///
/// Creates the catchers `demo-healthy` (200 at once), `demo-slow` (200 after 1.5 s),
/// `demo-flaky` (503 half the time) and `demo-down` (always 503), each with an endpoint
/// ("Demo · healthy", …) taking `order.*` on the default retry schedule; turns the time
/// warp on at 3600 if it is off; then sends an `order.created`/`paid`/`shipped`/`refunded`
/// event every `interval_ms` until stopped, reset or the engine stops. A stopped demo (or
/// one from before a restart) resumes with the catchers it has, re-creating missing ones.
/// The body may be omitted.
#[utoipa::path(post, path = "/api/v1/demo", tag = "demo", security(("bearer" = [])), request_body(content = Option<DemoIn>),
    responses((status = 200, description = "Running", body = DemoOut), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 409, description = "`demo_running`: already running; `name_taken`: a catcher named `demo-…` that the demo did not create exists", body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "`interval_ms` is out of range", body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn start_demo(
    State(state): State<AppState>,
    OptionalJson(input): OptionalJson<DemoIn>,
) -> ApiResult<Json<DemoOut>> {
    Ok(Json(state.demo.start(input.unwrap_or_default()).await?))
}

/// Stop the demo's events
///
/// Stops the generator; the catchers, endpoints, events and the time warp stay, and
/// deliveries already made keep retrying. Stopping a stopped demo changes nothing.
#[utoipa::path(post, path = "/api/v1/demo/stop", tag = "demo", security(("bearer" = [])),
    responses((status = 200, body = DemoOut), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn stop_demo(State(state): State<AppState>) -> ApiResult<Json<DemoOut>> {
    Ok(Json(state.demo.stop().await?))
}

/// Reset the demo
///
/// Stops it and deletes exactly what it created: its catchers, endpoints and events (with
/// their deliveries and attempts, including deliveries of those events to your own
/// endpoints). Turns the time warp off again if the demo turned it on and it is still at
/// 3600. Nothing else is touched; with nothing to reset it deletes nothing and answers 200.
#[utoipa::path(delete, path = "/api/v1/demo", tag = "demo", security(("bearer" = [])),
    responses((status = 200, body = DemoResetOut), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn reset_demo(State(state): State<AppState>) -> ApiResult<Json<DemoResetOut>> {
    Ok(Json(state.demo.reset().await?))
}
