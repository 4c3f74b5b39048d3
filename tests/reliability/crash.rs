//! Crash safety: `hooky serve` is killed with SIGKILL at random moments while events arrive
//! at a steady rate, and restarted on the same data dir and port each time. At the end:
//! every event that got a 202 reached every matching endpoint at least once; nothing
//! reached a receiver that was never accepted (a trigger committed just before a kill, whose
//! 202 never arrived, counts as "accepted but unanswered"); duplicates stay within what
//! could have been in flight at the kills; every request of an event carried the same body,
//! including the long payloads kept out of the event's row; nothing is left pending; the
//! database passes `PRAGMA integrity_check`.
//!
//! Short: 10 rounds. `HOOKY_FULL=1`: 40 rounds. `HOOKY_CRASH_ROUNDS` and `HOOKY_SEED` override.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{self, Api, FailPolicy, Receiver, Rng, Serve, ServeOptions};

/// What became of one trigger request.
#[derive(Debug, Clone)]
enum Outcome {
    /// 202, with the event id and the endpoints it was routed to.
    Accepted { id: String, endpoints: Vec<String> },
    /// The connection was refused: the request never reached a server.
    NotSent,
    /// The server answered something else (e.g. 503): nothing was stored.
    Refused(u16),
    /// The request may have reached the server, but no answer came (killed mid-request).
    Unanswered(String),
}

const MAX_IN_FLIGHT: u32 = 4;
const RATE_PER_S: u64 = 50;

