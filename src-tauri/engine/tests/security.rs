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
    let stored = engine.get_event(id).await;
    assert_eq!(message["event"]["created_at"], stored["created_at"], "the stream gives the stored time");

    let cleared = engine.api(Method::DELETE, "/api/v1/events?confirm=all").send().await.unwrap();
    assert_eq!(cleared.status(), StatusCode::OK);
    let message = read_until(&mut stream, &mut buffer, "events.cleared", "").await;
    assert_eq!(message["deleted_events"], 1, "other tabs learn the log was cleared");
    drop(stream);
    engine.shutdown().await;
}

/// The token check refuses every wrong token, whatever its length: empty, shorter, a prefix,
/// the right length with one character off, longer, the token with something appended,
/// other cases, and random strings of each length from 0 to 80.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tokens_of_every_length_are_refused() {
    let engine = TestEngine::start().await;
    let url = engine.url("/api/v1/endpoints");
    let mut wrong: Vec<String> = Vec::new();
    for len in 0..TOKEN.len() {
        wrong.push(TOKEN[..len].to_owned());
        wrong.push(TOKEN[TOKEN.len() - len..].to_owned());
    }
    for at in 0..TOKEN.len() {
        let mut chars: Vec<char> = TOKEN.chars().collect();
        chars[at] = if chars[at] == 'x' { 'y' } else { 'x' };
        wrong.push(chars.into_iter().collect());
    }
    for extra in ["x", " x", "\t", "0", "test-token", "%00"] {
        wrong.push(format!("{TOKEN}{extra}"));
    }
    wrong.push(TOKEN.to_ascii_uppercase());
    wrong.push(format!("{TOKEN}{TOKEN}"));
    wrong.push("test token".to_owned());
    // A small deterministic generator: no dependence on the rand crate's stream.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in 0..=80 {
        let random: String = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b'!' + u8::try_from(state % 94).unwrap())
            })
            .collect();
        wrong.push(random);
    }
    wrong.retain(|token| token.trim() != TOKEN);
    let mut accepted = Vec::new();
    for token in &wrong {
        let Ok(value) = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")) else { continue };
        let response = engine.client.get(&url).header("authorization", value).send().await.unwrap();
        if response.status() != StatusCode::UNAUTHORIZED {
            accepted.push(format!("{token:?} got {}", response.status()));
        }
        let body = response.text().await.unwrap();
        assert!(token.len() < 8 || !body.contains(token.as_str()), "the error echoes the token {token:?}: {body}");
    }
    // The stream takes the token as a query parameter: the same rules.
    for token in wrong.iter().filter(|t| t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')).take(40) {
        let response = engine.client.get(engine.url(&format!("/api/v1/stream?token={token}"))).send().await.unwrap();
        if response.status() != StatusCode::UNAUTHORIZED {
            accepted.push(format!("stream ?token={token:?} got {}", response.status()));
        }
    }
    assert!(accepted.is_empty(), "wrong tokens were accepted:\n{}", accepted.join("\n"));
    let right = engine.api(Method::GET, "/api/v1/endpoints").send().await.unwrap();
    assert_eq!(right.status(), StatusCode::OK, "and the right one still works");
    engine.shutdown().await;
}

/// Timing cannot be measured reliably in a test, so this checks the code path: the token is
/// compared with `subtle`'s constant-time equality, never with `==`.
#[test]
fn the_token_is_compared_in_constant_time() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/security.rs")).unwrap();
    assert!(source.contains("use subtle::ConstantTimeEq;"), "security.rs no longer uses subtle");
    let start = source.find("fn token_matches").expect("fn token_matches is in security.rs");
    let body = &source[start..start + source[start..].find("\n    }").expect("the end of token_matches")];
    assert!(body.contains(".ct_eq("), "token_matches must use ConstantTimeEq::ct_eq:\n{body}");
    assert!(!body.contains("=="), "token_matches must not compare with ==:\n{body}");
}

/// The static UI is served from a real folder; nothing outside it can be read, whatever the
/// encoding of the dot segments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_cannot_escape_the_ui_dir() {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(ui.path().join("index.html"), "<!doctype html><title>HOOKY-INDEX</title>").unwrap();
    std::fs::create_dir(ui.path().join("assets")).unwrap();
    std::fs::write(ui.path().join("assets/app.js"), "console.log('HOOKY-ASSET')").unwrap();
    // A secret beside the UI folder, one level up: as reachable by `..` as /etc/passwd.
    let secret = ui.path().parent().unwrap().join(format!("hooky-secret-{}.txt", std::process::id()));
    std::fs::write(&secret, "HOOKY-SECRET-OUTSIDE").unwrap();
    let secret_name = secret.file_name().unwrap().to_str().unwrap().to_owned();
    let ui_dir = ui.path().to_path_buf();
    let engine = TestEngine::start_with(move |config| config.ui_dir = Some(ui_dir)).await;
    let addr = engine.addr();
    let port = addr.port();
    let get = |path: String| {
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        async move { raw_http(addr, request.as_bytes()).await }
    };
    let (status, answer) = get("/".into()).await;
    assert!(status == 200 && answer.contains("HOOKY-INDEX"), "{answer}");
    let (status, answer) = get("/assets/app.js".into()).await;
    assert!(status == 200 && answer.contains("HOOKY-ASSET"), "{answer}");

    let mut paths: Vec<String> = Vec::new();
    for target in ["etc/passwd", secret_name.as_str()] {
        for up in [
            "../",
            "..%2f",
            "..%2F",
            "%2e%2e/",
            "%2e%2e%2f",
            "%2E%2E%2F",
            ".%2e/",
            "%2e./",
            "..%5c",
            "..\\",
            "%252e%252e%252f",
            "....//",
            "..;/",
        ] {
            let depth = if target == "etc/passwd" { 8 } else { 1 };
            paths.push(format!("/{}{target}", up.repeat(depth)));
            paths.push(format!("/assets/{}{target}", up.repeat(depth + 1)));
        }
    }
    paths.extend(
        ["//etc/passwd", "/%2fetc%2fpasswd", "/./../../../../etc/passwd", "/etc/passwd%00.html"].map(String::from),
    );
    let mut leaks = Vec::new();
    for path in &paths {
        let (status, answer) = get(path.clone()).await;
        let leaked = answer.contains("root:") || answer.contains("HOOKY-SECRET-OUTSIDE");
        let fine = matches!(status, 200 | 400 | 403 | 404) && (status != 200 || answer.contains("HOOKY-INDEX"));
        if leaked || !fine {
            leaks.push(format!("{path}: {status} {}", answer.chars().take(200).collect::<String>()));
        }
    }
    let _ = std::fs::remove_file(&secret);
    assert!(leaks.is_empty(), "{} of {} paths escaped or misbehaved:\n{}", leaks.len(), paths.len(), leaks.join("\n"));
    engine.shutdown().await;
}

