//! The writer thread: it runs the queued write jobs in one transaction, each kept apart by a
//! savepoint, and answers their callers once COMMIT returns.

use std::collections::VecDeque;
use std::sync::mpsc::{self, SyncSender};
use std::time::Instant;

use rusqlite::Connection;

use super::indexer::Message;
use super::{checkpoint, search, StoreError};

/// How many waiting write jobs share one transaction at most.
const MAX_JOBS_PER_COMMIT: usize = 512;

pub(super) type Finish = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// Gets the connection inside an open transaction, or the reason none could be opened, and
/// returns how to answer its caller and whether it succeeded.
pub(super) type RunJob = Box<dyn FnOnce(Result<&Connection, &StoreError>) -> (Finish, bool) + Send>;

/// How a write job is kept apart from the others in its transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Isolation {
    /// Its own savepoint: if it fails, only its changes are undone.
    Alone,
    /// One savepoint shared with the grouped jobs next to it: if one fails, the group's
    /// changes are undone and every job in it hears of the failure. For frequent small jobs
    /// (triggers, attempt results) that fail only when the database does: a savepoint of
    /// their own copied each page they touched into its journal, a sixth of the writer's time.
    Grouped,
}

/// What the writer thread is sent.
pub(super) enum Command {
    Write(WriteJob),
    /// The store is closing: the jobs sent before are committed, then the thread ends.
    Stop,
}

pub(super) struct WriteJob {
    pub(super) isolation: Isolation,
    /// Committed ahead of the other jobs waiting with it (see `Store::write_grouped_first`).
    pub(super) first: bool,
    pub(super) run: RunJob,
}

/// Runs until stopped, or until every sender is gone; returns the connection, for the store to
/// checkpoint last (see `closing`).
pub(super) fn run_writer(
    conn: Connection,
    jobs: mpsc::Receiver<Command>,
    nudge: checkpoint::Nudge,
    indexer: &SyncSender<Message>,
) -> Connection {
    let mut batch = VecDeque::with_capacity(MAX_JOBS_PER_COMMIT);
    let mut last_flush = Instant::now();
    let mut stopping = false;
    while !stopping {
        // Committed search texts set a deadline: with no job by then, they go to the indexer alone.
        let first = match search::flush_deadline(last_flush) {
            Some(deadline) => match jobs.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Command::Write(job)) => Some(job),
                Ok(Command::Stop) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    search::hand_off(indexer);
                    last_flush = Instant::now();
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match jobs.recv() {
                Ok(Command::Write(job)) => Some(job),
                Ok(Command::Stop) | Err(_) => break,
            },
        };
        batch.extend(first);
        while batch.len() < MAX_JOBS_PER_COMMIT && !stopping {
            match jobs.try_recv() {
                Ok(Command::Write(job)) => batch.push_back(job),
                Ok(Command::Stop) => stopping = true,
                Err(_) => break,
            }
        }
        // Jobs someone outside waits on go first, in a transaction of their own when others
        // wait with them: their answers then go out while the others are written.
        batch.make_contiguous().sort_by_key(|job| !job.first);
        let mut first = batch.iter().take_while(|job| job.first).count();
        loop {
            let take = if first == 0 { batch.len() } else { std::mem::take(&mut first) };
            if run_transaction(&conn, &mut batch, take, indexer, &mut last_flush) {
                nudge.committed();
            }
            // The answers just sent woke runtime threads, and a kernel that packs work onto few
            // CPUs (as this 2-vCPU VM's does) queues them behind this thread, which would keep
            // its CPU for the next batch. Yielding lets them answer their callers now: about
            // 10 % more triggers per second in the ingest benchmark. Alone on its CPU, this
            // returns at once.
            std::thread::yield_now();
            if batch.is_empty() {
                break;
            }
        }
    }
    // Stopping: what is still waiting goes to the indexer now.
    if search::flush_deadline(last_flush).is_some() {
        search::hand_off(indexer);
    }
    conn
}

