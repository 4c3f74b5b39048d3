//! The delivery engine: a scheduler driven by the database, and one task per attempt.
//!
//! What is due lives only in SQLite (`deliveries.next_attempt_at`). The
//! scheduler reads what is due, claims it in memory and starts an attempt; the
//! attempt's outcome and the next due time are written in one transaction.
//! Claims are not persisted, so after a crash everything that was in flight is
//! simply due again: at-least-once delivery. Between passes the scheduler
//! sleeps until the next due time or until something wakes it; it never polls.

mod attempt;
mod claims;
pub mod clients;
mod limits;
mod manual;
#[cfg(test)]
mod pipeline_tests;
pub mod retry;
#[cfg(test)]
mod schedule_tests;
pub mod sender;
mod time_warp;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bus::Bus;
use crate::ids::{DeliveryId, EndpointId};
use crate::model::time::now_ms;
use crate::model::{AttemptTrigger, Endpoint};
use crate::store::deliveries::DueDelivery;
use crate::store::{deliveries, endpoints, Store, StoreError};
use claims::{sending_cap, Claims};
pub use manual::DeliveryActionError;
pub use time_warp::TimeWarpError;

/// How many due deliveries of one endpoint one pass starts at most.
const BATCH: usize = 256;
/// After a store error, wait this long before the next pass.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);
/// With nothing scheduled, sleep this long (a wake cuts it short).
const IDLE_SLEEP: Duration = Duration::from_secs(3600);

