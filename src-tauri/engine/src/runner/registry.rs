//! The runs started through the API, kept in memory: the last [`KEPT`] of them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use super::model::{CaseResult, RunReport, RunTotals};
use crate::ids::RunId;

/// How many runs are remembered; older ones are forgotten.
pub const KEPT: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Finished,
    Cancelled,
}

/// A run's progress, without its cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunSummary {
    pub id: RunId,
    pub state: RunState,
    pub target: String,
    /// Cases planned.
    pub total: usize,
    /// Cases finished (passed, failed or skipped).
    pub done: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One run: what it is and how far it got.
pub struct RunEntry {
    pub id: RunId,
    pub cancel: CancellationToken,
    target: String,
    total: usize,
    started_at: DateTime<Utc>,
    progress: Mutex<Progress>,
}

struct Progress {
    state: RunState,
    cases: Vec<CaseResult>,
    report: Option<RunReport>,
}

impl RunEntry {
    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn record(&self, case: &CaseResult) {
        self.lock().cases.push(case.clone());
    }

    /// Stores the full report; the state says whether the run was cancelled on the way.
    pub fn finish(&self, report: RunReport) {
        let mut progress = self.lock();
        progress.state = if self.cancel.is_cancelled() { RunState::Cancelled } else { RunState::Finished };
        progress.report = Some(report);
    }

    pub fn summary(&self) -> RunSummary {
        let progress = self.lock();
        let (cases, finished_at) = match &progress.report {
            Some(report) => (report.cases.as_slice(), report.finished_at),
            None => (progress.cases.as_slice(), None),
        };
        let totals = RunTotals::of(cases);
        RunSummary {
            id: self.id.clone(),
            state: progress.state,
            target: self.target.clone(),
            total: self.total,
            done: totals.cases,
            passed: totals.passed,
            failed: totals.failed,
            skipped: totals.skipped,
            started_at: self.started_at,
            finished_at,
        }
    }

    /// The full report when finished, otherwise the cases so far.
    pub fn report(&self) -> RunReport {
        let progress = self.lock();
        progress
            .report
            .clone()
            .unwrap_or_else(|| RunReport::new(self.started_at, None, self.target.clone(), progress.cases.clone()))
    }

    pub fn is_running(&self) -> bool {
        self.lock().state == RunState::Running
    }
}

#[derive(Default)]
pub struct Runs {
    entries: Mutex<VecDeque<Arc<RunEntry>>>,
}

impl Runs {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<RunEntry>>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new running run, forgetting the oldest finished one beyond [`KEPT`].
    pub fn start(&self, target: String, total: usize, cancel: CancellationToken) -> Arc<RunEntry> {
        let entry = Arc::new(RunEntry {
            id: RunId::generate(),
            cancel,
            target,
            total,
            started_at: Utc::now(),
            progress: Mutex::new(Progress { state: RunState::Running, cases: Vec::new(), report: None }),
        });
        let mut entries = self.lock();
        entries.push_back(entry.clone());
        while entries.len() > KEPT {
            // Prefer forgetting a finished run; a running one is still being watched.
            let index = entries.iter().position(|e| !e.is_running()).unwrap_or(0);
            entries.remove(index);
        }
        entry
    }

    pub fn get(&self, id: &RunId) -> Option<Arc<RunEntry>> {
        self.lock().iter().find(|e| &e.id == id).cloned()
    }

    /// Newest first.
    pub fn list(&self) -> Vec<Arc<RunEntry>> {
        self.lock().iter().rev().cloned().collect()
    }
}
