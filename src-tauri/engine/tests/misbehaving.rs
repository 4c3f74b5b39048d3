//! Receivers that misbehave: hang, reset, drip, answer 50 MB or forever, redirect to
//! themselves, speak garbage or plain HTTP to a TLS client, do not resolve, refuse, or die
//! mid-run. Each attempt must be classified (never a panic, never a false success), memory
//! must stay flat, and a healthy endpoint on the same events keeps its pace while the
//! engine keeps answering `/api/v1/health`.
//!
//! Short by default (6 events); `HOOKY_FULL=1` fires 30.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{attempts, closed_port, delivery, text, TestEngine};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

const HUGE_BYTES: usize = 50 * 1024 * 1024;
const CAP: usize = 64 * 1024;
/// The timeout of the endpoints that are expected to time out.
const SHORT_TIMEOUT_MS: u64 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// 200 "ok", keep-alive.
    Ok,
    /// Reads the request and never answers.
    Hang,
    /// Reads the request, then closes with RST (SO_LINGER 0).
    Reset,
    /// Sends the head at once, then one body byte every 100 ms.
    Drip,
    /// 200 with a 50 MB body, streamed from one small buffer.
    Huge,
    /// 200 with a chunked body that never ends.
    Endless,
    /// 302 to itself.
    RedirectLoop,
    /// Bytes that are not HTTP at all.
    Garbage,
    /// A plain HTTP server, reached by an https:// URL: answers the ClientHello with a 400.
    PlainHttp,
}

/// A raw HTTP/1.1 server whose every connection can be cut at once (`stop`).
struct RawServer {
    addr: SocketAddr,
    behaviour: Behaviour,
    cancel: CancellationToken,
    /// `webhook-id` of every complete request, with when it arrived.
    seen: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl RawServer {
    async fn start(behaviour: Behaviour) -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), behaviour, Arc::default()).await
    }

    async fn start_on(addr: SocketAddr, behaviour: Behaviour, seen: Arc<Mutex<Vec<(String, Instant)>>>) -> Self {
        // The port may still be held by connections of the server that stopped a moment ago.
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(listener) => break listener,
                Err(err) if Instant::now() < deadline => {
                    eprintln!("rebinding {addr}: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("cannot bind {addr}: {err}"),
            }
        };
        let addr = listener.local_addr().unwrap();
        let cancel = CancellationToken::new();
        let (stop, log) = (cancel.clone(), seen.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    () = stop.cancelled() => return,
                };
                let Ok((stream, _)) = accepted else { continue };
                let (stop, log) = (stop.clone(), log.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        () = serve(stream, behaviour, addr, log) => {}
                        () = stop.cancelled() => {}
                    }
                });
            }
        });
        Self { addr, behaviour, cancel, seen }
    }

    fn url(&self) -> String {
        let scheme = if self.behaviour == Behaviour::PlainHttp { "https" } else { "http" };
        format!("{scheme}://{}/hook", self.addr)
    }

    fn seen(&self) -> Vec<(String, Instant)> {
        self.seen.lock().unwrap().clone()
    }

    fn stop(&self) {
        self.cancel.cancel();
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Reads one request (head and Content-Length body); returns its `webhook-id`, or None at EOF.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > 1024 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    buffer.drain(..head_end + length);
    Some(header("webhook-id").unwrap_or_default())
}

async fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(String, Instant)>>>,
) {
    if behaviour == Behaviour::PlainHttp {
        // What a plain server does with a TLS ClientHello: it is not HTTP, so 400 and close.
        let mut hello = [0u8; 1024];
        let _ = stream.read(&mut hello).await;
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
        return;
    }
    let mut buffer = Vec::new();
    while let Some(webhook_id) = read_request(&mut stream, &mut buffer).await {
        seen.lock().unwrap().push((webhook_id, Instant::now()));
        match behaviour {
            Behaviour::Ok => {
                if stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.is_err() {
                    return;
                }
            }
            Behaviour::Hang => std::future::pending::<()>().await,
            Behaviour::Reset => {
                #[allow(deprecated)] // zero linger: close() sends RST at once and does not block
                let _ = stream.set_linger(Some(Duration::ZERO));
                return;
            }
            Behaviour::Drip => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n").await;
                for _ in 0..1000 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if stream.write_all(b"x").await.is_err() {
                        return;
                    }
                }
                return;
            }
            Behaviour::Huge => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {HUGE_BYTES}\r\n\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let block = [b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < HUGE_BYTES {
                    if stream.write_all(&block).await.is_err() {
                        return; // the engine stopped reading: what we want
                    }
                    sent += block.len();
                }
                return;
            }
            Behaviour::Endless => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").await;
                let chunk = format!("4000\r\n{}\r\n", "y".repeat(0x4000));
                // Bounded only so that a broken engine cannot keep this task alive forever: 1 GiB.
                for _ in 0..65_536 {
                    if stream.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                return;
            }
            Behaviour::RedirectLoop => {
                let answer = format!("HTTP/1.1 302 Found\r\nlocation: http://{addr}/hook\r\ncontent-length: 0\r\n\r\n");
                if stream.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
            Behaviour::Garbage => {
                let _ = stream.write_all(b"\x00\x01\x02 NOT HTTP \xff\xfe\r\n\r\n\x16\x03garbage").await;
                return;
            }
            Behaviour::PlainHttp => unreachable!("answered above"),
        }
    }
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap()
}

