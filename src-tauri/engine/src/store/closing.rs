//! Closing the store: its threads finish what they were sent and end, and every connection
//! closes, so a stopped engine keeps no file of its data dir open and `hooky.db` holds all its
//! data. Without this, the process could exit with its last commits only in the write-ahead
//! log, and an engine started again in the same process met the old threads still holding the
//! files.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use super::indexer;
use super::writer::Command;
use super::StoreError;

type Pool = r2d2::Pool<SqliteConnectionManager>;

/// How long a closing store waits for the reads still running; they take milliseconds.
const READS_GRACE: Duration = Duration::from_secs(10);

/// The store's threads, joined when it closes. The writer and the indexer give their
/// connections back, to be checkpointed last.
pub(super) struct Threads {
    pub writer: JoinHandle<Connection>,
    pub indexer: JoinHandle<Connection>,
    pub indexer_closing: Arc<AtomicBool>,
    pub checkpoint: JoinHandle<()>,
}

/// The readers' pool, taken away when the store closes. Each read holds the pool while it
/// runs, so closing can wait for the last one before the connections close.
pub(super) struct Readers(RwLock<Option<Arc<Pool>>>);

impl Readers {
    pub fn new(pool: Pool) -> Self {
        Self(RwLock::new(Some(Arc::new(pool))))
    }

    pub fn get(&self) -> Result<Arc<Pool>, StoreError> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone().ok_or(StoreError::Closed)
    }

    fn close(&self) {
        let Some(mut pool) = self.0.write().unwrap_or_else(PoisonError::into_inner).take() else { return };
        let deadline = Instant::now() + READS_GRACE;
        loop {
            match Arc::try_unwrap(pool) {
                // The last holder: dropping the pool closes its connections.
                Ok(last) => return drop(last),
                Err(shared) if Instant::now() < deadline => {
                    pool = shared;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(_) => {
                    tracing::warn!("a read outlived the store's close; its connection closes when it ends");
                    return;
                }
            }
        }
    }
}

/// Stops the writer (after the jobs sent before), then the indexer (after the transaction it is
/// in), then the checkpointer, and closes the readers. Blocks until all of it is done;
/// a second call, or one on another handle, returns at once.
pub(super) fn close(
    threads: &Mutex<Option<Threads>>,
    writer: &Sender<Command>,
    indexer: &SyncSender<indexer::Message>,
    readers: &Readers,
) {
    let Some(threads) = threads.lock().unwrap_or_else(PoisonError::into_inner).take() else { return };
    let _ = writer.send(Command::Stop);
    let writer_conn = join("writer", threads.writer);
    // What the indexer has not written yet is left to the next start, which reads it back.
    threads.indexer_closing.store(true, Ordering::Release);
    let _ = indexer.try_send(indexer::Message::Stop);
    let indexer_conn = join("indexer", threads.indexer);
    // It ends once the writer, which held its only nudge, has.
    join("checkpoint", threads.checkpoint);
    readers.close();
    // Everything into the database files, so that once Hooky has stopped `hooky.db` alone holds
    // it all (to copy or back up). The last connection to close would do it too, but the pool
    // may still be closing a connection on its own thread. (`main`: the indexer's connection
    // has the main file attached read-only.)
    for conn in [indexer_conn, writer_conn].into_iter().flatten() {
        if let Err(err) = conn.query_row("PRAGMA main.wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
            tracing::warn!(error = %err, "could not checkpoint the log at close; the next start will");
        }
    }
}

fn join<T>(name: &str, thread: JoinHandle<T>) -> Option<T> {
    let joined = thread.join();
    if joined.is_err() {
        tracing::error!(thread = name, "a store thread panicked");
    }
    joined.ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::test_support::{
        add_indexed_event as add_event, flush_search, hold_indexer, hold_writer, search_matches, temp_store,
    };
    use super::super::{index_path, settings, Store, StoreError};

    /// Closed on one handle, the store is closed on all of them, and nothing of it keeps the
    /// files open: the index file can go and a new store builds it again, as on a restart.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_store_lets_go_of_its_files_on_every_handle() {
        let (dir, store) = temp_store();
        let path = dir.path().join("hooky.db");
        let id = add_event(&store, r#"{"customer":"hamilton"}"#).await;
        flush_search(&store).await;
        assert_eq!(store.read(|conn| search_matches(conn, "hamilton")).await.expect("read"), vec![id.to_string()]);

        let held = store.clone();
        store.close();
        assert!(matches!(held.read(|_| Ok(())).await, Err(StoreError::Closed)));
        assert!(matches!(held.write(|_| Ok(())).await, Err(StoreError::Closed)));
        for log in [format!("{}-wal", path.display()), format!("{}-wal", index_path(&path).display())] {
            let size = std::fs::metadata(&log).map_or(0, |meta| meta.len());
            assert_eq!(size, 0, "{log} is checkpointed into its database");
        }

        std::fs::remove_file(index_path(&path)).expect("remove the index file");
        let reopened = Store::open(&path).expect("reopen");
        let added = add_event(&reopened, r#"{"customer":"noether"}"#).await;
        flush_search(&reopened).await;
        let found = |word: &'static str| reopened.read(move |conn| search_matches(conn, word));
        assert_eq!(found("hamilton").await.expect("read"), vec![id.to_string()]);
        assert_eq!(found("noether").await.expect("read"), vec![added.to_string()]);
        drop(held);
    }

    /// What the indexer had not written when the store closed is read back at the next start.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn texts_not_yet_indexed_at_the_close_are_indexed_at_the_next_start() {
        let (dir, store) = temp_store();
        // The indexer is busy when the store closes, so it leaves the texts queued behind.
        let hold = hold_indexer(&store, Duration::from_millis(300)).await;
        let mut ids = Vec::new();
        for _ in 0..50 {
            ids.push(add_event(&store, r#"{"customer":"lamarr"}"#).await.to_string());
        }
        let closing = store.clone();
        tokio::task::spawn_blocking(move || closing.close()).await.expect("close");
        hold.await.expect("join").expect("the holding job ran");

        let reopened = Store::open(&dir.path().join("hooky.db")).expect("reopen");
        flush_search(&reopened).await;
        let mut found = reopened.read(|conn| search_matches(conn, "lamarr")).await.expect("read");
        found.sort();
        assert_eq!(found, ids);
    }

    /// Jobs sent before the close commit and their callers hear so; the store then ends.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_sent_before_the_close_commit() {
        let (dir, store) = temp_store();
        let hold = hold_writer(&store, Duration::from_millis(300)).await;
        let keys = ["first", "second", "third"];
        let queued: Vec<_> = keys
            .iter()
            .map(|&key| {
                let store = store.clone();
                tokio::spawn(async move {
                    store.write_grouped(move |conn| settings::put(conn, key, Some(&1.into()), 1)).await
                })
            })
            .collect();
        // Let the three reach the writer's queue, behind the job holding it.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let closing = store.clone();
        tokio::task::spawn_blocking(move || closing.close()).await.expect("close");
        hold.await.expect("join").expect("the holding job commits");
        for job in queued {
            job.await.expect("join").expect("a job sent before the close commits");
        }

        let reopened = Store::open(&dir.path().join("hooky.db")).expect("reopen");
        let stored = reopened.read(settings::all).await.expect("read");
        assert!(keys.iter().all(|key| stored.contains_key(*key)), "{stored:?}");
    }
}
