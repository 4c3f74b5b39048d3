//! Numbers for a glance at the engine, e.g. the desktop tray menu: how many
//! events arrived since a moment, and how many endpoints are failing.

use crate::ids::event_id_lower_bound;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// Events created at or after the moment asked for.
    pub events: u64,
    /// Endpoints that are disabled, or whose latest attempted delivery is retrying or failed.
    pub failing_endpoints: u64,
}

/// Counts events since `since_unix_ms` (by id, which sorts by time) and failing endpoints.
pub async fn activity_since(store: &Store, since_unix_ms: u64) -> Result<Activity, StoreError> {
    store
        .read(move |conn| {
            let events: i64 = conn
                .prepare_cached("SELECT COUNT(*) FROM events WHERE id >= ?1")?
                .query_row([event_id_lower_bound(since_unix_ms)], |row| row.get(0))?;
            // The newest delivery per endpoint that has been attempted, found through
            // deliveries_by_endpoint (event ids sort by time).
            let failing: i64 = conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM endpoints e WHERE e.enabled = 0 OR (
                       SELECT d.status FROM deliveries d
                       WHERE d.endpoint_id = e.id AND d.attempt_count > 0
                       ORDER BY d.event_id DESC LIMIT 1
                     ) IN ('retrying', 'failed')",
                )?
                .query_row([], |row| row.get(0))?;
            Ok(Activity { events: events.max(0) as u64, failing_endpoints: failing.max(0) as u64 })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DeliveryId, EventId};
    use crate::model::{Endpoint, EventStatus};
    use crate::store::test_support::{endpoint_from, temp_store};
    use crate::store::{deliveries, endpoints, events};

    fn endpoint(name: &str) -> Endpoint {
        endpoint_from(serde_json::json!({"url": "http://127.0.0.1:9/hook", "name": name}))
    }

    #[tokio::test]
    async fn counts_recent_events_and_failing_endpoints() {
        let (_dir, store) = temp_store();
        let now_ms = chrono::Utc::now().timestamp_millis();
        let (ok, failing, disabled, idle) =
            (endpoint("ok"), endpoint("failing"), endpoint("disabled"), endpoint("idle"));
        store
            .write(move |conn| {
                for e in [&ok, &failing, &disabled, &idle] {
                    endpoints::insert(conn, e)?;
                }
                endpoints::disable(conn, &disabled.id, "410 Gone")?;
                let event = EventId::generate();
                events::insert(conn, &event, "order.created", "{}", EventStatus::Pending, now_ms)?;
                for (endpoint_id, status) in [(&ok.id, "succeeded"), (&failing.id, "failed")] {
                    let delivery = DeliveryId::generate();
                    deliveries::insert(conn, &delivery, &event, endpoint_id, now_ms)?;
                    conn.execute(
                        "UPDATE deliveries SET status = ?1, attempt_count = 1 WHERE id = ?2",
                        rusqlite::params![status, delivery.as_str()],
                    )?;
                }
                Ok(())
            })
            .await
            .expect("write");

        let now = u64::try_from(now_ms).expect("positive");
        let activity = activity_since(&store, now - 60_000).await.expect("read");
        assert_eq!(activity, Activity { events: 1, failing_endpoints: 2 });
        let later = activity_since(&store, now + 60_000).await.expect("read");
        assert_eq!(later.events, 0);
    }
}
