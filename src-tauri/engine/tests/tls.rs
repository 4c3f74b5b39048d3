//! Receivers on https://: a certificate no store trusts fails the attempt in plain words, and an
//! endpoint with `verify_tls: false` delivers to it anyway; QA runs follow the same setting.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{json, Value};
use support::tls_receiver::TlsReceiver;
use support::{attempts, delivery, text, TestEngine};

async fn delivery_to(engine: &TestEngine, endpoint: &Value, status: &str) -> Value {
    let accepted = engine.trigger("order.created", json!({"order": 7})).await;
    let event = engine.wait_for_status(text(&accepted, "id"), status).await;
    delivery(&event, text(endpoint, "id")).clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_fails_the_attempt_and_says_what_to_do() {
    let engine = TestEngine::start().await;
    let receiver = TlsReceiver::self_signed().await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": []})).await;
    assert_eq!(endpoint["verify_tls"], true, "certificates are checked unless the endpoint says otherwise");

    let failed = delivery_to(&engine, &endpoint, "failed").await;
    let attempt = &attempts(&failed)[0];
    assert_eq!(attempt["error"]["class"], "tls", "{attempt:#}");
    let message = text(&attempt["error"], "message");
    assert!(message.contains("certificate is not trusted"), "{message}");
    assert!(message.contains("verify_tls"), "the message names the way out: {message}");
    assert!(receiver.bodies().is_empty(), "nothing was sent over an untrusted connection");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_skips_the_check_delivers_to_a_self_signed_receiver() {
    let engine = TestEngine::start().await;
    let receiver = TlsReceiver::self_signed().await;
    let endpoint =
        engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": [], "verify_tls": false})).await;
    assert_eq!(endpoint["verify_tls"], false);

    let delivered = delivery_to(&engine, &endpoint, "succeeded").await;
    assert_eq!(attempts(&delivered)[0]["response"]["status"], 200, "{delivered:#}");
    assert_eq!(receiver.bodies(), vec![r#"{"order":7}"#.to_owned()]);
    // Copy as cURL skips the check too, or the command would fail where Hooky did not.
    let curl = engine.api(reqwest::Method::GET, &format!("/api/v1/deliveries/{}/curl", text(&delivered, "id")));
    let curl: Value = curl.send().await.unwrap().json().await.unwrap();
    assert!(text(&curl, "command").starts_with("curl -k -X POST 'https://127.0.0.1:"), "{curl:#}");

    // Turned back on, the same receiver fails again: the setting is per endpoint and live.
    let id = text(&endpoint, "id");
    let patched = engine
        .api(reqwest::Method::PATCH, &format!("/api/v1/endpoints/{id}"))
        .json(&json!({"verify_tls": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let failed = delivery_to(&engine, &endpoint, "failed").await;
    assert_eq!(attempts(&failed)[0]["error"]["class"], "tls");
    assert_eq!(receiver.bodies().len(), 1);
    let curl = engine.api(reqwest::Method::GET, &format!("/api/v1/deliveries/{}/curl", text(&failed, "id")));
    let curl: Value = curl.send().await.unwrap().json().await.unwrap();
    assert!(text(&curl, "command").starts_with("curl -X POST"), "{curl:#}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_tls_must_be_a_boolean() {
    let engine = TestEngine::start().await;
    let response = engine
        .api(reqwest::Method::POST, "/api/v1/endpoints")
        .json(&json!({"url": "https://127.0.0.1:1/hook", "verify_tls": "no"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body.to_string().contains("verify_tls"), "{body}");
    engine.shutdown().await;
}

/// Starts a run of one fixture (one variation, no faults) at `target` and waits for its end.
async fn finished_run(engine: &TestEngine, target: Value) -> Value {
    let folder = engine.data_dir().join("fixtures");
    std::fs::create_dir_all(&folder).unwrap();
    let fixture = json!({ "event_name": "order.created", "variations": [{"n": 1}] });
    std::fs::write(folder.join("created.json"), fixture.to_string()).unwrap();
    let started = engine.api(reqwest::Method::POST, "/api/v1/runs").json(&json!({ "target": target })).send();
    let started: Value = started.await.unwrap().json().await.unwrap();
    let id = text(&started, "id").to_owned();
    let deadline = tokio::time::Instant::now() + support::WAIT;
    loop {
        let run: Value =
            engine.api(reqwest::Method::GET, &format!("/api/v1/runs/{id}")).send().await.unwrap().json().await.unwrap();
        if run["state"] == "finished" {
            return run;
        }
        assert!(tokio::time::Instant::now() < deadline, "the run did not finish: {run:#}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_check_certificates_unless_their_target_says_not_to() {
    let engine = TestEngine::start().await;
    let receiver = TlsReceiver::self_signed().await;

    let checked = finished_run(&engine, json!({ "url": receiver.url() })).await;
    assert_eq!(checked["report"]["totals"]["failed"], 1, "{checked:#}");
    assert!(receiver.bodies().is_empty());

    let unchecked = finished_run(&engine, json!({ "url": receiver.url(), "verify_tls": false })).await;
    assert_eq!(unchecked["report"]["totals"]["passed"], 1, "{unchecked:#}");
    assert_eq!(receiver.bodies(), vec![r#"{"n":1}"#.to_owned()]);

    // An endpoint target brings its own setting.
    let endpoint =
        engine.create_endpoint(json!({"url": receiver.url(), "event_filter": ["none"], "verify_tls": false})).await;
    let via_endpoint = finished_run(&engine, json!({ "endpoint_id": text(&endpoint, "id") })).await;
    assert_eq!(via_endpoint["report"]["totals"]["passed"], 1, "{via_endpoint:#}");
    assert_eq!(receiver.bodies().len(), 2);
    engine.shutdown().await;
}
