//! Bad input to the catcher routes: every answer is a JSON error with the right 4xx.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::support::{expect_json, TestEngine};
use super::{create_catcher, get_json};

/// Sends `body` as JSON to `POST /api/v1/catchers` and returns the error, asserting `status`.
async fn refused(engine: &TestEngine, method: Method, path: &str, body: Option<Value>, status: StatusCode) -> Value {
    let mut request = engine.api(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let error = expect_json(request.send().await.unwrap(), status).await;
    assert!(error["error"]["code"].is_string(), "{error}");
    error["error"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_names_scripts_and_verify_get_422_naming_the_field() {
    let engine = TestEngine::start().await;
    let long = "a".repeat(64);
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": "Bad Name"}), "name"),
        (json!({"name": "-dash"}), "name"),
        (json!({"name": "a/b"}), "name"),
        (json!({"name": long}), "name"),
        (json!({"name": 7}), "name"),
        (json!({}), "name"),
        (json!({"name": "x", "extra": 1}), "extra"),
        (json!({"name": "x", "script": {"statuses": []}}), "script.statuses"),
        (json!({"name": "x", "script": {"statuses": [99]}}), "script.statuses"),
        (json!({"name": "x", "script": {"statuses": [100]}}), "script.statuses"),
        (json!({"name": "x", "script": {"statuses": [600]}}), "script.statuses"),
        (json!({"name": "x", "script": {"statuses": [-1]}}), "script.statuses[0]"),
        (json!({"name": "x", "script": {"fail_rate": 1.5}}), "script.fail_rate"),
        (json!({"name": "x", "script": {"fail_status": 7}}), "script.fail_status"),
        (json!({"name": "x", "script": {"delay_ms": 600_001}}), "script.delay_ms"),
        (json!({"name": "x", "script": {"retry_after": "a\nb"}}), "script.retry_after"),
        (json!({"name": "x", "script": {"headers": {"bad name": "v"}}}), "script.headers"),
        (json!({"name": "x", "script": {"headers": {"x-a": "bad\u{0}value"}}}), "script.headers"),
        (json!({"name": "x", "script": {"headers": {"Content-Length": "1"}}}), "script.headers"),
        (json!({"name": "x", "script": {"hang": "yes"}}), "script.hang"),
        (json!({"name": "x", "script": {"unknown": 1}}), "script"),
        (json!({"name": "x", "verify": {}}), "verify"),
        (json!({"name": "x", "verify": {"secret": "nope"}}), "verify.secret"),
        (json!({"name": "x", "verify": {"endpoint_id": "nope"}}), "verify.endpoint_id"),
        (json!({"name": "x", "verify": {"endpoint_id": "ep_01JDQ8W6S4Z6R4D2Y7B9X3K5M1"}}), "verify.endpoint_id"),
        (json!({"name": "x", "subscribe": {"event_filter": [""]}}), "subscribe.event_filter"),
        (json!({"name": "x", "subscribe": {"timeout_ms": 1}}), "subscribe.timeout_ms"),
    ];
    for (body, field) in cases {
        let error =
            refused(&engine, Method::POST, "/api/v1/catchers", Some(body.clone()), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        let got = error["field"].as_str().unwrap_or("");
        assert!(got.starts_with(field), "{body}: field {got:?}, expected {field:?}; {error}");
    }
    assert_eq!(get_json(&engine, "/api/v1/catchers").await["data"], json!([]), "nothing was stored");
    assert_eq!(get_json(&engine, "/api/v1/endpoints").await["data"], json!([]), "no endpoint was made");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_ids_queries_and_names_are_checked() {
    let engine = TestEngine::start().await;
    let catcher = create_catcher(&engine, json!({"name": "taken", "subscribe": {}})).await;
    let id = catcher["id"].as_str().unwrap().to_owned();

    let duplicate = refused(
        &engine,
        Method::POST,
        "/api/v1/catchers",
        Some(json!({"name": "taken", "subscribe": {}})),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(duplicate["code"], "name_taken");
    assert_eq!(get_json(&engine, "/api/v1/endpoints").await["data"].as_array().unwrap().len(), 1, "no second endpoint");

    let not_json = engine.api(Method::POST, "/api/v1/catchers").header("content-type", "application/json").body("{");
    assert_eq!(not_json.send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    let no_type = engine.api(Method::POST, "/api/v1/catchers").body(r#"{"name":"x"}"#).send().await.unwrap();
    assert_eq!(no_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let no_token = engine.client.get(engine.url("/api/v1/catchers")).send().await.unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);

    let unknown = "cat_01JDQ8W6S4Z6R4D2Y7B9X3K5M1";
    let unknown_req = "req_01JDQ8W6S4Z6R4D2Y7B9X3K5M1";
    for (method, path) in [
        (Method::GET, format!("/api/v1/catchers/{unknown}")),
        (Method::GET, "/api/v1/catchers/cat_bad".to_owned()),
        (Method::GET, "/api/v1/catchers/%27%20OR%201=1".to_owned()),
        (Method::DELETE, format!("/api/v1/catchers/{unknown}")),
        (Method::GET, format!("/api/v1/catchers/{unknown}/requests")),
        (Method::DELETE, format!("/api/v1/catchers/{unknown}/requests")),
        (Method::GET, format!("/api/v1/catchers/{id}/requests/{unknown_req}")),
        (Method::GET, format!("/api/v1/catchers/{id}/requests/req_bad")),
        (Method::GET, format!("/api/v1/catchers/{unknown}/requests/{unknown_req}")),
    ] {
        refused(&engine, method, &path, None, StatusCode::NOT_FOUND).await;
    }
    let patch_unknown = Some(json!({"script": {}}));
    refused(&engine, Method::PATCH, &format!("/api/v1/catchers/{unknown}"), patch_unknown, StatusCode::NOT_FOUND).await;

    let path = format!("/api/v1/catchers/{id}");
    for (patch, field) in [
        (json!({"script": {"statuses": [1000]}}), "script.statuses"),
        (json!({"verify": {"secret": "whsec_short"}}), "verify.secret"),
        (json!({"verify": {"endpoint_id": "ep_01JDQ8W6S4Z6R4D2Y7B9X3K5M1"}}), "verify.endpoint_id"),
        (json!({"name": "rename"}), "name"),
    ] {
        let error = refused(&engine, Method::PATCH, &path, Some(patch), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(error["field"].as_str().unwrap_or("").starts_with(field), "{error}");
    }
    assert_eq!(get_json(&engine, &path).await["script"], catcher["script"], "a refused patch changed nothing");

    for query in ["limit=0", "limit=501", "limit=x", "before=evt_01JDQ8W6S4Z6R4D2Y7B9X3K5M1", "before=nope"] {
        refused(&engine, Method::GET, &format!("{path}/requests?{query}"), None, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    refused(&engine, Method::DELETE, &format!("{path}?with_endpoint=maybe"), None, StatusCode::UNPROCESSABLE_ENTITY)
        .await;

    for name in ["nobody", "TAKEN", "%74aken", "-x", "a%2Fb"] {
        let response = engine.client.post(engine.url(&format!("/catch/{name}"))).body("x").send().await.unwrap();
        assert_eq!(expect_json(response, StatusCode::NOT_FOUND).await["error"]["code"], "not_found", "/catch/{name}");
    }
    let too_big = engine.client.post(engine.url("/catch/taken")).body(vec![b'a'; 2 * 1024 * 1024]).send().await;
    assert_eq!(too_big.unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(get_json(&engine, &path).await["request_count"], 0, "nothing reached the catcher");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_shows_catch_as_public_and_catchers_as_bearer() {
    let engine = TestEngine::start().await;
    let document = get_json(&engine, "/api/openapi.json").await;
    let catch = &document["paths"]["/catch/{name}"];
    for method in ["get", "post", "put", "patch", "delete"] {
        assert_eq!(catch[method]["tags"], json!(["catch"]), "{method}: {catch:#}");
        assert!(catch[method].get("security").is_none(), "the catch route needs no token: {catch:#}");
    }
    for path in ["/api/v1/catchers", "/api/v1/catchers/{id}", "/api/v1/catchers/{id}/requests"] {
        let get = &document["paths"][path]["get"];
        assert_eq!(get["tags"], json!(["catchers"]), "{path}");
        assert_eq!(get["security"], json!([{"bearer": []}]), "{path}");
    }
    engine.shutdown().await;
}
