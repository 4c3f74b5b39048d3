//! Subscriber endpoints: where events are delivered, and how.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::endpoint_options::{AutoDisable, HeaderStyle, PayloadFormat, SigningKey};
use super::filter::{validate_filter, MATCH_ALL};
use super::validation::ValidationError;
use crate::ids::EndpointId;

pub const DEFAULT_TIMEOUT_MS: u32 = 15_000;
/// Ten minutes, so a developer can step through a receiver in a debugger.
pub const MAX_TIMEOUT_MS: u32 = 600_000;
const MIN_TIMEOUT_MS: u32 = 100;
/// Svix's published schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const DEFAULT_RETRY_SCHEDULE: [u32; 7] = [5, 300, 1800, 7200, 18000, 36000, 36000];
const MAX_RETRIES: usize = 50;
const MAX_RETRY_DELAY_S: u32 = 7 * 24 * 3600;
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 10;
const MAX_MAX_IN_FLIGHT: u32 = 1000;
const MAX_RATE_PER_S: f64 = 100_000.0;
const MAX_HEADERS: usize = 50;
/// Headers Hooky sets itself; letting an endpoint override them would break delivery or signing.
const RESERVED_HEADERS: [&str; 8] = [
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

/// A stored endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Endpoint {
    pub id: EndpointId,
    pub url: String,
    pub name: String,
    pub description: String,
    /// Patterns: exact names, `*` for one dot-separated segment, `**` for any.
    pub event_filter: Vec<String>,
    pub enabled: bool,
    /// Why the endpoint was disabled, e.g. after the receiver answered 410 Gone.
    pub disabled_reason: Option<String>,
    pub timeout_ms: u32,
    /// Delays in seconds before each retry, after the immediate first attempt.
    pub retry_schedule: Vec<u32>,
    pub max_in_flight: u32,
    pub rate_limit_per_s: Option<f64>,
    /// Extra request headers sent with every delivery.
    pub headers: BTreeMap<String, String>,
    pub header_style: HeaderStyle,
    pub payload_format: PayloadFormat,
    /// Whether an `https://` receiver's certificate must be valid and trusted (the system's
    /// store and the public roots). Off, any certificate is accepted: for a local receiver
    /// with a self-signed one.
    pub verify_tls: bool,
    /// When Hooky turns the endpoint off by itself.
    pub auto_disable: AutoDisable,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Secrets that sign deliveries; never serialized (see the `/secret` route).
    #[serde(skip)]
    #[schema(ignore)]
    pub signing_keys: Vec<SigningKey>,
}

/// A new endpoint. Only `url` is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    #[schema(example = "http://127.0.0.1:3000/webhooks")]
    pub url: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[schema(example = json!(["order.*"]))]
    pub event_filter: Option<Vec<String>>,
    pub enabled: Option<bool>,
    #[schema(minimum = 100, maximum = 600000)]
    pub timeout_ms: Option<u32>,
    #[schema(max_items = 50)]
    pub retry_schedule: Option<Vec<u32>>,
    #[schema(minimum = 1, maximum = 1000)]
    pub max_in_flight: Option<u32>,
    pub rate_limit_per_s: Option<f64>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub header_style: Option<HeaderStyle>,
    pub payload_format: Option<PayloadFormat>,
    /// True unless given: check the receiver's TLS certificate.
    pub verify_tls: Option<bool>,
    pub auto_disable: Option<AutoDisable>,
    /// A `whsec_…` secret to sign with; one is generated when absent.
    pub secret: Option<String>,
}

/// A partial update. Absent fields stay as they are; `rate_limit_per_s: null` removes the limit.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub event_filter: Option<Vec<String>>,
    pub enabled: Option<bool>,
    #[schema(minimum = 100, maximum = 600000)]
    pub timeout_ms: Option<u32>,
    #[schema(max_items = 50)]
    pub retry_schedule: Option<Vec<u32>>,
    #[schema(minimum = 1, maximum = 1000)]
    pub max_in_flight: Option<u32>,
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<f64>)]
    pub rate_limit_per_s: Option<Option<f64>>,
    pub headers: Option<BTreeMap<String, String>>,
    pub header_style: Option<HeaderStyle>,
    pub payload_format: Option<PayloadFormat>,
    pub verify_tls: Option<bool>,
    pub auto_disable: Option<AutoDisable>,
}

