//! Replay in every form: resend an event, bulk-retry what failed, recover an endpoint, jobs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, OptionalJson, PathId};
use super::AppState;
use crate::ids::{EndpointId, EventId, JobId};
use crate::jobs::JobOut;
use crate::model::filter::matches_any;
use crate::model::time::now_ms;
use crate::model::{TriggerDelivery, TriggerOut};
use crate::store::{endpoints, events, replay};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendIn {
    /// Endpoints to send to; absent means every enabled endpoint whose filter matches.
    pub endpoint_ids: Option<Vec<EndpointId>>,
}

/// Resend an event
///
/// Creates new deliveries of the same event (same `webhook-id`), due now.
#[utoipa::path(post, path = "/api/v1/events/{id}/resend", tag = "replay", security(("bearer" = [])),
    params(("id" = String, Path, description = "An `evt_…` id")), request_body(content = Option<ResendIn>),
    responses((status = 202, body = TriggerOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resend_event(
    State(state): State<AppState>,
    PathId(text): PathId,
    OptionalJson(input): OptionalJson<ResendIn>,
) -> ApiResult<(StatusCode, Json<TriggerOut>)> {
    let id = EventId::parse(&text).ok_or_else(|| ApiError::not_found("event"))?;
    let chosen = input.unwrap_or_default().endpoint_ids;
    let out = state
        .store
        .write(move |conn| {
            let Some(event) = events::get(conn, &id)? else { return Ok(Err(ApiError::not_found("event"))) };
            let enabled = endpoints::list_enabled(conn)?;
            let targets: Vec<EndpointId> = match chosen {
                None => enabled
                    .into_iter()
                    .filter(|ep| matches_any(&ep.event_filter, &event.event_name))
                    .map(|ep| ep.id)
                    .collect(),
                Some(chosen) => {
                    if let Some(missing) = chosen.iter().find(|id| !enabled.iter().any(|ep| &ep.id == *id)) {
                        return Ok(Err(ApiError::invalid_field(
                            "endpoint_ids",
                            format!("{missing} is not an enabled endpoint"),
                        )));
                    }
                    chosen
                }
            };
            let created = replay::add_deliveries(conn, &id, &targets, now_ms())?;
            let deliveries = created.into_iter().map(|(id, endpoint_id)| TriggerDelivery { id, endpoint_id }).collect();
            Ok(Ok(TriggerOut { id: event.id, event_name: event.event_name, deliveries }))
        })
        .await??;
    state.delivery.wake();
    Ok((StatusCode::ACCEPTED, Json(out)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryFailedIn {
    /// Deliveries that failed for good at or after this time.
    pub since: DateTime<Utc>,
    /// Only this endpoint's deliveries.
    pub endpoint_id: Option<EndpointId>,
    /// Count only; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RetryFailedOut {
    /// How many deliveries match.
    pub count: u64,
    /// The job retrying them; absent on a dry run.
    pub job: Option<JobOut>,
}

/// Retry everything that failed since a time
///
/// A dry run counts; otherwise a job makes one manual attempt of each. Watch it
/// with `GET /api/v1/jobs/{id}` and stop it with `POST /api/v1/jobs/{id}/cancel`.
#[utoipa::path(post, path = "/api/v1/deliveries/retry-failed", tag = "replay", security(("bearer" = [])),
    request_body = RetryFailedIn, responses((status = 200, body = RetryFailedOut), (status = 422, body = ErrorBody)))]
pub async fn retry_failed(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RetryFailedIn>,
) -> ApiResult<Json<RetryFailedOut>> {
    let since = input.since.timestamp_millis();
    let endpoint = input.endpoint_id.clone();
    let ids = state.store.read(move |conn| replay::failed_since(conn, since, endpoint.as_ref())).await?;
    let count = ids.len() as u64;
    if input.dry_run {
        return Ok(Json(RetryFailedOut { count, job: None }));
    }
    let job = state.jobs.retry("retry_failed", ids, state.delivery.clone(), state.cancel.clone());
    Ok(Json(RetryFailedOut { count, job: Some(job) }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoverIn {
    /// Where recovery starts; by default when the endpoint's failures began, or when it was disabled.
    pub since: Option<DateTime<Utc>>,
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecoverOut {
    pub since: Option<DateTime<Utc>>,
    /// Deliveries that failed for good and are retried.
    pub failed: u64,
    /// Matching events it never got while it was off; each gets a new delivery.
    pub missed: u64,
    /// Its progress covers `failed + missed` deliveries.
    pub job: Option<JobOut>,
}

/// Re-enable an endpoint and recover what it missed
///
/// Retries its deliveries that failed since `since` and delivers the matching
/// events that were triggered while it was disabled. The job counts both: a retried
/// delivery once its manual attempt is in, a missed event's new delivery once the
/// scheduler made its first attempt (later retries follow the endpoint's schedule).
#[utoipa::path(post, path = "/api/v1/endpoints/{id}/recover", tag = "replay", security(("bearer" = [])),
    params(("id" = String, Path, description = "An `ep_…` id")), request_body(content = Option<RecoverIn>),
    responses((status = 200, body = RecoverOut), (status = 404, body = ErrorBody)))]
pub async fn recover_endpoint(
    State(state): State<AppState>,
    PathId(text): PathId,
    OptionalJson(input): OptionalJson<RecoverIn>,
) -> ApiResult<Json<RecoverOut>> {
    let id = EndpointId::parse(&text).ok_or_else(|| ApiError::not_found("endpoint"))?;
    let input = input.unwrap_or_default();
    let lookup = id.clone();
    let (endpoint, default_since) = state
        .store
        .read(move |conn| Ok((endpoints::get(conn, &lookup)?, endpoints::recovery_start(conn, &lookup)?)))
        .await?;
    let endpoint = endpoint.ok_or_else(|| ApiError::not_found("endpoint"))?;
    let since = input.since.map(|t| t.timestamp_millis()).or(default_since);
    let since_time = since.map(crate::model::time::from_ms);
    let Some(since) = since else {
        return Ok(Json(RecoverOut { since: None, failed: 0, missed: 0, job: None }));
    };
    let (ep, filter) = (id.clone(), endpoint.event_filter.clone());
    let (failed, missed) = state
        .store
        .read(move |conn| {
            let failed = replay::failed_since(conn, since, Some(&ep))?;
            let missed: Vec<EventId> = replay::missed_events(conn, &ep, since)?
                .into_iter()
                .filter(|(_, name)| matches_any(&filter, name))
                .map(|(event_id, _)| event_id)
                .collect();
            Ok((failed, missed))
        })
        .await?;
    let counts = (failed.len() as u64, missed.len() as u64);
    if input.dry_run {
        return Ok(Json(RecoverOut { since: since_time, failed: counts.0, missed: counts.1, job: None }));
    }
    let target = id.clone();
    let enabled = state
        .store
        .write(move |conn| {
            let Some(current) = endpoints::get(conn, &target)? else { return Ok(None) };
            let next =
                current.patched(crate::model::EndpointPatch { enabled: Some(true), ..Default::default() }, Utc::now());
            let Ok(next) = next else { return Ok(None) };
            endpoints::update(conn, &next)?;
            let mut added = Vec::with_capacity(missed.len());
            for event_id in &missed {
                let created = replay::add_deliveries(conn, event_id, std::slice::from_ref(&target), now_ms())?;
                added.extend(created.into_iter().map(|(delivery_id, _)| delivery_id));
            }
            Ok(Some((next, added)))
        })
        .await?;
    let added = match enabled {
        Some((endpoint, added)) => {
            state.delivery.endpoint_changed(&endpoint.id);
            state.bus.publish(crate::bus::StreamMessage::EndpointUpdated { endpoint: Box::new(endpoint) });
            added
        }
        None => Vec::new(),
    };
    // One progress for both: the failed deliveries retried now, and the missed events' first attempts.
    let job = state.jobs.start("recover_endpoint", failed, added, state.delivery.clone(), state.cancel.clone());
    Ok(Json(RecoverOut { since: since_time, failed: counts.0, missed: counts.1, job: Some(job) }))
}

fn job_id(PathId(text): PathId) -> ApiResult<JobId> {
    JobId::parse(&text).ok_or_else(|| ApiError::not_found("job"))
}

/// A job's progress
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "replay", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `job_…` id")), responses((status = 200, body = JobOut), (status = 404, body = ErrorBody)))]
pub async fn get_job(State(state): State<AppState>, id: PathId) -> ApiResult<Json<JobOut>> {
    state.jobs.get(&job_id(id)?).map(Json).ok_or_else(|| ApiError::not_found("job"))
}

/// Cancel a job
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "replay", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `job_…` id")), responses((status = 200, body = JobOut), (status = 404, body = ErrorBody)))]
pub async fn cancel_job(State(state): State<AppState>, id: PathId) -> ApiResult<Json<JobOut>> {
    state.jobs.cancel(&job_id(id)?).map(Json).ok_or_else(|| ApiError::not_found("job"))
}
