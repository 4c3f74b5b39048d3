//! `hooky trigger EVENT [--data JSON|@file] [--wait [--wait-timeout SECS]]`

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use hooky_engine::model::{DeliveryStatus, EventOut, TriggerOut};
use reqwest::Method;
use serde::Serialize;
use serde_json::value::RawValue;

use super::describe;
use crate::client::Client;
use crate::{output, ClientArgs};

#[derive(Args, Debug)]
pub struct TriggerArgs {
    /// The event name, e.g. order.created
    event_name: String,
    /// The payload: JSON text, or @path to read it from a file
    #[arg(long, short, default_value = "{}")]
    data: String,
    /// Wait until every delivery has succeeded or failed for good; exit 1 unless all succeeded
    #[arg(long)]
    wait: bool,
    /// With --wait: give up waiting after this many seconds (exit 1)
    #[arg(long, value_name = "SECS", default_value_t = 30.0, requires = "wait")]
    wait_timeout: f64,
    #[command(flatten)]
    client: ClientArgs,
}

/// The payload's JSON text, checked but kept verbatim: Hooky delivers it byte for byte.
fn read_payload(data: &str) -> Result<Box<RawValue>> {
    let text = match data.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?,
        None => data.to_owned(),
    };
    RawValue::from_string(text.trim().to_owned()).context("--data is not valid JSON")
}

#[derive(Serialize)]
struct TriggerBody<'a> {
    event_name: &'a str,
    payload: &'a RawValue,
}

pub async fn run(args: TriggerArgs) -> Result<()> {
    let payload = read_payload(&args.data)?;
    let wait_for = args.wait.then(|| Duration::try_from_secs_f64(args.wait_timeout)).transpose();
    let wait_for = wait_for.map_err(|_| anyhow::anyhow!("--wait-timeout must be a number of seconds"))?;
    let client = Client::new(&args.client)?;
    let body = TriggerBody { event_name: &args.event_name, payload: &payload };
    let out: TriggerOut = client.request(Method::POST, "/api/v1/webhook_events/trigger", Some(&body)).await?;
    let Some(wait_for) = wait_for else {
        if args.client.json {
            return output::json(&out);
        }
        println!("{} {} → {} endpoint(s)", out.id, out.event_name, out.deliveries.len());
        for delivery in &out.deliveries {
            println!("  {} to {}", delivery.id, delivery.endpoint_id);
        }
        return Ok(());
    };
    if out.deliveries.is_empty() {
        if args.client.json {
            output::json(&out)?;
        }
        bail!("no enabled endpoint subscribes to {}: nothing was delivered", out.event_name);
    }
    let (event, timed_out) = wait_until_settled(&client, &out, wait_for).await?;
    if args.client.json {
        output::json(&event)?;
    } else {
        println!("{} {} → {} endpoint(s)", event.id, event.event_name, event.deliveries.len());
        for delivery in &event.deliveries {
            println!("  {}", describe::delivery_line(delivery));
        }
    }
    let total = event.deliveries.len();
    let unsettled = event.deliveries.iter().filter(|d| !describe::is_settled(d.summary.status)).count();
    let succeeded = event.deliveries.iter().filter(|d| d.summary.status == DeliveryStatus::Succeeded).count();
    if timed_out {
        bail!("gave up waiting after {} s: {unsettled} of {total} deliveries not settled", args.wait_timeout);
    }
    if succeeded < total {
        bail!("{} of {total} deliveries did not succeed", total - succeeded);
    }
    Ok(())
}

/// Polls the event until every delivery is settled or `wait_for` has passed; says which.
async fn wait_until_settled(client: &Client, out: &TriggerOut, wait_for: Duration) -> Result<(EventOut, bool)> {
    let deadline = tokio::time::Instant::now() + wait_for;
    let path = format!("/api/v1/events/{}", out.id);
    // Local receivers usually answer within milliseconds: look soon, then back off.
    let mut pause = Duration::from_millis(10);
    loop {
        let event: EventOut = client.get(&path).await?;
        if event.deliveries.iter().all(|d| describe::is_settled(d.summary.status)) {
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
