//! A request a catcher received, and whether its signature checked out.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{CatcherId, CaughtRequestId};

/// How much of a caught body is kept: 256 KiB.
pub const CAUGHT_BODY_CAP: usize = 256 * 1024;

/// The outcome of checking the `webhook-*` (or `svix-*`) signature headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignatureOutcome {
    /// The catcher has no `verify` set.
    NotChecked,
    Verified,
    Failed {
        reason: String,
    },
}

/// A caught request in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaughtRequestSummary {
    pub id: CaughtRequestId,
    pub method: String,
    /// The whole path, e.g. `/catch/orders/extra`.
    pub path: String,
    /// What the catcher answered; null when it hung.
    pub response_status: Option<u16>,
    pub signature: SignatureOutcome,
    /// The size of the body as it arrived.
    pub body_size: u64,
    pub received_at: DateTime<Utc>,
}

/// One caught request in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaughtRequestOut {
    #[serde(flatten)]
    pub summary: CaughtRequestSummary,
    pub catcher_id: CatcherId,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Header names in lower case; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body as text, or base64 when `body_base64` is true (it was not UTF-8).
    pub body: String,
    pub body_base64: bool,
    /// Only the first 256 KiB were kept.
    pub body_truncated: bool,
}

/// A caught request as the store keeps it.
#[derive(Debug, Clone)]
pub struct CaughtRequest {
    pub summary: CaughtRequestSummary,
    pub catcher_id: CatcherId,
    pub query: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub body_truncated: bool,
}

impl CaughtRequest {
    pub fn into_out(self) -> CaughtRequestOut {
        use base64::Engine as _;
        let (body, body_base64) = match String::from_utf8(self.body) {
            Ok(text) => (text, false),
            Err(err) => (base64::engine::general_purpose::STANDARD.encode(err.into_bytes()), true),
        };
        CaughtRequestOut {
            summary: self.summary,
            catcher_id: self.catcher_id,
            query: self.query,
            headers: self.headers,
            body,
            body_base64,
            body_truncated: self.body_truncated,
        }
    }
}
