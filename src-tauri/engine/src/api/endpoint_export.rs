//! `/api/v1/export/endpoints` and `/api/v1/import/endpoints`: endpoint settings, and the
//! catchers, as a document another Hooky can import.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::catcher_export::{catchers_to_import, endpoint_indexes, ExportedCatcher};
use super::error::{ApiError, ApiResult, ErrorBody};
use super::export::{download, stamp};
use super::extract::{ApiJson, ApiQuery};
use super::AppState;
use crate::bus::StreamMessage;
use crate::model::{AutoDisable, Catcher, CatcherOut, Endpoint, EndpointIn, HeaderStyle, PayloadFormat};
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
    pub verify_tls: bool,
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
    /// Every catcher, by name.
    pub catchers: Vec<ExportedCatcher>,
}

/// The body of an import: an exported document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointsImport {
    /// Must be 1.
    pub version: u32,
    pub endpoints: Vec<EndpointIn>,
    /// Absent in documents from before catchers were exported.
    #[serde(default)]
    pub catchers: Vec<ExportedCatcher>,
}

/// What an import created.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportedSetup {
    /// The endpoints, in the document's order.
    pub data: Vec<Endpoint>,
    pub catchers: Vec<CatcherOut>,
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
            verify_tls: endpoint.verify_tls,
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
    let (rows, catchers) = state
        .store
        .read(move |conn| Ok((export::endpoints_for_export(conn, with_secrets)?, export::catchers_for_export(conn)?)))
        .await?;
    let indexes = endpoint_indexes(rows.iter().map(|(endpoint, _)| &endpoint.id));
    let document = EndpointsExport {
        version: ENDPOINTS_VERSION,
        endpoints: rows.into_iter().map(|(endpoint, secret)| ExportedEndpoint::new(endpoint, secret)).collect(),
        catchers: catchers.into_iter().map(|catcher| ExportedCatcher::new(catcher, &indexes, with_secrets)).collect(),
    };
    let body = serde_json::to_vec_pretty(&document)
        .map_err(|err| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", err.to_string()))?;
    Ok(download("application/json", &format!("hooky-endpoints-{}.json", stamp()), Body::from(body)))
}

/// Import endpoints and catchers
///
/// Creates every endpoint and catcher of an exported document, with new ids, in one transaction:
/// if one is invalid, nothing is created and the 422 names it, e.g. `endpoints[2].timeout_ms`;
/// if a catcher's name is taken here, nothing is created and the 409 names it, e.g. `catchers[0].name`.
/// Endpoint URLs are kept as they are, except that a catcher's own endpoint pointing at a
/// loopback `/catch/{name}` is pointed at this Hooky's catcher.
#[utoipa::path(post, path = "/api/v1/import/endpoints", tag = "export", security(("bearer" = [])),
    request_body = EndpointsImport,
    responses((status = 201, description = "What was created", body = ImportedSetup),
        (status = 400, body = ErrorBody), (status = 409, description = "A catcher's name is taken", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_endpoints(
    State(state): State<AppState>,
    ApiJson(document): ApiJson<EndpointsImport>,
) -> ApiResult<(StatusCode, Json<ImportedSetup>)> {
    if document.version != ENDPOINTS_VERSION {
        return Err(ApiError::invalid_field("version", "version must be 1"));
    }
    if document.endpoints.len() > MAX_IMPORT {
        return Err(ApiError::invalid_field("endpoints", format!("at most {MAX_IMPORT} endpoints per import")));
    }
    if document.catchers.len() > MAX_IMPORT {
        return Err(ApiError::invalid_field("catchers", format!("at most {MAX_IMPORT} catchers per import")));
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
    let catchers = catchers_to_import(document.catchers, &created, now)?;
    retarget_catcher_endpoints(&mut created, &catchers, &state.catchers);
    let (stored, stored_catchers) = (created.clone(), catchers.clone());
    let taken = state.store.write(move |conn| export::insert_setup(conn, &stored, &stored_catchers)).await?;
    if let Some(index) = taken {
        let name = catchers.get(index).map_or("", |catcher| catcher.name.as_str());
        return Err(ApiError::name_taken(
            format!("catchers[{index}].name"),
            format!("a catcher named {name:?} already exists"),
        ));
    }
    for endpoint in &created {
        state.delivery.endpoint_changed(&endpoint.id);
        state.bus.publish(StreamMessage::EndpointUpdated { endpoint: Box::new(endpoint.clone()) });
    }
    let catchers = state.catchers.imported(catchers);
    Ok((StatusCode::CREATED, Json(ImportedSetup { data: created, catchers })))
}

/// A catcher's own endpoint delivered to `/catch/{name}` on the exporting Hooky; after import it
/// delivers to the same catcher here, whatever port each one listens on. Other URLs stay as they are.
fn retarget_catcher_endpoints(endpoints: &mut [Endpoint], catchers: &[Catcher], here: &crate::catchers::Catchers) {
    for catcher in catchers {
        let Some(endpoint) = endpoints.iter_mut().find(|e| Some(&e.id) == catcher.endpoint_id.as_ref()) else {
            continue;
        };
        let points_at_a_catcher = url::Url::parse(&endpoint.url).is_ok_and(|url| {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(name)) => name == "localhost",
                None => false,
            };
            loopback && url.path() == format!("/catch/{}", catcher.name)
        });
        if points_at_a_catcher {
            endpoint.url = here.url_for(&catcher.name);
        }
    }
}
