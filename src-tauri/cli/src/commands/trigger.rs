//! `hooky trigger EVENT [--data JSON|@file] [--wait [--wait-timeout SECS]]`

use anyhow::{Context, Result};
use clap::Args;
use hooky_engine::model::TriggerOut;
use reqwest::Method;
use serde::Serialize;
use serde_json::value::RawValue;

use super::wait::{self, WaitArgs};
use crate::client::Client;
use crate::ClientArgs;

#[derive(Args, Debug)]
pub struct TriggerArgs {
    /// The event name, e.g. order.created
    event_name: String,
    /// The payload: JSON text, or @path to read it from a file
    #[arg(long, short, default_value = "{}")]
    data: String,
    #[command(flatten)]
    wait: WaitArgs,
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
    let client = Client::new(&args.client)?;
    let body = TriggerBody { event_name: &args.event_name, payload: &payload };
    let out: TriggerOut = client.request(Method::POST, "/api/v1/webhook_events/trigger", Some(&body)).await?;
    wait::report(&client, &out, &args.wait, args.client.json).await
}
