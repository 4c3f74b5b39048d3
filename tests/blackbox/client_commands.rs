//! The client commands a CI job or a terminal leans on: `trigger --wait`, `events resend`,
//! `events tail`, and `endpoints add --retry-schedule|--no-retries|-k` and `endpoints remove`.

use std::io::{BufRead, BufReader, Read};
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Receiver, Server};

#[test]
fn trigger_wait_exits_by_the_outcome_of_every_delivery() {
    let healthy = Receiver::start(200);
    let broken = Receiver::start(500);
    let server = Server::start(None);
    server.cli_json(&["endpoints", "add", &healthy.url(), "--filter", "order.*"]);

    let (code, stdout, stderr) = server.cli_output(&["trigger", "order.created", "--data", "{}", "--wait"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(&format!("to {}: succeeded after 1 attempt (ok 200", healthy.url())), "{stdout}");

    // A second endpoint answers 500 and never retries: the wait ends after its one attempt.
    let no_retries = server.cli_json(&["endpoints", "add", &broken.url(), "--filter", "order.*", "--no-retries"]);
    assert_eq!(no_retries["retry_schedule"], serde_json::json!([]));
    assert_eq!(no_retries["verify_tls"], true, "certificates are checked unless asked otherwise");
    let insecure = server.cli_json(&["endpoints", "add", "https://127.0.0.1:9/hook", "--filter", "none.*", "-k"]);
    assert_eq!(insecure["verify_tls"], false, "-k accepts any certificate, as with curl");
    let listed = server.cli_text(&["endpoints", "list"]);
    assert!(listed.contains("https://127.0.0.1:9/hook (TLS certificate not checked)"), "{listed}");
    assert_eq!(listed.matches("not checked").count(), 1, "only the -k endpoint: {listed}");
    let (code, stdout, stderr) = server.cli_output(&["trigger", "order.paid", "--wait"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("succeeded after 1 attempt (ok 200"), "{stdout}");
    assert!(stdout.contains(&format!("to {}: failed after 1 attempt (status:", broken.url())), "{stdout}");
    assert_eq!(stderr.trim(), "error: 1 of 2 deliveries did not succeed");
    assert_eq!(broken.bodies().len(), 1);

    // A retry due after the wait ends: exit 1 at the timeout, naming when the next attempt is.
    let later =
        server.cli_json(&["endpoints", "add", &broken.url(), "--filter", "user.*", "--retry-schedule", "60,60"]);
    assert_eq!(later["retry_schedule"], serde_json::json!([60, 60]));
    let started = Instant::now();
    let (code, stdout, stderr) = server.cli_output(&["trigger", "user.created", "--wait", "--wait-timeout", "1"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "the wait outlived its timeout");
    assert!(stdout.contains("retrying after 1 attempt") && stdout.contains("next attempt at"), "{stdout}");
    assert_eq!(stderr.trim(), "error: gave up waiting after 1 s: 1 of 1 deliveries not settled");

    let (code, _, stderr) = server.cli_output(&["trigger", "nobody.listens", "--wait"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no enabled endpoint subscribes to nobody.listens"), "{stderr}");

    // A bad timeout is refused before anything is sent.
    let (code, _, stderr) = server.cli_output(&["trigger", "order.typo", "--wait", "--wait-timeout", "soon"]);
    assert!(code == 2 && stderr.contains("expected a number of seconds"), "{stderr}");
    let listed = server.cli_json(&["events", "list", "--name", "order.typo"]);
    assert_eq!(listed["data"], serde_json::json!([]));

    // Without --wait the trigger's answer is all there is, whatever happens next.
    let (code, _, _) = server.cli_output(&["trigger", "user.deleted"]);
    assert_eq!(code, 0);
    server.stop_gracefully();
}

#[test]
fn events_resend_waits_for_its_new_deliveries_only() {
    let receiver = Receiver::start(500);
    let server = Server::start(None);
    let endpoint = server.cli_json(&["endpoints", "add", &receiver.url(), "--no-retries"]);
    let endpoint_id = endpoint["id"].as_str().unwrap();
    let (code, stdout, _) = server.cli_output(&["trigger", "order.created", "--data", r#"{"n": 1}"#, "--wait"]);
    assert_eq!(code, 1, "{stdout}");
    let event_id = stdout.split_whitespace().next().unwrap().to_owned();

    // The receiver is fixed: the resend succeeds, whatever became of the first delivery.
    receiver.set_status(200);
    let (code, stdout, stderr) = server.cli_output(&["events", "resend", &event_id, "--to", endpoint_id, "--wait"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with(&format!("{event_id} order.created → 1 endpoint(s)")), "{stdout}");
    assert!(stdout.contains("succeeded after 1 attempt (ok 200") && !stdout.contains("failed"), "{stdout}");
    assert_eq!(receiver.bodies(), [r#"{"n": 1}"#, r#"{"n": 1}"#]);

    let (code, stderr) = server.cli_failure(&["events", "resend", &event_id, "--to", "ep_01M958Y0HJED6HDYMZNDDQ2ZSK"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is not an enabled endpoint") && stderr.contains("422"), "{stderr}");
    server.stop_gracefully();
}

#[test]
fn endpoints_remove_stops_deliveries_to_it() {
    let receiver = Receiver::start(200);
    let server = Server::start(None);
    let id = server.cli_json(&["endpoints", "add", &receiver.url()])["id"].as_str().unwrap().to_owned();
    assert_eq!(server.cli_text(&["endpoints", "remove", &id]).trim(), format!("{id} removed"));
    assert_eq!(server.cli_json(&["endpoints", "list"]), serde_json::json!([]));
    assert_eq!(server.cli_json(&["trigger", "order.created"])["deliveries"], serde_json::json!([]));
    let (code, stderr) = server.cli_failure(&["endpoints", "remove", &id]);
    assert_eq!(code, 1);
    assert!(stderr.contains("404"), "{stderr}");
    server.stop_gracefully();
}

/// The lines a child prints on one of its pipes, read by a thread so a test can wait with a
/// deadline.
struct Lines(mpsc::Receiver<String>);

impl Lines {
    fn of(pipe: impl Read + Send + 'static) -> Self {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        Self(receiver)
    }

    /// Lines up to and including the first that satisfies `last`.
    fn until(&self, last: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok(line) => {
                    let done = last(&line);
                    seen.push(line);
                    if done {
                        return seen;
                    }
                }
                Err(_) => panic!("no such line within 20 s; saw {seen:#?}"),
            }
        }
    }
}

fn follow(server: &Server, args: &[&str]) -> (Child, Lines, Lines) {
    let mut child = server.spawn_cli(args);
    let stdout = Lines::of(child.stdout.take().unwrap());
    let stderr = Lines::of(child.stderr.take().unwrap());
    stderr.until(|line| line.starts_with("Following events at"));
    (child, stdout, stderr)
}

#[test]
fn events_tail_follows_matching_events_as_they_happen() {
    let healthy = Receiver::start(200);
    let server = Server::start(None);
    server.cli_json(&["endpoints", "add", &healthy.url()]);

    let (mut text_tail, text, text_errors) = follow(&server, &["events", "tail", "--name", "order.*"]);
    let (mut json_tail, json, _) = follow(&server, &["events", "tail", "--json"]);
    server.cli_json(&["trigger", "user.signup"]);
    let order = server.cli_json(&["trigger", "order.created"])["id"].as_str().unwrap().to_owned();

    // The filter leaves out the first event, so the order's two lines come first.
    let lines = text.until(|line| line.contains(" #1 "));
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].contains(&format!("order.created  {order}  → 1 endpoint")), "{lines:#?}");
    assert!(lines[1].contains(&format!("{order}  #1 {}  ok 200 in ", healthy.url())), "{lines:#?}");

    // --json: every message a line, in the order they happened, both events included.
    let messages: Vec<Value> = json
        .until(|line| line.contains(&order) && line.contains("\"attempt_created\""))
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let names: Vec<&str> = messages.iter().filter_map(|m| m["event"]["event_name"].as_str()).collect();
    assert_eq!(names, ["user.signup", "order.created"]);
    let attempt = messages.last().unwrap();
    assert_eq!(attempt["event_id"], order.as_str());
    assert_eq!(attempt["attempt"]["response"]["status"], 200);
    json_tail.kill().unwrap();
    json_tail.wait().unwrap();

    // When Hooky stops, the tail ends with exit code 1 and says why.
    server.stop_gracefully();
    text_errors.until(|line| line == "error: the live stream ended: Hooky stopped");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = text_tail.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the tail outlived the server");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
}

#[test]
fn events_tail_names_the_retries_of_events_from_before_it_started() {
    let broken = Receiver::start(500);
    let server = Server::start(None);
    server.cli_json(&["endpoints", "add", &broken.url(), "--filter", "order.*", "--retry-schedule", "2"]);
    let id = server.cli_json(&["trigger", "order.created"])["id"].as_str().unwrap().to_owned();
    server.wait_for_event(&id, |event| event["status"] == "retrying");

    // The tail never saw the event created, yet its filter and its lines know the name.
    let (mut tail, lines, _) = follow(&server, &["events", "tail", "--name", "order.*"]);
    let seen = lines.until(|line| line.contains(" #2 "));
    assert!(seen.last().unwrap().contains(&format!("order.created  {id}  #2 {}  status:", broken.url())), "{seen:#?}");
    tail.kill().unwrap();
    tail.wait().unwrap();
    server.stop_gracefully();
}
