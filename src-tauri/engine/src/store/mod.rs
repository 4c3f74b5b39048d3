//! The SQLite store: one writer thread that group-commits, and a pool of readers.
//!
//! Writes are closures sent to the writer thread. It runs every job that is
//! waiting in one transaction, each inside a savepoint (its own, or one shared by
//! a group of frequent small jobs; see `writer`), and answers the callers only
//! after COMMIT returns: a caller never hears "done" before its rows are durable,
//! yet many callers share one fsync.

pub mod attempts;
pub mod catchers;
pub mod caught_requests;
mod checkpoint;
mod closing;
pub mod deliveries;
pub mod demo_items;
pub mod endpoints;
pub mod events;
pub mod export;
pub mod idempotency;
mod indexer;
mod migrations;
#[cfg(test)]
mod query_plans;
pub mod replay;
pub mod retention;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod stats;
pub mod synthetic;
mod writer;

use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use closing::{Readers, Threads};
pub use indexer::index_path;
use writer::{run_writer, Command, Finish, Isolation, RunJob, WriteJob};

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READERS: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("stored JSON is malformed: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the database schema is version {found}, newer than this Hooky knows ({known}); upgrade Hooky")]
    SchemaTooNew { found: usize, known: usize },
    /// BEGIN or COMMIT failed, so nothing in the transaction was stored.
    #[error("the database cannot take writes: {0}")]
    WriteFailed(String),
    #[error("the store is shut down")]
    Closed,
    #[error("a database task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// Errors that say the disk or the database file cannot take writes right now.
    pub fn is_unavailable(&self) -> bool {
        use rusqlite::ErrorCode::*;
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(err, _)) => matches!(
                err.code,
                DiskFull | ReadOnly | DatabaseBusy | DatabaseLocked | CannotOpen | SystemIoFailure | PermissionDenied
            ),
            Self::Pool(_) | Self::Closed | Self::WriteFailed(_) => true,
            _ => false,
        }
    }
}

/// A handle to the store; cheap to clone. The threads end and the files close once every
/// handle is dropped, or at once on [`Store::close`].
#[derive(Clone)]
pub struct Store {
    writer: mpsc::Sender<Command>,
    /// The search indexer's queue, for jobs on the index file (see `indexer`).
    indexer: mpsc::SyncSender<indexer::Message>,
    shared: Arc<Shared>,
}

struct Shared {
    readers: Readers,
    /// Taken by the first [`Store::close`].
    threads: Mutex<Option<Threads>>,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // WAL with synchronous=NORMAL: a commit survives a process crash (not a power cut),
    // which is the durability a local tool needs at a fraction of the fsyncs.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

impl Store {
    /// Opens (or creates) the database, migrates it and starts the writer thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut writer_conn = Connection::open(path)?;
        writer_conn.pragma_update(None, "journal_mode", "WAL")?;
        configure(&writer_conn)?;
        // Checkpoints run on their own thread (see `checkpoint`), not inside a commit.
        writer_conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        migrations::migrate(&mut writer_conn)?;
        secrets::fill_missing(&writer_conn, crate::model::time::now_ms())?;
        // Before the writer starts: every row committed from now on reaches the indexer in a batch.
        let indexer::Indexer { queue: indexer, closing: indexer_closing, thread: indexer_thread } =
            indexer::start(path, crate::model::time::now_ms())?;
        // Each write job runs in a savepoint. Past 64 KiB, SQLite moves a savepoint's journal to
        // a temporary file, and writing that file took a quarter of the writer's time under load.
        // Set after the migrations, so that building an index still sorts in files.
        writer_conn.pragma_update(None, "temp_store", "MEMORY")?;

        let db = path.to_path_buf();
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(move |conn| {
                configure(conn)?;
                // Read-only like the connection: searches join the index to the events.
                indexer::attach(conn, &db)
            });
        let readers = r2d2::Pool::builder().max_size(READERS).min_idle(Some(1)).build(manager)?;

        let (nudge, checkpoint_thread) = checkpoint::start(path)?;
        let (sender, receiver) = mpsc::channel();
        let writer_indexer = indexer.clone();
        let writer_thread = std::thread::Builder::new()
            .name("hooky-store-writer".into())
            .spawn(move || run_writer(writer_conn, receiver, nudge, &writer_indexer))
            .map_err(|err| StoreError::Task(err.to_string()))?;
        let threads =
            Threads { writer: writer_thread, indexer: indexer_thread, indexer_closing, checkpoint: checkpoint_thread };
        let shared = Arc::new(Shared { readers: Readers::new(readers), threads: Mutex::new(Some(threads)) });
        Ok(Self { writer: sender, indexer, shared })
    }

    /// Commits the jobs sent so far, stops the store's threads and closes its connections, on
    /// every handle: later reads and writes fail with [`StoreError::Closed`]. Blocks until done.
    pub fn close(&self) {
        closing::close(&self.shared.threads, &self.writer, &self.indexer, &self.shared.readers);
    }

