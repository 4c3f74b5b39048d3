//! `hooky serve` as a child process: starting it (with a retry for a port still taken), killing
//! it with SIGKILL, stopping it with SIGTERM.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TOKEN;

/// The `hooky` binary with none of the settings of the environment it runs in.
pub fn hooky() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hooky"));
    for name in
        ["HOOKY_TOKEN", "HOOKY_LISTEN", "HOOKY_DATA_DIR", "HOOKY_LOG", "HOOKY_UI_DIR", "HOOKY_REQUIRE_TRIGGER_TOKEN"]
    {
        command.env_remove(name);
    }
    command
}

/// How to start `hooky serve`.
#[derive(Clone)]
pub struct ServeOptions {
    pub listen: String,
    pub data_dir: PathBuf,
    /// None: the server reads or makes the token in its data dir.
    pub token: Option<String>,
    pub log: String,
    /// Where stderr goes; None discards it.
    pub stderr: Option<PathBuf>,
    /// Run as this user and group (only as root).
    pub run_as: Option<(u32, u32)>,
}

impl ServeOptions {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            data_dir: data_dir.to_path_buf(),
            token: Some(TOKEN.into()),
            log: "warn".into(),
            stderr: None,
            run_as: None,
        }
    }
}

/// A running `hooky serve`. Dropping it kills it.
pub struct Serve {
    child: Option<Child>,
    pub port: u16,
    pub pid: u32,
}

/// Why `hooky serve` did not come up: its exit code and stderr.
#[derive(Debug)]
pub struct StartFailure {
    pub code: Option<i32>,
    pub stderr: String,
}

impl Serve {
    /// Starts the server and waits for its first stdout line (at most 30 s).
    pub fn start(options: &ServeOptions) -> Result<Self, StartFailure> {
        let mut command = hooky();
        command
            .args(["serve", "--listen", &options.listen, "--data-dir"])
            .arg(&options.data_dir)
            .env("HOOKY_LOG", &options.log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        if let Some(token) = &options.token {
            command.env("HOOKY_TOKEN", token);
        }
        let captured = tempfile::NamedTempFile::new().expect("a temp file for stderr");
        let stderr_path = options.stderr.clone().unwrap_or_else(|| captured.path().to_path_buf());
        let stderr = File::options().create(true).append(true).open(&stderr_path).expect("the stderr file");
        command.stderr(Stdio::from(stderr));
        if let Some((uid, gid)) = options.run_as {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        let mut child = command.spawn().expect("spawn hooky serve");
        let pid = child.id();
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, first_line) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = sender.send(lines.next().and_then(Result::ok));
            // Keep draining, so the server never writes into a full or closed pipe.
            for _ in lines {}
        });
        // e.g. "Hooky 0.1.0 is listening on http://127.0.0.1:7717"
        let banner = first_line.recv_timeout(Duration::from_secs(30)).ok().flatten();
        let port = banner.as_deref().and_then(|line| {
            let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
            rest.trim().rsplit(':').next()?.trim_end_matches('/').parse::<u16>().ok()
        });
        match (banner, port) {
            (Some(_), Some(port)) => Ok(Self { child: Some(child), port, pid }),
            _ => {
                let deadline = Instant::now() + Duration::from_secs(10);
                let code = loop {
                    match child.try_wait() {
                        Ok(Some(status)) => break status.code(),
                        _ if Instant::now() > deadline => {
                            let _ = child.kill();
                            let _ = child.wait();
                            break None;
                        }
                        _ => std::thread::sleep(Duration::from_millis(20)),
                    }
                };
                Err(StartFailure { code, stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default() })
            }
        }
    }

    /// Starts on a fixed port, retrying for a while when the port is still taken.
    pub fn start_retrying(options: &ServeOptions) -> Self {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match Self::start(options) {
                Ok(serve) => return serve,
                Err(failure) if Instant::now() < deadline && failure.stderr.contains("cannot listen") => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(failure) => panic!("hooky serve did not start: {failure:?}"),
            }
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill_9(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and a clean exit within 20 s.
    pub fn stop(mut self) {
        let Some(mut child) = self.child.take() else { return };
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill -TERM");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait for hooky serve") {
                assert!(status.success(), "hooky serve exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "hooky serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
