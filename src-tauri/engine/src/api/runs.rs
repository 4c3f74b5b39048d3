//! `/api/v1/runs`: scripted QA runs of the fixtures folder against a URL or an endpoint, with
//! fault injection. Runs live in memory (the last 20) and report progress on the bus.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, PathId};
use super::AppState;
use crate::bus::{Bus, StreamMessage};
use crate::fixtures::{self, FixtureFile};
use crate::ids::{EndpointId, RunId};
use crate::runner::registry::{RunEntry, RunSummary};
use crate::runner::{self, execute, plan, CaseResult, RunConfig, RunReport, Target};
use crate::store::{endpoints, secrets};

/// Bus updates while a run goes on are at least this far apart.
const UPDATE_EVERY: Duration = Duration::from_millis(200);
const MAX_CONCURRENCY: usize = 64;
const MAX_TIMEOUT_MS: u64 = 600_000;

/// Where a run sends: a URL (with optional extra headers), or an endpoint, whose URL, custom
/// headers and current signing secret are used.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum RunTarget {
    Url {
        url: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// False accepts any TLS certificate from an https:// receiver (default true).
        verify_tls: Option<bool>,
    },
    Endpoint {
        endpoint_id: String,
    },
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunIn {
    pub target: RunTarget,
    /// Cases in flight at once, 1 to 64; default 4.
    pub concurrency: Option<usize>,
    /// Requests per second, at most; unlimited by default.
    pub rate: Option<f64>,
    /// Per-request timeout, 1 to 600000 ms; default 30000.
    pub timeout_ms: Option<u64>,
    /// Fault kinds to inject, or `["all"]`.
    #[serde(default)]
    pub faults: Vec<String>,
    /// A `whsec_…` secret to sign with; overrides an endpoint's own.
    pub secret: Option<String>,
    /// Only these fixture files (relative to the fixtures folder); all by default.
    pub paths: Option<Vec<String>>,
}

/// A run with its report: the cases so far while it runs, all of them once it ended.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunOut {
    #[serde(flatten)]
    pub summary: RunSummary,
    pub report: Option<RunReport>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunList {
    /// Newest first.
    pub data: Vec<RunSummary>,
}

fn out(entry: &RunEntry) -> RunOut {
    RunOut { summary: entry.summary(), report: Some(entry.report()) }
}

fn find(state: &AppState, PathId(text): PathId) -> ApiResult<Arc<RunEntry>> {
    RunId::parse(&text).and_then(|id| state.runs.get(&id)).ok_or_else(|| ApiError::not_found("run"))
}

/// Start a run
///
/// Sends every variation of the fixtures (or of `paths`) to the target and checks the answers
/// against each fixture's `expect`, then injects the requested faults. Watch it with
/// `GET /api/v1/runs/{id}` or the `run.updated` stream messages.
#[utoipa::path(post, path = "/api/v1/runs", tag = "runs", security(("bearer" = [])), request_body = RunIn,
    responses((status = 202, body = RunOut), (status = 400, body = ErrorBody),
        (status = 404, description = "The target endpoint does not exist", body = ErrorBody),
        (status = 422, description = "A bad target, option or path, or no fixtures", body = ErrorBody)))]
pub async fn start_run(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RunIn>,
) -> ApiResult<(StatusCode, Json<RunOut>)> {
    let mut config = run_config(&state, &input).await?;
    config.faults =
        runner::parse_faults(&input.faults).map_err(|message| ApiError::invalid_field("faults", message))?;
    let files = load_fixtures(&state, input.paths).await?;
    let cases = plan::plan(&files, &config.faults, config.signing_key.is_some());
    let cancel = state.cancel.child_token();
    let entry = state.runs.start(config.target.url.to_string(), cases.len(), cancel.clone());
    let (task_entry, bus) = (entry.clone(), state.bus.clone());
    tokio::spawn(async move {
        let progress = throttled_progress(task_entry.clone(), bus.clone());
        let report = execute::execute(cases, &config, cancel, progress).await;
        task_entry.finish(report);
        bus.publish(StreamMessage::RunUpdated { run: task_entry.summary() });
    });
    Ok((StatusCode::ACCEPTED, Json(out(&entry))))
}

/// Records each case, and publishes the summary when the last update is old enough.
fn throttled_progress(entry: Arc<RunEntry>, bus: Bus) -> execute::Progress {
    let last = Mutex::new(None::<Instant>);
    Arc::new(move |case: &CaseResult| {
        entry.record(case);
        let mut last = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_none_or(|at| at.elapsed() >= UPDATE_EVERY) {
            *last = Some(Instant::now());
            bus.publish(StreamMessage::RunUpdated { run: entry.summary() });
        }
    })
}

