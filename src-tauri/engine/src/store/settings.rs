//! Queries on the `settings` table: engine settings, one JSON value per key.

use std::collections::HashMap;

use rusqlite::{params, Connection};
use serde_json::Value;

use super::StoreError;

/// The time warp in force: `{"factor": f64, "since": ms}`; absent when off.
pub const TIME_WARP_KEY: &str = "time_warp";

/// One setting, if stored.
pub fn get(conn: &Connection, key: &str) -> Result<Option<Value>, StoreError> {
    use rusqlite::OptionalExtension;
    let text: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?;
    Ok(match text {
        Some(text) => Some(serde_json::from_str(&text)?),
        None => None,
    })
}

/// Every stored setting.
pub fn all(conn: &Connection) -> Result<HashMap<String, Value>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT key, value FROM settings")?;
    let mut rows = stmt.query([])?;
    let mut settings = HashMap::new();
    while let Some(row) = rows.next()? {
        let key: String = row.get(0)?;
        let value: String = row.get(1)?;
        settings.insert(key, serde_json::from_str(&value)?);
    }
    Ok(settings)
}

/// Sets `key`; `None` (or JSON null) removes it, which means "the default".
pub fn put(conn: &Connection, key: &str, value: Option<&Value>, now_ms: i64) -> Result<(), StoreError> {
    match value.filter(|v| !v.is_null()) {
        Some(value) => {
            conn.prepare_cached(
                "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )?
            .execute(params![key, serde_json::to_string(value)?, now_ms])?;
        }
        None => {
            conn.prepare_cached("DELETE FROM settings WHERE key = ?1")?.execute([key])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::temp_store;
    use super::*;

    #[tokio::test]
    async fn values_round_trip_and_null_removes() {
        let (_dir, store) = temp_store();
        store
            .write(|conn| {
                put(conn, "a", Some(&Value::from(5)), 1)?;
                put(conn, "a", Some(&Value::from(7)), 2)?;
                put(conn, "b", Some(&Value::from("x")), 2)?;
                put(conn, "b", Some(&Value::Null), 3)
            })
            .await
            .expect("write");
        let all = store.read(all).await.expect("read");
        assert_eq!(all.get("a"), Some(&Value::from(7)));
        assert!(!all.contains_key("b"));
        let (a, b) = store.read(|conn| Ok((get(conn, "a")?, get(conn, "b")?))).await.expect("read");
        assert_eq!((a, b), (Some(Value::from(7)), None));
    }
}
