//! Deleting old history in small batches, for retention and for clearing the log.
//!
//! Deliveries and attempts go with their event (ON DELETE CASCADE). Rows of the
//! full-text `search_index` (in its own file, see `indexer`) are swept afterwards by
//! rowid range on the indexer's connection: FTS5 cannot look rows up by its unindexed
//! `event_id`, so a targeted delete would scan the whole index once per batch.

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

/// The exclusive id bound that keeps the `keep` newest events: the id of the `keep`-th newest
/// event, or None when there are no more than `keep`. With `keep` = 0, every event up to
/// `everything_bound` (an id made from the current time).
pub fn keep_newest_bound(conn: &Connection, keep: u64, everything_bound: &str) -> Result<Option<String>, StoreError> {
    if keep == 0 {
        return Ok(Some(everything_bound.to_owned()));
    }
    Ok(conn
        .prepare_cached("SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?1")?
        .query_row([i64::try_from(keep - 1).unwrap_or(i64::MAX)], |row| row.get(0))
        .optional()?)
}

/// Deletes up to `limit` of the oldest events with an id below `below_id`, with their
/// deliveries and attempts. Events that still have a pending or retrying delivery stay
/// unless `include_active` (clearing everything). Returns how many events went.
pub fn delete_oldest(conn: &Connection, below_id: &str, include_active: bool, limit: u32) -> Result<u64, StoreError> {
    let deleted = conn
        .prepare_cached(
            "DELETE FROM events WHERE id IN (
               SELECT e.id FROM events e WHERE e.id < ?1 AND (?2 OR NOT EXISTS (
                 SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'retrying')))
               ORDER BY e.id LIMIT ?3)",
        )?
        .execute(params![below_id, include_active, limit])?;
    Ok(deleted as u64)
}

/// Bytes in use in the database and its search index: their pages minus the free ones
/// (deleting rows frees pages for reuse without shrinking a file, so the file size alone would
/// never go down). Run on a reader, where the index file is attached as `search`.
pub fn used_bytes(conn: &Connection) -> Result<u64, StoreError> {
    let pragma = |name: String| -> Result<i64, StoreError> { Ok(conn.query_row(&name, [], |row| row.get(0))?) };
    let mut used = 0;
    for schema in ["main", "search"] {
        let pages = pragma(format!("PRAGMA {schema}.page_count"))? - pragma(format!("PRAGMA {schema}.freelist_count"))?;
        used += pages * pragma(format!("PRAGMA {schema}.page_size"))?;
    }
    Ok(u64::try_from(used).unwrap_or(0))
}

pub fn event_count(conn: &Connection) -> Result<u64, StoreError> {
    let count: i64 = conn.prepare_cached("SELECT COUNT(*) FROM events")?.query_row([], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Looks at up to `limit` rows of `search_index` after rowid `after` and deletes those whose
/// event is gone. Returns the last rowid looked at, or None once past the end. Runs on the
/// indexer's connection (see [`super::Store::write_search`]).
pub fn sweep_search_index(conn: &Connection, after: i64, limit: u32) -> Result<Option<i64>, StoreError> {
    let rows: Vec<(i64, String)> = {
        let mut stmt =
            conn.prepare_cached("SELECT id, event_id FROM search_rows WHERE id > ?1 ORDER BY id LIMIT ?2")?;
        let rows = stmt.query_map(params![after, limit], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut exists = conn.prepare_cached("SELECT 1 FROM events WHERE id = ?1")?;
    let mut delete_postings = conn.prepare_cached("DELETE FROM search_index WHERE rowid = ?1")?;
    let mut delete_row = conn.prepare_cached("DELETE FROM search_rows WHERE id = ?1")?;
    for (rowid, event_id) in &rows {
        if !exists.exists([event_id])? {
            delete_postings.execute([rowid])?;
            delete_row.execute([rowid])?;
        }
    }
    Ok(if rows.len() < limit as usize { None } else { rows.last().map(|(rowid, _)| *rowid) })
}

/// Forgets every idempotency key (their answers name events that are gone).
pub fn clear_idempotency_keys(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM idempotency_keys", [])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{flush_search, temp_store};
    use super::*;

    fn seed(conn: &Connection) -> Result<(), StoreError> {
        for (i, status) in ["succeeded", "retrying", "failed", "succeeded"].iter().enumerate() {
            let id = format!("evt_0000000000000000000000000{i}");
            conn.execute(
                "INSERT INTO events (id, event_name, payload, status, created_at) VALUES (?1, 'a', '{}', ?2, 0)",
                params![id, status],
            )?;
            conn.execute(
                "INSERT INTO deliveries (id, event_id, endpoint_id, status, created_at, updated_at) \
                 VALUES (?1, ?2, 'ep_x', ?3, 0, 0)",
                params![format!("dlv_{i}"), id, status],
            )?;
            conn.execute(
                "INSERT INTO attempts (id, delivery_id, number, trigger, succeeded, started_at, duration_ms, \
                 request_url, request_headers) VALUES (?1, ?2, 1, 'automatic', 1, 0, 1, 'http://h/', '{}')",
                params![format!("att_{i}"), format!("dlv_{i}")],
            )?;
        }
        Ok(())
    }

    /// On the indexer's connection: one indexed text per seeded event.
    fn seed_search(conn: &Connection) -> Result<(), StoreError> {
        for i in 0..4 {
            super::super::indexer::insert_text(conn, &format!("evt_0000000000000000000000000{i}"), "hello")?;
        }
        Ok(())
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| row.get(0)).expect("count")
    }

    #[tokio::test]
    async fn batches_keep_active_events_and_cascade_and_the_sweep_follows() {
        let (_dir, store) = temp_store();
        // The start's catch-up reads back the events whose ids sort before the start, as these
        // seeded ones do: on a loaded machine it could run after the seed and index them twice.
        flush_search(&store).await;
        store.write(seed).await.expect("seed");
        store.write_search(seed_search).await.expect("seed the index");
        let left = store
            .write(|conn| {
                let bound = keep_newest_bound(conn, 1, "evt_Z")?.expect("four events");
                assert_eq!(bound, "evt_00000000000000000000000003");
                assert_eq!(delete_oldest(conn, &bound, false, 1)?, 1, "the batch limit holds");
                assert_eq!(delete_oldest(conn, &bound, false, 10)?, 1, "the retrying event stays");
                Ok((count(conn, "events"), count(conn, "deliveries"), count(conn, "attempts")))
            })
            .await
            .expect("purge");
        assert_eq!(left, (2, 2, 2));
        let indexed = store
            .write_search(|conn| {
                let mut after = 0;
                while let Some(last) = sweep_search_index(conn, after, 1)? {
                    after = last;
                }
                Ok((count(conn, "search_rows"), count(conn, "search_index WHERE search_index MATCH 'hello'")))
            })
            .await
            .expect("sweep");
        assert_eq!(indexed, (2, 2), "the texts of the two deleted events are swept");
        let cleared = store.write(|conn| delete_oldest(conn, "evt_Z", true, 500)).await.expect("clear");
        assert_eq!(cleared, 2);
    }
}
