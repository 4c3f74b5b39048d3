//! Queries on the `deliveries` table.

use std::collections::HashMap;

use rusqlite::{params, params_from_iter, Connection, Row};

use super::StoreError;
use crate::ids::{DeliveryId, EndpointId, EventId};
use crate::model::time::from_ms;
use crate::model::{DeliveryStatus, DeliverySummary};

/// A delivery row as the engine needs it.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub summary: DeliverySummary,
    pub event_id: EventId,
    pub auto_attempt_count: u32,
    pub created_at_ms: i64,
}

impl DeliveryRow {
    pub fn as_read(&self) -> AsRead {
        AsRead {
            status: self.summary.status,
            attempt_count: self.summary.attempt_count,
            auto_attempt_count: self.auto_attempt_count,
            next_attempt_at_ms: self.summary.next_attempt_at.map(|t| t.timestamp_millis()),
        }
    }
}

/// A delivery ready to attempt, with everything sending it needs.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
    pub event_name: String,
    pub payload: std::sync::Arc<str>,
    /// Attempts made so far; the next one is this plus one.
    pub attempt_count: u32,
    pub status: DeliveryStatus,
    pub auto_attempt_count: u32,
    pub next_attempt_at_ms: Option<i64>,
}

impl DueDelivery {
    /// The row as it was read, which recording the attempt expects to find unchanged.
    pub fn as_read(&self) -> AsRead {
        AsRead {
            status: self.status,
            attempt_count: self.attempt_count,
            auto_attempt_count: self.auto_attempt_count,
            next_attempt_at_ms: self.next_attempt_at_ms,
        }
    }
}

/// The fields of a delivery row that decide its next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsRead {
    pub status: DeliveryStatus,
    pub attempt_count: u32,
    pub auto_attempt_count: u32,
    pub next_attempt_at_ms: Option<i64>,
}

const DUE_COLUMNS: &str = concat!(
    "d.id, d.event_id, d.endpoint_id, e.event_name, ",
    super::events::event_payload_sql!(""),
    ", d.attempt_count, d.status, d.auto_attempt_count, d.next_attempt_at"
);

fn due_from_row(row: &Row<'_>) -> rusqlite::Result<DueDelivery> {
    let status: String = row.get(6)?;
    Ok(DueDelivery {
        id: DeliveryId::from_db(row.get(0)?),
        event_id: EventId::from_db(row.get(1)?),
        endpoint_id: EndpointId::from_db(row.get(2)?),
        event_name: row.get(3)?,
        payload: row.get::<_, String>(4)?.into(),
        attempt_count: row.get(5)?,
        status: DeliveryStatus::from_db(&status),
        auto_attempt_count: row.get(7)?,
        next_attempt_at_ms: row.get(8)?,
    })
}

/// One delivery with its event, ready to attempt.
pub fn load_for_attempt(conn: &Connection, id: &DeliveryId) -> Result<Option<DueDelivery>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {DUE_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ?1"
    ))?;
    let mut rows = stmt.query_map([id.as_str()], due_from_row)?;
    Ok(rows.next().transpose()?)
}

const COLUMNS: &str = "id, endpoint_id, status, attempt_count, next_attempt_at, last_response_status, \
     last_duration_ms, updated_at, event_id, auto_attempt_count, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<DeliveryRow> {
    let status: String = row.get(2)?;
    Ok(DeliveryRow {
        summary: DeliverySummary {
            id: DeliveryId::from_db(row.get(0)?),
            endpoint_id: EndpointId::from_db(row.get(1)?),
            status: DeliveryStatus::from_db(&status),
            attempt_count: row.get(3)?,
            next_attempt_at: row.get::<_, Option<i64>>(4)?.map(from_ms),
            last_response_status: row.get(5)?,
            last_duration_ms: row.get(6)?,
            updated_at: from_ms(row.get(7)?),
        },
        event_id: EventId::from_db(row.get(8)?),
        auto_attempt_count: row.get(9)?,
        created_at_ms: row.get(10)?,
    })
}

/// A new delivery, due at once.
pub fn insert(
    conn: &Connection,
    id: &DeliveryId,
    event_id: &EventId,
    endpoint_id: &EndpointId,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO deliveries (id, event_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, 'pending', ?4, ?4, ?4)",
    )?
    .execute(params![id.as_str(), event_id.as_str(), endpoint_id.as_str(), now_ms])?;
    Ok(())
}

