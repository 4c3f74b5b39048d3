//! Black-box tests of the built `hooky` binary: `hooky serve` as a child process,
//! driven over HTTP and through the CLI's own client commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_commands;
mod harness;
mod run_command;

use harness::{Receiver, Server};
use serde_json::Value;

#[test]
fn cli_round_trip_delivers_and_reports() {
    let receiver = Receiver::start(200);
    let server = Server::start(None);
    let added = server.cli_json(&["endpoints", "add", &receiver.url(), "--filter", "order.*"]);
    let endpoint_id = added["id"].as_str().unwrap().to_owned();
    assert_eq!(added["event_filter"], serde_json::json!(["order.*"]));

    let fired = server.cli_json(&["trigger", "order.created", "--data", r#"{"order": 7}"#]);
    let event_id = fired["id"].as_str().unwrap().to_owned();
    assert_eq!(fired["deliveries"][0]["endpoint_id"], endpoint_id.as_str());
    let unmatched = server.cli_json(&["trigger", "user.created", "--data", "{}"]);
    assert_eq!(unmatched["deliveries"], serde_json::json!([]));

    let event = server.wait_for_event(&event_id, |e| e["status"] == "succeeded");
    assert_eq!(event["deliveries"][0]["attempts"][0]["response"]["status"], 200);
    let bodies = receiver.bodies();
    assert_eq!(bodies, vec![r#"{"order": 7}"#.to_owned()], "only the matching event is delivered, byte for byte");

    let listed = server.cli_json(&["events", "list", "--status", "succeeded"]);
    let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![event_id.as_str()]);

    let text = server.cli_text(&["events", "show", &event_id]);
    assert!(text.contains("succeeded") && text.contains("#1 automatic"), "{text}");
    server.stop_gracefully();
}

#[test]
fn client_errors_are_one_line_with_exit_code_1() {
    let server = Server::start(None);
    let (code, stderr) = server.cli_failure(&["events", "show", "evt_nothing"]);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: no event with this id"), "{stderr}");

    let (code, stderr) = server.cli_failure(&["trigger", "bad name", "--data", "{}"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("event_name") && stderr.contains("422"), "{stderr}");

    let (code, stderr) = server.cli_failure(&["endpoints", "list", "--token", "wrong"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("401"), "{stderr}");
    let listen = server.base_url.trim_start_matches("http://").to_owned();
    server.stop_gracefully();

    let output = harness::hooky(&["endpoints", "list", "--listen", &listen, "--token", "x"]).output().unwrap();
    let (code, stderr) = (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned());
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot reach Hooky"), "{stderr}");
}

#[test]
fn a_killed_server_delivers_after_restart() {
    let receiver = Receiver::start(503);
    let server = Server::start(None);
    server.cli_json(&["endpoints", "add", &receiver.url()]);
    // The first attempt fails; the next is scheduled 5 s later, then the process dies.
    let event_id = server.cli_json(&["trigger", "crash.test", "--data", "[1,2,3]"])["id"].as_str().unwrap().to_owned();
    server.wait_for_event(&event_id, |e| e["status"] == "retrying");
    let data_dir = server.kill_hard();

    receiver.set_status(200);
    let server = Server::start(Some(data_dir));
    let event = server.wait_for_event(&event_id, |e| e["status"] == "succeeded");
    assert_eq!(event["deliveries"][0]["attempt_count"], 2);
    assert!(receiver.bodies().iter().all(|b| b == "[1,2,3]"));
    server.stop_gracefully();
}

/// After a clean stop, `hooky.db` alone holds everything, the last commits included: a copy of
/// that one file (a backup, say) starts with every endpoint, event and attempt in it.
#[test]
fn after_a_clean_stop_the_database_file_alone_holds_the_data() {
    let receiver = Receiver::start(200);
    let server = Server::start(None);
    let endpoint_id = server.cli_json(&["endpoints", "add", &receiver.url()])["id"].as_str().unwrap().to_owned();
    let event_id = server.cli_json(&["trigger", "backup.test", "--data", "{}"])["id"].as_str().unwrap().to_owned();
    server.wait_for_event(&event_id, |e| e["status"] == "succeeded");
    // At once: the attempt's commit is then still in the log, unless the stop folds it in.
    let (data_dir, _kept) = server.stop_gracefully();

    let backup = tempfile::tempdir().unwrap();
    std::fs::copy(data_dir.join("hooky.db"), backup.path().join("hooky.db")).unwrap();
    let server = Server::start(Some((backup.path().to_path_buf(), None)));
    let event = server.get_json(&format!("/api/v1/events/{event_id}"), true);
    assert_eq!(event["status"], "succeeded", "{event:#}");
    assert_eq!(event["deliveries"][0]["endpoint_id"], endpoint_id.as_str());
    assert_eq!(event["deliveries"][0]["attempts"][0]["response"]["status"], 200, "{event:#}");
    server.stop_gracefully();
}

#[test]
fn second_server_on_the_same_data_dir_refuses_to_start() {
    let server = Server::start(None);
    let (code, stderr) = server.serve_failure();
    assert_eq!(code, 1);
    assert!(stderr.contains("already running on the data dir"), "{stderr}");
    server.stop_gracefully();
}

#[test]
fn serve_refuses_a_non_loopback_address() {
    let output =
        harness::hooky(&["serve", "--listen", "0.0.0.0:0", "--data-dir", "/tmp/hooky-never-used"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback only"));
}

#[test]
fn serve_prints_a_ui_link_with_the_token() {
    let server = Server::start(None);
    assert!(server.banner.contains(&format!("{}/#token={}", server.base_url, server.token)), "{}", server.banner);
    let health: Value = server.get_json("/api/v1/health", false);
    assert_eq!(health["status"], "ok");
    server.stop_gracefully();
}

#[test]
fn serve_time_warp_sets_the_factor_at_start() {
    let server = Server::start_with(None, &["--time-warp", "3600"]);
    let time_warp = server.get_json("/api/v1/time_warp", true);
    assert_eq!(time_warp["factor"].as_f64(), Some(3600.0), "{time_warp}");
    assert_eq!(time_warp["enabled"], true);
    assert_eq!(server.get_json("/api/v1/info", true)["time_warp"], time_warp);
    server.stop_gracefully();

    let refused = harness::hooky(&["serve", "--listen", "127.0.0.1:0", "--time-warp", "0.5"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "clap refuses a factor under 1");
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("--time-warp") && message.contains("1000000"), "{message}");
}
