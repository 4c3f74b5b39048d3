//! How failed attempts are classified and what they do to the delivery, the event
//! and the endpoint: timeout, 410 Gone, redirect, refused connection, DNS, schedule used up.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{attempts, closed_port, delivery, delivery_is, text, Reply, TestEngine, TestReceiver};

/// Triggers one event to one endpoint with no retries and returns the failed delivery.
async fn single_failed_delivery(engine: &TestEngine, endpoint: Value) -> Value {
    let endpoint = engine.create_endpoint(endpoint).await;
    let accepted = engine.trigger("order.created", json!({"n": 1})).await;
    let event = engine.wait_for_status(text(&accepted, "id"), "failed").await;
    let delivery = delivery(&event, text(&endpoint, "id")).clone();
    assert_eq!(delivery["status"], "failed", "{delivery:#}");
    assert_eq!(delivery["attempt_count"], 1);
    assert_eq!(delivery["next_attempt_at"], json!(null));
    delivery
}

fn only_attempt(delivery: &Value) -> &Value {
    let logged = attempts(delivery);
    assert_eq!(logged.len(), 1, "{delivery:#}");
    assert_eq!(logged[0]["succeeded"], false);
    &logged[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_times_out_without_holding_up_another_endpoint() {
    let engine = TestEngine::start().await;
    let hanging = TestReceiver::start(vec![Reply::hang()]).await;
    let fast = TestReceiver::start(vec![Reply::ok()]).await;
    // The hanging endpoint is created first, so a serial engine would try it first.
    let slow_ep = engine.create_endpoint(json!({"url": hanging.url(), "timeout_ms": 500, "retry_schedule": []})).await;
    let fast_ep = engine.create_endpoint(json!({"url": fast.url(), "retry_schedule": []})).await;

    let started = Instant::now();
    let accepted = engine.trigger("order.created", json!({})).await;
    let event = engine.wait_for_status(text(&accepted, "id"), "failed").await;

    let fast_arrival = fast.requests()[0].at - started;
    assert!(fast_arrival < Duration::from_millis(400), "the fast endpoint got its request after {fast_arrival:?}");
    assert!(delivery_is(&event, text(&fast_ep, "id"), "succeeded"), "{event:#}");

    let timed_out = delivery(&event, text(&slow_ep, "id"));
    assert_eq!(timed_out["status"], "failed");
    let attempt = only_attempt(timed_out);
    assert_eq!(attempt["error"]["class"], "timeout");
    assert_eq!(attempt["response"], json!(null));
    let duration = attempt["duration_ms"].as_u64().unwrap();
    assert!((500..2000).contains(&duration), "the timeout fired after {duration} ms, not 500");
    assert_eq!(hanging.count(), 1, "the hanging receiver did get the request");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_the_endpoint_and_fails_the_delivery() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::status(410)]).await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": [1, 1]})).await;
    let endpoint_id = text(&endpoint, "id");
    let accepted = engine.trigger("order.created", json!({})).await;
    let event = engine.wait_for_status(text(&accepted, "id"), "failed").await;

    let gone = delivery(&event, endpoint_id);
    assert_eq!(gone["status"], "failed", "410 ends the delivery despite retries left");
    assert_eq!(gone["next_attempt_at"], json!(null));
    assert_eq!(only_attempt(gone)["response"]["status"], 410);

    let endpoint = engine.get_endpoint(endpoint_id).await;
    assert_eq!(endpoint["enabled"], false);
    let reason = text(&endpoint, "disabled_reason");
    assert!(reason.contains("410"), "disabled_reason {reason:?} does not mention 410");

    let later = engine.trigger("order.created", json!({})).await;
    assert_eq!(later["deliveries"], json!([]), "a disabled endpoint gets no new deliveries");
    assert_eq!(engine.get_event(text(&later, "id")).await["status"], "unrouted");
    assert_eq!(receiver.count(), 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_a_failure_and_is_not_followed() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::status(302).header("location", "/moved")]).await;
    let failed = single_failed_delivery(&engine, json!({"url": receiver.url(), "retry_schedule": []})).await;
    let attempt = only_attempt(&failed);
    assert_eq!(attempt["error"]["class"], "redirect");
    assert_eq!(attempt["response"]["status"], 302);
    assert_eq!(attempt["response"]["headers"]["location"], "/moved");
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "the Location was not requested");
    assert_eq!(requests[0].path, "/hook");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_class_connect() {
    let engine = TestEngine::start().await;
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let failed = single_failed_delivery(&engine, json!({"url": url, "timeout_ms": 1000, "retry_schedule": []})).await;
    let attempt = only_attempt(&failed);
    assert_eq!(attempt["error"]["class"], "connect", "{attempt:#}");
    assert_eq!(attempt["response"], json!(null));
    let expected = format!("connection refused: nothing is listening at 127.0.0.1:{port} (is the receiver running?)");
    assert_eq!(text(&attempt["error"], "message"), expected);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_hangs_up_without_answering_is_class_connect() {
    let engine = TestEngine::start().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    // Reads the request, then closes the connection without a word.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = std::io::Read::read(&mut stream, &mut [0; 4096]);
        }
    });
    let failed = single_failed_delivery(&engine, json!({"url": url, "timeout_ms": 5000, "retry_schedule": []})).await;
    let attempt = only_attempt(&failed);
    assert_eq!(attempt["error"]["class"], "connect", "{attempt:#}");
    assert_eq!(text(&attempt["error"], "message"), "the receiver closed the connection before answering");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_does_not_resolve_is_class_dns() {
    let engine = TestEngine::start().await;
    let endpoint = json!({"url": "http://nonexistent.invalid/hook", "timeout_ms": 1000, "retry_schedule": []});
    let failed = single_failed_delivery(&engine, endpoint).await;
    let attempt = only_attempt(&failed);
    assert_eq!(attempt["error"]["class"], "dns", "{attempt:#}");
    assert_eq!(attempt["response"], json!(null));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_up_schedule_fails_the_delivery_and_the_event() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::status(500).body("still broken")]).await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": [0, 0]})).await;
    let accepted = engine.trigger("order.created", json!({})).await;
    let event = engine.wait_for_status(text(&accepted, "id"), "failed").await;

    let failed = delivery(&event, text(&endpoint, "id"));
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempt_count"], 3, "the first attempt and one per schedule entry");
    assert_eq!(failed["next_attempt_at"], json!(null));
    assert_eq!(failed["last_response_status"], 500);
    for attempt in attempts(failed) {
        assert_eq!(attempt["error"]["class"], "status");
        assert_eq!(attempt["response"]["body"], "still broken", "the response body is logged");
    }
    assert_eq!(receiver.count(), 3);

    let failed_events = engine.list_events("status=failed").await;
    let ids: Vec<&Value> = failed_events["data"].as_array().unwrap().iter().map(|e| &e["id"]).collect();
    assert_eq!(ids, [&accepted["id"]], "the events list filters by the derived status");
    engine.shutdown().await;
}
