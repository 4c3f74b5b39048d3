//! Standard Webhooks signing as a receiver checks it: secrets, rotation, header
//! styles, the envelope format, and the verify route.
#![allow(clippy::unwrap_used)]

mod support;

use hooky_engine::signing::{self, Signed};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{expect_json, text, TestEngine, TestReceiver, WAIT};

async fn secret(engine: &TestEngine, endpoint_id: &str) -> String {
    let response = engine.api(Method::GET, &format!("/api/v1/endpoints/{endpoint_id}/secret")).send().await.unwrap();
    text(&expect_json(response, StatusCode::OK).await, "key").to_owned()
}

async fn rotate(engine: &TestEngine, endpoint_id: &str, body: Option<Value>) -> String {
    let mut request = engine.api(Method::POST, &format!("/api/v1/endpoints/{endpoint_id}/secret/rotate"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    text(&expect_json(request.send().await.unwrap(), StatusCode::OK).await, "key").to_owned()
}

fn verifies(secret: &str, request: &support::Recorded, prefix: &str) -> bool {
    let signed = Signed {
        msg_id: request.header(&format!("{prefix}-id")),
        timestamp: request.header(&format!("{prefix}-timestamp")),
        signature_header: request.header(&format!("{prefix}-signature")),
        body: &request.body,
    };
    let now = chrono::Utc::now().timestamp();
    signing::verify(secret, &signed, now, 300).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_and_rotation_signs_with_both_secrets() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url()})).await;
    let id = text(&endpoint, "id");
    assert!(endpoint.get("signing_keys").is_none() && !endpoint.to_string().contains("whsec_"), "{endpoint}");
    let first = secret(&engine, id).await;
    assert!(first.starts_with("whsec_"));

    let event = engine.trigger("order.created", json!({"n": 1})).await;
    let got = receiver.wait_for_requests(1, WAIT).await;
    assert_eq!(got[0].header("webhook-id"), text(&event, "id"));
    assert_eq!(got[0].header("webhook-signature").split(' ').count(), 1);
    assert!(verifies(&first, &got[0], "webhook"));

    let second = rotate(&engine, id, None).await;
    assert_ne!(first, second);
    assert_eq!(secret(&engine, id).await, second);
    engine.trigger("order.created", json!({"n": 2})).await;
    let got = receiver.wait_for_requests(2, WAIT).await;
    assert_eq!(got[1].header("webhook-signature").split(' ').count(), 2, "old and new both sign in the grace period");
    assert!(verifies(&first, &got[1], "webhook") && verifies(&second, &got[1], "webhook"));

    let third = rotate(&engine, id, Some(json!({"grace_period_s": 0}))).await;
    engine.trigger("order.created", json!({"n": 3})).await;
    let got = receiver.wait_for_requests(3, WAIT).await;
    assert!(verifies(&third, &got[2], "webhook"));
    assert!(!verifies(&second, &got[2], "webhook"), "without grace the old secret stops signing at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_secret_svix_headers_and_the_envelope() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    let chosen = signing::generate_secret();
    let endpoint = engine
        .create_endpoint(
            json!({"url": receiver.url(), "secret": chosen, "header_style": "svix", "payload_format": "envelope"}),
        )
        .await;
    assert_eq!(endpoint["header_style"], "svix");
    let event = engine.trigger_raw(r#"{"event_name":"user.created","payload":{"id": 7}}"#).await;
    let event = expect_json(event, StatusCode::ACCEPTED).await;
    let got = receiver.wait_for_requests(1, WAIT).await;
    assert_eq!(got[0].header("svix-id"), text(&event, "id"));
    assert!(got[0].headers.get("webhook-id").is_none(), "svix style replaces the webhook-* names");
    assert!(verifies(&chosen, &got[0], "svix"));
    let body = std::str::from_utf8(&got[0].body).unwrap();
    assert!(body.ends_with(r#","data":{"id": 7}}"#), "the payload sits in the envelope byte for byte: {body}");
    let envelope: Value = serde_json::from_str(body).unwrap();
    assert_eq!(envelope["type"], "user.created");
    assert!(chrono::DateTime::parse_from_rfc3339(envelope["timestamp"].as_str().unwrap()).is_ok());
    // The log keeps the envelope as sent, not the bare payload.
    let logged = engine.wait_for_status(text(&event, "id"), "succeeded").await;
    assert_eq!(logged["deliveries"][0]["attempts"][0]["request"]["body"], body);

    let bad =
        engine.api(Method::POST, "/api/v1/endpoints").json(&json!({"url": receiver.url(), "secret": "whsec_short"}));
    let bad = expect_json(bad.send().await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(bad["error"]["field"], "secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_route_explains_failures() {
    let engine = TestEngine::start().await;
    let secret = signing::generate_secret();
    let key = signing::decode_secret(&secret).unwrap();
    let now = chrono::Utc::now().timestamp();
    let body = r#"{"a":1}"#;
    let check = |timestamp: i64, signed_body: &str, with_secret: &str, sent_body: &str| {
        let signature = signing::sign(&key, "evt_1", timestamp, signed_body.as_bytes());
        json!({
            "secret": with_secret,
            "headers": {"Webhook-Id": "evt_1", "webhook-timestamp": timestamp.to_string(), "webhook-signature": signature},
            "body": sent_body,
        })
    };
    let cases = [
        (check(now, body, &secret, body), true, "ok"),
        (check(now - 600, body, &secret, body), false, "stale_timestamp"),
        (check(now + 600, body, &secret, body), false, "future_timestamp"),
        (check(now, body, &signing::generate_secret(), body), false, "mismatch"),
        (check(now, body, &secret, "{\n  \"a\": 1\n}"), false, "body_reformatted"),
        (check(now, body, "not-a-secret", body), false, "bad_secret"),
    ];
    for (input, valid, reason) in cases {
        let response = engine.api(Method::POST, "/api/v1/signatures/verify").json(&input).send().await.unwrap();
        let out = expect_json(response, StatusCode::OK).await;
        assert_eq!((out["valid"].as_bool(), out["reason"].as_str()), (Some(valid), Some(reason)), "{input}: {out}");
    }
}
