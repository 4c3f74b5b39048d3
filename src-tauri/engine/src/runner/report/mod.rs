//! A run's report in the forms people and CI read: JSON, JUnit XML and a terminal table.

pub mod json;
pub mod junit;
pub mod table;

use super::model::{CaseResult, Verdict};

/// What a verdict says about the receiver, in words.
pub fn verdict_words(verdict: Verdict, case: &CaseResult) -> String {
    use super::model::CaseKind::*;
    let what = match (verdict, case.kind) {
        (Verdict::WronglyAccepted, BadSignature) => "accepted a bad signature",
        (Verdict::WronglyAccepted, MissingSignature) => "accepted a request without a signature",
        (Verdict::WronglyAccepted, StaleTimestamp) => "accepted a 10-minute-old timestamp",
        (Verdict::WronglyAccepted, FutureTimestamp) => "accepted a timestamp 10 minutes in the future",
        (Verdict::WronglyAccepted, TruncatedBody) => "accepted a body cut after signing",
        (Verdict::WronglyAccepted, _) => "accepted a request it must refuse",
        (Verdict::WronglyRejected, RotatedSignature) => "rejected a valid signature listed after an old one",
        (Verdict::WronglyRejected, _) => "rejected a valid request",
        (Verdict::ProcessedTwice, _) => "processed a redelivery twice",
    };
    format!("{what} ({}, {})", case.kind.as_str(), case.label())
}
