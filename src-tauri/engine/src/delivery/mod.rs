//! The delivery engine: a scheduler driven by the database, and one task per attempt.
//!
//! What is due lives only in SQLite (`deliveries.next_attempt_at`). The
//! scheduler reads what is due, claims it in memory and starts an attempt; the
//! attempt's outcome and the next due time are written in one transaction.
//! Claims are not persisted, so after a crash everything that was in flight is
//! simply due again: at-least-once delivery. Between passes the scheduler
//! sleeps until the next due time or until something wakes it; it never polls.

mod attempt;
mod limits;
pub mod retry;
pub mod sender;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bus::{Bus, StreamMessage};
use crate::ids::{DeliveryId, EndpointId};
use crate::model::time::now_ms;
use crate::model::{AttemptTrigger, DeliverySummary, Endpoint};
use crate::store::{deliveries, endpoints, events, Store, StoreError};

/// How many due deliveries one pass starts at most.
const BATCH: usize = 256;
/// After a store error, wait this long before the next pass.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);
/// With nothing scheduled, sleep this long (a wake cuts it short).
const IDLE_SLEEP: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum DeliveryActionError {
    #[error("no delivery with this id")]
    NotFound,
    #[error("the endpoint of this delivery was deleted")]
    EndpointDeleted,
    #[error("an attempt of this delivery is in flight; wait for it to finish")]
    InFlight,
    #[error("this delivery has already ended")]
    AlreadyEnded,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Default)]
struct Claims {
    ids: HashSet<DeliveryId>,
    per_endpoint: HashMap<EndpointId, usize>,
}

