//! Accepting a triggered event: route it, commit it, then wake delivery.

use chrono::Utc;

use crate::bus::{Bus, StreamMessage};
use crate::delivery::DeliveryEngine;
use crate::ids::{DeliveryId, EventId};
use crate::model::filter::matches_any;
use crate::model::time::now_ms;
use crate::model::{DeliveryStatus, DeliverySummary, EventStatus, EventSummary, TriggerDelivery, TriggerOut};
use crate::store::{endpoints, events, idempotency, Store, StoreError};

/// A validated trigger request.
pub struct NewEvent {
    pub event_name: String,
    /// The payload's JSON text, exactly as sent.
    pub payload: String,
    pub idempotency_key: Option<String>,
}

pub enum Accepted {
    Created(TriggerOut),
    /// The idempotency key was seen within a day: this is the first answer, and nothing was created.
    Replayed(TriggerOut),
}

/// Commits the event and one delivery per matching enabled endpoint, then wakes the scheduler.
/// Returns only after the commit, so an answer of success means the event is durable.
pub async fn accept(
    store: &Store,
    bus: &Bus,
    delivery: &DeliveryEngine,
    event: NewEvent,
) -> Result<Accepted, StoreError> {
    let accepted = store
        .write(move |conn| {
            let now = now_ms();
            if let Some(key) = &event.idempotency_key {
                if let Some(first) = idempotency::lookup(conn, key, now)? {
                    return Ok(Accepted::Replayed(first));
                }
            }
            let event_id = EventId::generate();
            let mut deliveries = Vec::new();
            for endpoint in endpoints::list_enabled(conn)? {
                if matches_any(&endpoint.event_filter, &event.event_name) {
                    deliveries.push(TriggerDelivery { id: DeliveryId::generate(), endpoint_id: endpoint.id });
                }
            }
            let status = if deliveries.is_empty() { EventStatus::Unrouted } else { EventStatus::Pending };
            events::insert(conn, &event_id, &event.event_name, &event.payload, status, now)?;
            for delivery in &deliveries {
                crate::store::deliveries::insert(conn, &delivery.id, &event_id, &delivery.endpoint_id, now)?;
            }
            let out = TriggerOut { id: event_id, event_name: event.event_name, deliveries };
            if let Some(key) = &event.idempotency_key {
                idempotency::remember(conn, key, &out, now)?;
            }
            Ok(Accepted::Created(out))
        })
        .await?;

    if let Accepted::Created(out) = &accepted {
        if !out.deliveries.is_empty() {
            delivery.wake();
        }
        bus.publish(StreamMessage::EventCreated { event: summary_of_new(out) });
    }
    Ok(accepted)
}

fn summary_of_new(out: &TriggerOut) -> EventSummary {
    let now = Utc::now();
    EventSummary {
        id: out.id.clone(),
        event_name: out.event_name.clone(),
        status: if out.deliveries.is_empty() { EventStatus::Unrouted } else { EventStatus::Pending },
        created_at: now,
        deliveries: out
            .deliveries
            .iter()
            .map(|d| DeliverySummary {
                id: d.id.clone(),
                endpoint_id: d.endpoint_id.clone(),
                status: DeliveryStatus::Pending,
                attempt_count: 0,
                next_attempt_at: Some(now),
                last_response_status: None,
                last_duration_ms: None,
                updated_at: now,
            })
            .collect(),
    }
}
