//! The search indexer: a thread that writes the full-text index, kept in a database file of
//! its own beside the main one.
//!
//! FTS5 spends much more per text than the rows it indexes cost, and in the main file that
//! work held the one write lock every trigger and attempt waits on. In a file of its own the
//! index is written beside the writer, never in its way; the writer hands it the texts of
//! committed rows in batches (see `search`). The index is derived data: what a crash keeps
//! out of it is indexed again from the main file at the next start, and a lost file is
//! rebuilt whole.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::{params, Connection};
use tokio::sync::oneshot;

use super::search::MAX_INDEXED_BYTES;
use super::StoreError;
use crate::ids::{AttemptId, EventId};

/// Batches waiting for the indexer at most. When it falls this far behind (each batch is at
/// most a few MiB of text), the writer waits for it rather than queue text without bound.
const QUEUE_DEPTH: usize = 8;

/// Rows indexed per transaction while catching up at start, so batches are not held up long.
const CATCH_UP_CHUNK: u32 = 2_000;

/// The indexer connection's page cache, in KiB.
const INDEX_CACHE_KIB: i64 = 512;

/// The texts of committed rows, in commit order.
pub(super) struct Batch {
    pub texts: Vec<(String, String)>,
    /// Every row committed before this time (unix ms) is in this batch or an earlier one.
    pub complete_before_ms: i64,
    /// Answered once the batch is in the index.
    pub flushed: Vec<oneshot::Sender<()>>,
}

pub(super) type IndexJob = Box<dyn FnOnce(&Connection) + Send>;

pub(super) enum Message {
    Batch(Batch),
    /// Runs on the indexer's connection, where the main file is attached read-only.
    Run(IndexJob),
    /// Wakes the indexer to see that the store is closing.
    Stop,
}

/// The index file beside the database at `db`: `hooky.db` → `hooky-search.db`.
pub fn index_path(db: &Path) -> PathBuf {
    let stem = db.file_stem().map_or_else(|| "hooky".into(), |stem| stem.to_string_lossy().into_owned());
    db.with_file_name(format!("{stem}-search.db"))
}

/// The ids of the events with a text that matches an FTS5 query (the one `?`), as a subquery.
/// The index keeps no copy of the texts (`content=''`): `search_rows` maps its rows to events.
pub const MATCHING_EVENT_IDS: &str =
    "SELECT event_id FROM search_rows WHERE id IN (SELECT rowid FROM search_index WHERE search_index MATCH ?)";

/// Creates the index schema if the file has none yet, or one this version does not know.
fn create_schema(conn: &Connection) -> Result<(), StoreError> {
    let exists: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'search_rows')", [], |row| row.get(0))?;
    if exists {
        return Ok(());
    }
    conn.execute_batch(
        "BEGIN;
         DROP TABLE IF EXISTS search_index;
         DROP TABLE IF EXISTS search_progress;
         -- One row per indexed text: which event it belongs to.
         CREATE TABLE search_rows (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL) STRICT;
         -- Contentless: the texts live in the main file, so the index stores only its postings.
         CREATE VIRTUAL TABLE search_index USING fts5 (
             body,
             content = '',
             contentless_delete = 1,
             tokenize = 'unicode61 remove_diacritics 2'
         );
         -- FTS5 merges a level's segments once it holds this many (4 by default). Each merge
         -- rewrites their postings, so merging by eights rewrites each text fewer times.
         INSERT INTO search_index (search_index, rank) VALUES ('automerge', 8);
         -- A row of the main file created at or after this time (unix ms) may be missing here.
         CREATE TABLE search_progress (indexed_through INTEGER NOT NULL) STRICT;
         INSERT INTO search_progress (indexed_through) VALUES (0);
         COMMIT;",
    )?;
    Ok(())
}

/// Adds one text of an event to the index.
pub(super) fn insert_text(conn: &Connection, event_id: &str, text: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO search_rows (event_id) VALUES (?1)")?.execute([event_id])?;
    let row = conn.last_insert_rowid();
    conn.prepare_cached("INSERT INTO search_index (rowid, body) VALUES (?1, ?2)")?.execute(params![row, text])?;
    Ok(())
}

/// Attaches the index file to a connection of the main file (read-only if the connection is).
pub(super) fn attach(conn: &Connection, db: &Path) -> rusqlite::Result<()> {
    conn.execute("ATTACH DATABASE ?1 AS search", [index_path(db).to_string_lossy()])?;
    Ok(())
}

