//! Full-text search (FTS5) over payloads and response bodies: the writer's side.
//!
//! Write jobs queue the texts of the rows they add. Once their transaction commits, the
//! texts wait on the writer thread and go to the indexer (see `indexer`) in batches, a few
//! times a second or as soon as a search asks, so a search always sees every committed row.

use std::cell::{Cell, RefCell};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::indexer::{Batch, Message};
use super::StoreError;
use crate::ids::EventId;

/// How much of one text is indexed; enough for any realistic webhook.
pub(super) const MAX_INDEXED_BYTES: usize = 64 * 1024;

/// Texts wait this long at most before they go to the indexer.
const FLUSH_INTERVAL: Duration = Duration::from_millis(250);
/// Or as soon as this many are waiting, or this many bytes of them.
const FLUSH_COUNT: usize = 4096;
const FLUSH_BYTES: usize = 4 * 1024 * 1024;

thread_local! {
    /// Texts queued by the write jobs of the transaction in progress (on the writer thread).
    static PENDING: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    /// Texts whose rows are committed but not yet handed to the indexer.
    static READY: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    /// The bytes of text in both queues.
    static QUEUED_BYTES: Cell<usize> = const { Cell::new(0) };
    /// Searches of the transaction in progress waiting for the index to hold every committed row.
    static ASKED: RefCell<Vec<oneshot::Sender<()>>> = const { RefCell::new(Vec::new()) };
}

/// Queues a text for the index; it is indexed after its transaction commits. FTS5 costs
/// far more per text than the row it indexes, so the index is written by another thread into
/// a file of its own, in batches.
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

/// Resolves once the index holds every row committed before the job that asked.
pub struct Flushed(oneshot::Receiver<()>);

impl Flushed {
    pub async fn wait(self) {
        // A dropped answer means the indexer stopped; the search then runs on what it has.
        let _ = self.0.await;
    }
}

/// Asks, from a write job, for the index to catch up once the job's transaction commits.
pub fn ask_flush(_conn: &Connection) -> Flushed {
    let (flushed, wait) = oneshot::channel();
    ASKED.with(|asked| asked.borrow_mut().push(flushed));
    Flushed(wait)
}

/// How many texts are queued; a job that fails drops what it queued with [`forget_since`].
pub(super) fn pending_len() -> usize {
    PENDING.with(|pending| pending.borrow().len())
}

pub(super) fn forget_since(mark: usize) {
    let forgotten: usize = PENDING.with(|pending| pending.borrow_mut().drain(mark..).map(|(_, text)| text.len()).sum());
    QUEUED_BYTES.with(|bytes| bytes.set(bytes.get().saturating_sub(forgotten)));
}

/// When the writer should hand texts over next, with no transaction to wait for: None while none wait.
pub(super) fn flush_deadline(last_flush: Instant) -> Option<Instant> {
    (READY.with(|ready| ready.borrow().len()) > 0).then(|| last_flush + FLUSH_INTERVAL)
}

/// The transaction did not commit: what it queued is dropped, and the searches that asked in it
/// hear of the failure from their write.
pub(super) fn dropped() {
    forget_since(0);
    ASKED.with(|asked| asked.borrow_mut().clear());
}

/// The transaction committed: what it queued is ready, and the ready texts go to the indexer
/// when that is due. Returns whether they went.
pub(super) fn committed(indexer: &SyncSender<Message>, last_flush: Instant) -> bool {
    let pending = PENDING.with(|pending| std::mem::take(&mut *pending.borrow_mut()));
    READY.with(|ready| ready.borrow_mut().extend(pending));
    let waiting = READY.with(|ready| ready.borrow().len());
    let due = ASKED.with(|asked| !asked.borrow().is_empty())
        || waiting >= FLUSH_COUNT
        || QUEUED_BYTES.with(Cell::get) >= FLUSH_BYTES
        || (waiting > 0 && last_flush.elapsed() >= FLUSH_INTERVAL);
    if due {
        hand_off(indexer);
    }
    due
}

