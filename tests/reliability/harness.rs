//! What the reliability tests share: `hooky serve` as a child process, an HTTP client for
//! its API, receivers that record `webhook-id`s, a seeded PRNG, and a lock that keeps the
//! heavy tests of this binary from running at the same time.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::Value;

/// The management token every test server gets (through HOOKY_TOKEN).
pub const TOKEN: &str = "reliability-token-5f1c0d2e9a7b4c3d";
pub const TRIGGER: &str = "/api/v1/webhook_events/trigger";

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Held for the whole of a heavy test: crash, soak and storage faults must not share the two cores.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

/// `HOOKY_FULL=1` (or any value but 0) asks for the long versions.
pub fn full() -> bool {
    std::env::var("HOOKY_FULL").is_ok_and(|v| !v.is_empty() && v != "0")
}

pub fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").ok().is_some_and(|status| {
        status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|l| l.split_whitespace().next()) == Some("0")
    })
}

/// SplitMix64: small, seedable and good enough to pick kill moments.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A duration uniformly in `[low, high)`.
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        let span = u64::try_from((high - low).as_micros()).unwrap_or(u64::MAX).max(1);
        low + Duration::from_micros(self.next_u64() % span)
    }
}

/// A seed from HOOKY_SEED, or from the clock.
pub fn seed() -> u64 {
    env_number("HOOKY_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    })
}

/// The `hooky` binary with none of the settings of the environment it runs in.
pub fn hooky() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hooky"));
    for name in
        ["HOOKY_TOKEN", "HOOKY_LISTEN", "HOOKY_DATA_DIR", "HOOKY_LOG", "HOOKY_UI_DIR", "HOOKY_REQUIRE_TRIGGER_TOKEN"]
    {
        command.env_remove(name);
    }
    command
}

/// How to start `hooky serve`.
#[derive(Clone)]
pub struct ServeOptions {
    pub listen: String,
    pub data_dir: PathBuf,
    /// None: the server reads or makes the token in its data dir.
    pub token: Option<String>,
    pub log: String,
    /// Where stderr goes; None discards it.
    pub stderr: Option<PathBuf>,
    /// Run as this user and group (only as root).
    pub run_as: Option<(u32, u32)>,
}

impl ServeOptions {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            data_dir: data_dir.to_path_buf(),
            token: Some(TOKEN.into()),
            log: "warn".into(),
            stderr: None,
            run_as: None,
        }
    }
}

/// A running `hooky serve`. Dropping it kills it.
pub struct Serve {
    child: Option<Child>,
    pub port: u16,
    pub pid: u32,
}

/// Why `hooky serve` did not come up: its exit code and stderr.
#[derive(Debug)]
pub struct StartFailure {
    pub code: Option<i32>,
    pub stderr: String,
}

