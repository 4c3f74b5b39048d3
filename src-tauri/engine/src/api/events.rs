//! `/api/v1/events`: the event log.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiQuery, PathId};
use super::AppState;
use crate::history;
use crate::ids::{event_id_lower_bound, event_id_upper_bound, EndpointId, EventId};
use crate::model::{EventOut, EventPage, EventStatus};
use crate::store::events::EventFilter;
use crate::store::search;

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only events with exactly this name.
    pub event_name: Option<String>,
    /// pending, succeeded, retrying, failed or unrouted.
    pub status: Option<String>,
    /// Only events delivered (or due) to this endpoint.
    pub endpoint_id: Option<String>,
    /// Words that must all appear in the payload or in a response body (full-text search).
    pub q: Option<String>,
    /// Only events created at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Only events created at or before this RFC 3339 time.
    pub until: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

fn parse_time(field: &str, text: &str) -> ApiResult<u64> {
    let time = DateTime::parse_from_rfc3339(text).map_err(|_| {
        ApiError::invalid_field(field, format!("{field} must be an RFC 3339 time, e.g. 2026-12-04T10:00:00Z"))
    })?;
    u64::try_from(time.with_timezone(&Utc).timestamp_millis())
        .map_err(|_| ApiError::invalid_field(field, format!("{field} must be after 1970")))
}

impl EventsQuery {
    fn into_filter(self) -> ApiResult<EventFilter> {
        let status = match self.status.as_deref() {
            None | Some("") => None,
            Some(text) => Some(EventStatus::parse(text).ok_or_else(|| {
                ApiError::invalid_field(
                    "status",
                    "status must be one of pending, succeeded, retrying, failed, unrouted",
                )
            })?),
        };
        let endpoint_id = match self.endpoint_id.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                EndpointId::parse(text)
                    .ok_or_else(|| ApiError::invalid_field("endpoint_id", "endpoint_id must be an ep_… id"))?,
            ),
        };
        let before_id = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                EventId::parse(text)
                    .ok_or_else(|| {
                        ApiError::invalid_field("cursor", "cursor must be a next_cursor value from a previous page")
                    })?
                    .to_string(),
            ),
        };
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::invalid_field("limit", format!("limit must be between 1 and {MAX_PAGE}")));
        }
        Ok(EventFilter {
            event_name: self.event_name.filter(|name| !name.is_empty()),
            status,
            endpoint_id,
            text: self.q.as_deref().and_then(search::fts_query),
            min_id: self
                .since
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| parse_time("since", s))
                .transpose()?
                .map(event_id_lower_bound),
            max_id: self
                .until
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| parse_time("until", s))
                .transpose()?
                .map(event_id_upper_bound),
            before_id,
            limit,
        })
    }
}

/// List events, newest first
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = [])), params(EventsQuery),
    responses((status = 200, body = EventPage), (status = 422, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> ApiResult<Json<EventPage>> {
    let filter = query.into_filter()?;
    Ok(Json(history::event_page(&state.store, filter).await?))
}

/// Get an event with its payload, deliveries and attempts
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", security(("bearer" = [])),
    params(("id" = String, Path, description = "An `evt_…` id")),
    responses((status = 200, body = EventOut), (status = 404, body = ErrorBody)))]
pub async fn get_event(State(state): State<AppState>, PathId(text): PathId) -> ApiResult<Json<EventOut>> {
    let id = EventId::parse(&text).ok_or_else(|| ApiError::not_found("event"))?;
    history::event_detail(&state.store, id).await?.map(Json).ok_or_else(|| ApiError::not_found("event"))
}
