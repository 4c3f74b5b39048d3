//! A backlog flows: sending does not wait for the writer, and passes that resume where the last
//! one stopped still find every due row.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::DeliveryEngine;
use crate::bus::Bus;
use crate::ids::{DeliveryId, EndpointId, EventId};
use crate::model::time::now_ms;
use crate::model::EventStatus;
use crate::store::test_support::{endpoint_from, hold_writer, store_due, temp_store};
use crate::store::{deliveries, events, Store};

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

const BACKLOG: usize = 40;

/// An endpoint with one in-flight slot on a counting receiver, and [`BACKLOG`] deliveries due to it.
async fn one_slot_backlog(store: &Store) -> (Arc<AtomicUsize>, EndpointId) {
    let (url, received) = counting_receiver().await;
    let endpoint = endpoint_from(serde_json::json!({"url": url, "max_in_flight": 1}));
    let endpoint_id = endpoint.id.clone();
    store_due(store, endpoint, BACKLOG, now_ms()).await;
    (received, endpoint_id)
}

/// How many requests the receiver got, once it has `count` or `within` has passed.
async fn received_within(received: &AtomicUsize, count: usize, within: Duration) -> usize {
    let deadline = Instant::now() + within;
    while received.load(Ordering::SeqCst) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    received.load(Ordering::SeqCst)
}

/// With the writer busy (a slow disk, a long transaction), an endpoint goes on sending its
/// backlog: answered attempts wait for the writer without holding the endpoint's sending claims.
/// When they shared one cap, a one-slot endpoint stopped after four requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_keeps_sending_while_the_writer_is_busy() {
    let (_dir, store) = temp_store();
    let (received, _) = one_slot_backlog(&store).await;

    // Held for longer than the test looks.
    let hold = hold_writer(&store, Duration::from_secs(3)).await;

    let cancel = CancellationToken::new();
    let engine = DeliveryEngine::new(store, Bus::default(), cancel.clone()).expect("engine");
    engine.start();
    let sent = received_within(&received, BACKLOG, Duration::from_secs(2)).await;
    assert_eq!(sent, BACKLOG, "every delivery is sent while no outcome can be recorded");
    hold.await.expect("join").expect("the holding job commits");
    cancel.cancel();
    engine.stopped().await;
}

/// A pass resumes after the last row it claimed. A row that falls due before that point with
/// nothing to say so (here, written straight to the store, without waking the engine) is still
/// sent, once the rows after the point run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_due_behind_where_passes_resume_is_still_sent() {
    let (_dir, store) = temp_store();
    let (received, endpoint_id) = one_slot_backlog(&store).await;

    let cancel = CancellationToken::new();
    let engine = DeliveryEngine::new(store.clone(), Bus::default(), cancel.clone()).expect("engine");
    engine.start();
    assert!(received_within(&received, 1, Duration::from_secs(2)).await >= 1, "the first pass claimed and sent");
    store
        .write(move |conn| {
            let event = EventId::generate();
            let due_long_ago = now_ms() - 60_000;
            events::insert(conn, &event, "order.created", "{}", EventStatus::Pending, due_long_ago)?;
            deliveries::insert(conn, &DeliveryId::generate(), &event, &endpoint_id, due_long_ago)
        })
        .await
        .expect("a row due behind the resume point");
    let sent = received_within(&received, BACKLOG + 1, Duration::from_secs(5)).await;
    assert_eq!(sent, BACKLOG + 1, "every due row is sent");
    cancel.cancel();
    engine.stopped().await;
}
