//! Wrong types, unknown and read-only fields, wrong content types and methods: each refusal names
//! the field, and a refused write changes nothing.

use reqwest::Method;
use serde_json::{json, Value};

use super::cases::{run, Case};
use super::support::{text, TestEngine, TRIGGER};

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
