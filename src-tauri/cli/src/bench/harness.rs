//! An engine under test, started in-process on a fresh data dir, and a management client for any engine.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hooky_engine::{Engine, EngineConfig};
use serde_json::{json, Value};

use super::loadgen;

pub struct BenchEngine {
    pub engine: Engine,
    api: Api,
    _dir: Option<tempfile::TempDir>,
}

/// The bench's own management client: the in-process engine and a `hooky serve` child share it.
pub struct Api {
    pub base: String,
    token: String,
    client: reqwest::Client,
}

impl std::ops::Deref for BenchEngine {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl BenchEngine {
    pub async fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut engine = Self::start_in(dir.path()).await?;
        engine._dir = Some(dir);
        Ok(engine)
    }

    pub async fn start_in(path: &std::path::Path) -> Result<Self> {
        let mut config = EngineConfig::new("127.0.0.1:0".parse()?, path.to_path_buf());
        config.token = Some(BENCH_TOKEN.into());
        config.ui_dir = None;
        let engine = Engine::start(config).await?;
        Ok(Self { api: Api::new(engine.base_url(), BENCH_TOKEN), engine, _dir: None })
    }

    pub async fn stop(self) {
        self.engine.shutdown().await;
    }
}

/// The management token every engine under test is started with.
pub const BENCH_TOKEN: &str = "bench";

impl Api {
    pub fn new(base: String, token: &str) -> Self {
        Self { base, token: token.to_owned(), client: loadgen::client() }
    }

    pub fn trigger_url(&self) -> String {
        format!("{}/api/v1/webhook_events/trigger", self.base)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path} answered {status}: {text}");
        }
        Ok(if text.is_empty() { Value::Null } else { serde_json::from_str(&text)? })
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// Creates a disabled endpoint and returns its id.
    pub async fn add_endpoint(&self, url: &str, settings: Value) -> Result<String> {
        let mut body = json!({ "url": url, "enabled": false });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), settings.as_object()) {
            body.extend(extra.clone());
        }
        let endpoint = self.call(reqwest::Method::POST, "/api/v1/endpoints", Some(body)).await?;
        endpoint["id"].as_str().map(str::to_owned).context("endpoint without id")
    }

    pub async fn enable(&self, id: &str) -> Result<()> {
        self.call(reqwest::Method::PATCH, &format!("/api/v1/endpoints/{id}"), Some(json!({"enabled": true}))).await?;
        Ok(())
    }

    /// Fires `count` events from `concurrency` workers; body i comes from `make_body(i)`.
    pub async fn fire(&self, count: u64, concurrency: u64, make_body: fn(u64) -> String) -> Result<()> {
        let next = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let (client, url, next) = (self.client.clone(), self.trigger_url(), next.clone());
            workers.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        return Ok::<_, anyhow::Error>(());
                    }
                    let response =
                        client.post(&url).header("content-type", "application/json").body(make_body(i)).send().await?;
                    if response.status() != 202 {
                        bail!("trigger answered {}", response.status());
                    }
                }
            }));
        }
        for worker in workers {
            worker.await??;
        }
        Ok(())
    }

    /// Waits until no event is pending any more.
    pub async fn settle(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let pending = self.get("/api/v1/events?status=pending&limit=1").await?;
            if pending["data"].as_array().is_some_and(Vec::is_empty) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("deliveries did not settle within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A trigger body of about 300 bytes.
pub fn order_event(i: u64) -> String {
    format!(
        r#"{{"event_name":"order.created","payload":{{"seq":{i},"order_id":"ord_{i:012}","customer":"cus_{:08}","amount_cents":{},"currency":"EUR","items":[{{"sku":"SKU-{:05}","qty":2,"price_cents":1299}}],"note":"benchmark payload padding to about three hundred bytes in all"}}}}"#,
        i % 5000,
        1000 + i % 9000,
        i % 99999
    )
}

/// Polls `done` every few milliseconds until it holds; returns the time it took.
pub async fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> Result<Duration> {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > timeout {
            bail!("timed out after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(started.elapsed())
}
