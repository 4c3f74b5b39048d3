//! Queries on the `idempotency_keys` table.

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;
use crate::model::TriggerOut;

/// How long a key answers with its first response: 24 hours.
pub const KEY_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// The first answer given to `key`, if it is younger than a day.
pub fn lookup(conn: &Connection, key: &str, now_ms: i64) -> Result<Option<TriggerOut>, StoreError> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT response FROM idempotency_keys WHERE key = ?1 AND created_at > ?2")?
        .query_row(params![key, now_ms - KEY_LIFETIME_MS], |row| row.get(0))
        .optional()?;
    Ok(stored.map(|json| serde_json::from_str(&json)).transpose()?)
}

/// Remembers the answer to `key`, replacing an expired entry and pruning old ones.
pub fn remember(conn: &Connection, key: &str, response: &TriggerOut, now_ms: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM idempotency_keys WHERE created_at <= ?1")?.execute([now_ms - KEY_LIFETIME_MS])?;
    conn.prepare_cached("INSERT OR REPLACE INTO idempotency_keys (key, response, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![key, serde_json::to_string(response)?, now_ms])?;
    Ok(())
}
