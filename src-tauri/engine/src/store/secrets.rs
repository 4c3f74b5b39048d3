//! Queries on the `endpoint_secrets` table.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;
use crate::ids::EndpointId;
use crate::model::SigningKey;

/// Adds a current secret (no expiry) for an endpoint.
pub fn insert_current(
    conn: &Connection,
    endpoint_id: &EndpointId,
    secret: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO endpoint_secrets (endpoint_id, key, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![endpoint_id.as_str(), secret, now_ms])?;
    Ok(())
}

/// The endpoint's current secret.
pub fn current(conn: &Connection, endpoint_id: &EndpointId) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT key FROM endpoint_secrets WHERE endpoint_id = ?1 AND expires_at IS NULL ORDER BY created_at DESC LIMIT 1",
        )?
        .query_row([endpoint_id.as_str()], |row| row.get(0))
        .optional()?)
}

/// Makes `secret` current; the previous current one keeps signing until `now + grace`.
pub fn rotate(
    conn: &Connection,
    endpoint_id: &EndpointId,
    secret: &str,
    grace_ms: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM endpoint_secrets WHERE endpoint_id = ?1 AND expires_at IS NOT NULL AND expires_at <= ?2",
    )?
    .execute(params![endpoint_id.as_str(), now_ms])?;
    conn.prepare_cached("UPDATE endpoint_secrets SET expires_at = ?2 WHERE endpoint_id = ?1 AND expires_at IS NULL")?
        .execute(params![endpoint_id.as_str(), now_ms + grace_ms])?;
    insert_current(conn, endpoint_id, secret, now_ms)
}

/// Every secret still signing at `now_ms`, by endpoint, newest first.
pub fn signing_keys(conn: &Connection, now_ms: i64) -> Result<HashMap<EndpointId, Vec<SigningKey>>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT endpoint_id, key, expires_at FROM endpoint_secrets \
         WHERE expires_at IS NULL OR expires_at > ?1 ORDER BY created_at DESC",
    )?;
    let mut rows = stmt.query([now_ms])?;
    let mut keys: HashMap<EndpointId, Vec<SigningKey>> = HashMap::new();
    while let Some(row) = rows.next()? {
        keys.entry(EndpointId::from_db(row.get(0)?))
            .or_default()
            .push(SigningKey { secret: row.get(1)?, expires_at_ms: row.get(2)? });
    }
    Ok(keys)
}

/// Gives every endpoint without a current secret a new one (endpoints made before signing existed).
pub fn fill_missing(conn: &Connection, now_ms: i64) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id FROM endpoints e WHERE NOT EXISTS \
         (SELECT 1 FROM endpoint_secrets s WHERE s.endpoint_id = e.id AND s.expires_at IS NULL)",
    )?;
    let ids: Vec<String> = stmt.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    for id in ids {
        insert_current(conn, &EndpointId::from_db(id), &crate::signing::generate_secret(), now_ms)?;
    }
    Ok(())
}

/// The secrets of one endpoint still signing at `now_ms`, newest first.
pub fn signing_secrets_of(conn: &Connection, endpoint_id: &EndpointId, now_ms: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT key FROM endpoint_secrets WHERE endpoint_id = ?1 AND (expires_at IS NULL OR expires_at > ?2) \
         ORDER BY created_at DESC",
    )?;
    let keys = stmt.query_map(params![endpoint_id.as_str(), now_ms], |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(keys)
}
