//! Every documented bad input gets its status and the one error shape
//! `{"error":{"code","message","field"?}}`; odd but valid strings are kept verbatim.
#![allow(clippy::unwrap_used)]

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{expect_json, text, TestEngine, TOKEN, TRIGGER};

const UNKNOWN_EP: &str = "/api/v1/endpoints/ep_01JDQ8W6S4Z6R4D2Y7B9X3K5M1";

struct Case {
    what: &'static str,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
}

fn case(
    what: &'static str,
    method: Method,
    path: &str,
    body: impl Into<Vec<u8>>,
    status: u16,
    code: &'static str,
) -> Case {
    let body = body.into();
    let content_type = (!body.is_empty()).then_some("application/json");
    Case { what, method, path: path.to_owned(), content_type, body, status, code, field: None }
}

fn trigger(what: &'static str, body: impl Into<Vec<u8>>, status: u16, code: &'static str) -> Case {
    case(what, Method::POST, TRIGGER, body, status, code)
}

fn create(what: &'static str, body: Value, field: &'static str) -> Case {
    case(what, Method::POST, "/api/v1/endpoints", body.to_string(), 422, "validation_failed").field(field)
}

impl Case {
    fn field(self, field: &'static str) -> Self {
        Self { field: Some(field), ..self }
    }

    fn content_type(self, content_type: Option<&'static str>) -> Self {
        Self { content_type, ..self }
    }
}

fn named(name: &str) -> Vec<u8> {
    json!({"event_name": name, "payload": {}}).to_string().into_bytes()
}

