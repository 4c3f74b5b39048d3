//! Catchers in the endpoints export: carried to another engine, where they answer at
//! /catch/{name} as scripted; old documents without them; names already taken.
#![allow(clippy::unwrap_used)]

mod support;

use hooky_engine::signing;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{expect_json, text, TestEngine};

async fn create_catcher(engine: &TestEngine, body: Value) -> Value {
    let response = engine.api(Method::POST, "/api/v1/catchers").json(&body).send().await.unwrap();
    expect_json(response, StatusCode::CREATED).await
}

async fn get_json(engine: &TestEngine, path: &str) -> Value {
    expect_json(engine.api(Method::GET, path).send().await.unwrap(), StatusCode::OK).await
}

async fn export_document(engine: &TestEngine, query: &str) -> Value {
    let response = engine.api(Method::GET, &format!("/api/v1/export/endpoints{query}")).send().await.unwrap();
    expect_json(response, StatusCode::OK).await
}

async fn import(engine: &TestEngine, document: &Value, status: StatusCode) -> Value {
    let response = engine.api(Method::POST, "/api/v1/import/endpoints").json(document).send().await.unwrap();
    expect_json(response, status).await
}

async fn catchers_by_name(engine: &TestEngine) -> Vec<Value> {
    get_json(engine, "/api/v1/catchers").await["data"].as_array().unwrap().clone()
}

fn named<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter().find(|item| item["name"] == name).unwrap_or_else(|| panic!("no {name} in {list:?}"))
}

