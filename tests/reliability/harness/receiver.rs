//! HTTP receivers on 127.0.0.1 that record every `webhook-id` and fail by a chosen policy.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

/// What one receiver saw of one `webhook-id`.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// `seq` from the JSON payload, when there is one.
    pub seq: Option<u64>,
    /// Requests answered 2xx.
    pub ok: u32,
    /// Requests answered with a failure on purpose.
    pub failed: u32,
    /// The length of the payload's `pad` string, when there is one (a long payload).
    pub pad_len: Option<usize>,
    /// Whether a later request of this id carried another body than the first.
    pub bodies_differ: bool,
    first_body: Option<Bytes>,
}

/// How a receiver decides to fail: given the webhook-id, the attempt header and how many
/// times it saw this id, true means answer 500.
pub type FailPolicy = Arc<dyn Fn(&str, u32, u32) -> bool + Send + Sync>;

struct ReceiverState {
    seen: Mutex<HashMap<String, Seen>>,
    fail: Option<FailPolicy>,
    delay_ms: u64,
}

/// An HTTP receiver on 127.0.0.1 that records every `webhook-id`, in this test's runtime.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<ReceiverState>,
    task: tokio::task::JoinHandle<()>,
}

async fn receive(State(state): State<Arc<ReceiverState>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let attempt: u32 =
        headers.get("x-hooky-attempt").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
    let parsed = serde_json::from_slice::<Value>(&body).ok();
    let seq = parsed.as_ref().and_then(|v| v["seq"].as_u64());
    let pad_len = parsed.as_ref().and_then(|v| v["pad"].as_str().map(str::len));
    let fail = {
        let mut seen = state.seen.lock().unwrap_or_else(|p| p.into_inner());
        let entry = seen.entry(id.clone()).or_default();
        entry.seq = entry.seq.or(seq);
        entry.pad_len = entry.pad_len.or(pad_len);
        match &entry.first_body {
            None => entry.first_body = Some(body.clone()),
            Some(first) => entry.bodies_differ |= *first != body,
        }
        let before = entry.ok + entry.failed;
        let fail = state.fail.as_ref().is_some_and(|policy| policy(&id, attempt, before));
        if fail {
            entry.failed += 1;
        } else {
            entry.ok += 1;
        }
        fail
    };
    if state.delay_ms > 0 {
        // Keeps attempts in flight for a moment, as a real receiver would.
        let jitter = id.bytes().fold(0u64, |acc, b| acc.wrapping_mul(31).wrapping_add(u64::from(b)));
        tokio::time::sleep(Duration::from_millis(jitter % (state.delay_ms + 1))).await;
    }
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

impl Receiver {
    pub async fn start(fail: Option<FailPolicy>, delay_ms: u64) -> Self {
        let state = Arc::new(ReceiverState { seen: Mutex::default(), fail, delay_ms });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a receiver");
        let addr = listener.local_addr().expect("receiver address");
        let app = axum::Router::new().fallback(receive).with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn seen(&self) -> HashMap<String, Seen> {
        self.state.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
