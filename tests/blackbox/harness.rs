//! Starts `hooky serve` as a child process and a tiny HTTP receiver on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn hooky(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hooky"));
    command.args(args).env_remove("HOOKY_TOKEN").env_remove("HOOKY_LISTEN").env_remove("HOOKY_DATA_DIR");
    command
}

pub struct Server {
    child: Option<Child>,
    data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    pub base_url: String,
    pub token: String,
    pub banner: String,
    listen: String,
}

impl Server {
    /// Starts on a free port; a new temp data dir unless one is given.
    pub fn start(data_dir: Option<(PathBuf, Option<tempfile::TempDir>)>) -> Self {
        Self::start_with(data_dir, &[])
    }

    /// Starts with more `hooky serve` flags.
    pub fn start_with(data_dir: Option<(PathBuf, Option<tempfile::TempDir>)>, flags: &[&str]) -> Self {
        let (data_dir, temp) = data_dir.unwrap_or_else(|| {
            let temp = tempfile::tempdir().unwrap();
            (temp.path().to_path_buf(), Some(temp))
        });
        let mut child = hooky(&["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir.to_str().unwrap()])
            .args(flags)
            .env("HOOKY_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut banner = String::new();
        for _ in 0..7 {
            banner.push_str(&lines.next().expect("serve printed its banner").unwrap());
            banner.push('\n');
        }
        // Keep reading stdout so the server never writes into a closed pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        let base_url = banner.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
        let token = banner.lines().find_map(|l| l.trim().strip_prefix("API token:")).unwrap().trim().to_owned();
        let listen = base_url.trim_start_matches("http://").to_owned();
        Self { child: Some(child), data_dir, _temp: temp, base_url, token, banner, listen }
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        hooky(args).args(["--listen", &self.listen, "--data-dir", self.data_dir.to_str().unwrap()]).output().unwrap()
    }

    pub fn cli_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let output = self.cli(&all);
        assert!(output.status.success(), "hooky {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    }

    pub fn cli_text(&self, args: &[&str]) -> String {
        let output = self.cli(args);
        assert!(output.status.success(), "hooky {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// The exit code, stdout and stderr of a client command, whatever its outcome.
    pub fn cli_output(&self, args: &[&str]) -> (i32, String, String) {
        let output = self.cli(args);
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
        (output.status.code().unwrap_or(-1), text(output.stdout), text(output.stderr))
    }

    /// Starts a long-running client command with its stdout and stderr piped.
    pub fn spawn_cli(&self, args: &[&str]) -> Child {
        hooky(args)
            .args(["--listen", &self.listen, "--data-dir", self.data_dir.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    pub fn cli_failure(&self, args: &[&str]) -> (i32, String) {
        let output = self.cli(args);
        (output.status.code().unwrap_or(-1), String::from_utf8(output.stderr).unwrap())
    }

    pub fn serve_failure(&self) -> (i32, String) {
        let output = hooky(&["serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir.to_str().unwrap()])
            .output()
            .unwrap();
        (output.status.code().unwrap_or(-1), String::from_utf8(output.stderr).unwrap())
    }

    pub fn get_json(&self, path: &str, authorized: bool) -> Value {
        http_get(&self.listen, path, authorized.then_some(self.token.as_str()))
    }

    pub fn wait_for_event(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let event = http_get(&self.listen, &format!("/api/v1/events/{id}"), Some(&self.token));
            if done(&event) {
                return event;
            }
            assert!(Instant::now() < deadline, "event never reached the expected state: {event:#}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, and expect a clean exit. Returns the data dir, as [`Server::kill_hard`] does.
    pub fn stop_gracefully(mut self) -> (PathBuf, Option<tempfile::TempDir>) {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "hooky serve exited with {status}");
                return (self.data_dir.clone(), self._temp.take());
            }
            assert!(Instant::now() < deadline, "hooky serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to clean up. Returns the data dir for a restart.
    pub fn kill_hard(mut self) -> (PathBuf, Option<tempfile::TempDir>) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        (self.data_dir.clone(), self._temp.take())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A minimal HTTP/1.1 GET, so the harness depends on nothing but std.
pub fn http_get(listen: &str, path: &str, token: Option<&str>) -> Value {
    let mut stream = std::net::TcpStream::connect(listen).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {listen}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {response}"))
}

/// Answers every POST with a settable status and records the bodies.
pub struct Receiver {
    port: u16,
    status: Arc<AtomicU16>,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(status));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (answer, seen) = (status.clone(), bodies.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (answer, seen) = (answer.clone(), seen.clone());
                std::thread::spawn(move || serve_one(stream, &answer, &seen));
            }
        });
        Self { port, status, bodies }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

fn serve_one(stream: std::net::TcpStream, status: &AtomicU16, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        seen.lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
        let code = status.load(Ordering::SeqCst);
        let reply = format!("HTTP/1.1 {code} X\r\nContent-Length: 2\r\n\r\nok");
        if reader.get_mut().write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}
