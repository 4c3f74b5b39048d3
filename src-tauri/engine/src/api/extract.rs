//! Extractors whose rejections are our JSON errors instead of axum's plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A request body that must be declared as JSON; up to the configured size.
pub struct JsonBytes(pub Bytes);

fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the body as JSON with `Content-Type: application/json`",
    )
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is larger than Hooky accepts",
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                format!("the request body could not be read: {rejection}"),
            )
        }
    })
}

fn content_type_is_json(req: &Request) -> bool {
    is_json_content_type(req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or(""))
}

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !content_type_is_json(&req) {
            return Err(unsupported_media_type());
        }
        Ok(Self(read_body(req, state).await?))
    }
}

/// An optional typed JSON body: an empty body is `None`.
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = content_type_is_json(&req);
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Ok(Self(None));
        }
        if !is_json {
            return Err(unsupported_media_type());
        }
        parse_json(&bytes).map(|value| Self(Some(value)))
    }
}

/// Turns serde_json's error into 400 (not JSON) or 422 (JSON of the wrong shape).
pub fn json_error(err: &serde_json::Error, path: Option<String>) -> ApiError {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("the body is not valid JSON: {err}"))
        }
        Category::Data => {
            let field = path.filter(|p| !p.is_empty() && p != ".");
            let mut error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", format!("{err}"));
            if let Some(field) = field {
                error.message = format!("{field}: {err}");
                error.field = Some(field);
            } else if let Some(field) = unknown_field_name(&err.to_string()) {
                error.field = Some(field);
            }
            error
        }
    }
}

/// serde names an unknown field as "unknown field `x`, expected …" and a missing one as "missing field `x`".
fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("missing field `"))?;
    Some(rest.split('`').next()?.to_owned())
}

/// A typed JSON body; a wrong shape names the offending field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        parse_json(&bytes).map(Self)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let typed = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|err| {
            let path = err.path().to_string();
            json_error(err.inner(), Some(path))
        })
        .and_then(|value: T| deserializer.end().map(|()| value).map_err(|err| json_error(&err, None)));
    typed.map_err(|shape_error| {
        // A body that is not JSON at all is 400 even where its start fit the type.
        match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Err(syntax) => json_error(&syntax, None),
            Ok(_) => shape_error,
        }
    })
}

/// Query parameters; a bad one gets 422.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        parse_query(query).map(Self)
    }
}

fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}").parse().map_err(|_| bad_query("the query string is malformed"))?,
    )
    .map(|axum::extract::Query(value)| value)
    .map_err(|rejection| bad_query(rejection.body_text()))
}

fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", message)
}

/// One path segment, as text; malformed percent-encoding gets 400 instead of a plain-text error.
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| Self(id))
            .map_err(|rejection| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", rejection.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(is_json_content_type("application/vnd.api+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type(""));
    }
}
