//! The requests each case kind sends, and each fault's pass rule.
//!
//! - `duplicate`: the same message twice (same `webhook-id`, body and signature). Both answers
//!   must be 2xx. It counts as `processed_twice` when both are 201 Created, or both are 2xx and
//!   the bodies differ while the second does not mention "duplicate" or "already" (any case):
//!   a heuristic, since only the receiver knows what it did.
//! - `reorder`: several messages sent last first, timestamps increasing in original order; every
//!   answer must be 2xx.
//! - `stale_timestamp`, `future_timestamp` (±10 min, correctly signed), `bad_signature` (a valid
//!   looking signature of other content), `missing_signature`, `truncated_body` (half the body,
//!   signed over all of it): must be refused (non-2xx), else `wrongly_accepted`.
//! - `rotated_signature`: an unknown old secret's signature first, then the valid one; Standard
//!   Webhooks says any match is enough, so it must be 2xx, else `wrongly_rejected`.

use rand::RngCore;

use super::expect;
use super::model::{CaseKind, Verdict};
use super::plan::PlannedCase;
use super::send::{Exchange, Request};
use crate::signing;

/// How far off the timestamp faults put the clock: twice the usual 5-minute tolerance.
const SKEW_S: i64 = 10 * 60;

/// What a case's answers mean.
#[derive(Debug, Default, PartialEq)]
pub struct Judgement {
    pub failures: Vec<String>,
    pub verdict: Option<Verdict>,
    pub detail: Option<String>,
}

fn new_msg_id() -> String {
    format!("msg_{}", ulid::Ulid::new())
}

fn signed(key: Option<&[u8]>, msg_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    key.map(|key| signing::sign(key, msg_id, timestamp, body))
}

/// The requests of a case, in send order.
pub fn requests(case: &PlannedCase, key: Option<&[u8]>, now_s: i64) -> Vec<Request> {
    let build = |body: &str, timestamp: i64| {
        let msg_id = new_msg_id();
        let signature = signed(key, &msg_id, timestamp, body.as_bytes());
        Request { msg_id, timestamp, event_name: case.event_name.clone(), body: body.as_bytes().to_vec(), signature }
    };
    if case.kind == CaseKind::Reorder {
        let count = i64::try_from(case.messages.len()).unwrap_or(i64::MAX);
        // The last original message gets "now", earlier ones a second less each: all within tolerance.
        let mut all: Vec<Request> = (0i64..)
            .zip(&case.messages)
            .map(|(i, message)| build(&message.body, now_s - (count - 1 - i).min(60)))
            .collect();
        all.reverse();
        return all;
    }
    let Some(message) = case.messages.first() else { return Vec::new() };
    let body = message.body.as_str();
    let mut request = build(body, now_s);
    match case.kind {
        CaseKind::Send | CaseKind::Reorder => vec![request],
        CaseKind::Duplicate => vec![request.clone(), request],
        CaseKind::StaleTimestamp => vec![build(body, now_s - SKEW_S)],
        CaseKind::FutureTimestamp => vec![build(body, now_s + SKEW_S)],
        CaseKind::BadSignature => {
            request.signature = signed(key, &request.msg_id, now_s, br#"{"tampered":true}"#);
            vec![request]
        }
        CaseKind::MissingSignature => {
            request.signature = None;
            vec![request]
        }
        CaseKind::RotatedSignature => {
            let mut old_key = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut old_key);
            let old = signing::sign(&old_key, &request.msg_id, now_s, body.as_bytes());
            request.signature = request.signature.map(|good| format!("{old} {good}"));
            vec![request]
        }
        CaseKind::TruncatedBody => {
            request.body.truncate(request.body.len() / 2);
            vec![request]
        }
    }
}

