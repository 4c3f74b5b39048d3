//! What the test watches of the engine's process while receivers misbehave: its memory, and
//! whether `/api/v1/health` keeps answering.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Resident memory of this process, in KiB.
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap()
}

/// Polls `/api/v1/health` every 50 ms until stopped; counts failures and keeps the slowest answer.
pub struct HealthWatch {
    stop: Arc<AtomicBool>,
    slowest_ms: Arc<AtomicU64>,
    failures: Arc<AtomicU64>,
    polls: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl HealthWatch {
    pub fn start(url: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (slowest_ms, failures, polls) = (Arc::default(), Arc::default(), Arc::default());
        let (s, slow, fail, count): (Arc<AtomicBool>, Arc<AtomicU64>, Arc<AtomicU64>, Arc<AtomicU64>) =
            (stop.clone(), Arc::clone(&slowest_ms), Arc::clone(&failures), Arc::clone(&polls));
        let task = tokio::spawn(async move {
            let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(3)).build().unwrap();
            while !s.load(Ordering::SeqCst) {
                let started = Instant::now();
                let ok = client.get(&url).send().await.is_ok_and(|r| r.status() == 200);
                slow.fetch_max(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX), Ordering::SeqCst);
                count.fetch_add(1, Ordering::SeqCst);
                if !ok {
                    fail.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Self { stop, slowest_ms, failures, polls, task }
    }

    pub async fn finish(self) -> (u64, u64, u64) {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap();
        (
            self.polls.load(Ordering::SeqCst),
            self.failures.load(Ordering::SeqCst),
            self.slowest_ms.load(Ordering::SeqCst),
        )
    }
}
