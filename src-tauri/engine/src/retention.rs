//! Retention: a background task that deletes the oldest events beyond the configured
//! limits, and clearing the whole log on request.
//!
//! The purge runs at start, every 10 minutes and right after the settings change. It
//! deletes in batches of 500 events, each its own write job, pausing between batches so
//! attempts and triggers keep committing. Events with a pending or retrying delivery are
//! never purged. Space is left to SQLite to reuse: the database is not in auto-vacuum
//! mode, so `PRAGMA incremental_vacuum` would do nothing, and a full VACUUM would block
//! every write for its whole run. Freed pages are reused by new rows; the file does not
//! shrink. `retention_max_bytes` therefore counts the pages in use, not the file size.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::ids::{event_id_lower_bound, event_id_upper_bound};
use crate::model::time::now_ms;
use crate::model::ValidationError;
use crate::store::{retention, settings, Store, StoreError};

pub const PURGE_INTERVAL: Duration = Duration::from_secs(600);
const BATCH: u32 = 500;
/// The pause between two batches, so other writes are never held up behind a purge.
const PAUSE: Duration = Duration::from_millis(10);
const SWEEP_CHUNK: u32 = 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;
const MIN_MAX_BYTES: u64 = 1024 * 1024;
/// Rounds of estimate, purge and measure for `retention_max_bytes`.
const BYTE_ROUNDS: usize = 4;

const DAYS_KEY: &str = "retention_days";
const MAX_EVENTS_KEY: &str = "retention_max_events";
const MAX_BYTES_KEY: &str = "retention_max_bytes";

/// How much history to keep; each limit is off when null. The oldest events go first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Delete events older than this many days (1 to 36500).
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Keep at most this many events.
    #[serde(default)]
    pub retention_max_events: Option<u64>,
    /// Keep the database's used space under this many bytes (at least 1048576).
    #[serde(default)]
    pub retention_max_bytes: Option<u64>,
}

impl RetentionSettings {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.retention_days.is_some_and(|days| !(1..=36_500).contains(&days)) {
            return Err(ValidationError::new(DAYS_KEY, "must be between 1 and 36500"));
        }
        if self.retention_max_events.is_some_and(|n| n == 0 || n > i64::MAX as u64) {
            return Err(ValidationError::new(MAX_EVENTS_KEY, "must be at least 1; use clear-all to empty the log"));
        }
        if self.retention_max_bytes.is_some_and(|n| !(MIN_MAX_BYTES..=i64::MAX as u64).contains(&n)) {
            return Err(ValidationError::new(MAX_BYTES_KEY, "must be at least 1048576 (1 MiB)"));
        }
        Ok(())
    }

    fn is_off(&self) -> bool {
        *self == Self::default()
    }

    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let stored = store.read(settings::all).await?;
        let number = |key: &str| stored.get(key).and_then(serde_json::Value::as_u64);
        Ok(Self {
            retention_days: number(DAYS_KEY).and_then(|d| u32::try_from(d).ok()),
            retention_max_events: number(MAX_EVENTS_KEY),
            retention_max_bytes: number(MAX_BYTES_KEY),
        })
    }

    pub async fn save(self, store: &Store) -> Result<(), StoreError> {
        store
            .write(move |conn| {
                let now = now_ms();
                settings::put(conn, DAYS_KEY, self.retention_days.map(Into::into).as_ref(), now)?;
                settings::put(conn, MAX_EVENTS_KEY, self.retention_max_events.map(Into::into).as_ref(), now)?;
                settings::put(conn, MAX_BYTES_KEY, self.retention_max_bytes.map(Into::into).as_ref(), now)
            })
            .await
    }
}

/// A handle on the purge task; cheap to clone.
#[derive(Clone)]
pub struct Retention {
    store: Store,
    wake: Arc<Notify>,
    cancel: CancellationToken,
}

impl Retention {
    /// Starts the purge task; it stops when `cancel` fires.
    pub fn start(store: Store, cancel: CancellationToken) -> Self {
        let retention = Self { store, wake: Arc::new(Notify::new()), cancel };
        let task = retention.clone();
        tokio::spawn(async move { task.run().await });
        retention
    }

    /// Asks for a purge now, e.g. after the settings changed.
    pub fn purge_soon(&self) {
        self.wake.notify_one();
    }

