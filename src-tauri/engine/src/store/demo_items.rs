//! Queries on `demo_items`: the catchers, endpoints and events demo mode created, so a
//! reset deletes exactly those.

use rusqlite::{params, Connection};

use super::StoreError;

/// What kind of thing a demo item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoItemKind {
    Catcher,
    Endpoint,
    Event,
}

impl DemoItemKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Catcher => "catcher",
            Self::Endpoint => "endpoint",
            Self::Event => "event",
        }
    }

    /// The table its ids live in; a constant, so it is safe to put in SQL text.
    fn table(self) -> &'static str {
        match self {
            Self::Catcher => "catchers",
            Self::Endpoint => "endpoints",
            Self::Event => "events",
        }
    }
}

/// Records that the demo created `id`; recording it twice is harmless.
pub fn record(conn: &Connection, kind: DemoItemKind, id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO demo_items (kind, id) VALUES (?1, ?2)")?
        .execute(params![kind.as_str(), id])?;
    Ok(())
}

/// The recorded ids of `kind` that still exist (the user may have deleted some), oldest first.
pub fn existing(conn: &Connection, kind: DemoItemKind) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "SELECT d.id FROM demo_items d JOIN {table} t ON t.id = d.id WHERE d.kind = ?1 ORDER BY t.created_at, d.id",
        table = kind.table()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let ids = stmt.query_map([kind.as_str()], |row| row.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// Every recorded id of `kind`, existing or not.
pub fn recorded(conn: &Connection, kind: DemoItemKind) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM demo_items WHERE kind = ?1 ORDER BY id")?;
    let ids = stmt.query_map([kind.as_str()], |row| row.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// How many items of `kind` were recorded.
pub fn count(conn: &Connection, kind: DemoItemKind) -> Result<u64, StoreError> {
    let count: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM demo_items WHERE kind = ?1")?
        .query_row([kind.as_str()], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Deletes up to `limit` recorded demo events (their deliveries and attempts cascade) and
/// their records. Returns how many records went; 0 when none are left.
pub fn delete_events_batch(conn: &Connection, limit: u32) -> Result<u64, StoreError> {
    let ids: Vec<String> = {
        let mut stmt = conn.prepare_cached("SELECT id FROM demo_items WHERE kind = 'event' LIMIT ?1")?;
        let ids = stmt.query_map([limit], |row| row.get(0))?;
        ids.collect::<Result<_, _>>()?
    };
    let mut delete_event = conn.prepare_cached("DELETE FROM events WHERE id = ?1")?;
    let mut forget = conn.prepare_cached("DELETE FROM demo_items WHERE kind = 'event' AND id = ?1")?;
    for id in &ids {
        delete_event.execute([id])?;
        forget.execute([id])?;
    }
    Ok(ids.len() as u64)
}

/// Forgets every record (after a reset deleted what they name).
pub fn clear(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM demo_items", [])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::temp_store;
    use super::*;

    #[tokio::test]
    async fn event_batches_delete_only_recorded_events() {
        let (_dir, store) = temp_store();
        let left = store
            .write(|conn| {
                for i in 0..5 {
                    conn.execute(
                        "INSERT INTO events (id, event_name, payload, status, created_at) VALUES (?1, 'a', '{}', 'unrouted', 0)",
                        [format!("evt_{i}")],
                    )?;
                }
                for i in 0..3 {
                    record(conn, DemoItemKind::Event, &format!("evt_{i}"))?;
                }
                record(conn, DemoItemKind::Event, "evt_0")?;
                assert_eq!(count(conn, DemoItemKind::Event)?, 3);
                assert_eq!(delete_events_batch(conn, 2)?, 2);
                assert_eq!(delete_events_batch(conn, 2)?, 1);
                assert_eq!(delete_events_batch(conn, 2)?, 0);
                let left: Vec<String> =
                    conn.prepare("SELECT id FROM events ORDER BY id")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
                Ok(left)
            })
            .await
            .expect("write");
        assert_eq!(left, vec!["evt_3".to_owned(), "evt_4".to_owned()]);
    }
}