struct Inner {
    store: Store,
    bus: Bus,
    client: reqwest::Client,
    wake: Notify,
    claims: Mutex<Claims>,
    limits: limits::Limits,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

#[derive(Clone)]
pub struct DeliveryEngine {
    inner: Arc<Inner>,
}

/// How many deliveries of one endpoint may be claimed at once: its in-flight
/// slots plus as many waiting, so the slots never run dry between passes.
fn claim_cap(endpoint: &Endpoint) -> usize {
    endpoint.max_in_flight as usize * 2
}

impl DeliveryEngine {
    pub fn new(store: Store, bus: Bus, cancel: CancellationToken) -> Result<Self, reqwest::Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                bus,
                client: sender::build_client()?,
                wake: Notify::new(),
                claims: Mutex::new(Claims::default()),
                limits: limits::Limits::default(),
                cancel,
                tasks: TaskTracker::new(),
            }),
        })
    }

    /// Tells the scheduler that something may be due.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Starts the scheduler; it stops when the cancellation token fires.
    pub fn start(&self) {
        let engine = self.clone();
        self.inner.tasks.spawn(async move { engine.run_scheduler().await });
    }

    /// Waits until the scheduler and every attempt task have stopped.
    pub async fn stopped(&self) {
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }

    fn claims(&self) -> std::sync::MutexGuard<'_, Claims> {
        self.inner.claims.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn run_scheduler(self) {
        tracing::debug!("delivery scheduler started");
        loop {
            if self.inner.cancel.is_cancelled() {
                break;
            }
            let pause = match self.dispatch_due().await {
                Ok(true) => continue,
                Ok(false) => self.until_next_due().await,
                Err(err) => {
                    tracing::error!(error = %err, "delivery scheduler could not read the store");
                    Ok(ERROR_BACKOFF)
                }
            };
            let pause = pause.unwrap_or(ERROR_BACKOFF);
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
                () = self.inner.cancel.cancelled() => break,
            }
        }
        tracing::debug!("delivery scheduler stopped");
    }

    async fn until_next_due(&self) -> Result<Duration, StoreError> {
        let now = now_ms();
        let next = self.inner.store.read(move |conn| deliveries::next_due_after(conn, now)).await?;
        Ok(match next {
            Some(at) => Duration::from_millis(u64::try_from(at - now).unwrap_or(0)),
            None => IDLE_SLEEP,
        })
    }

    /// Starts attempts for what is due. True when more may be due right away.
    async fn dispatch_due(&self) -> Result<bool, StoreError> {
        let store = &self.inner.store;
        let enabled: HashMap<EndpointId, Arc<Endpoint>> = store
            .read(endpoints::list_enabled)
            .await?
            .into_iter()
            .map(|endpoint| (endpoint.id.clone(), Arc::new(endpoint)))
            .collect();
        let (saturated, claimed) = {
            let claims = self.claims();
            let saturated: Vec<EndpointId> = enabled
                .values()
                .filter(|ep| claims.per_endpoint.get(&ep.id).copied().unwrap_or(0) >= claim_cap(ep))
                .map(|ep| ep.id.clone())
                .collect();
            (saturated, claims.ids.len())
        };
        // Claimed rows are still due in the table, so look past them.
        let limit = claimed + BATCH;
        let now = now_ms();
        let due = store.read(move |conn| deliveries::due(conn, now, &saturated, limit)).await?;
        let mut started = 0;
        for delivery in &due {
            let Some(endpoint) = enabled.get(&delivery.endpoint_id) else { continue };
            if !self.try_claim(&delivery.id, endpoint) {
                continue;
            }
            started += 1;
            let engine = self.clone();
            let (delivery, endpoint) = (delivery.clone(), endpoint.clone());
            self.inner.tasks.spawn(async move {
                engine.run_attempt(delivery.id, endpoint, AttemptTrigger::Automatic).await;
            });
        }
        Ok(due.len() == limit && started > 0)
    }

    fn try_claim(&self, id: &DeliveryId, endpoint: &Endpoint) -> bool {
        let mut claims = self.claims();
        let held = claims.per_endpoint.get(&endpoint.id).copied().unwrap_or(0);
        if held >= claim_cap(endpoint) || claims.ids.contains(id) {
            return false;
        }
        claims.ids.insert(id.clone());
        *claims.per_endpoint.entry(endpoint.id.clone()).or_default() += 1;
        true
    }

    fn release(&self, id: &DeliveryId, endpoint_id: &EndpointId) {
        {
            let mut claims = self.claims();
            claims.ids.remove(id);
            if let Some(count) = claims.per_endpoint.get_mut(endpoint_id) {
                *count = count.saturating_sub(1);
            }
        }
        self.wake();
    }

    /// Attempts a delivery now, whatever its schedule says; the outcome arrives on the stream.
    pub async fn retry_now(&self, id: DeliveryId) -> Result<DeliverySummary, DeliveryActionError> {
        let lookup = id.clone();
        let (row, endpoint) = self
            .inner
            .store
            .read(move |conn| {
                let Some(row) = deliveries::get(conn, &lookup)? else { return Ok(None) };
                let endpoint = endpoints::get(conn, &row.summary.endpoint_id)?;
                Ok(Some((row, endpoint)))
            })
            .await?
            .ok_or(DeliveryActionError::NotFound)?;
        let endpoint = Arc::new(endpoint.ok_or(DeliveryActionError::EndpointDeleted)?);
        // A manual retry may go past the claim cap: a person asked for it.
        {
            let mut claims = self.claims();
            if !claims.ids.insert(id.clone()) {
                return Err(DeliveryActionError::InFlight);
            }
            *claims.per_endpoint.entry(endpoint.id.clone()).or_default() += 1;
        }
        let engine = self.clone();
        self.inner.tasks.spawn(async move { engine.run_attempt(id, endpoint, AttemptTrigger::Manual).await });
        Ok(row.summary)
    }

    /// Stops a pending or retrying delivery from being attempted again.
    pub async fn cancel(&self, id: DeliveryId) -> Result<DeliverySummary, DeliveryActionError> {
        let (summary, event_id, event_status) = self
            .inner
            .store
            .write(move |conn| {
                let Some(row) = deliveries::get(conn, &id)? else { return Ok(Err(DeliveryActionError::NotFound)) };
                if !deliveries::cancel(conn, &id, now_ms())? {
                    return Ok(Err(DeliveryActionError::AlreadyEnded));
                }
                let event_status = events::refresh_status(conn, &row.event_id)?;
                let updated = deliveries::get(conn, &id)?.map(|r| r.summary).unwrap_or(row.summary);
                Ok(Ok((updated, row.event_id, event_status)))
            })
            .await??;
        self.inner.bus.publish(StreamMessage::DeliveryUpdated { event_id, event_status, delivery: summary.clone() });
        Ok(summary)
    }

    /// Drops cached limits of an endpoint whose settings changed or that was deleted.
    pub fn endpoint_changed(&self, endpoint_id: &EndpointId) {
        self.inner.limits.forget(endpoint_id);
        self.wake();
    }
}
