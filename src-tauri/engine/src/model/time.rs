use chrono::{DateTime, TimeZone, Utc};

/// Milliseconds since the Unix epoch: how the store keeps every instant.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}
