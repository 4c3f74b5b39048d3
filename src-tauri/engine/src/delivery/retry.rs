//! What happens after an attempt: success, a retry at some time, or the end.

use std::time::Duration;

use rand::Rng;

use crate::model::{AttemptTrigger, DeliveryStatus, ErrorClass};

/// ±20 % jitter spreads retries so a recovering receiver is not hit all at once.
const JITTER: f64 = 0.2;
/// After a timeout or a 429 the receiver is struggling: wait at least a minute,
/// unless the endpoint's own schedule never waits that long.
const SLOW_DOWN_FLOOR: Duration = Duration::from_secs(60);
/// The shortest delay a time warp makes, so a huge factor never has the scheduler spin.
const MIN_WARPED_DELAY: Duration = Duration::from_millis(10);

/// The facts about one finished attempt that decide what comes next.
#[derive(Debug, Clone, Copy)]
pub struct AttemptResult {
    pub succeeded: bool,
    pub status: Option<u16>,
    pub error_class: Option<ErrorClass>,
    pub retry_after: Option<Duration>,
}

/// The delivery's state before the attempt.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryState {
    pub status: DeliveryStatus,
    pub auto_attempt_count: u32,
    pub next_attempt_at_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub status: DeliveryStatus,
    pub next_attempt_at_ms: Option<i64>,
    /// A 410 Gone: the receiver says it no longer wants deliveries.
    pub disable_endpoint: bool,
}

pub fn decide(
    trigger: AttemptTrigger,
    before: DeliveryState,
    result: AttemptResult,
    schedule: &[u32],
    time_warp: f64,
    now_ms: i64,
    rng: &mut impl Rng,
) -> Decision {
    let gone = result.status == Some(410);
    if result.succeeded {
        return Decision { status: DeliveryStatus::Succeeded, next_attempt_at_ms: None, disable_endpoint: false };
    }
    if gone {
        return Decision { status: DeliveryStatus::Failed, next_attempt_at_ms: None, disable_endpoint: true };
    }
    if trigger == AttemptTrigger::Manual {
        // A manual attempt that fails leaves the schedule as it was.
        let status = match before.status {
            DeliveryStatus::Pending => DeliveryStatus::Retrying,
            other => other,
        };
        return Decision { status, next_attempt_at_ms: before.next_attempt_at_ms, disable_endpoint: false };
    }
    let Some(&base_s) = schedule.get(before.auto_attempt_count as usize) else {
        return Decision { status: DeliveryStatus::Failed, next_attempt_at_ms: None, disable_endpoint: false };
    };
    let delay = warp(retry_delay(base_s, schedule, result, rng), time_warp);
    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    Decision {
        status: DeliveryStatus::Retrying,
        next_attempt_at_ms: Some(now_ms.saturating_add(delay_ms)),
        disable_endpoint: false,
    }
}

fn retry_delay(base_s: u32, schedule: &[u32], result: AttemptResult, rng: &mut impl Rng) -> Duration {
    let factor = rng.gen_range((1.0 - JITTER)..=(1.0 + JITTER));
    let mut delay = Duration::from_secs(u64::from(base_s)).mul_f64(factor);
    let slow_down = result.error_class == Some(ErrorClass::Timeout) || result.status == Some(429);
    if slow_down {
        let longest = Duration::from_secs(u64::from(schedule.iter().copied().max().unwrap_or(0)));
        delay = delay.max(SLOW_DOWN_FLOOR.min(longest));
    }
    match result.retry_after {
        // Honour the receiver, but within 1x to 2x of our own delay.
        Some(asked) => asked.clamp(delay, delay * 2),
        None => delay,
    }
}

/// The delay as it passes under a time warp. Jitter, the slow-down floor and the
/// `Retry-After` clamp are all applied before, so each is scaled with the schedule;
/// `Retry-After` is read as warped time too, like the schedule it is clamped to.
fn warp(delay: Duration, time_warp: f64) -> Duration {
    if crate::model::time_warp::is_off(time_warp) || !time_warp.is_finite() {
        return delay;
    }
    // Never lengthen a delay that was already shorter than the minimum.
    delay.div_f64(time_warp).max(MIN_WARPED_DELAY.min(delay))
}

