//! Quotes and SQL metacharacters in every string field and query parameter, odd payloads and
//! idempotency keys, and a pathological event filter.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::cases::{run, Case};
use super::support::{expect_json, raw_http, text, TestEngine, TRIGGER};

const NASTY: [&str; 8] = [
    "'",
    "\"",
    "' OR '1'='1",
    "'; DROP TABLE events; --",
    "\\\" ) ; DELETE FROM endpoints WHERE 1=1; --",
    "%' AND 1=1 --",
    "?1 $1 :name @x NULL",
    "`${x}` <script>alert(1)</script>",
];

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_and_sql_metacharacters_in_every_string_field() {
    let engine = TestEngine::start().await;
    let endpoint = engine.create_endpoint(json!({"url": "http://127.0.0.1:9/hook", "enabled": false})).await;
    let id = text(&endpoint, "id").to_owned();
    let endpoint_path = format!("/api/v1/endpoints/{id}");
    let mut cases = Vec::new();
    for nasty in NASTY {
        let q = percent_encode(nasty);
        cases.extend([
            Case::new(
                format!("trigger event_name {nasty:?}"),
                Method::POST,
                TRIGGER,
                json!({"event_name": nasty, "payload": 1}).to_string(),
                422,
            )
            .field("event_name"),
            Case::new(
                format!("create event_filter {nasty:?}"),
                Method::POST,
                "/api/v1/endpoints",
                json!({"url": "http://h/", "enabled": false, "event_filter": [nasty]}).to_string(),
                422,
            )
            .field("event_filter"),
            {
                // `'` alone is a valid header name (an HTTP token character).
                let valid = reqwest::header::HeaderName::from_bytes(nasty.as_bytes()).is_ok();
                let body = json!({"url": "http://h/", "enabled": false, "headers": {nasty: "v"}});
                let status = if valid { 201 } else { 422 };
                let case = Case::new(
                    format!("create header name {nasty:?}"),
                    Method::POST,
                    "/api/v1/endpoints",
                    body.to_string(),
                    status,
                );
                if valid {
                    case
                } else {
                    case.field("headers")
                }
            },
            Case::new(
                format!("create url {nasty:?}"),
                Method::POST,
                "/api/v1/endpoints",
                json!({"url": nasty, "enabled": false}).to_string(),
                422,
            )
            .field("url"),
            Case::new(
                format!("patch url {nasty:?}"),
                Method::PATCH,
                &endpoint_path,
                json!({"url": nasty}).to_string(),
                422,
            )
            .field("url"),
            Case::new(
                format!("patch event_filter {nasty:?}"),
                Method::PATCH,
                &endpoint_path,
                json!({"event_filter": [nasty]}).to_string(),
                422,
            )
            .field("event_filter"),
            Case::new(format!("events status={nasty:?}"), Method::GET, &format!("/api/v1/events?status={q}"), "", 422)
                .field("status"),
            Case::new(
                format!("events endpoint_id={nasty:?}"),
                Method::GET,
                &format!("/api/v1/events?endpoint_id={q}"),
                "",
                422,
            )
            .field("endpoint_id"),
            Case::new(format!("events since={nasty:?}"), Method::GET, &format!("/api/v1/events?since={q}"), "", 422)
                .field("since"),
            Case::new(format!("events until={nasty:?}"), Method::GET, &format!("/api/v1/events?until={q}"), "", 422)
                .field("until"),
            Case::new(format!("events cursor={nasty:?}"), Method::GET, &format!("/api/v1/events?cursor={q}"), "", 422)
                .field("cursor"),
            Case::new(format!("events limit={nasty:?}"), Method::GET, &format!("/api/v1/events?limit={q}"), "", 422)
                .code("invalid_query"),
            Case::new(
                format!("events event_name={nasty:?}"),
                Method::GET,
                &format!("/api/v1/events?event_name={q}"),
                "",
                200,
            ),
            Case::new(format!("stream ?token={nasty:?}"), Method::GET, &format!("/api/v1/stream?token={q}"), "", 401)
                .code("unauthorized")
                .anonymous(),
        ]);
        // The same text in the free-text fields is stored verbatim.
        let patched = engine
            .api(Method::PATCH, &endpoint_path)
            .json(&json!({"name": nasty, "description": nasty, "headers": {"X-Nasty": nasty}}))
            .send()
            .await
            .unwrap();
        let patched = expect_json(patched, StatusCode::OK).await;
        assert_eq!(patched["name"], nasty);
        let stored = engine.get_endpoint(&id).await;
        assert_eq!((stored["name"].as_str(), stored["description"].as_str()), (Some(nasty), Some(nasty)));
        assert_eq!(stored["headers"]["X-Nasty"], nasty);
    }
    // Odd but valid numbers and strings in a payload are kept as sent, and reading them back never fails.
    for payload in
        [r#"1e400"#, r#"-0"#, r#"123456789012345678901234567890"#, r#""\ud800""#, r#"{"a":1,"a":2}"#, r#""\u0000""#]
    {
        let response = engine.trigger_raw(format!(r#"{{"event_name":"odd.payload","payload":{payload}}}"#)).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status == 202 || status == 400, "payload {payload}: {status} {body}");
        if status == 202 {
            let accepted: Value = serde_json::from_str(&body).unwrap();
            let detail =
                engine.api(Method::GET, &format!("/api/v1/events/{}", text(&accepted, "id"))).send().await.unwrap();
            assert_eq!(detail.status(), StatusCode::OK, "reading back payload {payload}");
        }
    }
    // An Idempotency-Key full of quotes is just a key.
    let key = "k' OR '1'='1\"; --";
    let send = || {
        engine
            .client
            .post(engine.url(TRIGGER))
            .header("idempotency-key", key)
            .json(&json!({"event_name": "idem", "payload": 1}))
            .send()
    };
    let first = expect_json(send().await.unwrap(), StatusCode::ACCEPTED).await;
    let again = send().await.unwrap();
    assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(expect_json(again, StatusCode::ACCEPTED).await, first);
    // A key with bytes outside visible ASCII is refused by name.
    let port = engine.addr().port();
    let body = r#"{"event_name":"a","payload":1}"#;
    let request = format!(
        "POST {TRIGGER} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\nidempotency-key: k\u{e9}y\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, answer) = raw_http(engine.addr(), request.as_bytes()).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("Idempotency-Key"), "{answer}");

    run(&engine, &cases).await;
    let names = engine.list_events("limit=500").await;
    let stored: Vec<&str> =
        names["data"].as_array().unwrap().iter().map(|e| e["event_name"].as_str().unwrap()).collect();
    assert!(
        stored.iter().all(|n| ["odd.payload", "idem"].contains(n)),
        "only the valid triggers stored events: {stored:?}"
    );
    engine.shutdown().await;
}

/// A filter of many `**` against a long event name: matching must stay cheap, because it runs
/// inside the write transaction that every trigger waits for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pathological_filter_does_not_stall_the_trigger() {
    let engine = TestEngine::start().await;
    let pattern = format!("{}x", "**.".repeat(66));
    let filters: Vec<String> = vec![pattern; 50];
    engine
        .create_endpoint(json!({"url": "http://127.0.0.1:9/hook", "event_filter": filters, "retry_schedule": []}))
        .await;
    let name = vec!["a"; 99].join(".");
    let answer = tokio::time::timeout(Duration::from_secs(10), engine.trigger(&name, json!({}))).await;
    let accepted = answer.expect("the trigger answered within 10 s");
    assert_eq!(accepted["deliveries"], json!([]), "the filter does not match");
    let matching = tokio::time::timeout(Duration::from_secs(10), engine.trigger(&format!("{name}.x"), json!({}))).await;
    assert_eq!(matching.expect("answered")["deliveries"].as_array().map(Vec::len), Some(1));
    engine.shutdown().await;
}
