//! Long-running operations a person starts and watches: progress, and a way to cancel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::delivery::DeliveryEngine;
use crate::ids::{DeliveryId, JobId};
use crate::model::DeliveryStatus;
use crate::store::{deliveries, Store};

/// How many deliveries a bulk retry attempts at once (endpoint limits still apply).
const CONCURRENCY: usize = 8;
/// Finished jobs kept for their progress to be read.
const KEEP_FINISHED: usize = 50;
/// How often a job looks for the first attempts the scheduler made of its deliveries.
const WATCH_INTERVAL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Finished,
    Cancelled,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobOut {
    pub id: JobId,
    /// What the job does, e.g. `retry_failed` or `recover_endpoint`.
    pub kind: String,
    pub state: JobState,
    pub total: u64,
    pub done: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub started_at: DateTime<Utc>,
}

struct Job {
    id: JobId,
    kind: String,
    total: u64,
    done: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    finished: AtomicBool,
    cancel: CancellationToken,
    started_at: DateTime<Utc>,
}

impl Job {
    fn out(&self) -> JobOut {
        let state = match (self.finished.load(Ordering::SeqCst), self.cancel.is_cancelled()) {
            (_, true) => JobState::Cancelled,
            (true, false) => JobState::Finished,
            (false, false) => JobState::Running,
        };
        JobOut {
            id: self.id.clone(),
            kind: self.kind.clone(),
            state,
            total: self.total,
            done: self.done.load(Ordering::SeqCst),
            succeeded: self.succeeded.load(Ordering::SeqCst),
            failed: self.failed.load(Ordering::SeqCst),
            started_at: self.started_at,
        }
    }
}

#[derive(Default)]
pub struct Jobs {
    by_id: Mutex<HashMap<JobId, Arc<Job>>>,
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, Arc<Job>>> {
        self.by_id.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, id: &JobId) -> Option<JobOut> {
        self.lock().get(id).map(|job| job.out())
    }

    /// Stops a running job; attempts already under way finish.
    pub fn cancel(&self, id: &JobId) -> Option<JobOut> {
        let job = self.lock().get(id).cloned()?;
        if !job.finished.load(Ordering::SeqCst) {
            job.cancel.cancel();
        }
        Some(job.out())
    }

    /// Starts a job that makes one manual attempt of each delivery.
    pub fn retry(
        &self,
        kind: &str,
        ids: Vec<DeliveryId>,
        delivery: DeliveryEngine,
        shutdown: CancellationToken,
    ) -> JobOut {
        self.start(kind, ids, Vec::new(), delivery, shutdown)
    }

    /// Starts a job that makes one manual attempt of each of `retry`, and counts each of
    /// `scheduled` (new deliveries the scheduler attempts, e.g. a recovery's missed events)
    /// once its first attempt is in. Its progress covers both.
    pub fn start(
        &self,
        kind: &str,
        retry: Vec<DeliveryId>,
        scheduled: Vec<DeliveryId>,
        delivery: DeliveryEngine,
        shutdown: CancellationToken,
    ) -> JobOut {
        let job = Arc::new(Job {
            id: JobId::generate(),
            kind: kind.to_owned(),
            total: (retry.len() + scheduled.len()) as u64,
            done: AtomicU64::new(0),
            succeeded: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            finished: AtomicBool::new(false),
            cancel: shutdown.child_token(),
            started_at: Utc::now(),
        });
        {
            let mut jobs = self.lock();
            if jobs.len() >= KEEP_FINISHED {
                jobs.retain(|_, job| !job.finished.load(Ordering::SeqCst));
            }
            jobs.insert(job.id.clone(), job.clone());
        }
        let running = job.clone();
        tokio::spawn(async move {
            let store = delivery.store().clone();
            let retried = futures_util::stream::iter(retry).for_each_concurrent(CONCURRENCY, |id| {
                let (job, delivery) = (running.clone(), delivery.clone());
                async move {
                    if job.cancel.is_cancelled() {
                        return;
                    }
                    let outcome = delivery.attempt_now(id).await;
                    job.count(matches!(outcome, Ok(Some(DeliveryStatus::Succeeded))));
                }
            });
            tokio::join!(retried, watch_first_attempts(&running, scheduled, &store));
            running.finished.store(true, Ordering::SeqCst);
        });
        job.out()
    }
}

impl Job {
    fn count(&self, succeeded: bool) {
        let counter = if succeeded { &self.succeeded } else { &self.failed };
        counter.fetch_add(1, Ordering::SeqCst);
        self.done.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts each delivery once it has an attempt: succeeded if that made it succeed. A delivery
/// that is gone (its event deleted) counts as failed. Cancelling the job stops the watching,
/// not the deliveries.
async fn watch_first_attempts(job: &Job, mut waiting: Vec<DeliveryId>, store: &Store) {
    while !waiting.is_empty() {
        let lookup = waiting.clone();
        let rows = store
            .read(move |conn| lookup.iter().map(|id| deliveries::get(conn, id)).collect::<Result<Vec<_>, _>>())
            .await;
        if let Ok(rows) = rows {
            let mut still = Vec::with_capacity(waiting.len());
            for (id, row) in waiting.into_iter().zip(rows) {
                match row {
                    Some(row) if row.summary.attempt_count == 0 => still.push(id),
                    Some(row) => job.count(row.summary.status == DeliveryStatus::Succeeded),
                    None => job.count(false),
                }
            }
            waiting = still;
        }
        if waiting.is_empty() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(WATCH_INTERVAL) => {}
            () = job.cancel.cancelled() => break,
        }
    }
}
