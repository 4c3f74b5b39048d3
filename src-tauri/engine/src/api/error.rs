//! The one error shape every API answer uses: `{"error":{"code","message","field"}}`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::delivery::DeliveryActionError;
use crate::model::ValidationError;
use crate::store::StoreError;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `invalid_json` or `validation_failed`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None }
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: Some(field.into()), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message) }
    }

    /// 409: the catcher name in `field` belongs to another catcher.
    pub fn name_taken(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: Some(field.into()), ..Self::new(StatusCode::CONFLICT, "name_taken", message) }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("no {what} with this id"))
    }

    pub fn unknown_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such route; see /api/openapi.json")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not take that method; see /api/openapi.json",
        )
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this route needs `Authorization: Bearer <token>`; `hooky serve` prints the token at start",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message, field: self.field } };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self::invalid_field(err.field.clone(), format!("{}: {}", err.field, err.message))
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        if err.is_unavailable() {
            tracing::error!(error = %err, "storage unavailable");
            Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                format!("Hooky cannot write to its database right now ({err}); nothing was stored. Try again shortly."),
            )
        } else {
            tracing::error!(error = %err, "store error");
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred; see Hooky's log")
        }
    }
}

impl From<DeliveryActionError> for ApiError {
    fn from(err: DeliveryActionError) -> Self {
        match err {
            DeliveryActionError::NotFound => Self::not_found("delivery"),
            DeliveryActionError::EndpointDeleted => {
                Self::new(StatusCode::CONFLICT, "endpoint_deleted", err.to_string())
            }
            DeliveryActionError::InFlight => Self::new(StatusCode::CONFLICT, "attempt_in_flight", err.to_string()),
            DeliveryActionError::AlreadyEnded => Self::new(StatusCode::CONFLICT, "delivery_ended", err.to_string()),
            DeliveryActionError::Store(err) => err.into(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
