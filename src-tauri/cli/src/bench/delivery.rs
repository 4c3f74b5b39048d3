//! Workloads 2 and 4: end-to-end deliveries per second, and isolation from bad endpoints.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use serde_json::json;

use super::harness::{order_event, wait_until, BenchEngine};
use super::receiver::{self, Behaviour};
use super::report::{best, rate, ratio, spread, Report};
use super::{loadgen, Mode};
use hooky_engine::store::synthetic::backlog;

const SETTLE: Duration = Duration::from_secs(120);
/// The payload size of the large-payload row: many real webhooks carry a few KiB.
const LARGE_PAYLOAD_BYTES: usize = 8 * 1024;

/// Each endpoint's in-flight slots: 64 in all, as the direct client's concurrency, but at least 8.
fn in_flight_per_endpoint(endpoints: usize) -> u32 {
    u32::try_from((64 / endpoints).max(8)).unwrap_or(8)
}

/// Deliveries/s since `started`, once the receiver got `expected` requests and (with `settled`)
/// every attempt is logged; stops the engine.
async fn rate_once_delivered(
    engine: BenchEngine,
    receiver: &receiver::Receiver,
    expected: u64,
    started: Instant,
    settled: bool,
) -> Result<f64> {
    wait_until(SETTLE, || receiver.counters.received.load(Ordering::Relaxed) >= expected).await?;
    if settled {
        engine.settle(SETTLE).await?;
    }
    let elapsed = started.elapsed();
    engine.stop().await;
    Ok(expected as f64 / elapsed.as_secs_f64())
}

/// Deliveries/s of `events` events to `healthy` endpoints, with `faulty` extra ones (one hangs, one fails).
async fn deliveries_per_second(events: u64, healthy: usize, faulty: bool) -> Result<f64> {
    let engine = BenchEngine::start().await?;
    let receiver = receiver::start(Behaviour::Ok, false).await?;
    let in_flight = in_flight_per_endpoint(healthy);
    let mut ids = Vec::new();
    for _ in 0..healthy {
        ids.push(engine.add_endpoint(&receiver.url, json!({ "max_in_flight": in_flight })).await?);
    }
    let (hang, fail) = (receiver::start(Behaviour::Hang, false).await?, receiver::start(Behaviour::Fail, false).await?);
    if faulty {
        ids.push(engine.add_endpoint(&hang.url, json!({ "timeout_ms": 10_000, "max_in_flight": 10 })).await?);
        ids.push(engine.add_endpoint(&fail.url, json!({ "retry_schedule": [1, 1, 1], "max_in_flight": 10 })).await?);
    }
    for id in &ids {
        engine.enable(id).await?;
    }
    // End to end: the clock runs from the first trigger to the last attempt logged.
    let started = Instant::now();
    engine.fire(events, 64, order_event).await?;
    // Every attempt is logged before the figure counts (beside faults, some never end).
    rate_once_delivered(engine, &receiver, events * healthy as u64, started, !faulty).await
}

/// Deliveries/s of a stored backlog of `events` events to `endpoints` endpoints: the delivery
/// engine alone, from start-up to the last attempt logged, with no triggers competing for the CPU.
async fn backlog_per_second(events: u64, endpoints: usize, payload_bytes: usize) -> Result<f64> {
    let receiver = receiver::start(Behaviour::Ok, false).await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("hooky.db");
    let urls = vec![receiver.url.clone(); endpoints];
    let in_flight = in_flight_per_endpoint(endpoints);
    tokio::task::spawn_blocking(move || backlog(&path, events, &urls, in_flight, payload_bytes)).await??;
    let started = Instant::now();
    let engine = BenchEngine::start_in(dir.path()).await?;
    rate_once_delivered(engine, &receiver, events * endpoints as u64, started, true).await
}

/// One round of the direct client posting `body` to the receiver, for a ninth of the load time.
async fn direct_round(mode: &Mode, body: &str) -> Result<f64> {
    let receiver = receiver::start(Behaviour::Ok, false).await?;
    Ok(loadgen::post_for(&receiver.url, Bytes::from(body.to_owned()), 64, mode.load_time / 9).await.per_second())
}

pub async fn run(mode: &Mode, report: &mut Report) -> Result<()> {
    for endpoints in [1usize, 10] {
        let events = mode.events / endpoints as u64;
        for triggered in [true, false] {
            // Each engine run comes right after a round of the direct client, so both sides see
            // the same spells of a shared machine's load, and each side counts its best round:
            // other load only ever slows a round down, and the direct client's rate is bimodal
            // here (as the runtime happens to place its tasks), so one round could halve it.
            let (mut direct, mut engine) = (Vec::new(), Vec::new());
            for _ in 0..mode.delivery_rounds {
                direct.push(direct_round(mode, &order_event(1)).await?);
                engine.push(if triggered {
                    deliveries_per_second(events, endpoints, false).await?
                } else {
                    backlog_per_second(events, endpoints, 0).await?
                });
            }
            let how = if triggered { "triggered and" } else { "from a stored backlog," };
            let (direct, per_second) = (best(&direct), best(&engine));
            report.add(
                "delivery",
                &format!("deliveries {how} logged, {endpoints} endpoint(s)"),
                format!("{}{}", rate(per_second), spread(&engine)),
                format!("{} direct client", rate(direct)),
                ratio(per_second, direct),
                "≥ 40 %",
            );
        }
    }
    large_payloads(mode, report).await?;
    // Alternating rounds, best against best, for the same reasons as the delivery rows.
    let events = mode.events / 2;
    let (mut alone, mut beside_faults) = (Vec::new(), Vec::new());
    for _ in 0..mode.delivery_rounds {
        alone.push(deliveries_per_second(events, 2, false).await?);
        beside_faults.push(deliveries_per_second(events, 2, true).await?);
    }
    let (alone_best, beside_best) = (best(&alone), best(&beside_faults));
    report.add(
        "isolation",
        "healthy deliveries beside a hanging and a failing endpoint",
        format!("{}{}", rate(beside_best), spread(&beside_faults)),
        format!("{} alone{}", rate(alone_best), spread(&alone)),
        ratio(beside_best, alone_best),
        "≥ 90 %",
    );
    Ok(())
}

/// Backlog delivery to 1 endpoint with large payloads, against the direct client posting
/// bodies of the same size.
async fn large_payloads(mode: &Mode, report: &mut Report) -> Result<()> {
    let body = format!(r#"{{"note":"{}"}}"#, "x".repeat(LARGE_PAYLOAD_BYTES - r#"{"note":""}"#.len()));
    let (mut direct, mut engine) = (Vec::new(), Vec::new());
    for _ in 0..mode.delivery_rounds {
        direct.push(direct_round(mode, &body).await?);
        // A fifth of the events: each stored payload is 8 KiB, a file of 160 MB in a full run.
        engine.push(backlog_per_second(mode.events / 5, 1, LARGE_PAYLOAD_BYTES).await?);
    }
    let (direct, per_second) = (best(&direct), best(&engine));
    report.add(
        "delivery",
        &format!("deliveries from a stored backlog, logged, 1 endpoint, {} KiB payloads", LARGE_PAYLOAD_BYTES / 1024),
        format!("{}{}", rate(per_second), spread(&engine)),
        format!("{} direct client", rate(direct)),
        ratio(per_second, direct),
        "≥ 40 %",
    );
    Ok(())
}
