//! Executes a plan: up to `concurrency` cases at once, each case's requests in order,
//! reporting every finished case as it comes.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::faults;
use super::model::{CaseResult, RunConfig, RunReport};
use super::plan::{PlannedCase, Settled};
use super::send::{Exchange, Sender, CANCELLED};

/// Called with each finished case, from the run's tasks.
pub type Progress = Arc<dyn Fn(&CaseResult) + Send + Sync>;

/// Runs every case and returns the report; cases not started when `cancel` fires are skipped.
pub async fn execute(
    plan: Vec<PlannedCase>,
    config: &RunConfig,
    cancel: CancellationToken,
    progress: Progress,
) -> RunReport {
    let started_at = Utc::now();
    let sender = Sender::new(config.target.clone(), config.timeout, config.rate_per_s, cancel);
    let key = config.signing_key.as_deref();
    let results: Vec<CaseResult> = futures_util::stream::iter(plan)
        .map(|case| {
            let (sender, progress) = (&sender, &progress);
            async move {
                let result = run_case(&case, sender, key).await;
                progress(&result);
                result
            }
        })
        .buffer_unordered(config.concurrency.max(1))
        .collect()
        .await;
    RunReport::new(started_at, Some(Utc::now()), config.target.url.to_string(), results)
}

async fn run_case(case: &PlannedCase, sender: &Sender, key: Option<&[u8]>) -> CaseResult {
    let mut result = CaseResult {
        id: case.id,
        fixture: case.fixture.clone(),
        variation: case.variation.clone(),
        kind: case.kind,
        event_name: case.event_name.clone(),
        status: None,
        latency_ms: 0,
        error: None,
        passed: false,
        skipped: false,
        failures: Vec::new(),
        verdict: None,
        detail: None,
        response: None,
    };
    match &case.settled {
        Some(Settled::Failed(reason)) => {
            result.failures.push(reason.clone());
            return result;
        }
        Some(Settled::Skipped(reason)) => return skipped(result, reason),
        None => {}
    }
    if sender.is_cancelled() {
        return skipped(result, CANCELLED);
    }
    let now_s = Utc::now().timestamp();
    let mut exchanges: Vec<Exchange> = Vec::new();
    for request in faults::requests(case, key, now_s) {
        let exchange = sender.send(&request).await;
        let stop = exchange.status.is_none();
        exchanges.push(exchange);
        if stop {
            break;
        }
    }
    if sender.is_cancelled() && exchanges.iter().any(|e| e.error.as_deref() == Some(CANCELLED)) {
        return skipped(result, CANCELLED);
    }
    let latency: Duration = exchanges.iter().map(|e| e.latency).sum();
    result.latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    if let Some(last) = exchanges.last() {
        result.status = last.status;
        result.error = last.error.clone();
        result.response = last.response.clone();
    }
    let judgement = faults::judge(case, &exchanges);
    result.passed = judgement.failures.is_empty();
    result.failures = judgement.failures;
    result.verdict = judgement.verdict;
    result.detail = judgement.detail;
    result
}

fn skipped(mut result: CaseResult, reason: &str) -> CaseResult {
    result.skipped = true;
    result.detail = Some(reason.to_owned());
    result
}