/// The pad of event `seq`'s payload, if it is one of the long ones (past what an event row keeps inline).
fn long_pad(seq: u64) -> Option<usize> {
    (seq % 4 == 3).then(|| 2_000 + (seq % 100) as usize)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_no_accepted_event() {
    let _serial = harness::serial().await;
    let rounds = harness::env_number("HOOKY_CRASH_ROUNDS").unwrap_or(if harness::full() { 40 } else { 10 });
    let seed = harness::seed();
    println!("crash: seed {seed} (HOOKY_SEED={seed} reproduces the kill moments), {rounds} rounds");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();

    // Three receivers; the third fails the first request of one event in seven, so some
    // deliveries are mid-retry when the server dies.
    let fail_first: FailPolicy = Arc::new(|id: &str, _attempt: u32, before: u32| {
        before == 0 && id.bytes().fold(0u32, |acc, b| acc.wrapping_mul(31).wrapping_add(u32::from(b))) % 7 == 0
    });
    let receivers =
        [Receiver::start(None, 15).await, Receiver::start(None, 15).await, Receiver::start(Some(fail_first), 15).await];

    let mut options = ServeOptions::new(dir.path());
    let mut server = start(&options).await;
    options.listen = format!("127.0.0.1:{}", server.port);
    let api = Api::new(server.base_url());
    // Filters make some events match one endpoint and some two (and one none).
    let filters = [json!(["order.*"]), json!(["order.created", "user.*"]), json!(["user.*", "audit.**"])];
    let mut endpoint_ids = Vec::new();
    for (receiver, filter) in receivers.iter().zip(&filters) {
        let id = api
            .create_endpoint(json!({"url": receiver.url(), "event_filter": filter, "max_in_flight": MAX_IN_FLIGHT,
                "retry_schedule": [0, 1], "timeout_ms": 5000}))
            .await;
        endpoint_ids.push(id);
    }
    let names: [(&str, &[usize]); 5] = [
        ("order.created", &[0, 1]),
        ("order.paid", &[0]),
        ("user.created", &[1, 2]),
        ("audit.login.failed", &[2]),
        ("misc.ping", &[]),
    ];

    // The firing task: RATE_PER_S triggers a second, each in its own task, whatever the server's state.
    let outcomes: Arc<Mutex<BTreeMap<u64, Outcome>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let firing = {
        let (outcomes, stop, api) = (outcomes.clone(), stop.clone(), api.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE_PER_S));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut tasks = Vec::new();
            let mut seq = 0u64;
            while !stop.load(Ordering::SeqCst) {
                tick.tick().await;
                let name = names[(seq % names.len() as u64) as usize].0;
                let url = format!("{}{}", api.base, harness::TRIGGER);
                let (client, outcomes) = (client.clone(), outcomes.clone());
                tasks.push(tokio::spawn(async move {
                    // One event in four carries a long payload, which the store keeps out of the event's row.
                    let payload = match long_pad(seq) {
                        Some(len) => json!({"seq": seq, "pad": "p".repeat(len)}),
                        None => json!({"seq": seq}),
                    };
                    let body = json!({"event_name": name, "payload": payload});
                    let outcome = match client.post(&url).json(&body).send().await {
                        Err(err) if err.is_connect() => Outcome::NotSent,
                        Err(err) => Outcome::Unanswered(innermost(&err)),
                        Ok(response) => {
                            let status = response.status().as_u16();
                            match response.json::<Value>().await {
                                Ok(answer) if status == 202 => Outcome::Accepted {
                                    id: answer["id"].as_str().unwrap_or_default().to_owned(),
                                    endpoints: answer["deliveries"]
                                        .as_array()
                                        .into_iter()
                                        .flatten()
                                        .filter_map(|d| d["endpoint_id"].as_str().map(str::to_owned))
                                        .collect(),
                                },
                                Ok(_) => Outcome::Refused(status),
                                // The head arrived but the body did not: the process died mid-answer.
                                Err(err) if status == 202 => Outcome::Unanswered(innermost(&err)),
                                Err(_) => Outcome::Refused(status),
                            }
                        }
                    };
                    outcomes.lock().unwrap().insert(seq, outcome);
                }));
                seq += 1;
            }
            for task in tasks {
                let _ = task.await;
            }
        })
    };

    let started = Instant::now();
    for round in 0..rounds {
        let up = rng.between(Duration::from_millis(300), Duration::from_millis(1500));
        tokio::time::sleep(up).await;
        let killed_at = started.elapsed();
        tokio::task::spawn_blocking(move || server.kill_9()).await.unwrap();
        let down = rng.between(Duration::ZERO, Duration::from_millis(300));
        tokio::time::sleep(down).await;
        server = start(&options).await;
        println!("  round {}: killed at {killed_at:.2?} after {up:.0?} up, down {down:.0?}", round + 1);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    firing.await.unwrap();
    let fired_for = started.elapsed();

    // Everything accepted is delivered, with no further kills.
    let drained = api.wait_until_drained(Duration::from_secs(90)).await;
    let outcomes = outcomes.lock().unwrap().clone();
    let accepted: HashMap<String, (u64, Vec<String>)> = outcomes
        .iter()
        .filter_map(|(seq, o)| match o {
            Outcome::Accepted { id, endpoints } => Some((id.clone(), (*seq, endpoints.clone()))),
            _ => None,
        })
        .collect();
    let unanswered: HashSet<u64> =
        outcomes.iter().filter_map(|(seq, o)| matches!(o, Outcome::Unanswered(_)).then_some(*seq)).collect();
    let never: HashSet<u64> = outcomes
        .iter()
        .filter_map(|(seq, o)| matches!(o, Outcome::NotSent | Outcome::Refused(_)).then_some(*seq))
        .collect();

    // Events committed whose 202 never arrived: in the log, with a seq whose trigger got no answer.
    let mut committed_unanswered: HashMap<String, u64> = HashMap::new();
    let mut problems = Vec::new();
    let logged = api.all_event_ids().await;
    for id in logged.iter().filter(|id| !accepted.contains_key(*id)) {
        let event = api.get(&format!("/api/v1/events/{id}")).await;
        match event["payload"]["seq"].as_u64() {
            Some(seq) if unanswered.contains(&seq) => {
                committed_unanswered.insert(id.clone(), seq);
            }
            seq => problems.push(format!(
                "event {id} (seq {seq:?}) is stored but its trigger was {:?}",
                seq.and_then(|s| outcomes.get(&s))
            )),
        }
    }
    let missing_from_log: Vec<&String> = accepted.keys().filter(|id| !logged.contains(id)).collect();
    if !missing_from_log.is_empty() {
        problems.push(format!("{} accepted events are not in the log: {:?}", missing_from_log.len(), missing_from_log));
    }

    // Every committed event reached every endpoint its name matches.
    let seen: Vec<HashMap<String, harness::Seen>> = receivers.iter().map(Receiver::seen).collect();
    let mut deliveries_expected = 0;
    let committed =
        accepted.iter().map(|(id, (seq, _))| (id, *seq)).chain(committed_unanswered.iter().map(|(id, seq)| (id, *seq)));
    for (id, seq) in committed {
        let (name, matching) = names[(seq % names.len() as u64) as usize];
        if let Some((_, routed)) = accepted.get(id) {
            let expected: HashSet<&String> = matching.iter().map(|&i| &endpoint_ids[i]).collect();
            if routed.iter().collect::<HashSet<_>>() != expected {
                problems.push(format!("{name} (seq {seq}) was routed to {routed:?}, expected {expected:?}"));
            }
        }
        for &receiver in matching {
            deliveries_expected += 1;
            let reached = seen[receiver].get(id).is_some_and(|s| s.ok > 0);
            if !reached {
                problems.push(format!("event {id} ({name}, seq {seq}) never reached receiver {receiver}"));
            }
        }
    }
    // Nothing reached a receiver that was not committed.
    let mut duplicates = 0u64;
    let mut delivered = 0u64;
    for (receiver, map) in seen.iter().enumerate() {
        for (id, s) in map {
            delivered += u64::from(s.ok.min(1));
            duplicates += u64::from(s.ok.saturating_sub(1));
            if !accepted.contains_key(id) && !committed_unanswered.contains_key(id) {
                let trigger = s.seq.and_then(|seq| outcomes.get(&seq));
                problems.push(format!("receiver {receiver} got {id} (seq {:?}), never accepted: {trigger:?}", s.seq));
            }
            if s.bodies_differ {
                problems.push(format!("receiver {receiver} got {id} (seq {:?}) with different bodies", s.seq));
            }
            if let Some(seq) = s.seq.filter(|&seq| s.pad_len != long_pad(seq)) {
                problems.push(format!("receiver {receiver} got seq {seq} with a pad of {:?} bytes", s.pad_len));
            }
            if let Some(seq) = s.seq.filter(|seq| never.contains(seq)) {
                problems.push(format!("receiver {receiver} got seq {seq}, whose trigger was refused or never sent"));
            }
        }
    }
    let bound = rounds * u64::from(MAX_IN_FLIGHT) * receivers.len() as u64;
    let failed = api.count_status("failed", 1000).await;

    println!("crash: seed {seed}, rounds {rounds}, fired for {fired_for:.1?}, drained in {drained:.1?}");
    println!(
        "  triggers: {} sent, {} accepted (202), {} accepted but unanswered (committed, killed before the 202), \
         {} unanswered and not committed, {} never reached a server or refused",
        outcomes.len(),
        accepted.len(),
        committed_unanswered.len(),
        unanswered.len() - committed_unanswered.len(),
        never.len()
    );
    let mut refusals: BTreeMap<u16, usize> = BTreeMap::new();
    let mut unanswered_errors: BTreeMap<String, usize> = BTreeMap::new();
    for outcome in outcomes.values() {
        match outcome {
            Outcome::Refused(status) => *refusals.entry(*status).or_default() += 1,
            Outcome::Unanswered(error) => *unanswered_errors.entry(error.clone()).or_default() += 1,
            _ => {}
        }
    }
    println!("  refused by status: {refusals:?}; unanswered by error: {unanswered_errors:?}");
    println!("  deliveries: {deliveries_expected} expected, {delivered} delivered (unique webhook-id per receiver), {duplicates} duplicates (bound {bound})");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    assert!(accepted.len() > 100, "too few events were accepted for the test to mean anything: {}", accepted.len());
    assert!(
        duplicates <= bound,
        "{duplicates} duplicate deliveries, more than {bound} could be in flight at the kills"
    );
    assert_eq!(failed, 0, "no delivery should fail: every receiver answers 2xx by the second attempt");

    tokio::task::spawn_blocking(move || server.stop()).await.unwrap();
    let integrity = harness::integrity_check(&dir.path().join("hooky.db"));
    println!("  PRAGMA integrity_check: {integrity}");
    assert_eq!(integrity, "ok");
}

async fn start(options: &ServeOptions) -> Serve {
    let options = options.clone();
    tokio::task::spawn_blocking(move || Serve::start_retrying(&options)).await.unwrap()
}

/// The deepest cause of a client error, e.g. "connection closed before message completed".
fn innermost(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// A SIGTERM as soon as the banner is out stops the server cleanly (exit 0), rather than
/// killing it because the signal handler was not installed yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_right_after_the_banner_is_a_clean_stop() {
    let _serial = harness::serial().await;
    let dir = tempfile::tempdir().unwrap();
    let options = ServeOptions::new(dir.path());
    tokio::task::spawn_blocking(move || {
        // The window is microseconds wide; it was hit under load (a fuzzer running beside the tests).
        for _ in 0..10 {
            Serve::start(&options).expect("starts").stop();
        }
    })
    .await
    .unwrap();
}
