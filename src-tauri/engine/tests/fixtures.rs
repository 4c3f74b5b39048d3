//! The payload fixture library through the real API: the folder, its listing, live change
//! announcements, previews and sends that reach a real receiver.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{expect_json, text, TestEngine, TestReceiver, WAIT};

fn write(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, content).unwrap();
}

async fn library(engine: &TestEngine) -> Value {
    let response = engine.api(Method::GET, "/api/v1/fixtures").send().await.unwrap();
    expect_json(response, StatusCode::OK).await
}

async fn put_folder(engine: &TestEngine, dir: Value) -> reqwest::Response {
    engine.api(Method::PUT, "/api/v1/fixtures/folder").json(&json!({ "dir": dir })).send().await.unwrap()
}

async fn use_folder(engine: &TestEngine, dir: &Path) -> Value {
    expect_json(put_folder(engine, json!(dir.to_str().unwrap())).await, StatusCode::OK).await
}

fn paths(library: &Value) -> Vec<String> {
    library["files"].as_array().unwrap().iter().map(|file| text(file, "path").to_owned()).collect()
}

fn file<'a>(library: &'a Value, path: &str) -> &'a Value {
    library["files"].as_array().unwrap().iter().find(|file| file["path"] == path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_lists_the_chosen_folder_with_broken_files_explained() {
    let engine = TestEngine::start().await;
    let default = library(&engine).await;
    assert_eq!(default["is_default"], true);
    assert_eq!(default["exists"], true, "the default folder is created at start");
    assert_eq!(Path::new(text(&default, "dir")), engine.data_dir().join("fixtures"));

    let folder = tempfile::tempdir().unwrap();
    write(folder.path(), "order.created.json", r#"{"id": "{{uuid}}"}"#);
    write(folder.path(), "users/signup.json", r#"{"event_name": "user.signup", "variations": [{}, {}]}"#);
    write(folder.path(), "broken.json", "{\n  \"a\": 1,\n  \"b\" 2\n}");
    write(folder.path(), "bad_tag.json", r#"{"a": "{{ nope }}"}"#);
    let listed = use_folder(&engine, folder.path()).await;
    assert_eq!(listed["is_default"], false);
    assert_eq!(paths(&listed), ["bad_tag.json", "broken.json", "order.created.json", "users/signup.json"]);
    assert_eq!(file(&listed, "order.created.json")["fixture"]["event_name"], "order.created");
    let names: Vec<&Value> = file(&listed, "users/signup.json")["fixture"]["variations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variation| &variation["name"])
        .collect();
    assert_eq!(names, [&json!("1"), &json!("2")]);
    let broken = &file(&listed, "broken.json")["error"];
    assert_eq!((broken["line"].as_u64(), broken["column"].as_u64()), (Some(3), Some(7)), "{broken}");
    assert!(text(&file(&listed, "bad_tag.json")["error"], "message").contains("nope"));
    // The choice is kept: a later GET lists the same folder.
    assert_eq!(paths(&library(&engine).await), paths(&listed));

    for (dir, why) in [
        (json!("relative/dir"), "absolute"),
        (json!(folder.path().join("missing").to_str().unwrap()), "cannot open"),
        (json!(folder.path().join("broken.json").to_str().unwrap()), "not a folder"),
    ] {
        let error = expect_json(put_folder(&engine, dir.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error["error"]["field"], "dir");
        assert!(text(&error["error"], "message").contains(why), "{dir}: {error}");
    }
    let back = expect_json(put_folder(&engine, Value::Null).await, StatusCode::OK).await;
    assert_eq!(back["is_default"], true);
    assert!(paths(&back).is_empty());
    engine.shutdown().await;
}

/// Collects the live stream's text in the background.
async fn open_stream(engine: &TestEngine) -> Arc<Mutex<String>> {
    let mut response = engine.api(Method::GET, "/api/v1/stream").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let seen = Arc::new(Mutex::new(String::new()));
    let sink = seen.clone();
    tokio::spawn(async move {
        while let Ok(Some(chunk)) = response.chunk().await {
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk));
        }
    });
    seen
}

/// Waits until the stream has carried more than `count` `fixtures.changed` messages.
async fn wait_for_change(stream: &Mutex<String>, count: usize, what: &str) -> usize {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = stream.lock().unwrap().matches("event: fixtures.changed").count();
        if seen > count {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "no fixtures.changed after {what}; stream so far:\n{}",
            stream.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_in_the_folder_are_announced_on_the_stream() {
    let engine = TestEngine::start().await;
    let stream = open_stream(&engine).await;
    let folder = tempfile::tempdir().unwrap();
    use_folder(&engine, folder.path()).await;
    let mut seen = wait_for_change(&stream, 0, "switching the folder").await;
    assert!(stream.lock().unwrap().contains(&serde_json::to_string(folder.path().to_str().unwrap()).unwrap()));

    // Give the new watch a moment to be in place, then add, edit and remove a file.
    tokio::time::sleep(Duration::from_millis(300)).await;
    write(folder.path(), "orders/new.json", "{}");
    seen = wait_for_change(&stream, seen, "adding a file").await;
    assert_eq!(paths(&library(&engine).await), ["orders/new.json"]);
    write(folder.path(), "orders/new.json", "{ broken");
    seen = wait_for_change(&stream, seen, "editing a file").await;
    assert!(file(&library(&engine).await, "orders/new.json")["error"].is_object());
    std::fs::remove_file(folder.path().join("orders/new.json")).unwrap();
    wait_for_change(&stream, seen, "removing a file").await;
    assert!(paths(&library(&engine).await).is_empty());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_folder_is_watched_once_it_appears() {
    let engine = TestEngine::start().await;
    let stream = open_stream(&engine).await;
    let parent = tempfile::tempdir().unwrap();
    let folder = parent.path().join("later");
    std::fs::create_dir(&folder).unwrap();
    use_folder(&engine, &folder).await;
    let mut seen = wait_for_change(&stream, 0, "switching the folder").await;
    std::fs::remove_dir(&folder).unwrap();
    seen = wait_for_change(&stream, seen, "removing the folder").await;
    assert_eq!(library(&engine).await["exists"], false);
    write(&folder, "back.json", "{}");
    seen = wait_for_change(&stream, seen, "the folder coming back").await;
    // Watched again: a later edit is announced too.
    let deadline = Instant::now() + WAIT;
    let mut round = 0;
    loop {
        round += 1;
        write(&folder, "back.json", &format!("{{\"round\": {round}}}"));
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = stream.lock().unwrap().matches("event: fixtures.changed").count();
        if now > seen {
            break;
        }
        assert!(Instant::now() < deadline, "edits in the recreated folder are not announced");
    }
    assert_eq!(paths(&library(&engine).await), ["back.json"]);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_a_fixture_delivers_its_rendered_variations() {
    let engine = TestEngine::start().await;
    let receiver = TestReceiver::start(vec![]).await;
    engine.create_endpoint(json!({"url": receiver.url(), "event_filter": ["order.**"]})).await;
    let folder = tempfile::tempdir().unwrap();
    write(
        folder.path(),
        "orders/created.json",
        r##"{"event_name": "order.created", "variations": [
            {"n": "{{seq}}", "id": "ord_{{uuid}}", "label": "#{{ seq }}"},
            {"n": "{{seq}}", "amount": "{{random_int 5 5}}"}
        ]}"##,
    );
    use_folder(&engine, folder.path()).await;

    let send = |variation: Value| {
        engine
            .api(Method::POST, "/api/v1/fixtures/send")
            .json(&json!({"path": "orders/created.json", "variation": variation}))
            .send()
    };
    let sent = expect_json(send(Value::Null).await.unwrap(), StatusCode::ACCEPTED).await;
    let events = sent["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|event| event["event_name"] == "order.created" && event["deliveries"][0].is_object()));
    let mut bodies: Vec<Value> = receiver
        .wait_for_requests(2, WAIT)
        .await
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect();
    bodies.sort_by_key(|body| body["n"].as_u64());
    assert_eq!(bodies[0]["n"], 1);
    assert_eq!(bodies[0]["label"], "#2");
    assert!(text(&bodies[0], "id").starts_with("ord_") && text(&bodies[0], "id").len() == 40, "{}", bodies[0]);
    assert_eq!(bodies[1], json!({"n": 3, "amount": 5}));

    // One variation: a fresh counter per send.
    let one = expect_json(send(json!("2")).await.unwrap(), StatusCode::ACCEPTED).await;
    assert_eq!(one["events"].as_array().unwrap().len(), 1);
    let third = receiver.wait_for_requests(3, WAIT).await;
    let body: Value = serde_json::from_slice(&third[2].body).unwrap();
    assert_eq!(body, json!({"n": 1, "amount": 5}));
    let stored = engine.get_event(text(&one["events"][0], "id")).await;
    assert_eq!(stored["payload"], json!({"n": 1, "amount": 5}));

    let missing = expect_json(send(json!("3")).await.unwrap(), StatusCode::NOT_FOUND).await;
    assert!(text(&missing["error"], "message").contains("variation"));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_renders_without_sending() {
    let engine = TestEngine::start().await;
    let folder = tempfile::tempdir().unwrap();
    write(folder.path(), "ping.json", r#"["{{seq}}", "{{seq}}", "{{now}}"]"#);
    use_folder(&engine, folder.path()).await;
    let response = engine
        .api(Method::POST, "/api/v1/fixtures/render")
        .json(&json!({"path": "ping.json", "variation": null}))
        .send()
        .await
        .unwrap();
    let preview = expect_json(response, StatusCode::OK).await;
    assert_eq!(preview["event_name"], "ping");
    assert_eq!(preview["payloads"][0]["variation"], "1");
    let payload = &preview["payloads"][0]["payload"];
    assert_eq!((&payload[0], &payload[1]), (&json!(1), &json!(2)));
    assert!(payload[2].as_str().unwrap().ends_with('Z'), "{payload}");
    let events = engine.list_events("").await;
    assert!(events["data"].as_array().unwrap().is_empty(), "a preview sends nothing: {events}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors() {
    let engine = TestEngine::start().await;
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.json", "{}");
    let folder = outside.path().join("fixtures");
    write(&folder, "broken.json", "[1,");
    write(&folder, "env.json", r#"{"key": "{{env HOOKY_FIXTURE_TEST_SURELY_UNSET}}"}"#);
    write(&folder, "ok.json", "{}");
    use_folder(&engine, &folder).await;

    let cases: Vec<(&str, &str, StatusCode, &str)> = vec![
        ("/api/v1/fixtures/send", r#"{"path": "nope.json"}"#, StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/fixtures/send", r#"{"path": "../secret.json"}"#, StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/fixtures/render", r#"{"path": "/etc/passwd"}"#, StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/fixtures/send", r#"{"path": "broken.json"}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_fixture"),
        ("/api/v1/fixtures/send", r#"{"path": "env.json"}"#, StatusCode::UNPROCESSABLE_ENTITY, "template_failed"),
        ("/api/v1/fixtures/render", r#"{"path": "ok.json", "variation": "x"}"#, StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/fixtures/send", r#"{"path": 5}"#, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        ("/api/v1/fixtures/send", r#"{}"#, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        (
            "/api/v1/fixtures/send",
            r#"{"path": "ok.json", "extra": 1}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        ("/api/v1/fixtures/send", "{not json", StatusCode::BAD_REQUEST, "invalid_json"),
        ("/api/v1/fixtures/folder", r#"{"dir": 7}"#, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
    ];
    for (path, body, status, code) in cases {
        let method = if path.ends_with("folder") { Method::PUT } else { Method::POST };
        let response =
            engine.api(method, path).header("content-type", "application/json").body(body).send().await.unwrap();
        let error = expect_json(response, status).await;
        assert_eq!(error["error"]["code"], code, "{path} {body}: {error}");
    }
    let unauthorized = engine.client.get(engine.url("/api/v1/fixtures")).send().await.unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    assert!(engine.list_events("").await["data"].as_array().unwrap().is_empty(), "nothing was sent");
    engine.shutdown().await;
}