pub fn get(conn: &Connection, id: &DeliveryId) -> Result<Option<DeliveryRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM deliveries WHERE id = ?1"))?;
    let mut rows = stmt.query_map([id.as_str()], from_row)?;
    Ok(rows.next().transpose()?)
}

/// The deliveries of the given events, grouped by event, oldest first.
pub fn for_events(conn: &Connection, event_ids: &[EventId]) -> Result<HashMap<EventId, Vec<DeliveryRow>>, StoreError> {
    let mut grouped: HashMap<EventId, Vec<DeliveryRow>> = HashMap::new();
    if event_ids.is_empty() {
        return Ok(grouped);
    }
    let placeholders = vec!["?"; event_ids.len()].join(", ");
    let sql = format!("SELECT {COLUMNS} FROM deliveries WHERE event_id IN ({placeholders}) ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(event_ids.iter().map(EventId::as_str)), from_row)?;
    for row in rows {
        let row = row?;
        grouped.entry(row.event_id.clone()).or_default().push(row);
    }
    Ok(grouped)
}

/// Where a delivery sits in its endpoint's due order: its due time, then its id.
pub type DueKey = (i64, DeliveryId);

/// Keys of one endpoint's deliveries due at `now_ms`, oldest due first, after `after` if given.
/// Per endpoint, so a pass never walks the backlog of an endpoint that is already at its claim
/// cap; only keys, so looking past rows that are already claimed costs an index walk and no
/// payload copies.
pub fn due_keys(
    conn: &Connection,
    endpoint_id: &EndpointId,
    now_ms: i64,
    after: Option<&DueKey>,
    limit: usize,
) -> Result<Vec<DueKey>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT next_attempt_at, id FROM deliveries \
         WHERE endpoint_id = ?1 AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?2 \
         AND (next_attempt_at, id) > (?3, ?4) ORDER BY next_attempt_at, id LIMIT ?5",
    )?;
    let (after_ms, after_id) = after.map_or((i64::MIN, ""), |(at, id)| (*at, id.as_str()));
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![endpoint_id.as_str(), now_ms, after_ms, after_id, limit], |row| {
        Ok((row.get(0)?, DeliveryId::from_db(row.get(1)?)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The given deliveries with their events, ready to attempt.
pub fn load_due(conn: &Connection, ids: &[DeliveryId], now_ms: i64) -> Result<Vec<DueDelivery>, StoreError> {
    // Checked again here, after the caller claimed the ids: the list they came from may predate
    // an attempt that has since succeeded and given its claim back.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {DUE_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id \
         WHERE d.id = ?1 AND d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= ?2"
    ))?;
    let mut loaded = Vec::with_capacity(ids.len());
    for id in ids {
        let mut rows = stmt.query_map(params![id.as_str(), now_ms], due_from_row)?;
        loaded.extend(rows.next().transpose()?);
    }
    Ok(loaded)
}

/// The earliest scheduled attempt after `now_ms` on any of these endpoints, if any.
pub fn next_due_after(conn: &Connection, endpoint_ids: &[&EndpointId], now_ms: i64) -> Result<Option<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT MIN(next_attempt_at) FROM deliveries WHERE endpoint_id = ?1 AND next_attempt_at > ?2",
    )?;
    let mut earliest: Option<i64> = None;
    for endpoint_id in endpoint_ids {
        let next: Option<i64> = stmt.query_row(params![endpoint_id.as_str(), now_ms], |row| row.get(0))?;
        earliest = match (earliest, next) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(earliest)
}

/// What an attempt changed on its delivery.
#[derive(Debug, Clone)]
pub struct DeliveryUpdate {
    pub status: DeliveryStatus,
    pub next_attempt_at_ms: Option<i64>,
    pub counted_as_automatic: bool,
    pub last_response_status: Option<u16>,
    pub last_duration_ms: u64,
    pub now_ms: i64,
}

