//! Catchers: mock receivers Hooky hosts itself at `/catch/{name}`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::response_script::ResponseScript;
use super::validation::ValidationError;
use crate::ids::{CatcherId, EndpointId};

const MAX_NAME_CHARS: usize = 63;

/// `^[a-z0-9][a-z0-9_-]{0,62}$`: safe in a URL path as it is.
pub fn validate_name(name: &str) -> Result<(), ValidationError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !first_ok || !rest_ok || name.len() > MAX_NAME_CHARS {
        return Err(ValidationError::new(
            "name",
            "1 to 63 characters: lowercase letters, digits, `_` and `-`, starting with a letter or digit",
        ));
    }
    Ok(())
}

/// Whose signatures a catcher checks: a fixed secret, or an endpoint's current secrets
/// (including a rotated one still in its grace period). Exactly one field is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifySpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<EndpointId>,
}

impl VerifySpec {
    /// Checks the shape; whether the endpoint exists is checked against the store.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match (&self.secret, &self.endpoint_id) {
            (Some(secret), None) => crate::signing::decode_secret(secret)
                .map(|_| ())
                .map_err(|why| ValidationError::new("verify.secret", why)),
            (None, Some(id)) => match EndpointId::parse(id.as_str()) {
                Some(_) => Ok(()),
                None => Err(ValidationError::new("verify.endpoint_id", "must be an ep_… id")),
            },
            _ => Err(ValidationError::new("verify", "give exactly one of `secret` or `endpoint_id`")),
        }
    }
}

/// A stored catcher.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    pub id: CatcherId,
    pub name: String,
    pub script: ResponseScript,
    pub verify: Option<VerifySpec>,
    pub endpoint_id: Option<EndpointId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Also create an endpoint that delivers to the new catcher.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeIn {
    /// Which events the endpoint takes (default `["**"]`).
    #[schema(example = json!(["order.*"]))]
    pub event_filter: Option<Vec<String>>,
    /// The endpoint's name (default `catcher {name}`).
    pub name: Option<String>,
    /// The endpoint's timeout, as on `POST /api/v1/endpoints`.
    pub timeout_ms: Option<u32>,
    /// The endpoint's retry schedule in seconds, as on `POST /api/v1/endpoints`.
    pub retry_schedule: Option<Vec<u32>>,
}

/// A new catcher. Only `name` is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatcherIn {
    #[schema(example = "orders")]
    pub name: String,
    pub script: Option<ResponseScript>,
    /// Check signatures of what arrives; ignored (replaced) when `subscribe` is given.
    pub verify: Option<VerifySpec>,
    /// Also create an endpoint that delivers here, and verify with its secrets.
    pub subscribe: Option<SubscribeIn>,
}

/// A partial update; `verify: null` stops checking signatures. A new script restarts its sequence.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatcherPatch {
    pub script: Option<ResponseScript>,
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<VerifySpec>)]
    pub verify: Option<Option<VerifySpec>>,
}

/// Tells "absent" (outer None) apart from "null" (Some(None)).
fn present_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A catcher as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CatcherOut {
    pub id: CatcherId,
    pub name: String,
    /// Where it listens: `http://{listen address}/catch/{name}`.
    pub url: String,
    pub script: ResponseScript,
    pub verify: Option<VerifySpec>,
    /// The endpoint created with it (`subscribe`), if any.
    pub endpoint_id: Option<EndpointId>,
    /// Requests answered since the script was set; the next one gets `statuses[min(position, len - 1)]`.
    pub position: u64,
    /// Requests kept (the newest 1,000).
    pub request_count: u64,
    pub last_request_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["a", "0", "orders", "order-created_2", &"a".repeat(63)] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "_a", "A", "a b", "a/b", "é", "a.b", &"a".repeat(64)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn verify_takes_exactly_one_source() {
        let spec = |json: &str| serde_json::from_str::<VerifySpec>(json).expect("json").validate();
        assert!(spec(r#"{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#).is_ok());
        assert!(spec(r#"{"endpoint_id":"ep_01JDQ8W6S4Z6R4D2Y7B9X3K5M1"}"#).is_ok());
        assert_eq!(spec("{}").err().map(|e| e.field), Some("verify".into()));
        assert_eq!(spec(r#"{"secret":"nope"}"#).err().map(|e| e.field), Some("verify.secret".into()));
        assert_eq!(spec(r#"{"endpoint_id":"x"}"#).err().map(|e| e.field), Some("verify.endpoint_id".into()));
    }
}
