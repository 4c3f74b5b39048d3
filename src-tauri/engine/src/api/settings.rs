//! `/api/v1/settings`: engine settings, for now how much history to keep.

use axum::extract::State;
use axum::Json;

use super::error::{ApiResult, ErrorBody};
use super::extract::ApiJson;
use super::AppState;
use crate::retention::RetentionSettings;

/// Get the settings
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = RetentionSettings), (status = 401, body = ErrorBody)))]
pub async fn get_settings(State(state): State<AppState>) -> ApiResult<Json<RetentionSettings>> {
    Ok(Json(RetentionSettings::load(&state.store).await?))
}

/// Replace the settings
///
/// Absent or null limits are off. A purge under the new limits starts right away and
/// runs in the background; it never deletes events that still have deliveries to make.
#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])),
    request_body = RetentionSettings,
    responses((status = 200, body = RetentionSettings), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    ApiJson(settings): ApiJson<RetentionSettings>,
) -> ApiResult<Json<RetentionSettings>> {
    settings.validate()?;
    settings.save(&state.store).await?;
    state.retention.purge_soon();
    Ok(Json(settings))
}
