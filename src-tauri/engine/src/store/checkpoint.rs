//! WAL checkpoints on their own thread, so the writer only ever runs transactions.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the threshold,
//! which stalls every caller waiting on that group commit. Here the writer turns it
//! off and nudges this thread after each commit; a PASSIVE checkpoint then copies the
//! new WAL frames into the database beside the writer, never blocking it. Only a WAL file
//! left large by a burst is truncated, which takes the write lock, and only once commits
//! have stopped for a while.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// The least time between two checkpoints.
const INTERVAL: Duration = Duration::from_millis(200);

/// Past this size (bytes), the WAL file is truncated once writes have stopped for [`QUIET`].
const WAL_SIZE_LIMIT: u64 = 16 * 1024 * 1024;

/// How long no commit may come before a large WAL file is truncated. Truncating takes the
/// write lock for as long as the kernel takes to drop the file's pages, so it waits for calm;
/// and a burst that comes back soon reuses the file's pages instead of growing it again.
const QUIET: Duration = if cfg!(test) { Duration::from_secs(1) } else { Duration::from_secs(30) };

/// Tells the checkpointer that commits happened; never blocks.
#[derive(Clone)]
pub struct Nudge(SyncSender<()>);

impl Nudge {
    pub fn committed(&self) {
        let _ = self.0.try_send(());
    }
}

/// Starts the checkpointer; it stops once every [`Nudge`] is dropped.
pub fn start(path: &Path) -> Result<(Nudge, JoinHandle<()>), super::StoreError> {
    let conn = Connection::open(path)?;
    // Never wait for a lock: a checkpoint that finds the writer busy is simply tried again later.
    conn.busy_timeout(Duration::ZERO)?;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = std::path::PathBuf::from(wal);
    let (nudge, nudged) = std::sync::mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("hooky-store-checkpoint".into())
        .spawn(move || run(&conn, &wal, &nudged))
        .map_err(|err| super::StoreError::Task(err.to_string()))?;
    Ok((Nudge(nudge), thread))
}

fn run(conn: &Connection, wal: &Path, nudged: &Receiver<()>) {
    // While the writer appends without a pause, no checkpoint catches up, so the log only
    // grows (past a gigabyte in the ingest benchmark's ten seconds). Once writes have
    // stopped for a while, give that space back instead of holding it while Hooky runs.
    let mut too_large = false;
    loop {
        let woken = if too_large { nudged.recv_timeout(QUIET) } else { nudged.recv().map_err(RecvTimeoutError::from) };
        match woken {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => {
                if let Err(err) = checkpoint(conn, "TRUNCATE") {
                    tracing::warn!(error = %err, "could not truncate the WAL; a later checkpoint will");
                }
                too_large = wal_size(wal) > WAL_SIZE_LIMIT;
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        // Let commits gather: a page rewritten many times meanwhile is copied once. A closing
        // store does not wait: its close checkpoints the log itself.
        if gather(nudged) {
            break;
        }
        if let Err(err) = checkpoint(conn, "PASSIVE") {
            tracing::warn!(error = %err, "WAL checkpoint failed; the next one will retry");
        }
        too_large = wal_size(wal) > WAL_SIZE_LIMIT;
    }
}

/// Waits [`INTERVAL`] while commits go on; true if the writer stopped meanwhile.
fn gather(nudged: &Receiver<()>) -> bool {
    let until = Instant::now() + INTERVAL;
    loop {
        match nudged.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(()) => continue,
            Err(RecvTimeoutError::Timeout) => return false,
            Err(RecvTimeoutError::Disconnected) => return true,
        }
    }
}

fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<()> {
    // The row says how far it got; a checkpoint that could not finish is simply run again.
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))
}

fn wal_size(wal: &Path) -> u64 {
    std::fs::metadata(wal).map_or(0, |meta| meta.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::test_support::temp_store;
    use super::*;

    fn wal_size_in(dir: &tempfile::TempDir) -> u64 {
        wal_size(&dir.path().join("hooky.db-wal"))
    }

    /// A burst may grow the log past the limit; once writes have stopped for a while, the file
    /// shrinks back instead of holding its largest size on disk for as long as Hooky runs.
    #[tokio::test]
    async fn the_log_file_shrinks_back_after_a_burst() {
        let (dir, store) = temp_store();
        let value = format!("\"{}\"", "x".repeat(4000));
        let rows = i64::try_from(WAL_SIZE_LIMIT / 4000 * 3 / 2).unwrap();
        store
            .write(move |conn| {
                let mut insert = conn.prepare("INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, 0)")?;
                for row in 0..rows {
                    insert.execute(rusqlite::params![format!("burst.{row}"), value])?;
                }
                Ok(())
            })
            .await
            .unwrap();
        assert!(wal_size_in(&dir) > WAL_SIZE_LIMIT, "the burst grew the log past the limit");

        let deadline = Instant::now() + Duration::from_secs(20);
        while wal_size_in(&dir) > WAL_SIZE_LIMIT && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(wal_size_in(&dir) <= WAL_SIZE_LIMIT, "the log file is {} bytes after the burst", wal_size_in(&dir));
        // Nothing was lost on the way.
        let stored: i64 = store
            .read(
                |conn| Ok(conn.query_row("SELECT COUNT(*) FROM settings WHERE key LIKE 'burst.%'", [], |r| r.get(0))?),
            )
            .await
            .unwrap();
        assert_eq!(stored, rows);
    }
}