/// Parses `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::mock::StepRng;

    fn failed(status: u16) -> AttemptResult {
        AttemptResult {
            succeeded: false,
            status: Some(status),
            error_class: Some(ErrorClass::Status),
            retry_after: None,
        }
    }

    fn fresh() -> DeliveryState {
        DeliveryState { status: DeliveryStatus::Pending, auto_attempt_count: 0, next_attempt_at_ms: Some(0) }
    }

    #[test]
    fn follows_the_schedule_with_bounded_jitter() {
        let mut rng = rand::thread_rng();
        for _ in 0..200 {
            let d = decide(AttemptTrigger::Automatic, fresh(), failed(500), &[10, 300], 1.0, 1_000, &mut rng);
            assert_eq!(d.status, DeliveryStatus::Retrying);
            let delay = d.next_attempt_at_ms.unwrap_or(0) - 1_000;
            assert!((8_000..=12_000).contains(&delay), "delay {delay}");
        }
    }

    #[test]
    fn fails_when_the_schedule_is_used_up() {
        let state = DeliveryState { auto_attempt_count: 2, ..fresh() };
        let d = decide(AttemptTrigger::Automatic, state, failed(500), &[1, 1], 1.0, 0, &mut rand::thread_rng());
        assert_eq!(d, Decision { status: DeliveryStatus::Failed, next_attempt_at_ms: None, disable_endpoint: false });
    }

    #[test]
    fn gone_disables_and_success_ends() {
        let d = decide(AttemptTrigger::Automatic, fresh(), failed(410), &[1], 1.0, 0, &mut rand::thread_rng());
        assert!(d.disable_endpoint);
        assert_eq!(d.status, DeliveryStatus::Failed);
        let ok = AttemptResult { succeeded: true, status: Some(204), error_class: None, retry_after: None };
        assert_eq!(
            decide(AttemptTrigger::Automatic, fresh(), ok, &[1], 1.0, 0, &mut rand::thread_rng()).status,
            DeliveryStatus::Succeeded
        );
    }

    #[test]
    fn retry_after_is_clamped_to_one_to_two_times_the_delay() {
        // StepRng(0, 0) draws the lowest factor, 0.8.
        let mut rng = StepRng::new(0, 0);
        let asked = |secs| AttemptResult { retry_after: Some(Duration::from_secs(secs)), ..failed(503) };
        let mut at = |r| decide(AttemptTrigger::Automatic, fresh(), r, &[100], 1.0, 0, &mut rng).next_attempt_at_ms;
        assert_eq!(at(asked(1)), Some(80_000));
        assert_eq!(at(asked(120)), Some(120_000));
        assert_eq!(at(asked(10_000)), Some(160_000));
    }

    #[test]
    fn timeouts_slow_down_within_the_schedule() {
        let mut rng = StepRng::new(0, 0);
        let timeout =
            AttemptResult { succeeded: false, status: None, error_class: Some(ErrorClass::Timeout), retry_after: None };
        let at = decide(AttemptTrigger::Automatic, fresh(), timeout, &[5, 300], 1.0, 0, &mut rng).next_attempt_at_ms;
        assert_eq!(at, Some(60_000));
        let short = decide(AttemptTrigger::Automatic, fresh(), timeout, &[1, 2], 1.0, 0, &mut rng).next_attempt_at_ms;
        assert_eq!(short, Some(2_000));
    }

    #[test]
    fn manual_failure_leaves_the_schedule_alone() {
        let state =
            DeliveryState { status: DeliveryStatus::Retrying, auto_attempt_count: 1, next_attempt_at_ms: Some(99) };
        let d = decide(AttemptTrigger::Manual, state, failed(500), &[1, 1], 1.0, 0, &mut rand::thread_rng());
        assert_eq!(
            d,
            Decision { status: DeliveryStatus::Retrying, next_attempt_at_ms: Some(99), disable_endpoint: false }
        );
    }

    /// The next attempt's delay in ms for `result` on `schedule`, at the lowest jitter (0.8).
    fn warped_at(result: AttemptResult, schedule: &[u32], time_warp: f64) -> Option<i64> {
        let mut rng = StepRng::new(0, 0);
        decide(AttemptTrigger::Automatic, fresh(), result, schedule, time_warp, 0, &mut rng).next_attempt_at_ms
    }

    #[test]
    fn a_time_warp_divides_the_plain_delay_jitter_included() {
        // 1 h at the lowest jitter is 2880 s; at 3600x that is 800 ms.
        assert_eq!(warped_at(failed(500), &[3600], 3600.0), Some(800));
        let mut rng = rand::thread_rng();
        for _ in 0..200 {
            let d = decide(AttemptTrigger::Automatic, fresh(), failed(500), &[36_000], 36_000.0, 0, &mut rng);
            let delay = d.next_attempt_at_ms.unwrap_or(0);
            assert!((800..=1200).contains(&delay), "10 h at 36000x took {delay} ms, not 1 s ± 20 %");
        }
    }

    #[test]
    fn a_time_warp_divides_the_slow_down_floor() {
        let timeout =
            AttemptResult { succeeded: false, status: None, error_class: Some(ErrorClass::Timeout), retry_after: None };
        // The one-minute floor after a timeout or a 429 becomes one second at 60x.
        assert_eq!(warped_at(timeout, &[5, 300], 60.0), Some(1_000));
        assert_eq!(warped_at(failed(429), &[5, 300], 60.0), Some(1_000));
        // A plain failure has no floor: 5 s x 0.8 at 60x.
        assert_eq!(warped_at(failed(500), &[5, 300], 60.0), Some(66));
    }

    #[test]
    fn a_time_warp_divides_the_retry_after_clamp() {
        let asked = |secs| AttemptResult { retry_after: Some(Duration::from_secs(secs)), ..failed(503) };
        // 100 s x 0.8 = 80 s, clamped to 80..160 s, then divided by 10.
        assert_eq!(warped_at(asked(1), &[100], 10.0), Some(8_000));
        assert_eq!(warped_at(asked(120), &[100], 10.0), Some(12_000));
        assert_eq!(warped_at(asked(10_000), &[100], 10.0), Some(16_000));
    }

    #[test]
    fn factor_one_changes_nothing() {
        let timeout =
            AttemptResult { succeeded: false, status: None, error_class: Some(ErrorClass::Timeout), retry_after: None };
        let asked = AttemptResult { retry_after: Some(Duration::from_secs(120)), ..failed(503) };
        for (result, schedule, expected) in [
            (failed(500), &[3600][..], 2_880_000),
            (timeout, &[5, 300][..], 60_000),
            (failed(429), &[5, 300][..], 60_000),
            (asked, &[100][..], 120_000),
            (failed(500), &[0][..], 0),
        ] {
            assert_eq!(warped_at(result, schedule, 1.0), Some(expected), "{result:?} on {schedule:?}");
        }
    }

    #[test]
    fn a_huge_factor_keeps_a_minimum_delay() {
        assert_eq!(warped_at(failed(500), &[5], 1_000_000.0), Some(10), "4 µs is raised to 10 ms");
        assert_eq!(warped_at(failed(500), &[0], 1_000_000.0), Some(0), "an immediate retry stays immediate");
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
