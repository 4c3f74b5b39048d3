//! Demo mode: a real engine sets up its catchers, sends order events to them through real
//! deliveries, stops, and a reset removes exactly what the demo created.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{expect_json, text, TestEngine, TestReceiver, WAIT};

async fn get_json(engine: &TestEngine, path: &str) -> Value {
    expect_json(engine.api(Method::GET, path).send().await.unwrap(), StatusCode::OK).await
}

async fn start_demo(engine: &TestEngine, body: Value) -> reqwest::Response {
    engine.api(Method::POST, "/api/v1/demo").json(&body).send().await.unwrap()
}

async fn reset_demo(engine: &TestEngine) -> Value {
    expect_json(engine.api(Method::DELETE, "/api/v1/demo").send().await.unwrap(), StatusCode::OK).await
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|item| text(item, "id").to_owned()).collect()
}

/// Polls `check` every 100 ms until it returns Some; panics with `what` after WAIT.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(what: &str, mut check: impl FnMut() -> F) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The catcher named `name` among `catchers` (a list answer).
fn by_name<'a>(catchers: &'a Value, name: &str) -> &'a Value {
    catchers["data"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

/// The most attempts any delivery to `endpoint_id` has had.
async fn most_attempts(engine: &TestEngine, endpoint_id: &str) -> u64 {
    let events = engine.list_events(&format!("endpoint_id={endpoint_id}&limit=500")).await;
    let deliveries =
        events["data"].as_array().unwrap().iter().flat_map(|e| e["deliveries"].as_array().unwrap().clone());
    deliveries
        .filter(|d| d["endpoint_id"] == endpoint_id)
        .filter_map(|d| d["attempt_count"].as_u64())
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_delivers_retries_stops_and_its_reset_removes_exactly_what_it_made() {
    let engine = TestEngine::start().await;
    // What the user had before: an endpoint taking everything, a catcher with its endpoint, an event.
    let receiver = TestReceiver::start(vec![]).await;
    let user_endpoint = engine.create_endpoint(json!({"url": receiver.url(), "event_filter": ["**"]})).await;
    let user_catcher = expect_json(
        engine
            .api(Method::POST, "/api/v1/catchers")
            .json(&json!({"name": "mine", "subscribe": {"event_filter": ["user.*"]}}))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let user_event = engine.trigger("user.signup", json!({"id": 1})).await;
    let before = get_json(&engine, "/api/v1/demo").await;
    assert_eq!((before["active"].as_bool(), before["running"].as_bool()), (Some(false), Some(false)));

    let demo = expect_json(start_demo(&engine, json!({"interval_ms": 200})).await, StatusCode::OK).await;
    assert_eq!((demo["running"].as_bool(), demo["active"].as_bool()), (Some(true), Some(true)));
    assert_eq!(demo["interval_ms"], 200);
    assert_eq!(demo["time_warp"]["factor"], 3600.0);
    assert_eq!(get_json(&engine, "/api/v1/time_warp").await["factor"], 3600.0);
    let (catchers, endpoints) = (demo["catchers"].as_array().unwrap(), demo["endpoints"].as_array().unwrap());
    assert_eq!((catchers.len(), endpoints.len()), (4, 4));
    let all_catchers = get_json(&engine, "/api/v1/catchers").await;
    let mut names = Vec::new();
    for name in ["demo-healthy", "demo-slow", "demo-flaky", "demo-down"] {
        let catcher = by_name(&all_catchers, name);
        assert!(catchers.contains(&catcher["id"]), "{name} is the demo's");
        let endpoint = engine.get_endpoint(text(catcher, "endpoint_id")).await;
        assert_eq!(endpoint["event_filter"], json!(["order.*"]));
        assert_eq!(endpoint["retry_schedule"], json!([5, 300, 1800, 7200, 18000, 36000, 36000]));
        names.push(endpoint["name"].as_str().unwrap().to_owned());
    }
    assert_eq!(names, ["Demo · healthy", "Demo · slow", "Demo · flaky", "Demo · down"]);
    let again = start_demo(&engine, json!({})).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(again.json::<Value>().await.unwrap()["error"]["code"], "demo_running");

    // Order events arrive, signed, at the healthy catcher (and at the user's catch-all endpoint).
    let healthy_id = text(by_name(&all_catchers, "demo-healthy"), "id").to_owned();
    let requests = eventually("three verified requests at demo-healthy", || async {
        let page = get_json(&engine, &format!("/api/v1/catchers/{healthy_id}/requests?limit=500")).await;
        let data = page["data"].as_array().unwrap().clone();
        (data.len() >= 3).then_some(data)
    })
    .await;
    assert!(requests.iter().all(|r| r["signature"] == json!({"status": "verified"}) && r["response_status"] == 200));
    let full = get_json(&engine, &format!("/api/v1/catchers/{healthy_id}/requests/{}", text(&requests[0], "id"))).await;
    let payload: Value = serde_json::from_str(text(&full, "body")).unwrap();
    assert!(payload["type"].as_str().unwrap().starts_with("order."));
    assert!(payload["data"]["items"][0]["sku"].is_string() && payload["data"]["customer"]["email"].is_string());
    receiver.wait_for_requests(1, WAIT).await;

    // The warped default schedule retries the down and flaky endpoints within seconds.
    for name in ["demo-down", "demo-flaky"] {
        let endpoint_id = text(by_name(&all_catchers, name), "endpoint_id").to_owned();
        eventually(&format!("a retry to {name}"), || async {
            (most_attempts(&engine, &endpoint_id).await >= 2).then_some(())
        })
        .await;
    }

    // Stop: no more events.
    let stopped =
        expect_json(engine.api(Method::POST, "/api/v1/demo/stop").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!((stopped["running"].as_bool(), stopped["active"].as_bool()), (Some(false), Some(true)));
    let sent = stopped["events_sent"].as_u64().unwrap();
    assert!(sent >= 3, "{stopped}");
    let order_events = |events: &Value| events["data"].as_array().unwrap().len();
    let count_after_stop = order_events(&engine.list_events("limit=500").await);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(order_events(&engine.list_events("limit=500").await), count_after_stop, "no event after stop");
    assert_eq!(get_json(&engine, "/api/v1/demo").await["events_sent"].as_u64(), Some(sent));

    // Reset: only the demo's catchers, endpoints and events go; the time warp is off again.
    let reset = reset_demo(&engine).await;
    assert_eq!((reset["deleted_catchers"].as_u64(), reset["deleted_endpoints"].as_u64()), (Some(4), Some(4)));
    assert_eq!(reset["deleted_events"].as_u64(), Some(sent));
    assert_eq!(reset["time_warp"]["enabled"], false);
    assert_eq!(get_json(&engine, "/api/v1/time_warp").await["enabled"], false);
    assert_eq!(ids(&get_json(&engine, "/api/v1/catchers").await), [text(&user_catcher, "id")]);
    let mut endpoints_left = ids(&get_json(&engine, "/api/v1/endpoints").await);
    endpoints_left.sort();
    let mut expected = vec![text(&user_endpoint, "id").to_owned(), text(&user_catcher, "endpoint_id").to_owned()];
    expected.sort();
    assert_eq!(endpoints_left, expected);
    assert_eq!(ids(&engine.list_events("limit=500").await), [text(&user_event, "id")]);
    let state = get_json(&engine, "/api/v1/demo").await;
    assert_eq!((state["active"].as_bool(), state["events_sent"].as_u64()), (Some(false), Some(0)));

    // A second reset finds nothing and says so.
    let again = reset_demo(&engine).await;
    assert_eq!((again["deleted_catchers"].as_u64(), again["deleted_events"].as_u64()), (Some(0), Some(0)));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_catcher_with_a_demo_name_refuses_the_start_and_nothing_is_created() {
    let engine = TestEngine::start().await;
    let mine = engine.api(Method::POST, "/api/v1/catchers").json(&json!({"name": "demo-slow"})).send().await.unwrap();
    assert_eq!(mine.status(), StatusCode::CREATED);
    let refused = start_demo(&engine, json!({})).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "name_taken");
    assert!(text(&body["error"], "message").contains("demo-slow"), "{body}");
    assert_eq!(get_json(&engine, "/api/v1/catchers").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(get_json(&engine, "/api/v1/endpoints").await["data"], json!([]));
    assert_eq!(get_json(&engine, "/api/v1/time_warp").await["enabled"], false);
    assert_eq!(get_json(&engine, "/api/v1/demo").await["active"], false);
    // The reset leaves the user's catcher alone.
    assert_eq!(reset_demo(&engine).await["deleted_catchers"], 0);
    assert_eq!(get_json(&engine, "/api/v1/catchers").await["data"].as_array().unwrap().len(), 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_intervals_are_refused_and_a_warp_already_on_is_kept() {
    let engine = TestEngine::start().await;
    for bad in [json!({"interval_ms": 199}), json!({"interval_ms": 10_001}), json!({"speed": 1})] {
        let response = start_demo(&engine, bad.clone()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(get_json(&engine, "/api/v1/catchers").await["data"], json!([]), "nothing was created");
    let warp = engine.api(Method::PUT, "/api/v1/time_warp").json(&json!({"factor": 60})).send().await.unwrap();
    assert_eq!(warp.status(), StatusCode::OK);
    // No body at all is the defaults.
    let demo = expect_json(engine.api(Method::POST, "/api/v1/demo").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!((demo["interval_ms"].as_u64(), demo["time_warp"]["factor"].as_f64()), (Some(1200), Some(60.0)));
    reset_demo(&engine).await;
    assert_eq!(get_json(&engine, "/api/v1/time_warp").await["factor"], 60.0, "the user's warp stays");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_demo_is_still_known_and_its_reset_still_removes_it() {
    let mut engine = TestEngine::start().await;
    let mut stream =
        engine.client.get(engine.url(&format!("/api/v1/stream?token={}", support::TOKEN))).send().await.unwrap();
    expect_json(start_demo(&engine, json!({"interval_ms": 200})).await, StatusCode::OK).await;
    let announced = read_demo_changed(&mut stream).await;
    assert_eq!(announced["demo"]["running"], true);
    eventually("two demo events", || async {
        (get_json(&engine, "/api/v1/demo").await["events_sent"].as_u64() >= Some(2)).then_some(())
    })
    .await;
    drop(stream);
    engine.restart().await;
    let state = get_json(&engine, "/api/v1/demo").await;
    assert_eq!((state["running"].as_bool(), state["active"].as_bool()), (Some(false), Some(true)));
    assert_eq!(state["catchers"].as_array().unwrap().len(), 4);
    assert_eq!(get_json(&engine, "/api/v1/time_warp").await["factor"], 3600.0);
    let sent = state["events_sent"].as_u64().unwrap();
    assert_eq!(engine.list_events("limit=500").await["data"].as_array().unwrap().len() as u64, sent);

    let reset = reset_demo(&engine).await;
    assert_eq!((reset["deleted_catchers"].as_u64(), reset["deleted_events"].as_u64()), (Some(4), Some(sent)));
    assert_eq!(get_json(&engine, "/api/v1/catchers").await["data"], json!([]));
    assert_eq!(get_json(&engine, "/api/v1/endpoints").await["data"], json!([]));
    assert_eq!(engine.list_events("limit=500").await["data"], json!([]));
    assert_eq!(get_json(&engine, "/api/v1/time_warp").await["enabled"], false);
    engine.shutdown().await;
}

/// Reads the SSE body until a `demo.changed` message arrives.
async fn read_demo_changed(response: &mut reqwest::Response) -> Value {
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            if message.lines().any(|l| l.strip_prefix("event:").map(str::trim) == Some("demo.changed")) {
                let data = message.lines().find_map(|l| l.strip_prefix("data:")).unwrap();
                return serde_json::from_str(data.trim()).unwrap();
            }
        }
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(bytes))) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            other => panic!("no demo.changed message: {other:?}"),
        }
    }
}
