//! `hooky events tail [--name PATTERN]...`: new events, their attempts and retries, as they
//! happen, read from the live stream (`GET /api/v1/stream`).

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Local, Utc};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use hooky_engine::ids::EventId;
use hooky_engine::model::filter::{matches_any, validate_filter};
use hooky_engine::model::{AttemptOut, DeliveryStatus, DeliverySummary, EventOut, EventSummary};
use serde::Deserialize;

use super::describe;
use crate::client::Client;
use crate::ClientArgs;

/// Event names remembered to label later attempts; past this many the memory starts over.
const NAMES_KEPT: usize = 10_000;

/// The stream messages this command prints (the stream carries more kinds).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Change {
    EventCreated { event: EventSummary },
    DeliveryUpdated { event_id: EventId, delivery: DeliverySummary },
    AttemptCreated { event_id: EventId, attempt: Box<AttemptOut> },
}

pub async fn run(patterns: Vec<String>, args: &ClientArgs) -> Result<()> {
    if !patterns.is_empty() {
        validate_filter(&patterns).map_err(|err| anyhow::anyhow!("--name: {}", err.message))?;
    }
    let client = Client::new(args)?;
    let response = client.open_stream("/api/v1/stream").await?;
    let mut messages = response.bytes_stream().eventsource();
    let mut tail = Tail { client: &client, patterns, json: args.json, names: HashMap::new() };
    while let Some(message) = messages.next().await {
        let message = message.context("the live stream broke off")?;
        match message.event.as_str() {
            "ready" => eprintln!("Following events at {} (Ctrl-C to stop)", client.base()),
            "resync" => eprintln!("(fell behind the live stream: some changes were not shown)"),
            "events.cleared" => eprintln!("(the event log was cleared)"),
            "event.created" | "delivery.updated" | "attempt.created" => {
                let change: Change = serde_json::from_str(&message.data)
                    .with_context(|| format!("unexpected {} message from Hooky", message.event))?;
                tail.show(&change, &message.data).await;
            }
            _ => {}
        }
    }
    bail!("the live stream ended: Hooky stopped")
}

struct Tail<'a> {
    client: &'a Client,
    patterns: Vec<String>,
    json: bool,
    names: HashMap<EventId, String>,
}

impl Tail<'_> {
    async fn show(&mut self, change: &Change, raw: &str) {
        let event_id = match change {
            Change::EventCreated { event } => {
                self.remember(&event.id, &event.event_name);
                &event.id
            }
            Change::DeliveryUpdated { event_id, .. } | Change::AttemptCreated { event_id, .. } => event_id,
        };
        let name = self.name_of(event_id).await;
        if !self.patterns.is_empty() && !name.as_deref().is_some_and(|name| matches_any(&self.patterns, name)) {
            return;
        }
        if self.json {
            println!("{raw}");
            return;
        }
        if let Some((at, what)) = describe_change(change) {
            println!("{}  {}  {event_id}  {what}", local_time(at), name.as_deref().unwrap_or("?"));
        }
    }

    fn remember(&mut self, id: &EventId, name: &str) {
        if self.names.len() >= NAMES_KEPT {
            self.names.clear();
        }
        self.names.insert(id.clone(), name.to_owned());
    }

    /// The event's name: seen at its creation, or asked of Hooky for a retry of an event from
    /// before the tail started (None if it is gone).
    async fn name_of(&mut self, id: &EventId) -> Option<String> {
        if let Some(name) = self.names.get(id) {
            return Some(name.clone());
        }
        let event: EventOut = self.client.get(&format!("/api/v1/events/{id}")).await.ok()?;
        self.remember(id, &event.event_name);
        Some(event.event_name)
    }
}

/// When the change happened and what to say about it; nothing for steps an attempt line covers.
fn describe_change(change: &Change) -> Option<(DateTime<Utc>, String)> {
    match change {
        Change::EventCreated { event } => {
            let what = match event.deliveries.len() {
                0 => "→ no endpoint subscribes".to_owned(),
                1 => "→ 1 endpoint".to_owned(),
                n => format!("→ {n} endpoints"),
            };
            Some((event.created_at, what))
        }
        Change::AttemptCreated { attempt, .. } => Some((
            attempt.started_at,
            format!(
                "#{} {}  {} in {} ms",
                attempt.number,
                attempt.request.url,
                describe::attempt_outcome(attempt),
                attempt.duration_ms
            ),
        )),
        Change::DeliveryUpdated { delivery, .. } => {
            let what = match (delivery.status, delivery.next_attempt_at) {
                (DeliveryStatus::Retrying, Some(next)) => format!("{} retrying at {}", delivery.id, local_time(next)),
                (DeliveryStatus::Failed, _) => {
                    format!("{} failed for good after {} attempt(s)", delivery.id, delivery.attempt_count)
                }
                (DeliveryStatus::Cancelled, _) => format!("{} cancelled", delivery.id),
                _ => return None,
            };
            Some((delivery.updated_at, what))
        }
    }
}

fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%H:%M:%S%.3f").to_string()
}
