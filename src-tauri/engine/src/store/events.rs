//! Queries on the `events` table.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::StoreError;
use crate::ids::{EndpointId, EventId};
use crate::model::time::from_ms;
use crate::model::{DeliveryStatus, EventStatus};

/// An event row without its deliveries.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: EventId,
    pub event_name: String,
    pub status: EventStatus,
    pub created_at_ms: i64,
    pub payload: String,
}

/// Filters of the events list. Ids bound the time range because ids sort by time.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub event_name: Option<String>,
    pub status: Option<EventStatus>,
    pub endpoint_id: Option<EndpointId>,
    /// An FTS5 query over payloads and response bodies (see `search::fts_query`).
    pub text: Option<String>,
    /// Only ids >= this (from `since`).
    pub min_id: Option<String>,
    /// Only ids <= this (from `until`).
    pub max_id: Option<String>,
    /// Only ids < this (the page cursor).
    pub before_id: Option<String>,
    pub limit: u32,
}

/// Payloads longer than this (in bytes) are kept in `event_payloads`, out of the event's row.
/// Up to about this size the row stays within its b-tree page, so the rewrite each status
/// change costs stays small; past it the rest of the row goes to overflow pages, which SQLite
/// writes again at each change.
const INLINE_PAYLOAD_MAX: usize = 900;

/// The SQL for the payload of the `events` row named `e`, wherever it is kept. The argument is
/// the schema prefix of `event_payloads` ("" or "app.").
macro_rules! event_payload_sql {
    ($schema:literal) => {
        concat!(
            "CASE WHEN e.payload_id IS NULL THEN e.payload ELSE (SELECT p.payload FROM ",
            $schema,
            "event_payloads p WHERE p.id = e.payload_id) END"
        )
    };
}
pub(crate) use event_payload_sql;

pub fn insert(
    conn: &Connection,
    id: &EventId,
    event_name: &str,
    payload: &str,
    status: EventStatus,
    created_at_ms: i64,
) -> Result<(), StoreError> {
    let (in_row, payload_id) = store_payload(conn, payload)?;
    conn.prepare_cached(
        "INSERT INTO events (id, event_name, payload, payload_id, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id.as_str(), event_name, in_row, payload_id, status.as_str(), created_at_ms])?;
    Ok(())
}

/// Stores a long payload in `event_payloads`; returns what the event's row keeps in its
/// `payload` and `payload_id` columns.
pub fn store_payload<'a>(conn: &Connection, payload: &'a str) -> Result<(&'a str, Option<i64>), StoreError> {
    if payload.len() <= INLINE_PAYLOAD_MAX {
        return Ok((payload, None));
    }
    conn.prepare_cached("INSERT INTO event_payloads (payload) VALUES (?1)")?.execute([payload])?;
    Ok(("", Some(conn.last_insert_rowid())))
}

/// Recomputes an event's status from its deliveries and returns it.
pub fn refresh_status(conn: &Connection, id: &EventId) -> Result<EventStatus, StoreError> {
    let counted = count_status(conn, id)?;
    store_status(conn, id, counted)?;
    Ok(counted)
}

/// [`refresh_status`] after one delivery of the event went from `was` to `now`.
pub fn refresh_status_after(
    conn: &Connection,
    id: &EventId,
    was: DeliveryStatus,
    now: DeliveryStatus,
) -> Result<EventStatus, StoreError> {
    let counted = count_status(conn, id)?;
    // A delivery that became less urgent (pending to succeeded, say) while another is still at
    // least as urgent as it was leaves the event's status as it was: with ten endpoints, nine
    // attempts in ten. An UPDATE that changes nothing cost as much as the count.
    let unchanged = urgency(implied(now)) < urgency(implied(was)) && urgency(counted) >= urgency(implied(was));
    if !unchanged {
        store_status(conn, id, counted)?;
    }
    Ok(counted)
}

/// The most urgent delivery status wins.
fn count_status(conn: &Connection, id: &EventId) -> Result<EventStatus, StoreError> {
    let status: String = conn
        .prepare_cached(
            // One CASE per delivery, where four sums over the rows cost twice the steps, and
            // this runs after most attempts. Keep it in step with `urgency`.
            "SELECT CASE MAX(CASE status WHEN 'retrying' THEN 4 WHEN 'pending' THEN 3 WHEN 'succeeded' THEN 1 ELSE 2 END)
            WHEN 4 THEN 'retrying' WHEN 3 THEN 'pending' WHEN 2 THEN 'failed' WHEN 1 THEN 'succeeded'
            ELSE 'unrouted' END
         FROM deliveries WHERE event_id = ?1",
        )?
        .query_row([id.as_str()], |row| row.get(0))?;
    Ok(EventStatus::parse(&status).unwrap_or(EventStatus::Pending))
}

