//! The machine around the server: running as root, a process's memory, mounts, and the
//! integrity of a database file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").ok().is_some_and(|status| {
        status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|l| l.split_whitespace().next()) == Some("0")
    })
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()
}

/// Runs `mount` with `args`; the error text when it fails.
pub fn mount(args: &[&str]) -> Result<(), String> {
    let output = Command::new("mount").args(args).output().map_err(|err| format!("cannot run mount: {err}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// Unmounts `path` when dropped, so a failing test leaves no mount behind.
pub struct Mounted(pub PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        for _ in 0..20 {
            match Command::new("umount").arg(&self.0).output() {
                Ok(output) if output.status.success() => return,
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        eprintln!("could not unmount {}", self.0.display());
    }
}

/// `PRAGMA integrity_check` of a database file, once nothing has it open.
pub fn integrity_check(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    conn.query_row("PRAGMA integrity_check", [], |row| row.get::<_, String>(0)).expect("integrity_check")
}
