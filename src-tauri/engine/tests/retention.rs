//! Retention settings and the purge they drive, and clearing the whole log.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use hooky_engine::ids::event_id_lower_bound;
use hooky_engine::store::synthetic::{generate, SyntheticHistory};
use hooky_engine::store::{retention, Store};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{expect_json, text, Reply, TestEngine, TestReceiver, TRIGGER, WAIT};

const DAY_MS: i64 = 24 * 3600 * 1000;

async fn put_settings(engine: &TestEngine, body: Value) -> Value {
    let response = engine.api(Method::PUT, "/api/v1/settings").json(&body).send().await.unwrap();
    expect_json(response, StatusCode::OK).await
}

async fn event_ids(engine: &TestEngine) -> Vec<String> {
    let page = engine.list_events("limit=500").await;
    page["data"].as_array().unwrap().iter().map(|e| text(e, "id").to_owned()).collect()
}

/// Polls the events list until it has `n` events; panics with the list after the wait.
async fn wait_for_count(engine: &TestEngine, n: usize) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let ids = event_ids(engine).await;
        if ids.len() == n {
            return ids;
        }
        assert!(Instant::now() < deadline, "expected {n} events, the list has {}: {ids:?}", ids.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status_of(engine: &TestEngine, event_id: &str) -> StatusCode {
    engine.api(Method::GET, &format!("/api/v1/events/{event_id}")).send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_events_keeps_exactly_the_newest() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    engine.create_endpoint(json!({"url": receiver.url()})).await;
    let mut ids = Vec::new();
    for n in 0..12 {
        let event = engine.trigger("order.created", json!({"n": n})).await;
        engine.wait_for_status(text(&event, "id"), "succeeded").await;
        ids.push(text(&event, "id").to_owned());
    }
    let defaults = expect_json(engine.api(Method::GET, "/api/v1/settings").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(defaults, json!({"retention_days": null, "retention_max_events": null, "retention_max_bytes": null}));

    let saved = put_settings(&engine, json!({"retention_max_events": 5})).await;
    assert_eq!(saved["retention_max_events"], 5);
    let left = wait_for_count(&engine, 5).await;
    let newest: Vec<String> = ids[7..].iter().rev().cloned().collect();
    assert_eq!(left, newest);
    assert_eq!(status_of(&engine, &ids[0]).await, StatusCode::NOT_FOUND);
    let again = expect_json(engine.api(Method::GET, "/api/v1/settings").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(again, saved, "the settings were stored");

    for (body, field) in [
        (json!({"retention_max_events": 0}), "retention_max_events"),
        (json!({"retention_days": 0}), "retention_days"),
        (json!({"retention_max_bytes": 1000}), "retention_max_bytes"),
        (json!({"retention_days": -1}), "retention_days"),
        (json!({"keep": 1}), "keep"),
    ] {
        let response = engine.api(Method::PUT, "/api/v1/settings").json(&body).send().await.unwrap();
        assert_eq!(expect_json(response, StatusCode::UNPROCESSABLE_ENTITY).await["error"]["field"], field, "{body}");
    }
}

/// Writes an event made `age_ms` ago, straight into the database: a delivery in `status`
/// and one attempt, as the engine would have left them.
fn old_event_sql(created_ms: i64, status: &str, next_attempt_at: &str) -> (String, String) {
    let id = event_id_lower_bound(u64::try_from(created_ms).unwrap());
    let body = &id["evt_".len()..];
    let sql = format!(
        "INSERT INTO events (id, event_name, payload, status, created_at) VALUES ('{id}', 'old.event', '{{}}', '{status}', {created_ms});
         INSERT INTO deliveries (id, event_id, endpoint_id, status, attempt_count, next_attempt_at, created_at, updated_at)
           VALUES ('dlv_{body}', '{id}', 'ep_01JDQ8V9000000000000000000', '{status}', 1, {next_attempt_at}, {created_ms}, {created_ms});
         INSERT INTO attempts (id, delivery_id, number, trigger, succeeded, started_at, duration_ms, request_url, request_headers)
           VALUES ('att_{body}', 'dlv_{body}', 1, 'automatic', {ok}, {created_ms}, 12, 'http://127.0.0.1:9/hook', '{{}}');",
        ok = i32::from(status == "succeeded"),
    );
    (id, sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_days_purges_old_events_but_not_undelivered_ones() {
    let mut engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    engine.create_endpoint(json!({"url": receiver.url()})).await;
    let fresh = engine.trigger("order.created", json!({"fresh": true})).await;
    engine.wait_for_status(text(&fresh, "id"), "succeeded").await;

    // History from before this test, written while the engine is stopped.
    engine.stop().await;
    let now = chrono::Utc::now().timestamp_millis();
    let mut sql = String::new();
    let mut old = Vec::new();
    for (i, age_days) in [40, 35, 31].into_iter().enumerate() {
        let (id, insert) = old_event_sql(now - age_days * DAY_MS + i as i64, "succeeded", "NULL");
        old.push(id);
        sql.push_str(&insert);
    }
    let (recent, insert) = old_event_sql(now - 10 * DAY_MS, "succeeded", "NULL");
    sql.push_str(&insert);
    // Still retrying, for an endpoint that no longer exists: old, but never purged.
    let (waiting, insert) = old_event_sql(now - 50 * DAY_MS, "retrying", &(now + DAY_MS).to_string());
    sql.push_str(&insert);
    let store = Store::open(&engine.data_dir().join("hooky.db")).unwrap();
    store.write(move |conn| Ok(conn.execute_batch(&sql)?)).await.unwrap();
    store.close();
    engine.restart().await;
    assert_eq!(event_ids(&engine).await.len(), 6, "no limits are set: nothing was purged at start");

    put_settings(&engine, json!({"retention_days": 30})).await;
    let left = wait_for_count(&engine, 3).await;
    assert_eq!(left, vec![text(&fresh, "id").to_owned(), recent, waiting.clone()]);
    for id in &old {
        assert_eq!(status_of(&engine, id).await, StatusCode::NOT_FOUND);
    }
    let kept = engine.get_event(&waiting).await;
    assert_eq!(kept["deliveries"][0]["attempts"].as_array().unwrap().len(), 1, "its attempts stay with it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_bytes_trims_the_oldest_until_the_database_fits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hooky.db");
    generate(&db, &SyntheticHistory { events: 8000, endpoints: 2, attempts_per_delivery: 2 }).unwrap();
    let store = Store::open(&db).unwrap();
    let measure =
        || async { store.read(|conn| Ok((retention::used_bytes(conn)?, retention::event_count(conn)?))).await };
    let (used, events) = measure().await.unwrap();
    assert!(used >= 4 << 20, "the history is big enough to halve above the 1 MiB minimum: {used} bytes");
    let limit = used / 2;

    let data_dir = dir.path().to_path_buf();
    let engine = TestEngine::start_with(|config| config.data_dir = data_dir).await;
    let newest = engine.list_events("limit=1").await["data"][0]["id"].clone();
    put_settings(&engine, json!({"retention_max_bytes": limit})).await;
    let deadline = Instant::now() + WAIT;
    let mut previous = events;
    // Under the limit, and the purge has stopped deleting.
    let (used_after, events_after) = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (used_now, events_now) = measure().await.unwrap();
        if used_now <= limit && events_now == previous {
            break (used_now, events_now);
        }
        assert!(Instant::now() < deadline, "still {used_now} bytes in use, above {limit}");
        previous = events_now;
    };
    eprintln!("{events} -> {events_after} events, {used} -> {used_after} bytes in use (limit {limit})");
    assert!(
        events_after > events / 4 && events_after < events,
        "{events} -> {events_after} events, {used_after} bytes"
    );
    assert_eq!(engine.list_events("limit=1").await["data"][0]["id"], newest, "the newest event stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearing_needs_confirmation_then_empties_the_log() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    let hanging = TestReceiver::start(vec![Reply::hang()]).await;
    engine.create_endpoint(json!({"url": receiver.url(), "event_filter": ["order.*"]})).await;
    engine.create_endpoint(json!({"url": hanging.url(), "event_filter": ["slow.*"], "timeout_ms": 300})).await;
    put_settings(&engine, json!({"retention_days": 90})).await;
    let keyed = || {
        engine
            .client
            .post(engine.url(TRIGGER))
            .header("idempotency-key", "k-1")
            .json(&json!({"event_name": "order.created", "payload": {}}))
    };
    let first = expect_json(keyed().send().await.unwrap(), StatusCode::ACCEPTED).await;
    engine.wait_for_status(text(&first, "id"), "succeeded").await;
    engine.trigger("order.paid", json!({})).await;
    engine.trigger("slow.thing", json!({})).await; // its delivery is in flight or waiting to retry
    hanging.wait_for_requests(1, WAIT).await;

    let refused = engine.api(Method::DELETE, "/api/v1/events").send().await.unwrap();
    let refused = expect_json(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["error"]["field"], "confirm");
    assert!(refused["error"]["message"].as_str().unwrap().contains("confirm=all"), "{refused}");
    assert_eq!(event_ids(&engine).await.len(), 3);

    let cleared = engine.api(Method::DELETE, "/api/v1/events?confirm=all").send().await.unwrap();
    assert_eq!(expect_json(cleared, StatusCode::OK).await, json!({"deleted_events": 3}));
    assert!(event_ids(&engine).await.is_empty());
    // The attempt that was in flight ends after the clear and must not bring anything back.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(event_ids(&engine).await.is_empty());

    let endpoints =
        expect_json(engine.api(Method::GET, "/api/v1/endpoints").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(endpoints["data"].as_array().unwrap().len(), 2, "endpoints stay");
    let settings = expect_json(engine.api(Method::GET, "/api/v1/settings").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(settings["retention_days"], 90, "settings stay");
    let again = expect_json(keyed().send().await.unwrap(), StatusCode::ACCEPTED).await;
    assert_ne!(again["id"], first["id"], "idempotency keys were cleared too");
}
