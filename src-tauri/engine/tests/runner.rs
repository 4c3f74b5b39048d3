//! QA runs against real receivers on 127.0.0.1: a correct Standard Webhooks receiver passes every
//! fault, a sloppy one gets the verdicts it deserves, expectations pass and fail as written,
//! and the API runs against an endpoint target.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hooky_engine::fixtures::{Expectations, Fixture, FixtureFile, Variation};
use hooky_engine::runner::{self, report, CaseKind, CaseResult, RunConfig, RunReport, Target, Verdict};
use hooky_engine::signing;
use reqwest::Method;
use serde_json::{json, Value};
use support::{expect_json, TestEngine, WAIT};
use tokio_util::sync::CancellationToken;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Serves `app` on 127.0.0.1 and returns its URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Verifies like the spec says (5-minute tolerance) and deduplicates by webhook-id.
async fn correct_receiver() -> String {
    correct_receiver_reading("webhook").await
}

/// The same, reading the `{prefix}-id`, `{prefix}-timestamp` and `{prefix}-signature` headers.
async fn correct_receiver_reading(prefix: &'static str) -> String {
    type Seen = Arc<Mutex<HashSet<String>>>;
    async fn handle(
        State((seen, prefix)): State<(Seen, &'static str)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, String) {
        let now = chrono::Utc::now().timestamp();
        let signed = signing::Signed {
            msg_id: header(&headers, &format!("{prefix}-id")),
            timestamp: header(&headers, &format!("{prefix}-timestamp")),
            signature_header: header(&headers, &format!("{prefix}-signature")),
            body: &body,
        };
        if let Err(err) = signing::verify(SECRET, &signed, now, signing::DEFAULT_TOLERANCE_S) {
            return (StatusCode::UNAUTHORIZED, err.to_string());
        }
        if !seen.lock().unwrap().insert(signed.msg_id.to_owned()) {
            return (StatusCode::OK, r#"{"duplicate":true}"#.into());
        }
        (StatusCode::OK, r#"{"ok":true}"#.into())
    }
    serve(Router::new().route("/hook", post(handle)).with_state((Seen::default(), prefix))).await
}

/// Accepts everything and answers 201 with a counter.
async fn sloppy_receiver() -> String {
    async fn handle(State(count): State<Arc<AtomicU64>>) -> (StatusCode, String) {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        (StatusCode::CREATED, format!(r#"{{"count":{n}}}"#))
    }
    serve(Router::new().route("/hook", post(handle)).with_state(Arc::default())).await
}

fn fixture_file(path: &str, event: &str, payloads: &[Value], expect: Expectations) -> FixtureFile {
    let variations = payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| Variation { name: (i + 1).to_string(), payload: payload.clone() })
        .collect();
    FixtureFile {
        path: path.into(),
        fixture: Some(Fixture { event_name: event.into(), variations, expect }),
        error: None,
    }
}

fn orders() -> Vec<FixtureFile> {
    vec![fixture_file(
        "orders/created.json",
        "order.created",
        &[json!({"order": 1, "note": "<&\"'>"}), json!({"order": 2})],
        Expectations::default(),
    )]
}

async fn run(url: &str, files: &[FixtureFile], faults: &[&str], secret: Option<&str>) -> RunReport {
    let mut config = RunConfig::new(Target::parse(url, &BTreeMap::new()).unwrap());
    if let Some(secret) = secret {
        config = config.with_secret(secret).unwrap();
    }
    config.faults = runner::parse_faults(faults).unwrap();
    config.timeout = Duration::from_secs(10);
    runner::run(files, &config, CancellationToken::new(), Arc::new(|_: &CaseResult| {})).await
}

fn cases_of(report: &RunReport, kind: CaseKind) -> Vec<&CaseResult> {
    report.cases.iter().filter(|c| c.kind == kind).collect()
}

#[tokio::test]
async fn a_correct_receiver_passes_every_fault() {
    let url = correct_receiver().await;
    let report = run(&url, &orders(), &["all"], Some(SECRET)).await;
    let failed: Vec<&CaseResult> = report.cases.iter().filter(|c| !c.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    // 2 sends, 2 per single-message fault (7 kinds), 1 reorder of both variations.
    assert_eq!((report.totals.cases, report.totals.passed), (2 + 7 * 2 + 1, 17));
    let stale = cases_of(&report, CaseKind::StaleTimestamp)[0];
    assert_eq!(stale.status, Some(401), "refused for the right reason: {:?}", stale.response);
    assert!(stale.response.as_ref().unwrap().body.contains("old"));
    assert!(report::table::render(&report).contains("17 cases: 17 passed, 0 failed, 0 skipped"));
}

#[tokio::test]
async fn svix_style_headers_reach_a_receiver_built_on_them() {
    let url = correct_receiver_reading("svix").await;
    let mut config = RunConfig::new(Target::parse(&url, &BTreeMap::new()).unwrap()).with_secret(SECRET).unwrap();
    config.target.header_style = hooky_engine::model::HeaderStyle::Svix;
    config.faults = runner::parse_faults(&["all"]).unwrap();
    let report = runner::run(&orders(), &config, CancellationToken::new(), Arc::new(|_: &CaseResult| {})).await;
    let failed: Vec<&CaseResult> = report.cases.iter().filter(|c| !c.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[tokio::test]
async fn a_sloppy_receiver_gets_verdicts() {
    let url = sloppy_receiver().await;
    let report = run(&url, &orders(), &["all"], Some(SECRET)).await;
    for kind in [
        CaseKind::BadSignature,
        CaseKind::MissingSignature,
        CaseKind::StaleTimestamp,
        CaseKind::FutureTimestamp,
        CaseKind::TruncatedBody,
    ] {
        for case in cases_of(&report, kind) {
            assert_eq!((case.passed, case.verdict), (false, Some(Verdict::WronglyAccepted)), "{case:#?}");
        }
    }
    for case in cases_of(&report, CaseKind::Duplicate) {
        assert_eq!(case.verdict, Some(Verdict::ProcessedTwice), "{case:#?}");
    }
    for kind in [CaseKind::Send, CaseKind::Reorder, CaseKind::RotatedSignature] {
        assert!(cases_of(&report, kind).iter().all(|c| c.passed), "{kind:?} is fine when everything is accepted");
    }
    assert_eq!(report.totals.failed, 12);
    let table = report::table::render(&report);
    assert!(table.contains("accepted a bad signature (bad_signature, order.created #1)"), "{table}");
    assert!(table.contains("processed a redelivery twice (duplicate, order.created #2)"), "{table}");

    let xml = report::junit::render(&report);
    let failures = assert_well_formed(&xml);
    assert_eq!(failures, 12, "{xml}");
}

/// Parses the whole document; returns the number of `<failure>` elements.
fn assert_well_formed(xml: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut failures = 0;
    let mut depth = 0i32;
    loop {
        match reader.read_event().unwrap_or_else(|err| panic!("not well-formed XML ({err}):\n{xml}")) {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) => {
                depth += 1;
                failures += usize::from(e.name().0 == "failure");
            }
            quick_xml::events::Event::End(_) => depth -= 1,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    failures
}

#[tokio::test]
async fn signature_faults_are_skipped_without_a_secret() {
    let url = sloppy_receiver().await;
    let report = run(&url, &orders(), &["bad_signature", "duplicate"], None).await;
    let bad = cases_of(&report, CaseKind::BadSignature);
    assert!(bad.iter().all(|c| c.skipped && c.detail.as_deref().unwrap().contains("secret")), "{bad:#?}");
    assert_eq!(report.totals.skipped, 2);
    assert_eq!(cases_of(&report, CaseKind::Duplicate).len(), 2, "duplicate still runs unsigned");
}

#[tokio::test]
async fn expectations_pass_and_fail_as_written() {
    async fn queued() -> (StatusCode, &'static str) {
        (StatusCode::ACCEPTED, r#"{"id":123,"status":"<queued>"}"#)
    }
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(400)).await;
        "slow"
    }
    let base = serve(Router::new().route("/hook", post(queued)).route("/slow", post(slow))).await;
    let expect = |status: Vec<u16>, contains: &str, matches: &str| Expectations {
        status,
        max_latency_ms: None,
        body_contains: Some(contains.into()),
        body_matches: Some(matches.into()),
    };
    let files = vec![
        fixture_file("a_good.json", "a.good", &[json!({})], expect(vec![202], "<queued>", r#""id":\d+"#)),
        fixture_file("b_bad.json", "b.bad", &[json!({})], expect(vec![200, 201], "done", r#"^\["#)),
        FixtureFile {
            path: "c_broken.json".into(),
            fixture: None,
            error: Some(hooky_engine::fixtures::FixtureError::new("invalid JSON: EOF")),
        },
    ];
    let report = run(&base, &files, &[], None).await;
    assert!(report.cases[0].passed, "{:#?}", report.cases[0]);
    let bad = &report.cases[1];
    assert!(!bad.passed);
    assert_eq!(bad.failures.len(), 3, "status, contains and matches each fail: {:#?}", bad.failures);
    assert_eq!(bad.failures[0], "expected status 200 or 201, got 202");
    assert_eq!(report.cases[2].failures, vec!["fixture does not parse: invalid JSON: EOF"]);

    let slow_url = base.replace("/hook", "/slow");
    let timed = |max| {
        vec![fixture_file(
            "slow.json",
            "slow",
            &[json!({})],
            Expectations { max_latency_ms: Some(max), ..Expectations::default() },
        )]
    };
    let too_slow = run(&slow_url, &timed(50), &[], None).await;
    assert!(too_slow.cases[0].failures[0].contains("within 50 ms"), "{:#?}", too_slow.cases[0]);
    let patient = run(&slow_url, &timed(60_000), &[], None).await;
    assert!(patient.cases[0].passed, "{:#?}", patient.cases[0]);
}

#[tokio::test]
async fn the_api_runs_against_an_endpoint_and_finishes() {
    let receiver = correct_receiver().await;
    let engine = TestEngine::start().await;
    let endpoint = engine.create_endpoint(json!({ "url": receiver, "secret": SECRET })).await;
    let endpoint_id = endpoint["id"].as_str().unwrap();
    let folder = engine.data_dir().join("fixtures/orders");
    std::fs::create_dir_all(&folder).unwrap();
    let fixture = json!({ "event_name": "order.created", "variations": [{"n": 1}, {"n": 2}] });
    std::fs::write(folder.join("created.json"), fixture.to_string()).unwrap();

    let started = engine
        .api(Method::POST, "/api/v1/runs")
        .json(&json!({ "target": { "endpoint_id": endpoint_id }, "faults": ["all"] }))
        .send()
        .await
        .unwrap();
    let started = expect_json(started, reqwest::StatusCode::ACCEPTED).await;
    let id = started["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("run_"));
    assert_eq!(started["total"], 17);

    let deadline = tokio::time::Instant::now() + WAIT;
    let run = loop {
        let got = engine.api(Method::GET, &format!("/api/v1/runs/{id}")).send().await.unwrap();
        let run = expect_json(got, reqwest::StatusCode::OK).await;
        if run["state"] == "finished" {
            break run;
        }
        assert!(tokio::time::Instant::now() < deadline, "the run did not finish: {run:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((run["done"].as_u64(), run["failed"].as_u64()), (Some(17), Some(0)), "{run:#}");
    assert_eq!(run["report"]["totals"]["passed"], 17, "the endpoint's own secret signed: {run:#}");

    let listed = engine.api(Method::GET, "/api/v1/runs").send().await.unwrap();
    let listed = expect_json(listed, reqwest::StatusCode::OK).await;
    assert_eq!(listed["data"][0]["id"], id.as_str());

    let unknown = json!({ "target": { "endpoint_id": "ep_01JDQ8W6S4Z6R4D2Y7B9X3K5M1" } });
    let response = engine.api(Method::POST, "/api/v1/runs").json(&unknown).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let ftp = json!({ "target": { "url": "ftp://127.0.0.1/x" } });
    let response = engine.api(Method::POST, "/api/v1/runs").json(&ftp).send().await.unwrap();
    assert_eq!(expect_json(response, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await["error"]["field"], "target");
    let missing = json!({ "target": { "url": receiver }, "paths": ["nope.json"] });
    let response = engine.api(Method::POST, "/api/v1/runs").json(&missing).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let response = engine.api(Method::GET, "/api/v1/runs/run_nothing").send().await.unwrap();
    assert_eq!(response.status(), 404);
    engine.shutdown().await;
}

#[tokio::test]
async fn cancelling_an_api_run_ends_it_cancelled() {
    async fn hang() -> &'static str {
        tokio::time::sleep(Duration::from_secs(60)).await;
        "late"
    }
    let url = serve(Router::new().route("/hook", post(hang))).await;
    let engine = TestEngine::start().await;
    let folder = engine.data_dir().join("fixtures");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("ping.json"), r#"{"event_name": "ping", "payload": {}}"#).unwrap();
    let body = json!({ "target": { "url": url }, "faults": ["duplicate"], "concurrency": 1 });
    let started = engine.api(Method::POST, "/api/v1/runs").json(&body).send().await.unwrap();
    let id = expect_json(started, reqwest::StatusCode::ACCEPTED).await["id"].as_str().unwrap().to_owned();
    let cancelled = engine.api(Method::POST, &format!("/api/v1/runs/{id}/cancel")).send().await.unwrap();
    assert_eq!(cancelled.status(), 202);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = engine.api(Method::GET, &format!("/api/v1/runs/{id}")).send().await.unwrap();
        let run = expect_json(got, reqwest::StatusCode::OK).await;
        if run["state"] == "cancelled" {
            assert_eq!((run["skipped"].as_u64(), run["failed"].as_u64()), (Some(2), Some(0)), "{run:#}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the run was not cancelled: {run:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    engine.shutdown().await;
}
