//! Queries on the `catchers` table.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::StoreError;
use crate::ids::{CatcherId, EndpointId};
use crate::model::time::from_ms;
use crate::model::Catcher;

const COLUMNS: &str = "id, name, script, verify, endpoint_id, created_at, updated_at";

/// A catcher with what its requests add up to.
#[derive(Debug, Clone)]
pub struct CatcherRow {
    pub catcher: Catcher,
    pub request_count: u64,
    pub last_request_at_ms: Option<i64>,
}

fn from_row(row: &Row<'_>) -> Result<Catcher, StoreError> {
    let verify: Option<String> = row.get(3)?;
    Ok(Catcher {
        id: CatcherId::from_db(row.get(0)?),
        name: row.get(1)?,
        script: serde_json::from_str(&row.get::<_, String>(2)?)?,
        verify: verify.map(|text| serde_json::from_str(&text)).transpose()?,
        endpoint_id: row.get::<_, Option<String>>(4)?.map(EndpointId::from_db),
        created_at: from_ms(row.get(5)?),
        updated_at: from_ms(row.get(6)?),
    })
}

fn verify_json(catcher: &Catcher) -> Result<Option<String>, StoreError> {
    Ok(catcher.verify.as_ref().map(serde_json::to_string).transpose()?)
}

/// Inserts a catcher; false when its name is taken.
pub fn insert(conn: &Connection, catcher: &Catcher) -> Result<bool, StoreError> {
    let inserted = conn.execute(
        &format!("INSERT INTO catchers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name) DO NOTHING"),
        params![
            catcher.id.as_str(),
            catcher.name,
            serde_json::to_string(&catcher.script)?,
            verify_json(catcher)?,
            catcher.endpoint_id.as_ref().map(EndpointId::as_str),
            catcher.created_at.timestamp_millis(),
            catcher.updated_at.timestamp_millis(),
        ],
    )?;
    Ok(inserted == 1)
}

/// Stores a new script and verification; false when the catcher is gone.
pub fn update(conn: &Connection, catcher: &Catcher) -> Result<bool, StoreError> {
    let changed = conn.execute(
        "UPDATE catchers SET script = ?2, verify = ?3, updated_at = ?4 WHERE id = ?1",
        params![
            catcher.id.as_str(),
            serde_json::to_string(&catcher.script)?,
            verify_json(catcher)?,
            catcher.updated_at.timestamp_millis()
        ],
    )?;
    Ok(changed == 1)
}

pub fn get(conn: &Connection, id: &CatcherId) -> Result<Option<Catcher>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM catchers WHERE id = ?1"))?;
    let mut rows = stmt.query([id.as_str()])?;
    rows.next()?.map(from_row).transpose()
}

/// The catch route's lookup, once per request.
pub fn get_by_name(conn: &Connection, name: &str) -> Result<Option<Catcher>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM catchers WHERE name = ?1"))?;
    let mut rows = stmt.query([name])?;
    rows.next()?.map(from_row).transpose()
}

pub fn name_taken(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT 1 FROM catchers WHERE name = ?1", [name], |_| Ok(())).optional()?.is_some())
}

/// One catcher with its request count and last request time.
pub fn get_row(conn: &Connection, id: &CatcherId) -> Result<Option<CatcherRow>, StoreError> {
    get(conn, id)?.map(|catcher| with_counts(conn, catcher)).transpose()
}

/// Every catcher by name, with counts.
pub fn list(conn: &Connection) -> Result<Vec<CatcherRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM catchers ORDER BY name"))?;
    let mut rows = stmt.query([])?;
    let mut catchers = Vec::new();
    while let Some(row) = rows.next()? {
        catchers.push(from_row(row)?);
    }
    catchers.into_iter().map(|catcher| with_counts(conn, catcher)).collect()
}

fn with_counts(conn: &Connection, catcher: Catcher) -> Result<CatcherRow, StoreError> {
    let (request_count, last_request_at_ms) = super::caught_requests::count_and_last(conn, &catcher.id)?;
    Ok(CatcherRow { catcher, request_count, last_request_at_ms })
}

/// Deletes a catcher and its requests; returns it, so the caller knows its endpoint.
pub fn delete(conn: &Connection, id: &CatcherId) -> Result<Option<Catcher>, StoreError> {
    let Some(catcher) = get(conn, id)? else { return Ok(None) };
    conn.execute("DELETE FROM catchers WHERE id = ?1", [id.as_str()])?;
    Ok(Some(catcher))
}