fn store_status(conn: &Connection, id: &EventId, status: EventStatus) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE events SET status = ?2 WHERE id = ?1 AND status != ?2")?
        .execute(params![id.as_str(), status.as_str()])?;
    Ok(())
}

/// The status an event with this one delivery would have.
fn implied(status: DeliveryStatus) -> EventStatus {
    match status {
        DeliveryStatus::Pending => EventStatus::Pending,
        DeliveryStatus::Retrying => EventStatus::Retrying,
        DeliveryStatus::Succeeded => EventStatus::Succeeded,
        DeliveryStatus::Failed | DeliveryStatus::Cancelled => EventStatus::Failed,
    }
}

fn urgency(status: EventStatus) -> u8 {
    match status {
        EventStatus::Retrying => 4,
        EventStatus::Pending => 3,
        EventStatus::Failed => 2,
        EventStatus::Succeeded => 1,
        EventStatus::Unrouted => 0,
    }
}

/// The stored status of an event (pending if it is gone).
pub fn status(conn: &Connection, id: &EventId) -> Result<EventStatus, StoreError> {
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM events WHERE id = ?1")?
        .query_row([id.as_str()], |row| row.get(0))
        .optional()?;
    Ok(status.as_deref().and_then(EventStatus::parse).unwrap_or(EventStatus::Pending))
}

/// An event row with its payload, wherever that is kept, as [`row_to_event`] reads it.
pub(super) const SELECT_EVENT_ROWS: &str =
    concat!("SELECT e.id, e.event_name, e.status, e.created_at, ", event_payload_sql!(""), " FROM events e");

pub(super) fn row_to_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    let status: String = row.get(2)?;
    Ok(EventRow {
        id: EventId::from_db(row.get(0)?),
        event_name: row.get(1)?,
        status: EventStatus::parse(&status).unwrap_or(EventStatus::Pending),
        created_at_ms: row.get(3)?,
        payload: row.get(4)?,
    })
}

pub fn get(conn: &Connection, id: &EventId) -> Result<Option<EventRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT_EVENT_ROWS} WHERE e.id = ?1"))?;
    let mut rows = stmt.query_map([id.as_str()], row_to_event)?;
    Ok(rows.next().transpose()?)
}

