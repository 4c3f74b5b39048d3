//! `hooky events list|show|resend|tail`

use anyhow::Result;
use clap::Subcommand;
use hooky_engine::model::{EventOut, EventPage, TriggerOut};
use reqwest::Method;

use super::describe;
use super::wait::WaitArgs;
use crate::client::{url_encode, Client};
use crate::{output, ClientArgs};

#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// List events, newest first
    List {
        /// pending, succeeded, retrying, failed or unrouted
        #[arg(long)]
        status: Option<String>,
        /// Only events with this exact name
        #[arg(long = "name")]
        event_name: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show one event with its deliveries and attempts
    Show {
        id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Send an event again (same webhook-id) to the endpoints that match it now, or to --to
    Resend {
        id: String,
        /// An endpoint to send to (repeatable; default: every enabled endpoint that matches)
        #[arg(long = "to", value_name = "ENDPOINT_ID")]
        endpoint_ids: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Follow new events, their attempts and retries as they happen (--json: one message a line)
    Tail {
        /// Only events whose name matches this pattern (repeatable): order.*, **.failed
        #[arg(long = "name", value_name = "PATTERN")]
        patterns: Vec<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> =
        pairs.iter().filter_map(|(key, value)| value.as_ref().map(|v| format!("{key}={}", url_encode(v)))).collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

pub async fn run(command: EventsCommand) -> Result<()> {
    match command {
        EventsCommand::Tail { patterns, client: args } => super::tail::run(patterns, &args).await,
        EventsCommand::Resend { id, endpoint_ids, wait, client: args } => {
            let client = Client::new(&args)?;
            let body = (!endpoint_ids.is_empty()).then(|| serde_json::json!({ "endpoint_ids": endpoint_ids }));
            let path = format!("/api/v1/events/{}/resend", url_encode(&id));
            let out: TriggerOut = client.request(Method::POST, &path, body.as_ref()).await?;
            super::wait::report(&client, &out, &wait, args.json).await
        }
        EventsCommand::List { status, event_name, limit, client: args } => {
            let path = format!(
                "/api/v1/events{}",
                query(&[("status", status), ("event_name", event_name), ("limit", Some(limit.to_string()))])
            );
            let page: EventPage = Client::new(&args)?.get(&path).await?;
            if args.json {
                return output::json(&page);
            }
            let rows: Vec<Vec<String>> = page
                .data
                .iter()
                .map(|event| {
                    vec![
                        event.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        event.id.to_string(),
                        event.event_name.clone(),
                        event.status.as_str().to_owned(),
                        event.deliveries.len().to_string(),
                    ]
                })
                .collect();
            output::table(&["CREATED (UTC)", "ID", "EVENT", "STATUS", "ENDPOINTS"], &rows);
            Ok(())
        }
        EventsCommand::Show { id, client: args } => {
            let event: EventOut = Client::new(&args)?.get(&format!("/api/v1/events/{}", url_encode(&id))).await?;
            if args.json {
                return output::json(&event);
            }
            println!(
                "{} {} [{}] at {}",
                event.id,
                event.event_name,
                event.status.as_str(),
                event.created_at.to_rfc3339()
            );
            println!("payload: {}", serde_json::to_string(&event.payload)?);
            for delivery in &event.deliveries {
                let next = delivery
                    .summary
                    .next_attempt_at
                    .map(|t| format!(", next at {}", t.to_rfc3339()))
                    .unwrap_or_default();
                println!(
                    "delivery {} to {}: {}{next}",
                    delivery.summary.id,
                    delivery.summary.endpoint_id,
                    delivery.summary.status.as_str()
                );
                for attempt in &delivery.attempts {
                    let outcome = describe::attempt_outcome(attempt);
                    println!(
                        "  #{} {} {} {} ms  {outcome}",
                        attempt.number,
                        attempt.trigger.as_str(),
                        attempt.started_at.format("%H:%M:%S%.3f"),
                        attempt.duration_ms
                    );
                }
            }
            Ok(())
        }
    }
}
