//! WAL checkpoints on their own thread, so the writer only ever runs transactions.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the threshold,
//! which stalls every caller waiting on that group commit. Here the writer turns it
//! off and nudges this thread after each commit; a PASSIVE checkpoint then copies the
//! new WAL frames into the database beside the writer, never blocking it.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::Duration;

use rusqlite::Connection;

/// The least time between two checkpoints.
const INTERVAL: Duration = Duration::from_millis(200);

/// Tells the checkpointer that commits happened; never blocks.
#[derive(Clone)]
pub struct Nudge(SyncSender<()>);

impl Nudge {
    pub fn committed(&self) {
        let _ = self.0.try_send(());
    }
}

/// Starts the checkpointer; it stops once every [`Nudge`] is dropped.
pub fn start(path: &Path) -> Result<Nudge, super::StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    let (nudge, nudged) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("hooky-store-checkpoint".into())
        .spawn(move || run(&conn, &nudged))
        .map_err(|err| super::StoreError::Task(err.to_string()))?;
    Ok(Nudge(nudge))
}

fn run(conn: &Connection, nudged: &Receiver<()>) {
    while nudged.recv().is_ok() {
        // Let commits gather: a page rewritten many times meanwhile is copied once.
        std::thread::sleep(INTERVAL);
        checkpoint(conn);
    }
}

fn checkpoint(conn: &Connection) {
    if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %err, "WAL checkpoint failed; the next one will retry");
    }
}
