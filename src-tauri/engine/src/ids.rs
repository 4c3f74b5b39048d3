//! Typed, prefixed identifiers (`evt_…`, `ep_…`, `dlv_…`, `att_…`, `cat_…`, `req_…`).
//!
//! The body is a ULID, so ids sort by creation time. The events list pages
//! by id and turns `since`/`until` into id bounds because of that.

use std::fmt;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use ulid::{Generator, Ulid};

static GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);

/// A new ULID, strictly increasing within this process even inside one millisecond.
fn next_ulid() -> Ulid {
    let mut guard = GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let generator = guard.get_or_insert_with(Generator::new);
    // Overflow needs 2^80 ids in one millisecond; fall back to a random one.
    generator.generate().unwrap_or_else(|_| Ulid::new())
}

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, next_ulid()))
            }

            /// Accepts only well-formed ids, so a lookup never sees arbitrary text.
            pub fn parse(text: &str) -> Option<Self> {
                let body = text.strip_prefix($prefix)?;
                Ulid::from_string(body).ok()?;
                Some(Self(text.to_owned()))
            }

            /// The id of a row read back from our own store.
            #[allow(dead_code)] // not every id type is stored
            pub(crate) fn from_db(text: String) -> Self {
                Self(text)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "[0-9A-HJKMNP-TV-Z]{26}$")))
                    .examples([serde_json::json!(concat!($prefix, "01JDQ8W6S4Z6R4D2Y7B9X3K5M1"))])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

prefixed_id!(EventId, "evt_");

impl EventId {
    /// When the event was created, read from the ULID inside the id.
    pub fn created_at_ms(&self) -> i64 {
        let body = self.0.strip_prefix(Self::PREFIX).unwrap_or(&self.0);
        Ulid::from_string(body).map_or(0, |ulid| i64::try_from(ulid.timestamp_ms()).unwrap_or(i64::MAX))
    }
}
prefixed_id!(EndpointId, "ep_");
prefixed_id!(DeliveryId, "dlv_");
prefixed_id!(AttemptId, "att_");
prefixed_id!(JobId, "job_");
prefixed_id!(CatcherId, "cat_");
prefixed_id!(CaughtRequestId, "req_");
prefixed_id!(RunId, "run_");

/// The smallest event id that can have been created at or after `unix_ms`.
pub fn event_id_lower_bound(unix_ms: u64) -> String {
    format!("{}{}", EventId::PREFIX, Ulid::from_parts(unix_ms, 0))
}

/// The largest event id that can have been created at or before `unix_ms`.
pub fn event_id_upper_bound(unix_ms: u64) -> String {
    format!("{}{}", EventId::PREFIX, Ulid::from_parts(unix_ms, u128::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_and_increase() {
        let first = EventId::generate();
        let second = EventId::generate();
        assert!(first.as_str().starts_with("evt_"));
        assert!(first < second);
        assert_eq!(EventId::parse(first.as_str()), Some(first));
    }

    #[test]
    fn parse_rejects_foreign_text() {
        assert!(EventId::parse("ep_01JDQ8W6S4Z6R4D2Y7B9X3K5M1").is_none());
        assert!(EventId::parse("evt_../../etc/passwd").is_none());
        assert!(EventId::parse("evt_' OR 1=1 --").is_none());
    }

    #[test]
    fn time_bounds_bracket_ids_made_in_that_millisecond() {
        let id = EventId::generate();
        let ms = Ulid::from_string(&id.as_str()[4..]).map(|u| u.timestamp_ms()).unwrap_or(0);
        assert!(event_id_lower_bound(ms).as_str() <= id.as_str());
        assert!(event_id_upper_bound(ms).as_str() >= id.as_str());
        assert!(event_id_upper_bound(ms - 1).as_str() < id.as_str());
    }
}
