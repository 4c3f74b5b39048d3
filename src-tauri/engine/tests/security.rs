//! The guards a browser page or another local process runs into: Host, Origin,
//! the bearer token, and what stays public (health, OpenAPI, the trigger by default).
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{expect_json, raw_http, text, TestEngine, TOKEN, TRIGGER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_host_header_is_refused() {
    let engine = TestEngine::start().await;
    let port = engine.addr().port();
    let ask = |host: String| format!("GET /api/v1/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");

    let (status, answer) = raw_http(engine.addr(), ask(format!("127.0.0.1:{port}")).as_bytes()).await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = raw_http(engine.addr(), ask(format!("localhost:{port}")).as_bytes()).await;
    assert_eq!(status, 200);
    for host in ["evil.example".to_owned(), format!("evil.example:{port}"), format!("127.0.0.1.evil.example:{port}")] {
        let (status, answer) = raw_http(engine.addr(), ask(host.clone()).as_bytes()).await;
        assert_eq!(status, 403, "Host {host}: {answer}");
        assert!(answer.contains("forbidden_host"), "{answer}");
    }
    let (status, _) = raw_http(engine.addr(), b"GET /api/v1/health HTTP/1.0\r\n\r\n").await;
    assert_eq!(status, 403, "no Host header at all");

    // The same through an ordinary client that sets Host explicitly, on the trigger route.
    let response = engine
        .client
        .post(engine.url(TRIGGER))
        .header("host", "evil.example")
        .json(&json!({"event_name": "a", "payload": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(response, StatusCode::FORBIDDEN).await["error"]["code"], "forbidden_host");
    assert_eq!(engine.list_events("").await["data"], json!([]), "the refused trigger stored nothing");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_is_refused_and_our_own_is_allowed() {
    let engine = TestEngine::start().await;
    let trigger = |origin: &str| {
        engine
            .client
            .post(engine.url(TRIGGER))
            .header("origin", origin)
            .json(&json!({"event_name": "a", "payload": {}}))
            .send()
    };
    let refused = trigger("http://evil.example").await.unwrap();
    assert_eq!(expect_json(refused, StatusCode::FORBIDDEN).await["error"]["code"], "forbidden_origin");
    let refused = engine.api(Method::GET, "/api/v1/endpoints").header("origin", "null").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "a sandboxed page (Origin: null) is refused");

    let own = format!("http://127.0.0.1:{}", engine.addr().port());
    let allowed = trigger(&own).await.unwrap();
    assert_eq!(allowed.headers().get("access-control-allow-origin").unwrap(), own.as_str());
    expect_json(allowed, StatusCode::ACCEPTED).await;
    let listed = engine.api(Method::GET, "/api/v1/endpoints").header("origin", &own).send().await.unwrap();
    assert_eq!(listed.status(), StatusCode::OK);

    // A CORS preflight from our own origin is answered; from another one it is refused.
    let preflight = |origin: String| {
        engine
            .client
            .request(Method::OPTIONS, engine.url("/api/v1/endpoints"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let ok = preflight(own.clone()).await.unwrap();
    assert!(ok.status().is_success(), "preflight got {}", ok.status());
    assert_eq!(ok.headers().get("access-control-allow-origin").unwrap(), own.as_str());
    let evil = preflight("http://evil.example".into()).await.unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_routes_need_the_token() {
    let engine = TestEngine::start().await;
    let url = engine.url("/api/v1/endpoints");
    let attempts = [
        ("no token", engine.client.get(&url)),
        ("wrong token", engine.client.get(&url).bearer_auth("test-tokem")),
        ("a prefix of the token", engine.client.get(&url).bearer_auth("test")),
        ("token in the query", engine.client.get(format!("{url}?token={TOKEN}"))),
        ("not bearer", engine.client.get(&url).header("authorization", format!("Basic {TOKEN}"))),
        ("create without token", engine.client.post(&url).json(&json!({"url": "http://127.0.0.1:9/"}))),
    ];
    for (what, request) in attempts {
        let response = request.send().await.unwrap();
        assert_eq!(response.headers().get("www-authenticate").map(|v| v.to_str().unwrap()), Some("Bearer"), "{what}");
        let error = expect_json(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(error["error"]["code"], "unauthorized", "{what}");
    }
    let listed = engine.api(Method::GET, "/api/v1/endpoints").send().await.unwrap();
    assert_eq!(expect_json(listed, StatusCode::OK).await["data"], json!([]), "the refused create stored nothing");
    let info = engine.client.get(engine.url("/api/v1/info")).send().await.unwrap();
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED, "info tells where the data is: not public");
    let health = engine.client.get(engine.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(expect_json(health, StatusCode::OK).await["status"], "ok");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trigger_is_open_unless_configured_to_need_the_token() {
    let open = TestEngine::start().await;
    open.trigger("order.created", json!({})).await;
    open.shutdown().await;

    let closed = TestEngine::start_with(|config| config.require_trigger_token = true).await;
    let body = json!({"event_name": "order.created", "payload": {}});
    let refused = closed.client.post(closed.url(TRIGGER)).json(&body).send().await.unwrap();
    assert_eq!(expect_json(refused, StatusCode::UNAUTHORIZED).await["error"]["code"], "unauthorized");
    let wrong = closed.client.post(closed.url(TRIGGER)).bearer_auth("nope").json(&body).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let accepted = closed.client.post(closed.url(TRIGGER)).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    expect_json(accepted, StatusCode::ACCEPTED).await;
    let listed = closed.list_events("").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "only the authorised trigger stored an event");
    closed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_public_and_lists_the_routes() {
    let engine = TestEngine::start().await;
    let response = engine.client.get(engine.url("/api/openapi.json")).send().await.unwrap();
    let document = expect_json(response, StatusCode::OK).await;
    assert!(text(&document, "openapi").starts_with("3.1"), "openapi version {}", document["openapi"]);
    let paths = document["paths"].as_object().unwrap();
    for path in [TRIGGER, "/api/v1/endpoints", "/api/v1/events/{id}", "/api/v1/deliveries/{id}/retry", "/api/v1/stream"]
    {
        assert!(paths.contains_key(path), "{path} is missing from {:?}", paths.keys().collect::<Vec<_>>());
    }
    assert!(paths[TRIGGER]["post"].is_object());
    assert!(paths["/api/v1/endpoints"]["post"].is_object() && paths["/api/v1/endpoints"]["get"].is_object());
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
    engine.shutdown().await;
}

/// Reads the SSE body until a message of `kind` whose data mentions `needle` arrives.
async fn read_until(response: &mut reqwest::Response, buffer: &mut String, kind: &str, needle: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            let event = message.lines().find_map(|l| l.strip_prefix("event:")).map(str::trim);
            let data = message.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim).unwrap_or("");
            if event == Some(kind) && data.contains(needle) {
                return serde_json::from_str(data).unwrap();
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, response.chunk()).await;
        match chunk {
            Ok(Ok(Some(bytes))) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Ok(None)) => panic!("the stream ended before a {kind} message; got {buffer:?}"),
            Ok(Err(err)) => panic!("reading the stream failed: {err}"),
            Err(_) => panic!("no {kind} message mentioning {needle} within 10 s; left over: {buffer:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_sends_event_created_after_a_trigger() {
    let engine = TestEngine::start().await;
    let unauthorised = engine.client.get(engine.url("/api/v1/stream?token=wrong")).send().await.unwrap();
    assert_eq!(unauthorised.status(), StatusCode::UNAUTHORIZED);

    let mut stream = engine.client.get(engine.url(&format!("/api/v1/stream?token={TOKEN}"))).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let content_type = stream.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/event-stream"), "content-type {content_type}");
    let mut buffer = String::new();
    read_until(&mut stream, &mut buffer, "ready", "").await;

    let accepted = engine.trigger("order.created", json!({"n": 1})).await;
    let id = text(&accepted, "id");
    let message = read_until(&mut stream, &mut buffer, "event.created", id).await;
    assert_eq!(message["type"], "event_created");
    assert_eq!(message["event"]["id"], id);
    assert_eq!(message["event"]["event_name"], "order.created");
    assert_eq!(message["event"]["status"], "unrouted", "no endpoint matched");
    drop(stream);
    engine.shutdown().await;
}
