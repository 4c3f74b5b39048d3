//! Path traversal and SQL metacharacters in path ids, and dot segments in routes: always a 4xx
//! in the error shape, never a file from outside.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::cases::{documented_routes, is_error_shape};
use super::support::{raw_http, TestEngine, TOKEN};

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