/// The desktop window's CSP and capabilities, as principles rather than exact strings so the
/// shell can change them within the rules: default-src 'self'; no 'unsafe-eval' or bare `*`
/// anywhere; scripts only from the app; network access only to loopback and Tauri's IPC; and
/// capabilities that name the main window and grant only the app's own commands.
#[test]
fn the_desktop_csp_and_capabilities_stay_narrow() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/tauri.conf.json")).unwrap()).unwrap();
    let security = &config["app"]["security"];
    let directives: Vec<(String, Vec<String>)> = match &security["csp"] {
        Value::String(csp) => csp
            .split(';')
            .filter_map(|d| {
                let mut words = d.split_whitespace().map(str::to_owned);
                words.next().map(|name| (name.to_ascii_lowercase(), words.collect()))
            })
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(name, sources)| {
                let sources = match sources {
                    Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
                    Value::Array(list) => list.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect(),
                    _ => Vec::new(),
                };
                (name.to_ascii_lowercase(), sources)
            })
            .collect(),
        other => panic!("app.security.csp must be set (a string or a map), not {other}"),
    };
    let sources = |name: &str| directives.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone());
    assert_eq!(sources("default-src"), Some(vec!["'self'".to_owned()]), "default-src must be exactly 'self'");
    for (name, list) in &directives {
        for source in list {
            assert_ne!(source, "'unsafe-eval'", "{name} allows 'unsafe-eval'");
            assert_ne!(source, "*", "{name} allows every origin");
            assert!(
                !matches!(source.as_str(), "http:" | "https:" | "ws:" | "wss:"),
                "{name} allows a whole scheme: {source}"
            );
        }
    }
    let scripts = sources("script-src").or_else(|| sources("default-src")).unwrap();
    for source in &scripts {
        assert!(
            matches!(source.as_str(), "'self'" | "'wasm-unsafe-eval'")
                || source.starts_with("'sha256-")
                || source.starts_with("'nonce-"),
            "script-src allows {source}: scripts must come from the app itself"
        );
    }
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]", "ws://127.0.0.1", "ws://localhost"];
    for source in sources("connect-src").unwrap_or_default() {
        let ok = matches!(source.as_str(), "'self'" | "ipc:" | "http://ipc.localhost" | "tauri:" | "'none'")
            || loopback.iter().any(|l| source == *l || source.starts_with(&format!("{l}:")));
        assert!(ok, "connect-src allows {source}: only the app, its IPC and loopback are needed");
    }
    if let Some(objects) = sources("object-src") {
        assert_eq!(objects, vec!["'none'".to_owned()], "object-src, when set, is 'none'");
    }
    assert_ne!(security["dangerousDisableAssetCspModification"], json!(true), "Tauri's CSP nonces must stay on");
    assert!(security.get("dangerousRemoteDomainIpcAccess").is_none(), "no remote domain may reach the IPC");

    // The app's own permissions, from src-tauri/app/permissions/*.toml.
    let mut own = Vec::new();
    for entry in std::fs::read_dir(format!("{root}/src-tauri/app/permissions")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("identifier") {
                own.push(rest.trim_start_matches([' ', '=']).trim().trim_matches('"').to_owned());
            }
        }
    }
    // Plugin or core permissions the UI needs. Empty today; adding one is a deliberate,
    // reviewed change (never `core:default`, `shell:*`, `fs:*` or `http:*`).
    const ALLOWED_FOREIGN: [&str; 0] = [];
    let mut capabilities: Vec<Value> = security["capabilities"].as_array().cloned().unwrap_or_default();
    if let Ok(dir) = std::fs::read_dir(format!("{root}/capabilities")) {
        for entry in dir {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                capabilities.push(serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap());
            }
        }
    }
    assert!(!capabilities.is_empty(), "the app defines its capabilities explicitly");
    for capability in &capabilities {
        let id = capability["identifier"].as_str().unwrap_or("?");
        assert!(capability.get("remote").is_none(), "capability {id} grants IPC to remote URLs");
        let windows = capability["windows"].as_array().unwrap_or_else(|| panic!("capability {id} names its windows"));
        assert!(
            windows.iter().all(|w| w.as_str().is_some_and(|w| !w.contains('*'))),
            "capability {id} uses a window wildcard"
        );
        for permission in capability["permissions"].as_array().unwrap() {
            let name = permission.as_str().or_else(|| permission["identifier"].as_str()).unwrap_or("?");
            assert!(
                own.iter().any(|o| o == name) || ALLOWED_FOREIGN.contains(&name),
                "capability {id} grants {name:?}, which is neither one of the app's own permissions {own:?} nor allowed"
            );
        }
    }
}