    /// Runs `job` in the next group commit and returns its result once committed.
    pub async fn write<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.submit(Isolation::Alone, false, job, |_: &R| {}).await
    }

    /// [`Store::write`] for frequent jobs that fail only when the database does: it shares a
    /// savepoint with the grouped jobs queued beside it, so if it fails they fail too.
    pub async fn write_grouped<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.submit(Isolation::Grouped, false, job, |_: &R| {}).await
    }

    /// [`Store::write_grouped`] for a job someone outside waits on (a trigger's caller, for its
    /// answer): it commits ahead of the grouped jobs that arrived with it. `committed` runs on
    /// the writer thread once the transaction has committed, before the caller hears; jobs commit
    /// in the order they ran, so what it does (announce a new event) happens in that order too,
    /// whichever caller's task runs first afterwards.
    pub async fn write_grouped_first<R, F, C>(&self, job: F, committed: C) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
        C: FnOnce(&R) + Send + 'static,
    {
        self.submit(Isolation::Grouped, true, job, committed).await
    }

    async fn submit<R, F, C>(&self, isolation: Isolation, first: bool, job: F, committed: C) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
        C: FnOnce(&R) + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let run: RunJob = Box::new(move |conn| {
            // The writer keeps it apart from the other jobs by `isolation`.
            let result = match conn {
                Ok(conn) => job(conn),
                Err(err) => Err(StoreError::WriteFailed(err.to_string())),
            };
            let succeeded = result.is_ok();
            let finish: Finish = Box::new(move |commit_error| {
                let outcome = match (result, commit_error) {
                    (Ok(value), None) => {
                        committed(&value);
                        Ok(value)
                    }
                    (Ok(_), Some(err)) => Err(StoreError::WriteFailed(err.to_string())),
                    (Err(err), _) => Err(err),
                };
                let _ = reply.send(outcome);
            });
            (finish, succeeded)
        });
        self.writer.send(Command::Write(WriteJob { isolation, first, run })).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `job` on the search indexer's connection, between its batches: its main database
    /// is the index file, and the main file is attached read-only as `app`.
    pub async fn write_search<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let indexer = self.indexer.clone();
        let run: indexer::IndexJob = Box::new(move |conn| drop(reply.send(job(conn))));
        // The queue is bounded, and waits while the indexer is far behind.
        tokio::task::spawn_blocking(move || indexer.send(indexer::Message::Run(run)))
            .await
            .map_err(|err| StoreError::Task(err.to_string()))?
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `job` on a pooled read-only connection off the async threads.
    pub async fn read<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let pool = self.shared.readers.get()?;
        tokio::task::spawn_blocking(move || {
            let conn = pool.get()?;
            job(&conn)
        })
        .await
        .map_err(|err| StoreError::Task(err.to_string()))?
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("hooky.db")).expect("open store");
        (dir, store)
    }

    /// An endpoint made as the API makes one, from its JSON input.
    pub fn endpoint_from(input: serde_json::Value) -> crate::model::Endpoint {
        let input: crate::model::EndpointIn = serde_json::from_value(input).expect("endpoint input");
        crate::model::Endpoint::create(input, chrono::Utc::now()).expect("endpoint")
    }

    /// Stores `endpoint` and `count` events, each with one delivery to it due at `due_at_ms`.
    pub async fn store_due(store: &Store, endpoint: crate::model::Endpoint, count: usize, due_at_ms: i64) {
        use crate::ids::{DeliveryId, EventId};
        store
            .write(move |conn| {
                endpoints::insert(conn, &endpoint)?;
                for _ in 0..count {
                    let event = EventId::generate();
                    events::insert(conn, &event, "order.created", "{}", crate::model::EventStatus::Pending, due_at_ms)?;
                    deliveries::insert(conn, &DeliveryId::generate(), &event, &endpoint.id, due_at_ms)?;
                }
                Ok(())
            })
            .await
            .expect("store the due deliveries");
    }

    /// Keeps the writer busy for `duration` from the moment this returns, so the jobs sent
    /// meanwhile queue up behind it. The handle answers once the holding job commits.
    pub async fn hold_writer(store: &Store, duration: Duration) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        hold(store, duration, false).await
    }

    /// [`hold_writer`] for the search indexer.
    pub async fn hold_indexer(store: &Store, duration: Duration) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        hold(store, duration, true).await
    }

    async fn hold(store: &Store, duration: Duration, indexer: bool) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        let (started, running) = std::sync::mpsc::channel();
        let holder = store.clone();
        let hold = tokio::spawn(async move {
            let job = move |_: &Connection| {
                let _ = started.send(());
                std::thread::sleep(duration);
                Ok(())
            };
            if indexer {
                holder.write_search(job).await
            } else {
                holder.write(job).await
            }
        });
        tokio::task::spawn_blocking(move || running.recv()).await.expect("join").expect("the holding job runs");
        hold
    }

    /// Stores an event with its payload queued for the search index, as a trigger does.
    pub async fn add_indexed_event(store: &Store, payload: &'static str) -> crate::ids::EventId {
        let id = crate::ids::EventId::generate();
        let written = id.clone();
        store
            .write(move |conn| {
                let now = crate::model::time::now_ms();
                events::insert(conn, &written, "order.created", payload, crate::model::EventStatus::Unrouted, now)?;
                search::index(conn, &written, payload)
            })
            .await
            .expect("write");
        id
    }

    /// Waits until every row committed so far is in the search index, as a search does.
    pub async fn flush_search(store: &Store) {
        store.write(|conn| Ok(search::ask_flush(conn))).await.expect("flush").wait().await;
    }

    /// The ids of the events whose indexed texts hold every typed word, as a search finds them.
    pub fn search_matches(conn: &Connection, words: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = conn.prepare(indexer::MATCHING_EVENT_IDS)?;
        let rows = stmt.query_map([search::fts_query(words)], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