/// Tells "absent" (outer None) apart from "null" (Some(None)).
fn present_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

impl Endpoint {
    /// Builds and validates a new endpoint from a create request.
    pub fn create(input: EndpointIn, now: DateTime<Utc>) -> Result<Self, ValidationError> {
        // The store keeps milliseconds: answer with the time that a later read returns.
        let now = super::time::from_ms(now.timestamp_millis());
        let endpoint = Self {
            id: EndpointId::generate(),
            url: input.url.trim().to_owned(),
            name: input.name,
            description: input.description,
            event_filter: input.event_filter.unwrap_or_else(|| vec![MATCH_ALL.to_owned()]),
            enabled: input.enabled.unwrap_or(true),
            disabled_reason: None,
            timeout_ms: input.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            retry_schedule: input.retry_schedule.unwrap_or_else(|| DEFAULT_RETRY_SCHEDULE.to_vec()),
            max_in_flight: input.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT),
            rate_limit_per_s: input.rate_limit_per_s,
            headers: input.headers,
            header_style: input.header_style.unwrap_or_default(),
            payload_format: input.payload_format.unwrap_or_default(),
            verify_tls: input.verify_tls.unwrap_or(true),
            auto_disable: input.auto_disable.unwrap_or_default(),
            created_at: now,
            updated_at: now,
            signing_keys: Vec::new(),
        };
        endpoint.validate()?;
        let secret = match input.secret {
            Some(secret) => {
                crate::signing::decode_secret(&secret).map_err(|why| ValidationError::new("secret", why))?;
                secret.trim().to_owned()
            }
            None => crate::signing::generate_secret(),
        };
        Ok(Self { signing_keys: vec![SigningKey { secret, expires_at_ms: None }], ..endpoint })
    }

    /// Applies a patch and validates the result; `self` is untouched on error.
    pub fn patched(&self, patch: EndpointPatch, now: DateTime<Utc>) -> Result<Self, ValidationError> {
        let now = super::time::from_ms(now.timestamp_millis());
        let mut next = self.clone();
        if let Some(url) = patch.url {
            next.url = url.trim().to_owned();
        }
        if let Some(name) = patch.name {
            next.name = name;
        }
        if let Some(description) = patch.description {
            next.description = description;
        }
        if let Some(filter) = patch.event_filter {
            next.event_filter = filter;
        }
        if let Some(enabled) = patch.enabled {
            next.enabled = enabled;
            if enabled {
                next.disabled_reason = None;
            }
        }
        if let Some(timeout_ms) = patch.timeout_ms {
            next.timeout_ms = timeout_ms;
        }
        if let Some(schedule) = patch.retry_schedule {
            next.retry_schedule = schedule;
        }
        if let Some(max_in_flight) = patch.max_in_flight {
            next.max_in_flight = max_in_flight;
        }
        if let Some(rate) = patch.rate_limit_per_s {
            next.rate_limit_per_s = rate;
        }
        if let Some(headers) = patch.headers {
            next.headers = headers;
        }
        if let Some(style) = patch.header_style {
            next.header_style = style;
        }
        if let Some(format) = patch.payload_format {
            next.payload_format = format;
        }
        if let Some(verify) = patch.verify_tls {
            next.verify_tls = verify;
        }
        if let Some(policy) = patch.auto_disable {
            next.auto_disable = policy;
        }
        next.updated_at = now;
        next.validate()?;
        Ok(next)
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_url(&self.url)?;
        if self.name.chars().count() > 200 {
            return Err(ValidationError::new("name", "at most 200 characters"));
        }
        if self.description.chars().count() > 2000 {
            return Err(ValidationError::new("description", "at most 2000 characters"));
        }
        validate_filter(&self.event_filter)?;
        if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            return Err(ValidationError::new(
                "timeout_ms",
                format!("must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS} (10 minutes)"),
            ));
        }
        if self.retry_schedule.len() > MAX_RETRIES {
            return Err(ValidationError::new("retry_schedule", format!("at most {MAX_RETRIES} retries")));
        }
        if self.retry_schedule.iter().any(|delay| *delay > MAX_RETRY_DELAY_S) {
            return Err(ValidationError::new("retry_schedule", "each delay is at most 604800 seconds (7 days)"));
        }
        if !(1..=MAX_MAX_IN_FLIGHT).contains(&self.max_in_flight) {
            return Err(ValidationError::new("max_in_flight", format!("must be between 1 and {MAX_MAX_IN_FLIGHT}")));
        }
        if let Some(rate) = self.rate_limit_per_s {
            if !(rate.is_finite() && rate > 0.0 && rate <= MAX_RATE_PER_S) {
                return Err(ValidationError::new("rate_limit_per_s", "must be above 0 and at most 100000"));
            }
        }
        self.auto_disable.validate()?;
        validate_headers(&self.headers)
    }
}

