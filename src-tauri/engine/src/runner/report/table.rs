//! The terminal summary: one row per case, a totals line, then the receiver's problems in words.

use std::fmt::Write as _;

use crate::runner::faults::DUPLICATE_RULE;
use crate::runner::model::{CaseKind, CaseResult, RunReport};

const HEADINGS: [&str; 6] = ["FIXTURE", "VARIATION", "KIND", "STATUS", "LATENCY", "RESULT"];

fn row(case: &CaseResult) -> [String; 6] {
    let status = case.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
    let latency = if case.skipped { "-".to_owned() } else { format!("{} ms", case.latency_ms) };
    let result = if case.skipped {
        "skipped".to_owned()
    } else if case.passed {
        "pass".to_owned()
    } else {
        format!("FAIL: {}", case.failures.first().map_or("", String::as_str))
    };
    [case.fixture.clone(), case.variation.clone(), case.kind.as_str().to_owned(), status, latency, result]
}

pub fn render(report: &RunReport) -> String {
    let rows: Vec<[String; 6]> = report.cases.iter().map(row).collect();
    let mut widths = HEADINGS.map(|h| h.chars().count());
    for cells in &rows {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    };
    line(&HEADINGS.map(str::to_owned));
    rows.iter().for_each(|cells| line(cells));
    let totals = report.totals;
    let _ = writeln!(
        out,
        "\n{} cases: {} passed, {} failed, {} skipped",
        totals.cases, totals.passed, totals.failed, totals.skipped
    );
    let problems: Vec<String> = report
        .cases
        .iter()
        .filter_map(|case| case.verdict.map(|verdict| super::verdict_words(verdict, case)))
        .collect();
    if !problems.is_empty() {
        out.push_str("\nreceiver problems:\n");
        for problem in problems {
            let _ = writeln!(out, "  - {problem}");
        }
        if report.cases.iter().any(|c| c.kind == CaseKind::Duplicate && c.verdict.is_some()) {
            let _ = writeln!(out, "  (a redelivery is {DUPLICATE_RULE})");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::model::Verdict;

    #[test]
    fn rows_totals_and_problems_in_words() {
        let base = CaseResult {
            id: 1,
            fixture: "orders/created.json".into(),
            variation: "1".into(),
            kind: CaseKind::Send,
            event_name: "order.created".into(),
            status: Some(200),
            latency_ms: 12,
            error: None,
            passed: true,
            skipped: false,
            failures: vec![],
            verdict: None,
            detail: None,
            response: None,
        };
        let bad = CaseResult {
            id: 2,
            kind: CaseKind::BadSignature,
            passed: false,
            failures: vec!["answered 200".into()],
            verdict: Some(Verdict::WronglyAccepted),
            ..base.clone()
        };
        let skipped = CaseResult { id: 3, kind: CaseKind::StaleTimestamp, skipped: true, status: None, ..base.clone() };
        let report = RunReport::new(chrono::Utc::now(), None, "http://127.0.0.1/".into(), vec![base, bad, skipped]);
        let text = render(&report);
        assert!(text.starts_with("FIXTURE"), "{text}");
        assert!(text.contains("3 cases: 1 passed, 1 failed, 1 skipped"), "{text}");
        assert!(text.contains("accepted a bad signature (bad_signature, order.created #1)"), "{text}");
        assert!(text.contains("FAIL: answered 200"), "{text}");
    }
}
