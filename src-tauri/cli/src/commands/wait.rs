//! What `trigger` and `events resend` print about the deliveries they started, and `--wait`:
//! follow those deliveries until each has succeeded or failed for good.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::Args;
use hooky_engine::ids::DeliveryId;
use hooky_engine::model::{DeliveryStatus, EventOut, TriggerOut};

use super::describe;
use crate::client::Client;
use crate::output;

#[derive(Args, Debug)]
pub struct WaitArgs {
    /// Wait until every delivery has succeeded or failed for good; exit 1 unless all succeeded
    #[arg(long)]
    wait: bool,
    /// With --wait: give up waiting after this many seconds (exit 1)
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds, requires = "wait")]
    wait_timeout: Duration,
}

/// Checked before anything is sent, so a typo never leaves an event fired without its wait.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| "expected a number of seconds, 0 or more".to_owned())
}

/// Prints the deliveries `out` started; with `--wait`, their outcomes once they settle, and an
/// error unless every one succeeded.
pub async fn report(client: &Client, out: &TriggerOut, args: &WaitArgs, json: bool) -> Result<()> {
    if !args.wait {
        if json {
            return output::json(out);
        }
        println!("{} {} → {} endpoint(s)", out.id, out.event_name, out.deliveries.len());
        for delivery in &out.deliveries {
            println!("  {} to {}", delivery.id, delivery.endpoint_id);
        }
        return Ok(());
    }
    if out.deliveries.is_empty() {
        if json {
            output::json(out)?;
        }
        bail!("no enabled endpoint subscribes to {}: nothing was delivered", out.event_name);
    }
    let (mut event, timed_out) = wait_until_settled(client, out, args.wait_timeout).await?;
    let ids = started_ids(out);
    event.deliveries.retain(|d| ids.contains(&d.summary.id));
    if json {
        output::json(&event)?;
    } else {
        println!("{} {} → {} endpoint(s)", event.id, event.event_name, event.deliveries.len());
        for delivery in &event.deliveries {
            println!("  {}", describe::delivery_line(delivery));
        }
    }
    let started = &event.deliveries;
    let total = started.len();
    if timed_out {
        let unsettled = started.iter().filter(|d| !describe::is_settled(d.summary.status)).count();
        let waited = args.wait_timeout.as_secs_f64();
        bail!("gave up waiting after {waited} s: {unsettled} of {total} deliveries not settled");
    }
    let succeeded = started.iter().filter(|d| d.summary.status == DeliveryStatus::Succeeded).count();
    if succeeded < total {
        bail!("{} of {total} deliveries did not succeed", total - succeeded);
    }
    Ok(())
}

/// The deliveries `out` started: a resent event has older ones too.
fn started_ids(out: &TriggerOut) -> HashSet<&DeliveryId> {
    out.deliveries.iter().map(|d| &d.id).collect()
}

/// Polls the event until the deliveries `out` started are settled or `wait_for` has passed;
/// says which.
async fn wait_until_settled(client: &Client, out: &TriggerOut, wait_for: Duration) -> Result<(EventOut, bool)> {
    let deadline = tokio::time::Instant::now() + wait_for;
    let path = format!("/api/v1/events/{}", out.id);
    let ids = started_ids(out);
    // Local receivers usually answer within milliseconds: look soon, then back off.
    let mut pause = Duration::from_millis(10);
    loop {
        let event: EventOut = client.get(&path).await?;
        let started = event.deliveries.iter().filter(|d| ids.contains(&d.summary.id));
        if started.into_iter().all(|d| describe::is_settled(d.summary.status)) {
            return Ok((event, false));
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok((event, true));
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}
