//! Soak: `hooky serve` takes 500 events/s while the receivers fail one answer in five
//! (retry schedule [1, 2]). Its memory is sampled every second; at the end nothing is left
//! pending or retrying (the queue drains in bounded time) and resident memory shows no
//! growth trend: the mean of the last third of the samples stays within +30 % or +20 MiB
//! of the first third (after a warm-up).
//!
//! Short: 30 s. `HOOKY_FULL=1`: 600 s. `HOOKY_SOAK_SECS` and `HOOKY_SOAK_RATE` override.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{self, Api, FailPolicy, Receiver, Serve, ServeOptions};

/// One answer in five fails, independently for every attempt.
fn one_in_five() -> FailPolicy {
    Arc::new(|id: &str, attempt: u32, _before: u32| {
        let hash = id
            .bytes()
            .chain(attempt.to_le_bytes())
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        // A final mix, so the attempts of one id fail independently.
        let mut z = hash ^ (hash >> 31);
        z = z.wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 29)) % 5 == 0
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_load_with_failing_receivers_drains_and_keeps_memory_flat() {
    let _serial = harness::serial().await;
    let secs = harness::env_number("HOOKY_SOAK_SECS").unwrap_or(if harness::full() { 600 } else { 30 });
    let rate = harness::env_number("HOOKY_SOAK_RATE").unwrap_or(500);
    let dir = tempfile::tempdir().unwrap();
    let mut options = ServeOptions::new(&dir.path().join("data"));
    options.stderr = Some(dir.path().join("stderr.log"));
    let server = Serve::start(&options).expect("hooky serve starts");
    let pid = server.pid;
    let api = Api::new(server.base_url());
    let all = Receiver::start(Some(one_in_five()), 0).await;
    let even = Receiver::start(Some(one_in_five()), 0).await;
    api.create_endpoint(json!({"url": all.url(), "retry_schedule": [1, 2], "max_in_flight": 50})).await;
    api.create_endpoint(
        json!({"url": even.url(), "event_filter": ["soak.even"], "retry_schedule": [1, 2], "max_in_flight": 50}),
    )
    .await;

    // Memory, every second, from another thread.
    let samples: Arc<Mutex<Vec<(f64, u64)>>> = Arc::default();
    let sampling = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    let sampler = {
        let (samples, sampling) = (samples.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::SeqCst) {
                if let Some(kib) = harness::rss_kib(pid) {
                    samples.lock().unwrap().push((started.elapsed().as_secs_f64(), kib));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };

    // The load: `rate` triggers a second, at most 64 in flight.
    let accepted = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let permits = Arc::new(tokio::sync::Semaphore::new(64));
    let mut sent = 0u64;
    let load_for = Duration::from_secs(secs);
    while started.elapsed() < load_for {
        let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
        while sent < due && started.elapsed() < load_for {
            let permit = permits.clone().acquire_owned().await.unwrap();
            let (api, accepted, refused, errors) = (api.clone(), accepted.clone(), refused.clone(), errors.clone());
            let name = ["soak.even", "soak.odd"][(sent % 2) as usize];
            let seq = sent;
            tokio::spawn(async move {
                match api.trigger(name, json!({"seq": seq})).await {
                    Ok((202, _)) => accepted.fetch_add(1, Ordering::SeqCst),
                    Ok((status, body)) => {
                        errors.lock().unwrap().push(format!("{status} {body}"));
                        refused.fetch_add(1, Ordering::SeqCst)
                    }
                    Err(err) => {
                        errors.lock().unwrap().push(err.to_string());
                        refused.fetch_add(1, Ordering::SeqCst)
                    }
                };
                drop(permit);
            });
            sent += 1;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = permits.acquire_many(64).await.unwrap();
    let load_ended = started.elapsed();
    // A debug build can fall a little behind at 500 events/s; the backlog must still drain, in bounded time.
    let drained = api.wait_until_drained(Duration::from_secs(120.max(secs / 4))).await;
    let rss_after_drain = harness::rss_kib(pid).unwrap_or(0);
    sampling.store(false, Ordering::SeqCst);
    sampler.join().unwrap();

    let accepted = accepted.load(Ordering::SeqCst);
    let refused = refused.load(Ordering::SeqCst);
    let failed = api.count_status("failed", usize::MAX).await;
    // Why the failed events failed: the class (or status) of their attempts.
    let mut why: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let failed_page = api.get("/api/v1/events?status=failed&limit=100").await;
    for event in failed_page["data"].as_array().into_iter().flatten() {
        let detail = api.get(&format!("/api/v1/events/{}", event["id"].as_str().unwrap_or(""))).await;
        for delivery in detail["deliveries"].as_array().into_iter().flatten() {
            for attempt in delivery["attempts"].as_array().into_iter().flatten() {
                let class = attempt["error"]["class"].as_str().unwrap_or("ok");
                let status = attempt["response"]["status"].as_u64().map(|s| format!(" {s}")).unwrap_or_default();
                *why.entry(format!("{class}{status}")).or_default() += 1;
            }
        }
    }
    let (seen_all, seen_even) = (all.seen(), even.seen());
    let ok: u64 = seen_all.values().chain(seen_even.values()).map(|s| u64::from(s.ok)).sum();
    let answered_500: u64 = seen_all.values().chain(seen_even.values()).map(|s| u64::from(s.failed)).sum();
    server.stop();

    // The trend: drop a warm-up (10 % of the load, at least 3 s), then compare thirds.
    let samples = samples.lock().unwrap().clone();
    let warm_up = (load_ended.as_secs_f64() * 0.1).max(3.0);
    let steady: Vec<u64> =
        samples.iter().filter(|(t, _)| *t >= warm_up && *t <= load_ended.as_secs_f64()).map(|(_, kib)| *kib).collect();
    let third = (steady.len() / 3).max(1);
    let first = harness::mean(&steady[..third.min(steady.len())]);
    let last = harness::mean(&steady[steady.len().saturating_sub(third)..]);
    let allowed = (first * 1.3).max(first + 20.0 * 1024.0);
    let achieved = accepted as f64 / load_ended.as_secs_f64();
    println!("soak: {secs} s at {rate} events/s target, {achieved:.0} events/s achieved");
    println!("  events: {sent} sent, {accepted} accepted, {refused} refused or failed");
    println!(
        "  deliveries: {ok} answered 2xx, {answered_500} answered 500 on purpose, {failed} events failed for good after the schedule; \
         drained {drained:.1?} after the load"
    );
    println!(
        "  RSS (KiB): {} samples, first third {first:.0}, last third {last:.0} (allowed {allowed:.0}), max {}, after drain {rss_after_drain}",
        steady.len(),
        steady.iter().max().copied().unwrap_or(0)
    );
    println!("  attempts of up to 100 failed events, by outcome: {why:?}");
    if achieved < rate as f64 * 0.9 {
        println!("  note: this machine and build reached {achieved:.0} of the {rate} events/s asked");
    }
    let errors = errors.lock().unwrap().clone();
    assert!(errors.is_empty(), "{} triggers failed, e.g. {:?}", errors.len(), &errors[..errors.len().min(5)]);
    assert!(steady.len() >= 3, "too few memory samples: {samples:?}");
    assert!(
        last <= allowed,
        "resident memory grew from {first:.0} KiB to {last:.0} KiB (allowed {allowed:.0}): {samples:?}"
    );
    // One answer in five fails, so about 1 % of deliveries fail all three attempts; far more means retries are broken.
    assert!(failed as f64 <= accepted as f64 * 0.05 + 5.0, "{failed} of {accepted} events failed");
    assert!(seen_all.len() as u64 >= accepted, "every accepted event reached the catch-all receiver");
}
