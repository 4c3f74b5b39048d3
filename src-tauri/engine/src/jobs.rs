//! Long-running operations a person starts and watches: progress, and a way to cancel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::delivery::DeliveryEngine;
use crate::ids::{DeliveryId, JobId};
use crate::model::DeliveryStatus;

/// How many deliveries a bulk retry attempts at once (endpoint limits still apply).
const CONCURRENCY: usize = 8;
/// Finished jobs kept for their progress to be read.
const KEEP_FINISHED: usize = 50;

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
        let job = Arc::new(Job {
            id: JobId::generate(),
            kind: kind.to_owned(),
            total: ids.len() as u64,
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
            futures_util::stream::iter(ids)
                .for_each_concurrent(CONCURRENCY, |id| {
                    let (job, delivery) = (running.clone(), delivery.clone());
                    async move {
                        if job.cancel.is_cancelled() {
                            return;
                        }
                        let outcome = delivery.attempt_now(id).await;
                        let counter = match outcome {
                            Ok(Some(DeliveryStatus::Succeeded)) => &job.succeeded,
                            _ => &job.failed,
                        };
                        counter.fetch_add(1, Ordering::SeqCst);
                        job.done.fetch_add(1, Ordering::SeqCst);
                    }
                })
                .await;
            running.finished.store(true, Ordering::SeqCst);
        });
        job.out()
    }
}