async fn run_config(state: &AppState, input: &RunIn) -> ApiResult<RunConfig> {
    let bad_target = |err: runner::RunError| ApiError::invalid_field("target", err.to_string());
    let (target, endpoint_secret) = match &input.target {
        RunTarget::Url { url, headers, verify_tls } => {
            let target = Target::parse(url, headers).map_err(bad_target)?;
            (Target { verify_tls: verify_tls.unwrap_or(true), ..target }, None)
        }
        RunTarget::Endpoint { endpoint_id } => {
            let id = EndpointId::parse(endpoint_id).ok_or_else(|| ApiError::not_found("endpoint"))?;
            let (endpoint, secret) =
                state.store.read(move |conn| Ok((endpoints::get(conn, &id)?, secrets::current(conn, &id)?))).await?;
            let endpoint = endpoint.ok_or_else(|| ApiError::not_found("endpoint"))?;
            let mut target = Target::parse(&endpoint.url, &endpoint.headers).map_err(bad_target)?;
            // Sent the way this endpoint's deliveries are, so its receiver reads them.
            target.header_style = endpoint.header_style;
            target.verify_tls = endpoint.verify_tls;
            (target, secret)
        }
    };
    let mut config = RunConfig::new(target);
    if let Some(secret) = input.secret.as_ref().or(endpoint_secret.as_ref()) {
        config = config.with_secret(secret).map_err(|err| ApiError::invalid_field("secret", err.to_string()))?;
    }
    if let Some(concurrency) = input.concurrency {
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(ApiError::invalid_field("concurrency", format!("must be 1 to {MAX_CONCURRENCY}")));
        }
        config.concurrency = concurrency;
    }
    if let Some(rate) = input.rate {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ApiError::invalid_field("rate", "must be a positive number of requests per second"));
        }
        config.rate_per_s = Some(rate);
    }
    if let Some(timeout_ms) = input.timeout_ms {
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(ApiError::invalid_field("timeout_ms", format!("must be 1 to {MAX_TIMEOUT_MS}")));
        }
        config.timeout = Duration::from_millis(timeout_ms);
    }
    Ok(config)
}

async fn load_fixtures(state: &AppState, paths: Option<Vec<String>>) -> ApiResult<Vec<FixtureFile>> {
    let dir = fixtures::current_dir(&state.store, &state.data_dir).await?;
    let files = tokio::task::spawn_blocking(move || fixtures::scan(&dir))
        .await
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the fixtures could not be read"))?;
    let files = match paths {
        None => files,
        Some(paths) => {
            if let Some(missing) = paths.iter().find(|p| !files.iter().any(|f| &f.path == *p)) {
                return Err(ApiError::invalid_field("paths", format!("no fixture file {missing:?}")));
            }
            files.into_iter().filter(|f| paths.contains(&f.path)).collect()
        }
    };
    if files.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_fixtures",
            "the fixtures folder holds no *.json fixture files",
        ));
    }
    Ok(files)
}

/// List runs
#[utoipa::path(get, path = "/api/v1/runs", tag = "runs", security(("bearer" = [])),
    responses((status = 200, body = RunList), (status = 401, body = ErrorBody)))]
pub async fn list_runs(State(state): State<AppState>) -> Json<RunList> {
    Json(RunList { data: state.runs.list().iter().map(|entry| entry.summary()).collect() })
}

/// Get a run, with its report
#[utoipa::path(get, path = "/api/v1/runs/{id}", tag = "runs", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `run_…` id")),
    responses((status = 200, body = RunOut), (status = 404, body = ErrorBody)))]
pub async fn get_run(State(state): State<AppState>, id: PathId) -> ApiResult<Json<RunOut>> {
    let entry = find(&state, id)?;
    Ok(Json(out(&entry)))
}

/// Cancel a run
///
/// Cases not started are skipped and requests in flight are dropped; the run ends `cancelled`.
/// Cancelling an ended run changes nothing.
#[utoipa::path(post, path = "/api/v1/runs/{id}/cancel", tag = "runs", security(("bearer" = [])),
    params(("id" = String, Path, description = "A `run_…` id")),
    responses((status = 202, body = RunSummary), (status = 404, body = ErrorBody)))]
pub async fn cancel_run(State(state): State<AppState>, id: PathId) -> ApiResult<(StatusCode, Json<RunSummary>)> {
    let entry = find(&state, id)?;
    if entry.is_running() {
        entry.cancel.cancel();
    }
    Ok((StatusCode::ACCEPTED, Json(entry.summary())))
}