/// Checks one case; returns what was wrong, if anything.
async fn check(engine: &TestEngine, case: &Case) -> Option<String> {
    let mut request = engine.client.request(case.method.clone(), engine.url(&case.path)).bearer_auth(TOKEN);
    if let Some(content_type) = case.content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.body(case.body.clone()).send().await.unwrap();
    let status = response.status().as_u16();
    let json_type =
        response.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let body = response.text().await.unwrap();
    let Ok(value) = serde_json::from_str::<Value>(&body) else {
        return Some(format!("{}: {status} and not JSON: {body:?}", case.what));
    };
    let error = &value["error"];
    let shape_ok = json_type
        && value.as_object().is_some_and(|o| o.len() == 1)
        && error["code"].is_string()
        && error["message"].as_str().is_some_and(|m| !m.is_empty())
        && error.as_object().is_some_and(|o| o.keys().all(|k| ["code", "message", "field"].contains(&k.as_str())));
    let field_ok = case.field.is_none_or(|field| error["field"] == field);
    let ok = status == case.status && shape_ok && error["code"] == case.code && field_ok;
    (!ok).then(|| {
        format!("{}: expected {} {} field {:?}, got {status}: {body}", case.what, case.status, case.code, case.field)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_their_status_and_the_error_shape() {
    let engine = TestEngine::start().await;
    let endpoint = engine.create_endpoint(json!({"url": "http://127.0.0.1:9/hook"})).await;
    let endpoint_path = format!("/api/v1/endpoints/{}", text(&endpoint, "id"));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_payload = format!(r#"{{"event_name":"a","payload":{deep}}}"#);
    let mut bad_utf8 = br#"{"event_name":"a","payload":""#.to_vec();
    bad_utf8.extend_from_slice(&[0xff, 0xfe]);
    bad_utf8.extend_from_slice(br#""}"#);
    let mut bad_utf8_name = br#"{"event_name":"a"#.to_vec();
    bad_utf8_name.extend_from_slice(&[0xc3, 0x28]);
    bad_utf8_name.extend_from_slice(br#"","payload":{}}"#);
    let long_name = "a".repeat(201);

    let cases = [
        trigger("trigger: not JSON", "not json", 400, "invalid_json"),
        trigger("trigger: truncated JSON", r#"{"event_name":"a","payload":{"#, 400, "invalid_json"),
        trigger("trigger: trailing garbage", r#"{"event_name":"a","payload":{}} x"#, 400, "invalid_json"),
        trigger("trigger: text/plain", named("a"), 415, "unsupported_media_type").content_type(Some("text/plain")),
        trigger("trigger: no content type", named("a"), 415, "unsupported_media_type").content_type(None),
        trigger("trigger: no event_name", r#"{"payload":{}}"#, 422, "validation_failed").field("event_name"),
        trigger("trigger: empty event_name", named(""), 422, "validation_failed").field("event_name"),
        trigger("trigger: event_name with a space", named("a b"), 422, "validation_failed").field("event_name"),
        trigger("trigger: 201-char event_name", named(&long_name), 422, "validation_failed").field("event_name"),
        trigger("trigger: event_name not a string", r#"{"event_name":5,"payload":{}}"#, 422, "validation_failed")
            .field("event_name"),
        trigger("trigger: no payload", r#"{"event_name":"a"}"#, 422, "validation_failed").field("payload"),
        trigger("trigger: 10000 nested [", "[".repeat(10_000), 400, "invalid_json"),
        trigger("trigger: payload nested 10000 deep", deep_payload, 400, "invalid_json"),
        trigger("trigger: invalid UTF-8 in payload", bad_utf8, 400, "invalid_json"),
        trigger("trigger: invalid UTF-8 in event_name", bad_utf8_name, 400, "invalid_json"),
        case("GET on the trigger route", Method::GET, TRIGGER, "", 405, "method_not_allowed"),
        case("unknown API path", Method::GET, "/api/v1/nope", "", 404, "not_found"),
        case("PUT on the events list", Method::PUT, "/api/v1/events", "", 405, "method_not_allowed"),
        case(
            "DELETE on the events list without confirm",
            Method::DELETE,
            "/api/v1/events",
            "",
            422,
            "validation_failed",
        )
        .field("confirm"),
        create("endpoint: not a URL", json!({"url": "not a url"}), "url"),
        create("endpoint: ftp URL", json!({"url": "ftp://127.0.0.1/x"}), "url"),
        create("endpoint: credentials in URL", json!({"url": "http://u:p@127.0.0.1/x"}), "url"),
        create("endpoint: no url", json!({"name": "x"}), "url"),
        create("endpoint: timeout_ms 600001", json!({"url": "http://h/", "timeout_ms": 600_001}), "timeout_ms"),
        create("endpoint: timeout_ms 99", json!({"url": "http://h/", "timeout_ms": 99}), "timeout_ms"),
        create("endpoint: timeout_ms a string", json!({"url": "http://h/", "timeout_ms": "fast"}), "timeout_ms"),
        create("endpoint: unknown field", json!({"url": "http://h/", "colour": "red"}), "colour"),
        create("endpoint: bad filter", json!({"url": "http://h/", "event_filter": ["a b"]}), "event_filter"),
        create("endpoint: empty filter", json!({"url": "http://h/", "event_filter": []}), "event_filter"),
        create("endpoint: reserved header", json!({"url": "http://h/", "headers": {"Webhook-Id": "x"}}), "headers"),
        create(
            "endpoint: retry delay too long",
            json!({"url": "http://h/", "retry_schedule": [604_801]}),
            "retry_schedule",
        ),
        create("endpoint: max_in_flight 0", json!({"url": "http://h/", "max_in_flight": 0}), "max_in_flight"),
        case("endpoint: not JSON", Method::POST, "/api/v1/endpoints", "{", 400, "invalid_json"),
        case("endpoint: broken JSON of the wrong shape", Method::POST, "/api/v1/endpoints", "[[[", 400, "invalid_json"),
        case("PATCH: deeply nested JSON", Method::PATCH, &endpoint_path, "[".repeat(10_000), 400, "invalid_json"),
        case("PATCH of an unknown id", Method::PATCH, UNKNOWN_EP, r#"{"name":"x"}"#, 404, "not_found"),
        case("PATCH of a malformed id", Method::PATCH, "/api/v1/endpoints/nope", r#"{"name":"x"}"#, 404, "not_found"),
        case("PATCH with a bad value", Method::PATCH, &endpoint_path, r#"{"timeout_ms":0}"#, 422, "validation_failed")
            .field("timeout_ms"),
        case(
            "GET of an unknown event",
            Method::GET,
            "/api/v1/events/evt_01JDQ8W6S4Z6R4D2Y7B9X3K5M1",
            "",
            404,
            "not_found",
        ),
        case("events: status=bogus", Method::GET, "/api/v1/events?status=bogus", "", 422, "validation_failed")
            .field("status"),
        case("events: limit=0", Method::GET, "/api/v1/events?limit=0", "", 422, "validation_failed").field("limit"),
        case("events: since not a time", Method::GET, "/api/v1/events?since=yesterday", "", 422, "validation_failed")
            .field("since"),
        case("events: bad cursor", Method::GET, "/api/v1/events?cursor=x", "", 422, "validation_failed")
            .field("cursor"),
        case("events: limit not a number", Method::GET, "/api/v1/events?limit=many", "", 422, "invalid_query"),
        case(
            "retry of an unknown delivery",
            Method::POST,
            "/api/v1/deliveries/dlv_01JDQ8W6S4Z6R4D2Y7B9X3K5M1/retry",
            "",
            404,
            "not_found",
        ),
    ];
    let mut failures = Vec::new();
    for case in &cases {
        failures.extend(check(&engine, case).await);
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));

    let long_key = engine
        .client
        .post(engine.url(TRIGGER))
        .header("idempotency-key", "k".repeat(256))
        .json(&json!({"event_name": "a", "payload": {}}))
        .send()
        .await
        .unwrap();
    let long_key = expect_json(long_key, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(long_key["error"]["field"], "Idempotency-Key");

    // Nothing above was stored, and the engine still answers.
    assert_eq!(engine.list_events("").await["data"], json!([]));
    let boundary = engine.trigger(&"a".repeat(200), json!({})).await;
    assert_eq!(text(&boundary, "event_name").len(), 200, "200 characters is still a valid name");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413() {
    let engine = TestEngine::start_with(|config| config.max_body_bytes = 1024).await;
    let payload = "x".repeat(2000);
    let response = engine.trigger_raw(json!({"event_name": "big", "payload": payload}).to_string()).await;
    let error = expect_json(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(error["error"]["code"], "payload_too_large");
    let small = engine.trigger("small", json!("x".repeat(900))).await;
    assert_eq!(small["event_name"], "small", "a body under the limit is still accepted");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_and_sql_metacharacters_are_stored_verbatim() {
    let engine = TestEngine::start().await;
    let nasty = r#"'; DROP TABLE events; -- " \ % _ ` $1 ?1 NULL ' OR '1'='1"#;
    let endpoint = engine
        .create_endpoint(json!({"url": "http://127.0.0.1:9/hook?q='1'", "name": nasty, "description": nasty,
            "headers": {"X-Nasty": nasty}, "enabled": false}))
        .await;
    let stored = engine.get_endpoint(text(&endpoint, "id")).await;
    assert_eq!(stored["name"], nasty);
    assert_eq!(stored["description"], nasty);
    assert_eq!(stored["headers"]["X-Nasty"], nasty);
    assert_eq!(stored["url"], "http://127.0.0.1:9/hook?q='1'");

    let payload = json!({"sql": nasty, "nested": [nasty, {"k'ey\"": nasty}]});
    let accepted = engine.trigger("odd.strings", payload.clone()).await;
    assert_eq!(engine.get_event(text(&accepted, "id")).await["payload"], payload);

    let quoted = "/api/v1/events?event_name=%27%20OR%20%271%27%3D%271";
    let listed = expect_json(engine.api(Method::GET, quoted).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(listed["data"], json!([]), "a quote in a filter matches nothing and breaks nothing");
    let by_name = engine.list_events("event_name=odd.strings").await;
    assert_eq!(by_name["data"][0]["id"], accepted["id"]);
    engine.shutdown().await;
}
