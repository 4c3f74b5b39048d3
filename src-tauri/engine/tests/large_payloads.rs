//! Long payloads are stored out of their event's row: everything that reads a payload back
//! (delivery, retries, detail, search, export, restart) gets it whole, and deleting the event
//! deletes it.
#![allow(clippy::unwrap_used)]

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{expect_json, text, Reply, TestEngine, TestReceiver, WAIT};

/// A JSON object of about `bytes` bytes, with a word to search for near its end.
fn long_payload(bytes: usize) -> Value {
    json!({ "lines": "x".repeat(bytes), "needle": "quetzalcoatl" })
}

/// The ids of the events a search finds, once it finds any (the index is written after the rows).
async fn found_by_search(engine: &TestEngine, word: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let page = engine.list_events(&format!("q={word}")).await;
        let ids: Vec<String> = page["data"].as_array().unwrap().iter().map(|e| text(e, "id").to_owned()).collect();
        if !ids.is_empty() || std::time::Instant::now() > deadline {
            return ids;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Rows in the side table of long payloads.
fn stored_long_payloads(engine: &TestEngine) -> i64 {
    let conn = rusqlite::Connection::open(engine.data_dir().join(hooky_engine::config::DB_FILE)).unwrap();
    conn.query_row("SELECT COUNT(*) FROM event_payloads", [], |row| row.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_payload_reads_back_whole_everywhere_and_goes_with_its_event() {
    let mut engine = TestEngine::start().await;
    // The first attempt fails, so the retry reads the payload back from the database.
    let receiver = TestReceiver::start(vec![Reply::status(500), Reply::ok()]).await;
    engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": [1]})).await;
    let (long, short) = (long_payload(20_000), json!({"n": 1}));
    let long_event = engine.trigger("order.created", long.clone()).await;
    let long_id = text(&long_event, "id").to_owned();
    engine.wait_for_status(&long_id, "succeeded").await;
    let short_event = engine.trigger("order.created", short.clone()).await;
    engine.wait_for_status(text(&short_event, "id"), "succeeded").await;
    assert_eq!(stored_long_payloads(&engine), 1, "only the long payload is kept out of its row");

    let bodies: Vec<Value> =
        receiver.wait_for_requests(3, WAIT).await.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    assert_eq!(bodies, [long.clone(), long.clone(), short.clone()], "the attempt and its retry send it whole");
    assert_eq!(engine.get_event(&long_id).await["payload"], long);

    assert_eq!(found_by_search(&engine, "quetzalcoatl").await, vec![long_id.clone()], "its words are searchable");

    let export = engine.api(Method::GET, "/api/v1/export/events").send().await.unwrap();
    let exported: Vec<Value> =
        export.text().await.unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(exported[0]["payload"], long, "exported whole");

    // With the search index lost, the next start builds it again from the stored payloads.
    engine.stop().await;
    let index = hooky_engine::store::index_path(&engine.data_dir().join(hooky_engine::config::DB_FILE));
    std::fs::remove_file(index).unwrap();
    engine.restart().await;
    assert_eq!(engine.get_event(&long_id).await["payload"], long, "kept across a restart");
    let rebuilt = found_by_search(&engine, "quetzalcoatl").await;
    assert_eq!(rebuilt, vec![long_id.clone()], "indexed again from the stored payload");

    let cleared = engine.api(Method::DELETE, "/api/v1/events?confirm=all").send().await.unwrap();
    assert_eq!(expect_json(cleared, StatusCode::OK).await["deleted_events"], 2);
    assert_eq!(stored_long_payloads(&engine), 0, "deleted with its event");
    engine.shutdown().await;
}
