//! Replay as a user drives it: resend, bulk retry with a dry run and a job,
//! recovery of a disabled endpoint, cURL export, auto-disable and search.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use hooky_engine::signing::{self, Signed};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{delivery_is, expect_json, text, Reply, TestEngine, TestReceiver, WAIT};

async fn post(engine: &TestEngine, path: &str, body: Value) -> Value {
    let response = engine.api(Method::POST, path).json(&body).send().await.unwrap();
    let status = response.status();
    let value: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{path} answered {status}: {value}");
    value
}

async fn wait_job(engine: &TestEngine, job_id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let response = engine.api(Method::GET, &format!("/api/v1/jobs/{job_id}")).send().await.unwrap();
        let job = expect_json(response, StatusCode::OK).await;
        if job["state"] != "running" {
            return job;
        }
        assert!(tokio::time::Instant::now() < deadline, "job never finished: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_goes_to_the_chosen_endpoints_with_the_same_webhook_id() {
    let engine = TestEngine::start().await;
    let (first, second) = (TestReceiver::start(vec![]).await, TestReceiver::start(vec![]).await);
    let a = engine.create_endpoint(json!({"url": first.url()})).await;
    let b = engine.create_endpoint(json!({"url": second.url(), "event_filter": ["other.*"]})).await;
    let event = engine.trigger("order.created", json!({"n": 1})).await;
    let event_id = text(&event, "id");
    engine.wait_for_status(event_id, "succeeded").await;

    let again =
        post(&engine, &format!("/api/v1/events/{event_id}/resend"), json!({"endpoint_ids": [text(&b, "id")]})).await;
    assert_eq!(again["deliveries"][0]["endpoint_id"], text(&b, "id"));
    let got = second.wait_for_requests(1, WAIT).await;
    assert_eq!(got[0].header("webhook-id"), event_id, "a resend is the same message");
    let default = post(&engine, &format!("/api/v1/events/{event_id}/resend"), json!({})).await;
    assert_eq!(default["deliveries"].as_array().unwrap().len(), 1, "by default only endpoints whose filter matches");
    first.wait_for_requests(2, WAIT).await;
    let detail = engine
        .wait_for(event_id, |e| e["deliveries"].as_array().unwrap().len() == 3 && e["status"] == "succeeded", WAIT)
        .await;
    assert_eq!(detail["status"], "succeeded");
    // Filtering by endpoint lists the event once, even with two deliveries to it.
    let other = engine.trigger("other.thing", json!({})).await;
    let listed =
        |page: Value| page["data"].as_array().unwrap().iter().map(|e| text(e, "id").to_owned()).collect::<Vec<_>>();
    let for_a = listed(engine.list_events(&format!("endpoint_id={}", text(&a, "id"))).await);
    assert_eq!(for_a, vec![text(&other, "id"), event_id], "a takes every event, newest first");
    let for_b = listed(engine.list_events(&format!("endpoint_id={}", text(&b, "id"))).await);
    assert_eq!(for_b, vec![text(&other, "id"), event_id], "b: other.* and the resent event, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_retry_counts_first_then_recovers_what_failed() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::status(500)]).await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": []})).await;
    let since = chrono::Utc::now().to_rfc3339();
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(text(&engine.trigger("order.created", json!({"n": n})).await, "id").to_owned());
    }
    for id in &ids {
        engine.wait_for_status(id, "failed").await;
    }
    let dry = post(&engine, "/api/v1/deliveries/retry-failed", json!({"since": since, "dry_run": true})).await;
    assert_eq!((dry["count"].as_u64(), dry["job"].is_null()), (Some(3), true));
    assert_eq!(receiver.count(), 3, "a dry run sends nothing");

    receiver.set_script(vec![Reply::ok()]);
    let run =
        post(&engine, "/api/v1/deliveries/retry-failed", json!({"since": since, "endpoint_id": text(&endpoint, "id")}))
            .await;
    let job = wait_job(&engine, text(&run["job"], "id")).await;
    assert_eq!(
        (job["state"].as_str(), job["done"].as_u64(), job["succeeded"].as_u64()),
        (Some("finished"), Some(3), Some(3))
    );
    for id in &ids {
        let event = engine.get_event(id).await;
        assert_eq!(event["status"], "succeeded");
        assert_eq!(event["deliveries"][0]["attempts"][1]["trigger"], "manual");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_disable_then_recover_everything_missed() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::status(503)]).await;
    let endpoint = engine
        .create_endpoint(json!({"url": receiver.url(), "retry_schedule": [], "auto_disable": {"policy": "consecutive_failures", "failures": 2}}))
        .await;
    let id = text(&endpoint, "id");
    for n in 0..2 {
        let event = engine.trigger("order.created", json!({"n": n})).await;
        engine.wait_for_status(text(&event, "id"), "failed").await;
    }
    let disabled = engine.get_endpoint(id).await;
    assert_eq!(disabled["enabled"], false);
    assert!(text(&disabled, "disabled_reason").contains("2 deliveries in a row"), "{disabled}");
    let missed = engine.trigger("order.created", json!({"n": "while off"})).await;
    assert_eq!(missed["deliveries"], json!([]), "a disabled endpoint gets nothing new");

    let dry = post(&engine, &format!("/api/v1/endpoints/{id}/recover"), json!({"dry_run": true})).await;
    assert_eq!((dry["failed"].as_u64(), dry["missed"].as_u64()), (Some(2), Some(1)));
    receiver.set_script(vec![Reply::ok()]);
    let run = post(&engine, &format!("/api/v1/endpoints/{id}/recover"), json!({})).await;
    assert_eq!(run["job"]["total"], 3, "the job covers the 2 failed deliveries and the missed event: {run}");
    let job = wait_job(&engine, text(&run["job"], "id")).await;
    assert_eq!(
        (job["state"].as_str(), job["done"].as_u64(), job["succeeded"].as_u64(), job["failed"].as_u64()),
        (Some("finished"), Some(3), Some(3), Some(0)),
        "{job}"
    );
    assert_eq!(engine.get_endpoint(id).await["enabled"], true);
    // Finished means the missed event's first attempt is in.
    assert_eq!(engine.get_event(text(&missed, "id")).await["status"], "succeeded");
    let bodies: Vec<String> = receiver
        .wait_for_requests(5, WAIT)
        .await
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(bodies.iter().any(|b| b.contains("while off")), "{bodies:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_export_resigns_with_a_fresh_timestamp() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url()})).await;
    let event = engine.trigger("order.created", json!({"it's": "quoted"})).await;
    let done = engine.wait_for_status(text(&event, "id"), "succeeded").await;
    let delivery_id = text(&done["deliveries"][0], "id");
    let response = engine.api(Method::GET, &format!("/api/v1/deliveries/{delivery_id}/curl")).send().await.unwrap();
    let command = text(&expect_json(response, StatusCode::OK).await, "command").to_owned();
    assert!(command.starts_with(&format!("curl -X POST '{}'", receiver.url())), "{command}");
    assert!(command.contains(r#"'{"it'\''s":"quoted"}'"#), "the body is shell-quoted: {command}");

    // Run it: the receiver must accept the signature as fresh.
    let shell = command.clone();
    let output = tokio::task::spawn_blocking(move || std::process::Command::new("sh").arg("-c").arg(shell).output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let got = receiver.wait_for_requests(2, WAIT).await;
    let secret =
        engine.api(Method::GET, &format!("/api/v1/endpoints/{}/secret", text(&endpoint, "id"))).send().await.unwrap();
    let secret = text(&expect_json(secret, StatusCode::OK).await, "key").to_owned();
    let signed = Signed {
        msg_id: got[1].header("webhook-id"),
        timestamp: got[1].header("webhook-timestamp"),
        signature_header: got[1].header("webhook-signature"),
        body: &got[1].body,
    };
    assert_eq!(signing::verify(&secret, &signed, chrono::Utc::now().timestamp(), 300), Ok(()));
    assert!(delivery_is(&done, text(&endpoint, "id"), "succeeded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_words_in_payloads_and_response_bodies() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![Reply::ok().body(r#"{"ticket":"ZEBRA-77"}"#)]).await;
    engine.create_endpoint(json!({"url": receiver.url()})).await;
    let hit = engine.trigger("order.created", json!({"customer": "Ada Lovelace", "sku": "teapot-42"})).await;
    let other = engine.trigger("order.created", json!({"customer": "Grace Hopper"})).await;
    engine.wait_for_status(text(&hit, "id"), "succeeded").await;
    engine.wait_for_status(text(&other, "id"), "succeeded").await;
    let ids =
        |page: Value| page["data"].as_array().unwrap().iter().map(|e| text(e, "id").to_owned()).collect::<Vec<_>>();
    assert_eq!(ids(engine.list_events("q=lovelace").await), vec![text(&hit, "id")]);
    assert_eq!(ids(engine.list_events("q=teapot-42%20ada").await), vec![text(&hit, "id")]);
    assert_eq!(ids(engine.list_events("q=ZEBRA-77").await).len(), 2, "response bodies are searched too");
    assert_eq!(ids(engine.list_events("q=ZEBRA-77&status=failed").await).len(), 0, "combined with filters");
    assert!(ids(engine.list_events("q=%22%20OR%20(").await).is_empty(), "operators are taken literally");
}