/// Applies the case kind's pass rule to its answers (in send order).
pub fn judge(case: &PlannedCase, exchanges: &[Exchange]) -> Judgement {
    if let Some(first_error) = exchanges.iter().find(|e| e.status.is_none()) {
        let error = first_error.error.as_deref().unwrap_or("unknown error");
        return Judgement { failures: vec![format!("no answer: {error}")], ..Judgement::default() };
    }
    let Some(last) = exchanges.last() else {
        return Judgement { failures: vec!["nothing was sent".into()], ..Judgement::default() };
    };
    let status = last.status.unwrap_or_default();
    match case.kind {
        CaseKind::Send => Judgement { failures: expect::check(&case.expect, last), ..Judgement::default() },
        CaseKind::Duplicate => judge_duplicate(exchanges),
        CaseKind::Reorder => judge_reorder(case, exchanges),
        CaseKind::RotatedSignature if !last.is_2xx() => Judgement {
            failures: vec![format!(
                "answered {status} to a header listing an old secret's signature before the valid one; \
                 a receiver must accept when any signature matches"
            )],
            verdict: Some(Verdict::WronglyRejected),
            detail: None,
        },
        CaseKind::RotatedSignature => Judgement::default(),
        kind if last.is_2xx() => Judgement {
            failures: vec![format!("answered {status} to a request it must refuse: {}", refusal_reason(kind))],
            verdict: Some(Verdict::WronglyAccepted),
            detail: None,
        },
        _ => Judgement { detail: Some(format!("refused with {status}")), ..Judgement::default() },
    }
}

/// Why a receiver must refuse a request of this fault kind.
pub fn refusal_reason(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::StaleTimestamp => "its timestamp is 10 minutes old",
        CaseKind::FutureTimestamp => "its timestamp is 10 minutes in the future",
        CaseKind::BadSignature => "its signature is over other content",
        CaseKind::MissingSignature => "it has no webhook-signature header",
        CaseKind::TruncatedBody => "its body was cut in half after signing",
        _ => "it is not a valid message",
    }
}

/// The duplicate heuristic, as the report explains it.
pub const DUPLICATE_RULE: &str = "counted as processed twice when both answers are 201, or both are 2xx and the \
     bodies differ while the second does not mention \"duplicate\" or \"already\"";

fn judge_duplicate(exchanges: &[Exchange]) -> Judgement {
    let [first, second] = exchanges else {
        return Judgement { failures: vec!["expected two answers".into()], ..Judgement::default() };
    };
    let (a, b) = (first.status.unwrap_or_default(), second.status.unwrap_or_default());
    let detail = Some(format!("the same message twice: answered {a}, then {b}; {DUPLICATE_RULE}"));
    let mut failures = Vec::new();
    if !first.is_2xx() {
        failures.push(format!("the first delivery was answered {a}"));
    }
    if !second.is_2xx() {
        failures.push(format!("the redelivery was answered {b}; a receiver must acknowledge a redelivery with 2xx"));
    }
    if !failures.is_empty() {
        return Judgement { failures, verdict: None, detail };
    }
    let second_body = second.body().to_lowercase();
    let says_duplicate = second_body.contains("duplicate") || second_body.contains("already");
    if (a == 201 && b == 201) || (first.body() != second.body() && !says_duplicate) {
        let why = if a == 201 && b == 201 { "both answers were 201 Created" } else { "the second answer differs" };
        return Judgement {
            failures: vec![format!("the redelivery looks processed as a new message: {why}")],
            verdict: Some(Verdict::ProcessedTwice),
            detail,
        };
    }
    Judgement { detail, ..Judgement::default() }
}

