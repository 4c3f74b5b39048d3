//! Turns fixture files into the list of cases a run executes: one send per variation,
//! then the requested faults built from the same variations.

use crate::fixtures::template::{render, TemplateContext};
use crate::fixtures::{Expectations, Fixture, FixtureFile};

use super::model::CaseKind;

/// One rendered request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub variation: String,
    pub body: String,
}

/// A case decided without sending anything.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    Failed(String),
    Skipped(String),
}

/// One case to execute.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCase {
    pub id: u32,
    pub fixture: String,
    pub variation: String,
    pub kind: CaseKind,
    pub event_name: String,
    pub expect: Expectations,
    /// One, except a reorder case: its messages in original order (they are sent reversed).
    pub messages: Vec<Message>,
    /// Set when the case is decided before it runs (a broken fixture, a fault without a secret).
    pub settled: Option<Settled>,
}

/// Every case of a run, in order: sends first, then each fault kind in turn.
pub fn plan(files: &[FixtureFile], faults: &[CaseKind], has_secret: bool) -> Vec<PlannedCase> {
    let context = TemplateContext::default();
    let mut cases = Vec::new();
    let mut push = |mut case: PlannedCase| {
        case.id = u32::try_from(cases.len() + 1).unwrap_or(u32::MAX);
        cases.push(case);
    };
    for file in files {
        match (&file.fixture, &file.error) {
            (Some(fixture), _) => {
                for variation in 0..fixture.variations.len() {
                    push(single(&file.path, fixture, variation, CaseKind::Send, &context));
                }
            }
            (None, error) => {
                let reason = error.as_ref().map_or_else(|| "no fixture in the file".to_owned(), describe_error);
                push(PlannedCase {
                    id: 0,
                    fixture: file.path.clone(),
                    variation: "-".into(),
                    kind: CaseKind::Send,
                    event_name: String::new(),
                    expect: Expectations::default(),
                    messages: Vec::new(),
                    settled: Some(Settled::Failed(format!("fixture does not parse: {reason}"))),
                });
            }
        }
    }
    let usable: Vec<(&str, &Fixture)> =
        files.iter().filter_map(|f| f.fixture.as_ref().map(|fixture| (f.path.as_str(), fixture))).collect();
    for &kind in faults {
        if kind == CaseKind::Reorder {
            reorder_cases(&usable, &context).into_iter().for_each(&mut push);
            continue;
        }
        for (path, fixture) in &usable {
            for variation in 0..fixture.variations.len() {
                let mut case = single(path, fixture, variation, kind, &context);
                if kind.needs_secret() && !has_secret && case.settled.is_none() {
                    case.settled = Some(Settled::Skipped(format!(
                        "{} needs a signing secret (--secret, or an endpoint target)",
                        kind.as_str()
                    )));
                }
                push(case);
            }
        }
    }
    cases
}

fn describe_error(error: &crate::fixtures::FixtureError) -> String {
    match (error.line, error.column) {
        (Some(line), Some(column)) => format!("{} (line {line}, column {column})", error.message),
        (Some(line), None) => format!("{} (line {line})", error.message),
        _ => error.message.clone(),
    }
}

fn rendered(fixture: &Fixture, index: usize, context: &TemplateContext) -> Result<Message, String> {
    let variation = &fixture.variations[index];
    let value = render(&variation.payload, context).map_err(|err| format!("template error: {err}"))?;
    let body = serde_json::to_string(&value).map_err(|err| format!("the payload cannot be written as JSON: {err}"))?;
    Ok(Message { variation: variation.name.clone(), body })
}

fn single(path: &str, fixture: &Fixture, index: usize, kind: CaseKind, context: &TemplateContext) -> PlannedCase {
    let (messages, settled) = match rendered(fixture, index, context) {
        Ok(message) => (vec![message], None),
        Err(reason) => (Vec::new(), Some(Settled::Failed(reason))),
    };
    PlannedCase {
        id: 0,
        fixture: path.to_owned(),
        variation: fixture.variations[index].name.clone(),
        kind,
        event_name: fixture.event_name.clone(),
        expect: fixture.expect.clone(),
        messages,
        settled,
    }
}

