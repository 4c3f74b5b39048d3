//! Reading the engine's live stream (`/api/v1/stream`, server-sent events) in tests.

use reqwest::Response;
use serde_json::Value;
use tokio::time::Instant;

use super::WAIT;

/// Reads the SSE body until a message of `kind` whose data mentions `needle` arrives, and returns
/// its data. `buffer` keeps what was read past that message for the next call. Panics after WAIT.
pub async fn read_until(response: &mut Response, buffer: &mut String, kind: &str, needle: &str) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            let event = message.lines().find_map(|l| l.strip_prefix("event:")).map(str::trim);
            let data = message.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim).unwrap_or("");
            if event == Some(kind) && data.contains(needle) {
                return serde_json::from_str(data).unwrap_or_else(|err| panic!("a {kind} message not JSON: {err}"));
            }
        }
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(bytes))) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Ok(None)) => panic!("the stream ended before a {kind} message; got {buffer:?}"),
            Ok(Err(err)) => panic!("reading the stream failed: {err}"),
            Err(_) => panic!("no {kind} message mentioning {needle:?} within {WAIT:?}; left over: {buffer:?}"),
        }
    }
}
