//! Export of the event log (JSON Lines, HAR) and export/import of endpoint settings,
//! between real engines.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::SecondsFormat;
use hooky_engine::ids::EventId;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use support::{closed_port, expect_json, text, TestEngine, TestReceiver};

/// Asserts 200 and a download, and returns the body.
async fn download(response: Response, extension: &str) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"hooky-"), "{disposition}");
    assert!(disposition.ends_with(&format!(".{extension}\"")), "{disposition}");
    response.text().await.unwrap()
}

async fn export(engine: &TestEngine, query: &str, extension: &str) -> String {
    let response = engine.api(Method::GET, &format!("/api/v1/export/{query}")).send().await.unwrap();
    download(response, extension).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_export_as_json_lines_and_har() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    engine.create_endpoint(json!({"url": format!("{}?team=core", receiver.url()), "event_filter": ["order.*"]})).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let event = engine.trigger("order.created", json!({"n": n})).await;
        engine.wait_for_status(text(&event, "id"), "succeeded").await;
        ids.push(text(&event, "id").to_owned());
    }
    let unrouted = engine.trigger("user.created", json!({"who": "nobody"})).await;
    ids.push(text(&unrouted, "id").to_owned());

    let jsonl = export(&engine, "events", "jsonl").await;
    let lines: Vec<Value> = jsonl.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 4, "one line per event:\n{jsonl}");
    assert_eq!(lines.iter().map(|e| text(e, "id").to_owned()).collect::<Vec<_>>(), ids, "oldest first");
    assert_eq!(lines[0], engine.get_event(&ids[0]).await, "the same shape as GET /api/v1/events/{{id}}");

    let har: Value = serde_json::from_str(&export(&engine, "events?format=har", "har").await).unwrap();
    assert_eq!(har["log"]["version"], "1.2");
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "one entry per attempt; the unrouted event has none");
    let first = &entries[0];
    assert_eq!(first["request"]["method"], "POST");
    assert_eq!(first["request"]["url"], format!("{}?team=core", receiver.url()));
    assert_eq!(first["request"]["queryString"], json!([{"name": "team", "value": "core"}]));
    assert_eq!(first["request"]["postData"]["text"], r#"{"n":0}"#);
    assert!(first["request"]["headers"].as_array().unwrap().iter().any(|h| h["name"] == "webhook-id"));
    assert_eq!(first["response"]["status"], 200);
    assert_eq!(first["response"]["statusText"], "OK");
    assert!(first["startedDateTime"].as_str().unwrap().ends_with('Z') && first["time"].is_u64());
    assert_eq!(first["_hooky"]["event_id"], ids[0].as_str());

    let future = "since=2999-01-01T00:00:00Z";
    assert_eq!(export(&engine, &format!("events?{future}"), "jsonl").await, "");
    let empty: Value =
        serde_json::from_str(&export(&engine, &format!("events?format=har&{future}"), "har").await).unwrap();
    assert_eq!(empty["log"]["entries"], json!([]));
    // Ids carry their creation time: `until` at the second event's millisecond ends the range there.
    let second_ms = EventId::parse(&ids[1]).unwrap().created_at_ms();
    let until =
        chrono::DateTime::from_timestamp_millis(second_ms).unwrap().to_rfc3339_opts(SecondsFormat::Millis, true);
    let query = format!("events?until={until}");
    assert_eq!(export(&engine, &query, "jsonl").await.lines().count(), 2, "until bounds the range");

    let bad = engine.api(Method::GET, "/api/v1/export/events?format=csv").send().await.unwrap();
    assert_eq!(expect_json(bad, StatusCode::UNPROCESSABLE_ENTITY).await["error"]["field"], "format");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_events_stream_in_pages() {
    let engine = TestEngine::start().await;
    for n in 0..250 {
        engine.trigger("nobody.listens", json!({"n": n})).await;
    }
    let jsonl = export(&engine, "events", "jsonl").await;
    let numbers: Vec<u64> =
        jsonl.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["payload"]["n"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (0..250).collect::<Vec<_>>(), "every event once, in order, across pages");
}

/// The settings of an endpoint, without what the importing engine makes anew.
fn settings(endpoint: &Value) -> Value {
    let mut copy = endpoint.clone();
    for generated in ["id", "created_at", "updated_at", "disabled_reason", "secret"] {
        copy.as_object_mut().unwrap().remove(generated);
    }
    copy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_round_trip_into_another_engine() {
    let source = TestEngine::start().await;
    let first = source
        .create_endpoint(json!({
            "url": "http://127.0.0.1:3000/hooks", "name": "orders", "description": "the order service",
            "event_filter": ["order.*", "invoice.paid"], "timeout_ms": 2500, "retry_schedule": [1, 60],
            "max_in_flight": 3, "rate_limit_per_s": 12.5, "headers": {"x-team": "core"},
            "header_style": "svix", "payload_format": "envelope",
        }))
        .await;
    let url = format!("http://127.0.0.1:{}/off", closed_port());
    source.create_endpoint(json!({"url": url, "enabled": false})).await;

    let plain: Value = serde_json::from_str(&export(&source, "endpoints", "json").await).unwrap();
    assert_eq!(plain["version"], 1);
    assert!(!plain.to_string().contains("whsec_"), "no secrets unless asked: {plain}");
    let document: Value =
        serde_json::from_str(&export(&source, "endpoints?include_secrets=true", "json").await).unwrap();
    let exported = document["endpoints"].as_array().unwrap();
    assert_eq!(exported.len(), 2);
    let secret = |engine: &TestEngine, id: String| {
        let request = engine.api(Method::GET, &format!("/api/v1/endpoints/{id}/secret"));
        async move { text(&expect_json(request.send().await.unwrap(), StatusCode::OK).await, "key").to_owned() }
    };
    assert_eq!(exported[0]["secret"], secret(&source, text(&first, "id").to_owned()).await);

    let target = TestEngine::start().await;
    let imported = target.api(Method::POST, "/api/v1/import/endpoints").json(&document).send().await.unwrap();
    let imported = expect_json(imported, StatusCode::CREATED).await;
    assert_eq!(imported["data"].as_array().unwrap().len(), 2);
    let listed = expect_json(target.api(Method::GET, "/api/v1/endpoints").send().await.unwrap(), StatusCode::OK).await;
    let listed = listed["data"].as_array().unwrap().clone();
    let originals =
        expect_json(source.api(Method::GET, "/api/v1/endpoints").send().await.unwrap(), StatusCode::OK).await;
    let originals = originals["data"].as_array().unwrap().clone();
    assert_eq!(listed.iter().map(settings).collect::<Vec<_>>(), originals.iter().map(settings).collect::<Vec<_>>());
    assert_ne!(listed[0]["id"], originals[0]["id"], "new ids");
    assert_eq!(secret(&target, text(&listed[0], "id").to_owned()).await, exported[0]["secret"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_endpoint_is_named_and_nothing_is_imported() {
    let engine = TestEngine::start().await;
    let cases = [
        (
            json!({"version": 1, "endpoints": [{"url": "http://h/a"}, {"url": "http://h/b", "timeout_ms": 5}]}),
            "endpoints[1].timeout_ms",
        ),
        (json!({"version": 1, "endpoints": [{"url": "http://h/a"}, {"url": "ftp://h/b"}]}), "endpoints[1].url"),
        (json!({"version": 1, "endpoints": [{"url": "http://h/a", "timeout_ms": "soon"}]}), "endpoints[0].timeout_ms"),
        (json!({"version": 1, "endpoints": [{"url": "http://h/a", "secret": "whsec_short"}]}), "endpoints[0].secret"),
        (json!({"version": 2, "endpoints": []}), "version"),
    ];
    for (document, field) in cases {
        let response = engine.api(Method::POST, "/api/v1/import/endpoints").json(&document).send().await.unwrap();
        let body = expect_json(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["error"]["field"], field, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(field), "{body}");
    }
    let listed = expect_json(engine.api(Method::GET, "/api/v1/endpoints").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(listed["data"], json!([]), "nothing was created");
}
