//! Shared pieces of the integration tests: a real engine on 127.0.0.1:0 with a
//! temp data dir, an HTTP client for its API, and scripted receivers.
//! Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

pub mod receiver;
pub mod sse;
pub mod tls_receiver;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use hooky_engine::{Engine, EngineConfig};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[allow(unused_imports)]
pub use receiver::{Recorded, Reply, TestReceiver};

pub const TOKEN: &str = "test-token";
/// How long waits for the engine give up after; generous for a loaded CI machine.
pub const WAIT: Duration = Duration::from_secs(15);
pub const TRIGGER: &str = "/api/v1/webhook_events/trigger";

/// The test settings: loopback port 0, the fixed token and no web UI.
pub fn test_config(data_dir: &Path) -> EngineConfig {
    EngineConfig {
        token: Some(TOKEN.to_owned()),
        ui_dir: None,
        ..EngineConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), data_dir.to_path_buf())
    }
}

pub struct TestEngine {
    engine: Option<Engine>,
    config: EngineConfig,
    addr: SocketAddr,
    pub client: reqwest::Client,
    dir: TempDir,
}

impl TestEngine {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts an engine after `adjust` changed the test settings.
    pub async fn start_with(adjust: impl FnOnce(&mut EngineConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp data dir");
        let mut config = test_config(dir.path());
        adjust(&mut config);
        let engine = Engine::start(config.clone()).await.expect("the engine starts");
        let client = reqwest::Client::builder().no_proxy().build().expect("HTTP client");
        Self { addr: engine.local_addr(), engine: Some(engine), config, client, dir }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Stops the engine and waits for it to end; the data dir stays.
    pub async fn stop(&mut self) {
        if let Some(engine) = self.engine.take() {
            engine.shutdown().await;
        }
    }

    /// Shuts the engine down and starts a new one on the same data dir (on a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        let engine = Engine::start(self.config.clone()).await.expect("the engine starts again");
        self.addr = engine.local_addr();
        self.engine = Some(engine);
    }

    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// A request to the management API, with the token.
    pub fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(TOKEN)
    }

    /// POSTs a raw trigger body as JSON, without a token.
    pub async fn trigger_raw(&self, body: impl Into<reqwest::Body>) -> Response {
        self.client
            .post(self.url(TRIGGER))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("trigger request")
    }

    /// Triggers an event, asserts 202 and returns the answer (`id`, `deliveries`).
    pub async fn trigger(&self, event_name: &str, payload: Value) -> Value {
        let response = self.trigger_raw(json!({ "event_name": event_name, "payload": payload }).to_string()).await;
        expect_json(response, StatusCode::ACCEPTED).await
    }

    /// Creates an endpoint, asserts 201 and returns it.
    pub async fn create_endpoint(&self, body: Value) -> Value {
        let response = self.api(Method::POST, "/api/v1/endpoints").json(&body).send().await.expect("create endpoint");
        expect_json(response, StatusCode::CREATED).await
    }

    pub async fn get_endpoint(&self, id: &str) -> Value {
        let response = self.api(Method::GET, &format!("/api/v1/endpoints/{id}")).send().await.expect("get endpoint");
        expect_json(response, StatusCode::OK).await
    }

    pub async fn get_event(&self, id: &str) -> Value {
        let response = self.api(Method::GET, &format!("/api/v1/events/{id}")).send().await.expect("get event");
        expect_json(response, StatusCode::OK).await
    }

    /// `GET /api/v1/events?<query>`, asserting 200.
    pub async fn list_events(&self, query: &str) -> Value {
        let response = self.api(Method::GET, &format!("/api/v1/events?{query}")).send().await.expect("list events");
        expect_json(response, StatusCode::OK).await
    }

    /// POSTs `/api/v1/deliveries/{id}/{action}` (retry or cancel) and returns the answer.
    pub async fn delivery_action(&self, delivery_id: &str, action: &str) -> Response {
        self.api(Method::POST, &format!("/api/v1/deliveries/{delivery_id}/{action}"))
            .send()
            .await
            .expect("delivery action")
    }

    /// Polls `GET /api/v1/events/{id}` every 50 ms until `condition` holds; panics with
    /// the last state after `timeout`.
    pub async fn wait_for(&self, event_id: &str, condition: impl Fn(&Value) -> bool, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let event = self.get_event(event_id).await;
            if condition(&event) {
                return event;
            }
            if Instant::now() >= deadline {
                panic!("the condition did not hold within {timeout:?}; the event is now:\n{event:#}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the event has `status` (e.g. "succeeded", "failed").
    pub async fn wait_for_status(&self, event_id: &str, status: &str) -> Value {
        self.wait_for(event_id, |event| event["status"] == status, WAIT).await
    }
}

impl Drop for TestEngine {
    /// A test that panicked never reached `shutdown`: at least stop the engine's work.
    fn drop(&mut self) {
        if let Some(engine) = &self.engine {
            engine.cancellation().cancel();
        }
    }
}

/// Asserts the status and returns the body as JSON.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let got = response.status();
    let text = response.text().await.expect("response body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("the body is not JSON ({err}): {text}"))
}

/// A string field of a JSON value; panics when absent.
pub fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_else(|| panic!("no string {field:?} in {value:#}"))
}

/// The delivery of `event` to `endpoint_id`.
pub fn delivery<'a>(event: &'a Value, endpoint_id: &str) -> &'a Value {
    event["deliveries"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["endpoint_id"] == endpoint_id))
        .unwrap_or_else(|| panic!("no delivery to {endpoint_id} in {event:#}"))
}

pub fn attempts(delivery: &Value) -> &Vec<Value> {
    delivery["attempts"].as_array().unwrap_or_else(|| panic!("no attempts in {delivery:#}"))
}

/// True when the event's delivery to `endpoint_id` has `status`.
pub fn delivery_is(event: &Value, endpoint_id: &str, status: &str) -> bool {
    event["deliveries"]
        .as_array()
        .is_some_and(|all| all.iter().any(|d| d["endpoint_id"] == endpoint_id && d["status"] == status))
}

/// A port on 127.0.0.1 where nothing listens (it was free a moment ago).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a probe port");
    listener.local_addr().expect("probe address").port()
}

/// Sends `request` as raw bytes over TCP and returns the status code and the whole answer.
/// For what an HTTP client would not send, like a foreign Host header.
pub async fn raw_http(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .expect("the answer within the wait")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    (status, answer)
}
