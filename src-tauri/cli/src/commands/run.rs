//! `hooky run`: a scripted QA run of a fixtures folder against a receiver, with optional fault
//! injection. Uses the engine library directly; no running Hooky is needed.
//!
//! Exit codes: 0 every case passed (skipped ones do not count), 1 a case failed, 2 usage or I/O error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use hooky_engine::fixtures;
use hooky_engine::runner::{self, report, RunConfig, RunReport, Target};
use tokio_util::sync::CancellationToken;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The folder of fixture files (*.json)
    fixtures_dir: PathBuf,
    /// The receiver's URL (http or https)
    #[arg(long)]
    to: String,
    /// Cases in flight at once
    #[arg(long, default_value_t = runner::model::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Requests per second, at most
    #[arg(long)]
    rate: Option<f64>,
    /// Write the report here: .xml for JUnit, .json for JSON; repeat for several
    #[arg(long = "report")]
    reports: Vec<PathBuf>,
    /// The whsec_… secret to sign with (unsigned without one; signature faults are then skipped)
    #[arg(long, env = "HOOKY_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Faults to inject: all, or a comma-separated list (duplicate, reorder, stale_timestamp,
    /// future_timestamp, bad_signature, missing_signature, rotated_signature, truncated_body)
    #[arg(long, value_delimiter = ',')]
    faults: Vec<String>,
    /// Per-request timeout in milliseconds
    #[arg(long, default_value_t = 30_000)]
    timeout_ms: u64,
    /// An extra request header, "Name: value"; repeat for several
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// Header names for the id, timestamp and signature: webhook-* or svix-*
    #[arg(long, value_parser = ["webhook", "svix"], default_value = "webhook")]
    header_style: String,
    /// Accept any TLS certificate from an https:// receiver, e.g. a self-signed one (as curl -k)
    #[arg(long, short = 'k')]
    insecure: bool,
}

#[derive(Clone, Copy)]
enum ReportFormat {
    Junit,
    Json,
}

pub async fn run(args: RunArgs) -> ExitCode {
    let prepared = match prepare(&args) {
        Ok(prepared) => prepared,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    let (files, config, reports) = prepared;
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_interrupt.cancel();
        }
    });
    let report = runner::run(&files, &config, cancel, Arc::new(|_: &runner::CaseResult| {})).await;
    print!("{}", report::table::render(&report));
    if let Err(err) = write_reports(&report, &reports) {
        eprintln!("error: {err:#}");
        return ExitCode::from(2);
    }
    if report.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

type Prepared = (Vec<fixtures::FixtureFile>, RunConfig, Vec<(PathBuf, ReportFormat)>);

fn prepare(args: &RunArgs) -> Result<Prepared> {
    let dir = &args.fixtures_dir;
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let files = fixtures::scan(dir);
    if files.is_empty() {
        bail!("no fixtures (*.json files) found in {}", dir.display());
    }
    let reports = args
        .reports
        .iter()
        .map(|path| report_format(path).map(|format| (path.clone(), format)))
        .collect::<Result<Vec<_>>>()?;
    let mut headers = BTreeMap::new();
    for header in &args.headers {
        let (name, value) =
            header.split_once(':').with_context(|| format!("--header {header:?} is not \"Name: value\""))?;
        headers.insert(name.trim().to_owned(), value.trim().to_owned());
    }
    let mut target = Target::parse(&args.to, &headers)?;
    target.header_style = hooky_engine::model::HeaderStyle::from_db(&args.header_style);
    target.verify_tls = !args.insecure;
    let mut config = RunConfig::new(target);
    if let Some(secret) = &args.secret {
        config = config.with_secret(secret)?;
    }
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    config.concurrency = args.concurrency;
    if let Some(rate) = args.rate {
        if !(rate.is_finite() && rate > 0.0) {
            bail!("--rate must be a positive number of requests per second");
        }
        config.rate_per_s = Some(rate);
    }
    if args.timeout_ms == 0 {
        bail!("--timeout-ms must be at least 1");
    }
    config.timeout = Duration::from_millis(args.timeout_ms);
    config.faults = runner::parse_faults(&args.faults).map_err(anyhow::Error::msg)?;
    Ok((files, config, reports))
}

fn report_format(path: &Path) -> Result<ReportFormat> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("xml") => Ok(ReportFormat::Junit),
        Some("json") => Ok(ReportFormat::Json),
        _ => bail!("--report {}: the name must end in .xml (JUnit) or .json", path.display()),
    }
}

fn write_reports(report: &RunReport, reports: &[(PathBuf, ReportFormat)]) -> Result<()> {
    for (path, format) in reports {
        let text = match format {
            ReportFormat::Junit => report::junit::render(report),
            ReportFormat::Json => report::json::render(report),
        };
        std::fs::write(path, text).with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    Ok(())
}
