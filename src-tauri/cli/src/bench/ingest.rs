//! Workload 1: triggers committed per second, against the bare-HTTP ceiling.

use anyhow::Result;
use bytes::Bytes;

use super::harness::{order_event, BenchEngine};
use super::report::{rate, ratio, Report};
use super::{loadgen, receiver, Mode};

const CONCURRENCY: usize = 64;

pub async fn run(mode: &Mode, report: &mut Report) -> Result<()> {
    let body = Bytes::from(order_event(1));
    let (ceiling_url, stop) = receiver::start_bare_202().await?;
    let ceiling = loadgen::post_for(&ceiling_url, body.clone(), CONCURRENCY, mode.load_time).await;
    stop.cancel();

    let engine = BenchEngine::start().await?;
    let accepted = loadgen::post_for(&engine.trigger_url(), body, CONCURRENCY, mode.load_time).await;
    engine.stop().await;
    anyhow::ensure!(accepted.errors == 0, "{} triggers were refused", accepted.errors);

    report.add(
        "ingest",
        "triggers committed (c=64, 300 B)",
        rate(accepted.per_second()),
        format!("{} bare axum 202", rate(ceiling.per_second())),
        ratio(accepted.per_second(), ceiling.per_second()),
        "≥ 50 %",
    );
    Ok(())
}
