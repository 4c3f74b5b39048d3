//! `GET /api/v1/stats` against real receivers: the numbers are those of the attempts made.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Duration as Span, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{closed_port, expect_json, text, Reply, TestEngine, TestReceiver};

async fn stats(engine: &TestEngine, query: &str) -> Value {
    let response = engine.api(Method::GET, &format!("/api/v1/stats?{query}")).send().await.unwrap();
    expect_json(response, StatusCode::OK).await
}

fn endpoint_entry<'a>(stats: &'a Value, id: &str) -> &'a Value {
    stats["endpoints"].as_array().unwrap().iter().find(|e| e["endpoint_id"] == id).unwrap()
}

fn rfc3339(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_successes_timeouts_and_connection_errors() {
    let engine = TestEngine::start().await;
    // Three answers, then silence: the fourth attempt times out.
    let receiver = TestReceiver::start(vec![Reply::ok(), Reply::ok(), Reply::ok(), Reply::hang()]).await;
    let slow = engine
        .create_endpoint(
            json!({"url": receiver.url(), "event_filter": ["a.*"], "timeout_ms": 300, "retry_schedule": []}),
        )
        .await;
    let slow_id = text(&slow, "id").to_owned();
    let dead_url = format!("http://127.0.0.1:{}/hook", closed_port());
    let dead = engine.create_endpoint(json!({"url": dead_url, "event_filter": ["b.*"], "retry_schedule": []})).await;
    let dead_id = text(&dead, "id").to_owned();
    let idle = engine.create_endpoint(json!({"url": receiver.url(), "event_filter": ["never"]})).await;

    for (i, expected) in ["succeeded", "succeeded", "succeeded", "failed"].into_iter().enumerate() {
        let event = engine.trigger("a.created", json!({"n": i})).await;
        engine.wait_for_status(text(&event, "id"), expected).await;
    }
    let event = engine.trigger("b.created", json!({})).await;
    engine.wait_for_status(text(&event, "id"), "failed").await;

    let all = stats(&engine, "").await;
    let overall = &all["overall"];
    assert_eq!(overall["attempts"], 5, "{all:#}");
    assert_eq!(overall["succeeded"], 3);
    assert_eq!(overall["failed"], 2);
    assert_eq!(overall["success_rate"], 0.6);
    assert_eq!(overall["error_classes"]["timeout"], 1);
    assert_eq!(overall["error_classes"]["connect"], 1);
    assert_eq!(overall["error_classes"]["status"], 0);

    let slow_stats = endpoint_entry(&all, &slow_id);
    assert_eq!(slow_stats["attempts"], 4);
    assert_eq!(slow_stats["success_rate"], 0.75);
    assert_eq!(slow_stats["error_classes"]["timeout"], 1);
    assert_eq!(slow_stats["error_classes"]["connect"], 0);
    let (p50, p99) = (slow_stats["p50_ms"].as_u64().unwrap(), slow_stats["p99_ms"].as_u64().unwrap());
    assert!(p50 < 300, "half the attempts answered at once: p50 {p50}");
    assert!(p99 >= 300, "the slowest attempt ran into the 300 ms timeout: p99 {p99}");
    assert_eq!(endpoint_entry(&all, &dead_id)["error_classes"]["connect"], 1);
    let idle_stats = endpoint_entry(&all, text(&idle, "id"));
    assert_eq!((idle_stats["attempts"].as_u64(), idle_stats["success_rate"].is_null()), (Some(0), true));

    // The default window is the last day in round buckets; every attempt sits in one of them.
    assert_eq!(all["bucket_s"], 1800);
    let series = all["series"].as_array().unwrap();
    assert!(series.len() <= 60, "{} buckets", series.len());
    assert_eq!(series.iter().map(|b| b["attempts"].as_u64().unwrap()).sum::<u64>(), 5);
    let busy = series.iter().filter(|b| b["attempts"].as_u64() > Some(0)).collect::<Vec<_>>();
    assert!(busy.iter().all(|b| b["p95_ms"].is_u64()) && series[0]["p95_ms"].is_null(), "{series:?}");

    let one = stats(&engine, &format!("endpoint_id={slow_id}")).await;
    assert_eq!(one["overall"]["attempts"], 4);
    assert_eq!(one["overall"]["success_rate"], 0.75);
    assert_eq!(one["endpoints"].as_array().unwrap().len(), 1);

    let now = Utc::now();
    let minutes = stats(
        &engine,
        &format!("since={}&until={}&bucket_s=60", rfc3339(now - Span::minutes(10)), rfc3339(now + Span::minutes(1))),
    )
    .await;
    let series = minutes["series"].as_array().unwrap();
    assert!((11..=12).contains(&series.len()), "{} buckets", series.len());
    assert_eq!(series.iter().map(|b| b["attempts"].as_u64().unwrap()).sum::<u64>(), 5);

    let later =
        stats(&engine, &format!("since={}&until={}", rfc3339(now + Span::hours(1)), rfc3339(now + Span::hours(2))))
            .await;
    assert!(later["overall"]["attempts"] == 0 && later["overall"]["p50_ms"].is_null(), "{later:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_check_their_parameters_and_token() {
    let engine = TestEngine::start().await;
    for (query, field) in [
        ("bucket_s=0", "bucket_s"),
        ("bucket_s=1&since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z", "bucket_s"),
        ("since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "since"),
        ("since=yesterday", "since"),
        ("endpoint_id=nope", "endpoint_id"),
    ] {
        let response = engine.api(Method::GET, &format!("/api/v1/stats?{query}")).send().await.unwrap();
        let body = expect_json(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    let anonymous = engine.client.get(engine.url("/api/v1/stats")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

/// Every `$ref` in the document, e.g. `#/components/schemas/Stats`.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => refs(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stats_export_and_settings_routes_are_documented() {
    let engine = TestEngine::start().await;
    let response = engine.client.get(engine.url("/api/openapi.json")).send().await.unwrap();
    let document = expect_json(response, StatusCode::OK).await;
    let paths = &document["paths"];
    for (path, method) in [
        ("/api/v1/stats", "get"),
        ("/api/v1/export/events", "get"),
        ("/api/v1/export/endpoints", "get"),
        ("/api/v1/import/endpoints", "post"),
        ("/api/v1/settings", "get"),
        ("/api/v1/settings", "put"),
        ("/api/v1/events", "get"),
        ("/api/v1/events", "delete"),
    ] {
        assert!(paths[path][method]["security"].is_array(), "{method} {path} is documented with its token");
    }
    let mut targets = Vec::new();
    refs(&document, &mut targets);
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for target in targets {
        let name = target.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(name), "{target} does not resolve");
    }
}
