//! The generator task: one order event every `interval_ms`, through the same path as the
//! trigger route, each recorded as a demo item in the event's own transaction.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::orders::OrderSource;
use super::Demo;
use crate::ids::EventId;
use crate::ingest::{self, NewEvent};
use crate::store::demo_items::{self, DemoItemKind};
use crate::store::StoreError;

/// Open UIs hear the event count this often (they see each event on the stream anyway).
const ANNOUNCE_EVERY: u64 = 10;

fn record_event(conn: &rusqlite::Connection, id: &EventId) -> Result<(), StoreError> {
    demo_items::record(conn, DemoItemKind::Event, id.as_str())
}

pub(super) async fn run(demo: Demo, interval_ms: u32, stop: CancellationToken) {
    let mut source = OrderSource::default();
    let mut ticker = tokio::time::interval(Duration::from_millis(u64::from(interval_ms)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent = 0u64;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = stop.cancelled() => break,
        }
        let (event_name, payload) = source.next_event(&mut rand::thread_rng());
        let event = NewEvent { event_name, payload: payload.to_string(), idempotency_key: None };
        let inner = &demo.inner;
        match ingest::accept_with(&inner.store, &inner.bus, &inner.delivery, event, record_event).await {
            Ok(_) => sent += 1,
            Err(err) => {
                tracing::warn!(error = %err, "the demo could not send an event; it tries again at the next tick");
                continue;
            }
        }
        if sent.is_multiple_of(ANNOUNCE_EVERY) {
            if let Err(err) = demo.announce().await {
                tracing::warn!(error = %err, "could not announce the demo state");
            }
        }
    }
    tracing::debug!(sent, "demo generator stopped");
}
