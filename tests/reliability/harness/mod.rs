//! What the reliability tests share: `hooky serve` as a child process, an HTTP client for
//! its API, receivers that record `webhook-id`s, a seeded PRNG, and a lock that keeps the
//! heavy tests of this binary from running at the same time. Each of those is a submodule,
//! re-exported here; the settings read from the environment live in this file.

mod api;
mod receiver;
mod rng;
mod serve;
mod system;

pub use api::Api;
pub use receiver::{FailPolicy, Receiver, Seen};
pub use rng::{seed, Rng};
pub use serve::{hooky, Serve, ServeOptions};
pub use system::{integrity_check, is_root, mount, rss_kib, Mounted};

/// The management token every test server gets (through HOOKY_TOKEN).
pub const TOKEN: &str = "reliability-token-5f1c0d2e9a7b4c3d";
pub const TRIGGER: &str = "/api/v1/webhook_events/trigger";

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Held for the whole of a heavy test: crash, soak and storage faults must not share the two cores.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

/// `HOOKY_FULL=1` (or any value but 0) asks for the long versions.
pub fn full() -> bool {
    std::env::var("HOOKY_FULL").is_ok_and(|v| !v.is_empty() && v != "0")
}

pub fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Mean of a slice of numbers.
pub fn mean(values: &[u64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<u64>() as f64 / values.len() as f64
}
