//! The live event stream: it takes the token in the query, and tells of new events and of a
//! cleared log.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::sse::read_until;
use super::support::{text, TestEngine, TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_sends_event_created_after_a_trigger() {
    let engine = TestEngine::start().await;
    let unauthorised = engine.client.get(engine.url("/api/v1/stream?token=wrong")).send().await.unwrap();
    assert_eq!(unauthorised.status(), StatusCode::UNAUTHORIZED);

    let mut stream = engine.client.get(engine.url(&format!("/api/v1/stream?token={TOKEN}"))).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let content_type = stream.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/event-stream"), "content-type {content_type}");
    let mut buffer = String::new();
    read_until(&mut stream, &mut buffer, "ready", "").await;

    let accepted = engine.trigger("order.created", json!({"n": 1})).await;
    let id = text(&accepted, "id");
    let message = read_until(&mut stream, &mut buffer, "event.created", id).await;
    assert_eq!(message["type"], "event_created");
    assert_eq!(message["event"]["id"], id);
    assert_eq!(message["event"]["event_name"], "order.created");
    assert_eq!(message["event"]["status"], "unrouted", "no endpoint matched");
    let stored = engine.get_event(id).await;
    assert_eq!(message["event"]["created_at"], stored["created_at"], "the stream gives the stored time");

    let cleared = engine.api(Method::DELETE, "/api/v1/events?confirm=all").send().await.unwrap();
    assert_eq!(cleared.status(), StatusCode::OK);
    let message = read_until(&mut stream, &mut buffer, "events.cleared", "").await;
    assert_eq!(message["deleted_events"], 1, "other tabs learn the log was cleared");
    drop(stream);
    engine.shutdown().await;
}

/// A live list adds each new event at its top, so the stream must tell of events in the order of
/// their ids even when many callers trigger at once and their tasks resume in any order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_tells_of_concurrent_triggers_in_the_order_of_their_ids() {
    const CALLERS: usize = 64;
    const EACH: usize = 10;
    let engine = TestEngine::start().await;
    let mut stream = engine.client.get(engine.url(&format!("/api/v1/stream?token={TOKEN}"))).send().await.unwrap();
    let mut buffer = String::new();
    read_until(&mut stream, &mut buffer, "ready", "").await;

    let mut callers = tokio::task::JoinSet::new();
    for caller in 0..CALLERS {
        let (client, url) = (engine.client.clone(), engine.url(super::support::TRIGGER));
        callers.spawn(async move {
            for n in 0..EACH {
                let body = json!({"event_name": "load.tick", "payload": {"caller": caller, "n": n}});
                let response = client.post(&url).json(&body).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::ACCEPTED);
            }
        });
    }
    let mut told = Vec::with_capacity(CALLERS * EACH);
    while told.len() < CALLERS * EACH {
        let message = read_until(&mut stream, &mut buffer, "event.created", "").await;
        told.push((message["event"]["id"].as_str().unwrap().to_owned(), message["event"]["created_at"].clone()));
    }
    while let Some(caller) = callers.join_next().await {
        caller.unwrap();
    }
    let out_of_order: Vec<_> = told.windows(2).filter(|pair| pair[0].0 >= pair[1].0).collect();
    assert!(
        out_of_order.is_empty(),
        "{} of {} events told after a newer one: {out_of_order:?}",
        out_of_order.len(),
        told.len()
    );
    drop(stream);
    engine.shutdown().await;
}
