//! Storage faults under `hooky serve`: a read-only data dir or database, a full disk, and a
//! database locked by another process. Hooky either refuses to start with a clear message or
//! answers 503 `storage_unavailable` and stores nothing; it never answers 2xx for an event it
//! did not store, and it recovers without a restart once the fault is gone.
//!
//! The disk-full and read-only-mount cases need `mount` (root); without it they print why
//! they are skipped. (A second `hooky serve` on the same data dir is covered in tests/blackbox.)

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{self, Api, Mounted, Serve, ServeOptions};

const NOBODY: (u32, u32) = (65534, 65534);

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Options that run the server as an unprivileged user when the tests run as root (root
/// ignores file permissions); as anyone else, permissions apply already.
fn unprivileged(data_dir: &Path) -> ServeOptions {
    let mut options = ServeOptions::new(data_dir);
    if harness::is_root() {
        options.run_as = Some(NOBODY);
    }
    options
}

fn own_for_server(path: &Path) {
    if harness::is_root() {
        std::os::unix::fs::chown(path, Some(NOBODY.0), Some(NOBODY.1)).unwrap();
    }
}

/// Fires one trigger; returns the status and the body.
async fn fire(api: &Api, seq: u64, payload_bytes: usize) -> (u16, Value) {
    let payload = json!({"seq": seq, "pad": "p".repeat(payload_bytes)});
    api.trigger("storage.test", payload).await.unwrap_or_else(|err| panic!("trigger {seq}: {err}"))
}

/// The 503 the API documents: `storage_unavailable`, saying nothing was stored.
fn assert_unavailable(status: u16, body: &Value, what: &str) {
    assert_eq!(status, 503, "{what}: {body}");
    assert_eq!(body["error"]["code"], "storage_unavailable", "{what}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("nothing was stored"), "{what}: {message}");
}

/// The seqs of every event in the log.
async fn stored_seqs(api: &Api) -> Vec<u64> {
    let mut seqs = Vec::new();
    for id in api.all_event_ids().await {
        seqs.extend(api.get(&format!("/api/v1/events/{id}")).await["payload"]["seq"].as_u64());
    }
    seqs.sort_unstable();
    seqs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_data_dir_or_database() {
    let _serial = harness::serial().await;
    let root = tempfile::tempdir().unwrap();
    chmod(root.path(), 0o755);

    // A fresh data dir nobody may write: a one-line start error that names it.
    let fresh = root.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    chmod(&fresh, 0o555);
    let failure = Serve::start(&unprivileged(&fresh)).err().expect("hooky serve refuses a read-only data dir");
    println!("read-only data dir: exit {:?}: {}", failure.code, failure.stderr.trim());
    assert_eq!(failure.code, Some(1));
    assert!(failure.stderr.contains(fresh.to_str().unwrap()), "the error names the dir: {}", failure.stderr);
    assert!(failure.stderr.contains("ermission denied"), "{}", failure.stderr);
    assert_eq!(failure.stderr.matches("ermission denied").count(), 1, "the cause once: {}", failure.stderr);

    // A data dir with a database, made read-only while the server runs: it keeps writing
    // through the files it has open (the kernel also refuses a read-only remount while files
    // are open for writing), so triggers still succeed, and each 202 is stored.
    let used = root.path().join("used");
    std::fs::create_dir(&used).unwrap();
    own_for_server(&used);
    let server = Serve::start(&unprivileged(&used)).expect("starts on a writable dir");
    let api = Api::new(server.base_url());
    assert_eq!(fire(&api, 1, 10).await.0, 202);
    for entry in std::fs::read_dir(&used).unwrap() {
        chmod(&entry.unwrap().path(), 0o444);
    }
    chmod(&used, 0o555);
    let (status, body) = fire(&api, 2, 10).await;
    println!("database made read-only mid-run: the next trigger got {status} (writes go through the open files)");
    assert!(status == 202 || status == 503, "{status} {body}");
    if status == 503 {
        assert_unavailable(status, &body, "read-only mid-run");
    }
    let seqs = stored_seqs(&api).await;
    assert_eq!(seqs, if status == 202 { vec![1, 2] } else { vec![1] });
    server.kill_9();

    // Started again on that read-only dir with its database: refused at start, or up but
    // answering 503 to every write; never a 2xx for an event it did not store.
    match Serve::start(&unprivileged(&used)) {
        Err(failure) => {
            println!("read-only database at start: exit {:?}: {}", failure.code, failure.stderr.trim());
            assert_eq!(failure.code, Some(1));
            assert_eq!(failure.stderr.trim().lines().count(), 1, "one line: {}", failure.stderr);
            assert!(failure.stderr.starts_with("error: "), "{}", failure.stderr);
        }
        Ok(server) => {
            let api = Api::new(server.base_url());
            let (status, body) = fire(&api, 3, 10).await;
            println!("read-only database at start: the server runs; a trigger got {status}");
            assert_unavailable(status, &body, "read-only database");
            assert_eq!(api.get("/api/v1/health").await["status"], "ok");
            assert!(!stored_seqs(&api).await.contains(&3));
            server.kill_9();
        }
    }

    // A read-only mount (as on a read-only file system): a clear start error, as root too.
    if !harness::is_root() {
        println!("read-only mount: skipped (mount needs root)");
        return;
    }
    let mounted_dir = root.path().join("ro-mount");
    std::fs::create_dir(&mounted_dir).unwrap();
    let source = root.path().join("ro-source");
    std::fs::create_dir(&source).unwrap();
    let first = Serve::start(&ServeOptions::new(&source)).expect("starts");
    first.stop();
    if let Err(why) = harness::mount(&["--bind", source.to_str().unwrap(), mounted_dir.to_str().unwrap()]) {
        println!("read-only mount: skipped, mount is not permitted here: {why}");
        return;
    }
    let _mounted = Mounted(mounted_dir.clone());
    harness::mount(&["-o", "remount,bind,ro", mounted_dir.to_str().unwrap()]).expect("remount read-only");
    let failure = Serve::start(&ServeOptions::new(&mounted_dir)).err().expect("refused on a read-only mount");
    println!("read-only mount: exit {:?}: {}", failure.code, failure.stderr.trim());
    assert_eq!(failure.code, Some(1));
    assert!(failure.stderr.contains("Read-only file system"), "{}", failure.stderr);
    assert!(failure.stderr.contains(mounted_dir.to_str().unwrap()), "{}", failure.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_recovers_without_a_restart() {
    let _serial = harness::serial().await;
    if !harness::is_root() {
        println!("disk full: skipped (mounting a small tmpfs needs root)");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("tmpfs");
    std::fs::create_dir(&data).unwrap();
    if let Err(why) = harness::mount(&["-t", "tmpfs", "-o", "size=1m", "tmpfs", data.to_str().unwrap()]) {
        println!("disk full: skipped, mount is not permitted here: {why}");
        return;
    }
    let _mounted = Mounted(data.clone());
    let server = Serve::start(&ServeOptions::new(&data)).expect("starts on the tmpfs");
    let api = Api::new(server.base_url());
    let mut accepted = Vec::new();
    for seq in 0..3 {
        let (status, body) = fire(&api, seq, 1000).await;
        assert_eq!(status, 202, "{body}");
        accepted.push(seq);
    }

    // Fill the file system.
    let filler_path = data.join("filler");
    let mut filler = std::fs::File::create(&filler_path).unwrap();
    let block = vec![0u8; 16 * 1024];
    let mut filled = 0usize;
    while filled < 4 * 1024 * 1024 && filler.write_all(&block).is_ok() {
        filled += block.len();
    }
    let _ = filler.sync_all();
    drop(filler);

    // Writes fail now, perhaps after a few that fit in pages SQLite already has.
    let mut refused = Vec::new();
    let mut first_refusal = None;
    for seq in 100..160 {
        let (status, body) = fire(&api, seq, 8000).await;
        match status {
            202 => accepted.push(seq),
            _ => {
                assert_unavailable(status, &body, "disk full");
                first_refusal.get_or_insert(body);
                refused.push(seq);
            }
        }
        if refused.len() >= 5 {
            break;
        }
    }
    assert!(!refused.is_empty(), "no trigger was refused with the disk full");
    // A burst of concurrent triggers with large payloads, so that several share one
    // transaction and SQLite runs out of space in the middle of it, not only at COMMIT.
    let burst: Vec<_> = (400..440)
        .map(|seq| {
            let api = api.clone();
            tokio::spawn(async move { (seq, fire(&api, seq, 60_000).await) })
        })
        .collect();
    let mut burst_refused = 0;
    for task in burst {
        let (seq, (status, body)) = task.await.unwrap();
        if status == 202 {
            accepted.push(seq);
        } else {
            assert_unavailable(status, &body, "disk full, concurrent");
            refused.push(seq);
            burst_refused += 1;
        }
    }
    println!("disk full: a burst of 40 concurrent 60 KB triggers: {burst_refused} refused");
    assert_eq!(api.get("/api/v1/health").await["status"], "ok", "health answers with the disk full");
    println!(
        "disk full: filler {filled} bytes; {} triggers refused with 503, e.g. {}",
        refused.len(),
        first_refusal.unwrap_or_default()
    );

    // Free the space: writes succeed again without a restart.
    std::fs::remove_file(&filler_path).unwrap();
    let recovered_at = Instant::now();
    let mut seq = 200;
    loop {
        let (status, body) = fire(&api, seq, 1000).await;
        if status == 202 {
            accepted.push(seq);
            break;
        }
        assert_unavailable(status, &body, "after freeing space");
        refused.push(seq);
        assert!(recovered_at.elapsed() < Duration::from_secs(10), "no recovery within 10 s");
        seq += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for seq in 300..305 {
        assert_eq!(fire(&api, seq, 1000).await.0, 202);
        accepted.push(seq);
    }
    println!("disk full: recovered {:?} after the space was freed", recovered_at.elapsed());

    // Every 202 is stored, and no refused trigger is.
    accepted.sort_unstable();
    assert_eq!(stored_seqs(&api).await, accepted, "the log holds exactly the accepted events");
    server.stop();
    assert_eq!(harness::integrity_check(&data.join("hooky.db")), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_by_another_process_answers_503_then_recovers() {
    let _serial = harness::serial().await;
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(&ServeOptions::new(dir.path())).expect("starts");
    let api = Api::new(server.base_url());
    assert_eq!(fire(&api, 1, 10).await.0, 202);

    // Another process takes the write lock and holds it past Hooky's 5 s busy timeout.
    let (locked, release) = std::sync::mpsc::channel::<()>();
    let (unlock, released) = std::sync::mpsc::channel::<()>();
    let db = dir.path().join("hooky.db");
    let holder = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
        locked.send(()).unwrap();
        let _ = released.recv_timeout(Duration::from_secs(30));
        conn.execute_batch("ROLLBACK").unwrap();
    });
    release.recv_timeout(Duration::from_secs(15)).expect("the lock was taken");
    let locked_at = Instant::now();

    // Reads and health still answer; a trigger waits out the busy timeout, then gets 503.
    assert_eq!(api.get("/api/v1/health").await["status"], "ok");
    assert_eq!(api.get("/api/v1/events").await["data"].as_array().map(Vec::len), Some(1));
    let (status, body) = fire(&api, 2, 10).await;
    let waited = locked_at.elapsed();
    println!("locked database: trigger answered {status} after {waited:.1?}: {body}");
    assert_unavailable(status, &body, "locked database");
    assert!(waited >= Duration::from_secs(4), "the engine waited its busy timeout first ({waited:?})");

    unlock.send(()).unwrap();
    holder.join().unwrap();
    let released_at = Instant::now();
    let (status, body) = fire(&api, 3, 10).await;
    println!("locked database: after release the next trigger got {status} in {:.1?}", released_at.elapsed());
    assert_eq!(status, 202, "{body}");
    assert_eq!(stored_seqs(&api).await, vec![1, 3], "the refused trigger stored nothing");
    server.stop();
    assert_eq!(harness::integrity_check(&dir.path().join("hooky.db")), "ok");
}
