//! What a catcher answers: a status sequence, an optional flaky failure rate,
//! a delay, headers and a body, or no answer at all.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::validation::ValidationError;

pub const MAX_DELAY_MS: u32 = 600_000;
const MAX_STATUSES: usize = 100;
const MAX_HEADERS: usize = 50;
const MAX_BODY_BYTES: usize = 256 * 1024;
const DEFAULT_BODY: &str = r#"{"ok":true}"#;
const DEFAULT_FAIL_STATUS: u16 = 503;
/// Headers the HTTP server sets itself; a script that set them would break the answer.
const RESERVED_HEADERS: [&str; 4] = ["content-length", "transfer-encoding", "connection", "upgrade"];

fn default_statuses() -> Vec<u16> {
    vec![200]
}

fn default_body() -> String {
    DEFAULT_BODY.to_owned()
}

fn default_fail_status() -> u16 {
    DEFAULT_FAIL_STATUS
}

/// How a catcher answers. Every field is optional; `{}` answers 200 `{"ok":true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseScript {
    /// Statuses (200 to 599) walked one per request; after the last, the last repeats.
    #[serde(default = "default_statuses")]
    #[schema(example = json!([500, 500, 200]))]
    pub statuses: Vec<u16>,
    /// With this probability (0 to 1), answer `fail_status` instead: a flaky receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_rate: Option<f64>,
    #[serde(default = "default_fail_status")]
    pub fail_status: u16,
    /// Wait this long before answering (0 to 600000 ms).
    #[serde(default)]
    pub delay_ms: u32,
    /// A `Retry-After` header value, e.g. `"120"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    #[serde(default = "default_body")]
    pub body: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Never answer: the connection stays open until the client gives up or Hooky stops.
    #[serde(default)]
    pub hang: bool,
}

impl Default for ResponseScript {
    fn default() -> Self {
        Self {
            statuses: default_statuses(),
            fail_rate: None,
            fail_status: DEFAULT_FAIL_STATUS,
            delay_ms: 0,
            retry_after: None,
            body: default_body(),
            headers: BTreeMap::new(),
            hang: false,
        }
    }
}

/// 1xx are not final answers: the HTTP server would send 500 (or switch protocols for 101)
/// while the record said otherwise, so a script cannot use them.
fn valid_status(status: u16) -> bool {
    (200..=599).contains(&status)
}

impl ResponseScript {
    /// The status of the request at `position` (0 for the first since the script was set).
    pub fn status_at(&self, position: u64) -> u16 {
        let index = usize::try_from(position).unwrap_or(usize::MAX).min(self.statuses.len().saturating_sub(1));
        self.statuses.get(index).copied().unwrap_or(200)
    }

    /// Checks every field; `prefix` names where the script sits in the request (`script`).
    pub fn validate(&self, prefix: &str) -> Result<(), ValidationError> {
        let field = |name: &str| format!("{prefix}.{name}");
        if self.statuses.is_empty() || self.statuses.len() > MAX_STATUSES {
            return Err(ValidationError::new(field("statuses"), format!("between 1 and {MAX_STATUSES} statuses")));
        }
        if let Some(bad) = self.statuses.iter().find(|status| !valid_status(**status)) {
            return Err(ValidationError::new(
                field("statuses"),
                format!("{bad} is not a final HTTP status (200 to 599)"),
            ));
        }
        if let Some(rate) = self.fail_rate {
            if !(rate.is_finite() && (0.0..=1.0).contains(&rate)) {
                return Err(ValidationError::new(field("fail_rate"), "must be between 0 and 1"));
            }
        }
        if !valid_status(self.fail_status) {
            return Err(ValidationError::new(field("fail_status"), "must be a final HTTP status (200 to 599)"));
        }
        if self.delay_ms > MAX_DELAY_MS {
            return Err(ValidationError::new(field("delay_ms"), format!("at most {MAX_DELAY_MS} (10 minutes)")));
        }
        if let Some(value) = &self.retry_after {
            if value.is_empty() || value.len() > 100 || reqwest::header::HeaderValue::from_str(value).is_err() {
                return Err(ValidationError::new(field("retry_after"), "must be a header value, e.g. \"120\""));
            }
        }
        if self.body.len() > MAX_BODY_BYTES {
            return Err(ValidationError::new(field("body"), "at most 256 KiB"));
        }
        self.validate_headers(&field("headers"))
    }

    fn validate_headers(&self, field: &str) -> Result<(), ValidationError> {
        if self.headers.len() > MAX_HEADERS {
            return Err(ValidationError::new(field, format!("at most {MAX_HEADERS} headers")));
        }
        for (name, value) in &self.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(ValidationError::new(field, format!("{name:?} is not a valid header name")));
            }
            if reqwest::header::HeaderValue::from_str(value).is_err() {
                return Err(ValidationError::new(field, format!("the value of {name:?} is not a valid header value")));
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(ValidationError::new(field, format!("{name:?} is set by the HTTP server")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(json: &str) -> ResponseScript {
        serde_json::from_str(json).expect("a script")
    }

    #[test]
    fn defaults_answer_200_ok() {
        let s = script("{}");
        assert_eq!(s, ResponseScript::default());
        assert_eq!(s.status_at(0), 200);
        assert_eq!(s.body, r#"{"ok":true}"#);
    }

    #[test]
    fn the_sequence_is_walked_then_the_last_repeats() {
        let s = script(r#"{"statuses":[500,500,200]}"#);
        let walked: Vec<u16> = (0..5).map(|p| s.status_at(p)).collect();
        assert_eq!(walked, [500, 500, 200, 200, 200]);
    }

    #[test]
    fn invalid_fields_are_named() {
        let field = |json: &str| script(json).validate("script").err().map(|e| e.field);
        assert_eq!(field(r#"{"statuses":[]}"#), Some("script.statuses".into()));
        assert_eq!(field(r#"{"statuses":[99]}"#), Some("script.statuses".into()));
        assert_eq!(field(r#"{"statuses":[101]}"#), Some("script.statuses".into()));
        assert_eq!(field(r#"{"statuses":[600]}"#), Some("script.statuses".into()));
        assert_eq!(field(r#"{"fail_rate":1.5}"#), Some("script.fail_rate".into()));
        assert_eq!(field(r#"{"fail_status":42}"#), Some("script.fail_status".into()));
        assert_eq!(field(r#"{"delay_ms":600001}"#), Some("script.delay_ms".into()));
        assert_eq!(field(r#"{"retry_after":"a\nb"}"#), Some("script.retry_after".into()));
        assert_eq!(field(r#"{"headers":{"bad name":"x"}}"#), Some("script.headers".into()));
        assert_eq!(field(r#"{"headers":{"Content-Length":"3"}}"#), Some("script.headers".into()));
        assert_eq!(field(r#"{"statuses":[410],"fail_rate":0.5,"retry_after":"120","headers":{"X-A":"b"}}"#), None);
    }
}