fn validate_url(text: &str) -> Result<(), ValidationError> {
    const FIELD: &str = "url";
    if text.len() > 2048 {
        return Err(ValidationError::new(FIELD, "at most 2048 characters"));
    }
    let url = url::Url::parse(text).map_err(|err| ValidationError::new(FIELD, format!("is not a valid URL: {err}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ValidationError::new(FIELD, "must use http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ValidationError::new(FIELD, "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ValidationError::new(FIELD, "must not carry credentials; use a custom header instead"));
    }
    Ok(())
}

fn validate_headers(headers: &BTreeMap<String, String>) -> Result<(), ValidationError> {
    const FIELD: &str = "headers";
    if headers.len() > MAX_HEADERS {
        return Err(ValidationError::new(FIELD, format!("at most {MAX_HEADERS} headers")));
    }
    for (name, value) in headers {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(ValidationError::new(FIELD, format!("{name:?} is not a valid header name")));
        }
        if reqwest::header::HeaderValue::from_str(value).is_err() {
            return Err(ValidationError::new(FIELD, format!("the value of {name:?} is not a valid header value")));
        }
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-hooky-") {
            return Err(ValidationError::new(FIELD, format!("{name:?} is set by Hooky and cannot be overridden")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str) -> EndpointIn {
        EndpointIn {
            url: url.into(),
            name: String::new(),
            description: String::new(),
            event_filter: None,
            enabled: None,
            timeout_ms: None,
            retry_schedule: None,
            max_in_flight: None,
            rate_limit_per_s: None,
            headers: BTreeMap::new(),
            header_style: None,
            payload_format: None,
            verify_tls: None,
            auto_disable: None,
            secret: None,
        }
    }

    #[test]
    fn defaults_follow_the_documented_values() {
        let endpoint = Endpoint::create(input("http://127.0.0.1:9/hook"), Utc::now()).expect("valid");
        assert_eq!(endpoint.event_filter, vec!["**"]);
        assert_eq!(endpoint.timeout_ms, 15_000);
        assert_eq!(endpoint.retry_schedule, vec![5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert_eq!(endpoint.max_in_flight, 10);
        assert!(endpoint.enabled);
    }

    #[test]
    fn invalid_fields_are_named() {
        let field = |i: EndpointIn| Endpoint::create(i, Utc::now()).err().map(|e| e.field);
        assert_eq!(field(input("ftp://x/")), Some("url".into()));
        assert_eq!(field(input("not a url")), Some("url".into()));
        assert_eq!(field(EndpointIn { timeout_ms: Some(600_001), ..input("http://h/") }), Some("timeout_ms".into()));
        assert_eq!(field(EndpointIn { max_in_flight: Some(0), ..input("http://h/") }), Some("max_in_flight".into()));
        assert_eq!(
            field(EndpointIn { rate_limit_per_s: Some(-1.0), ..input("http://h/") }),
            Some("rate_limit_per_s".into())
        );
        let reserved = BTreeMap::from([("Webhook-Id".to_string(), "x".to_string())]);
        assert_eq!(field(EndpointIn { headers: reserved, ..input("http://h/") }), Some("headers".into()));
    }

    #[test]
    fn patch_keeps_absent_fields_and_clears_null_rate() {
        let mut create = input("http://h/");
        create.rate_limit_per_s = Some(5.0);
        let endpoint = Endpoint::create(create, Utc::now()).expect("valid");
        let patch: EndpointPatch = serde_json::from_str(r#"{"name":"n","rate_limit_per_s":null}"#).expect("json");
        let next = endpoint.patched(patch, Utc::now()).expect("valid");
        assert_eq!(next.name, "n");
        assert_eq!(next.rate_limit_per_s, None);
        assert_eq!(next.url, "http://h/");
    }
}
