//! Endpoint options: header names, body format, signing keys and the auto-disable policy.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::validation::ValidationError;

/// Which header names carry the id, timestamp and signature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeaderStyle {
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature` (Standard Webhooks).
    #[default]
    Webhook,
    /// `svix-id`, `svix-timestamp`, `svix-signature`, for receivers built on Svix's libraries.
    Svix,
}

impl HeaderStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Svix => "svix",
        }
    }

    pub fn from_db(text: &str) -> Self {
        if text == "svix" {
            Self::Svix
        } else {
            Self::Webhook
        }
    }
}

/// What the request body is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayloadFormat {
    /// The payload exactly as triggered.
    #[default]
    Raw,
    /// The Standard Webhooks envelope `{"type", "timestamp", "data"}` around the payload.
    Envelope,
}

impl PayloadFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Envelope => "envelope",
        }
    }

    pub fn from_db(text: &str) -> Self {
        if text == "envelope" {
            Self::Envelope
        } else {
            Self::Raw
        }
    }
}

/// A signing secret and, for one being rotated out, when it stops signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub secret: String,
    pub expires_at_ms: Option<i64>,
}

/// When Hooky turns an endpoint off by itself. A 410 Gone always does, whatever the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum AutoDisable {
    /// Never.
    Off,
    /// After this many deliveries in a row failed for good.
    ConsecutiveFailures { failures: u32 },
    /// When every attempt has failed for this long (Svix uses 5 days).
    FailingFor { window_s: u32 },
}

impl Default for AutoDisable {
    fn default() -> Self {
        Self::FailingFor { window_s: 5 * 24 * 3600 }
    }
}

impl AutoDisable {
    pub fn validate(&self) -> Result<(), ValidationError> {
        match *self {
            Self::ConsecutiveFailures { failures: 0 } => {
                Err(ValidationError::new("auto_disable", "failures must be at least 1"))
            }
            Self::FailingFor { window_s } if !(60..=90 * 24 * 3600).contains(&window_s) => {
                Err(ValidationError::new("auto_disable", "window_s must be between 60 and 7776000 (90 days)"))
            }
            _ => Ok(()),
        }
    }

    /// Why the endpoint should be disabled now, given its failure streak, if it should.
    /// Under a time warp the `failing_for` window is divided by the factor, like the retry schedule.
    pub fn verdict(
        &self,
        consecutive_failures: u32,
        failing_since_ms: Option<i64>,
        now_ms: i64,
        time_warp: f64,
    ) -> Option<String> {
        match *self {
            Self::Off => None,
            Self::ConsecutiveFailures { failures } => (consecutive_failures >= failures)
                .then(|| format!("Disabled after {consecutive_failures} deliveries in a row failed for good.")),
            Self::FailingFor { window_s } => {
                let since = failing_since_ms?;
                let warped = !super::time_warp::is_off(time_warp);
                let factor = if warped { time_warp } else { 1.0 };
                // At least 1 ms, so a single failure never disables, however large the factor.
                let window_ms = ((f64::from(window_s) * 1000.0 / factor) as i64).max(1);
                let failing_ms = now_ms - since;
                (failing_ms >= window_ms).then(|| {
                    let simulated = (failing_ms as f64 * factor) as i64;
                    let human = crate::model::time::human_duration;
                    if warped {
                        format!(
                            "Disabled because every attempt failed for {} (under time warp x{factor}: {} of real time).",
                            human(simulated),
                            human(failing_ms)
                        )
                    } else {
                        format!("Disabled because every attempt failed for {}.", human(failing_ms))
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AutoDisable;

    #[test]
    fn verdicts() {
        assert_eq!(AutoDisable::Off.verdict(100, Some(0), i64::MAX, 1.0), None);
        let streak = AutoDisable::ConsecutiveFailures { failures: 3 };
        assert!(streak.verdict(2, None, 0, 1.0).is_none());
        assert!(streak.verdict(3, None, 0, 1.0).is_some());
        let window = AutoDisable::FailingFor { window_s: 60 };
        assert!(window.verdict(0, None, 1_000_000, 1.0).is_none());
        assert!(window.verdict(0, Some(0), 59_999, 1.0).is_none());
        assert!(window.verdict(0, Some(0), 60_000, 1.0).is_some());
        assert!(AutoDisable::ConsecutiveFailures { failures: 0 }.validate().is_err());
        assert!(AutoDisable::FailingFor { window_s: 1 }.validate().is_err());
    }

    #[test]
    fn a_time_warp_shortens_the_failing_for_window() {
        let five_days = AutoDisable::FailingFor { window_s: 5 * 24 * 3600 };
        // 5 days at 3600x is 120 s.
        assert!(five_days.verdict(0, Some(0), 119_999, 3600.0).is_none());
        let reason = five_days.verdict(0, Some(0), 120_000, 3600.0).unwrap_or_default();
        assert!(reason.contains("5 days") && reason.contains("2 minutes"), "{reason}");
        assert!(five_days.verdict(0, Some(0), 120_000, 1.0).is_none(), "factor 1 is real time");
        let streak = AutoDisable::ConsecutiveFailures { failures: 3 };
        assert!(streak.verdict(2, Some(0), i64::MAX, 1e6).is_none(), "a streak is counted, not timed");
    }
}
