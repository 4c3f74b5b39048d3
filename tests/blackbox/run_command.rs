//! `hooky run`: a fixtures folder against a receiver, with no server running.

use serde_json::Value;

use crate::harness::{hooky, Receiver};

/// The engine tests' receiver on https://127.0.0.1 with a certificate made on the spot.
#[path = "../../src-tauri/engine/tests/support/tls_receiver.rs"]
#[allow(dead_code)]
mod tls_receiver;

fn run(dir: &std::path::Path, url: &str, out: &std::path::Path) -> (i32, String) {
    let xml = out.join("out.xml");
    let json = out.join("out.json");
    let output = hooky(&[
        "run",
        dir.to_str().unwrap(),
        "--to",
        url,
        "--report",
        xml.to_str().unwrap(),
        "--report",
        json.to_str().unwrap(),
        "--faults",
        "duplicate,reorder",
    ])
    .output()
    .unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn run_exits_by_outcome_and_writes_both_reports() {
    let fixtures = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(fixtures.path().join("orders")).unwrap();
    std::fs::write(
        fixtures.path().join("orders/created.json"),
        r#"{"event_name": "order.created", "variations": [{"n": "{{seq}}"}, {"n": 2}], "expect": {"status": [200]}}"#,
    )
    .unwrap();
    let receiver = Receiver::start(200);
    let out = tempfile::tempdir().unwrap();

    let (code, table) = run(fixtures.path(), &receiver.url(), out.path());
    assert_eq!(code, 0, "{table}");
    assert!(table.contains("orders/created.json") && table.contains("0 failed"), "{table}");
    let bodies = receiver.bodies();
    assert!(bodies.contains(&r#"{"n":1}"#.to_owned()), "templates rendered: {bodies:?}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(report["totals"]["failed"], 0);
    let xml = std::fs::read_to_string(out.path().join("out.xml")).unwrap();
    assert!(xml.contains("<testsuite name=\"orders/created.json\"") && !xml.contains("<failure"), "{xml}");

    receiver.set_status(500);
    let (code, table) = run(fixtures.path(), &receiver.url(), out.path());
    assert_eq!(code, 1, "{table}");
    assert!(table.contains("expected status 200, got 500"), "{table}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(report["totals"]["failed"], report["totals"]["cases"], "{report:#}");
    let xml = std::fs::read_to_string(out.path().join("out.xml")).unwrap();
    assert_eq!(xml.matches("<failure").count(), report["totals"]["failed"].as_u64().unwrap() as usize, "{xml}");
}

#[test]
fn run_usage_errors_exit_2() {
    let empty = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 3] = [
        &["run", "/nonexistent/fixtures", "--to", "http://127.0.0.1:9/"],
        &["run", empty.path().to_str().unwrap(), "--to", "http://127.0.0.1:9/"],
        &["run", empty.path().to_str().unwrap(), "--to", "ftp://127.0.0.1/"],
    ];
    for args in cases {
        let output = hooky(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}

#[test]
fn run_checks_the_receivers_certificate_unless_told_not_to() {
    let fixtures = tempfile::tempdir().unwrap();
    std::fs::write(
        fixtures.path().join("created.json"),
        r#"{"event_name": "order.created", "variations": [{"n": 1}]}"#,
    )
    .unwrap();
    // The receiver's tasks run on this runtime while the CLI runs in its own process.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let receiver = runtime.block_on(tls_receiver::TlsReceiver::self_signed());
    let dir = fixtures.path().to_str().unwrap();

    let checked = hooky(&["run", dir, "--to", &receiver.url()]).output().unwrap();
    let table = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(1), "{table}");
    assert!(table.contains("certificate is not trusted"), "{table}");
    assert!(receiver.bodies().is_empty());

    let unchecked = hooky(&["run", dir, "--to", &receiver.url(), "-k"]).output().unwrap();
    let table = String::from_utf8_lossy(&unchecked.stdout);
    assert_eq!(unchecked.status.code(), Some(0), "{table}");
    assert_eq!(receiver.bodies(), vec![r#"{"n":1}"#.to_owned()]);
}
