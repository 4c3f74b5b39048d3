//! Workload 1: triggers committed per second, against the bare-HTTP ceiling.

use anyhow::Result;
use bytes::Bytes;

use super::harness::{order_event, BenchEngine};
use super::report::{best, median, rate, ratio, Report};
use super::{loadgen, receiver, Mode};

const CONCURRENCY: usize = 64;
/// The load alternates between the ceiling and the engine in this many pairs, so that both see
/// the same spells of a shared machine's load.
const ROUNDS: u32 = 4;

pub async fn run(mode: &Mode, report: &mut Report) -> Result<()> {
    let body = Bytes::from(order_event(1));
    let (ceiling_url, stop) = receiver::start_bare_202().await?;
    let engine = BenchEngine::start().await?;
    let round_time = mode.load_time / ROUNDS;
    let (mut ceiling, mut accepted) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let bare = loadgen::post_for(&ceiling_url, body.clone(), CONCURRENCY, round_time).await;
        let triggers = loadgen::post_for(&engine.trigger_url(), body.clone(), CONCURRENCY, round_time).await;
        anyhow::ensure!(triggers.errors == 0, "{} triggers were refused", triggers.errors);
        ceiling.push(bare.per_second());
        accepted.push(triggers.per_second());
    }
    engine.stop().await;
    stop.cancel();

    // The ceiling is the best bare round: its rate is bimodal here (about 48k/s or 80k/s, as the
    // runtime happens to place the client and server tasks), and the lower mode is not a ceiling.
    let (ceiling, accepted) = (best(&ceiling), median(accepted));
    report.add(
        "ingest",
        "triggers committed (c=64, 300 B)",
        rate(accepted),
        format!("{} bare axum 202", rate(ceiling)),
        ratio(accepted, ceiling),
        "≥ 50 %",
    );
    Ok(())
}
