//! The Host and Origin guards: foreign hosts and origins are refused, our own origin and its
//! CORS preflight are allowed.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::{expect_json, raw_http, TestEngine, TRIGGER};

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
    // Our own origin still needs the token, and the page can read why it was refused.
    let anonymous = engine.client.get(engine.url("/api/v1/endpoints")).header("origin", &own).send().await.unwrap();
    assert_eq!(anonymous.headers().get("access-control-allow-origin").unwrap(), own.as_str());
    assert_eq!(expect_json(anonymous, StatusCode::UNAUTHORIZED).await["error"]["code"], "unauthorized");
    // An answer without an Origin says it varies by origin, so a browser never reuses it cross-origin.
    let plain = engine.api(Method::GET, "/api/v1/endpoints").send().await.unwrap();
    assert!(plain.headers().get("vary").is_some_and(|v| v.to_str().unwrap().contains("origin")));

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
