//! The SQLite store: one writer thread that group-commits, and a pool of readers.
//!
//! Writes are closures sent to the writer thread. It runs every job that is
//! waiting in one transaction, each inside its own savepoint, and answers the
//! callers only after COMMIT returns: a caller never hears "done" before its
//! rows are durable, yet many callers share one fsync.

pub mod attempts;
pub mod catchers;
pub mod caught_requests;
mod checkpoint;
pub mod deliveries;
pub mod demo_items;
pub mod endpoints;
pub mod events;
pub mod export;
pub mod idempotency;
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

use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

/// How many waiting write jobs share one transaction at most.
const MAX_JOBS_PER_COMMIT: usize = 512;
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

type Finish = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// Gets the connection inside an open transaction, or the reason none could be opened.
type WriteJob = Box<dyn FnOnce(Result<&Connection, &StoreError>) -> Finish + Send>;

#[derive(Clone)]
pub struct Store {
    writer: mpsc::Sender<WriteJob>,
    readers: r2d2::Pool<SqliteConnectionManager>,
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
        search::recover(&writer_conn, crate::model::time::now_ms())?;
        // Each write job runs in a savepoint. Past 64 KiB, SQLite moves a savepoint's journal to
        // a temporary file, and writing that file took a quarter of the writer's time under load.
        // Set after the migrations, so that building an index still sorts in files.
        writer_conn.pragma_update(None, "temp_store", "MEMORY")?;

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|conn| configure(conn));
        let readers = r2d2::Pool::builder().max_size(READERS).min_idle(Some(1)).build(manager)?;

        let nudge = checkpoint::start(path)?;
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("hooky-store-writer".into())
            .spawn(move || run_writer(writer_conn, receiver, &nudge))
            .map_err(|err| StoreError::Task(err.to_string()))?;
        Ok(Self { writer: sender, readers })
    }

    /// Runs `job` in the next group commit and returns its result once committed.
    pub async fn write<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let write_job: WriteJob = Box::new(move |conn| {
            let result = match conn {
                Ok(conn) => in_savepoint(conn, job),
                Err(err) => Err(StoreError::WriteFailed(err.to_string())),
            };
            Box::new(move |commit_error| {
                let outcome = match (result, commit_error) {
                    (Ok(value), None) => Ok(value),
                    (Ok(_), Some(err)) => Err(StoreError::WriteFailed(err.to_string())),
                    (Err(err), _) => Err(err),
                };
                let _ = reply.send(outcome);
            })
        });
        self.writer.send(write_job).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `job` on a pooled read-only connection off the async threads.
    pub async fn read<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get()?;
            job(&conn)
        })
        .await
        .map_err(|err| StoreError::Task(err.to_string()))?
    }
}

fn in_savepoint<R>(conn: &Connection, job: impl FnOnce(&Connection) -> Result<R, StoreError>) -> Result<R, StoreError> {
    // Cached statements: these run once per job, thousands of times a second.
    conn.prepare_cached("SAVEPOINT job")?.execute([])?;
    let queued_for_search = search::pending_len();
    match job(conn) {
        Ok(value) => {
            conn.prepare_cached("RELEASE job")?.execute([])?;
            Ok(value)
        }
        Err(err) => {
            // Undo only this job; the others in the batch still commit.
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            search::forget_since(queued_for_search);
            Err(err)
        }
    }
}

fn run_writer(conn: Connection, jobs: mpsc::Receiver<WriteJob>, nudge: &checkpoint::Nudge) {
    let mut batch = VecDeque::with_capacity(MAX_JOBS_PER_COMMIT);
    let mut last_flush = Instant::now();
    loop {
        // Queued search texts set a deadline: with no job by then, a transaction of its own flushes them.
        let first = match search::flush_deadline(last_flush) {
            Some(deadline) => match jobs.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(job) => Some(job),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match jobs.recv() {
                Ok(job) => Some(job),
                Err(_) => break,
            },
        };
        batch.extend(first);
        while batch.len() < MAX_JOBS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push_back(job),
                Err(_) => break,
            }
        }
        loop {
            if run_transaction(&conn, &mut batch, &mut last_flush) {
                nudge.committed();
            }
            if batch.is_empty() {
                break;
            }
        }
    }
    // Stopping: what is still queued goes into the index now.
    if search::flush_deadline(last_flush).is_some() {
        search::ask_flush(&conn);
        run_transaction(&conn, &mut batch, &mut last_flush);
    }
}

