//! Bodies that are not JSON the routes can read (invalid UTF-8, 2 MiB, 10,000 levels deep, a
//! BOM, the wrong media type), and the connection after a body is refused unread.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::cases::{documented_routes, run, Case};
use super::support::{text, TestEngine, TOKEN, TRIGGER};

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
