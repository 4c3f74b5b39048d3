//! Workload 3: time from a trigger to the start of its first attempt, at a steady 1,000 events/s.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use super::harness::{order_event, wait_until, BenchEngine};
use super::receiver::{self, Behaviour, Receiver};
use super::report::{ms, percentile, ratio, Report};
use super::{loadgen, Mode};

const RATE_PER_S: u64 = 1000;

/// Sends `count` bodies at a steady rate; returns the send time of each `seq`.
async fn paced(url: &str, count: u64, body: fn(u64) -> String) -> Vec<Instant> {
    let client = loadgen::client();
    let sent = Arc::new(Mutex::new(vec![Instant::now(); count as usize]));
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / RATE_PER_S));
    let mut tasks = Vec::with_capacity(count as usize);
    for seq in 0..count {
        ticker.tick().await;
        let (client, url, sent) = (client.clone(), url.to_owned(), sent.clone());
        tasks.push(tokio::spawn(async move {
            sent.lock().unwrap_or_else(|p| p.into_inner())[seq as usize] = Instant::now();
            let _ = client.post(&url).header("content-type", "application/json").body(body(seq)).send().await;
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    Arc::try_unwrap(sent).map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner())).unwrap_or_default()
}

fn latencies_ms(sent: &[Instant], receiver: &Receiver) -> Vec<f64> {
    let arrivals = receiver.counters.arrivals.lock().unwrap_or_else(|p| p.into_inner());
    let mut all: Vec<f64> = sent
        .iter()
        .enumerate()
        .filter_map(|(seq, at)| {
            arrivals.get(&(seq as u64)).map(|arrived| arrived.duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    all.sort_by(f64::total_cmp);
    all
}

/// The payload alone, so the direct baseline sends the same bytes the engine delivers.
fn bare_payload(seq: u64) -> String {
    let event: serde_json::Value = serde_json::from_str(&order_event(seq)).unwrap_or_default();
    event["payload"].to_string()
}

pub async fn run(mode: &Mode, report: &mut Report) -> Result<()> {
    let count = RATE_PER_S * mode.load_time.as_secs().max(1);
    let direct_receiver = receiver::start(Behaviour::Ok, true).await?;
    let direct = latencies_ms(&paced(&direct_receiver.url, count, bare_payload).await, &direct_receiver);

    let receiver = receiver::start(Behaviour::Ok, true).await?;
    let engine = BenchEngine::start().await?;
    let id = engine.add_endpoint(&receiver.url, json!({ "max_in_flight": 64 })).await?;
    engine.enable(&id).await?;
    let sent = paced(&engine.trigger_url(), count, order_event).await;
    wait_until(Duration::from_secs(60), || receiver.counters.received.load(Ordering::Relaxed) >= count).await?;
    let through_engine = latencies_ms(&sent, &receiver);
    engine.stop().await;

    for (label, p, target) in [("p50", 0.5, "< 2 ms"), ("p99", 0.99, "< 20 ms")] {
        let value = percentile(&through_engine, p);
        let baseline = percentile(&direct, p);
        report.add(
            "latency",
            &format!("trigger → first attempt {label} at 1,000/s"),
            ms(value),
            format!("{} direct POST", ms(baseline)),
            ratio(value, baseline),
            target,
        );
    }
    Ok(())
}
