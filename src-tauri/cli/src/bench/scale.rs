//! Workload 5: queries and start-up on a large history.

use std::time::Instant;

use anyhow::{Context, Result};
use hooky_engine::store::synthetic::{generate, SyntheticHistory};

use super::harness::BenchEngine;
use super::report::{ms, percentile, ratio, Report};
use super::Mode;

const SAMPLES: usize = 30;

async fn median_ms(engine: &BenchEngine, path: &str) -> Result<f64> {
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        engine.get(path).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(percentile(&times, 0.5))
}

pub async fn run(mode: &Mode, report: &mut Report) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join(hooky_engine::config::DB_FILE);
    let spec = SyntheticHistory { events: mode.scale_events, endpoints: 3, attempts_per_delivery: 3 };
    let generating = Instant::now();
    let path = db.clone();
    let endpoints = tokio::task::spawn_blocking(move || generate(&path, &spec)).await??;
    println!(
        "  scale: generated {} events and {} attempts in {:.1} s",
        mode.scale_events,
        mode.scale_events * 3,
        generating.elapsed().as_secs_f64()
    );
    // The database and its search index, each with its WAL.
    let size = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let index = hooky_engine::store::index_path(&db);
    let bytes = size(&db) + size(&db.with_extension("db-wal")) + size(&index) + size(&index.with_extension("db-wal"));

    // The generator has just written gigabytes the kernel is still writing back, and a write at
    // the start waits on that (a secret given to each generated endpoint did, until they came
    // with one: 13–634 ms over seven runs, 14–78 ms once synced). A start after a normal run of
    // Hooky finds its files long written.
    for file in [&db, &index] {
        std::fs::File::open(file)?.sync_all()?;
    }
    let starting = Instant::now();
    let engine = BenchEngine::start_in(dir.path()).await?;
    engine.get("/api/v1/health").await?;
    let startup_ms = starting.elapsed().as_secs_f64() * 1000.0;

    let floor = median_ms(&engine, "/api/v1/health").await?;
    let middle = engine.get(&format!("/api/v1/events?limit=1&until={}", "2023-11-15T00:00:00Z")).await?;
    let cursor = middle["data"][0]["id"].as_str().context("no event in the middle of the history")?.to_owned();
    let endpoint = endpoints.first().context("no endpoint")?;
    let pages = [
        ("events page, status=failed", format!("/api/v1/events?status=failed&limit=50&cursor={cursor}")),
        ("events page, event_name", format!("/api/v1/events?event_name=order.paid&limit=50&cursor={cursor}")),
        ("events page, endpoint_id", format!("/api/v1/events?endpoint_id={endpoint}&limit=50&cursor={cursor}")),
    ];
    for (label, path) in pages {
        let value = median_ms(&engine, &path).await?;
        report.add("scale", label, ms(value), format!("{} health", ms(floor)), ratio(value, floor), "< 20 ms");
    }
    // A word that appears in one event in a thousand: full-text search, newest page.
    let search = median_ms(&engine, "/api/v1/events?q=cus_4242&limit=50").await?;
    report.add(
        "scale",
        "full-text search page (q=)",
        ms(search),
        format!("{} health", ms(floor)),
        ratio(search, floor),
        "< 200 ms",
    );
    let detail = median_ms(&engine, &format!("/api/v1/events/{cursor}")).await?;
    report.add(
        "scale",
        "event detail (3 attempts)",
        ms(detail),
        format!("{} health", ms(floor)),
        ratio(detail, floor),
        "< 5 ms",
    );
    engine.stop().await;
    report.add("scale", "engine start-up", ms(startup_ms), "n/a".into(), "n/a".into(), "< 1 s");
    let per_attempt = bytes as f64 / (mode.scale_events as f64 * 3.0);
    report.add(
        "scale",
        &format!("database bytes per attempt ({} events)", mode.scale_events),
        format!("{per_attempt:.0} B"),
        "n/a".into(),
        "n/a".into(),
        "report",
    );
    Ok(())
}
