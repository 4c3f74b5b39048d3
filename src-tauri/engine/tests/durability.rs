//! What survives: restarts with deliveries still due, the commit-before-202
//! promise, idempotent triggers and the data dir lock.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use hooky_engine::{Engine, StartError};
use reqwest::StatusCode;
use serde_json::json;
use support::{attempts, delivery, delivery_is, expect_json, text, Reply, TestEngine, TestReceiver, TRIGGER, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_retry_survives_a_restart() {
    let mut engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::status(500), Reply::ok()]).await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": [2]})).await;
    let endpoint_id = text(&endpoint, "id").to_owned();
    let accepted = engine.trigger("order.created", json!({"survives": true})).await;
    let event_id = text(&accepted, "id").to_owned();
    engine.wait_for(&event_id, |e| delivery_is(e, &endpoint_id, "retrying"), WAIT).await;

    // The retry is due 1.6-2.4 s from now: stop well before that.
    let stopping = Instant::now();
    engine.stop().await;
    assert!(stopping.elapsed() < Duration::from_millis(1500), "shutdown took {:?}", stopping.elapsed());
    assert_eq!(receiver.count(), 1, "the retry was not made before the shutdown");

    engine.restart().await;
    let event = engine.wait_for_status(&event_id, "succeeded").await;
    let delivered = delivery(&event, &endpoint_id);
    assert_eq!(delivered["attempt_count"], 2);
    assert_eq!(attempts(delivered)[1]["number"], 2);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("x-hooky-attempt"), "2");
    assert_eq!(requests[1].body.as_ref(), br#"{"survives":true}"#);
    assert_eq!(text(&engine.get_endpoint(&endpoint_id).await, "url"), receiver.url(), "the endpoint survived too");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_in_flight_at_shutdown_is_made_again_after_restart() {
    let mut engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::hang(), Reply::ok()]).await;
    // The timeout never fires in this test (the engine stops first); it is long so that a
    // slow machine cannot record a timeout before the shutdown.
    let endpoint =
        engine.create_endpoint(json!({"url": receiver.url(), "timeout_ms": 10_000, "retry_schedule": []})).await;
    let endpoint_id = text(&endpoint, "id").to_owned();
    let accepted = engine.trigger("order.created", json!({})).await;
    let event_id = text(&accepted, "id").to_owned();
    receiver.wait_for_requests(1, WAIT).await;

    let stopping = Instant::now();
    engine.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "shutdown waited for the hanging attempt: {:?}",
        stopping.elapsed()
    );

    engine.restart().await;
    let event = engine.wait_for_status(&event_id, "succeeded").await;
    let delivered = delivery(&event, &endpoint_id);
    assert_eq!(delivered["attempt_count"], 1, "the abandoned attempt was not logged");
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "delivered at least once: the interrupted request was sent again");
    assert_eq!(requests[1].header("x-hooky-attempt"), "1");
    assert_eq!(
        requests[0].header("webhook-id"),
        requests[1].header("webhook-id"),
        "receivers can dedupe on webhook-id"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_is_readable_as_soon_as_the_trigger_answers() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url()})).await;
    for n in 0..20 {
        let accepted = engine.trigger("order.created", json!({ "n": n })).await;
        let event = engine.get_event(text(&accepted, "id")).await;
        assert_eq!(event["payload"], json!({ "n": n }));
        assert_eq!(event["deliveries"].as_array().unwrap().len(), 1, "the delivery is committed with the event");
        assert_eq!(event["deliveries"][0]["endpoint_id"], endpoint["id"]);
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_idempotency_key_replays_the_first_answer_and_creates_nothing() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    engine.create_endpoint(json!({"url": receiver.url()})).await;
    let send = |name: &'static str, key: &'static str| {
        engine
            .client
            .post(engine.url(TRIGGER))
            .header("idempotency-key", key)
            .json(&json!({"event_name": name, "payload": {"n": 1}}))
            .send()
    };

    let first = send("order.created", "key-1").await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = expect_json(first, StatusCode::ACCEPTED).await;
    // Even with another body, the key answers with the first response.
    let second = send("order.cancelled", "key-1").await.unwrap();
    assert_eq!(second.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let second = expect_json(second, StatusCode::ACCEPTED).await;
    assert_eq!(first, second);

    engine.wait_for_status(text(&first, "id"), "succeeded").await;
    let listed = engine.list_events("").await;
    let ids: Vec<&serde_json::Value> = listed["data"].as_array().unwrap().iter().map(|e| &e["id"]).collect();
    assert_eq!(ids, [&first["id"]], "only one event exists");
    assert_eq!(receiver.count(), 1, "the receiver got one request");

    let other = expect_json(send("order.created", "key-2").await.unwrap(), StatusCode::ACCEPTED).await;
    assert_ne!(other["id"], first["id"], "another key is another event");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_engine_on_the_same_data_dir_is_refused() {
    let mut engine = TestEngine::start().await;
    match Engine::start(engine.config().clone()).await {
        Err(StartError::DataDirInUse(dir)) => assert_eq!(dir, engine.data_dir()),
        Err(other) => panic!("expected DataDirInUse, got {other}"),
        Ok(_) => panic!("a second engine started on a data dir in use"),
    }
    // The first one is unharmed, and the lock goes with it.
    let health = engine.client.get(engine.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    engine.stop().await;
    let next = Engine::start(engine.config().clone()).await.expect("the data dir is free after shutdown");
    next.shutdown().await;
}
