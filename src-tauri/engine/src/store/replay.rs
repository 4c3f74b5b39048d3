//! Queries behind replay: what failed since a time, what an endpoint missed, resends.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::{deliveries, events, StoreError};
use crate::ids::{event_id_lower_bound, DeliveryId, EndpointId, EventId};
use crate::model::EventStatus;

/// Deliveries that failed for good at or after `since_ms`, oldest first.
pub fn failed_since(
    conn: &Connection,
    since_ms: i64,
    endpoint: Option<&EndpointId>,
) -> Result<Vec<DeliveryId>, StoreError> {
    let mut sql = String::from("SELECT id FROM deliveries WHERE status = 'failed' AND updated_at >= ?1");
    let mut args = vec![Value::Integer(since_ms)];
    if let Some(endpoint) = endpoint {
        sql.push_str(" AND endpoint_id = ?2");
        args.push(Value::Text(endpoint.as_str().into()));
    }
    sql.push_str(" ORDER BY updated_at");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |row| Ok(DeliveryId::from_db(row.get(0)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Events created at or after `since_ms` that have no delivery to `endpoint` (it was off), with their names.
pub fn missed_events(
    conn: &Connection,
    endpoint: &EndpointId,
    since_ms: i64,
) -> Result<Vec<(EventId, String)>, StoreError> {
    let lower = event_id_lower_bound(u64::try_from(since_ms).unwrap_or(0));
    let mut stmt = conn.prepare_cached(
        "SELECT id, event_name FROM events WHERE id >= ?1 AND NOT EXISTS \
         (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.endpoint_id = ?2) ORDER BY id",
    )?;
    let rows =
        stmt.query_map([lower.as_str(), endpoint.as_str()], |row| Ok((EventId::from_db(row.get(0)?), row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// New deliveries of an existing event, due now; the event's status follows.
pub fn add_deliveries(
    conn: &Connection,
    event_id: &EventId,
    endpoint_ids: &[EndpointId],
    now_ms: i64,
) -> Result<Vec<(DeliveryId, EndpointId)>, StoreError> {
    let mut created = Vec::with_capacity(endpoint_ids.len());
    for endpoint_id in endpoint_ids {
        let id = DeliveryId::generate();
        deliveries::insert(conn, &id, event_id, endpoint_id, now_ms)?;
        created.push((id, endpoint_id.clone()));
    }
    let _: EventStatus = events::refresh_status(conn, event_id)?;
    Ok(created)
}
