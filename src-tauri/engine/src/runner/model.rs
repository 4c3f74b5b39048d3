//! What a run is given and what it reports.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a case does: a plain send, or one of the injected faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Send,
    Duplicate,
    Reorder,
    StaleTimestamp,
    FutureTimestamp,
    BadSignature,
    MissingSignature,
    RotatedSignature,
    TruncatedBody,
}

impl CaseKind {
    /// Every fault, in the order a run plans them (`--faults all`).
    pub const FAULTS: [CaseKind; 8] = [
        CaseKind::Duplicate,
        CaseKind::Reorder,
        CaseKind::StaleTimestamp,
        CaseKind::FutureTimestamp,
        CaseKind::BadSignature,
        CaseKind::MissingSignature,
        CaseKind::RotatedSignature,
        CaseKind::TruncatedBody,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Duplicate => "duplicate",
            Self::Reorder => "reorder",
            Self::StaleTimestamp => "stale_timestamp",
            Self::FutureTimestamp => "future_timestamp",
            Self::BadSignature => "bad_signature",
            Self::MissingSignature => "missing_signature",
            Self::RotatedSignature => "rotated_signature",
            Self::TruncatedBody => "truncated_body",
        }
    }

    /// Faults that only mean something when requests are signed.
    pub fn needs_secret(self) -> bool {
        !matches!(self, Self::Send | Self::Duplicate | Self::Reorder)
    }
}

/// Parses a fault list: `all`, or kinds by name, as given to `--faults` or the API's `faults`.
pub fn parse_faults<S: AsRef<str>>(names: &[S]) -> Result<Vec<CaseKind>, String> {
    let mut kinds = Vec::new();
    for name in names.iter().map(|n| n.as_ref().trim()).filter(|n| !n.is_empty()) {
        if name == "all" {
            kinds.extend(CaseKind::FAULTS);
            continue;
        }
        let kind = CaseKind::FAULTS.into_iter().find(|kind| kind.as_str() == name).ok_or_else(|| {
            let known: Vec<&str> = CaseKind::FAULTS.iter().map(|k| k.as_str()).collect();
            format!("unknown fault {name:?}; known: all, {}", known.join(", "))
        })?;
        kinds.push(kind);
    }
    kinds.sort_by_key(|kind| CaseKind::FAULTS.iter().position(|k| k == kind));
    kinds.dedup();
    Ok(kinds)
}

/// What a failed fault case says about the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It answered 2xx to a request it must refuse.
    WronglyAccepted,
    /// It refused a request it must accept.
    WronglyRejected,
    /// It visibly processed a redelivery as a new message.
    ProcessedTwice,
}

/// Why a run cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the target URL is not valid: {0}")]
    BadUrl(String),
    #[error("runs only send to http or https URLs, not {0}:")]
    BadScheme(String),
    #[error("the header {0:?} is not a valid HTTP header")]
    BadHeader(String),
    #[error("the secret is not a whsec_ secret: {0}")]
    BadSecret(&'static str),
}

/// Where a run sends: a URL and the extra headers every request carries.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: url::Url,
    pub headers: reqwest::header::HeaderMap,
    /// `webhook-*` or `svix-*` names for the id, timestamp and signature headers.
    pub header_style: crate::model::HeaderStyle,
    /// Whether an https:// receiver's certificate must be trusted (see `Endpoint::verify_tls`).
    pub verify_tls: bool,
}

impl Target {
    /// An http(s) URL and valid headers, or why not.
    pub fn parse(url: &str, headers: &BTreeMap<String, String>) -> Result<Self, RunError> {
        let url = url::Url::parse(url.trim()).map_err(|err| RunError::BadUrl(err.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(RunError::BadScheme(url.scheme().to_owned()));
        }
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            let name_ok = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes());
            let value_ok = reqwest::header::HeaderValue::from_str(value.trim());
            match (name_ok, value_ok) {
                (Ok(name), Ok(value)) => {
                    map.insert(name, value);
                }
                _ => return Err(RunError::BadHeader(name.clone())),
            }
        }
        Ok(Self { url, headers: map, header_style: crate::model::HeaderStyle::default(), verify_tls: true })
    }
}

/// How a run sends.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub target: Target,
    /// The decoded key of the `whsec_…` secret; unsigned requests without one.
    pub signing_key: Option<Vec<u8>>,
    /// Cases in flight at once.
    pub concurrency: usize,
    /// Requests per second across the run; unlimited when absent.
    pub rate_per_s: Option<f64>,
    pub timeout: Duration,
    pub faults: Vec<CaseKind>,
}

pub const DEFAULT_CONCURRENCY: usize = 4;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl RunConfig {
    pub fn new(target: Target) -> Self {
        Self {
            target,
            signing_key: None,
            concurrency: DEFAULT_CONCURRENCY,
            rate_per_s: None,
            timeout: DEFAULT_TIMEOUT,
            faults: Vec::new(),
        }
    }

    /// Sets the secret after checking it is a `whsec_…` one.
    pub fn with_secret(mut self, secret: &str) -> Result<Self, RunError> {
        self.signing_key = Some(crate::signing::decode_secret(secret).map_err(RunError::BadSecret)?);
        Ok(self)
    }
}

/// The receiver's answer, as much as a report keeps of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResponseRecord {
    pub headers: BTreeMap<String, String>,
    /// The first 20 KB, as text.
    pub body: String,
    pub body_truncated: bool,
}

/// One case's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseResult {
    /// 1-based, in plan order.
    pub id: u32,
    /// The fixture file, relative to the folder.
    pub fixture: String,
    pub variation: String,
    pub kind: CaseKind,
    pub event_name: String,
    /// The (last) answer's status; absent when none came.
    pub status: Option<u16>,
    /// The whole case, every request of it.
    pub latency_ms: u64,
    /// Transport error text, when a request got no answer.
    pub error: Option<String>,
    pub passed: bool,
    pub skipped: bool,
    /// Each failed check, in words.
    pub failures: Vec<String>,
    pub verdict: Option<Verdict>,
    /// What happened, in words: the answers of a multi-request case, or why it was skipped.
    pub detail: Option<String>,
    /// The (last) answer.
    pub response: Option<ResponseRecord>,
}

impl CaseResult {
    /// "order.created #1": how reports name the variation.
    pub fn label(&self) -> String {
        format!("{} #{}", self.event_name, self.variation)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunTotals {
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl RunTotals {
    pub fn of(cases: &[CaseResult]) -> Self {
        let skipped = cases.iter().filter(|c| c.skipped).count();
        let passed = cases.iter().filter(|c| !c.skipped && c.passed).count();
        Self { cases: cases.len(), passed, failed: cases.len() - passed - skipped, skipped }
    }
}

/// Everything a run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunReport {
    pub started_at: DateTime<Utc>,
    /// Absent while the run goes on.
    pub finished_at: Option<DateTime<Utc>>,
    /// The URL requests went to.
    pub target: String,
    pub totals: RunTotals,
    /// In plan order.
    pub cases: Vec<CaseResult>,
}

impl RunReport {
    pub fn new(
        started_at: DateTime<Utc>,
        finished_at: Option<DateTime<Utc>>,
        target: String,
        mut cases: Vec<CaseResult>,
    ) -> Self {
        cases.sort_by_key(|case| case.id);
        Self { started_at, finished_at, target, totals: RunTotals::of(&cases), cases }
    }

    /// Whether the run found nothing wrong: skipped cases do not count as failed.
    pub fn all_passed(&self) -> bool {
        self.totals.failed == 0
    }
}
