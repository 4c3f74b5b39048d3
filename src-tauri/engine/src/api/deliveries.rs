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

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CurlQuery {
    /// Sign again with a fresh timestamp (true), or repeat the last attempt's headers as sent (false).
    pub resign: Option<bool>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CurlOut {
    pub command: String,
}

/// Single-quotes text for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Copy a delivery as a cURL command
///
/// With `resign=true` (the default) the request is signed anew with a fresh
/// timestamp, so a receiver's 5-minute tolerance still passes.
#[utoipa::path(get, path = "/api/v1/deliveries/{id}/curl", tag = "deliveries", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `dlv_…` id"), CurlQuery),
    responses((status = 200, body = CurlOut), (status = 404, body = ErrorBody)))]
pub async fn curl_command(
    State(state): State<AppState>,
    id: PathId,
    super::extract::ApiQuery(query): super::extract::ApiQuery<CurlQuery>,
) -> ApiResult<Json<CurlOut>> {
    let id = parse_id(id)?;
    let resign = query.resign.unwrap_or(true);
    let found = state
        .store
        .read(move |conn| {
            let Some(due) = crate::store::deliveries::load_for_attempt(conn, &id)? else { return Ok(None) };
            let endpoint = crate::store::endpoints::get(conn, &due.endpoint_id)?;
            let last = crate::store::attempts::for_deliveries(conn, std::slice::from_ref(&id), &due.payload)?
                .remove(&id)
                .and_then(|mut attempts| attempts.pop());
            Ok(Some((due, endpoint, last)))
        })
        .await?;
    let (due, endpoint, last) = found.ok_or_else(|| ApiError::not_found("delivery"))?;
    // As Hooky does for this endpoint: accept the receiver's certificate whatever it is.
    let insecure = endpoint.as_ref().is_some_and(|endpoint| !endpoint.verify_tls);
    let (url, headers, body) = match (resign, last, endpoint) {
        (false, Some(last), _) => (last.request.url, last.request.headers, last.request.body),
        (_, _, Some(endpoint)) => {
            let outgoing = crate::delivery::sender::Outgoing {
                endpoint: &endpoint,
                event_id: due.event_id.as_str(),
                event_name: &due.event_name,
                payload: &due.payload,
                event_created_at_ms: due.event_id.created_at_ms(),
                attempt_number: due.attempt_count + 1,
            };
            let body = crate::delivery::sender::request_body(&outgoing);
            let headers = crate::delivery::sender::request_headers(&outgoing, &body, chrono::Utc::now().timestamp());
            let headers = headers
                .iter()
                .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
                .collect();
            (endpoint.url.clone(), headers, body)
        }
        (_, Some(last), None) => (last.request.url, last.request.headers, last.request.body),
        (_, None, None) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "endpoint_deleted", "the endpoint was deleted"))
        }
    };
    let insecure = if insecure && url.starts_with("https://") { " -k" } else { "" };
    let mut command = format!("curl{insecure} -X POST {}", shell_quote(&url));
    let headers: std::collections::BTreeMap<String, String> = headers;
    for (name, value) in &headers {
        if name != "content-length" && name != "host" {
            command.push_str(&format!(" \\\n  -H {}", shell_quote(&format!("{name}: {value}"))));
        }
    }
    command.push_str(&format!(" \\\n  --data-raw {}", shell_quote(&body)));
    Ok(Json(CurlOut { command }))
}
