//! The report as pretty JSON: the same shape the API returns.

use crate::runner::model::RunReport;

pub fn render(report: &RunReport) -> String {
    // A report holds only strings, numbers and maps with string keys: serializing cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"))
}
