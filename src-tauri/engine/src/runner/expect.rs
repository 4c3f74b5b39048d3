//! A fixture's expectations checked against one answer; each failed check is a sentence.

use crate::fixtures::Expectations;

use super::send::Exchange;

/// Every failed check; empty when the answer meets the expectations.
pub fn check(expect: &Expectations, exchange: &Exchange) -> Vec<String> {
    let mut failures = Vec::new();
    let Some(status) = exchange.status else {
        failures.push(format!("no answer: {}", exchange.error.as_deref().unwrap_or("unknown error")));
        return failures;
    };
    if expect.status.is_empty() {
        if !(200..300).contains(&status) {
            failures.push(format!("expected a 2xx status, got {status}"));
        }
    } else if !expect.status.contains(&status) {
        let wanted: Vec<String> = expect.status.iter().map(u16::to_string).collect();
        failures.push(format!("expected status {}, got {status}", wanted.join(" or ")));
    }
    if let Some(max) = expect.max_latency_ms {
        let took = u64::try_from(exchange.latency.as_millis()).unwrap_or(u64::MAX);
        if took > max {
            failures.push(format!("expected an answer within {max} ms, it took {took} ms"));
        }
    }
    let body = exchange.body();
    if let Some(needle) = &expect.body_contains {
        if !body.contains(needle.as_str()) {
            failures.push(format!("expected the body to contain {needle:?}; it begins {:?}", excerpt(body)));
        }
    }
    if let Some(pattern) = &expect.body_matches {
        match regex::Regex::new(pattern) {
            Ok(regex) if regex.is_match(body) => {}
            Ok(_) => failures.push(format!("expected the body to match /{pattern}/; it begins {:?}", excerpt(body))),
            Err(err) => failures.push(format!("body_matches is not a valid regular expression: {err}")),
        }
    }
    failures
}

/// The first 120 characters, for a failure message.
fn excerpt(body: &str) -> String {
    body.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::model::ResponseRecord;
    use std::time::Duration;

    fn answer(status: u16, body: &str, ms: u64) -> Exchange {
        Exchange {
            status: Some(status),
            latency: Duration::from_millis(ms),
            response: Some(ResponseRecord { body: body.into(), ..ResponseRecord::default() }),
            error: None,
        }
    }

    #[test]
    fn empty_expectations_mean_any_2xx() {
        assert!(check(&Expectations::default(), &answer(204, "", 1)).is_empty());
        assert_eq!(check(&Expectations::default(), &answer(302, "", 1)), vec!["expected a 2xx status, got 302"]);
    }

    #[test]
    fn every_failed_check_is_reported() {
        let expect = Expectations {
            status: vec![200, 202],
            max_latency_ms: Some(50),
            body_contains: Some("ok".into()),
            body_matches: Some(r#"^\{"id":\d+"#.into()),
        };
        assert!(check(&expect, &answer(202, r#"{"id":7,"ok":1}"#, 10)).is_empty());
        let failures = check(&expect, &answer(201, "nope", 80));
        assert_eq!(failures.len(), 4, "{failures:?}");
        assert_eq!(failures[0], "expected status 200 or 202, got 201");
        assert!(failures[1].contains("within 50 ms"));
    }

    #[test]
    fn a_bad_regex_and_no_answer_are_failures_not_panics() {
        let expect = Expectations { body_matches: Some("(".into()), ..Expectations::default() };
        assert!(check(&expect, &answer(200, "", 1))[0].contains("not a valid regular expression"));
        let none = Exchange { error: Some("connection refused".into()), ..Exchange::default() };
        assert_eq!(check(&expect, &none), vec!["no answer: connection refused"]);
    }
}
