//! `ANY /catch/{name}` and `/catch/{name}/{*rest}`: Hooky's own mock receivers.
//!
//! No token: a webhook sender (Hooky's delivery engine, or any other tool) cannot send
//! one. The Host and Origin guard still applies, like on the trigger route.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::catchers::{Answer, Incoming};
use crate::http_text::header_text;

/// The catcher's name: the path segment after `/catch/`.
fn catcher_name(path: &str) -> &str {
    let rest = path.strip_prefix("/catch/").unwrap_or("");
    rest.split('/').next().unwrap_or("")
}

/// Deliver to a catcher
///
/// Any method and any path below `/catch/{name}/` reach the catcher `name`. The request is
/// recorded (see `/api/v1/catchers/{id}/requests`) and answered as the catcher's script says:
/// its status sequence, delay, headers, `Retry-After` and body, or never (`hang`).
#[utoipa::path(method(get, post, put, patch, delete), path = "/catch/{name}", tag = "catch",
    params(("name" = String, Path, description = "The catcher's name")),
    request_body(content = String, description = "Anything; recorded as it arrives", content_type = "*/*"),
    responses(
        (status = 200, description = "Whatever status, headers and body the catcher's script gives"),
        (status = 404, description = "No catcher with this name", body = ErrorBody),
        (status = 413, description = "The body is larger than Hooky accepts", body = ErrorBody)))]
pub async fn catch_request(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let name = catcher_name(uri.path()).to_owned();
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is too large")
                .into_response()
        }
        Err(rejection) => {
            return ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", rejection.body_text()).into_response()
        }
    };
    let incoming = Incoming {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers: header_text(&headers),
        body,
    };
    let catchers = state.catchers.clone();
    match catchers.catch(&name, incoming).await {
        Ok(Some(answer)) => respond(answer, catchers.cancellation()).await,
        Ok(None) => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no catcher named {name:?}")).into_response()
        }
        Err(err) => ApiError::from(err).into_response(),
    }
}

/// Waits as the script says, but never past engine shutdown, which would otherwise wait for us.
async fn respond(answer: Answer, cancel: &tokio_util::sync::CancellationToken) -> Response {
    let stopping = || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "stopping", "Hooky is stopping").into_response();
    let Some(status) = answer.status else {
        cancel.cancelled().await;
        return stopping();
    };
    if !answer.delay.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(answer.delay) => {}
            () = cancel.cancelled() => return stopping(),
        }
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let response_headers = response.headers_mut();
    for (name, value) in answer.headers {
        // Validated when the script was saved.
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            response_headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_first_segment() {
        assert_eq!(catcher_name("/catch/orders"), "orders");
        assert_eq!(catcher_name("/catch/orders/a/b"), "orders");
        assert_eq!(catcher_name("/catch/"), "");
    }
}