/// Records an attempt on its delivery. With `expected`, only if the row is still as it was read
/// then: that saves reading it first on the writer, where it nearly always is unchanged.
/// Returns whether the row was updated.
pub fn apply_attempt(
    conn: &Connection,
    id: &DeliveryId,
    update: &DeliveryUpdate,
    expected: Option<&AsRead>,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE deliveries SET status = ?2, next_attempt_at = ?3, attempt_count = attempt_count + 1, \
             auto_attempt_count = auto_attempt_count + ?4, last_response_status = ?5, last_duration_ms = ?6, \
             updated_at = ?7 WHERE id = ?1 AND (?8 IS NULL OR (status = ?8 AND attempt_count = ?9 \
             AND auto_attempt_count = ?10 AND next_attempt_at IS ?11))",
        )?
        .execute(params![
            id.as_str(),
            update.status.as_str(),
            update.next_attempt_at_ms,
            i64::from(update.counted_as_automatic),
            update.last_response_status,
            i64::try_from(update.last_duration_ms).unwrap_or(i64::MAX),
            update.now_ms,
            expected.map(|row| row.status.as_str()),
            expected.map(|row| row.attempt_count),
            expected.map(|row| row.auto_attempt_count),
            expected.and_then(|row| row.next_attempt_at_ms),
        ])?;
    Ok(changed == 1)
}

/// Stretches or shrinks every wait still to come by `ratio` (old time warp / new), so a
/// retry due in 10 s at 3600x is due in 10 h when the warp is turned off. Returns how many moved.
pub fn rescale_waits(conn: &Connection, now_ms: i64, ratio: f64) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE deliveries SET next_attempt_at = ?1 + CAST(ROUND((next_attempt_at - ?1) * ?2) AS INTEGER) \
             WHERE next_attempt_at > ?1",
        )?
        .execute(params![now_ms, ratio])?)
}

/// Stops a delivery from being attempted again. Returns false if it had already ended.
pub fn cancel(conn: &Connection, id: &DeliveryId, now_ms: i64) -> Result<bool, StoreError> {
    let changed = conn.execute(
        "UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, updated_at = ?2 \
         WHERE id = ?1 AND status IN ('pending', 'retrying')",
        params![id.as_str(), now_ms],
    )?;
    Ok(changed == 1)
}

/// Cancels every active delivery of an endpoint; returns the events touched.
pub fn cancel_active_for_endpoint(conn: &Connection, endpoint_id: &EndpointId) -> Result<Vec<EventId>, StoreError> {
    let mut stmt = conn.prepare(
        "UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL \
         WHERE endpoint_id = ?1 AND status IN ('pending', 'retrying') RETURNING event_id",
    )?;
    let rows = stmt.query_map([endpoint_id.as_str()], |row| Ok(EventId::from_db(row.get(0)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::test_support::temp_store;
    use super::*;
    use crate::model::EventStatus;
    use crate::store::events;

    /// The scheduler lists due ids, claims them, then loads them: a delivery attempted (and
    /// finished) between the list and the load must not be loaded, or it would be sent twice.
    #[tokio::test]
    async fn rows_attempted_since_they_were_listed_are_not_loaded() {
        let (_dir, store) = temp_store();
        let (event, endpoint) = (EventId::generate(), EndpointId::generate());
        let (done, waiting) = (DeliveryId::generate(), DeliveryId::generate());
        let ids = vec![done.clone(), waiting.clone()];
        store
            .write({
                let (event, endpoint, done, waiting) = (event.clone(), endpoint.clone(), done.clone(), waiting.clone());
                move |conn| {
                    events::insert(conn, &event, "order.created", "{}", EventStatus::Pending, 1)?;
                    insert(conn, &done, &event, &endpoint, 1)?;
                    insert(conn, &waiting, &event, &endpoint, 1)
                }
            })
            .await
            .unwrap();
        let update = DeliveryUpdate {
            status: DeliveryStatus::Succeeded,
            next_attempt_at_ms: None,
            counted_as_automatic: true,
            last_response_status: Some(200),
            last_duration_ms: 3,
            now_ms: 5,
        };
        store.write(move |conn| apply_attempt(conn, &done, &update, None)).await.unwrap();
        let loaded = store.read(move |conn| load_due(conn, &ids, 10)).await.unwrap();
        let loaded: Vec<&DeliveryId> = loaded.iter().map(|due| &due.id).collect();
        assert_eq!(loaded, [&waiting], "only the delivery still due is loaded");
    }
}
