//! The bearer token: management routes need it, wrong tokens of every length are refused, it is
//! compared in constant time; and what stays public (health, OpenAPI, the trigger by default).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::{expect_json, text, TestEngine, TOKEN, TRIGGER};

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
