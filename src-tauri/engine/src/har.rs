//! HTTP Archive (HAR 1.2) entries from the attempt log: one entry per attempt, so the
//! deliveries open in browser dev tools, Charles, Insomnia and friends.

use chrono::SecondsFormat;
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{AttemptOut, DeliveryOut, EventOut};

/// The start of a HAR document; the entries follow, then [`DOCUMENT_END`].
pub fn document_start() -> String {
    format!(
        r#"{{"log":{{"version":"1.2","creator":{{"name":"Hooky","version":"{}"}},"entries":["#,
        env!("CARGO_PKG_VERSION")
    )
}

pub const DOCUMENT_END: &str = "]}}\n";

/// `{"log": …}`, for the OpenAPI document; the export writes it piece by piece.
#[derive(Debug, Serialize, ToSchema)]
pub struct HarDocument {
    pub log: HarLog,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HarLog {
    /// Always "1.2".
    pub version: String,
    pub creator: HarCreator,
    pub entries: Vec<HarEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HarCreator {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HarNameValue {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HarEntry {
    pub started_date_time: String,
    /// Milliseconds from sending the request to the end of the response (or the failure).
    pub time: u64,
    pub request: HarRequest,
    pub response: HarResponse,
    /// Always empty: nothing is cached.
    pub cache: serde_json::Map<String, serde_json::Value>,
    pub timings: HarTimings,
    /// Where the attempt belongs in Hooky (a HAR custom field).
    #[serde(rename = "_hooky")]
    pub hooky: HarHooky,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HarRequest {
    pub method: String,
    pub url: String,
    pub http_version: String,
    pub cookies: Vec<HarNameValue>,
    pub headers: Vec<HarNameValue>,
    pub query_string: Vec<HarNameValue>,
    pub post_data: HarPostData,
    pub headers_size: i64,
    pub body_size: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HarPostData {
    pub mime_type: String,
    pub text: String,
}

/// Status 0 and an `_error` when no response arrived (a timeout or a network error).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HarResponse {
    pub status: u16,
    pub status_text: String,
    pub http_version: String,
    pub cookies: Vec<HarNameValue>,
    pub headers: Vec<HarNameValue>,
    pub content: HarContent,
    #[serde(rename = "redirectURL")]
    pub redirect_url: String,
    pub headers_size: i64,
    pub body_size: i64,
    #[serde(rename = "_error", skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HarContent {
    pub size: i64,
    pub mime_type: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HarTimings {
    pub send: i64,
    pub wait: u64,
    pub receive: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HarHooky {
    pub event_id: String,
    pub event_name: String,
    pub delivery_id: String,
    pub endpoint_id: String,
    pub attempt_number: u32,
    pub trigger: String,
    pub succeeded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_class: Option<String>,
}

fn name_values<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<HarNameValue> {
    pairs.into_iter().map(|(name, value)| HarNameValue { name: name.clone(), value: value.clone() }).collect()
}

fn header<'a>(headers: &'a std::collections::BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

fn size(text: &str) -> i64 {
    i64::try_from(text.len()).unwrap_or(i64::MAX)
}

/// The entry of one attempt of `delivery` of `event`.
pub fn entry(event: &EventOut, delivery: &DeliveryOut, attempt: &AttemptOut) -> HarEntry {
    let request = &attempt.request;
    let query_string = url::Url::parse(&request.url)
        .map(|url| {
            url.query_pairs().map(|(k, v)| HarNameValue { name: k.into_owned(), value: v.into_owned() }).collect()
        })
        .unwrap_or_default();
    let response = match &attempt.response {
        Some(got) => HarResponse {
            status: got.status,
            status_text: axum::http::StatusCode::from_u16(got.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("")
                .to_owned(),
            http_version: "HTTP/1.1".into(),
            cookies: Vec::new(),
            headers: name_values(&got.headers),
            content: HarContent {
                size: size(&got.body),
                mime_type: header(&got.headers, "content-type").unwrap_or("x-unknown").to_owned(),
                text: got.body.clone(),
                comment: got.body_truncated.then(|| "the body was longer; Hooky keeps the first 64 KiB".to_owned()),
            },
            redirect_url: header(&got.headers, "location").unwrap_or("").to_owned(),
            headers_size: -1,
            body_size: size(&got.body),
            error: attempt.error.as_ref().map(|e| e.message.clone()),
        },
        None => HarResponse {
            status: 0,
            status_text: String::new(),
            http_version: String::new(),
            cookies: Vec::new(),
            headers: Vec::new(),
            content: HarContent { size: 0, mime_type: "x-unknown".into(), text: String::new(), comment: None },
            redirect_url: String::new(),
            headers_size: -1,
            body_size: -1,
            error: attempt.error.as_ref().map(|e| format!("{}: {}", e.class.as_str(), e.message)),
        },
    };
    HarEntry {
        started_date_time: attempt.started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        time: attempt.duration_ms,
        request: HarRequest {
            method: "POST".into(),
            url: request.url.clone(),
            http_version: "HTTP/1.1".into(),
            cookies: Vec::new(),
            headers: name_values(&request.headers),
            query_string,
            post_data: HarPostData {
                mime_type: header(&request.headers, "content-type").unwrap_or("application/json").to_owned(),
                text: request.body.clone(),
            },
            headers_size: -1,
            body_size: size(&request.body),
        },
        response,
        cache: serde_json::Map::new(),
        timings: HarTimings { send: 0, wait: attempt.duration_ms, receive: 0 },
        hooky: HarHooky {
            event_id: event.id.to_string(),
            event_name: event.event_name.clone(),
            delivery_id: delivery.summary.id.to_string(),
            endpoint_id: delivery.summary.endpoint_id.to_string(),
            attempt_number: attempt.number,
            trigger: attempt.trigger.as_str().into(),
            succeeded: attempt.succeeded,
            error_class: attempt.error.as_ref().map(|e| e.class.as_str().to_owned()),
        },
    }
}

/// Every attempt of the event, oldest delivery first.
pub fn entries(event: &EventOut) -> impl Iterator<Item = HarEntry> + '_ {
    event.deliveries.iter().flat_map(move |delivery| delivery.attempts.iter().map(move |a| entry(event, delivery, a)))
}
