//! Time warp: one global factor that compresses retry schedules and auto-disable windows,
//! so a webhook's whole lifecycle (retries, giving up, auto-disable, recovery) plays in about
//! a minute. Request timeouts are not warped: a receiver still needs real time to answer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::validation::ValidationError;

/// 1 is real time, i.e. off.
pub const OFF_FACTOR: f64 = 1.0;
pub const MAX_FACTOR: f64 = 1_000_000.0;

/// The time warp in force.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimeWarp {
    /// How many times faster schedules run, a number from 1 to 1000000 (fractions allowed):
    /// 3600 makes an hour of retry schedule pass in one second. 1 when off.
    #[schema(example = 3600.0)]
    pub factor: f64,
    /// False when the factor is 1.
    pub enabled: bool,
    /// When this factor was set; null when off.
    pub since: Option<DateTime<Utc>>,
}

impl TimeWarp {
    pub const OFF: Self = Self { factor: OFF_FACTOR, enabled: false, since: None };

    pub fn new(factor: f64, since: Option<DateTime<Utc>>) -> Self {
        if is_off(factor) {
            Self::OFF
        } else {
            Self { factor, enabled: true, since }
        }
    }
}

/// Whether a factor means real time.
pub fn is_off(factor: f64) -> bool {
    factor <= OFF_FACTOR
}

/// `PUT /api/v1/time_warp`: a factor, or null (or 1) to turn the warp off.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWarpIn {
    /// 1 to 1000000; null or 1 turns the warp off. The field is required.
    #[serde(deserialize_with = "required_nullable")]
    #[schema(required = true, example = 3600.0)]
    pub factor: Option<f64>,
}

/// Makes `factor` required while still taking null (serde treats a missing Option as None).
fn required_nullable<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(deserializer)
}

/// The factor to run at: null means off; anything outside 1 to 1000000 is refused.
pub fn validate_factor(factor: Option<f64>) -> Result<f64, ValidationError> {
    let factor = factor.unwrap_or(OFF_FACTOR);
    if factor.is_finite() && (OFF_FACTOR..=MAX_FACTOR).contains(&factor) {
        Ok(factor)
    } else {
        Err(ValidationError::new("factor", "must be between 1 and 1000000, or null to turn the time warp off"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_in_range_are_taken_and_null_is_off() {
        assert_eq!(validate_factor(None), Ok(1.0));
        assert_eq!(validate_factor(Some(1.0)), Ok(1.0));
        assert_eq!(validate_factor(Some(3600.0)), Ok(3600.0));
        assert_eq!(validate_factor(Some(MAX_FACTOR)), Ok(MAX_FACTOR));
        for bad in [0.0, 0.5, -3.0, 1_000_000.5, f64::NAN, f64::INFINITY] {
            assert!(validate_factor(Some(bad)).is_err(), "{bad} was taken");
        }
        assert_eq!(TimeWarp::new(1.0, None), TimeWarp::OFF);
        assert!(TimeWarp::new(2.0, None).enabled);
    }

    #[test]
    fn the_factor_field_is_required_but_may_be_null() {
        assert!(serde_json::from_str::<TimeWarpIn>("{}").is_err());
        assert_eq!(serde_json::from_str::<TimeWarpIn>(r#"{"factor":null}"#).map(|i| i.factor).ok(), Some(None));
        assert_eq!(serde_json::from_str::<TimeWarpIn>(r#"{"factor":60}"#).map(|i| i.factor).ok(), Some(Some(60.0)));
        assert!(serde_json::from_str::<TimeWarpIn>(r#"{"factor":"fast"}"#).is_err());
    }
}
