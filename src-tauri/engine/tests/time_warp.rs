//! Time warp: a webhook's whole lifecycle in seconds. The Svix schedule runs out, the
//! endpoint is auto-disabled after "5 days" of failures, and recovery delivers what failed;
//! changing the factor moves retries already scheduled; the route, the info and the stream.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::sse::read_until;
use support::{attempts, delivery, expect_json, text, Reply, TestEngine, TestReceiver, TOKEN};

/// Generous: the lifecycle below takes about 15 s on an idle machine.
const DEADLINE: Duration = Duration::from_secs(60);

async fn put_time_warp(engine: &TestEngine, body: Value) -> reqwest::Response {
    engine.api(Method::PUT, "/api/v1/time_warp").json(&body).send().await.unwrap()
}

async fn set_factor(engine: &TestEngine, factor: Value) -> Value {
    expect_json(put_time_warp(engine, json!({ "factor": factor })).await, StatusCode::OK).await
}

async fn get_time_warp(engine: &TestEngine) -> Value {
    expect_json(engine.api(Method::GET, "/api/v1/time_warp").send().await.unwrap(), StatusCode::OK).await
}

fn factor(time_warp: &Value) -> f64 {
    time_warp["factor"].as_f64().unwrap_or_else(|| panic!("no factor in {time_warp:#}"))
}