/// Sends every ready text to the indexer. Blocks while the indexer is far behind.
pub(super) fn hand_off(indexer: &SyncSender<Message>) {
    let texts = READY.with(|ready| std::mem::take(&mut *ready.borrow_mut()));
    QUEUED_BYTES.with(|bytes| bytes.set(0));
    let flushed = ASKED.with(|asked| std::mem::take(&mut *asked.borrow_mut()));
    // Taken after the commit: every row committed later gets an id at or after this time.
    let complete_before_ms = crate::model::time::now_ms();
    if indexer.send(Message::Batch(Batch { texts, complete_before_ms, flushed })).is_err() {
        tracing::error!("the search indexer stopped; the next start indexes what it missed");
    }
}

/// Turns what a person typed into an FTS5 query: every word must appear, as typed.
/// Quoting each word keeps FTS5 operators and punctuation from being a syntax error. A NUL
/// separates words too: FTS5 reads the query as a C string, so a NUL inside a quoted word
/// would end the query there ("unterminated string").
pub fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed
        .split(|c: char| c.is_whitespace() || c == '\0')
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        add_indexed_event as add_event, flush_search, search_matches as matches, temp_store,
    };
    use super::super::{events, Store};
    use super::*;
    use crate::model::time::now_ms;
    use crate::model::EventStatus;

    /// Batched, yet never stale for a search: asking for a flush brings in what just committed,
    /// and a quiet writer flushes on its own within the interval.
    #[tokio::test]
    async fn the_index_catches_up_when_asked_and_when_quiet() {
        let (_dir, store) = temp_store();
        let asked = add_event(&store, r#"{"customer":"ada"}"#).await;
        flush_search(&store).await;
        assert_eq!(store.read(|conn| matches(conn, "ada")).await.expect("read"), vec![asked.to_string()]);

        let quiet = add_event(&store, r#"{"customer":"grace"}"#).await;
        tokio::time::sleep(FLUSH_INTERVAL * 3).await;
        assert_eq!(store.read(|conn| matches(conn, "grace")).await.expect("read"), vec![quiet.to_string()]);
    }

    /// Rows committed after the last hand-off (their texts lost with the process) are indexed
    /// after the next open, and a search made meanwhile waits for them.
    #[tokio::test]
    async fn what_a_crash_kept_out_of_the_index_is_indexed_at_open() {
        let (dir, store) = temp_store();
        store.close();
        let path = dir.path().join("hooky.db");
        let conn = Connection::open(&path).expect("open");
        super::super::indexer::attach(&conn, &path).expect("attach the index");
        let lost = EventId::generate();
        events::insert(&conn, &lost, "order.created", r#"{"customer":"hopper"}"#, EventStatus::Unrouted, now_ms())
            .expect("insert");
        // And an attempt whose response body names another word.
        conn.execute_batch(&format!(
            "INSERT INTO deliveries (id, event_id, endpoint_id, status, created_at, updated_at) \
             VALUES ('dlv_1', '{lost}', 'ep_x', 'succeeded', 0, 0);
             INSERT INTO attempts (id, delivery_id, number, trigger, succeeded, started_at, duration_ms, \
             request_url, request_headers, response_body) VALUES ('{}', 'dlv_1', 1, 'automatic', 1, 0, 1, \
             'http://h/', '{{}}', CAST('thanks from turing' AS BLOB));",
            crate::ids::AttemptId::generate()
        ))
        .expect("an attempt");
        assert!(matches(&conn, "hopper").expect("search").is_empty());
        drop(conn);

        let store = Store::open(&path).expect("reopen");
        flush_search(&store).await;
        assert_eq!(store.read(|conn| matches(conn, "hopper")).await.expect("read"), vec![lost.to_string()]);
        assert_eq!(store.read(|conn| matches(conn, "turing")).await.expect("read"), vec![lost.to_string()]);
    }

    /// The index is derived data in a file of its own: without that file, the next start
    /// builds it again from the events and the attempts' response bodies.
    #[tokio::test]
    async fn a_lost_index_file_is_built_again() {
        let (dir, store) = temp_store();
        let path = dir.path().join("hooky.db");
        let ids =
            [add_event(&store, r#"{"customer":"lovelace"}"#).await, add_event(&store, r#"{"n":"lovelace"}"#).await];
        flush_search(&store).await;
        store.close();
        std::fs::remove_file(super::super::index_path(&path)).expect("remove the index file");

        let store = Store::open(&path).expect("reopen");
        flush_search(&store).await;
        let mut found = store.read(|conn| matches(conn, "lovelace")).await.expect("read");
        found.sort();
        let mut expected: Vec<String> = ids.iter().map(ToString::to_string).collect();
        expected.sort();
        assert_eq!(found, expected);
    }

    /// The index merges by eights (see `indexer`), and a search still reads every segment
    /// left unmerged: here twenty flushes, each a segment of its own.
    #[tokio::test]
    async fn a_search_finds_texts_across_many_unmerged_segments() {
        let (_dir, store) = temp_store();
        let merge_by: i64 = store
            .read(|conn| {
                Ok(conn.query_row("SELECT v FROM search_index_config WHERE k = 'automerge'", [], |r| r.get(0))?)
            })
            .await
            .expect("read the index configuration");
        assert_eq!(merge_by, 8);
        let mut ids = Vec::new();
        for n in 0..20 {
            let payload: &'static str = format!(r#"{{"batch":"shared","n":"item{n}"}}"#).leak();
            ids.push(add_event(&store, payload).await.to_string());
            flush_search(&store).await;
        }
        let mut found = store.read(|conn| matches(conn, "shared")).await.expect("read");
        found.sort();
        ids.sort();
        assert_eq!(found, ids);
        assert_eq!(store.read(|conn| matches(conn, "item13")).await.expect("read").len(), 1);
    }

    /// After clearing everything, the index's row numbers start over: texts indexed then are
    /// found, and the swept ones under the same numbers are not.
    #[tokio::test]
    async fn texts_indexed_after_a_clear_are_found_and_the_swept_ones_are_not() {
        use super::super::retention::{delete_oldest, sweep_search_index};
        let (_dir, store) = temp_store();
        add_event(&store, r#"{"word":"curie","old":"yes"}"#).await;
        add_event(&store, r#"{"word":"curie","old":"yes"}"#).await;
        flush_search(&store).await;
        store.write(|conn| delete_oldest(conn, "evt_Z", true, 100)).await.expect("clear");
        store
            .write_search(|conn| {
                let mut after = 0;
                while let Some(last) = sweep_search_index(conn, after, 10)? {
                    after = last;
                }
                Ok(())
            })
            .await
            .expect("sweep");
        let fresh = add_event(&store, r#"{"word":"curie"}"#).await;
        flush_search(&store).await;
        assert_eq!(store.read(|conn| matches(conn, "curie")).await.expect("read"), vec![fresh.to_string()]);
        assert!(store.read(|conn| matches(conn, "old")).await.expect("read").is_empty());
    }

    #[test]
    fn typed_words_become_quoted_terms() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("cus_42 paid").as_deref(), Some("\"cus_42\" \"paid\""));
        assert_eq!(fts_query(r#"a"b OR"#).as_deref(), Some("\"a\"\"b\" \"OR\""));
        assert_eq!(fts_query("a\0b").as_deref(), Some("\"a\" \"b\""));
        assert_eq!(fts_query("\0"), None);
    }

    /// Found by Schemathesis: `q=a%00b` was a 500 ("unterminated string").
    #[tokio::test]
    async fn a_nul_in_the_typed_words_is_a_separator_not_an_error() {
        let (_dir, store) = temp_store();
        let id = add_event(&store, r#"{"customer":"ada","city":"paris"}"#).await;
        flush_search(&store).await;
        let found = store.read(|conn| matches(conn, "ada\0paris")).await.expect("a NUL does not break the query");
        assert_eq!(found, vec![id.to_string()]);
    }
}
