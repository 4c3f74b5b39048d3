//! Demo mode's API shapes and its stored state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{CatcherId, EndpointId};
use crate::model::{ResponseScript, TimeWarp, ValidationError};

pub const DEFAULT_INTERVAL_MS: u32 = 1200;
pub const MIN_INTERVAL_MS: u32 = 200;
pub const MAX_INTERVAL_MS: u32 = 10_000;
/// The time warp the demo turns on when it was off: the default retry schedule's 27.5 hours
/// play in about 28 seconds.
pub const DEMO_TIME_WARP: f64 = 3600.0;

/// `POST /api/v1/demo`; the body may be omitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoIn {
    /// Milliseconds between two generated events, 200 to 10000 (default 1200; on a resume,
    /// the interval used before).
    #[schema(example = 1200)]
    pub interval_ms: Option<u32>,
}

impl DemoIn {
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self.interval_ms {
            Some(ms) if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&ms) => Err(ValidationError::new(
                "interval_ms",
                format!("must be between {MIN_INTERVAL_MS} and {MAX_INTERVAL_MS}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Demo mode's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DemoOut {
    /// The generator is sending events now.
    pub running: bool,
    /// Things the demo created exist (it ran and was not reset); true after a restart too.
    pub active: bool,
    /// When the demo was first started; null when not active.
    pub started_at: Option<DateTime<Utc>>,
    /// Events the demo sent since it was started (those not deleted since).
    pub events_sent: u64,
    /// The demo's catchers that still exist, in creation order.
    pub catchers: Vec<CatcherId>,
    /// The demo's endpoints that still exist, in creation order.
    pub endpoints: Vec<EndpointId>,
    /// Milliseconds between two generated events.
    pub interval_ms: u32,
    /// The time warp in force.
    pub time_warp: TimeWarp,
}

/// What `DELETE /api/v1/demo` removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DemoResetOut {
    pub deleted_catchers: u64,
    pub deleted_endpoints: u64,
    /// Demo events deleted, with their deliveries and attempts.
    pub deleted_events: u64,
    /// The time warp in force after the reset (restored if the demo had turned it on).
    pub time_warp: TimeWarp,
}

/// The `demo` setting: present while the demo is active.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDemo {
    pub started_at_ms: i64,
    pub interval_ms: u32,
    /// The demo turned the time warp on (it was off); a reset turns it off again, unless
    /// someone has set another factor since.
    pub turned_time_warp_on: bool,
}

/// One mock receiver the demo sets up, and how it answers.
pub struct CatcherSpec {
    pub name: &'static str,
    pub endpoint_name: &'static str,
    pub statuses: &'static [u16],
    pub fail_rate: Option<f64>,
    pub delay_ms: u32,
}

impl CatcherSpec {
    pub fn script(&self) -> ResponseScript {
        ResponseScript {
            statuses: self.statuses.to_vec(),
            fail_rate: self.fail_rate,
            fail_status: 503,
            delay_ms: self.delay_ms,
            ..ResponseScript::default()
        }
    }
}

pub const CATCHERS: [CatcherSpec; 4] = [
    CatcherSpec {
        name: "demo-healthy",
        endpoint_name: "Demo · healthy",
        statuses: &[200],
        fail_rate: None,
        delay_ms: 0,
    },
    CatcherSpec { name: "demo-slow", endpoint_name: "Demo · slow", statuses: &[200], fail_rate: None, delay_ms: 1500 },
    CatcherSpec {
        name: "demo-flaky",
        endpoint_name: "Demo · flaky",
        statuses: &[200],
        fail_rate: Some(0.5),
        delay_ms: 0,
    },
    CatcherSpec { name: "demo-down", endpoint_name: "Demo · down", statuses: &[503], fail_rate: None, delay_ms: 0 },
];
