//! Workload 6: `hooky serve` as a child process: idle CPU, and resident memory idle and under load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;

use super::harness::order_event;
use super::report::Report;
use super::served::{cpu_ticks, rss_mb, Served};
use super::{loadgen, Mode};

pub async fn run(mode: &Mode, report: &mut Report) -> Result<()> {
    let served = Served::start()?;
    let pid = served.pid();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = cpu_ticks(pid);
    tokio::time::sleep(mode.idle_time).await;
    let idle_cpu = (cpu_ticks(pid) - before) as f64 / mode.idle_time.as_secs_f64(); // ticks/s = % of a core
    let idle_rss = rss_mb(pid);
    report.add("footprint", "idle CPU", format!("{idle_cpu:.1} % of a core"), "0 %".into(), "n/a".into(), "≈ 0");
    report.add(
        "footprint",
        "resident memory, idle",
        format!("{idle_rss:.1} MB"),
        "60 MB target".into(),
        format!("{:.0} %", idle_rss / 0.6),
        "< 60 MB",
    );

    // The peak over the load rounds, sampled every 50 ms; the trend over many rounds is the memory workload's.
    let mut peak: f64 = 0.0;
    for _round in 0..mode.footprint_rounds {
        let loading = Arc::new(AtomicBool::new(true));
        let still_loading = loading.clone();
        let sampler = tokio::spawn(async move {
            let mut peak: f64 = 0.0;
            while still_loading.load(Ordering::Relaxed) {
                peak = peak.max(rss_mb(pid));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak
        });
        loadgen::post_for(&served.api.trigger_url(), Bytes::from(order_event(1)), 64, mode.load_time).await;
        loading.store(false, Ordering::Relaxed);
        peak = peak.max(sampler.await.unwrap_or(f64::NAN)).max(rss_mb(pid));
    }
    report.add(
        "footprint",
        "resident memory under ingest load",
        format!("{peak:.1} MB"),
        "200 MB target".into(),
        format!("{:.0} %", peak / 2.0),
        "< 200 MB",
    );
    Ok(())
}
