//! JUnit XML: one `<testsuite>` per fixture file, one `<testcase>` per case, times in seconds.
//! Written with quick-xml, which escapes attribute values and text.

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::runner::model::{CaseResult, RunReport};

pub fn render(report: &RunReport) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = write(&mut writer, report);
    String::from_utf8_lossy(&writer.into_inner()).into_owned()
}

fn write(writer: &mut Writer<Vec<u8>>, report: &RunReport) -> io::Result<()> {
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let totals = report.totals;
    let total_ms: u64 = report.cases.iter().map(|c| c.latency_ms).sum();
    writer
        .create_element("testsuites")
        .with_attribute(("name", "hooky run"))
        .with_attribute(("tests", totals.cases.to_string().as_str()))
        .with_attribute(("failures", totals.failed.to_string().as_str()))
        .with_attribute(("skipped", totals.skipped.to_string().as_str()))
        .with_attribute(("time", seconds(total_ms).as_str()))
        .write_inner_content(|writer| {
            for (fixture, cases) in by_fixture(&report.cases) {
                write_suite(writer, fixture, &cases)?;
            }
            Ok(())
        })?;
    Ok(())
}

/// Cases grouped by fixture file, files in order of their first case.
fn by_fixture(cases: &[CaseResult]) -> Vec<(&str, Vec<&CaseResult>)> {
    let mut groups: Vec<(&str, Vec<&CaseResult>)> = Vec::new();
    for case in cases {
        match groups.iter_mut().find(|(name, _)| *name == case.fixture) {
            Some((_, group)) => group.push(case),
            None => groups.push((case.fixture.as_str(), vec![case])),
        }
    }
    groups
}

fn write_suite(writer: &mut Writer<Vec<u8>>, fixture: &str, cases: &[&CaseResult]) -> io::Result<()> {
    let failures = cases.iter().filter(|c| !c.passed && !c.skipped).count();
    let skipped = cases.iter().filter(|c| c.skipped).count();
    let total_ms: u64 = cases.iter().map(|c| c.latency_ms).sum();
    writer
        .create_element("testsuite")
        .with_attribute(("name", clean(fixture).as_str()))
        .with_attribute(("tests", cases.len().to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", skipped.to_string().as_str()))
        .with_attribute(("time", seconds(total_ms).as_str()))
        .write_inner_content(|writer| {
            for case in cases {
                write_case(writer, case)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(writer: &mut Writer<Vec<u8>>, case: &CaseResult) -> io::Result<()> {
    let name = clean(&format!("{} [{}]", case.label(), case.kind.as_str()));
    let element = writer
        .create_element("testcase")
        .with_attribute(("name", name.as_str()))
        .with_attribute(("classname", clean(&case.fixture).as_str()))
        .with_attribute(("time", seconds(case.latency_ms).as_str()));
    if case.skipped {
        let reason = clean(case.detail.as_deref().unwrap_or("skipped"));
        element.write_inner_content(|w| {
            w.create_element("skipped").with_attribute(("message", reason.as_str())).write_empty()?;
            Ok(())
        })?;
    } else if !case.passed {
        let message = clean(&case.failures.join("; "));
        let details = clean(&failure_details(case));
        element.write_inner_content(|w| {
            w.create_element("failure")
                .with_attribute(("message", message.as_str()))
                .write_text_content(BytesText::new(&details))?;
            Ok(())
        })?;
    } else {
        element.write_empty()?;
    }
    Ok(())
}

fn failure_details(case: &CaseResult) -> String {
    let mut lines: Vec<String> = case.failures.clone();
    if let Some(verdict) = case.verdict {
        lines.push(format!("receiver problem: {}", super::verdict_words(verdict, case)));
    }
    if let Some(detail) = &case.detail {
        lines.push(detail.clone());
    }
    if let Some(error) = &case.error {
        lines.push(format!("transport error: {error}"));
    }
    if let Some(status) = case.status {
        lines.push(format!("status: {status}"));
    }
    if let Some(response) = &case.response {
        lines.push(format!("response body: {}", response.body));
    }
    lines.join("\n")
}

fn seconds(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// Drops the characters XML 1.0 cannot carry at all, even escaped (most C0 controls).
fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::model::{CaseKind, ResponseRecord, Verdict};
    use quick_xml::events::Event;
    use quick_xml::Reader;

    fn case(id: u32, fixture: &str, passed: bool, body: &str) -> CaseResult {
        CaseResult {
            id,
            fixture: fixture.into(),
            variation: "1".into(),
            kind: CaseKind::BadSignature,
            event_name: "order.created".into(),
            status: Some(200),
            latency_ms: 1500,
            error: None,
            passed,
            skipped: false,
            failures: if passed { vec![] } else { vec![format!("got <{body}>")] },
            verdict: (!passed).then_some(Verdict::WronglyAccepted),
            detail: None,
            response: Some(ResponseRecord { body: body.into(), ..ResponseRecord::default() }),
        }
    }

    #[test]
    fn hostile_text_stays_well_formed_and_round_trips() {
        let hostile = "<&\"'> ]]> \u{1} </failure>";
        let report = crate::runner::model::RunReport::new(
            chrono::Utc::now(),
            None,
            "http://127.0.0.1/".into(),
            vec![case(1, "a<&>.json", false, hostile), case(2, "b.json", true, "")],
        );
        let xml = render(&report);
        let mut reader = Reader::from_str(&xml);
        let (mut suites, mut failures, mut texts) = (0, 0, String::new());
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Eof => break,
                Event::Start(e) if e.name().0 == "testsuite" => suites += 1,
                Event::Start(e) if e.name().0 == "failure" => failures += 1,
                Event::Text(t) => texts.push_str(&t.into_inner()),
                Event::GeneralRef(r) => {
                    let entity = format!("&{};", r.into_inner());
                    texts.push_str(&quick_xml::escape::unescape(&entity).expect("a predefined entity"));
                }
                _ => {}
            }
        }
        assert_eq!((suites, failures), (2, 1));
        assert!(texts.contains("<&\"'> ]]>"), "the body comes back as written: {texts}");
        assert!(xml.contains(r#"time="1.500""#));
    }
}
