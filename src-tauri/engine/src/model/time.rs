use chrono::{DateTime, TimeZone, Utc};

/// Milliseconds since the Unix epoch: how the store keeps every instant.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// "3 days", "5 hours", "12 minutes" or "40 seconds": the largest whole unit.
pub fn human_duration(ms: i64) -> String {
    let seconds = ms / 1000;
    let (value, unit) = match seconds {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3600 => (s / 3600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{value} {unit}{}", if value == 1 { "" } else { "s" })
}