fn judge_reorder(case: &PlannedCase, exchanges: &[Exchange]) -> Judgement {
    // Requests went out in reverse order of the messages.
    let names: Vec<&str> = case.messages.iter().rev().map(|m| m.variation.as_str()).collect();
    let answers: Vec<String> = exchanges.iter().map(|e| e.status.unwrap_or_default().to_string()).collect();
    let detail = Some(format!(
        "sent {} (last first, timestamps increasing in the original order); answered {}",
        names.join(", "),
        answers.join(", ")
    ));
    let failures = names
        .iter()
        .zip(exchanges)
        .filter(|(_, e)| !e.is_2xx())
        .map(|(name, e)| format!("{name} was answered {} when sent out of order", e.status.unwrap_or_default()))
        .collect();
    Judgement { failures, verdict: None, detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Expectations;
    use crate::runner::model::ResponseRecord;
    use crate::runner::plan::Message;

    const KEY: &[u8] = &[7u8; 32];

    fn case(kind: CaseKind, bodies: &[&str]) -> PlannedCase {
        PlannedCase {
            id: 1,
            fixture: "a.json".into(),
            variation: "1".into(),
            kind,
            event_name: "order.created".into(),
            expect: Expectations::default(),
            messages: bodies
                .iter()
                .enumerate()
                .map(|(i, b)| Message { variation: (i + 1).to_string(), body: (*b).into() })
                .collect(),
            settled: None,
        }
    }

    fn answer(status: u16, body: &str) -> Exchange {
        Exchange {
            status: Some(status),
            response: Some(ResponseRecord { body: body.into(), ..ResponseRecord::default() }),
            ..Exchange::default()
        }
    }

    fn verifies(request: &Request, now: i64) -> bool {
        let secret = format!("whsec_{}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, KEY));
        let signed = signing::Signed {
            msg_id: &request.msg_id,
            timestamp: &request.timestamp.to_string(),
            signature_header: request.signature.as_deref().unwrap_or(""),
            body: &request.body,
        };
        signing::verify(&secret, &signed, now, signing::DEFAULT_TOLERANCE_S).is_ok()
    }

    #[test]
    fn only_the_intended_part_of_each_fault_is_wrong() {
        let now = 1_700_000_000;
        let body = r#"{"order":42}"#;
        let one = |kind| requests(&case(kind, &[body]), Some(KEY), now);
        assert!(verifies(&one(CaseKind::Send)[0], now));
        assert!(verifies(&one(CaseKind::RotatedSignature)[0], now));
        assert_eq!(one(CaseKind::RotatedSignature)[0].signature.as_deref().map(|s| s.matches("v1,").count()), Some(2));
        let stale = &one(CaseKind::StaleTimestamp)[0];
        assert!(!verifies(stale, now) && verifies(stale, now - SKEW_S), "signed correctly, only old");
        assert!(!verifies(&one(CaseKind::FutureTimestamp)[0], now));
        assert!(!verifies(&one(CaseKind::BadSignature)[0], now));
        assert!(one(CaseKind::MissingSignature)[0].signature.is_none());
        let cut = &one(CaseKind::TruncatedBody)[0];
        assert_eq!(cut.body, &body.as_bytes()[..body.len() / 2]);
        let whole = Request { body: body.as_bytes().to_vec(), ..cut.clone() };
        assert!(verifies(&whole, now), "the signature covers the full body");
        let twice = one(CaseKind::Duplicate);
        assert_eq!((&twice[0].msg_id, &twice[0].signature), (&twice[1].msg_id, &twice[1].signature));
    }

    #[test]
    fn reorder_sends_last_first_with_timestamps_in_original_order() {
        let sent = requests(&case(CaseKind::Reorder, &["1", "2", "3"]), None, 1000);
        let bodies: Vec<&[u8]> = sent.iter().map(|r| r.body.as_slice()).collect();
        assert_eq!(bodies, vec![b"3".as_slice(), b"2", b"1"]);
        assert!(sent[0].timestamp > sent[1].timestamp && sent[1].timestamp > sent[2].timestamp);
    }

    #[test]
    fn the_duplicate_heuristic() {
        let dup = case(CaseKind::Duplicate, &["{}"]);
        let judge_pair = |a, b| judge(&dup, &[a, b]);
        assert_eq!(judge_pair(answer(200, "ok"), answer(200, r#"{"Duplicate":true}"#)).verdict, None);
        assert_eq!(judge_pair(answer(200, "ok"), answer(200, "ok")).verdict, None);
        assert_eq!(judge_pair(answer(202, "n=1"), answer(200, "Already seen")).verdict, None);
        assert_eq!(judge_pair(answer(201, "x"), answer(201, "x")).verdict, Some(Verdict::ProcessedTwice));
        assert_eq!(judge_pair(answer(200, "n=1"), answer(200, "n=2")).verdict, Some(Verdict::ProcessedTwice));
        let refused = judge_pair(answer(200, ""), answer(409, "duplicate"));
        assert_eq!(refused.verdict, None);
        assert!(refused.failures[0].contains("must acknowledge a redelivery"));
    }

    #[test]
    fn refusal_and_acceptance_rules() {
        let bad = case(CaseKind::BadSignature, &["{}"]);
        assert_eq!(judge(&bad, &[answer(200, "")]).verdict, Some(Verdict::WronglyAccepted));
        assert!(judge(&bad, &[answer(401, "")]).failures.is_empty());
        let rotated = case(CaseKind::RotatedSignature, &["{}"]);
        assert_eq!(judge(&rotated, &[answer(401, "")]).verdict, Some(Verdict::WronglyRejected));
        assert!(judge(&rotated, &[answer(204, "")]).failures.is_empty());
        let lost = Exchange { error: Some("timed out".into()), ..Exchange::default() };
        let judged = judge(&bad, &[lost]);
        assert_eq!((judged.verdict, judged.failures.len()), (None, 1), "no answer is a failure, not a verdict");
    }
}
