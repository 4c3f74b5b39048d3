//! Proof that the hot queries use their indexes: EXPLAIN QUERY PLAN must show no full scan.

use rusqlite::Connection;

use super::test_support::temp_store;

fn plan(conn: &Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
    let rows = stmt.query_map([], |row| row.get::<_, String>(3)).expect("plan rows");
    rows.map(|r| r.expect("detail")).collect::<Vec<_>>().join(" | ")
}

fn assert_indexed(conn: &Connection, sql: &str, index: &str) {
    let plan = plan(conn, sql);
    assert!(plan.contains(index), "expected {index} in the plan of {sql}: {plan}");
    let scans_table = plan.split(" | ").any(|step| step.starts_with("SCAN") && !step.contains("INDEX"));
    assert!(!scans_table, "full scan in the plan of {sql}: {plan}");
}

#[tokio::test]
async fn hot_queries_use_their_indexes() {
    let (_dir, store) = temp_store();
    store
        .read(|conn| {
            assert_indexed(
                conn,
                "SELECT id FROM events WHERE status = 'failed' AND id < 'evt_X' ORDER BY id DESC LIMIT 51",
                "events_by_status",
            );
            assert_indexed(
                conn,
                "SELECT id FROM events WHERE event_name = 'a' AND id < 'evt_X' ORDER BY id DESC LIMIT 51",
                "events_by_name",
            );
            let by_endpoint = "SELECT e.id FROM deliveries d JOIN events e ON e.id = d.event_id \
                 WHERE d.endpoint_id = 'ep_X' AND d.event_id < 'evt_X' GROUP BY d.event_id ORDER BY d.event_id DESC LIMIT 51";
            assert_indexed(conn, by_endpoint, "deliveries_by_endpoint");
            assert!(!plan(conn, by_endpoint).contains("TEMP B-TREE"), "no sort: {}", plan(conn, by_endpoint));
            assert_indexed(conn, "SELECT id FROM deliveries WHERE event_id = 'evt_X'", "deliveries_by_event");
            // The status recount after an attempt reads the index alone.
            let recount = plan(conn, "SELECT MAX(CASE status WHEN 'retrying' THEN 4 ELSE 2 END) FROM deliveries WHERE event_id = 'evt_X'");
            assert!(recount.contains("COVERING INDEX deliveries_by_event"), "{recount}");
            assert_indexed(
                conn,
                "SELECT id FROM attempts WHERE delivery_id IN ('dlv_X') ORDER BY delivery_id, number",
                "attempts_by_delivery",
            );
            // The scheduler: one endpoint's due rows in due order, and its next due time.
            let due = "SELECT next_attempt_at, id FROM deliveries WHERE endpoint_id = 'ep_X' \
                 AND next_attempt_at IS NOT NULL AND next_attempt_at <= 5 AND (next_attempt_at, id) > (1, 'dlv_X') \
                 ORDER BY next_attempt_at, id LIMIT 10";
            assert_indexed(conn, due, "deliveries_due_by_endpoint");
            assert!(plan(conn, due).contains("COVERING INDEX"), "ids from the index alone: {}", plan(conn, due));
            assert!(!plan(conn, due).contains("TEMP B-TREE"), "no sort: {}", plan(conn, due));
            // A pass resumes where the last one stopped: the index is entered there, not walked to it.
            assert!(plan(conn, due).contains("(next_attempt_at,id)>(?,?)"), "a range: {}", plan(conn, due));
            assert_indexed(
                conn,
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE endpoint_id = 'ep_X' AND next_attempt_at > 5",
                "deliveries_due_by_endpoint",
            );
            assert_indexed(
                conn,
                "SELECT id FROM deliveries WHERE status = 'failed' AND updated_at >= 5 ORDER BY updated_at",
                "deliveries_failed",
            );
            // Caught requests: newest-first paging, and the per-insert trim to 1,000.
            for sql in [
                "SELECT id FROM caught_requests WHERE catcher_id = 'cat_X' AND ('req_X' IS NULL OR id < 'req_X') \
                 ORDER BY id DESC LIMIT 50",
                "SELECT id FROM caught_requests WHERE catcher_id = 'cat_X' ORDER BY id DESC LIMIT 1 OFFSET 999",
                "DELETE FROM caught_requests WHERE catcher_id = 'cat_X' AND id < 'req_X'",
            ] {
                assert_indexed(conn, sql, "caught_requests_by_catcher");
                assert!(!plan(conn, sql).contains("TEMP B-TREE"), "no sort: {}", plan(conn, sql));
            }
            Ok(())
        })
        .await
        .expect("plans");
}