/// The running indexer.
pub(super) struct Indexer {
    pub queue: SyncSender<Message>,
    /// Set when the store closes: the indexer then ends after the transaction it is in, and
    /// leaves what is queued, and any catching up, to the next start. A desktop quit after a
    /// burst would otherwise wait for seconds of indexing.
    pub closing: Arc<AtomicBool>,
    /// Gives the connection back, to be checkpointed last (see `closing`).
    pub thread: JoinHandle<Connection>,
}

/// Opens the index file (creating it) and starts the indexer. Rows of the main file created
/// from `writes_from_ms` on reach it as batches; older ones it catches up on.
pub(super) fn start(db: &Path, writes_from_ms: i64) -> Result<Indexer, StoreError> {
    let conn = Connection::open(index_path(db))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // SQLite's default cache (2 MB) filled up over a long run and held memory for pages the OS
    // caches anyway; ingest measured the same with this one (negative: KiB).
    conn.pragma_update(None, "cache_size", -INDEX_CACHE_KIB)?;
    create_schema(&conn)?;
    // Read-only, for catching up and for sweeping rows of deleted events.
    conn.execute(
        "ATTACH DATABASE ?1 AS app",
        [format!("file:{}?mode=ro", db.to_string_lossy().replace('%', "%25").replace('?', "%3f").replace('#', "%23"))],
    )?;
    let (sender, queue) = std::sync::mpsc::sync_channel(QUEUE_DEPTH);
    let closing = Arc::new(AtomicBool::new(false));
    let closed = closing.clone();
    let thread = std::thread::Builder::new()
        .name("hooky-indexer".into())
        .spawn(move || {
            run(&conn, &queue, writes_from_ms, &closed);
            conn
        })
        .map_err(|err| StoreError::Task(err.to_string()))?;
    Ok(Indexer { queue: sender, closing, thread })
}

/// Runs until the store closes or every sender is gone. Rows it leaves unindexed stay past the
/// recorded progress, so the next start reads them back.
fn run(conn: &Connection, queue: &Receiver<Message>, writes_from_ms: i64, closing: &AtomicBool) {
    // Once texts are lost, the recorded progress stays where it was, so the next start
    // reads them back from the main file.
    let mut lost = false;
    let mut catch_up = match CatchUp::start(conn, writes_from_ms) {
        Ok(catch_up) => Some(catch_up),
        Err(err) => {
            tracing::error!(error = %err, "the search index cannot tell how far it reaches; it catches up at the next start");
            lost = true;
            None
        }
    };
    // Barriers that asked while catching up: a search must see every committed row.
    let mut held: Vec<oneshot::Sender<()>> = Vec::new();
    let mut complete_before_ms = writes_from_ms;
    while !closing.load(Ordering::Acquire) {
        let message = if let Some(progress) = &mut catch_up {
            match progress.step(conn) {
                Ok(true) => {}
                Ok(false) => {
                    catch_up = None;
                    record_progress(conn, complete_before_ms);
                    release(&mut held);
                }
                Err(err) => {
                    tracing::error!(error = %err, "catching up on the search index failed; it tries again at the next start");
                    catch_up = None;
                    lost = true;
                    release(&mut held);
                }
            }
            match queue.try_recv() {
                Ok(message) => message,
                Err(TryRecvError::Empty) => continue,
                Err(TryRecvError::Disconnected) => return,
            }
        } else {
            match queue.recv() {
                Ok(message) => message,
                Err(_) => return,
            }
        };
        match message {
            Message::Stop => {}
            Message::Run(job) => job(conn),
            // Closing: left to the next start.
            Message::Batch(_) if closing.load(Ordering::Acquire) => {}
            Message::Batch(first) => {
                // Whatever else is queued goes into the same transaction; jobs run after it.
                let mut batches = vec![first];
                let mut jobs = Vec::new();
                while batches.len() < QUEUE_DEPTH {
                    match queue.try_recv() {
                        Ok(Message::Batch(batch)) => batches.push(batch),
                        Ok(Message::Run(job)) => jobs.push(job),
                        Ok(Message::Stop) | Err(_) => break,
                    }
                }
                complete_before_ms = batches.iter().map(|b| b.complete_before_ms).max().unwrap_or(complete_before_ms);
                // While catching up, the mark must not pass rows not yet read back.
                let mark = (catch_up.is_none() && !lost).then_some(complete_before_ms);
                if let Err(err) = write_texts(conn, batches.iter().flat_map(|b| &b.texts), mark) {
                    tracing::error!(error = %err, "could not write the search index; the next start catches up");
                    lost = true;
                }
                for flushed in batches.into_iter().flat_map(|b| b.flushed) {
                    if catch_up.is_some() {
                        held.push(flushed);
                    } else {
                        let _ = flushed.send(());
                    }
                }
                jobs.into_iter().for_each(|job| job(conn));
            }
        }
    }
}

