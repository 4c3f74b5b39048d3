//! Full-text search (FTS5) over payloads and response bodies, written in batches by the writer.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};

use super::StoreError;
use crate::ids::{AttemptId, EventId};

/// How much of one text is indexed; enough for any realistic webhook.
const MAX_INDEXED_BYTES: usize = 64 * 1024;

/// Texts queued this long at most before they go into the index.
const FLUSH_INTERVAL: Duration = Duration::from_millis(250);
/// Or as soon as this many are queued, or this many bytes of them.
const FLUSH_COUNT: usize = 4096;
const FLUSH_BYTES: usize = 4 * 1024 * 1024;

thread_local! {
    /// Texts queued by the write jobs of the transaction in progress (on the writer thread).
    static PENDING: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    /// Texts whose rows are committed but not yet in the index.
    static READY: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    /// The bytes of text in both queues.
    static QUEUED_BYTES: Cell<usize> = const { Cell::new(0) };
    /// A job asked for the index to be current when its transaction commits.
    static FLUSH_ASKED: Cell<bool> = const { Cell::new(false) };
}

/// Queues a text for the index. The index is written in batches a few times a second,
/// not per commit: FTS5 writes a new segment (and later merges it) at every flush, which
/// cost about half the writer's time at thousands of triggers per second. A search asks
/// for a flush first ([`ask_flush`]), so it always sees every committed event.
pub fn index(_conn: &Connection, event_id: &EventId, text: &str) -> Result<(), StoreError> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let mut end = text.len().min(MAX_INDEXED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    PENDING.with(|pending| pending.borrow_mut().push((event_id.to_string(), text[..end].to_owned())));
    QUEUED_BYTES.with(|bytes| bytes.set(bytes.get() + end));
    Ok(())
}

/// Has the transaction of the calling write job bring the index up to date.
pub fn ask_flush(_conn: &Connection) {
    FLUSH_ASKED.with(|asked| asked.set(true));
}

/// How many texts are queued; a job that fails drops what it queued with [`forget_since`].
pub(crate) fn pending_len() -> usize {
    PENDING.with(|pending| pending.borrow().len())
}

pub(crate) fn forget_since(mark: usize) {
    let forgotten: usize = PENDING.with(|pending| pending.borrow_mut().drain(mark..).map(|(_, text)| text.len()).sum());
    QUEUED_BYTES.with(|bytes| bytes.set(bytes.get().saturating_sub(forgotten)));
}

/// Texts not yet in the index: committed ones and those of the transaction in progress.
fn waiting() -> usize {
    READY.with(|ready| ready.borrow().len()) + pending_len()
}

/// When the writer should flush next: None while nothing waits.
pub(crate) fn flush_deadline(last_flush: Instant) -> Option<Instant> {
    (waiting() > 0).then(|| last_flush + FLUSH_INTERVAL)
}

/// Whether this transaction should write the index before it commits.
pub(crate) fn flush_due(last_flush: Instant) -> bool {
    let waiting = waiting();
    FLUSH_ASKED.with(Cell::get)
        || waiting >= FLUSH_COUNT
        || QUEUED_BYTES.with(Cell::get) >= FLUSH_BYTES
        || (waiting > 0 && last_flush.elapsed() >= FLUSH_INTERVAL)
}

/// Inserts every committed and pending text, and records how far the index reaches, inside
/// the writer's transaction before COMMIT. The queues are emptied by [`settled`].
pub(crate) fn flush(conn: &Connection, now_ms: i64) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached("INSERT INTO search_index (event_id, body) VALUES (?1, ?2)")?;
    let mut write_all = |queue: &RefCell<Vec<(String, String)>>| -> Result<(), StoreError> {
        for (event_id, text) in queue.borrow().iter() {
            insert.execute(params![event_id, text])?;
        }
        Ok(())
    };
    READY.with(&mut write_all)?;
    PENDING.with(&mut write_all)?;
    // Every row committed from now on gets an id at or after this time.
    conn.prepare_cached("UPDATE search_progress SET indexed_through = ?1")?.execute([now_ms])?;
    Ok(())
}

/// After the transaction ended: what it indexed is done, what it queued waits, what it lost is dropped.
pub(crate) fn settled(committed: bool, flushed: bool) {
    FLUSH_ASKED.with(|asked| asked.set(false));
    match (committed, flushed) {
        (true, true) => {
            PENDING.with(|pending| pending.borrow_mut().clear());
            READY.with(|ready| ready.borrow_mut().clear());
            QUEUED_BYTES.with(|bytes| bytes.set(0));
        }
        (true, false) => {
            let pending = PENDING.with(|pending| std::mem::take(&mut *pending.borrow_mut()));
            READY.with(|ready| ready.borrow_mut().extend(pending));
        }
        // Its rows are gone; the texts committed before still wait for a flush.
        (false, _) => forget_since(0),
    }
}

