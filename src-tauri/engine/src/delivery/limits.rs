//! Per-endpoint concurrency and rate limits, so one endpoint never holds up another.

use std::collections::HashMap;
use std::num::NonZeroU32;
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

#[derive(Default)]
pub struct Limits {
    by_endpoint: Mutex<HashMap<EndpointId, EndpointLimits>>,
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

    /// Waits for a free in-flight slot and then for the rate limit.
    pub async fn acquire(&self, endpoint: &Endpoint) -> Option<OwnedSemaphorePermit> {
        let (slots, rate) = self.for_endpoint(endpoint);
        let permit = slots.acquire_owned().await.ok()?;
        if let Some(rate) = rate {
            rate.until_ready().await;
        }
        Some(permit)
    }

    pub fn forget(&self, endpoint_id: &EndpointId) {
        self.by_endpoint.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(endpoint_id);
    }
}
