//! Workload 7: resident memory over a long run. Rounds of triggers, each delivered to a loopback receiver
//! and settled, with the child engine's resident memory read after each round: a leak shows as a trend.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use super::harness::{order_event, wait_until};
use super::receiver::{self, Behaviour};
use super::report::{rate, ratio, Report};
use super::served::{rss_mb, Served};
use super::Mode;

const SETTLE: Duration = Duration::from_secs(120);
/// Lets the engine's buffers drain after a round before its memory is read.
const QUIET_BEFORE_SAMPLE: Duration = Duration::from_millis(300);

pub async fn run(mode: &Mode, report: &mut Report) -> Result<()> {
    let served = Served::start()?;
    let pid = served.pid();
    let receiver = receiver::start(Behaviour::Ok, false).await?;
    let id = served.api.add_endpoint(&receiver.url, json!({ "max_in_flight": 32 })).await?;
    served.api.enable(&id).await?;
    tokio::time::sleep(QUIET_BEFORE_SAMPLE).await;
    let idle = rss_mb(pid);

    let per_round = mode.memory_events;
    let mut series = Vec::with_capacity(mode.memory_rounds);
    let started = Instant::now();
    for round in 1..=mode.memory_rounds {
        let round_started = Instant::now();
        served.api.fire(per_round, 32, order_event).await?;
        let expected = per_round * round as u64;
        wait_until(SETTLE, || receiver.counters.received.load(Ordering::Relaxed) >= expected).await?;
        served.api.settle(SETTLE).await?;
        let took = round_started.elapsed();
        tokio::time::sleep(QUIET_BEFORE_SAMPLE).await;
        let mb = rss_mb(pid);
        println!(
            "  memory: round {round}/{}: {mb:.1} MB after {per_round} events delivered in {:.1} s ({})",
            mode.memory_rounds,
            took.as_secs_f64(),
            rate(per_round as f64 / took.as_secs_f64())
        );
        series.push(mb);
    }
    let delivered = receiver.counters.received.load(Ordering::Relaxed);
    let total = started.elapsed().as_secs_f64();

    let (first, last) = (series.first().copied().unwrap_or(f64::NAN), series.last().copied().unwrap_or(f64::NAN));
    let trend: Vec<String> = series.iter().map(|mb| format!("{mb:.1}")).collect();
    report.add(
        "memory",
        &format!("resident MB after each of {} rounds of {per_round} delivered events", series.len()),
        trend.join(" → "),
        format!("{first:.1} MB round 1 ({idle:.1} MB idle before)"),
        format!("{} last/first", ratio(last, first)),
        "flat",
    );
    let half = last_half(&series);
    report.add(
        "memory",
        &format!("slope over the last {} rounds (least squares)", half.len()),
        slope_per_round(half).map_or("n/a".into(), |s| format!("{s:+.2} MB/round")),
        format!("{first:.1} MB round 1"),
        slope_per_round(half).map_or("n/a".into(), |s| format!("{:+.1} % of round 1 per round", 100.0 * s / first)),
        "≈ 0",
    );
    println!("  memory: {delivered} deliveries over {total:.1} s ({})", rate(delivered as f64 / total));
    Ok(())
}

/// The second half of the series (at least two points when there are two), where warm-up has passed.
fn last_half(series: &[f64]) -> &[f64] {
    let keep = series.len().div_ceil(2).max(2).min(series.len());
    &series[series.len() - keep..]
}

/// Least-squares slope of `ys` against 0, 1, 2…; None with fewer than two points.
fn slope_per_round(ys: &[f64]) -> Option<f64> {
    if ys.len() < 2 {
        return None;
    }
    let n = ys.len() as f64;
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = ys.iter().sum::<f64>() / n;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for (i, y) in ys.iter().enumerate() {
        let dx = i as f64 - mean_x;
        covariance += dx * (y - mean_y);
        variance += dx * dx;
    }
    Some(covariance / variance)
}

#[cfg(test)]
mod tests {
    use super::{last_half, slope_per_round};

    #[test]
    fn a_steady_leak_shows_as_its_slope_and_a_flat_series_as_zero() {
        let leaking = [20.0, 22.0, 24.0, 26.0];
        assert_eq!(slope_per_round(&leaking), Some(2.0));
        assert_eq!(slope_per_round(&[30.0, 30.0, 30.0]), Some(0.0));
        assert_eq!(slope_per_round(&[30.0]), None);
    }

    #[test]
    fn the_last_half_skips_warm_up_but_keeps_two_points() {
        let series = [10.0, 25.0, 26.0, 26.0, 26.0];
        assert_eq!(last_half(&series), &[26.0, 26.0, 26.0]);
        assert_eq!(last_half(&series[..3]), &[25.0, 26.0]);
        assert_eq!(last_half(&series[..2]), &[10.0, 25.0]);
        assert_eq!(last_half(&series[..1]), &[10.0]);
    }
}
