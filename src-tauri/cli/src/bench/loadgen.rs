//! A closed-loop load generator: N workers send requests back to back for a fixed time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// The client every workload uses, for the engine and its baseline alike.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().pool_max_idle_per_host(256).tcp_nodelay(true).build().unwrap_or_default()
}

pub struct LoadResult {
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
}

impl LoadResult {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// POSTs `body` to `url` from `concurrency` workers for `duration`; counts 2xx answers.
pub async fn post_for(url: &str, body: Bytes, concurrency: usize, duration: Duration) -> LoadResult {
    let client = client();
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, url, body) = (client.clone(), url.to_owned(), body.clone());
        let (ok, errors, stop) = (ok.clone(), errors.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let sent = client.post(&url).header("content-type", "application/json").body(body.clone()).send().await;
                match sent {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let counted = ok.load(Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }
    LoadResult { ok: counted, errors: errors.load(Ordering::Relaxed), elapsed }
}