/// A page of events, newest first. The payload column is left empty: lists don't need it.
pub fn list(conn: &Connection, filter: &EventFilter) -> Result<Vec<EventRow>, StoreError> {
    // With an endpoint, walk its (endpoint_id, event_id) index backwards and join the
    // events: an IN (subquery) would first collect every event the endpoint ever had.
    let (mut sql, key) = match filter.endpoint_id {
        Some(_) => (
            String::from(
                "SELECT e.id, e.event_name, e.status, e.created_at, '' FROM deliveries d \
                 JOIN events e ON e.id = d.event_id WHERE d.endpoint_id = ?1",
            ),
            "d.event_id",
        ),
        None => {
            (String::from("SELECT e.id, e.event_name, e.status, e.created_at, '' FROM events e WHERE 1 = 1"), "e.id")
        }
    };
    let mut args: Vec<Value> = Vec::new();
    if let Some(endpoint) = &filter.endpoint_id {
        args.push(Value::Text(endpoint.as_str().into()));
    }
    let mut push = |clause: &str, value: Value| {
        args.push(value);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(name) = &filter.event_name {
        push(" AND e.event_name = ?", Value::Text(name.clone()));
    }
    if let Some(status) = filter.status {
        push(" AND e.status = ?", Value::Text(status.as_str().into()));
    }
    if let Some(text) = &filter.text {
        push(&format!(" AND e.id IN ({})", super::indexer::MATCHING_EVENT_IDS), Value::Text(text.clone()));
    }
    if let Some(min) = &filter.min_id {
        push(&format!(" AND {key} >= ?"), Value::Text(min.clone()));
    }
    if let Some(max) = &filter.max_id {
        push(&format!(" AND {key} <= ?"), Value::Text(max.clone()));
    }
    if let Some(before) = &filter.before_id {
        push(&format!(" AND {key} < ?"), Value::Text(before.clone()));
    }
    // A resend adds a second delivery to the same endpoint: one row per event.
    let group = if filter.endpoint_id.is_some() { " GROUP BY d.event_id" } else { "" };
    push(&format!("{group} ORDER BY {key} DESC LIMIT ?"), Value::Integer(i64::from(filter.limit)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), row_to_event)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn created_at(row: &EventRow) -> chrono::DateTime<chrono::Utc> {
    from_ms(row.created_at_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeliveryId;
    use crate::store::deliveries;
    use crate::store::test_support::temp_store;

    fn set_delivery_status(conn: &Connection, id: &DeliveryId, status: &str) -> Result<(), StoreError> {
        conn.execute("UPDATE deliveries SET status = ?2 WHERE id = ?1", params![id.as_str(), status])?;
        Ok(())
    }

    /// An event's status is its most urgent delivery's: retrying, then pending, then failed
    /// (a cancelled delivery counts as failed), then succeeded; with no delivery, unrouted.
    #[tokio::test]
    async fn an_event_takes_the_status_of_its_most_urgent_delivery() {
        let (_dir, store) = temp_store();
        let cases: [(&[&str], EventStatus); 7] = [
            (&[], EventStatus::Unrouted),
            (&["succeeded"], EventStatus::Succeeded),
            (&["succeeded", "succeeded"], EventStatus::Succeeded),
            (&["succeeded", "cancelled"], EventStatus::Failed),
            (&["failed", "succeeded", "pending"], EventStatus::Pending),
            (&["pending", "retrying", "failed"], EventStatus::Retrying),
            (&["cancelled", "retrying"], EventStatus::Retrying),
        ];
        for (statuses, expected) in cases {
            let rows: Vec<String> = statuses.iter().map(|s| (*s).to_owned()).collect();
            let (refreshed, stored) = store
                .write(move |conn| {
                    let event = EventId::generate();
                    insert(conn, &event, "order.created", "{}", EventStatus::Pending, 0)?;
                    for status in &rows {
                        let id = DeliveryId::generate();
                        deliveries::insert(conn, &id, &event, &EndpointId::generate(), 0)?;
                        set_delivery_status(conn, &id, status)?;
                    }
                    Ok((refresh_status(conn, &event)?, status(conn, &event)?))
                })
                .await
                .expect("write");
            assert_eq!(refreshed, expected, "deliveries {statuses:?}");
            assert_eq!(stored, expected, "the stored status of deliveries {statuses:?}");
        }
    }

    /// The shortcut after one delivery's change stores what a full recount would, whichever
    /// delivery changed and however the others stand: every change of one delivery among one to
    /// three, from every status to every other.
    #[tokio::test]
    async fn a_status_refreshed_after_one_change_matches_a_full_recount() {
        use DeliveryStatus::{Cancelled, Failed, Pending, Retrying, Succeeded};
        let (_dir, store) = temp_store();
        let all = [Pending, Retrying, Succeeded, Failed, Cancelled];
        let checked = store
            .write(move |conn| {
                let mut checked = 0;
                for count in 1..=3u32 {
                    for combination in 0..all.len().pow(count) {
                        let statuses: Vec<DeliveryStatus> =
                            (0..count).map(|i| all[combination / all.len().pow(i) % all.len()]).collect();
                        for now in all.into_iter().filter(|now| *now != statuses[0]) {
                            let event = EventId::generate();
                            insert(conn, &event, "order.created", "{}", EventStatus::Pending, 0)?;
                            let mut ids = Vec::new();
                            for status in &statuses {
                                let id = DeliveryId::generate();
                                deliveries::insert(conn, &id, &event, &EndpointId::generate(), 0)?;
                                set_delivery_status(conn, &id, status.as_str())?;
                                ids.push(id);
                            }
                            refresh_status(conn, &event)?;
                            set_delivery_status(conn, &ids[0], now.as_str())?;
                            let after = refresh_status_after(conn, &event, statuses[0], now)?;
                            let stored = status(conn, &event)?;
                            let recounted = refresh_status(conn, &event)?;
                            assert_eq!(after, recounted, "{statuses:?}, the first now {now:?}");
                            assert_eq!(stored, recounted, "stored, for {statuses:?}, the first now {now:?}");
                            checked += 1;
                        }
                    }
                }
                Ok(checked)
            })
            .await
            .expect("write");
        assert_eq!(checked, (5 + 25 + 125) * 4);
    }
}
