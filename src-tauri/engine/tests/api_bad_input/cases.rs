//! The table-driven check every bad-input test uses: a `Case` (request and expected answer),
//! the one error shape, and the routes listed in the OpenAPI document.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::support::{expect_json, TestEngine, TOKEN};

pub struct Case {
    what: String,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    /// The statuses allowed; the first is the documented one.
    status: Vec<u16>,
    code: Option<&'static str>,
    /// The error's `field` starts with this.
    field: Option<String>,
    /// Send no Authorization header.
    anonymous: bool,
}

impl Case {
    pub fn new(what: impl Into<String>, method: Method, path: &str, body: impl Into<Vec<u8>>, status: u16) -> Self {
        let body = body.into();
        let content_type = (!body.is_empty()).then_some("application/json");
        Self {
            what: what.into(),
            method,
            path: path.to_owned(),
            content_type,
            body,
            status: vec![status],
            code: None,
            field: None,
            anonymous: false,
        }
    }

    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }

    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub fn or(mut self, status: u16) -> Self {
        self.status.push(status);
        self
    }

    pub fn content_type(mut self, content_type: Option<&'static str>) -> Self {
        self.content_type = content_type;
        self
    }
}

/// True when `value` is exactly `{"error":{"code","message","field"?}}`.
pub fn is_error_shape(value: &Value) -> bool {
    let error = &value["error"];
    value.as_object().is_some_and(|o| o.len() == 1)
        && error["code"].as_str().is_some_and(|c| !c.is_empty())
        && error["message"].as_str().is_some_and(|m| !m.is_empty())
        && error.as_object().is_some_and(|o| o.keys().all(|k| ["code", "message", "field"].contains(&k.as_str())))
}

/// Sends one case; returns what was wrong, if anything.
async fn check(engine: &TestEngine, case: &Case) -> Option<String> {
    let mut request = engine.client.request(case.method.clone(), engine.url(&case.path));
    if !case.anonymous {
        request = request.bearer_auth(TOKEN);
    }
    if let Some(content_type) = case.content_type {
        request = request.header("content-type", content_type);
    }
    let response = match request.body(case.body.clone()).timeout(Duration::from_secs(20)).send().await {
        Ok(response) => response,
        Err(err) => return Some(format!("{}: the request failed: {err}", case.what)),
    };
    let status = response.status().as_u16();
    let json_type =
        response.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let body = response.text().await.unwrap_or_default();
    let shown: String = body.chars().take(300).collect();
    if status >= 500 {
        return Some(format!("{}: a server error {status}: {shown}", case.what));
    }
    if !case.status.contains(&status) {
        return Some(format!("{}: expected {:?}, got {status}: {shown}", case.what, case.status));
    }
    if status < 400 {
        return None;
    }
    let Ok(value) = serde_json::from_str::<Value>(&body) else {
        return Some(format!("{}: {status} and not JSON: {shown}", case.what));
    };
    if !json_type || !is_error_shape(&value) {
        return Some(format!("{}: {status} without the error shape: {shown}", case.what));
    }
    if case.code.is_some_and(|code| value["error"]["code"] != code) {
        return Some(format!("{}: expected code {:?}: {shown}", case.what, case.code));
    }
    if let Some(field) = &case.field {
        if !value["error"]["field"].as_str().is_some_and(|f| f.starts_with(field.as_str())) {
            return Some(format!("{}: expected field {field:?}: {shown}", case.what));
        }
    }
    None
}

pub async fn run(engine: &TestEngine, cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        failures.extend(check(engine, case).await);
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    let health = engine.client.get(engine.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the engine still answers");
}

/// Every route of the OpenAPI document as (method, path template).
pub async fn documented_routes(engine: &TestEngine) -> Vec<(Method, String, bool)> {
    let response = engine.client.get(engine.url("/api/openapi.json")).send().await.unwrap();
    let document = expect_json(response, StatusCode::OK).await;
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else { continue };
            if ["GET", "POST", "PATCH", "PUT", "DELETE"].contains(&method.as_str()) {
                routes.push((method, path.clone(), operation.get("requestBody").is_some()));
            }
        }
    }
    assert!(routes.len() >= 10, "the document lists the routes: {routes:?}");
    routes
}