/// One reorder case per fixture with several variations; fixtures with one variation are
/// batched into a single case across files, so a folder of single events is still reordered.
fn reorder_cases(usable: &[(&str, &Fixture)], context: &TemplateContext) -> Vec<PlannedCase> {
    let mut cases = Vec::new();
    let mut batch: Vec<(&str, &Fixture)> = Vec::new();
    for &(path, fixture) in usable {
        if fixture.variations.len() < 2 {
            batch.push((path, fixture));
            continue;
        }
        let all: Result<Vec<Message>, String> =
            (0..fixture.variations.len()).map(|i| rendered(fixture, i, context)).collect();
        cases.push(reorder_case(path.to_owned(), "all".into(), fixture.event_name.clone(), all));
    }
    if batch.len() >= 2 {
        let all: Result<Vec<Message>, String> = batch
            .iter()
            .map(|(path, fixture)| {
                rendered(fixture, 0, context).map(|m| Message { variation: (*path).to_owned(), ..m })
            })
            .collect();
        cases.push(reorder_case("(single-event fixtures)".into(), "batch".into(), "(several)".into(), all));
    }
    if cases.is_empty() && !usable.is_empty() {
        let mut case = reorder_case("(all fixtures)".into(), "-".into(), String::new(), Ok(Vec::new()));
        case.settled = Some(Settled::Skipped("reorder needs at least two messages".into()));
        cases.push(case);
    }
    cases
}

fn reorder_case(
    fixture: String,
    variation: String,
    event_name: String,
    messages: Result<Vec<Message>, String>,
) -> PlannedCase {
    let (messages, settled) = match messages {
        Ok(messages) => (messages, None),
        Err(reason) => (Vec::new(), Some(Settled::Failed(reason))),
    };
    PlannedCase {
        id: 0,
        fixture,
        variation,
        kind: CaseKind::Reorder,
        event_name,
        expect: Expectations::default(),
        messages,
        settled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{FixtureError, Variation};
    use serde_json::json;

    pub(crate) fn file(path: &str, event: &str, payloads: &[serde_json::Value]) -> FixtureFile {
        let variations = payloads
            .iter()
            .enumerate()
            .map(|(i, payload)| Variation { name: (i + 1).to_string(), payload: payload.clone() })
            .collect();
        FixtureFile {
            path: path.into(),
            fixture: Some(Fixture { event_name: event.into(), variations, expect: Expectations::default() }),
            error: None,
        }
    }

    #[test]
    fn sends_come_first_then_faults_and_ids_count_up() {
        let files = vec![file("a.json", "order.created", &[json!({"n": 1}), json!({"n": 2})])];
        let cases = plan(&files, &[CaseKind::Duplicate, CaseKind::Reorder, CaseKind::BadSignature], true);
        let kinds: Vec<CaseKind> = cases.iter().map(|c| c.kind).collect();
        use CaseKind::*;
        assert_eq!(kinds, vec![Send, Send, Duplicate, Duplicate, Reorder, BadSignature, BadSignature]);
        assert_eq!(cases.iter().map(|c| c.id).collect::<Vec<_>>(), (1..=7).collect::<Vec<_>>());
        assert_eq!(cases[4].messages.len(), 2, "reorder carries every variation");
        assert_eq!(cases[0].messages[0].body, r#"{"n":1}"#);
    }

    #[test]
    fn broken_files_fail_and_signature_faults_skip_without_a_secret() {
        let broken = FixtureFile {
            path: "bad.json".into(),
            fixture: None,
            error: Some(FixtureError { message: "expected value".into(), line: Some(3), column: Some(5) }),
        };
        let files = vec![broken, file("a.json", "x", &[json!({})])];
        let cases = plan(&files, &[CaseKind::MissingSignature, CaseKind::Duplicate], false);
        assert_eq!(
            cases[0].settled,
            Some(Settled::Failed("fixture does not parse: expected value (line 3, column 5)".into()))
        );
        assert!(matches!(cases[2].settled, Some(Settled::Skipped(ref r)) if r.contains("secret")));
        assert_eq!(cases[3].kind, CaseKind::Duplicate);
        assert_eq!(cases[3].settled, None, "duplicate works unsigned");
    }

    #[test]
    fn single_variation_fixtures_are_reordered_as_one_batch() {
        let files = vec![file("a.json", "a", &[json!(1)]), file("b.json", "b", &[json!(2)])];
        let cases = plan(&files, &[CaseKind::Reorder], false);
        assert_eq!(cases.len(), 3);
        let bodies: Vec<&str> = cases[2].messages.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies, vec!["1", "2"]);
    }
}
