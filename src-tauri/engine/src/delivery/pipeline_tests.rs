//! Sending does not wait for the writer: answered attempts queue for it apart from the endpoint's cap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::DeliveryEngine;
use crate::bus::Bus;
use crate::model::time::now_ms;
use crate::store::test_support::{endpoint_from, hold_writer, store_due, temp_store};

/// A receiver on 127.0.0.1 that answers 200 and counts what it got.
async fn counting_receiver() -> (String, Arc<AtomicUsize>) {
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

/// With the writer busy (a slow disk, a long transaction), an endpoint goes on sending its
/// backlog: answered attempts wait for the writer without holding the endpoint's sending claims.
/// When they shared one cap, a one-slot endpoint stopped after four requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_keeps_sending_while_the_writer_is_busy() {
    const BACKLOG: usize = 40;
    let (_dir, store) = temp_store();
    let (url, received) = counting_receiver().await;
    let endpoint = endpoint_from(serde_json::json!({"url": url, "max_in_flight": 1}));
    store_due(&store, endpoint, BACKLOG, now_ms()).await;

    // Held for longer than the test looks.
    let hold = hold_writer(&store, Duration::from_secs(3)).await;

    let cancel = CancellationToken::new();
    let engine = DeliveryEngine::new(store, Bus::default(), cancel.clone()).expect("engine");
    engine.start();
    let deadline = Instant::now() + Duration::from_secs(2);
    while received.load(Ordering::SeqCst) < BACKLOG && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(received.load(Ordering::SeqCst), BACKLOG, "every delivery is sent while no outcome can be recorded");
    hold.await.expect("join").expect("the holding job commits");
    cancel.cancel();
    engine.stopped().await;
}
