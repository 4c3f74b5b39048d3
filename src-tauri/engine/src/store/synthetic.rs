//! Synthetic history for benchmarks: many events, deliveries and attempts, written fast.

use std::path::Path;

use rusqlite::{params, Connection};
use ulid::Ulid;

use super::{Store, StoreError};

const EVENT_NAMES: [&str; 8] = [
    "order.created",
    "order.paid",
    "order.shipped",
    "order.refunded",
    "user.created",
    "user.deleted",
    "invoice.sent",
    "invoice.failed",
];

pub struct SyntheticHistory {
    pub events: u64,
    pub endpoints: u32,
    /// Attempts per delivery; the last one succeeds unless the event is one of every ten that failed.
    pub attempts_per_delivery: u32,
}

/// A new database at `path` with the schema, opened for bulk writes (no fsync: a bench fixture).
fn open_for_bulk(path: &Path) -> Result<Connection, StoreError> {
    Store::open(path)?.close(); // creates the schema and the search index file
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    super::indexer::attach(&conn, path)?;
    conn.execute_batch("PRAGMA search.synchronous = OFF")?;
    Ok(conn)
}

/// An enabled endpoint taking every event.
fn insert_endpoint(
    conn: &Connection,
    id: &str,
    url: &str,
    name: &str,
    retry_schedule: &str,
    max_in_flight: u32,
    created_at_ms: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO endpoints (id, url, name, description, event_filter, enabled, timeout_ms, retry_schedule, \
         max_in_flight, headers, created_at, updated_at) VALUES (?1, ?2, ?3, '', '[\"**\"]', 1, 15000, ?4, ?5, '{}', ?6, ?6)",
        params![id, url, name, retry_schedule, max_in_flight, created_at_ms],
    )?;
    // With its signing secret, as the API makes it: without one, every start gave it one (as to
    // endpoints older than signing), and the commit of that write took up to 0.6 s of the timed
    // start-up while the kernel wrote back the generated gigabytes.
    super::secrets::insert_current(
        conn,
        &crate::ids::EndpointId::from_db(id.to_owned()),
        &crate::signing::generate_secret(),
        created_at_ms,
    )?;
    Ok(())
}

