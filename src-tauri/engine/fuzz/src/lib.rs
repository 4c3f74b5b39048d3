//! The properties the fuzz targets check, one function per target. Each takes arbitrary
//! bytes and panics when a property breaks. The engine's property test
//! (`src-tauri/engine/tests/fuzz_props.rs`) runs the same functions on generated inputs,
//! so they also run on stable Rust in the normal `cargo test`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use hooky_engine::api::{nesting_depth, parse_trigger_body, MAX_PAYLOAD_DEPTH};
use hooky_engine::delivery::retry::{decide, parse_retry_after, AttemptResult, DeliveryState};
use hooky_engine::model::filter::{is_valid_event_name, matches_any, validate_filter};
use hooky_engine::model::{AttemptTrigger, DeliveryStatus, ErrorClass};
use serde_json::Value;

/// Patterns separated by `|`, a newline, then the event name.
pub fn check_filter(data: &[u8]) {
    let owned = String::from_utf8_lossy(data);
    let text: &str = &owned;
    let (patterns, name) = text.split_once('\n').unwrap_or((text, ""));
    let patterns: Vec<String> = patterns.split('|').take(64).map(str::to_owned).collect();
    // Whatever the input, matching terminates quickly and does not panic.
    let matched = matches_any(&patterns, name);
    if validate_filter(&patterns).is_ok() && is_valid_event_name(name) {
        let expected = patterns.iter().any(|pattern| reference_match(pattern, name));
        assert_eq!(matched, expected, "matches_any({patterns:?}, {name:?}) disagrees with the reference");
        assert!(matches_any(&["**".to_owned()], name), "** matches every name");
        if !name.split('.').any(|s| s == "*" || s == "**") {
            assert!(matches_any(&[name.to_owned()], name), "a name is a filter that matches itself");
        }
    }
}

/// A second, independent matcher: top-down recursion with a memo.
fn reference_match(pattern: &str, name: &str) -> bool {
    fn go<'a>(p: &[&'a str], n: &[&'a str], i: usize, j: usize, memo: &mut HashMap<(usize, usize), bool>) -> bool {
        if let Some(&known) = memo.get(&(i, j)) {
            return known;
        }
        let result = if i == p.len() {
            j == n.len()
        } else if p[i] == "**" {
            go(p, n, i + 1, j, memo) || (j < n.len() && go(p, n, i, j + 1, memo))
        } else {
            j < n.len() && (p[i] == "*" || p[i] == n[j]) && go(p, n, i + 1, j + 1, memo)
        };
        memo.insert((i, j), result);
        result
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let n: Vec<&str> = name.split('.').collect();
    go(&p, &n, 0, 0, &mut HashMap::new())
}

/// A trigger request body, through the same function the route uses.
pub fn check_trigger_body(data: &[u8]) {
    match parse_trigger_body(data) {
        Ok(body) => {
            assert!(is_valid_event_name(&body.event_name), "accepted event_name {:?}", body.event_name);
            assert!(
                serde_json::from_str::<serde::de::IgnoredAny>(&body.payload).is_ok(),
                "accepted a payload that is not JSON: {:?}",
                body.payload
            );
            assert!(nesting_depth(&body.payload) <= MAX_PAYLOAD_DEPTH, "accepted a payload nested too deep");
        }
        Err(error) => {
            let status = error.status.as_u16();
            assert!(status == 400 || status == 422, "a bad body got {status} {}: {}", error.code, error.message);
            assert!(!error.code.is_empty() && !error.message.is_empty());
        }
    }
}

/// The depth scanner of the trigger route: never panics, and on JSON that serde_json can
/// read it agrees with the depth serde_json walks through.
pub fn check_json_depth(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let depth = nesting_depth(text);
    assert!(depth <= text.len());
    if let Ok(TextDepth(expected)) = serde_json::from_str::<TextDepth>(text) {
        assert_eq!(depth, expected, "nesting_depth({text:?})");
    }
}

