//! Catchers: Hooky's own mock receivers at /catch/{name}, driven by real deliveries
//! and by a plain HTTP client. Bad input to their routes is in catchers/bad_input.rs.
#![allow(clippy::unwrap_used)]

#[path = "catchers/bad_input.rs"]
mod bad_input;
mod support;

use std::time::Duration;

use hooky_engine::signing;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::sse::read_until;
use support::{attempts, delivery, expect_json, raw_http, text, TestEngine, WAIT};

async fn create_catcher(engine: &TestEngine, body: Value) -> Value {
    let response = engine.api(Method::POST, "/api/v1/catchers").json(&body).send().await.unwrap();
    expect_json(response, StatusCode::CREATED).await
}

async fn get_json(engine: &TestEngine, path: &str) -> Value {
    expect_json(engine.api(Method::GET, path).send().await.unwrap(), StatusCode::OK).await
}

/// The catcher's caught requests, newest first.
async fn caught(engine: &TestEngine, catcher_id: &str) -> Vec<Value> {
    let page = get_json(engine, &format!("/api/v1/catchers/{catcher_id}/requests?limit=500")).await;
    page["data"].as_array().unwrap().clone()
}

/// Signs `body` as Hooky would, with `secret`, for a request sent by hand.
fn signed_headers(secret: &str, body: &str) -> [(String, String); 3] {
    let now = chrono::Utc::now().timestamp();
    let key = signing::decode_secret(secret).unwrap();
    [
        ("webhook-id".into(), "msg_manual".into()),
        ("webhook-timestamp".into(), now.to_string()),
        ("webhook-signature".into(), signing::sign(&key, "msg_manual", now, body.as_bytes())),
    ]
}

