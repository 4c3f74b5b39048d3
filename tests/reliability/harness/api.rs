//! A client of one server's API with the token: calls, triggers, paging through events, and
//! waiting for the deliveries to drain.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use super::{TOKEN, TRIGGER};

/// A client of one server's API, with the token.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub fn new(base: String) -> Self {
        let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("client");
        Self { client, base, token: TOKEN.to_owned() }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token)
    }

    /// Any request; the status and the body as JSON (Null when it is not JSON).
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = self.request(method.clone(), path);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap_or_else(|err| panic!("{method} {path}: {err}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn create_endpoint(&self, body: Value) -> String {
        let (status, created) = self.call(Method::POST, "/api/v1/endpoints", Some(&body)).await;
        assert_eq!(status, 201, "create endpoint {body}: {created}");
        created["id"].as_str().expect("an endpoint id").to_owned()
    }

    /// POSTs a trigger; the status and the body.
    pub async fn trigger(&self, event_name: &str, payload: Value) -> Result<(u16, Value), reqwest::Error> {
        let body = serde_json::json!({"event_name": event_name, "payload": payload});
        let response = self.client.post(format!("{}{TRIGGER}", self.base)).json(&body).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// How many events have `status` (pending, retrying, …), counting at most `cap`.
    pub async fn count_status(&self, status: &str, cap: usize) -> usize {
        let mut count = 0;
        let mut cursor = String::new();
        loop {
            let page = self.get(&format!("/api/v1/events?status={status}&limit=500&cursor={cursor}")).await;
            count += page["data"].as_array().map_or(0, Vec::len);
            match page["next_cursor"].as_str() {
                Some(next) if count < cap => cursor = next.to_owned(),
                _ => return count,
            }
        }
    }

    /// Every event id in the log, newest first.
    pub async fn all_event_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self.get(&format!("/api/v1/events?limit=500&cursor={cursor}")).await;
            ids.extend(
                page["data"].as_array().into_iter().flatten().filter_map(|e| e["id"].as_str().map(str::to_owned)),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => return ids,
            }
        }
    }

    /// Waits until no event is pending or retrying; returns how long it took. Panics after `timeout`.
    pub async fn wait_until_drained(&self, timeout: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let pending = self.count_status("pending", 1).await;
            let retrying = self.count_status("retrying", 1).await;
            if pending == 0 && retrying == 0 {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < timeout,
                "deliveries still pending ({pending}+) or retrying ({retrying}+) after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
