//! The fuzz targets' properties (`src-tauri/engine/fuzz/src/lib.rs`) as a bounded property
//! test on stable Rust: the seed corpus, random bytes and structured inputs aimed at each
//! parser (filters of `*`/`**`, bracket-and-quote soup, Retry-After values), from a seeded
//! generator so a failure reproduces. Short: a few thousand inputs per target; `HOOKY_FULL=1`
//! runs 100 times as many (`HOOKY_FUZZ_SEED` picks the seed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/src/lib.rs"]
mod checks;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn rounds() -> usize {
    let full = std::env::var("HOOKY_FULL").is_ok_and(|v| !v.is_empty() && v != "0");
    if full {
        300_000
    } else {
        3_000
    }
}

fn rng(salt: u64) -> (u64, StdRng) {
    let seed = std::env::var("HOOKY_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x00c0_ffee);
    (seed, StdRng::seed_from_u64(seed ^ salt))
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = format!("{}/fuzz/seeds/{target}", env!("CARGO_MANIFEST_DIR"));
    let mut all: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{dir}: {err}"))
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    assert!(!all.is_empty(), "no seeds in {dir}");
    all.sort();
    all
}

fn random_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = rng.gen_range(0..=max);
    (0..len).map(|_| rng.gen()).collect()
}

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.gen_range(0..from.len())]
}

/// Runs `check` on every input, naming the input (and the seed) when one panics.
fn run(target: &str, seed: u64, inputs: impl Iterator<Item = Vec<u8>>, check: fn(&[u8])) {
    let started = std::time::Instant::now();
    let mut count = 0;
    for input in inputs {
        count += 1;
        if let Err(panic) = std::panic::catch_unwind(|| check(&input)) {
            let why =
                panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!(
                "{target}: input #{count} (seed {seed}) broke a property: {}\ninput: {:?}",
                why.unwrap_or_default(),
                String::from_utf8_lossy(&input)
            );
        }
    }
    println!("{target}: {count} inputs in {:?}, seed {seed}", started.elapsed());
}

#[test]
fn filter_matching_agrees_with_the_reference() {
    let (seed, mut rng) = rng(1);
    let n = rounds();
    let structured: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let segments = ["a", "b", "*", "**", "order", "x:y", "-", ""];
            let patterns: Vec<String> = (0..rng.gen_range(1..4))
                .map(|_| {
                    let parts: Vec<&str> = (0..rng.gen_range(1..10)).map(|_| pick(&mut rng, &segments)).collect();
                    parts.join(".")
                })
                .collect();
            let name: Vec<&str> =
                (0..rng.gen_range(1..14)).map(|_| pick(&mut rng, &["a", "b", "order", "x:y"])).collect();
            format!("{}\n{}", patterns.join("|"), name.join(".")).into_bytes()
        })
        .collect();
    let random = (0..n).map(|_| random_bytes(&mut rng, 64));
    let inputs = seeds("filter").into_iter().chain(structured).chain(random);
    run("filter", seed, inputs, checks::check_filter);
}

#[test]
fn trigger_bodies_are_accepted_or_refused_with_a_4xx() {
    let (seed, mut rng) = rng(2);
    let n = rounds();
    let names = ["\"order.created\"", "\"\"", "\"a b\"", "null", "7", "[]", "\"x:y-z_1\"", "\"\\u0000\""];
    let payloads =
        ["{}", "null", "[[[[]]]]", "\"]\"", "1e400", "-0", "{\"a\":[1,{\"b\":\"}\"}]}", "tru", "\"\\ud800\""];
    let structured: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let depth = rng.gen_range(0..130);
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let payload = if rng.gen_bool(0.3) { nested } else { pick(&mut rng, &payloads).to_owned() };
            let mut body = match rng.gen_range(0..4) {
                0 => format!(r#"{{"event_name":{},"payload":{payload}}}"#, pick(&mut rng, &names)),
                1 => format!(r#"{{"payload":{payload},"event_name":{},"extra":1}}"#, pick(&mut rng, &names)),
                2 => format!(r#"{{"event_name":{}}}"#, pick(&mut rng, &names)),
                _ => format!(r#"[{},{payload}]"#, pick(&mut rng, &names)),
            }
            .into_bytes();
            if rng.gen_bool(0.2) && !body.is_empty() {
                let at = rng.gen_range(0..body.len());
                body[at] = rng.gen();
            }
            body
        })
        .collect();
    let random = (0..n).map(|_| random_bytes(&mut rng, 96));
    let inputs = seeds("trigger_body").into_iter().chain(structured).chain(random);
    run("trigger_body", seed, inputs, checks::check_trigger_body);
}

#[test]
fn the_depth_scanner_agrees_with_serde_json() {
    let (seed, mut rng) = rng(3);
    let n = rounds();
    let tokens = ["[", "]", "{", "}", "\"", "\\", ",", ":", "1", "a", "\"k\":", "\"\\\"\"", "\"]\"", " "];
    let soup: Vec<Vec<u8>> = (0..n)
        .map(|_| (0..rng.gen_range(0..40)).map(|_| pick(&mut rng, &tokens)).collect::<String>().into_bytes())
        .collect();
    let valid: Vec<Vec<u8>> = (0..n / 4)
        .map(|_| {
            let mut text = String::new();
            let mut open: Vec<char> = Vec::new();
            for _ in 0..rng.gen_range(1..60) {
                match rng.gen_range(0..4) {
                    0 if open.len() < 120 => {
                        text.push('[');
                        open.push(']');
                    }
                    1 if open.len() < 120 => {
                        text.push_str("{\"k\":");
                        open.push('}');
                    }
                    _ => break,
                }
            }
            text.push_str("\"[{\\\"}]\"");
            while let Some(close) = open.pop() {
                text.push(close);
            }
            text.into_bytes()
        })
        .collect();
    let random = (0..n).map(|_| random_bytes(&mut rng, 48));
    let inputs = seeds("json_depth").into_iter().chain(soup).chain(valid).chain(random);
    run("json_depth", seed, inputs, checks::check_json_depth);
}

#[test]
fn retry_after_never_pushes_a_retry_past_twice_the_schedule() {
    let (seed, mut rng) = rng(4);
    let n = rounds();
    let values = [
        "0",
        "1",
        "120",
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        " 7 ",
        "1.5",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "",
        "soon",
    ];
    let structured: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let mut input: Vec<u8> = (0..4).map(|_| rng.gen()).collect();
            input.extend_from_slice(pick(&mut rng, &values).as_bytes());
            input
        })
        .collect();
    let random = (0..n).map(|_| random_bytes(&mut rng, 40));
    let inputs = seeds("retry_after").into_iter().chain(structured).chain(random);
    run("retry_after", seed, inputs, checks::check_retry_after);
}

