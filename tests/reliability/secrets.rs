//! Secrets never leak into logs or error messages: `hooky serve` at HOOKY_LOG=debug, asked
//! with a wrong and with the right token (header and stream query), with endpoints whose
//! custom headers and signing secret are secret, and with deliveries that fail. Neither the
//! token, nor the wrong token, nor those secrets may appear on stderr or in any error body.
//! The token file a data dir gets is readable by its owner only.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{self, Api, Receiver, Serve, ServeOptions};

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_logs_and_error_bodies() {
    let _serial = harness::serial().await;
    let mut rng = harness::Rng::new(harness::seed());
    let random = |rng: &mut harness::Rng| format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
    let token = format!("tok-{}", random(&mut rng));
    let wrong = format!("wrong-{}", random(&mut rng));
    let header_secret = format!("hdr-{}", random(&mut rng));
    let key: Vec<u8> = (0..32).map(|_| rng.next_u64() as u8).collect();
    let signing_secret = format!("whsec_{}", base64(&key));
    let bad_signing_secret = format!("whsec_{}!", random(&mut rng));

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut options = ServeOptions::new(&dir.path().join("data"));
    options.token = Some(token.clone());
    options.log = "debug".into();
    options.stderr = Some(log.clone());
    let server = Serve::start(&options).expect("hooky serve starts");
    let base = server.base_url();
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();
    let mut bodies: Vec<String> = Vec::new();

    for (label, value) in [("wrong", wrong.as_str()), ("right", token.as_str())] {
        let response = client.get(format!("{base}/api/v1/endpoints")).bearer_auth(value).send().await.unwrap();
        println!("GET /api/v1/endpoints with the {label} token: {}", response.status());
        bodies.push(response.text().await.unwrap());
        // The stream takes the token in the query string, where a request log would see it.
        let stream = client.get(format!("{base}/api/v1/stream?token={value}")).send().await.unwrap();
        let status = stream.status();
        assert_eq!(status.is_success(), label == "right");
        if !status.is_success() {
            bodies.push(stream.text().await.unwrap());
        }
    }
    for (what, request) in [
        ("no token", client.get(format!("{base}/api/v1/info"))),
        ("basic auth", client.get(format!("{base}/api/v1/info")).basic_auth("user", Some(&wrong))),
        (
            "bearer twice",
            client.get(format!("{base}/api/v1/info")).header("authorization", format!("Bearer {wrong} {token}")),
        ),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{what}");
        bodies.push(response.text().await.unwrap());
    }

    // Endpoints with secrets in their headers (and a signing secret, where the API has one),
    // delivering to a receiver that fails and to a port where nothing listens.
    let api = Api { client: client.clone(), base: base.clone(), token: token.clone() };
    let document = api.get("/api/openapi.json").await;
    let has_secret = document["components"]["schemas"]["EndpointIn"]["properties"]["secret"].is_object();
    let always: harness::FailPolicy = std::sync::Arc::new(|_: &str, _: u32, _: u32| true);
    let failing = Receiver::start(Some(always), 0).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for url in [failing.url(), format!("http://127.0.0.1:{closed}/hook")] {
        let mut body = json!({"url": url, "retry_schedule": [0], "timeout_ms": 1000,
            "headers": {"X-Api-Key": header_secret, "Authorization": format!("Bearer {header_secret}")}});
        if has_secret {
            body["secret"] = json!(signing_secret);
        }
        api.create_endpoint(body).await;
    }
    if has_secret {
        let (status, refused) = api
            .call(Method::POST, "/api/v1/endpoints", Some(&json!({"url": failing.url(), "secret": bad_signing_secret})))
            .await;
        assert_eq!(status, 422, "{refused}");
        bodies.push(refused.to_string());
    }
    // Bad requests whose bodies carry the token. A 4xx may quote the caller's own input back to
    // it (serde names the value it could not read); what matters is that none of it is logged.
    for body in [
        format!(r#"{{"url": "{token}"}}"#),
        format!(r#"{{"url": "http://127.0.0.1:9/", "timeout_ms": "{token}"}}"#),
        format!(r#"{{"url": "http://127.0.0.1:9/", "{token}": 1}}"#),
        format!(r#"{{"url": "http://127.0.0.1:9/", "headers": {{"X-A": "{token}\u0000"}}}}"#),
    ] {
        let response = api
            .request(Method::POST, "/api/v1/endpoints")
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let echoed = if text.contains(&token) { "quotes the input back" } else { "does not quote it" };
        println!("create with the token in a bad field: {status}, the answer {echoed}");
        assert!((400..500).contains(&status), "{body}: {status} {text}");
    }
    let mut event_ids = Vec::new();
    for n in 0..3 {
        let (status, accepted) = api.trigger("secret.test", json!({"n": n})).await.unwrap();
        assert_eq!(status, 202);
        event_ids.push(accepted["id"].as_str().unwrap().to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for id in &event_ids {
        loop {
            let event = api.get(&format!("/api/v1/events/{id}")).await;
            if event["status"] == "failed" {
                break;
            }
            assert!(Instant::now() < deadline, "the deliveries did not fail in time: {event:#}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // The CLI's own error for a wrong token does not print it either.
    let listen = base.trim_start_matches("http://").to_owned();
    let cli = harness::hooky().args(["endpoints", "list", "--listen", &listen, "--token", &wrong]).output().unwrap();
    let cli_stderr = String::from_utf8_lossy(&cli.stderr).into_owned();
    assert!(!cli.status.success());
    server.stop();

    let stderr = std::fs::read_to_string(&log).unwrap();
    let lines = stderr.lines().count();
    println!("hooky serve at HOOKY_LOG=debug wrote {lines} lines to stderr");
    assert!(lines > 10, "debug logging was on: {stderr}");
    let secrets = [
        ("the token", &token),
        ("the wrong token", &wrong),
        ("a header secret", &header_secret),
        ("the signing secret", &signing_secret),
        ("a refused signing secret", &bad_signing_secret),
    ];
    for (what, secret) in secrets {
        let key_part = secret.trim_start_matches("whsec_");
        assert!(
            !stderr.contains(key_part),
            "{what} is in the log:\n{}",
            stderr.lines().filter(|l| l.contains(key_part)).collect::<Vec<_>>().join("\n")
        );
        for body in &bodies {
            assert!(!body.contains(key_part), "{what} is in an error body: {body}");
        }
        assert!(!cli_stderr.contains(key_part), "{what} is in the CLI's error: {cli_stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_token_is_readable_by_its_owner_only() {
    let _serial = harness::serial().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut options = ServeOptions::new(&dir.path().join("data"));
    options.token = None;
    options.log = "debug".into();
    options.stderr = Some(log.clone());
    let server = Serve::start(&options).expect("starts");
    let path = dir.path().join("data/token");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    let token = std::fs::read_to_string(&path).unwrap().trim().to_owned();
    assert_eq!(mode, 0o600, "the token file is {mode:o}");
    assert!(token.len() >= 32, "a long random token: {} characters", token.len());
    let info = Api::new(server.base_url());
    assert_eq!(info.call(Method::GET, "/api/v1/info", None).await.0, 401, "the fixed test token is not this one");
    let response =
        info.client.get(format!("{}/api/v1/info", server.base_url())).bearer_auth(&token).send().await.unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body["base_url"].is_string());
    server.stop();
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(!stderr.contains(&token), "the generated token is in the log");
}