/// How far from now the delivery's next attempt is, in seconds.
fn next_attempt_in_s(delivery: &Value) -> f64 {
    let at: DateTime<Utc> = text(delivery, "next_attempt_at").parse().unwrap();
    (at - Utc::now()).num_milliseconds() as f64 / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_svix_lifecycle_plays_out_in_seconds_then_auto_disable_and_recovery() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::status(500)]).await;
    // 10 hours pass in one second: the schedule's 27.5 h take about 3 s, 5 days about 12 s.
    assert!(set_factor(&engine, json!(36_000)).await["enabled"].as_bool().unwrap());
    let endpoint = engine
        .create_endpoint(json!({
            "url": receiver.url(),
            "auto_disable": {"policy": "failing_for", "window_s": 5 * 24 * 3600},
        }))
        .await;
    let endpoint_id = text(&endpoint, "id");
    assert_eq!(endpoint["retry_schedule"], json!([5, 300, 1800, 7200, 18000, 36000, 36000]), "the Svix schedule");

    let first = engine.trigger("order.created", json!({"n": 1})).await;
    let first_id = text(&first, "id");
    let event = engine.wait_for(first_id, |event| event["status"] == "failed", DEADLINE).await;
    let failed = delivery(&event, endpoint_id);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempt_count"], 8, "the first attempt and 7 retries: {failed:#}");
    assert_eq!(attempts(failed).len(), 8);
    assert!(receiver.count() >= 8, "the receiver got {} requests", receiver.count());

    // Events keep coming while the receiver is down, until "5 days" of failures disable it.
    let deadline = Instant::now() + DEADLINE;
    let mut n = 1;
    let disabled = loop {
        let endpoint = engine.get_endpoint(endpoint_id).await;
        if endpoint["enabled"] == false {
            break endpoint;
        }
        assert!(Instant::now() < deadline, "not auto-disabled within {DEADLINE:?}: {endpoint:#}");
        n += 1;
        engine.trigger("order.created", json!({ "n": n })).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let reason = text(&disabled, "disabled_reason");
    assert!(reason.contains("time warp"), "the reason says the time was warped: {reason}");
    assert!(reason.contains("days"), "the reason gives the warped duration: {reason}");

    // The receiver is fixed; recovery re-enables the endpoint and retries what failed.
    receiver.set_script(vec![Reply::ok()]);
    let response = engine.api(Method::POST, &format!("/api/v1/endpoints/{endpoint_id}/recover")).send().await.unwrap();
    let recovered = expect_json(response, StatusCode::OK).await;
    assert!(recovered["failed"].as_u64().unwrap() >= 1, "{recovered:#}");
    let event = engine.wait_for(first_id, |event| event["status"] == "succeeded", DEADLINE).await;
    let delivered = delivery(&event, endpoint_id);
    assert_eq!(attempts(delivered).last().unwrap()["succeeded"], true, "{delivered:#}");
    assert_eq!(engine.get_endpoint(endpoint_id).await["enabled"], true);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_factor_moves_retries_already_scheduled() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::status(500), Reply::ok()]).await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": [3600]})).await;
    let endpoint_id = text(&endpoint, "id");
    let accepted = engine.trigger("order.created", json!({})).await;
    let id = text(&accepted, "id");
    let event = engine.wait_for(id, |event| event["deliveries"][0]["status"] == "retrying", DEADLINE).await;
    let waiting = next_attempt_in_s(delivery(&event, endpoint_id));
    assert!(waiting > 40.0 * 60.0, "the retry is about an hour away, not {waiting} s");

    // At 3600x the hour left becomes a second.
    set_factor(&engine, json!(3600)).await;
    let event = engine.wait_for(id, |event| event["status"] == "succeeded", DEADLINE).await;
    assert_eq!(attempts(delivery(&event, endpoint_id)).len(), 2);
    assert_eq!(receiver.count(), 2);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_the_warp_off_stretches_retries_back_to_real_time() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::status(500)]).await;
    set_factor(&engine, json!(3600)).await;
    // 10 h at 3600x: the retry is about 10 s away.
    let endpoint = engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": [36000]})).await;
    let endpoint_id = text(&endpoint, "id");
    let accepted = engine.trigger("order.created", json!({})).await;
    let id = text(&accepted, "id");
    let event = engine.wait_for(id, |event| event["deliveries"][0]["status"] == "retrying", DEADLINE).await;
    let warped = next_attempt_in_s(delivery(&event, endpoint_id));
    assert!(warped < 60.0, "at 3600x the retry is seconds away, not {warped} s");

    let off = set_factor(&engine, Value::Null).await;
    assert_eq!(off, json!({"factor": 1.0, "enabled": false, "since": null}));
    let waiting = next_attempt_in_s(delivery(&engine.get_event(id).await, endpoint_id));
    assert!(waiting > 5.0 * 3600.0, "back in real time the retry is hours away, not {waiting} s");
    assert_eq!(receiver.count(), 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_route_round_trips_persists_and_refuses_bad_factors() {
    let mut engine = TestEngine::start().await;
    assert_eq!(get_time_warp(&engine).await, json!({"factor": 1.0, "enabled": false, "since": null}));

    let set = set_factor(&engine, json!(3600)).await;
    assert_eq!(factor(&set), 3600.0);
    assert_eq!(set["enabled"], true);
    assert!(set["since"].is_string(), "{set:#}");
    assert_eq!(get_time_warp(&engine).await, set);

    for bad in [json!(0), json!(0.5), json!(-3), json!(1_000_001), json!("fast"), json!([3600]), json!(true)] {
        let response = put_time_warp(&engine, json!({ "factor": bad })).await;
        let body = expect_json(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["error"]["field"], "factor", "factor {bad}: {body:#}");
    }
    for bad in [json!({}), json!({"factor": 60, "speed": 2}), json!([]), json!(60), json!(null)] {
        let response = put_time_warp(&engine, bad.clone()).await;
        let body = expect_json(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["error"]["code"], "validation_failed", "body {bad}: {body:#}");
    }
    let not_json = engine
        .api(Method::PUT, "/api/v1/time_warp")
        .header("content-type", "application/json")
        .body("{factor: 60")
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(not_json, StatusCode::BAD_REQUEST).await["error"]["code"], "invalid_json");
    let no_token = engine.client.put(engine.url("/api/v1/time_warp")).json(&json!({"factor": 2})).send().await.unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(get_time_warp(&engine).await, set, "refused requests changed nothing");

    // Setting the same factor again keeps when it was set.
    assert_eq!(set_factor(&engine, json!(3600.0)).await, set);
    engine.restart().await;
    assert_eq!(get_time_warp(&engine).await, set, "the setting survives a restart");
    assert_eq!(set_factor(&engine, json!(1)).await, json!({"factor": 1.0, "enabled": false, "since": null}));
    engine.restart().await;
    assert_eq!(get_time_warp(&engine).await["enabled"], false);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_config_sets_it_at_start_and_info_shows_it() {
    let engine = TestEngine::start_with(|config| config.time_warp = Some(86_400.0)).await;
    let time_warp = get_time_warp(&engine).await;
    assert_eq!(factor(&time_warp), 86_400.0);
    assert_eq!(time_warp["enabled"], true);
    let info = expect_json(engine.api(Method::GET, "/api/v1/info").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(info["time_warp"], time_warp);

    set_factor(&engine, Value::Null).await;
    let info = expect_json(engine.api(Method::GET, "/api/v1/info").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(info["time_warp"]["enabled"], false);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_factor_at_start_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::test_config(dir.path());
    config.time_warp = Some(0.5);
    let refused = hooky_engine::Engine::start(config).await.err().expect("a factor under 1 is refused");
    assert!(refused.to_string().contains("time warp"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_announces_a_change() {
    let engine = TestEngine::start().await;
    let mut stream = engine.client.get(engine.url(&format!("/api/v1/stream?token={TOKEN}"))).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut buffer = String::new();
    read_until(&mut stream, &mut buffer, "ready", "").await;

    set_factor(&engine, json!(3600)).await;
    let message = read_until(&mut stream, &mut buffer, "time_warp.changed", "").await;
    assert_eq!(message["type"], "time_warp_changed");
    assert_eq!(factor(&message["time_warp"]), 3600.0);
    assert_eq!(message["time_warp"]["enabled"], true);

    set_factor(&engine, Value::Null).await;
    let message = read_until(&mut stream, &mut buffer, "time_warp.changed", "").await;
    assert_eq!(message["time_warp"]["enabled"], false);
    drop(stream);
    engine.shutdown().await;
}
