//! `POST /api/v1/webhook_events/trigger`: apps under development fire events here.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{parse_json, JsonBytes};
use super::AppState;
use crate::ingest::{self, Accepted, NewEvent};
use crate::model::filter::is_valid_event_name;
use crate::model::{TriggerIn, TriggerOut};

const IDEMPOTENCY_KEY: &str = "idempotency-key";
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
/// serde_json reads back at most 128 levels; stay below it so every stored payload can be shown.
pub const MAX_PAYLOAD_DEPTH: usize = 100;

/// Accept an event for delivery
///
/// Answers 202 once the event and one delivery per matching endpoint are committed.
/// Delivery happens in the background. A repeated `Idempotency-Key` within 24 hours
/// returns the first answer and creates nothing.
#[utoipa::path(
    post,
    path = "/api/v1/webhook_events/trigger",
    tag = "trigger",
    request_body = TriggerIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries of this request safe for 24 hours")),
    responses(
        (status = 202, description = "Committed; delivery starts in the background", body = TriggerOut),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 413, description = "The body is over the size limit", body = ErrorBody),
        (status = 415, description = "The content type is not JSON", body = ErrorBody),
        (status = 422, description = "`event_name` or `payload` is missing or malformed", body = ErrorBody),
        (status = 503, description = "The database cannot take writes; nothing was stored", body = ErrorBody),
    )
)]
pub async fn trigger_event(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let TriggerBody { event_name, payload } = parse_trigger_body(&body)?;
    let idempotency_key = idempotency_key(&headers)?;
    let accepted =
        ingest::accept(&state.store, &state.bus, &state.delivery, NewEvent { event_name, payload, idempotency_key })
            .await?;
    let (out, replayed): (TriggerOut, bool) = match accepted {
        Accepted::Created(out) => (out, false),
        Accepted::Replayed(out) => (out, true),
    };
    let mut response = (StatusCode::ACCEPTED, Json(out)).into_response();
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// A trigger request body that passed every check of the route.
#[derive(Debug)]
pub struct TriggerBody {
    pub event_name: String,
    /// The payload's JSON text, exactly as sent.
    pub payload: String,
}

/// Parses and checks a trigger body as the route does: JSON syntax, `event_name`,
/// `payload` and its nesting depth. Public so the fuzz targets feed it bytes.
pub fn parse_trigger_body(body: &[u8]) -> ApiResult<TriggerBody> {
    let input: TriggerIn = parse_json(body)?;
    let event_name = match input.event_name {
        None => return Err(ApiError::invalid_field("event_name", "event_name is required")),
        Some(name) if !is_valid_event_name(&name) => {
            return Err(ApiError::invalid_field(
                "event_name",
                "event_name must be 1 to 200 characters of A-Z a-z 0-9 _ . : -",
            ))
        }
        Some(name) => name,
    };
    let payload = input
        .payload
        .ok_or_else(|| ApiError::invalid_field("payload", "payload is required (any JSON value)"))?
        .get()
        .to_owned();
    if nesting_depth(&payload) > MAX_PAYLOAD_DEPTH {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the payload nests arrays and objects deeper than {MAX_PAYLOAD_DEPTH} levels"),
        ));
    }
    Ok(TriggerBody { event_name, payload })
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    match value.to_str() {
        Ok(key) if !key.trim().is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY_LEN => Ok(Some(key.trim().to_owned())),
        _ => {
            Err(ApiError::invalid_field("Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters"))
        }
    }
}

/// How deeply arrays and objects nest in JSON text already known to be valid.
pub fn nesting_depth(json: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for byte in json.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::nesting_depth;

    #[test]
    fn depth_ignores_brackets_inside_strings() {
        assert_eq!(nesting_depth("1"), 0);
        assert_eq!(nesting_depth(r#"{"a":[1,{"b":[]}]}"#), 4);
        assert_eq!(nesting_depth(r#"["[[[\"[[", {}]"#), 2);
        // The limit is on the text: a duplicate key nests even though a parser keeps only the last.
        assert_eq!(nesting_depth(r#"{"a":[[1]],"a":0}"#), 3);
    }
}