/// The nesting depth of JSON text as serde_json reads it. Not a `Value`: a `Value` keeps only
/// the last of duplicate keys, while the limit is on the text, where every one of them nests.
struct TextDepth(usize);

impl<'de> serde::Deserialize<'de> for TextDepth {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = TextDepth;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<TextDepth, E> {
                Ok(TextDepth(0))
            }
            fn visit_i64<E>(self, _: i64) -> Result<TextDepth, E> {
                Ok(TextDepth(0))
            }
            fn visit_u64<E>(self, _: u64) -> Result<TextDepth, E> {
                Ok(TextDepth(0))
            }
            fn visit_f64<E>(self, _: f64) -> Result<TextDepth, E> {
                Ok(TextDepth(0))
            }
            fn visit_str<E>(self, _: &str) -> Result<TextDepth, E> {
                Ok(TextDepth(0))
            }
            fn visit_unit<E>(self) -> Result<TextDepth, E> {
                Ok(TextDepth(0))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<TextDepth, A::Error> {
                let mut deepest = 0;
                while let Some(TextDepth(depth)) = seq.next_element()? {
                    deepest = deepest.max(depth);
                }
                Ok(TextDepth(deepest + 1))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<TextDepth, A::Error> {
                let mut deepest = 0;
                while let Some((serde::de::IgnoredAny, TextDepth(depth))) = map.next_entry()? {
                    deepest = deepest.max(depth);
                }
                Ok(TextDepth(deepest + 1))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

fn value_depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(value_depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(value_depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// `Retry-After` from a receiver, and the retry time it leads to: seconds parse exactly,
/// and whatever the receiver asks, the next attempt is within 2x the scheduled delay.
pub fn check_retry_after(data: &[u8]) {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    let (control, header) = data.split_at(data.len().min(4));
    let header = String::from_utf8_lossy(header);
    let parsed = parse_retry_after(&header, now);
    if let Ok(seconds) = header.trim().parse::<u64>() {
        assert_eq!(parsed, Some(Duration::from_secs(seconds)));
    }

    let byte = |i: usize| control.get(i).copied().unwrap_or(0);
    let schedule: Vec<u32> = (0..usize::from(byte(0) % 6)).map(|i| u32::from(byte(i % 4)) * 2371 % 604_801).collect();
    let status = [500u16, 429, 503, 410, 302, 200][usize::from(byte(1) % 6)];
    let timeout = byte(2) % 3 == 0;
    let result = AttemptResult {
        succeeded: status == 200 && !timeout,
        status: (!timeout).then_some(status),
        error_class: if timeout { Some(ErrorClass::Timeout) } else { (status != 200).then_some(ErrorClass::Status) },
        retry_after: parsed,
    };
    let before = DeliveryState {
        status: DeliveryStatus::Retrying,
        auto_attempt_count: u32::from(byte(3) % 4),
        next_attempt_at_ms: None,
    };
    let now_ms: i64 = 1_750_000_000_000;
    let mut rng = rand::rngs::mock::StepRng::new(u64::from(byte(3)) << 56, 0x9e37_79b9_7f4a_7c15);
    let time_warp = [1.0, 60.0, 3600.0, 1_000_000.0][usize::from(byte(2) / 3 % 4)];
    let decision = decide(AttemptTrigger::Automatic, before, result, &schedule, time_warp, now_ms, &mut rng);
    if let Some(at) = decision.next_attempt_at_ms {
        let base =
            schedule.get(before.auto_attempt_count as usize).copied().expect("a retry only while the schedule lasts");
        // The delay with jitter (at most 1.2x), raised to the one-minute floor after a
        // timeout or 429, and at most doubled by Retry-After.
        // A time warp divides all of it, down to at least 10 ms.
        let most_ms = (((2 * (i64::from(base) * 1200).max(60_000) + 1) as f64 / time_warp) as i64 + 1).max(10);
        assert!(at >= now_ms, "a retry in the past: {at} < {now_ms}");
        assert!(
            at - now_ms <= most_ms,
            "Retry-After {header:?} pushed the retry to +{} ms (base {base} s, time warp {time_warp})",
            at - now_ms
        );
    }
}

/// `secret \n webhook-id \n timestamp \n body`: the verifier answers any text without
/// panicking, accepts what `sign` made, and refuses the same request with a changed body.
pub fn check_signature(data: &[u8]) {
    use hooky_engine::signing::{decode_secret, sign, verify, Signed};
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const NOW: i64 = 1_750_000_000;
    let owned = String::from_utf8_lossy(data);
    let mut parts = owned.splitn(4, '\n');
    let mut next = || parts.next().unwrap_or("");
    let (secret, msg_id, timestamp, body) = (next(), next(), next(), next());
    let arbitrary = Signed { msg_id, timestamp, signature_header: body, body: body.as_bytes() };
    let _ = verify(secret, &arbitrary, NOW, 300);

    let key = decode_secret(SECRET).expect("the specification's example secret");
    let signature = sign(&key, msg_id, NOW, body.as_bytes());
    let now_text = NOW.to_string();
    let signed = Signed { msg_id, timestamp: &now_text, signature_header: &signature, body: body.as_bytes() };
    assert_eq!(verify(SECRET, &signed, NOW, 300), Ok(()), "a signature made by sign() must verify");
    let mut changed = body.as_bytes().to_vec();
    changed.push(b'x');
    let tampered = Signed { body: &changed, ..signed };
    assert!(verify(SECRET, &tampered, NOW, 300).is_err(), "a changed body must not verify");
}

/// Text placed in a payload as a string, an object key and inside an array: checking and
/// rendering never panic, and agree on whether the templates are valid (an `env` tag can
/// still fail at render time, for a variable that is not set).
pub fn check_template(data: &[u8]) {
    use hooky_engine::fixtures::template::{check, render, TemplateContext};
    let text = String::from_utf8_lossy(data).into_owned();
    let mut payloads = vec![serde_json::json!({ text.clone(): [text.clone(), 1, null] })];
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        payloads.push(value);
    }
    for payload in payloads {
        let checked = check(&payload);
        let rendered = render(&payload, &TemplateContext::default());
        if let Err(error) = &checked {
            assert!(!error.message.is_empty());
        }
        if !text.contains("env") {
            assert_eq!(checked.is_ok(), rendered.is_ok(), "check {checked:?} but render {rendered:?} for {text:?}");
        }
        if let Ok(rendered) = rendered {
            assert!(checked.is_ok(), "render accepted what check refused: {text:?}");
            if !text.contains("{{") {
                assert_eq!(rendered, payload, "text without tags changed");
            }
        }
    }
}

/// `file name \n file text`: parsing never panics; an error's place is 1-based; a fixture
/// has a valid event name, at least one variation and payloads within the depth limit.
pub fn check_fixture(data: &[u8]) {
    use hooky_engine::fixtures::{parse_fixture, template};
    let owned = String::from_utf8_lossy(data);
    let (file_name, text) = owned.split_once('\n').unwrap_or(("fuzz.json", &owned));
    match parse_fixture(file_name, text) {
        Ok(fixture) => {
            assert!(is_valid_event_name(&fixture.event_name), "event name {:?}", fixture.event_name);
            assert!(!fixture.variations.is_empty(), "a fixture without variations");
            for (index, variation) in fixture.variations.iter().enumerate() {
                assert_eq!(variation.name, (index + 1).to_string());
                assert!(value_depth(&variation.payload) <= MAX_PAYLOAD_DEPTH, "a payload nested too deep");
                assert!(template::check(&variation.payload).is_ok(), "a fixture with a broken template");
            }
        }
        Err(error) => {
            assert!(!error.message.is_empty());
            assert!(error.line != Some(0), "line 0");
            assert!(error.column != Some(0), "column 0");
        }
    }
}
