//! Sends one request of a run and records the answer: status, latency, headers and the
//! first 20 KB of the body. Paces requests when the run has a rate.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::model::{ResponseRecord, Target};
use crate::http_text::{header_text, read_capped};
use crate::model::HeaderStyle;

/// How much of an answer's body a report keeps.
pub const BODY_KEEP_BYTES: usize = 20 * 1024;

/// One request, ready to go.
#[derive(Debug, Clone)]
pub struct Request {
    pub msg_id: String,
    pub timestamp: i64,
    pub event_name: String,
    pub body: Vec<u8>,
    /// The whole `webhook-signature` value; absent means no such header.
    pub signature: Option<String>,
}

/// What came back for one request.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub status: Option<u16>,
    pub latency: Duration,
    pub response: Option<ResponseRecord>,
    /// Why no (complete) answer came.
    pub error: Option<String>,
}

impl Exchange {
    pub fn is_2xx(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    pub fn body(&self) -> &str {
        self.response.as_ref().map_or("", |r| r.body.as_str())
    }
}

/// Spaces requests `1/rate` seconds apart across every task of a run.
struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

pub struct Sender {
    client: reqwest::Client,
    target: Target,
    timeout: Duration,
    pacer: Option<Pacer>,
    cancel: CancellationToken,
}

impl Sender {
    pub fn new(target: Target, timeout: Duration, rate_per_s: Option<f64>, cancel: CancellationToken) -> Self {
        // The delivery engine's client: no redirects followed, no system proxy.
        let client = crate::delivery::clients::build_client(target.verify_tls).unwrap_or_default();
        let pacer = rate_per_s
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|rate| Pacer { interval: Duration::from_secs_f64(1.0 / rate), next: Mutex::new(Instant::now()) });
        Self { client, target, timeout, pacer, cancel }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    pub async fn send(&self, request: &Request) -> Exchange {
        if let Some(pacer) = &self.pacer {
            tokio::select! {
                () = pacer.wait() => {}
                () = self.cancel.cancelled() => return cancelled(),
            }
        }
        let clock = Instant::now();
        let exchange =
            self.client.post(self.target.url.clone()).headers(self.headers(request)).body(request.body.clone());
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(self.timeout, async {
                // In the words an attempt's error uses: a refused connection or certificate says what to do.
                let response =
                    exchange.send().await.map_err(|err| crate::delivery::sender::classify(&err).message)?;
                let status = response.status().as_u16();
                let headers = header_text(response.headers());
                let (body, body_truncated) = read_start(response).await;
                Ok::<_, String>((status, ResponseRecord { headers, body, body_truncated }))
            }) => outcome,
            () = self.cancel.cancelled() => return cancelled(),
        };
        let latency = clock.elapsed();
        match outcome {
            Err(_elapsed) => Exchange {
                latency,
                error: Some(format!("no answer within the timeout of {} ms", self.timeout.as_millis())),
                ..Exchange::default()
            },
            Ok(Err(error)) => Exchange { latency, error: Some(error), ..Exchange::default() },
            Ok(Ok((status, response))) => {
                Exchange { status: Some(status), latency, response: Some(response), error: None }
            }
        }
    }

    fn headers(&self, request: &Request) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        put("content-type", "application/json");
        let [id, timestamp, signature] = match self.target.header_style {
            HeaderStyle::Webhook => ["webhook-id", "webhook-timestamp", "webhook-signature"],
            HeaderStyle::Svix => ["svix-id", "svix-timestamp", "svix-signature"],
        };
        put(id, &request.msg_id);
        put(timestamp, &request.timestamp.to_string());
        if let Some(value) = &request.signature {
            put(signature, value);
        }
        put("x-hooky-event", &request.event_name);
        put("x-hooky-run", "qa");
        for (name, value) in &self.target.headers {
            headers.insert(name.clone(), value.clone());
        }
        headers
    }
}

fn cancelled() -> Exchange {
    Exchange { error: Some(CANCELLED.into()), ..Exchange::default() }
}

/// The error text of a request stopped by cancelling the run.
pub const CANCELLED: &str = "the run was cancelled";

/// Reads at most [`BODY_KEEP_BYTES`] and stops; a body cut short by an error keeps what came.
async fn read_start(response: reqwest::Response) -> (String, bool) {
    let (body, truncated, _error) = read_capped(response, BODY_KEEP_BYTES).await;
    (body, truncated)
}