async fn post_signed(engine: &TestEngine, name: &str, secret: &str, body: &str) -> StatusCode {
    let mut request = engine.client.post(engine.url(&format!("/catch/{name}"))).body(body.to_owned());
    for (header, value) in signed_headers(secret, body) {
        request = request.header(header, value);
    }
    request.send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_creates_an_endpoint_and_the_catcher_records_a_verified_delivery() {
    let engine = TestEngine::start().await;
    let mut stream =
        engine.client.get(engine.url(&format!("/api/v1/stream?token={}", support::TOKEN))).send().await.unwrap();
    let catcher = create_catcher(&engine, json!({"name": "orders", "subscribe": {"event_filter": ["order.*"]}})).await;
    let (catcher_id, endpoint_id) = (text(&catcher, "id"), text(&catcher, "endpoint_id"));
    assert!(catcher_id.starts_with("cat_"));
    assert_eq!(catcher["url"], engine.url("/catch/orders"));
    assert_eq!(catcher["verify"], json!({"endpoint_id": endpoint_id}));
    assert_eq!((catcher["position"].as_u64(), catcher["request_count"].as_u64()), (Some(0), Some(0)));
    let endpoint = engine.get_endpoint(endpoint_id).await;
    assert_eq!(endpoint["url"], engine.url("/catch/orders"));
    assert_eq!(endpoint["event_filter"], json!(["order.*"]));

    let accepted = engine.trigger("order.created", json!({"order": 42})).await;
    let event_id = text(&accepted, "id");
    let event = engine.wait_for_status(event_id, "succeeded").await;
    assert_eq!(attempts(delivery(&event, endpoint_id))[0]["response"]["body"], r#"{"ok":true}"#);
    let unrouted = engine.trigger("user.created", json!({})).await;
    assert_eq!(unrouted["deliveries"], json!([]), "the endpoint keeps its filter");

    let requests = caught(&engine, catcher_id).await;
    assert_eq!(requests.len(), 1);
    let summary = &requests[0];
    assert_eq!((summary["method"].as_str(), summary["path"].as_str()), (Some("POST"), Some("/catch/orders")));
    assert_eq!(summary["response_status"], 200);
    assert_eq!(summary["signature"], json!({"status": "verified"}));
    let full = get_json(&engine, &format!("/api/v1/catchers/{catcher_id}/requests/{}", text(summary, "id"))).await;
    assert_eq!(full["body"], r#"{"order":42}"#);
    assert_eq!(full["body_base64"], false);
    assert_eq!(full["headers"]["webhook-id"], event_id);
    assert_eq!(full["headers"]["x-hooky-event"], "order.created");

    let seen = read_until(&mut stream, &mut String::new(), "request.caught", catcher_id).await;
    assert_eq!(seen["request"]["id"], summary["id"], "the stream announced the caught request");

    // After a rotation the previous secret still verifies during its grace period.
    let old_secret = get_json(&engine, &format!("/api/v1/endpoints/{endpoint_id}/secret")).await;
    let rotate = engine.api(Method::POST, &format!("/api/v1/endpoints/{endpoint_id}/secret/rotate")).send().await;
    assert_eq!(rotate.unwrap().status(), StatusCode::OK);
    assert_eq!(post_signed(&engine, "orders", text(&old_secret, "key"), "{}").await, StatusCode::OK);
    assert_eq!(caught(&engine, catcher_id).await[0]["signature"], json!({"status": "verified"}));

    let catcher = get_json(&engine, &format!("/api/v1/catchers/{catcher_id}")).await;
    assert_eq!((catcher["position"].as_u64(), catcher["request_count"].as_u64()), (Some(2), Some(2)));
    assert!(catcher["last_request_at"].is_string());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_500_200_script_makes_the_delivery_take_three_attempts() {
    let engine = TestEngine::start().await;
    let catcher = create_catcher(
        &engine,
        json!({"name": "flappy", "script": {"statuses": [500, 500, 200]}, "subscribe": {"retry_schedule": [0, 0, 0]}}),
    )
    .await;
    let accepted = engine.trigger("order.created", json!({})).await;
    let event = engine.wait_for_status(text(&accepted, "id"), "succeeded").await;
    let delivered = delivery(&event, text(&catcher, "endpoint_id"));
    assert_eq!(delivered["attempt_count"], 3);
    let statuses: Vec<&Value> = attempts(delivered).iter().map(|a| &a["response"]["status"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(500), &json!(200)]);

    let recorded: Vec<Value> =
        caught(&engine, text(&catcher, "id")).await.iter().map(|r| r["response_status"].clone()).collect();
    assert_eq!(recorded, [json!(200), json!(500), json!(500)], "newest first");
    let catcher_id = text(&catcher, "id");
    assert_eq!(get_json(&engine, &format!("/api/v1/catchers/{catcher_id}")).await["position"], 3);

    // A new script starts its sequence over.
    let patch = engine
        .api(Method::PATCH, &format!("/api/v1/catchers/{catcher_id}"))
        .json(&json!({"script": {"statuses": [201, 202]}}));
    let patched = expect_json(patch.send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(patched["position"], 0);
    let statuses = [
        engine.client.get(engine.url("/catch/flappy")).send().await.unwrap().status(),
        engine.client.get(engine.url("/catch/flappy")).send().await.unwrap().status(),
    ];
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::ACCEPTED]);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_catcher_times_the_attempt_out_and_does_not_block_shutdown() {
    let mut engine = TestEngine::start().await;
    let catcher = create_catcher(
        &engine,
        json!({"name": "black-hole", "script": {"hang": true}, "subscribe": {"timeout_ms": 200, "retry_schedule": []}}),
    )
    .await;
    let accepted = engine.trigger("order.created", json!({})).await;
    let event = engine.wait_for_status(text(&accepted, "id"), "failed").await;
    let attempt = &attempts(delivery(&event, text(&catcher, "endpoint_id")))[0];
    assert_eq!(attempt["error"]["class"], "timeout");
    let recorded = caught(&engine, text(&catcher, "id")).await;
    assert_eq!(recorded[0]["response_status"], Value::Null, "a hang never answered");

    // A client still waiting when the engine stops is let go, and the stop completes.
    let client = engine.client.clone();
    let url = engine.url("/catch/black-hole");
    let waiting = tokio::spawn(async move { client.get(url).send().await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(200)).await;
    tokio::time::timeout(WAIT, engine.stop()).await.expect("shutdown completes while a catcher hangs");
    let answered = tokio::time::timeout(WAIT, waiting).await.expect("the waiting client is released").unwrap();
    assert!(answered.as_ref().map_or(true, |status| *status == StatusCode::SERVICE_UNAVAILABLE), "{answered:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_catcher_disables_its_endpoint() {
    let engine = TestEngine::start().await;
    let catcher = create_catcher(
        &engine,
        json!({"name": "gone", "script": {"statuses": [410]}, "subscribe": {"retry_schedule": [1]}}),
    )
    .await;
    let accepted = engine.trigger("order.created", json!({})).await;
    engine.wait_for_status(text(&accepted, "id"), "failed").await;
    let endpoint = engine.get_endpoint(text(&catcher, "endpoint_id")).await;
    assert_eq!(endpoint["enabled"], false);
    assert!(text(&endpoint, "disabled_reason").contains("410"), "{endpoint:#}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_client_gets_the_scripted_answer_without_a_token() {
    let engine = TestEngine::start().await;
    let script = json!({"statuses": [429], "retry_after": "120", "body": "slow down", "headers": {"X-Custom": "yes"}, "delay_ms": 50});
    let catcher = create_catcher(&engine, json!({"name": "limited", "script": script})).await;
    let response = engine
        .client
        .put(engine.url("/catch/limited/deep/path?x=1&y=2"))
        .header("x-sent", "1")
        .body(vec![0xff_u8, 0x00, 0x80])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "120");
    assert_eq!(response.headers()["x-custom"], "yes");
    assert_eq!(response.text().await.unwrap(), "slow down");

    let catcher_id = text(&catcher, "id");
    let summary = &caught(&engine, catcher_id).await[0];
    assert_eq!(summary["path"], "/catch/limited/deep/path");
    assert_eq!((summary["method"].as_str(), summary["body_size"].as_u64()), (Some("PUT"), Some(3)));
    assert_eq!(summary["signature"], json!({"status": "not_checked"}));
    let full = get_json(&engine, &format!("/api/v1/catchers/{catcher_id}/requests/{}", text(summary, "id"))).await;
    assert_eq!((full["query"].as_str(), full["headers"]["x-sent"].as_str()), (Some("x=1&y=2"), Some("1")));
    assert_eq!((full["body"].as_str(), full["body_base64"].as_bool()), (Some("/wCA"), Some(true)), "not UTF-8: base64");

    // No token needed, but the Host guard still applies.
    let port = engine.addr().port();
    let ask = |host: &str| format!("GET /catch/limited HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let (status, answer) = raw_http(engine.addr(), ask(&format!("127.0.0.1:{port}")).as_bytes()).await;
    assert_eq!(status, 429, "{answer}");
    let (status, answer) = raw_http(engine.addr(), ask(&format!("evil.example:{port}")).as_bytes()).await;
    assert_eq!(status, 403, "{answer}");
    let foreign = engine.client.post(engine.url("/catch/limited")).header("origin", "http://evil.example").send().await;
    assert_eq!(foreign.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(caught(&engine, catcher_id).await.len(), 2, "refused requests are not recorded");

    let unknown = engine.client.get(engine.url("/catch/nobody")).send().await.unwrap();
    assert_eq!(expect_json(unknown, StatusCode::NOT_FOUND).await["error"]["code"], "not_found");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_rate_one_always_fails() {
    let engine = TestEngine::start().await;
    create_catcher(&engine, json!({"name": "flaky", "script": {"fail_rate": 1.0, "fail_status": 502}})).await;
    for _ in 0..10 {
        let status = engine.client.post(engine.url("/catch/flaky")).send().await.unwrap().status();
        assert_eq!(status, StatusCode::BAD_GATEWAY);
    }
    create_catcher(&engine, json!({"name": "steady", "script": {"fail_rate": 0.0}})).await;
    for _ in 0..10 {
        assert_eq!(engine.client.post(engine.url("/catch/steady")).send().await.unwrap().status(), StatusCode::OK);
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_fails_the_signature_with_a_reason() {
    let engine = TestEngine::start().await;
    let secret = signing::generate_secret();
    let catcher = create_catcher(&engine, json!({"name": "strict", "verify": {"secret": secret}})).await;
    assert_eq!(post_signed(&engine, "strict", &signing::generate_secret(), r#"{"a":1}"#).await, StatusCode::OK);
    assert_eq!(post_signed(&engine, "strict", &secret, r#"{"a":1}"#).await, StatusCode::OK);
    engine.client.post(engine.url("/catch/strict")).body("unsigned").send().await.unwrap();
    let recorded = caught(&engine, text(&catcher, "id")).await;
    let outcomes: Vec<&Value> = recorded.iter().map(|r| &r["signature"]).collect();
    assert_eq!(outcomes[0]["status"], "failed");
    assert!(text(outcomes[0], "reason").contains("timestamp"), "unsigned: {}", outcomes[0]);
    assert_eq!(outcomes[1], &json!({"status": "verified"}));
    assert_eq!(outcomes[2]["status"], "failed");
    assert!(text(outcomes[2], "reason").contains("no signature matches"), "wrong secret: {}", outcomes[2]);

    // verify: null stops checking.
    let path = format!("/api/v1/catchers/{}", text(&catcher, "id"));
    let patched = engine.api(Method::PATCH, &path).json(&json!({"verify": null})).send().await.unwrap();
    assert_eq!(expect_json(patched, StatusCode::OK).await["verify"], Value::Null);
    engine.client.post(engine.url("/catch/strict")).send().await.unwrap();
    assert_eq!(caught(&engine, text(&catcher, "id")).await[0]["signature"], json!({"status": "not_checked"}));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_catcher_keeps_its_newest_thousand_requests() {
    let engine = TestEngine::start().await;
    let catcher = create_catcher(&engine, json!({"name": "busy"})).await;
    let catcher_id = text(&catcher, "id");
    let send = |n: usize| engine.client.post(engine.url(&format!("/catch/busy?n={n}"))).send();
    send(0).await.unwrap();
    let first_id = text(&caught(&engine, catcher_id).await[0], "id").to_owned();
    for chunk in (1..1005).collect::<Vec<_>>().chunks(8) {
        let sent = futures_util::future::join_all(chunk.iter().map(|n| send(*n))).await;
        assert!(sent.iter().all(|r| r.as_ref().is_ok_and(|r| r.status() == StatusCode::OK)));
    }
    let catcher = get_json(&engine, &format!("/api/v1/catchers/{catcher_id}")).await;
    assert_eq!(catcher["request_count"], 1000);
    let first = engine.api(Method::GET, &format!("/api/v1/catchers/{catcher_id}/requests/{first_id}")).send().await;
    assert_eq!(first.unwrap().status(), StatusCode::NOT_FOUND, "the oldest request was dropped");

    // Paging newest first covers exactly the kept ones.
    let (mut seen, mut before) = (0, String::new());
    loop {
        let page =
            get_json(&engine, &format!("/api/v1/catchers/{catcher_id}/requests?limit=300&before={before}")).await;
        seen += page["data"].as_array().unwrap().len();
        match page["next_before"].as_str() {
            Some(next) => before = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, 1000);

    let cleared = engine.api(Method::DELETE, &format!("/api/v1/catchers/{catcher_id}/requests")).send().await;
    assert_eq!(cleared.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(get_json(&engine, &format!("/api/v1/catchers/{catcher_id}")).await["request_count"], 0);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_catcher_and_on_request_its_endpoint() {
    let engine = TestEngine::start().await;
    let keep = create_catcher(&engine, json!({"name": "keep-ep", "subscribe": {}})).await;
    let drop = create_catcher(&engine, json!({"name": "drop-ep", "subscribe": {"name": "mine"}})).await;
    assert_eq!(engine.get_endpoint(text(&drop, "endpoint_id")).await["name"], "mine");
    let list = get_json(&engine, "/api/v1/catchers").await;
    let names: Vec<&str> = list["data"].as_array().unwrap().iter().map(|c| text(c, "name")).collect();
    assert_eq!(names, ["drop-ep", "keep-ep"]);

    for (catcher, query) in [(&keep, ""), (&drop, "?with_endpoint=true")] {
        let path = format!("/api/v1/catchers/{}{query}", text(catcher, "id"));
        assert_eq!(engine.api(Method::DELETE, &path).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    }
    engine.get_endpoint(text(&keep, "endpoint_id")).await;
    let gone = engine.api(Method::GET, &format!("/api/v1/endpoints/{}", text(&drop, "endpoint_id"))).send().await;
    assert_eq!(gone.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(get_json(&engine, "/api/v1/catchers").await["data"], json!([]));
    assert_eq!(engine.client.get(engine.url("/catch/keep-ep")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    engine.shutdown().await;
}