/// Answers the searches held while catching up.
fn release(held: &mut Vec<oneshot::Sender<()>>) {
    for flushed in held.drain(..) {
        let _ = flushed.send(());
    }
}

/// Indexes `texts` in one transaction, recording `mark` as how far the index is complete.
fn write_texts<'a>(
    conn: &Connection,
    texts: impl IntoIterator<Item = &'a (String, String)>,
    mark: Option<i64>,
) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let written = (|| {
        for (event_id, text) in texts {
            insert_text(conn, event_id, text)?;
        }
        if let Some(mark) = mark {
            set_progress(conn, mark)?;
        }
        Ok::<_, StoreError>(())
    })();
    match written {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(err)
        }
    }
}

fn set_progress(conn: &Connection, mark: i64) -> Result<(), StoreError> {
    // Never backwards: a second engine on the same file (or a bench generator) may have gone further.
    conn.prepare_cached("UPDATE search_progress SET indexed_through = MAX(indexed_through, ?1)")?.execute([mark])?;
    Ok(())
}

fn record_progress(conn: &Connection, mark: i64) {
    if let Err(err) = set_progress(conn, mark) {
        tracing::error!(error = %err, "could not record how far the search index reaches");
    }
}

/// Reading back the rows of the main file created since the index was last known complete,
/// up to the start of this run: rows from then on reach the indexer in batches, and reading
/// them back too would index them twice.
struct CatchUp {
    events_from: String,
    attempts_from: String,
    events_before: String,
    attempts_before: String,
    indexed: u64,
}

impl CatchUp {
    fn start(conn: &Connection, writes_from_ms: i64) -> Result<Self, StoreError> {
        let through: i64 = conn.query_row("SELECT indexed_through FROM search_progress", [], |row| row.get(0))?;
        // Ids are ULIDs, so they sort by the time they were made.
        let bound =
            |prefix: &str, ms: i64| format!("{prefix}{}", ulid::Ulid::from_parts(u64::try_from(ms).unwrap_or(0), 0));
        Ok(Self {
            events_from: bound(EventId::PREFIX, through),
            attempts_from: bound(AttemptId::PREFIX, through),
            events_before: bound(EventId::PREFIX, writes_from_ms),
            attempts_before: bound(AttemptId::PREFIX, writes_from_ms),
            indexed: 0,
        })
    }

    /// Indexes one chunk; false once nothing is left.
    fn step(&mut self, conn: &Connection) -> Result<bool, StoreError> {
        let limit = i64::try_from(MAX_INDEXED_BYTES).unwrap_or(i64::MAX);
        let (sql, from, before) = if !self.events_from.is_empty() {
            (
                concat!(
                    "SELECT e.id, e.id, substr(",
                    super::events::event_payload_sql!("app."),
                    ", 1, ?2) FROM app.events e WHERE e.id >= ?1 AND e.id < ?4 ORDER BY e.id LIMIT ?3"
                ),
                &mut self.events_from,
                &self.events_before,
            )
        } else {
            (
                "SELECT a.id, d.event_id, substr(CAST(a.response_body AS TEXT), 1, ?2) FROM app.attempts a \
                 JOIN app.deliveries d ON d.id = a.delivery_id \
                 WHERE a.id >= ?1 AND a.id < ?4 AND length(a.response_body) > 0 ORDER BY a.id LIMIT ?3",
                &mut self.attempts_from,
                &self.attempts_before,
            )
        };
        let rows: Vec<(String, String, Option<String>)> = {
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt.query_map(params![&*from, limit, CATCH_UP_CHUNK, before], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let texts: Vec<(String, String)> = rows
            .iter()
            .filter_map(|(_, event_id, text)| {
                text.as_ref().filter(|t| !t.trim().is_empty()).map(|t| (event_id.clone(), t.clone()))
            })
            .collect();
        self.indexed += texts.len() as u64;
        write_texts(conn, &texts, None)?;
        let done_with_this_table = rows.len() < CATCH_UP_CHUNK as usize;
        match rows.last() {
            // The next chunk starts just after the last id read.
            Some((last, _, _)) if !done_with_this_table => *from = format!("{last}\u{0}"),
            _ => from.clear(),
        }
        let finished = self.events_from.is_empty() && self.attempts_from.is_empty();
        if finished && self.indexed > 0 {
            tracing::info!(texts = self.indexed, "indexed for search what the last run left out");
        }
        Ok(!finished)
    }
}
