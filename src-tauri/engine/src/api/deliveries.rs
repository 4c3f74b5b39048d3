//! `/api/v1/deliveries/{id}/…`: acting on one delivery.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::PathId;
use super::AppState;
use crate::ids::DeliveryId;
use crate::model::DeliverySummary;

fn parse_id(PathId(text): PathId) -> ApiResult<DeliveryId> {
    DeliveryId::parse(&text).ok_or_else(|| ApiError::not_found("delivery"))
}

/// Retry a delivery now
///
/// Makes a manual attempt at once, whatever the delivery's state; the schedule
/// stays as it was. The attempt's outcome arrives on the stream and in the event.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "deliveries", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `dlv_…` id")),
    responses((status = 202, description = "The attempt has started", body = DeliverySummary),
        (status = 404, body = ErrorBody), (status = 409, description = "An attempt is already in flight, or the endpoint was deleted", body = ErrorBody)))]
pub async fn retry_delivery(
    State(state): State<AppState>,
    id: PathId,
) -> ApiResult<(StatusCode, Json<DeliverySummary>)> {
    let summary = state.delivery.retry_now(parse_id(id)?).await?;
    Ok((StatusCode::ACCEPTED, Json(summary)))
}

/// Cancel a delivery
///
/// A pending or retrying delivery gets no further automatic attempts.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/cancel", tag = "deliveries", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `dlv_…` id")),
    responses((status = 200, body = DeliverySummary), (status = 404, body = ErrorBody),
        (status = 409, description = "The delivery had already ended", body = ErrorBody)))]
pub async fn cancel_delivery(State(state): State<AppState>, id: PathId) -> ApiResult<Json<DeliverySummary>> {
    Ok(Json(state.delivery.cancel(parse_id(id)?).await?))
}
