//! The time warp in force, read on every attempt, and changing it: the setting, the
//! deliveries already scheduled and the open UIs all follow at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::DeliveryEngine;
use crate::bus::StreamMessage;
use crate::model::time::{from_ms, now_ms};
use crate::model::time_warp::{is_off, validate_factor, OFF_FACTOR};
use crate::model::{TimeWarp, ValidationError};
use crate::store::{deliveries, settings, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum TimeWarpError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the setting is stored under [`settings::TIME_WARP_KEY`].
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    factor: f64,
    since: i64,
}

/// The factor as f64 bits, so each attempt reads it without a lock.
/// Only changed inside a store write, see [`DeliveryEngine::set_time_warp`].
pub(crate) struct TimeWarpClock {
    factor_bits: AtomicU64,
    since_ms: Mutex<Option<i64>>,
}

impl Default for TimeWarpClock {
    fn default() -> Self {
        Self { factor_bits: AtomicU64::new(OFF_FACTOR.to_bits()), since_ms: Mutex::new(None) }
    }
}

impl TimeWarpClock {
    pub(crate) fn factor(&self) -> f64 {
        f64::from_bits(self.factor_bits.load(Ordering::Acquire))
    }

    fn current(&self) -> TimeWarp {
        let since = self.since_ms.lock().unwrap_or_else(|p| p.into_inner());
        TimeWarp::new(self.factor(), since.map(from_ms))
    }

    fn set(&self, factor: f64, since_ms: Option<i64>) {
        let mut since = self.since_ms.lock().unwrap_or_else(|p| p.into_inner());
        *since = since_ms;
        self.factor_bits.store(factor.to_bits(), Ordering::Release);
    }
}

impl DeliveryEngine {
    /// The time warp in force.
    pub fn time_warp(&self) -> TimeWarp {
        self.inner.time_warp.current()
    }

    /// Reads the stored time warp; call once at start, before [`DeliveryEngine::start`].
    pub async fn load_time_warp(&self) -> Result<TimeWarp, StoreError> {
        let stored = self.inner.store.read(|conn| settings::get(conn, settings::TIME_WARP_KEY)).await?;
        let stored = stored.and_then(|value| match serde_json::from_value::<Stored>(value) {
            Ok(stored) if validate_factor(Some(stored.factor)).is_ok() => Some(stored),
            _ => {
                tracing::warn!("the stored time warp is not valid; running in real time");
                None
            }
        });
        match stored {
            Some(Stored { factor, since }) => self.inner.time_warp.set(factor, Some(since)),
            None => self.inner.time_warp.set(OFF_FACTOR, None),
        }
        Ok(self.time_warp())
    }

    /// Sets the time warp (null or 1 turns it off), rescales the waits already scheduled by
    /// old/new factor, wakes the scheduler so they take effect at once, and announces it.
    pub async fn set_time_warp(&self, factor: Option<f64>) -> Result<TimeWarp, TimeWarpError> {
        let new = validate_factor(factor)?;
        let clock = self.inner.time_warp.clone();
        let written = self
            .inner
            .store
            .write(move |conn| {
                // Inside the write, so every attempt recorded before used the old factor
                // (and is rescaled here) and every one after uses the new.
                let old = clock.factor();
                if old == new {
                    return Ok((false, 0));
                }
                let now = now_ms();
                let stored = (!is_off(new)).then(|| serde_json::json!(Stored { factor: new, since: now }));
                settings::put(conn, settings::TIME_WARP_KEY, stored.as_ref(), now)?;
                let moved = deliveries::rescale_waits(conn, now, old / new)?;
                clock.set(new, (!is_off(new)).then_some(now));
                Ok((true, moved))
            })
            .await;
        let (changed, moved) = match written {
            Ok(written) => written,
            Err(err) => {
                // The clock may have moved in a write that did not commit: follow the store again.
                if let Err(reload) = self.load_time_warp().await {
                    tracing::error!(error = %reload, "could not reread the time warp");
                }
                return Err(err.into());
            }
        };
        let time_warp = self.time_warp();
        if changed {
            tracing::info!(factor = time_warp.factor, rescheduled = moved, "time warp changed");
            self.wake();
            self.inner.bus.publish(StreamMessage::TimeWarpChanged { time_warp });
        }
        Ok(time_warp)
    }

    /// The clock, for attempts recording their outcome inside a store write.
    pub(super) fn time_warp_clock(&self) -> Arc<TimeWarpClock> {
        self.inner.time_warp.clone()
    }
}