impl Serve {
    /// Starts the server and waits for its first stdout line (at most 30 s).
    pub fn start(options: &ServeOptions) -> Result<Self, StartFailure> {
        let mut command = hooky();
        command
            .args(["serve", "--listen", &options.listen, "--data-dir"])
            .arg(&options.data_dir)
            .env("HOOKY_LOG", &options.log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        if let Some(token) = &options.token {
            command.env("HOOKY_TOKEN", token);
        }
        let captured = tempfile::NamedTempFile::new().expect("a temp file for stderr");
        let stderr_path = options.stderr.clone().unwrap_or_else(|| captured.path().to_path_buf());
        let stderr = File::options().create(true).append(true).open(&stderr_path).expect("the stderr file");
        command.stderr(Stdio::from(stderr));
        if let Some((uid, gid)) = options.run_as {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        let mut child = command.spawn().expect("spawn hooky serve");
        let pid = child.id();
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, first_line) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = sender.send(lines.next().and_then(Result::ok));
            // Keep draining, so the server never writes into a full or closed pipe.
            for _ in lines {}
        });
        // e.g. "Hooky 0.1.0 is listening on http://127.0.0.1:7717"
        let banner = first_line.recv_timeout(Duration::from_secs(30)).ok().flatten();
        let port = banner.as_deref().and_then(|line| {
            let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
            rest.trim().rsplit(':').next()?.trim_end_matches('/').parse::<u16>().ok()
        });
        match (banner, port) {
            (Some(_), Some(port)) => Ok(Self { child: Some(child), port, pid }),
            _ => {
                let deadline = Instant::now() + Duration::from_secs(10);
                let code = loop {
                    match child.try_wait() {
                        Ok(Some(status)) => break status.code(),
                        _ if Instant::now() > deadline => {
                            let _ = child.kill();
                            let _ = child.wait();
                            break None;
                        }
                        _ => std::thread::sleep(Duration::from_millis(20)),
                    }
                };
                Err(StartFailure { code, stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default() })
            }
        }
    }

    /// Starts on a fixed port, retrying for a while when the port is still taken.
    pub fn start_retrying(options: &ServeOptions) -> Self {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match Self::start(options) {
                Ok(serve) => return serve,
                Err(failure) if Instant::now() < deadline && failure.stderr.contains("cannot listen") => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(failure) => panic!("hooky serve did not start: {failure:?}"),
            }
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill_9(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and a clean exit within 20 s.
    pub fn stop(mut self) {
        let Some(mut child) = self.child.take() else { return };
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill -TERM");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait for hooky serve") {
                assert!(status.success(), "hooky serve exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "hooky serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()
}

/// A client of one server's API, with the token.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub fn new(base: String) -> Self {
        let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("client");
        Self { client, base, token: TOKEN.to_owned() }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token)
    }

    /// Any request; the status and the body as JSON (Null when it is not JSON).
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = self.request(method.clone(), path);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap_or_else(|err| panic!("{method} {path}: {err}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn create_endpoint(&self, body: Value) -> String {
        let (status, created) = self.call(Method::POST, "/api/v1/endpoints", Some(&body)).await;
        assert_eq!(status, 201, "create endpoint {body}: {created}");
        created["id"].as_str().expect("an endpoint id").to_owned()
    }

    /// POSTs a trigger; the status and the body.
    pub async fn trigger(&self, event_name: &str, payload: Value) -> Result<(u16, Value), reqwest::Error> {
        let body = serde_json::json!({"event_name": event_name, "payload": payload});
        let response = self.client.post(format!("{}{TRIGGER}", self.base)).json(&body).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// How many events have `status` (pending, retrying, …), counting at most `cap`.
    pub async fn count_status(&self, status: &str, cap: usize) -> usize {
        let mut count = 0;
        let mut cursor = String::new();
        loop {
            let page = self.get(&format!("/api/v1/events?status={status}&limit=500&cursor={cursor}")).await;
            count += page["data"].as_array().map_or(0, Vec::len);
            match page["next_cursor"].as_str() {
                Some(next) if count < cap => cursor = next.to_owned(),
                _ => return count,
            }
        }
    }

    /// Every event id in the log, newest first.
    pub async fn all_event_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self.get(&format!("/api/v1/events?limit=500&cursor={cursor}")).await;
            ids.extend(
                page["data"].as_array().into_iter().flatten().filter_map(|e| e["id"].as_str().map(str::to_owned)),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => return ids,
            }
        }
    }

    /// Waits until no event is pending or retrying; returns how long it took. Panics after `timeout`.
    pub async fn wait_until_drained(&self, timeout: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let pending = self.count_status("pending", 1).await;
            let retrying = self.count_status("retrying", 1).await;
            if pending == 0 && retrying == 0 {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < timeout,
                "deliveries still pending ({pending}+) or retrying ({retrying}+) after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// What one receiver saw of one `webhook-id`.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// `seq` from the JSON payload, when there is one.
    pub seq: Option<u64>,
    /// Requests answered 2xx.
    pub ok: u32,
    /// Requests answered with a failure on purpose.
    pub failed: u32,
}

/// How a receiver decides to fail: given the webhook-id, the attempt header and how many
/// times it saw this id, true means answer 500.
pub type FailPolicy = Arc<dyn Fn(&str, u32, u32) -> bool + Send + Sync>;

struct ReceiverState {
    seen: Mutex<HashMap<String, Seen>>,
    fail: Option<FailPolicy>,
    delay_ms: u64,
}

/// An HTTP receiver on 127.0.0.1 that records every `webhook-id`, in this test's runtime.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<ReceiverState>,
    task: tokio::task::JoinHandle<()>,
}

async fn receive(State(state): State<Arc<ReceiverState>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let attempt: u32 =
        headers.get("x-hooky-attempt").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
    let seq = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["seq"].as_u64());
    let fail = {
        let mut seen = state.seen.lock().unwrap_or_else(|p| p.into_inner());
        let entry = seen.entry(id.clone()).or_default();
        entry.seq = entry.seq.or(seq);
        let before = entry.ok + entry.failed;
        let fail = state.fail.as_ref().is_some_and(|policy| policy(&id, attempt, before));
        if fail {
            entry.failed += 1;
        } else {
            entry.ok += 1;
        }
        fail
    };
    if state.delay_ms > 0 {
        // Keeps attempts in flight for a moment, as a real receiver would.
        let jitter = id.bytes().fold(0u64, |acc, b| acc.wrapping_mul(31).wrapping_add(u64::from(b)));
        tokio::time::sleep(Duration::from_millis(jitter % (state.delay_ms + 1))).await;
    }
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

impl Receiver {
    pub async fn start(fail: Option<FailPolicy>, delay_ms: u64) -> Self {
        let state = Arc::new(ReceiverState { seen: Mutex::default(), fail, delay_ms });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a receiver");
        let addr = listener.local_addr().expect("receiver address");
        let app = axum::Router::new().fallback(receive).with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn seen(&self) -> HashMap<String, Seen> {
        self.state.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Mean of a slice of numbers.
pub fn mean(values: &[u64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<u64>() as f64 / values.len() as f64
}

/// Runs `mount` with `args`; the error text when it fails.
pub fn mount(args: &[&str]) -> Result<(), String> {
    let output = Command::new("mount").args(args).output().map_err(|err| format!("cannot run mount: {err}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// Unmounts `path` when dropped, so a failing test leaves no mount behind.
pub struct Mounted(pub PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        for _ in 0..20 {
            match Command::new("umount").arg(&self.0).output() {
                Ok(output) if output.status.success() => return,
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        eprintln!("could not unmount {}", self.0.display());
    }
}

/// `PRAGMA integrity_check` of a database file, once nothing has it open.
pub fn integrity_check(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    conn.query_row("PRAGMA integrity_check", [], |row| row.get::<_, String>(0)).expect("integrity_check")
}
