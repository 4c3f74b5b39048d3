//! `/api/v1/export/events`: the event log as JSON Lines or HAR, streamed page by page.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiQuery;
use super::stats::optional_time;
use super::AppState;
use crate::har::{self, HarDocument};
use crate::ids::{event_id_lower_bound, event_id_upper_bound};
use crate::model::EventOut;
use crate::store::export::{self, ExportRange};
use crate::store::Store;

/// Events read per page: memory holds one page, whatever the size of the log.
const PAGE: u32 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportEventsParams {
    /// `jsonl` (default): one event per line, as `GET /api/v1/events/{id}` shows it; `har`: HAR 1.2, one entry per attempt.
    pub format: Option<String>,
    /// Only events created at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Only events created at or before this RFC 3339 time.
    pub until: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jsonl,
    Har,
}

/// Produces the export one page at a time, as the client reads it.
struct Exporter {
    store: Store,
    /// The engine's: a long export must not hold up its shutdown.
    cancel: tokio_util::sync::CancellationToken,
    format: Format,
    range: ExportRange,
    after: Option<String>,
    first_page: Option<Vec<EventOut>>,
    started: bool,
    wrote_entry: bool,
    finished: bool,
}

impl Exporter {
    async fn page(&mut self) -> Result<Vec<EventOut>, crate::store::StoreError> {
        if let Some(page) = self.first_page.take() {
            return Ok(page);
        }
        let (range, after) = (self.range.clone(), self.after.clone());
        self.store.read(move |conn| export::event_details_page(conn, &range, after.as_deref(), PAGE)).await
    }

    async fn next_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.finished {
            return None;
        }
        if self.cancel.is_cancelled() {
            self.finished = true;
            return Some(Err(std::io::Error::other("Hooky is shutting down; the export is incomplete")));
        }
        let page = match self.page().await {
            Ok(page) => page,
            Err(err) => {
                // The status line is long gone: cutting the body short is how the client learns.
                tracing::error!(error = %err, "export stopped");
                self.finished = true;
                return Some(Err(std::io::Error::other(err.to_string())));
            }
        };
        let mut out = Vec::new();
        if !self.started && self.format == Format::Har {
            out.extend_from_slice(har::document_start().as_bytes());
        }
        self.started = true;
        if let Some(last) = page.last() {
            self.after = Some(last.id.to_string());
        }
        if let Err(err) = self.render(&page, &mut out) {
            self.finished = true;
            return Some(Err(std::io::Error::other(err)));
        }
        if page.len() < PAGE as usize {
            if self.format == Format::Har {
                out.extend_from_slice(har::DOCUMENT_END.as_bytes());
            }
            self.finished = true;
        }
        Some(Ok(Bytes::from(out)))
    }

    fn render(&mut self, page: &[EventOut], out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        for event in page {
            match self.format {
                Format::Jsonl => {
                    serde_json::to_writer(&mut *out, event)?;
                    out.push(b'\n');
                }
                Format::Har => {
                    for entry in har::entries(event) {
                        if self.wrote_entry {
                            out.push(b',');
                        }
                        self.wrote_entry = true;
                        serde_json::to_writer(&mut *out, &entry)?;
                    }
                }
            }
        }
        Ok(())
    }
}

pub(super) fn download(content_type: &'static str, filename: &str, body: Body) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

pub(super) fn stamp() -> String {
    Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Export events with their deliveries and attempts
///
/// Streams every event in the range, oldest first, read 100 at a time. `Content-Disposition`
/// makes a browser save it as a file.
#[utoipa::path(get, path = "/api/v1/export/events", tag = "export", security(("bearer" = [])), params(ExportEventsParams),
    responses(
        (status = 200, description = "JSON Lines (one event per line) or a HAR 1.2 document", content(
            (EventOut = "application/x-ndjson"), (HarDocument = "application/json"))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_events(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ExportEventsParams>,
) -> ApiResult<Response> {
    let format = match params.format.as_deref() {
        None | Some("") | Some("jsonl") => Format::Jsonl,
        Some("har") => Format::Har,
        Some(_) => return Err(ApiError::invalid_field("format", "format must be jsonl or har")),
    };
    let as_bound = |ms: i64| u64::try_from(ms).unwrap_or(0);
    let range = ExportRange {
        min_id: optional_time("since", params.since.as_deref())?.map(|ms| event_id_lower_bound(as_bound(ms))),
        max_id: optional_time("until", params.until.as_deref())?.map(|ms| event_id_upper_bound(as_bound(ms))),
    };
    // The first page is read before answering, so a database error is still a proper error status.
    let first = range.clone();
    let first_page = state.store.read(move |conn| export::event_details_page(conn, &first, None, PAGE)).await?;
    let exporter = Exporter {
        store: state.store.clone(),
        cancel: state.cancel.clone(),
        format,
        range,
        after: None,
        first_page: Some(first_page),
        started: false,
        wrote_entry: false,
        finished: false,
    };
    let stream =
        futures_util::stream::unfold(exporter, |mut ex| async move { ex.next_chunk().await.map(|chunk| (chunk, ex)) });
    let body = Body::from_stream(stream);
    Ok(match format {
        Format::Jsonl => download("application/x-ndjson", &format!("hooky-events-{}.jsonl", stamp()), body),
        Format::Har => download("application/json", &format!("hooky-events-{}.har", stamp()), body),
    })
}