/// Indexes what a crash kept out of the index: the rows created since the last flush.
/// Run at open, before the writer starts. Texts indexed twice only repeat a match.
pub(crate) fn recover(conn: &Connection, now_ms: i64) -> Result<(), StoreError> {
    let through: i64 = conn.query_row("SELECT indexed_through FROM search_progress", [], |row| row.get(0))?;
    if through >= now_ms {
        return Ok(());
    }
    let since = u64::try_from(through).unwrap_or(0);
    let bound = |prefix: &str| format!("{prefix}{}", ulid::Ulid::from_parts(since, 0));
    let limit = i64::try_from(MAX_INDEXED_BYTES).unwrap_or(i64::MAX);
    let events = conn.execute(
        "INSERT INTO search_index (event_id, body) SELECT id, substr(payload, 1, ?2) FROM events WHERE id >= ?1",
        params![bound(EventId::PREFIX), limit],
    )?;
    let responses = conn.execute(
        "INSERT INTO search_index (event_id, body) \
         SELECT d.event_id, substr(CAST(a.response_body AS TEXT), 1, ?2) FROM attempts a \
         JOIN deliveries d ON d.id = a.delivery_id WHERE a.id >= ?1 AND length(a.response_body) > 0",
        params![bound(AttemptId::PREFIX), limit],
    )?;
    conn.execute("UPDATE search_progress SET indexed_through = ?1", [now_ms])?;
    if events + responses > 0 {
        tracing::info!(events, responses, "indexed for search what an unclean stop left out");
    }
    Ok(())
}

/// Turns what a person typed into an FTS5 query: every word must appear, as typed.
/// Quoting each word keeps FTS5 operators and punctuation from being a syntax error.
pub fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> =
        typed.split_whitespace().map(|word| format!("\"{}\"", word.replace('"', "\"\""))).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::temp_store;
    use super::super::{events, Store};
    use super::*;
    use crate::model::time::now_ms;
    use crate::model::EventStatus;

    fn matches(conn: &Connection, words: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = conn.prepare("SELECT event_id FROM search_index WHERE search_index MATCH ?1")?;
        let rows = stmt.query_map([fts_query(words)], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn add_event(store: &Store, payload: &'static str) -> EventId {
        let id = EventId::generate();
        let written = id.clone();
        store
            .write(move |conn| {
                events::insert(conn, &written, "order.created", payload, EventStatus::Unrouted, now_ms())?;
                index(conn, &written, payload)
            })
            .await
            .expect("write");
        id
    }

    /// Batched, yet never stale for a search: asking for a flush brings in what just committed,
    /// and a quiet writer flushes on its own within the interval.
    #[tokio::test]
    async fn the_index_catches_up_when_asked_and_when_quiet() {
        let (_dir, store) = temp_store();
        let asked = add_event(&store, r#"{"customer":"ada"}"#).await;
        store
            .write(|conn| {
                ask_flush(conn);
                Ok(())
            })
            .await
            .expect("flush");
        assert_eq!(store.read(|conn| matches(conn, "ada")).await.expect("read"), vec![asked.to_string()]);

        let quiet = add_event(&store, r#"{"customer":"grace"}"#).await;
        tokio::time::sleep(FLUSH_INTERVAL * 3).await;
        assert_eq!(store.read(|conn| matches(conn, "grace")).await.expect("read"), vec![quiet.to_string()]);
    }

    /// Rows committed after the last flush (their texts lost with the process) are indexed at the next open.
    #[tokio::test]
    async fn what_a_crash_kept_out_of_the_index_is_indexed_at_open() {
        let (dir, store) = temp_store();
        drop(store);
        let path = dir.path().join("hooky.db");
        let conn = Connection::open(&path).expect("open");
        let lost = EventId::generate();
        events::insert(&conn, &lost, "order.created", r#"{"customer":"hopper"}"#, EventStatus::Unrouted, now_ms())
            .expect("insert");
        assert!(matches(&conn, "hopper").expect("search").is_empty());
        drop(conn);

        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.read(|conn| matches(conn, "hopper")).await.expect("read"), vec![lost.to_string()]);
    }

    #[test]
    fn typed_words_become_quoted_terms() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("cus_42 paid").as_deref(), Some("\"cus_42\" \"paid\""));
        assert_eq!(fts_query(r#"a"b OR"#).as_deref(), Some("\"a\"\"b\" \"OR\""));
    }
}