/// Runs jobs from the front of `pending` in one transaction and commits them, flushing the
/// search index in it when that is due. Returns whether it committed. If SQLite rolls the
/// whole transaction back by itself (e.g. on a full disk or an I/O error), the jobs run so
/// far are told it failed and the rest stay in `pending` for a new transaction: otherwise they
/// would commit one by one in autocommit while their callers hear of a failed commit.
fn run_transaction(conn: &Connection, pending: &mut VecDeque<WriteJob>, last_flush: &mut Instant) -> bool {
    // Cached: thousands of transactions a second would otherwise parse these each time.
    if let Err(err) = conn.prepare_cached("BEGIN IMMEDIATE").and_then(|mut begin| begin.execute([])) {
        let err = StoreError::from(err);
        tracing::error!(error = %err, "could not begin a write transaction");
        for job in pending.drain(..) {
            job(Err(&err))(None);
        }
        search::settled(false, false);
        return false;
    }
    let mut finishers: Vec<Finish> = Vec::with_capacity(pending.len());
    while let Some(job) = pending.pop_front() {
        finishers.push(job(Ok(conn)));
        if conn.is_autocommit() {
            let err = StoreError::WriteFailed("SQLite rolled the transaction back".into());
            tracing::error!(error = %err, "write transaction lost");
            search::settled(false, false);
            for finish in finishers {
                finish(Some(&err));
            }
            return false;
        }
    }
    let flushing = search::flush_due(*last_flush);
    let flushed = if flushing { search::flush(conn, crate::model::time::now_ms()) } else { Ok(()) };
    let commit_error = match flushed {
        Ok(()) => conn.prepare_cached("COMMIT").and_then(|mut commit| commit.execute([])).err().map(StoreError::from),
        Err(err) => Some(err),
    };
    if let Some(err) = &commit_error {
        tracing::error!(error = %err, "write transaction failed to commit");
        let _ = conn.execute_batch("ROLLBACK");
    }
    search::settled(commit_error.is_none(), flushing);
    if flushing {
        *last_flush = Instant::now();
    }
    for finish in finishers {
        finish(commit_error.as_ref());
    }
    commit_error.is_none()
}

#[cfg(test)]
#[allow(dead_code)] // a helper for store unit tests; none uses it yet
pub(crate) mod test_support {
    use super::*;

    pub fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("hooky.db")).expect("open store");
        (dir, store)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::temp_store;
    use super::*;

    /// A transaction SQLite abandons mid-batch (simulated by a job that ends it) fails the jobs
    /// run in it, and the jobs after it commit in a fresh transaction and hear success.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_after_a_lost_transaction_commit_on_their_own() {
        let (_dir, store) = temp_store();
        // Holds the writer so that the next two jobs queue up and run in one batch.
        let (started, running) = std::sync::mpsc::channel();
        let holder = store.clone();
        let hold = tokio::spawn(async move {
            holder
                .write(move |_| {
                    let _ = started.send(());
                    std::thread::sleep(std::time::Duration::from_millis(300));
                    Ok(())
                })
                .await
        });
        tokio::task::spawn_blocking(move || running.recv()).await.expect("join").expect("the holding job runs");
        let lost = store.write(|conn| {
            settings::put(conn, "lost", Some(&1.into()), 1)?;
            conn.execute_batch("ROLLBACK")?;
            Ok(())
        });
        let after = store.write(|conn| settings::put(conn, "after", Some(&2.into()), 1));
        let (lost, after) = tokio::join!(lost, after);
        hold.await.expect("join").expect("the first batch commits");
        assert!(lost.is_err(), "the job whose transaction vanished must hear it failed");
        after.expect("the next job commits in a new transaction");
        let stored = store.read(settings::all).await.expect("read");
        assert!(!stored.contains_key("lost"));
        assert_eq!(stored.get("after"), Some(&2.into()));
    }
}