struct Inner {
    store: Store,
    bus: Bus,
    clients: clients::Clients,
    wake: Notify,
    claims: Mutex<Claims>,
    limits: limits::Limits,
    endpoints: EndpointCache,
    time_warp: Arc<time_warp::TimeWarpClock>,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

pub(crate) type EnabledEndpoints = Arc<HashMap<EndpointId, Arc<Endpoint>>>;

/// The enabled endpoints, reloaded after any endpoint changes. The generation
/// keeps a load that raced with a change from caching what it read.
#[derive(Default)]
struct EndpointCache {
    generation: std::sync::atomic::AtomicU64,
    current: Mutex<Option<(u64, EnabledEndpoints)>>,
}

/// What a pass looks for on one endpoint.
struct Wanted {
    endpoint: Arc<Endpoint>,
    /// Where the last pass stopped: every due row before it is claimed.
    resume: Option<deliveries::DueKey>,
    /// How many more rows the endpoint may claim.
    room: usize,
    /// How many rows to read when starting from the beginning, past the rows already claimed.
    from_start: usize,
}

#[derive(Clone)]
pub struct DeliveryEngine {
    inner: Arc<Inner>,
}

impl DeliveryEngine {
    pub fn new(store: Store, bus: Bus, cancel: CancellationToken) -> Result<Self, reqwest::Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                bus,
                clients: clients::Clients::new()?,
                wake: Notify::new(),
                claims: Mutex::new(Claims::default()),
                limits: limits::Limits::default(),
                endpoints: EndpointCache::default(),
                time_warp: Arc::default(),
                cancel,
                tasks: TaskTracker::new(),
            }),
        })
    }

    /// Tells the scheduler that something may be due, possibly behind where its passes resume.
    pub fn wake(&self) {
        self.claims().forget_resume_points();
        self.inner.wake.notify_one();
    }

    /// Tells the scheduler that an endpoint has room for more claims; nothing new fell due.
    fn wake_for_room(&self) {
        self.inner.wake.notify_one();
    }

    /// A delivery to this endpoint was committed due but left unclaimed, and may sit behind
    /// where passes resume.
    pub(crate) fn left_to_scheduler(&self, endpoint_id: &EndpointId) {
        self.claims().forget_resume_point(endpoint_id);
    }

    /// A retry of a delivery to this endpoint was scheduled: wake the scheduler for it.
    fn wake_for_retry(&self, endpoint_id: &EndpointId) {
        self.claims().forget_resume_point(endpoint_id);
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
            // One clock reading for both steps: a row that falls due between them must be
            // seen by one of them, not skipped by both and left for an hour.
            let now = now_ms();
            let pause = match self.dispatch_due(now).await {
                Ok(true) => continue,
                Ok(false) => self.until_next_due(now).await,
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

    /// How long to sleep until the first row due after `since`, the time the last pass read at.
    async fn until_next_due(&self, since: i64) -> Result<Duration, StoreError> {
        let enabled = self.enabled_endpoints().await?;
        let next = self
            .inner
            .store
            .read(move |conn| deliveries::next_due_after(conn, &enabled.keys().collect::<Vec<_>>(), since))
            .await?;
        Ok(match next {
            Some(at) => Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)),
            None => IDLE_SLEEP,
        })
    }

    /// The store the engine records attempts in.
    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The enabled endpoints, from memory unless one changed since they were read.
    pub(crate) async fn enabled_endpoints(&self) -> Result<EnabledEndpoints, StoreError> {
        use std::sync::atomic::Ordering;
        let cache = &self.inner.endpoints;
        let generation = cache.generation.load(Ordering::SeqCst);
        if let Some((cached_at, endpoints)) = cache.current.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if *cached_at == generation {
                return Ok(endpoints.clone());
            }
        }
        let loaded: EnabledEndpoints = Arc::new(
            self.inner
                .store
                .read(endpoints::list_enabled)
                .await?
                .into_iter()
                .map(|endpoint| (endpoint.id.clone(), Arc::new(endpoint)))
                .collect(),
        );
        if cache.generation.load(Ordering::SeqCst) == generation {
            *cache.current.lock().unwrap_or_else(|p| p.into_inner()) = Some((generation, loaded.clone()));
        }
        Ok(loaded)
    }

    /// Starts attempts for what is due. True when more may be due right away.
    async fn dispatch_due(&self, now: i64) -> Result<bool, StoreError> {
        let enabled = self.enabled_endpoints().await?;
        // Per endpoint: how many rows to look at. Its claimed rows are still due in the table,
        // so look past them; an endpoint at its cap is not looked at.
        let wanted: Vec<Wanted> = {
            let claims = self.claims();
            enabled
                .values()
                .filter(|ep| !claims.is_saturated(ep))
                .map(|ep| {
                    let held = claims.held(&ep.id);
                    let room = BATCH.min(sending_cap(ep).saturating_sub(held.sending));
                    Wanted {
                        endpoint: ep.clone(),
                        resume: claims.resume_point(&ep.id),
                        room,
                        from_start: held.sending + held.recording + room,
                    }
                })
                .collect()
        };
        if wanted.is_empty() {
            return Ok(false);
        }
        let engine = self.clone();
        let (more, stale, due) = self
            .inner
            .store
            .read(move |conn| {
                let mut more = false;
                let mut mine = Vec::new();
                for want in &wanted {
                    let endpoint_id = &want.endpoint.id;
                    let mut limit = want.room;
                    let mut found = 0;
                    let mut claimed = Vec::new();
                    if let Some(resume) = &want.resume {
                        let keys = deliveries::due_keys(conn, endpoint_id, now, Some(resume), limit)?;
                        found = keys.len();
                        // Claim here, before loading, so only the rows this pass will run are read in full.
                        claimed = engine.claims().claim_in_order(keys, &want.endpoint);
                    }
                    if found < limit || claimed.is_empty() {
                        // No resume point, the end of the due rows, or nothing new after it: read
                        // from the start, past the rows already claimed, so no row that fell due
                        // behind the point unnoticed is left there.
                        limit = want.from_start;
                        let keys = deliveries::due_keys(conn, endpoint_id, now, None, limit)?;
                        found = keys.len();
                        claimed.extend(engine.claims().claim_in_order(keys, &want.endpoint));
                    }
                    more |= found == limit && !claimed.is_empty();
                    mine.extend(claimed);
                }
                match deliveries::load_due(conn, &mine, now) {
                    Ok(due) => {
                        // Claimed but no longer due (attempted meanwhile): give those back.
                        let loaded: std::collections::HashSet<&DeliveryId> = due.iter().map(|d| &d.id).collect();
                        for id in mine.iter().filter(|id| !loaded.contains(id)) {
                            engine.release_claim(id);
                        }
                        Ok((more, mine.len() > due.len(), due))
                    }
                    Err(err) => {
                        for id in &mine {
                            engine.release_claim(id);
                        }
                        Err(err)
                    }
                }
            })
            .await?;
        let started = due.len();
        for delivery in due {
            match enabled.get(&delivery.endpoint_id) {
                Some(endpoint) => self.start_claimed(delivery, endpoint.clone(), AttemptTrigger::Automatic),
                None => self.release_claim(&delivery.id),
            }
        }
        // Claims given back as stale may have taken their endpoint off its cap, and no attempt's
        // end wakes the scheduler for an endpoint that is not at its cap: look again at once.
        Ok((more && started > 0) || stale)
    }

    /// Runs an attempt of a delivery this engine has claimed.
    fn start_claimed(&self, due: DueDelivery, endpoint: Arc<Endpoint>, trigger: AttemptTrigger) {
        let engine = self.clone();
        self.inner.tasks.spawn(async move {
            engine.run_attempt(due, endpoint, trigger).await;
        });
    }

    /// Claims a delivery that is being committed right now, so its first attempt can start
    /// the moment the commit returns, without a trip through the scheduler. Called inside the
    /// writing transaction: the scheduler cannot see the row yet, so it cannot claim it too.
    pub(crate) fn claim_fresh(&self, id: &DeliveryId, endpoint: &Endpoint) -> bool {
        self.try_claim(id, endpoint)
    }

    /// Starts the first attempt of a delivery claimed with [`Self::claim_fresh`] once it is committed.
    pub(crate) fn start_fresh(&self, due: DueDelivery, endpoint: Arc<Endpoint>) {
        self.start_claimed(due, endpoint, AttemptTrigger::Automatic);
    }

    /// Gives back a claim whose delivery was never committed.
    pub(crate) fn abandon_fresh(&self, id: &DeliveryId) {
        self.release_claim(id);
    }

    /// Whether the endpoint may not take another claim now.
    pub(crate) fn is_saturated(&self, endpoint: &Endpoint) -> bool {
        self.claims().is_saturated(endpoint)
    }

    fn try_claim(&self, id: &DeliveryId, endpoint: &Endpoint) -> bool {
        self.claims().try_take(id, endpoint)
    }

    /// Gives back a claim whose attempt never started: its row may still be due.
    fn release_claim(&self, id: &DeliveryId) {
        self.claims().give_back(id, None);
    }

    /// The attempt was answered and `bytes` of it wait for the writer: its endpoint may send more.
    fn sent(&self, id: &DeliveryId, endpoint: &Endpoint, bytes: usize) {
        // A pass runs once the endpoint is down to its low water, not after every answer.
        if self.claims().sent(id, endpoint, bytes) {
            self.wake_for_room();
        }
    }

    fn release(&self, id: &DeliveryId, endpoint: &Endpoint) {
        if self.claims().give_back(id, Some(endpoint)) {
            self.wake_for_room();
        }
    }

    /// Wakes the scheduler after `delay`, e.g. to retry recording an attempt that failed to store.
    fn wake_later(&self, delay: Duration) {
        let engine = self.clone();
        self.inner.tasks.spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(delay) => engine.wake(),
                () = engine.inner.cancel.cancelled() => {}
            }
        });
    }

    /// Forgets what was cached about an endpoint that was created, changed, disabled or deleted.
    pub fn endpoint_changed(&self, endpoint_id: &EndpointId) {
        self.inner.endpoints.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.limits.forget(endpoint_id);
        self.wake();
    }
}
