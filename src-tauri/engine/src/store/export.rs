//! Reading history in pages for export, and the endpoints and catchers to export or import.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::events::{self, EventRow};
use super::{catchers, deliveries, endpoints, secrets, StoreError};
use crate::ids::EventId;
use crate::model::{Catcher, Endpoint, EventOut};

/// Which events to export: ids bound the time range because ids sort by time.
#[derive(Debug, Clone, Default)]
pub struct ExportRange {
    /// Only ids >= this (from `since`).
    pub min_id: Option<String>,
    /// Only ids <= this (from `until`).
    pub max_id: Option<String>,
}

/// Up to `limit` events after `after_id` (oldest first), with payloads.
fn events_after(
    conn: &Connection,
    range: &ExportRange,
    after_id: Option<&str>,
    limit: u32,
) -> Result<Vec<EventRow>, StoreError> {
    let mut sql = format!("{} WHERE 1 = 1", events::SELECT_EVENT_ROWS);
    let mut args: Vec<Value> = Vec::new();
    for (clause, value) in [(" AND e.id >= ?", &range.min_id), (" AND e.id <= ?", &range.max_id)] {
        if let Some(value) = value {
            args.push(Value::Text(value.clone()));
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        }
    }
    if let Some(after) = after_id {
        args.push(Value::Text(after.to_owned()));
        sql.push_str(&format!(" AND e.id > ?{}", args.len()));
    }
    args.push(Value::Integer(i64::from(limit)));
    sql.push_str(&format!(" ORDER BY e.id LIMIT ?{}", args.len()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), events::row_to_event)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A page of events, oldest first, each as `GET /api/v1/events/{id}` shows it.
pub fn event_details_page(
    conn: &Connection,
    range: &ExportRange,
    after_id: Option<&str>,
    limit: u32,
) -> Result<Vec<EventOut>, StoreError> {
    let rows = events_after(conn, range, after_id, limit)?;
    let ids: Vec<EventId> = rows.iter().map(|row| row.id.clone()).collect();
    let mut grouped = deliveries::for_events(conn, &ids)?;
    let mut page = Vec::with_capacity(rows.len());
    for row in rows {
        let delivery_rows = grouped.remove(&row.id).unwrap_or_default();
        page.push(crate::history::event_out(conn, row, delivery_rows)?);
    }
    Ok(page)
}

/// Every endpoint, oldest first, with its current signing secret when `with_secrets`.
pub fn endpoints_for_export(
    conn: &Connection,
    with_secrets: bool,
) -> Result<Vec<(Endpoint, Option<String>)>, StoreError> {
    let mut out = Vec::new();
    for endpoint in endpoints::list(conn)? {
        let secret = if with_secrets { secrets::current(conn, &endpoint.id)? } else { None };
        out.push((endpoint, secret));
    }
    Ok(out)
}

/// Every catcher, by name.
pub fn catchers_for_export(conn: &Connection) -> Result<Vec<Catcher>, StoreError> {
    Ok(catchers::list(conn)?.into_iter().map(|row| row.catcher).collect())
}

/// Inserts validated endpoints (with their secrets) and catchers, or nothing: when a
/// catcher's name is taken, returns its index before writing anything. The caller's
/// write job is one savepoint, so an error leaves none of them behind either.
pub fn insert_setup(
    conn: &Connection,
    new: &[Endpoint],
    new_catchers: &[Catcher],
) -> Result<Option<usize>, StoreError> {
    for (index, catcher) in new_catchers.iter().enumerate() {
        if catchers::name_taken(conn, &catcher.name)? {
            return Ok(Some(index));
        }
    }
    for endpoint in new {
        endpoints::insert(conn, endpoint)?;
    }
    for catcher in new_catchers {
        catchers::insert(conn, catcher)?;
    }
    Ok(None)
}
