//! Accepting a triggered event: route it, commit it, then wake delivery.

use std::sync::{Arc, Mutex};

use crate::bus::{Bus, StreamMessage};
use crate::delivery::{DeliveryEngine, EnabledEndpoints};
use crate::ids::{DeliveryId, EventId};
use crate::model::filter::matches_any;
use crate::model::time::{from_ms, now_ms};
use crate::model::{DeliveryStatus, DeliverySummary, Endpoint, EventStatus, EventSummary, TriggerDelivery, TriggerOut};
use crate::store::deliveries::{self, DueDelivery};
use crate::store::{events, idempotency, search, Store, StoreError};

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

/// A delivery created by this trigger, and whether its first attempt was claimed for the fast path.
struct Fresh {
    due: DueDelivery,
    endpoint: Arc<Endpoint>,
    claimed: bool,
}

/// Commits the event and one delivery per matching enabled endpoint, then starts their first
/// attempts. Returns only after the commit, so an answer of success means the event is durable.
pub async fn accept(
    store: &Store,
    bus: &Bus,
    delivery: &DeliveryEngine,
    event: NewEvent,
) -> Result<Accepted, StoreError> {
    accept_with(store, bus, delivery, event, |_, _| Ok(())).await
}

/// Writes along with a new event, in its transaction (e.g. demo mode recording its events).
pub type AlsoWrite = fn(&rusqlite::Connection, &EventId) -> Result<(), StoreError>;

/// [`accept`], running `also` in the same transaction once the event is inserted.
pub async fn accept_with(
    store: &Store,
    bus: &Bus,
    delivery: &DeliveryEngine,
    event: NewEvent,
    also: AlsoWrite,
) -> Result<Accepted, StoreError> {
    let engine = delivery.clone();
    let enabled = delivery.enabled_endpoints().await?;
    // Shared with the job, so claims can be given back if the transaction does not commit.
    let claimed: Arc<Mutex<Vec<DeliveryId>>> = Arc::default();
    let claimed_in_job = claimed.clone();
    let announcer = bus.clone();
    // Grouped: a trigger's job fails only when the database does.
    let written = store
        .write_grouped_first(
            move |conn| {
                let (accepted, mut fresh, written_at_ms) = write_event(conn, event, &enabled, also)?;
                // Last, so no claim is taken for a job that fails.
                let mut claimed = claimed_in_job.lock().unwrap_or_else(|p| p.into_inner());
                for delivery in &mut fresh {
                    delivery.claimed = engine.claim_fresh(&delivery.due.id, &delivery.endpoint);
                    if delivery.claimed {
                        claimed.push(delivery.due.id.clone());
                    }
                }
                Ok((accepted, fresh, written_at_ms))
            },
            // Announced from the writer, in commit order: a live list sees events in the order of
            // their ids, so rows are only ever added at its top.
            move |(accepted, _, committed_at_ms)| {
                if let (Accepted::Created(out), true) = (accepted, announcer.has_subscribers()) {
                    announcer.publish(StreamMessage::EventCreated { event: summary_of_new(out, *committed_at_ms) });
                }
            },
        )
        .await;
    let (accepted, fresh, _) = match written {
        Ok(written) => written,
        Err(err) => {
            // Those claims belong to rows that were never committed.
            for id in claimed.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
                delivery.abandon_fresh(&id);
            }
            return Err(err);
        }
    };
    let mut room_came_free = false;
    for fresh in fresh {
        if fresh.claimed {
            delivery.start_fresh(fresh.due, fresh.endpoint);
            continue;
        }
        delivery.left_to_scheduler(&fresh.endpoint.id);
        // Room came free since the claim failed? While the endpoint stays at its cap, the answer
        // that takes it down to its low water wakes the scheduler, after this commit; waking it
        // for every trigger to a hanging or throttled endpoint would cost a pass each.
        room_came_free |= !delivery.is_saturated(&fresh.endpoint);
    }
    if room_came_free {
        delivery.wake();
    }
    Ok(accepted)
}

/// Writes the event, its search text and one delivery per matching endpoint; returns the answer,
/// the deliveries (not yet claimed) and the time written.
fn write_event(
    conn: &rusqlite::Connection,
    event: NewEvent,
    enabled: &EnabledEndpoints,
    also: AlsoWrite,
) -> Result<(Accepted, Vec<Fresh>, i64), StoreError> {
    let now = now_ms();
    if let Some(key) = &event.idempotency_key {
        if let Some(first) = idempotency::lookup(conn, key, now)? {
            return Ok((Accepted::Replayed(first), Vec::new(), now));
        }
    }
    let event_id = EventId::generate();
    let payload: Arc<str> = event.payload.into();
    let mut fresh = Vec::new();
    for endpoint in enabled.values() {
        if !matches_any(&endpoint.event_filter, &event.event_name) {
            continue;
        }
        let due = DueDelivery {
            id: DeliveryId::generate(),
            event_id: event_id.clone(),
            endpoint_id: endpoint.id.clone(),
            event_name: event.event_name.clone(),
            payload: payload.clone(),
            attempt_count: 0,
            status: DeliveryStatus::Pending,
            auto_attempt_count: 0,
            // As `deliveries::insert` writes it.
            next_attempt_at_ms: Some(now),
        };
        fresh.push(Fresh { due, endpoint: endpoint.clone(), claimed: false });
    }
    let status = if fresh.is_empty() { EventStatus::Unrouted } else { EventStatus::Pending };
    events::insert(conn, &event_id, &event.event_name, &payload, status, now)?;
    search::index(conn, &event_id, &payload)?;
    also(conn, &event_id)?;
    for delivery in &fresh {
        deliveries::insert(conn, &delivery.due.id, &event_id, &delivery.endpoint.id, now)?;
    }
    let out = TriggerOut {
        id: event_id,
        event_name: event.event_name,
        deliveries: fresh
            .iter()
            .map(|d| TriggerDelivery { id: d.due.id.clone(), endpoint_id: d.endpoint.id.clone() })
            .collect(),
    };
    if let Some(key) = &event.idempotency_key {
        idempotency::remember(conn, key, &out, now)?;
    }
    Ok((Accepted::Created(out), fresh, now))
}

/// `created_at` is the stored time (whole milliseconds), so the stream and the API agree.
fn summary_of_new(out: &TriggerOut, created_at_ms: i64) -> EventSummary {
    let now = from_ms(created_at_ms);
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
