//! Per-endpoint concurrency and rate limits, so one endpoint never holds up another.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::ids::EndpointId;
use crate::model::Endpoint;

struct EndpointLimits {
    max_in_flight: u32,
    slots: Arc<Semaphore>,
    rate_per_s: Option<f64>,
    rate: Option<Arc<DefaultDirectRateLimiter>>,
}

/// After this many failed attempts in a row an endpoint is throttled…
const BREAKER_FAILURES: u32 = 5;
/// …to this many attempts a second, until one succeeds. A receiver that is down costs next to
/// nothing then, so the healthy endpoints keep the machine (and a struggling receiver is not
/// hammered by every queued retry at once).
const BREAKER_RATE_PER_S: f64 = 5.0;

/// Failed attempts in a row, and the pace once there are too many.
struct Breaker {
    failures_in_a_row: AtomicU32,
    pace: Option<DefaultDirectRateLimiter>,
}

impl Breaker {
    fn new() -> Self {
        Self { failures_in_a_row: AtomicU32::new(0), pace: quota(BREAKER_RATE_PER_S).map(RateLimiter::direct) }
    }

    fn is_open(&self) -> bool {
        self.failures_in_a_row.load(Ordering::Relaxed) >= BREAKER_FAILURES
    }
}

#[derive(Default)]
pub struct Limits {
    by_endpoint: Mutex<HashMap<EndpointId, EndpointLimits>>,
    breakers: Mutex<HashMap<EndpointId, Arc<Breaker>>>,
}

fn quota(rate_per_s: f64) -> Option<Quota> {
    let period = Duration::from_secs_f64(1.0 / rate_per_s);
    Quota::with_period(period).map(|q| q.allow_burst(NonZeroU32::MIN))
}

impl Limits {
    /// The endpoint's limiters, rebuilt when its settings changed.
    fn for_endpoint(&self, endpoint: &Endpoint) -> (Arc<Semaphore>, Option<Arc<DefaultDirectRateLimiter>>) {
        let mut map = self.by_endpoint.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = map.get(&endpoint.id);
        let stale = current.is_none_or(|limits| {
            limits.max_in_flight != endpoint.max_in_flight || limits.rate_per_s != endpoint.rate_limit_per_s
        });
        if stale {
            map.insert(
                endpoint.id.clone(),
                EndpointLimits {
                    max_in_flight: endpoint.max_in_flight,
                    slots: Arc::new(Semaphore::new(endpoint.max_in_flight as usize)),
                    rate_per_s: endpoint.rate_limit_per_s,
                    rate: endpoint.rate_limit_per_s.and_then(quota).map(|q| Arc::new(RateLimiter::direct(q))),
                },
            );
        }
        match map.get(&endpoint.id) {
            Some(limits) => (limits.slots.clone(), limits.rate.clone()),
            None => (Arc::new(Semaphore::new(1)), None),
        }
    }

    fn breaker(&self, endpoint_id: &EndpointId) -> Arc<Breaker> {
        let mut map = self.breakers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Looked up before `entry`, which would clone the id on every attempt.
        if let Some(breaker) = map.get(endpoint_id) {
            return breaker.clone();
        }
        map.entry(endpoint_id.clone()).or_insert_with(|| Arc::new(Breaker::new())).clone()
    }

    /// Waits for a free in-flight slot, then for the rate limit, then, while the endpoint's
    /// last attempts all failed, for the breaker's slow pace.
    pub async fn acquire(&self, endpoint: &Endpoint) -> Option<OwnedSemaphorePermit> {
        let (slots, rate) = self.for_endpoint(endpoint);
        let permit = slots.acquire_owned().await.ok()?;
        if let Some(rate) = rate {
            rate.until_ready().await;
        }
        let breaker = self.breaker(&endpoint.id);
        if let (true, Some(pace)) = (breaker.is_open(), &breaker.pace) {
            pace.until_ready().await;
        }
        Some(permit)
    }

    /// Counts an attempt's outcome towards the endpoint's breaker.
    pub fn record(&self, endpoint_id: &EndpointId, succeeded: bool) {
        let breaker = self.breaker(endpoint_id);
        if succeeded {
            breaker.failures_in_a_row.store(0, Ordering::Relaxed);
        } else {
            breaker.failures_in_a_row.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether the endpoint is throttled for failing.
    #[cfg(test)]
    fn is_throttled(&self, endpoint_id: &EndpointId) -> bool {
        self.breaker(endpoint_id).is_open()
    }

    pub fn forget(&self, endpoint_id: &EndpointId) {
        self.by_endpoint.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(endpoint_id);
        self.breakers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(endpoint_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_failures_in_a_row_and_closes_on_a_success() {
        let limits = Limits::default();
        let id = EndpointId::generate();
        for _ in 0..BREAKER_FAILURES - 1 {
            limits.record(&id, false);
        }
        assert!(!limits.is_throttled(&id), "fewer failures than the threshold");
        limits.record(&id, true);
        for _ in 0..BREAKER_FAILURES - 1 {
            limits.record(&id, false);
        }
        assert!(!limits.is_throttled(&id), "a success starts the count again");
        limits.record(&id, false);
        assert!(limits.is_throttled(&id));
        limits.record(&id, true);
        assert!(!limits.is_throttled(&id));
    }
}