#[test]
fn the_signature_verifier_round_trips_and_refuses_tampering() {
    let (seed, mut rng) = rng(5);
    let n = rounds();
    let inputs = (0..n).map(move |_| {
        let fields = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "", "msg_1", "1614265330", "v1,abc"];
        let mut input = Vec::new();
        for _ in 0..3 {
            input.extend_from_slice(pick(&mut rng, &fields).as_bytes());
            input.push(b'\n');
        }
        input.extend(random_bytes(&mut rng, 64));
        input
    });
    run("signature", seed, seeds("signature").into_iter().chain(inputs), checks::check_signature);
}

#[test]
fn templates_check_and_render_agree() {
    let (seed, mut rng) = rng(6);
    let n = rounds();
    let pieces = [
        "{{",
        "}}",
        "{",
        "}",
        " ",
        "uuid",
        "now",
        "now_unix",
        "seq",
        "random_int",
        "1",
        "-3",
        "9",
        "x",
        "99999999999999999999",
        "env",
        "HOME",
        "\u{e9}",
        "\"",
        "[",
        "]",
    ];
    let structured: Vec<Vec<u8>> = (0..n)
        .map(|_| (0..rng.gen_range(0..16)).map(|_| pick(&mut rng, &pieces)).collect::<String>().into_bytes())
        .collect();
    let random = (0..n).map(|_| random_bytes(&mut rng, 48));
    let inputs = seeds("template").into_iter().chain(structured).chain(random);
    run("template", seed, inputs, checks::check_template);
}

#[test]
fn fixture_files_parse_or_explain_where() {
    let (seed, mut rng) = rng(7);
    let n = rounds();
    let names = ["order.created.json", "a b.json", ".json", "x", "dir/ping.JSON", ""];
    let payloads = ["{}", "null", "[1,", "\"{{seq}}\"", "\"{{nope}}\"", "{\"k\": \"{{random_int 2 1}}\"}", "[[[]]]"];
    let fields = [
        r#""event_name": "e""#,
        r#""event_name": "bad name""#,
        r#""payload": P"#,
        r#""variations": [P, P]"#,
        r#""variations": []"#,
        r#""expect": {"status": 201}"#,
        r#""expect": {"status": [99]}"#,
        r#""expect": {"body_matches": "(x"}"#,
        r#""extra": 1"#,
    ];
    let structured: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let chosen: Vec<String> = (0..rng.gen_range(0..5))
                .map(|_| pick(&mut rng, &fields).replace('P', pick(&mut rng, &payloads)))
                .collect();
            let depth = if rng.gen_bool(0.1) { rng.gen_range(95..110) } else { 0 };
            let body = format!("{}{{{}}}{}", "[".repeat(depth), chosen.join(",\n"), "]".repeat(depth));
            let mut input = format!("{}\n{body}", pick(&mut rng, &names)).into_bytes();
            if rng.gen_bool(0.2) && !input.is_empty() {
                let at = rng.gen_range(0..input.len());
                input[at] = rng.gen();
            }
            input
        })
        .collect();
    let random = (0..n).map(|_| random_bytes(&mut rng, 64));
    let inputs = seeds("fixture").into_iter().chain(structured).chain(random);
    run("fixture", seed, inputs, checks::check_fixture);
}
