//! Scripted QA runs: every variation of every fixture sent to a target and checked against the
//! fixture's expectations, plus injected faults that a correct Standard Webhooks receiver must
//! handle (see [`faults`] for each pass rule).
//!
//! The `duplicate` fault cannot see inside the receiver, so it judges by the answers: both must
//! be 2xx, and the redelivery counts as `processed_twice` when both answers are 201 Created, or
//! both are 2xx and the bodies differ while the second does not mention "duplicate" or "already"
//! (case-insensitive). The report repeats this rule next to the verdict.
//!
//! A run is [`plan::plan`] (fixtures to cases, templates rendered with one context per run) then
//! [`execute::execute`] (cases sent with bounded concurrency and an optional rate).

pub mod execute;
pub mod expect;
pub mod faults;
pub mod model;
pub mod plan;
pub mod registry;
pub mod report;
pub mod send;

use tokio_util::sync::CancellationToken;

use crate::fixtures::FixtureFile;

pub use execute::Progress;
pub use model::{
    parse_faults, CaseKind, CaseResult, ResponseRecord, RunConfig, RunError, RunReport, Target, RunTotals, Verdict,
};

/// Plans and executes a run over `files`, calling `progress` with each finished case.
pub async fn run(
    files: &[FixtureFile],
    config: &RunConfig,
    cancel: CancellationToken,
    progress: Progress,
) -> RunReport {
    let cases = plan::plan(files, &config.faults, config.signing_key.is_some());
    execute::execute(cases, config, cancel, progress).await
}
