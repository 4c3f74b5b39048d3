//! Receivers that misbehave: hang, reset, drip, answer 50 MB or forever, redirect to
//! themselves, speak garbage or plain HTTP to a TLS client, do not resolve, refuse, or die
//! mid-run. Each attempt must be classified (never a panic, never a false success), memory
//! must stay flat, and a healthy endpoint on the same events keeps its pace while the
//! engine keeps answering `/api/v1/health`.
//!
//! Short by default (6 events); `HOOKY_FULL=1` fires 30.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "misbehaving/health_watch.rs"]
mod health_watch;
#[path = "misbehaving/raw_server.rs"]
mod raw_server;
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use health_watch::{rss_kib, HealthWatch};
use raw_server::{Behaviour, RawServer};
use serde_json::{json, Value};
use support::{attempts, closed_port, delivery, text, TestEngine};

const CAP: usize = 64 * 1024;
/// The timeout of the endpoints that are expected to time out.
const SHORT_TIMEOUT_MS: u64 = 600;

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
