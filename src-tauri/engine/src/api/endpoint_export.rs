//! `/api/v1/export/endpoints` and `/api/v1/import/endpoints`: endpoint settings as a
//! document another Hooky can import.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::endpoints::EndpointList;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::export::{download, stamp};
use super::extract::{ApiJson, ApiQuery};
use super::AppState;
use crate::bus::StreamMessage;
use crate::model::{AutoDisable, Endpoint, EndpointIn, HeaderStyle, PayloadFormat};
use crate::store::export;

/// The version of the endpoints document.
const ENDPOINTS_VERSION: u32 = 1;
const MAX_IMPORT: usize = 1000;

/// One endpoint's settings, as exported; the same fields an endpoint is created with.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedEndpoint {
    pub url: String,
    pub name: String,
    pub description: String,
    pub event_filter: Vec<String>,
    pub enabled: bool,
    pub timeout_ms: u32,
    pub retry_schedule: Vec<u32>,
    pub max_in_flight: u32,
    pub rate_limit_per_s: Option<f64>,
    pub headers: BTreeMap<String, String>,
    pub header_style: HeaderStyle,
    pub payload_format: PayloadFormat,
    pub auto_disable: AutoDisable,
    /// The current signing secret; only with `include_secrets=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EndpointsExport {
    /// 1.
    pub version: u32,
    pub endpoints: Vec<ExportedEndpoint>,
}

/// The body of an import: an exported document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointsImport {
    /// Must be 1.
    pub version: u32,
    pub endpoints: Vec<EndpointIn>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportEndpointsParams {
    /// Add each endpoint's current signing secret (`secret`). Treat the file as a secret then.
    pub include_secrets: Option<bool>,
}

impl ExportedEndpoint {
    fn new(endpoint: Endpoint, secret: Option<String>) -> Self {
        Self {
            url: endpoint.url,
            name: endpoint.name,
            description: endpoint.description,
            event_filter: endpoint.event_filter,
            enabled: endpoint.enabled,
            timeout_ms: endpoint.timeout_ms,
            retry_schedule: endpoint.retry_schedule,
            max_in_flight: endpoint.max_in_flight,
            rate_limit_per_s: endpoint.rate_limit_per_s,
            headers: endpoint.headers,
            header_style: endpoint.header_style,
            payload_format: endpoint.payload_format,
            auto_disable: endpoint.auto_disable,
            secret,
        }
    }
}

/// Export endpoint settings
#[utoipa::path(get, path = "/api/v1/export/endpoints", tag = "export", security(("bearer" = [])),
    params(ExportEndpointsParams), responses((status = 200, body = EndpointsExport), (status = 401, body = ErrorBody)))]
pub async fn export_endpoints(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ExportEndpointsParams>,
) -> ApiResult<Response> {
    let with_secrets = params.include_secrets.unwrap_or(false);
    let rows = state.store.read(move |conn| export::endpoints_for_export(conn, with_secrets)).await?;
    let document = EndpointsExport {
        version: ENDPOINTS_VERSION,
        endpoints: rows.into_iter().map(|(endpoint, secret)| ExportedEndpoint::new(endpoint, secret)).collect(),
    };
    let body = serde_json::to_vec_pretty(&document)
        .map_err(|err| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", err.to_string()))?;
    Ok(download("application/json", &format!("hooky-endpoints-{}.json", stamp()), Body::from(body)))
}

/// Import endpoints
///
/// Creates every endpoint of an exported document, with new ids, in one transaction:
/// if one is invalid, none is created and the 422 names it, e.g. `endpoints[2].timeout_ms`.
#[utoipa::path(post, path = "/api/v1/import/endpoints", tag = "export", security(("bearer" = [])),
    request_body = EndpointsImport,
    responses((status = 201, description = "The endpoints created", body = EndpointList),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_endpoints(
    State(state): State<AppState>,
    ApiJson(document): ApiJson<EndpointsImport>,
) -> ApiResult<(StatusCode, Json<EndpointList>)> {
    if document.version != ENDPOINTS_VERSION {
        return Err(ApiError::invalid_field("version", "version must be 1"));
    }
    if document.endpoints.len() > MAX_IMPORT {
        return Err(ApiError::invalid_field("endpoints", format!("at most {MAX_IMPORT} endpoints per import")));
    }
    let now = Utc::now();
    let mut created = Vec::with_capacity(document.endpoints.len());
    for (index, input) in document.endpoints.into_iter().enumerate() {
        let endpoint = Endpoint::create(input, now).map_err(|invalid| {
            let field = format!("endpoints[{index}].{}", invalid.field);
            ApiError::invalid_field(field.clone(), format!("{field}: {}", invalid.message))
        })?;
        created.push(endpoint);
    }
    let stored = created.clone();
    state.store.write(move |conn| export::insert_endpoints(conn, &stored)).await?;
    for endpoint in &created {
        state.delivery.endpoint_changed(&endpoint.id);
        state.bus.publish(StreamMessage::EndpointUpdated { endpoint: Box::new(endpoint.clone()) });
    }
    Ok((StatusCode::CREATED, Json(EndpointList { data: created })))
}
