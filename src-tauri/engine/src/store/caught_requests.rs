//! Queries on the `caught_requests` table.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::StoreError;
use crate::ids::{CatcherId, CaughtRequestId};
use crate::model::time::from_ms;
use crate::model::{CaughtRequest, CaughtRequestSummary};

/// Each catcher keeps its newest requests up to this many.
pub const KEEP_PER_CATCHER: u32 = 1000;

const SUMMARY_COLUMNS: &str = "id, method, path, response_status, signature, body_size, received_at";

fn summary_from_row(row: &Row<'_>) -> Result<CaughtRequestSummary, StoreError> {
    Ok(CaughtRequestSummary {
        id: CaughtRequestId::from_db(row.get(0)?),
        method: row.get(1)?,
        path: row.get(2)?,
        response_status: row.get(3)?,
        signature: serde_json::from_str(&row.get::<_, String>(4)?)?,
        body_size: row.get(5)?,
        received_at: from_ms(row.get(6)?),
    })
}

/// Records a request, then drops the catcher's requests beyond the newest 1,000.
pub fn insert(conn: &Connection, request: &CaughtRequest) -> Result<(), StoreError> {
    let summary = &request.summary;
    conn.prepare_cached(
        "INSERT INTO caught_requests (id, catcher_id, method, path, query, headers, body, body_size, \
         body_truncated, response_status, signature, received_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        summary.id.as_str(),
        request.catcher_id.as_str(),
        summary.method,
        summary.path,
        request.query,
        serde_json::to_string(&request.headers)?,
        request.body,
        summary.body_size,
        request.body_truncated,
        summary.response_status,
        serde_json::to_string(&summary.signature)?,
        summary.received_at.timestamp_millis(),
    ])?;
    trim(conn, &request.catcher_id)
}

/// Finds the 1,001st newest id by walking the (catcher_id, id) index, and deletes from there down:
/// at most one step past the cap per insert, so this stays cheap.
fn trim(conn: &Connection, catcher_id: &CatcherId) -> Result<(), StoreError> {
    let oldest_kept: Option<String> = conn
        .prepare_cached("SELECT id FROM caught_requests WHERE catcher_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2")?
        .query_row(params![catcher_id.as_str(), KEEP_PER_CATCHER - 1], |row| row.get(0))
        .optional()?;
    if let Some(oldest_kept) = oldest_kept {
        conn.prepare_cached("DELETE FROM caught_requests WHERE catcher_id = ?1 AND id < ?2")?
            .execute(params![catcher_id.as_str(), oldest_kept])?;
    }
    Ok(())
}

/// Newest first, older than `before` when given.
pub fn list(
    conn: &Connection,
    catcher_id: &CatcherId,
    before: Option<&CaughtRequestId>,
    limit: u32,
) -> Result<Vec<CaughtRequestSummary>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM caught_requests WHERE catcher_id = ?1 AND (?2 IS NULL OR id < ?2) \
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let mut rows = stmt.query(params![catcher_id.as_str(), before.map(CaughtRequestId::as_str), limit])?;
    let mut summaries = Vec::new();
    while let Some(row) = rows.next()? {
        summaries.push(summary_from_row(row)?);
    }
    Ok(summaries)
}

pub fn get(
    conn: &Connection,
    catcher_id: &CatcherId,
    id: &CaughtRequestId,
) -> Result<Option<CaughtRequest>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS}, query, headers, body, body_truncated FROM caught_requests \
         WHERE id = ?1 AND catcher_id = ?2"
    ))?;
    let mut rows = stmt.query([id.as_str(), catcher_id.as_str()])?;
    let Some(row) = rows.next()? else { return Ok(None) };
    Ok(Some(CaughtRequest {
        summary: summary_from_row(row)?,
        catcher_id: catcher_id.clone(),
        query: row.get(7)?,
        headers: serde_json::from_str(&row.get::<_, String>(8)?)?,
        body: row.get(9)?,
        body_truncated: row.get(10)?,
    }))
}

/// How many requests the catcher keeps, and when the newest arrived.
pub fn count_and_last(conn: &Connection, catcher_id: &CatcherId) -> Result<(u64, Option<i64>), StoreError> {
    let count: u64 = conn
        .prepare_cached("SELECT COUNT(*) FROM caught_requests WHERE catcher_id = ?1")?
        .query_row([catcher_id.as_str()], |row| row.get(0))?;
    let last: Option<i64> = conn
        .prepare_cached("SELECT received_at FROM caught_requests WHERE catcher_id = ?1 ORDER BY id DESC LIMIT 1")?
        .query_row([catcher_id.as_str()], |row| row.get(0))
        .optional()?;
    Ok((count, last))
}

/// Forgets every request of a catcher.
pub fn clear(conn: &Connection, catcher_id: &CatcherId) -> Result<usize, StoreError> {
    Ok(conn.execute("DELETE FROM caught_requests WHERE catcher_id = ?1", [catcher_id.as_str()])?)
}