async fn catch_status(engine: &TestEngine, name: &str) -> StatusCode {
    engine.client.post(engine.url(&format!("/catch/{name}"))).body("{}").send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catchers_round_trip_into_another_engine() {
    let source = TestEngine::start().await;
    let plain = source.create_endpoint(json!({"url": "http://127.0.0.1:9/plain", "name": "plain"})).await;
    let secret = signing::generate_secret();
    let flappy = json!({"statuses": [503, 201], "body": "later", "headers": {"x-mock": "yes"}});
    create_catcher(&source, json!({"name": "orders", "script": flappy, "subscribe": {"event_filter": ["order.*"]}}))
        .await;
    create_catcher(&source, json!({"name": "fixed", "script": {"statuses": [202]}, "verify": {"secret": secret}}))
        .await;
    create_catcher(&source, json!({"name": "shared", "verify": {"endpoint_id": text(&plain, "id")}})).await;
    create_catcher(&source, json!({"name": "bare"})).await;

    let withheld = export_document(&source, "").await;
    assert!(!withheld.to_string().contains("whsec_"), "no secrets unless asked: {withheld}");
    let exported = withheld["catchers"].as_array().unwrap();
    assert_eq!(named(exported, "fixed")["verify"], json!({}), "a withheld secret");

    let document = export_document(&source, "?include_secrets=true").await;
    assert_eq!(document["version"], 1);
    let exported = document["catchers"].as_array().unwrap();
    let names: Vec<&str> = exported.iter().map(|c| text(c, "name")).collect();
    assert_eq!(names, ["bare", "fixed", "orders", "shared"]);
    // Endpoints are named by index: 0 is "plain", 1 the one made for "orders".
    assert_eq!(document["endpoints"][1]["name"], "catcher orders");
    assert_eq!(
        named(exported, "orders"),
        &json!({"name": "orders", "script": named(&catchers_by_name(&source).await, "orders")["script"], "verify": {"endpoint": 1}, "endpoint": 1})
    );
    assert_eq!(named(exported, "fixed")["verify"], json!({"secret": secret}));
    assert_eq!(
        (named(exported, "shared")["verify"].clone(), named(exported, "shared")["endpoint"].clone()),
        (json!({"endpoint": 0}), Value::Null)
    );
    assert_eq!(
        (named(exported, "bare")["verify"].clone(), named(exported, "bare")["endpoint"].clone()),
        (Value::Null, Value::Null)
    );

    let target = TestEngine::start().await;
    let created = import(&target, &document, StatusCode::CREATED).await;
    assert_eq!((created["data"].as_array().unwrap().len(), created["catchers"].as_array().unwrap().len()), (2, 4));

    let originals = catchers_by_name(&source).await;
    let imported = catchers_by_name(&target).await;
    for (original, copy) in originals.iter().zip(&imported) {
        assert_eq!((&copy["name"], &copy["script"]), (&original["name"], &original["script"]));
        assert_ne!(copy["id"], original["id"], "new ids");
        assert_eq!(copy["url"], target.url(&format!("/catch/{}", text(copy, "name"))));
    }
    assert_eq!(imported.len(), originals.len());
    let endpoints = get_json(&target, "/api/v1/endpoints").await["data"].as_array().unwrap().clone();
    let (target_plain, target_orders) = (named(&endpoints, "plain"), named(&endpoints, "catcher orders"));
    let orders = named(&imported, "orders");
    assert_eq!(orders["endpoint_id"], target_orders["id"], "the endpoint made with it, by its new id");
    assert_eq!(orders["verify"], json!({"endpoint_id": target_orders["id"]}));
    assert_eq!(named(&imported, "shared")["verify"], json!({"endpoint_id": target_plain["id"]}));
    assert_eq!(named(&imported, "fixed")["verify"], json!({"secret": secret}));
    assert_eq!(named(&imported, "bare")["verify"], Value::Null);
    // A catcher's own endpoint now delivers to the imported catcher; other URLs are kept.
    assert_ne!(source.url("/catch/orders"), target.url("/catch/orders"), "two engines, two ports");
    assert_eq!(target_orders["url"], target.url("/catch/orders"));
    assert_eq!(
        target_plain["url"],
        named(&get_json(&source, "/api/v1/endpoints").await["data"].as_array().unwrap().clone(), "plain")["url"]
    );
    assert_eq!(target_orders["event_filter"], json!(["order.*"]));

    // They answer as scripted, each from the start of its sequence.
    let answer = target.client.post(target.url("/catch/orders")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.headers()["x-mock"], "yes");
    assert_eq!(answer.text().await.unwrap(), "later");
    assert_eq!(catch_status(&target, "orders").await, StatusCode::CREATED);
    assert_eq!(catch_status(&target, "bare").await, StatusCode::OK);

    // And check signatures with the carried secret.
    let (body, now) = (r#"{"a":1}"#, chrono::Utc::now().timestamp());
    let signature = signing::sign(&signing::decode_secret(&secret).unwrap(), "msg_1", now, body.as_bytes());
    let request = target.client.post(target.url("/catch/fixed")).body(body).header("webhook-id", "msg_1");
    let request = request.header("webhook-timestamp", now.to_string()).header("webhook-signature", signature);
    assert_eq!(request.send().await.unwrap().status(), StatusCode::ACCEPTED);
    let fixed_id = text(named(&imported, "fixed"), "id");
    let caught = get_json(&target, &format!("/api/v1/catchers/{fixed_id}/requests")).await;
    assert_eq!(caught["data"][0]["signature"], json!({"status": "verified"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_without_catchers_still_imports() {
    let engine = TestEngine::start().await;
    let old = json!({"version": 1, "endpoints": [{"url": "http://127.0.0.1:9/hooks", "name": "old"}]});
    let created = import(&engine, &old, StatusCode::CREATED).await;
    assert_eq!(created["data"][0]["name"], "old");
    assert_eq!(created["catchers"], json!([]));
    assert_eq!(catchers_by_name(&engine).await, Vec::<Value>::new());

    // A withheld secret (`{}`) imports as no check.
    let document = json!({"version": 1, "endpoints": [], "catchers": [{"name": "quiet", "verify": {}}]});
    let created = import(&engine, &document, StatusCode::CREATED).await;
    assert_eq!(created["catchers"][0]["verify"], Value::Null);
    assert_eq!(created["catchers"][0]["script"]["statuses"], json!([200]), "a missing script is the default");

    // The documented shape says so.
    let openapi = expect_json(engine.client.get(engine.url("/api/openapi.json")).send().await.unwrap(), StatusCode::OK);
    let schemas = openapi.await["components"]["schemas"].clone();
    assert!(schemas["EndpointsExport"]["required"].as_array().unwrap().contains(&json!("catchers")));
    assert!(!schemas["EndpointsImport"]["required"].as_array().unwrap().contains(&json!("catchers")));
    let fields = schemas["ExportedCatcher"]["properties"].as_object().unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["endpoint", "name", "script", "verify"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_name_is_a_conflict_and_nothing_is_imported() {
    let engine = TestEngine::start().await;
    create_catcher(&engine, json!({"name": "orders", "script": {"statuses": [418]}})).await;
    let document = json!({"version": 1, "endpoints": [{"url": "http://127.0.0.1:9/catch/orders", "name": "catcher orders"}],
        "catchers": [{"name": "fresh"}, {"name": "orders", "script": {"statuses": [201]}, "endpoint": 0, "verify": {"endpoint": 0}}]});
    let body = import(&engine, &document, StatusCode::CONFLICT).await;
    assert_eq!(
        (body["error"]["code"].as_str(), body["error"]["field"].as_str()),
        (Some("name_taken"), Some("catchers[1].name"))
    );
    assert_eq!(get_json(&engine, "/api/v1/endpoints").await["data"], json!([]), "no endpoint either");
    let names: Vec<String> = catchers_by_name(&engine).await.iter().map(|c| text(c, "name").to_owned()).collect();
    assert_eq!(names, ["orders"]);
    assert_eq!(catch_status(&engine, "orders").await, StatusCode::IM_A_TEAPOT, "the existing catcher is untouched");
    assert_eq!(catch_status(&engine, "fresh").await, StatusCode::NOT_FOUND);

    // Renamed, the same document imports.
    let mut renamed = document.clone();
    renamed["catchers"][1]["name"] = json!("orders-2");
    import(&engine, &renamed, StatusCode::CREATED).await;
    assert_eq!(catch_status(&engine, "orders-2").await, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_catcher_is_named_and_nothing_is_imported() {
    let engine = TestEngine::start().await;
    let doc =
        |catchers: Value| json!({"version": 1, "endpoints": [{"url": "http://127.0.0.1:9/a"}], "catchers": catchers});
    let cases = [
        (doc(json!([{"name": "a"}, {"name": "a"}])), "catchers[1].name"),
        (doc(json!([{"name": "Bad Name"}])), "catchers[0].name"),
        (doc(json!([{"name": "a", "script": {"statuses": [99]}}])), "catchers[0].script.statuses"),
        (doc(json!([{"name": "a", "endpoint": 1}])), "catchers[0].endpoint"),
        (doc(json!([{"name": "a", "verify": {"endpoint": 7}}])), "catchers[0].verify.endpoint"),
        (
            doc(json!([{"name": "a", "verify": {"endpoint": 0, "secret": signing::generate_secret()}}])),
            "catchers[0].verify",
        ),
        (doc(json!([{"name": "a", "verify": {"secret": "whsec_short"}}])), "catchers[0].verify.secret"),
    ];
    for (document, field) in cases {
        let body = import(&engine, &document, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let unknown = json!({"version": 1, "endpoints": [], "catchers": [{"name": "a", "url": "http://x"}]});
    let response = engine.api(Method::POST, "/api/v1/import/endpoints").json(&unknown).send().await.unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_eq!(get_json(&engine, "/api/v1/endpoints").await["data"], json!([]));
    assert_eq!(catchers_by_name(&engine).await, Vec::<Value>::new());
}