    async fn run(self) {
        loop {
            match self.purge().await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "retention purged old events"),
                Err(err) => tracing::error!(error = %err, "retention purge failed; it runs again later"),
            }
            tokio::select! {
                () = tokio::time::sleep(PURGE_INTERVAL) => {}
                () = self.wake.notified() => {}
                () = self.cancel.cancelled() => break,
            }
        }
        tracing::debug!("retention task stopped");
    }

    /// Waits between batches; false when the engine is stopping.
    async fn pause(&self) -> bool {
        tokio::select! {
            () = tokio::time::sleep(PAUSE) => true,
            () = self.cancel.cancelled() => false,
        }
    }

    /// Deletes, batch by batch, the events below `bound`. Returns how many went.
    async fn delete_below(&self, bound: String, include_active: bool) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let below = bound.clone();
            let deleted =
                self.store.write(move |conn| retention::delete_oldest(conn, &below, include_active, BATCH)).await?;
            total += deleted;
            if deleted < u64::from(BATCH) || !self.pause().await {
                return Ok(total);
            }
        }
    }

    /// Deletes the `search_index` rows of events that are gone.
    async fn sweep_search_index(&self) -> Result<(), StoreError> {
        let mut after = 0;
        while let Some(last) =
            self.store.write_search(move |conn| retention::sweep_search_index(conn, after, SWEEP_CHUNK)).await?
        {
            after = last;
            if !self.pause().await {
                break;
            }
        }
        Ok(())
    }

    /// One purge under the stored settings. Returns how many events were deleted.
    pub async fn purge(&self) -> Result<u64, StoreError> {
        let limits = RetentionSettings::load(&self.store).await?;
        if limits.is_off() {
            return Ok(0);
        }
        let now = now_ms();
        let everything = event_id_upper_bound(u64::try_from(now).unwrap_or(0));
        let age_bound = limits
            .retention_days
            .map(|days| event_id_lower_bound(u64::try_from(now - i64::from(days) * DAY_MS).unwrap_or(0)));
        let count_bound = match limits.retention_max_events {
            Some(keep) => {
                let everything = everything.clone();
                self.store.read(move |conn| retention::keep_newest_bound(conn, keep, &everything)).await?
            }
            None => None,
        };
        let mut deleted = match age_bound.max(count_bound) {
            Some(bound) => self.delete_below(bound, false).await?,
            None => 0,
        };
        if let Some(max_bytes) = limits.retention_max_bytes {
            deleted += self.purge_to_size(max_bytes, &everything).await?;
        }
        if deleted > 0 {
            self.sweep_search_index().await?;
        }
        Ok(deleted)
    }

    /// Estimates how many of the oldest events to delete to get under `max_bytes` from the
    /// average bytes per event, deletes them, and measures again, a few rounds at most.
    async fn purge_to_size(&self, max_bytes: u64, everything: &str) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for _ in 0..BYTE_ROUNDS {
            let (used, events) =
                self.store.read(|conn| Ok((retention::used_bytes(conn)?, retention::event_count(conn)?))).await?;
            if used <= max_bytes || events == 0 {
                break;
            }
            let per_event = (used / events).max(1);
            // A tenth more than the estimate, so a round rarely falls just short.
            let excess_events = (used - max_bytes).div_ceil(per_event);
            let keep = events.saturating_sub(excess_events + excess_events / 10 + 1);
            let everything = everything.to_owned();
            let bound = self.store.read(move |conn| retention::keep_newest_bound(conn, keep, &everything)).await?;
            let Some(bound) = bound else { break };
            let round = self.delete_below(bound, false).await?;
            deleted += round;
            // The search index holds bytes of the deleted events too.
            self.sweep_search_index().await?;
            if round == 0 || self.cancel.is_cancelled() {
                break;
            }
        }
        Ok(deleted)
    }

    /// Deletes every event created so far, with its deliveries, attempts and search rows, and
    /// every idempotency key. Endpoints and settings stay. Returns how many events went.
    pub async fn clear_all(&self) -> Result<u64, StoreError> {
        let bound = event_id_upper_bound(u64::try_from(now_ms()).unwrap_or(0));
        let this = self.clone();
        // Its own task: a client that hangs up does not leave the log half cleared.
        let task = tokio::spawn(async move {
            let deleted = this.delete_below(bound, true).await?;
            this.sweep_search_index().await?;
            this.store.write(retention::clear_idempotency_keys).await?;
            Ok(deleted)
        });
        task.await.map_err(|err| StoreError::Task(err.to_string()))?
    }
}
