//! Loopback receivers for the benchmark: answer at once, fail, or hang; count and time arrivals.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Ok,
    Fail,
    Hang,
}

#[derive(Default)]
pub struct Counters {
    pub received: AtomicU64,
    /// Arrival time of each `seq` (read from the JSON body), for latency.
    pub arrivals: Mutex<HashMap<u64, Instant>>,
}

pub struct Receiver {
    pub url: String,
    pub counters: Arc<Counters>,
    stop: CancellationToken,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[derive(Clone)]
struct Shared {
    behaviour: Behaviour,
    record_seq: bool,
    counters: Arc<Counters>,
    stop: CancellationToken,
}

pub async fn start(behaviour: Behaviour, record_seq: bool) -> anyhow::Result<Receiver> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let counters = Arc::new(Counters::default());
    let stop = CancellationToken::new();
    let shared = Shared { behaviour, record_seq, counters: counters.clone(), stop: stop.clone() };
    let app = Router::new().route("/hook", post(receive)).with_state(shared);
    let shutdown = stop.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await;
    });
    Ok(Receiver { url, counters, stop })
}

async fn receive(State(shared): State<Shared>, _headers: HeaderMap, body: Bytes) -> StatusCode {
    let now = Instant::now();
    if shared.record_seq {
        if let Some(seq) = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v["seq"].as_u64()) {
            shared.counters.arrivals.lock().unwrap_or_else(|p| p.into_inner()).entry(seq).or_insert(now);
        }
    }
    shared.counters.received.fetch_add(1, Ordering::Relaxed);
    match shared.behaviour {
        Behaviour::Ok => StatusCode::OK,
        Behaviour::Fail => StatusCode::INTERNAL_SERVER_ERROR,
        Behaviour::Hang => {
            shared.stop.cancelled().await;
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The HTTP ceiling: a bare handler that reads the body, answers 202 and stores nothing.
pub async fn start_bare_202() -> anyhow::Result<(String, CancellationToken)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/trigger", listener.local_addr()?);
    let app = Router::new().route(
        "/trigger",
        post(|body: Bytes| async move {
            let _ = body.len();
            (StatusCode::ACCEPTED, "{}")
        }),
    );
    let stop = CancellationToken::new();
    let shutdown = stop.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await;
    });
    Ok((url, stop))
}