/// Runs jobs from the front of `pending` in one transaction and commits them, then hands the
/// search texts to the indexer when that is due. Returns whether it committed. If SQLite rolls the
/// whole transaction back by itself (e.g. on a full disk or an I/O error), the jobs run so
/// far are told it failed and the rest stay in `pending` for a new transaction: otherwise they
/// would commit one by one in autocommit while their callers hear of a failed commit.
fn run_transaction(
    conn: &Connection,
    pending: &mut VecDeque<WriteJob>,
    take: usize,
    indexer: &SyncSender<Message>,
    last_flush: &mut Instant,
) -> bool {
    // Cached: thousands of transactions a second would otherwise parse these each time.
    if let Err(err) = conn.prepare_cached("BEGIN IMMEDIATE").and_then(|mut begin| begin.execute([])) {
        let err = StoreError::from(err);
        tracing::error!(error = %err, "could not begin a write transaction");
        for job in pending.drain(..take.min(pending.len())) {
            (job.run)(Err(&err)).0(None);
        }
        search::dropped();
        return false;
    }
    // Each job's answer, and whether its group was undone (so it failed even if it ran well).
    let mut finishers: Vec<(Finish, bool)> = Vec::with_capacity(take);
    let mut group = Group::default();
    while let Some(job) = (finishers.len() < take).then(|| pending.pop_front()).flatten() {
        let grouped = job.isolation == Isolation::Grouped;
        // A job alone gets a savepoint of its own; a grouped job joins the open group, if any.
        if !(grouped && group.is_open()) {
            if let Err(err) = group.release(conn).and_then(|()| group.open(conn, finishers.len())) {
                // This job fails with the transaction; the ones after it wait for the next.
                (job.run)(Err(&err)).0(None);
                return abandon(conn, finishers, pending, &err);
            }
        }
        let (finish, succeeded) = (job.run)(Ok(conn));
        finishers.push((finish, false));
        if conn.is_autocommit() {
            let err = StoreError::WriteFailed("SQLite rolled the transaction back".into());
            return abandon(conn, finishers, pending, &err);
        }
        let closed = match (succeeded, grouped) {
            (false, _) => group.undo(conn, &mut finishers),
            (true, false) => group.release(conn),
            (true, true) => Ok(()),
        };
        if let Err(err) = closed {
            return abandon(conn, finishers, pending, &err);
        }
    }
    if let Err(err) = group.release(conn) {
        return abandon(conn, finishers, pending, &err);
    }
    let commit_error =
        conn.prepare_cached("COMMIT").and_then(|mut commit| commit.execute([])).err().map(StoreError::from);
    if let Some(err) = &commit_error {
        tracing::error!(error = %err, "write transaction failed to commit");
        let _ = conn.execute_batch("ROLLBACK");
        search::dropped();
    } else if search::committed(indexer, *last_flush) {
        *last_flush = Instant::now();
    }
    let undone = StoreError::WriteFailed("another write in its group failed, so its changes were undone".into());
    for (finish, group_undone) in finishers {
        finish(if group_undone { Some(&undone) } else { commit_error.as_ref() });
    }
    commit_error.is_none()
}

/// The transaction is lost: the jobs run in it fail, and the rest wait in `pending` for the next.
fn abandon(conn: &Connection, finishers: Vec<(Finish, bool)>, pending: &VecDeque<WriteJob>, err: &StoreError) -> bool {
    tracing::error!(error = %err, waiting = pending.len(), "write transaction lost");
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    search::dropped();
    for (finish, _) in finishers {
        finish(Some(err));
    }
    false
}

/// The savepoint around the job running now, or around a run of grouped jobs.
#[derive(Default)]
struct Group {
    /// Where the open group starts: its first answer, and the search texts queued before it.
    start: Option<(usize, usize)>,
}

impl Group {
    fn is_open(&self) -> bool {
        self.start.is_some()
    }

