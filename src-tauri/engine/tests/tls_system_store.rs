//! A receiver whose certificate comes from a CA in the system's store (as mkcert installs one)
//! is trusted. `SSL_CERT_FILE` stands in for the store, so this binary holds one test: the
//! variable is set before any client reads it.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::tls_receiver::{TestCa, TlsReceiver};
use support::{attempts, delivery, text, TestEngine};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_a_ca_in_the_system_store_is_trusted() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("test-ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    // Set before the engine (and its HTTP client) starts; no other test runs in this binary.
    std::env::set_var("SSL_CERT_FILE", &ca_file);

    let engine = TestEngine::start().await;
    let receiver = TlsReceiver::issued_by(&ca).await;
    let endpoint = engine.create_endpoint(json!({"url": receiver.url(), "retry_schedule": []})).await;
    let accepted = engine.trigger("order.created", json!({"order": 8})).await;
    let event = engine.wait_for_status(text(&accepted, "id"), "succeeded").await;
    let delivered = delivery(&event, text(&endpoint, "id"));
    assert_eq!(attempts(delivered)[0]["response"]["status"], 200, "{delivered:#}");
    assert_eq!(receiver.bodies(), vec![r#"{"order":8}"#.to_owned()]);
    engine.shutdown().await;
}
