//! One-line descriptions of attempts and deliveries, shared by the commands that print them.

use hooky_engine::model::{AttemptOut, DeliveryOut, DeliveryStatus};

/// `ok 200`, or the error's class and message.
pub fn attempt_outcome(attempt: &AttemptOut) -> String {
    match &attempt.error {
        None => format!("ok {}", attempt.response.as_ref().map_or(0, |r| r.status)),
        Some(error) => format!("{}: {}", error.class.as_str(), error.message),
    }
}

/// Whether a delivery will see no more automatic attempts.
pub fn is_settled(status: DeliveryStatus) -> bool {
    matches!(status, DeliveryStatus::Succeeded | DeliveryStatus::Failed | DeliveryStatus::Cancelled)
}

/// `dlv_… to http://…: succeeded after 1 attempt (ok 200, 3 ms)`, with the next attempt's
/// time while one is scheduled.
pub fn delivery_line(delivery: &DeliveryOut) -> String {
    let summary = &delivery.summary;
    let last = delivery.attempts.last();
    let target = last.map_or_else(|| summary.endpoint_id.to_string(), |a| a.request.url.clone());
    let count = summary.attempt_count;
    let mut line = format!("{} to {target}: {}", summary.id, summary.status.as_str());
    if count > 0 {
        line.push_str(&format!(" after {count} attempt{}", if count == 1 { "" } else { "s" }));
    }
    if let Some(attempt) = last {
        line.push_str(&format!(" ({}, {} ms)", attempt_outcome(attempt), attempt.duration_ms));
    }
    if let Some(next) = summary.next_attempt_at {
        line.push_str(&format!(", next attempt at {}", next.format("%H:%M:%S UTC")));
    }
    line
}