/// Fills a new database at `path`. Returns the ids of the endpoints it made.
pub fn generate(path: &Path, spec: &SyntheticHistory) -> Result<Vec<String>, StoreError> {
    let mut conn = open_for_bulk(path)?;
    let tx = conn.transaction()?;
    let start_ms: u64 = 1_700_000_000_000;
    let endpoint_ids: Vec<String> =
        (0..spec.endpoints).map(|i| format!("ep_{}", Ulid::from_parts(start_ms, u128::from(i)))).collect();
    for (i, id) in endpoint_ids.iter().enumerate() {
        let (url, name) = (format!("http://127.0.0.1:9/hook/{i}"), format!("receiver {i}"));
        insert_endpoint(&tx, id, &url, &name, "[5,300]", 10, start_ms as i64)?;
    }
    {
        let mut event =
            tx.prepare("INSERT INTO events (id, event_name, payload, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut delivery = tx.prepare(
            "INSERT INTO deliveries (id, event_id, endpoint_id, status, attempt_count, auto_attempt_count, \
             last_response_status, last_duration_ms, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 12, ?7, ?7)",
        )?;
        let mut attempt = tx.prepare(
            "INSERT INTO attempts (id, delivery_id, number, trigger, succeeded, started_at, duration_ms, request_url, \
             request_headers, response_status, response_headers, response_body, error_class, error_message) \
             VALUES (?1, ?2, ?3, 'automatic', ?4, ?5, 12, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let request_headers = r#"{"content-type":"application/json","user-agent":"Hooky/0.1.0","webhook-id":"evt_x","webhook-timestamp":"1700000000","x-hooky-attempt":"1","x-hooky-event":"order.created"}"#;
        let response_headers =
            r#"{"content-length":"16","content-type":"application/json","date":"Tue, 14 Nov 2023 22:13:20 GMT"}"#;
        for i in 0..spec.events {
            let at = start_ms + i * 10;
            let event_id = format!("evt_{}", Ulid::from_parts(at, u128::from(i)));
            let name = EVENT_NAMES[(i % EVENT_NAMES.len() as u64) as usize];
            let failed = i % 10 == 3;
            let status = if failed { "failed" } else { "succeeded" };
            let payload = format!(
                r#"{{"id":{i},"type":"{name}","amount_cents":{},"currency":"EUR","customer":{{"id":"cus_{i}","email":"user{i}@example.com"}}}}"#,
                i * 7 % 10_000
            );
            event.execute(params![event_id, name, payload, status, at as i64])?;
            super::indexer::insert_text(&tx, &event_id, &payload)?;
            let endpoint = &endpoint_ids[(i % u64::from(spec.endpoints.max(1))) as usize];
            let delivery_id = format!("dlv_{}", Ulid::from_parts(at, u128::from(i)));
            let last_status = if failed { 500 } else { 200 };
            delivery.execute(params![
                delivery_id,
                event_id,
                endpoint,
                status,
                spec.attempts_per_delivery,
                last_status,
                at as i64
            ])?;
            for n in 1..=spec.attempts_per_delivery {
                let ok = !failed && n == spec.attempts_per_delivery;
                let attempt_id = format!("att_{}", Ulid::from_parts(at + u64::from(n), u128::from(i)));
                let (code, body, class, message) = if ok {
                    (200, "{\"received\":true}", None, None)
                } else {
                    (500, "internal error", Some("status"), Some("the receiver answered 500"))
                };
                attempt.execute(params![
                    attempt_id,
                    delivery_id,
                    n,
                    ok,
                    (at + u64::from(n)) as i64,
                    "http://127.0.0.1:9/hook",
                    request_headers,
                    code,
                    response_headers,
                    body.as_bytes(),
                    class,
                    message
                ])?;
            }
        }
    }
    // Indexed above (the events, dated long ago): nothing for the next start to catch up on.
    tx.execute(
        "UPDATE search_progress SET indexed_through = MAX(indexed_through, ?1)",
        [crate::model::time::now_ms()],
    )?;
    tx.commit()?;
    Ok(endpoint_ids)
}

/// Closes the JSON object in `open` (missing its closing brace), with a `note` of filler
/// text first if that makes it `bytes` long (a few bytes short of it are left as they are).
fn pad_json_object(open: &mut String, bytes: usize) {
    let filler = bytes.saturating_sub(open.len() + r#","note":""}"#.len());
    if filler > 0 {
        open.push_str(r#","note":""#);
        open.extend(std::iter::repeat_n('x', filler));
        open.push('"');
    }
    open.push('}');
}

/// A backlog: `events` stored events, each with a delivery due now to every endpoint in
/// `endpoint_urls` (enabled, `max_in_flight` each), as if accepted while delivery was stopped.
/// Payloads shorter than `payload_bytes` are padded to that size.
pub fn backlog(
    path: &Path,
    events: u64,
    endpoint_urls: &[String],
    max_in_flight: u32,
    payload_bytes: usize,
) -> Result<(), StoreError> {
    let mut conn = open_for_bulk(path)?;
    let tx = conn.transaction()?;
    let now_ms = crate::model::time::now_ms();
    let at = u64::try_from(now_ms).unwrap_or(0);
    let endpoint_ids: Vec<String> =
        (0..endpoint_urls.len()).map(|i| format!("ep_{}", Ulid::from_parts(at, i as u128))).collect();
    for (i, (id, url)) in endpoint_ids.iter().zip(endpoint_urls).enumerate() {
        insert_endpoint(&tx, id, url, &format!("receiver {i}"), "[5,300]", max_in_flight, now_ms)?;
    }
    {
        let mut event =
            tx.prepare("INSERT INTO events (id, event_name, payload, payload_id, status, created_at) VALUES (?1, 'order.created', ?2, ?3, 'pending', ?4)")?;
        let mut delivery = tx.prepare(
            "INSERT INTO deliveries (id, event_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 'pending', ?4, ?4, ?4)",
        )?;
        for i in 0..events {
            let event_id = format!("evt_{}", Ulid::from_parts(at, u128::from(i)));
            let mut payload = format!(
                r#"{{"seq":{i},"order_id":"ord_{i:012}","amount_cents":{},"currency":"EUR","items":[{{"sku":"SKU-{:05}","qty":2}}]"#,
                1000 + i % 9000,
                i % 99999
            );
            pad_json_object(&mut payload, payload_bytes);
            let (in_row, payload_id) = super::events::store_payload(&tx, &payload)?;
            event.execute(params![event_id, in_row, payload_id, now_ms])?;
            super::indexer::insert_text(&tx, &event_id, &payload)?;
            for (n, endpoint) in endpoint_ids.iter().enumerate() {
                let delivery_id = format!("dlv_{}", Ulid::from_parts(at, (u128::from(i) << 8) | n as u128));
                delivery.execute(params![delivery_id, event_id, endpoint, now_ms])?;
            }
        }
    }
    // Indexed above: nothing for the next open to catch up on.
    tx.execute("UPDATE search_progress SET indexed_through = MAX(indexed_through, ?1)", [now_ms + 1])?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pad_json_object;

    #[test]
    fn a_padded_payload_is_json_of_the_size_asked() {
        for (wanted, expected_len) in [(0, 7), (7, 7), (8192, 8192)] {
            let mut payload = String::from(r#"{"a":1"#);
            pad_json_object(&mut payload, wanted);
            assert_eq!(payload.len(), expected_len, "{payload}");
            assert!(serde_json::from_str::<serde_json::Value>(&payload).is_ok(), "{payload}");
        }
    }
}