    fn open(&mut self, conn: &Connection, first_answer: usize) -> Result<(), StoreError> {
        // Cached statements: these run once per job or group, thousands of times a second.
        conn.prepare_cached("SAVEPOINT grouped")?.execute([])?;
        self.start = Some((first_answer, search::pending_len()));
        Ok(())
    }

    fn release(&mut self, conn: &Connection) -> Result<(), StoreError> {
        if self.start.take().is_some() {
            conn.prepare_cached("RELEASE grouped")?.execute([])?;
        }
        Ok(())
    }

    /// The last job failed: undo its savepoint, and mark the grouped jobs before it as failed too.
    fn undo(&mut self, conn: &Connection, finishers: &mut [(Finish, bool)]) -> Result<(), StoreError> {
        let Some((first_answer, queued_for_search)) = self.start.take() else { return Ok(()) };
        conn.execute_batch("ROLLBACK TO grouped; RELEASE grouped")?;
        search::forget_since(queued_for_search);
        let failed_one = finishers.len().saturating_sub(1);
        for (_, group_undone) in &mut finishers[first_answer..failed_one] {
            *group_undone = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::settings;
    use super::super::test_support::{hold_writer, temp_store};
    use super::*;

    /// Long enough for the jobs sent next to queue up and run in one batch.
    const HOLD: std::time::Duration = std::time::Duration::from_millis(300);

    /// A transaction SQLite abandons mid-batch (simulated by a job that ends it) fails the jobs
    /// run in it, and the jobs after it commit in a fresh transaction and hear success.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_after_a_lost_transaction_commit_on_their_own() {
        let (_dir, store) = temp_store();
        let hold = hold_writer(&store, HOLD).await;
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

    /// A job its caller waits on (a trigger) commits in a transaction ahead of the jobs queued
    /// before it, so its answer does not wait for theirs.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_someone_waits_on_commits_ahead_of_the_others() {
        let (dir, store) = temp_store();
        let path = dir.path().join("hooky.db");
        let hold = hold_writer(&store, HOLD).await;
        let background = store.write_grouped(move |conn| {
            settings::put(conn, "background", Some(&1.into()), 1)?;
            // Another connection sees only what was committed.
            let other = Connection::open(&path)?;
            let sql = "SELECT EXISTS (SELECT 1 FROM settings WHERE key = 'waited_on')";
            Ok(other.query_row(sql, [], |row| row.get::<_, bool>(0))?)
        });
        let waited_on = store.write_grouped_first(|conn| settings::put(conn, "waited_on", Some(&1.into()), 1), |_| {});
        let (background, waited_on) = tokio::join!(background, waited_on);
        hold.await.expect("join").expect("the first batch commits");
        waited_on.expect("the job waited on commits");
        assert!(background.expect("the other job commits"), "the job waited on was committed before the other ran");
    }

    /// A grouped job that fails undoes the grouped jobs run with it, and they hear so; a job on
    /// its own savepoint and the grouped jobs after the failure commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_grouped_job_fails_its_group_only() {
        let (_dir, store) = temp_store();
        let hold = hold_writer(&store, HOLD).await;
        let put = |key: &'static str| move |conn: &Connection| settings::put(conn, key, Some(&1.into()), 1);
        let before = store.write_grouped(put("before"));
        let failing = store.write_grouped(|conn| {
            settings::put(conn, "failing", Some(&1.into()), 1)?;
            Err::<(), _>(StoreError::Task("this job fails".into()))
        });
        let alone = store.write(put("alone"));
        let after = store.write_grouped(put("after"));
        let (before, failing, alone, after) = tokio::join!(before, failing, alone, after);
        hold.await.expect("join").expect("the first batch commits");
        assert!(matches!(before, Err(StoreError::WriteFailed(_))), "{before:?}");
        assert!(matches!(failing, Err(StoreError::Task(_))), "{failing:?}");
        alone.expect("a job on its own savepoint commits");
        after.expect("a grouped job after the failure commits");
        let stored = store.read(settings::all).await.expect("read");
        let mut keys: Vec<&str> = stored.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["after", "alone"]);
    }
}