/// Polls `/api/v1/health` every 50 ms until stopped; counts failures and keeps the slowest answer.
struct HealthWatch {
    stop: Arc<AtomicBool>,
    slowest_ms: Arc<AtomicU64>,
    failures: Arc<AtomicU64>,
    polls: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl HealthWatch {
    fn start(url: String) -> Self {
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

    async fn finish(self) -> (u64, u64, u64) {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap();
        (
            self.polls.load(Ordering::SeqCst),
            self.failures.load(Ordering::SeqCst),
            self.slowest_ms.load(Ordering::SeqCst),
        )
    }
}

fn full() -> bool {
    std::env::var("HOOKY_FULL").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Every delivery of the event has ended (succeeded or failed).
fn settled(event: &Value) -> bool {
    event["deliveries"]
        .as_array()
        .is_some_and(|all| all.iter().all(|d| d["status"] == "succeeded" || d["status"] == "failed"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_receivers_are_classified_and_isolated() {
    let engine = TestEngine::start().await;
    let healthy = RawServer::start(Behaviour::Ok).await;
    let dying = RawServer::start(Behaviour::Ok).await;
    let misbehaving = [
        Behaviour::Hang,
        Behaviour::Reset,
        Behaviour::Drip,
        Behaviour::Huge,
        Behaviour::Endless,
        Behaviour::RedirectLoop,
        Behaviour::Garbage,
        Behaviour::PlainHttp,
    ];
    let mut servers = Vec::new();
    for behaviour in misbehaving {
        servers.push(RawServer::start(behaviour).await);
    }

    let healthy_ep =
        engine.create_endpoint(json!({"url": healthy.url(), "name": "healthy", "retry_schedule": []})).await;
    let dying_ep = engine
        .create_endpoint(json!({"url": dying.url(), "name": "dying", "retry_schedule": [1, 1, 1, 1, 1, 1, 1, 1]}))
        .await;
    // name → (endpoint id, the server behind it, if any)
    let mut endpoints: Vec<(String, String, Option<Behaviour>)> = Vec::new();
    for server in &servers {
        let name = format!("{:?}", server.behaviour);
        let ep = engine
            .create_endpoint(
                json!({"url": server.url(), "name": name, "timeout_ms": SHORT_TIMEOUT_MS, "retry_schedule": []}),
            )
            .await;
        endpoints.push((name, text(&ep, "id").to_owned(), Some(server.behaviour)));
    }
    // A label longer than DNS allows (64 characters) fails in the resolver, without a query leaving the machine.
    let unresolvable = format!("http://{}.invalid/hook", "n".repeat(64));
    let refused = format!("http://127.0.0.1:{}/hook", closed_port());
    for (name, url) in [("Dns", unresolvable), ("Refused", refused)] {
        let ep =
            engine.create_endpoint(json!({"url": url, "name": name, "timeout_ms": 2000, "retry_schedule": []})).await;
        endpoints.push((name.to_owned(), text(&ep, "id").to_owned(), None));
    }

    let events = if full() { 30 } else { 6 };
    let die_after = events / 2;
    let health = HealthWatch::start(engine.url("/api/v1/health"));
    let rss_before = rss_kib();
    let started = Instant::now();
    let mut fired: Vec<(String, Instant)> = Vec::new();
    for n in 0..events {
        if n == die_after {
            // The dying receiver has had its deliveries; now it goes away, connections and all.
            let ids: Vec<String> = fired.iter().map(|(id, _)| id.clone()).collect();
            wait_until("the dying receiver got the first deliveries", Duration::from_secs(10), || {
                let seen = dying.seen();
                ids.iter().all(|id| seen.iter().any(|(s, _)| s == id))
            })
            .await;
            dying.stop();
        }
        let accepted = engine.trigger("order.created", json!({"n": n})).await;
        fired.push((text(&accepted, "id").to_owned(), Instant::now()));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // The healthy endpoint got every event promptly, whatever the others did.
    let ids: Vec<String> = fired.iter().map(|(id, _)| id.clone()).collect();
    wait_until("the healthy receiver got every event", Duration::from_secs(10), || {
        let seen = healthy.seen();
        ids.iter().all(|id| seen.iter().any(|(s, _)| s == id))
    })
    .await;
    let seen = healthy.seen();
    let mut slowest_healthy = Duration::ZERO;
    for (id, at) in &fired {
        let (_, arrived) = seen.iter().find(|(s, _)| s == id).unwrap();
        slowest_healthy = slowest_healthy.max(arrived.saturating_duration_since(*at));
    }
    assert!(slowest_healthy < Duration::from_secs(1), "the healthy endpoint waited {slowest_healthy:?} for a delivery");

    // The deliveries to the dead receiver fail with `connect` and are retried; once it is
    // back on the same port they succeed.
    let dying_id = text(&dying_ep, "id").to_owned();
    let late: Vec<String> = ids[die_after..].to_vec();
    for id in &late {
        let event = engine
            .wait_for(
                id,
                |e| {
                    let d = delivery(e, &dying_id);
                    d["attempt_count"].as_u64().unwrap_or(0) >= 2
                },
                Duration::from_secs(15),
            )
            .await;
        let d = delivery(&event, &dying_id);
        assert_eq!(d["status"], "retrying", "{d:#}");
        for attempt in attempts(d) {
            assert_eq!(attempt["error"]["class"], "connect", "{attempt:#}");
        }
    }
    let revived = RawServer::start_on(dying.addr, Behaviour::Ok, dying.seen.clone()).await;

    for id in &ids {
        engine.wait_for(id, settled, Duration::from_secs(30)).await;
    }
    let rss_after = rss_kib();
    let (polls, failures, slowest_health_ms) = health.finish().await;

    let mut report = Vec::new();
    let mut classes: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for id in &ids {
        let event = engine.get_event(id).await;
        assert_eq!(delivery(&event, text(&healthy_ep, "id"))["status"], "succeeded");
        let revived_delivery = delivery(&event, &dying_id);
        assert_eq!(revived_delivery["status"], "succeeded", "{revived_delivery:#}");
        for (name, endpoint_id, behaviour) in &endpoints {
            let d = delivery(&event, endpoint_id);
            let logged = attempts(d);
            assert_eq!(logged.len(), 1, "{name}: one attempt, no retries: {d:#}");
            let attempt = &logged[0];
            let class = attempt["error"]["class"].as_str().unwrap_or("none").to_owned();
            *classes.entry(name.clone()).or_default().entry(class.clone()).or_default() += 1;
            let duration = attempt["duration_ms"].as_u64().unwrap();
            let check = |ok: bool, what: &str| {
                assert!(ok, "{name}: {what}; the attempt: {attempt:#}");
            };
            match behaviour {
                Some(Behaviour::Hang) | Some(Behaviour::Drip) => {
                    check(class == "timeout", "expected class timeout");
                    check(attempt["response"].is_null(), "no response is kept after a timeout");
                    check((SHORT_TIMEOUT_MS..SHORT_TIMEOUT_MS + 1500).contains(&duration), "the timeout fired on time");
                }
                Some(Behaviour::Reset) | Some(Behaviour::Garbage) => {
                    check(attempt["succeeded"] == false, "a failure");
                    check(class == "connect" || class == "body", "classified as connect (or body)");
                    check(!text(&attempt["error"], "message").is_empty(), "with a message");
                }
                Some(Behaviour::Huge) | Some(Behaviour::Endless) => {
                    check(attempt["succeeded"] == true, "a 200 is a success even when the body is cut");
                    check(attempt["response"]["body_truncated"] == true, "body_truncated");
                    let kept = text(&attempt["response"], "body").len();
                    check(kept <= CAP, "at most 64 KiB of the body is kept");
                    check(kept == CAP, "exactly the cap is kept");
                    check(duration < SHORT_TIMEOUT_MS, "reading stopped at the cap, well before the timeout");
                }
                Some(Behaviour::RedirectLoop) => {
                    check(class == "redirect", "class redirect");
                    check(attempt["response"]["status"] == 302, "the 302 is logged");
                }
                Some(Behaviour::PlainHttp) => check(class == "tls", "class tls"),
                Some(Behaviour::Ok) => unreachable!(),
                None if name == "Dns" => check(class == "dns", "class dns"),
                None => check(class == "connect", "class connect"),
            }
        }
    }
    let redirect = servers.iter().find(|s| s.behaviour == Behaviour::RedirectLoop).unwrap();
    assert_eq!(redirect.seen().len(), ids.len(), "the redirect was never followed");

    let growth_kib = rss_after.saturating_sub(rss_before);
    report.push(format!("events: {}, elapsed {:?}", ids.len(), started.elapsed()));
    report.push(format!("slowest healthy delivery after its trigger: {slowest_healthy:?}"));
    report.push(format!("health polls: {polls}, failed: {failures}, slowest: {slowest_health_ms} ms"));
    report.push(format!("RSS before {rss_before} KiB, after {rss_after} KiB, growth {growth_kib} KiB"));
    for (name, counts) in classes {
        report.push(format!("{name}: {counts:?}"));
    }
    println!("misbehaving receivers:\n  {}", report.join("\n  "));

    assert!(polls > 10 && failures == 0, "health failed {failures} of {polls} times");
    assert!(slowest_health_ms < 1000, "health took up to {slowest_health_ms} ms");
    // Each event made the huge receiver offer 50 MB; a buffering engine would grow by that much per event.
    assert!(growth_kib < 20 * 1024, "RSS grew by {growth_kib} KiB while receivers offered 50 MB answers");
    drop(revived);
    engine.shutdown().await;
}

async fn wait_until(what: &str, timeout: Duration, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
