//! `TestReceiver`: a real HTTP server on 127.0.0.1 that records every request
//! and answers from a script of replies.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::task::JoinHandle;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
    /// Never answer at all.
    pub hang: bool,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: String::new(), delay: Duration::ZERO, hang: false }
    }

    pub fn ok() -> Self {
        Self::status(200)
    }

    pub fn hang() -> Self {
        Self { hang: true, ..Self::ok() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Recorded {
    /// The header's value; panics when it is absent or not text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("the request has no {name} header; it has {:?}", self.headers))
            .to_str()
            .unwrap_or_else(|_| panic!("the {name} header is not text"))
    }
}

#[derive(Default)]
struct Shared {
    /// Replies still to give; the last one repeats forever.
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
}

impl Shared {
    fn next_reply(&self) -> Reply {
        let mut script = self.script.lock().unwrap_or_else(|p| p.into_inner());
        match script.len() {
            0 => Reply::ok(),
            1 => script[0].clone(),
            _ => script.pop_front().unwrap_or_else(Reply::ok),
        }
    }
}

pub struct TestReceiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded { method, path: uri.path().to_owned(), headers, body, at: Instant::now() };
    shared.requests.lock().unwrap_or_else(|p| p.into_inner()).push(recorded);
    let reply = shared.next_reply();
    if reply.hang {
        std::future::pending::<()>().await;
    }
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, reply.body).into_response();
    for (name, value) in &reply.headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).unwrap_or_else(|_| panic!("bad scripted header name {name}"));
        let value = HeaderValue::from_str(value).unwrap_or_else(|_| panic!("bad scripted header value {value}"));
        response.headers_mut().insert(name, value);
    }
    response
}

impl TestReceiver {
    /// Starts a receiver that answers with `script` in order, repeating the last reply
    /// (an empty script answers 200 to everything).
    pub async fn start(script: Vec<Reply>) -> Self {
        let shared = Arc::new(Shared { script: Mutex::new(script.into()), ..Shared::default() });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, server }
    }

    /// The URL to register as an endpoint: `http://127.0.0.1:<port>/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Replaces what the receiver answers from now on.
    #[allow(dead_code)] // not every test binary changes its script
    pub fn set_script(&self, script: Vec<Reply>) {
        *self.shared.script.lock().unwrap_or_else(|p| p.into_inner()) = script.into();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn count(&self) -> usize {
        self.shared.requests.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Waits until at least `n` requests arrived and returns all of them; panics after `timeout`.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if requests.len() >= n {
                return requests;
            }
            if Instant::now() >= deadline {
                panic!("the receiver got {} requests within {timeout:?}, expected {n}", requests.len());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for TestReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}
