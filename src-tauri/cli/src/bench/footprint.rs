//! Workload 6: `hooky serve` as a child process: idle CPU, and resident memory idle and under load.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;

use super::harness::order_event;
use super::report::Report;
use super::{loadgen, Mode};

struct Served {
    child: Child,
    trigger_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Result<Served> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("HOOKY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().context("serve printed nothing")??;
    let base = first.split_whitespace().find(|w| w.starts_with("http://")).context("no URL in the banner")?.to_owned();
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok(Served { child, trigger_url: format!("{base}/api/v1/webhook_events/trigger"), _dir: dir })
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// User plus system CPU time of a process, in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

pub async fn run(mode: &Mode, report: &mut Report) -> Result<()> {
    let served = serve()?;
    let pid = served.child.id();
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

    let mut peaks = Vec::new();
    for _round in 0..mode.memory_rounds {
        let sampler = tokio::spawn(async move {
            let mut peak: f64 = 0.0;
            for _ in 0..200 {
                peak = peak.max(rss_mb(pid));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak
        });
        loadgen::post_for(&served.trigger_url, Bytes::from(order_event(1)), 64, mode.load_time).await;
        sampler.abort();
        peaks.push(rss_mb(pid));
    }
    let peak = peaks.iter().copied().fold(0.0, f64::max);
    report.add(
        "footprint",
        "resident memory under ingest load",
        format!("{peak:.1} MB"),
        "200 MB target".into(),
        format!("{:.0} %", peak / 2.0),
        "< 200 MB",
    );
    let trend: Vec<String> = peaks.iter().map(|mb| format!("{mb:.0}")).collect();
    report.add(
        "footprint",
        "resident memory after each load round (MB)",
        trend.join(" → "),
        "first round".into(),
        "n/a".into(),
        "flat",
    );
    Ok(())
}
