//! Bad input on every route of the API, beyond the documented cases in `api_errors.rs`:
//! wrong types for every field, unknown fields, invalid UTF-8, huge and deeply nested
//! bodies, quote and SQL metacharacters in every string field, query parameter and path id,
//! and path traversal in ids. Every answer under /api is a 4xx in the one error shape
//! (never a 5xx), and the engine keeps answering afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{expect_json, raw_http, text, TestEngine, TOKEN, TRIGGER};

const NASTY: [&str; 8] = [
    "'",
    "\"",
    "' OR '1'='1",
    "'; DROP TABLE events; --",
    "\\\" ) ; DELETE FROM endpoints WHERE 1=1; --",
    "%' AND 1=1 --",
    "?1 $1 :name @x NULL",
    "`${x}` <script>alert(1)</script>",
];

struct Case {
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
    fn new(what: impl Into<String>, method: Method, path: &str, body: impl Into<Vec<u8>>, status: u16) -> Self {
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

    fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }

    fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    fn field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    fn or(mut self, status: u16) -> Self {
        self.status.push(status);
        self
    }

    fn content_type(mut self, content_type: Option<&'static str>) -> Self {
        self.content_type = content_type;
        self
    }
}

/// True when `value` is exactly `{"error":{"code","message","field"?}}`.
fn is_error_shape(value: &Value) -> bool {
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

async fn run(engine: &TestEngine, cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        failures.extend(check(engine, case).await);
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    let health = engine.client.get(engine.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the engine still answers");
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every route of the OpenAPI document as (method, path template).
async fn documented_routes(engine: &TestEngine) -> Vec<(Method, String, bool)> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_and_unknown_fields_name_the_field() {
    let engine = TestEngine::start().await;
    let endpoint = engine.create_endpoint(json!({"url": "http://127.0.0.1:9/hook", "enabled": false})).await;
    let endpoint_path = format!("/api/v1/endpoints/{}", text(&endpoint, "id"));
    let wrong: Vec<(&str, Value)> = vec![
        ("url", json!(5)),
        ("url", json!(null)),
        ("url", json!(["http://127.0.0.1/"])),
        ("name", json!([])),
        ("name", json!(1)),
        ("description", json!({})),
        ("event_filter", json!("order.*")),
        ("event_filter", json!([1])),
        ("event_filter", json!([null])),
        ("enabled", json!("yes")),
        ("enabled", json!(1)),
        ("timeout_ms", json!(-1)),
        ("timeout_ms", json!(1.5)),
        ("timeout_ms", json!(1e20)),
        ("timeout_ms", json!("1000")),
        ("retry_schedule", json!("5,10")),
        ("retry_schedule", json!([-1])),
        ("retry_schedule", json!([1.5])),
        ("retry_schedule", json!({"0": 5})),
        ("max_in_flight", json!(4_294_967_296_u64)),
        ("max_in_flight", json!(-3)),
        ("rate_limit_per_s", json!("fast")),
        ("rate_limit_per_s", json!(-1)),
        ("rate_limit_per_s", json!(0)),
        ("rate_limit_per_s", json!(1e300)),
        ("headers", json!(["X-A: b"])),
        ("headers", json!({"X-A": 1})),
        ("headers", json!({"X-A": null})),
        ("headers", json!("X-A")),
    ];
    let mut cases = Vec::new();
    for (field, value) in &wrong {
        let mut create = json!({"url": "http://127.0.0.1:9/hook"});
        create[*field] = value.clone();
        if *field == "url" {
            create = json!({ "url": value });
        }
        cases.push(
            Case::new(format!("create: {field} = {value}"), Method::POST, "/api/v1/endpoints", create.to_string(), 422)
                .code("validation_failed")
                .field(field),
        );
        let patch = json!({ *field: value });
        // In a patch, null means "leave as is" for most fields (and "no limit" for the rate).
        if value.is_null() {
            continue;
        }
        cases.push(
            Case::new(format!("patch: {field} = {value}"), Method::PATCH, &endpoint_path, patch.to_string(), 422)
                .code("validation_failed")
                .field(field),
        );
    }
    for (what, body) in [("an array", "[]"), ("null", "null"), ("a string", "\"x\""), ("a number", "7")] {
        cases.push(Case::new(format!("create: body is {what}"), Method::POST, "/api/v1/endpoints", body, 422));
        cases.push(Case::new(format!("patch: body is {what}"), Method::PATCH, &endpoint_path, body, 422));
        cases.push(Case::new(format!("trigger: body is {what}"), Method::POST, TRIGGER, body, 422));
    }
    cases.extend([
        Case::new("patch: unknown field", Method::PATCH, &endpoint_path, r#"{"colour":"red"}"#, 422)
            .code("validation_failed")
            .field("colour"),
        Case::new("patch: id is not writable", Method::PATCH, &endpoint_path, r#"{"id":"ep_x"}"#, 422).field("id"),
        Case::new("patch: created_at is not writable", Method::PATCH, &endpoint_path, r#"{"created_at":"x"}"#, 422)
            .field("created_at"),
        Case::new(
            "create: a field given twice",
            Method::POST,
            "/api/v1/endpoints",
            r#"{"url":"http://h/","url":"http://h/"}"#,
            422,
        ),
        Case::new("trigger: event_name null", Method::POST, TRIGGER, r#"{"event_name":null,"payload":1}"#, 422)
            .field("event_name"),
        Case::new("trigger: event_name an array", Method::POST, TRIGGER, r#"{"event_name":["a"],"payload":1}"#, 422)
            .field("event_name"),
        Case::new("trigger: event_name an object", Method::POST, TRIGGER, r#"{"event_name":{},"payload":1}"#, 422)
            .field("event_name"),
        // Unknown fields in a trigger are ignored: apps may send more than Hooky reads.
        Case::new("trigger: an unknown field", Method::POST, TRIGGER, r#"{"event_name":"a","payload":1,"x":2}"#, 202),
        Case::new(
            "create: json with a charset",
            Method::POST,
            "/api/v1/endpoints",
            r#"{"url":"http://h/","enabled":false}"#,
            201,
        )
        .content_type(Some("application/json; charset=utf-8")),
        Case::new("create: application/jsonx", Method::POST, "/api/v1/endpoints", r#"{"url":"http://h/"}"#, 415)
            .code("unsupported_media_type")
            .content_type(Some("application/jsonx")),
        Case::new("create: form encoded", Method::POST, "/api/v1/endpoints", "url=http%3A%2F%2Fh%2F", 415)
            .code("unsupported_media_type")
            .content_type(Some("application/x-www-form-urlencoded")),
        Case::new("PUT on an endpoint", Method::PUT, &endpoint_path, r#"{"url":"http://h/"}"#, 405)
            .code("method_not_allowed"),
        Case::new("TRACE on health", Method::TRACE, "/api/v1/health", "", 405).code("method_not_allowed"),
        Case::new("POST on health", Method::POST, "/api/v1/health", "", 405).code("method_not_allowed"),
        Case::new("DELETE on the endpoints list", Method::DELETE, "/api/v1/endpoints", "", 405)
            .code("method_not_allowed"),
    ]);
    run(&engine, &cases).await;
    // None of the refused writes changed the endpoint.
    let stored = engine.get_endpoint(text(&endpoint, "id")).await;
    assert_eq!(stored, endpoint, "the refused writes changed nothing, and the 201 showed what is stored");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_huge_and_deep_bodies_on_every_body_route() {
    let engine = TestEngine::start().await;
    let endpoint = engine.create_endpoint(json!({"url": "http://127.0.0.1:9/hook", "enabled": false})).await;
    let id = text(&endpoint, "id").to_owned();
    let mut invalid_utf8_string = br#"{"url":"http://h/","name":"a"#.to_vec();
    invalid_utf8_string.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    invalid_utf8_string.extend_from_slice(br#""}"#);
    let mut invalid_utf8_token = br#"{"url":"http://h/","name":"#.to_vec();
    invalid_utf8_token.extend_from_slice(&[0xff]);
    invalid_utf8_token.push(b'}');
    let huge = format!(r#"{{"url":"http://h/","name":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let huge_trigger = format!(r#"{{"event_name":"a","payload":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let deep_array = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(5_000), "}".repeat(5_000));
    let nested_name = format!(r#"{{"url":"http://h/","name":{}"x"{}}}"#, "[".repeat(50), "]".repeat(50));
    let deep_headers = format!(r#"{{"url":"http://h/","headers":{}1{}}}"#, r#"{"a":"#.repeat(200), "}".repeat(200));

    let mut cases = Vec::new();
    for (method, path) in
        // /catch/{name} is a mock receiver: it takes any body, JSON or not, and records it.
        documented_routes(&engine)
            .await
            .into_iter()
            .filter(|(_, path, body)| *body && !path.starts_with("/catch/"))
            .map(|(m, p, _)| (m, p))
    {
        let path = path.replace("{id}", &id);
        let label = |what: &str| format!("{method} {path}: {what}");
        cases.extend([
            // A field that the route does not read is skipped without a UTF-8 check: 422 then.
            Case::new(label("invalid UTF-8 in a string"), method.clone(), &path, invalid_utf8_string.clone(), 400)
                .or(422),
            Case::new(label("invalid UTF-8 as a token"), method.clone(), &path, invalid_utf8_token.clone(), 400)
                .code("invalid_json"),
            Case::new(label("a 2 MiB body"), method.clone(), &path, huge.clone(), 413).code("payload_too_large"),
            // Deep but valid JSON of the wrong shape: 422 names the first level that does not fit.
            Case::new(label("10000 nested arrays"), method.clone(), &path, deep_array.clone(), 422).or(400),
            Case::new(label("5000 nested objects"), method.clone(), &path, deep_object.clone(), 422).or(400),
            Case::new(label("text/plain"), method.clone(), &path, r#"{"url":"http://h/"}"#, 415)
                .code("unsupported_media_type")
                .content_type(Some("text/plain")),
            Case::new(label("an empty body"), method.clone(), &path, "", 415)
                .or(400)
                .or(422)
                .or(404)
                .or(200)
                .or(201)
                .or(202),
            Case::new(label("a NUL byte"), method.clone(), &path, b"{\"url\":\"http://h/\0\"}".to_vec(), 400).or(422),
        ]);
    }
    cases.extend([
        Case::new("trigger: a 2 MiB payload (default limit 1 MiB)", Method::POST, TRIGGER, huge_trigger, 413)
            .code("payload_too_large"),
        Case::new("create: name nested 50 deep", Method::POST, "/api/v1/endpoints", nested_name, 422).field("name"),
        Case::new("create: headers nested 200 deep", Method::POST, "/api/v1/endpoints", deep_headers, 422)
            .field("headers"),
        Case::new(
            "trigger: payload nested 101 deep",
            Method::POST,
            TRIGGER,
            format!(r#"{{"event_name":"a","payload":{}{}}}"#, "[".repeat(101), "]".repeat(101)),
            400,
        )
        .code("invalid_json"),
        Case::new(
            "trigger: payload nested 100 deep is fine",
            Method::POST,
            TRIGGER,
            format!(r#"{{"event_name":"a","payload":{}{}}}"#, "[".repeat(100), "]".repeat(100)),
            202,
        ),
        Case::new(
            "trigger: a BOM before the JSON",
            Method::POST,
            TRIGGER,
            b"\xef\xbb\xbf{\"event_name\":\"a\",\"payload\":1}".to_vec(),
            400,
        )
        .code("invalid_json"),
    ]);
    run(&engine, &cases).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_and_sql_metacharacters_in_every_string_field() {
    let engine = TestEngine::start().await;
    let endpoint = engine.create_endpoint(json!({"url": "http://127.0.0.1:9/hook", "enabled": false})).await;
    let id = text(&endpoint, "id").to_owned();
    let endpoint_path = format!("/api/v1/endpoints/{id}");
    let mut cases = Vec::new();
    for nasty in NASTY {
        let q = percent_encode(nasty);
        cases.extend([
            Case::new(
                format!("trigger event_name {nasty:?}"),
                Method::POST,
                TRIGGER,
                json!({"event_name": nasty, "payload": 1}).to_string(),
                422,
            )
            .field("event_name"),
            Case::new(
                format!("create event_filter {nasty:?}"),
                Method::POST,
                "/api/v1/endpoints",
                json!({"url": "http://h/", "enabled": false, "event_filter": [nasty]}).to_string(),
                422,
            )
            .field("event_filter"),
            if reqwest::header::HeaderName::from_bytes(nasty.as_bytes()).is_ok() {
                // `'` alone is a valid header name (an HTTP token character).
                let body = json!({"url": "http://h/", "enabled": false, "headers": {nasty: "v"}});
                Case::new(
                    format!("create header name {nasty:?}"),
                    Method::POST,
                    "/api/v1/endpoints",
                    body.to_string(),
                    201,
                )
            } else {
                let body = json!({"url": "http://h/", "enabled": false, "headers": {nasty: "v"}});
                Case::new(
                    format!("create header name {nasty:?}"),
                    Method::POST,
                    "/api/v1/endpoints",
                    body.to_string(),
                    422,
                )
                .field("headers")
            },
            Case::new(
                format!("create url {nasty:?}"),
                Method::POST,
                "/api/v1/endpoints",
                json!({"url": nasty, "enabled": false}).to_string(),
                422,
            )
            .field("url"),
            Case::new(
                format!("patch url {nasty:?}"),
                Method::PATCH,
                &endpoint_path,
                json!({"url": nasty}).to_string(),
                422,
            )
            .field("url"),
            Case::new(
                format!("patch event_filter {nasty:?}"),
                Method::PATCH,
                &endpoint_path,
                json!({"event_filter": [nasty]}).to_string(),
                422,
            )
            .field("event_filter"),
            Case::new(format!("events status={nasty:?}"), Method::GET, &format!("/api/v1/events?status={q}"), "", 422)
                .field("status"),
            Case::new(
                format!("events endpoint_id={nasty:?}"),
                Method::GET,
                &format!("/api/v1/events?endpoint_id={q}"),
                "",
                422,
            )
            .field("endpoint_id"),
            Case::new(format!("events since={nasty:?}"), Method::GET, &format!("/api/v1/events?since={q}"), "", 422)
                .field("since"),
            Case::new(format!("events until={nasty:?}"), Method::GET, &format!("/api/v1/events?until={q}"), "", 422)
                .field("until"),
            Case::new(format!("events cursor={nasty:?}"), Method::GET, &format!("/api/v1/events?cursor={q}"), "", 422)
                .field("cursor"),
            Case::new(format!("events limit={nasty:?}"), Method::GET, &format!("/api/v1/events?limit={q}"), "", 422)
                .code("invalid_query"),
            Case::new(
                format!("events event_name={nasty:?}"),
                Method::GET,
                &format!("/api/v1/events?event_name={q}"),
                "",
                200,
            ),
            Case::new(format!("stream ?token={nasty:?}"), Method::GET, &format!("/api/v1/stream?token={q}"), "", 401)
                .code("unauthorized")
                .anonymous(),
        ]);
        // The same text in the free-text fields is stored verbatim.
        let patched = engine
            .api(Method::PATCH, &endpoint_path)
            .json(&json!({"name": nasty, "description": nasty, "headers": {"X-Nasty": nasty}}))
            .send()
            .await
            .unwrap();
        let patched = expect_json(patched, StatusCode::OK).await;
        assert_eq!(patched["name"], nasty);
        let stored = engine.get_endpoint(&id).await;
        assert_eq!((stored["name"].as_str(), stored["description"].as_str()), (Some(nasty), Some(nasty)));
        assert_eq!(stored["headers"]["X-Nasty"], nasty);
    }
    // Odd but valid numbers and strings in a payload are kept as sent, and reading them back never fails.
    for payload in
        [r#"1e400"#, r#"-0"#, r#"123456789012345678901234567890"#, r#""\ud800""#, r#"{"a":1,"a":2}"#, r#""\u0000""#]
    {
        let response = engine.trigger_raw(format!(r#"{{"event_name":"odd.payload","payload":{payload}}}"#)).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status == 202 || status == 400, "payload {payload}: {status} {body}");
        if status == 202 {
            let accepted: Value = serde_json::from_str(&body).unwrap();
            let detail =
                engine.api(Method::GET, &format!("/api/v1/events/{}", text(&accepted, "id"))).send().await.unwrap();
            assert_eq!(detail.status(), StatusCode::OK, "reading back payload {payload}");
        }
    }
    // An Idempotency-Key full of quotes is just a key.
    let key = "k' OR '1'='1\"; --";
    let send = || {
        engine
            .client
            .post(engine.url(TRIGGER))
            .header("idempotency-key", key)
            .json(&json!({"event_name": "idem", "payload": 1}))
            .send()
    };
    let first = expect_json(send().await.unwrap(), StatusCode::ACCEPTED).await;
    let again = send().await.unwrap();
    assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(expect_json(again, StatusCode::ACCEPTED).await, first);
    // A key with bytes outside visible ASCII is refused by name.
    let port = engine.addr().port();
    let body = r#"{"event_name":"a","payload":1}"#;
    let request = format!(
        "POST {TRIGGER} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\nidempotency-key: k\u{e9}y\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, answer) = raw_http(engine.addr(), request.as_bytes()).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("Idempotency-Key"), "{answer}");

    run(&engine, &cases).await;
    let names = engine.list_events("limit=500").await;
    let stored: Vec<&str> =
        names["data"].as_array().unwrap().iter().map(|e| e["event_name"].as_str().unwrap()).collect();
    assert!(
        stored.iter().all(|n| ["odd.payload", "idem"].contains(n)),
        "only the valid triggers stored events: {stored:?}"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_and_nasty_ids_on_every_id_route() {
    let engine = TestEngine::start().await;
    let port = engine.addr().port();
    // Sent raw: an HTTP client would resolve the dot segments before sending.
    let ids = [
        "..%2F..%2Fetc%2Fpasswd",
        "..%2f..%2f..%2f..%2fetc%2fpasswd",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..",
        "%2e%2e",
        "....%2F%2F....%2F%2Fetc%2Fpasswd",
        "%00",
        "evt_%00",
        "%ff%fe",
        "%25%32%65%25%32%65",
        "ep_01JDQ8W6S4Z6R4D2Y7B9X3K5M1%27%20OR%20%271%27%3D%271",
        "%27%3B%20DROP%20TABLE%20endpoints%3B%20--",
        "evt_01JDQ8W6S4Z6R4D2Y7B9X3K5M1%2F..%2F..",
        "..%5C..%5Cwindows%5Cwin.ini",
        "%252e%252e%252fetc%252fpasswd",
    ];
    let mut routes: Vec<(Method, String)> = documented_routes(&engine)
        .await
        .into_iter()
        .filter(|(_, p, _)| p.contains("{id}"))
        .map(|(m, p, _)| (m, p))
        .collect();
    assert!(routes.len() >= 5, "{routes:?}");
    routes.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, template) in &routes {
        for id in ids {
            let path = template.replace("{id}", id);
            let body = if [Method::POST, Method::PATCH].contains(method) { "{}" } else { "" };
            let request = format!(
                "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let (status, answer) = raw_http(engine.addr(), request.as_bytes()).await;
            checked += 1;
            let json_body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
            let shape = serde_json::from_str::<Value>(json_body).is_ok_and(|v| is_error_shape(&v));
            // A traversal id is no id: 404 (400 when its percent-encoding is not UTF-8).
            let expected = if *method == Method::GET { vec![404, 400] } else { vec![404, 400, 422] };
            if !expected.contains(&status) || !shape || answer.contains("root:") || answer.contains("[fonts]") {
                failures.push(format!("{method} {path}: {status} {json_body}"));
            }
        }
    }
    // Dot segments in the route itself are not resolved either: unknown routes.
    for path in [
        "/api/v1/endpoints/../../",
        "/api/v1/endpoints/../../../etc/passwd",
        "/api/../../etc/passwd",
        "/api/v1/events/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/api/v1/./endpoints/../health/../../../etc/passwd",
    ] {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\nconnection: close\r\n\r\n");
        let (status, answer) = raw_http(engine.addr(), request.as_bytes()).await;
        checked += 1;
        let json_body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let shape = serde_json::from_str::<Value>(json_body).is_ok_and(|v| is_error_shape(&v));
        if status != 404 || !shape || answer.contains("root:") {
            failures.push(format!("GET {path}: {status} {json_body}"));
        }
    }
    assert!(failures.is_empty(), "{} of {checked} requests failed:\n{}", failures.len(), failures.join("\n"));
    let health = engine.client.get(engine.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    engine.shutdown().await;
}

/// A filter of many `**` against a long event name: matching must stay cheap, because it runs
/// inside the write transaction that every trigger waits for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pathological_filter_does_not_stall_the_trigger() {
    let engine = TestEngine::start().await;
    let pattern = format!("{}x", "**.".repeat(66));
    let filters: Vec<String> = vec![pattern; 50];
    engine
        .create_endpoint(json!({"url": "http://127.0.0.1:9/hook", "event_filter": filters, "retry_schedule": []}))
        .await;
    let name = vec!["a"; 99].join(".");
    let answer = tokio::time::timeout(Duration::from_secs(10), engine.trigger(&name, json!({}))).await;
    let accepted = answer.expect("the trigger answered within 10 s");
    assert_eq!(accepted["deliveries"], json!([]), "the filter does not match");
    let matching = tokio::time::timeout(Duration::from_secs(10), engine.trigger(&format!("{name}.x"), json!({}))).await;
    assert_eq!(matching.expect("answered")["deliveries"].as_array().map(Vec::len), Some(1));
    engine.shutdown().await;
}

/// Sends a request whose body the server may refuse to read, and returns the whole answer.
async fn send_with_body(addr: std::net::SocketAddr, head: String, body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    // The server may stop reading early: write on the side and ignore a broken pipe.
    let writer = tokio::spawn(async move {
        let _ = write.write_all(head.as_bytes()).await;
        let _ = write.write_all(&body).await;
        write
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), read.read_to_end(&mut answer)).await;
    writer.abort();
    String::from_utf8_lossy(&answer).into_owned()
}

/// A request refused before its body is read leaves the rest of the body on the connection, so
/// the server closes it; the answer must say `connection: close`, or a keep-alive client sends
/// its next request on a connection that is going away and gets a transport error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_body_closes_the_connection_and_says_so() {
    let engine = TestEngine::start().await;
    let port = engine.addr().port();
    let head = |path: &str, extra: &str, content_type: &str, length: usize| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}content-type: {content_type}\r\ncontent-length: {length}\r\n\r\n"
        )
    };
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let cases = [
        ("413", head("/api/v1/endpoints", &auth, "application/json", 2 << 20), vec![b'x'; 2 << 20]),
        ("415", head(TRIGGER, "", "text/plain", 1000), vec![b'x'; 1000]),
        ("401", head("/api/v1/endpoints", "", "application/json", 300_000), vec![b'x'; 300_000]),
        ("403", head(TRIGGER, "Origin: http://evil.example\r\n", "application/json", 300_000), vec![b'x'; 300_000]),
    ];
    for (status, head, body) in cases {
        let answer = send_with_body(engine.addr(), head, body).await;
        let status_line = answer.lines().next().unwrap_or("");
        assert!(status_line.contains(status), "expected {status}: {status_line}");
        let header_block = answer.split("\r\n\r\n").next().unwrap_or("").to_ascii_lowercase();
        assert!(header_block.contains("connection: close"), "{status} without connection: close:\n{header_block}");
    }

    // The symptom, through a pooling client: a refused large body, then at once a good request.
    let huge = format!(r#"{{"event_name":"a","payload":"{}"}}"#, "x".repeat(2 << 20));
    let mut transport_errors = Vec::new();
    for round in 0..20 {
        let refused = engine.trigger_raw(huge.clone()).await;
        assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let next = engine.client.get(engine.url("/api/v1/health")).send().await;
        if let Err(err) = next {
            transport_errors.push(format!("round {round}: {err}"));
        }
    }
    assert!(transport_errors.is_empty(), "requests after a 413 failed:\n{}", transport_errors.join("\n"));
    engine.shutdown().await;
}
