//! Events and the trigger request that creates them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::delivery::{DeliveryOut, DeliverySummary};
use crate::ids::{DeliveryId, EndpointId, EventId};

/// The body of `POST /api/v1/webhook_events/trigger`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TriggerIn {
    #[schema(example = "order.created", pattern = "^[A-Za-z0-9_.:-]{1,200}$")]
    pub event_name: Option<String>,
    /// Any JSON value, `null` included. It is delivered byte for byte as sent.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = serde_json::Value, example = json!({"order_id": 42}))]
    pub payload: Option<Box<RawValue>>,
}

/// `Some` whenever the field is there: a `null` payload is a payload, not a missing one.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(deserializer).map(Some)
}

/// The answer to a trigger: the committed event and one delivery per matching endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TriggerOut {
    pub id: EventId,
    pub event_name: String,
    pub deliveries: Vec<TriggerDelivery>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TriggerDelivery {
    pub id: DeliveryId,
    pub endpoint_id: EndpointId,
}

/// An event's overall state, derived from its deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// No attempt has finished yet.
    Pending,
    /// Every delivery succeeded.
    Succeeded,
    /// At least one delivery failed and waits for a retry.
    Retrying,
    /// At least one delivery failed for good or was cancelled.
    Failed,
    /// No endpoint matched the event name.
    Unrouted,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
            Self::Unrouted => "unrouted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Retrying, Self::Failed, Self::Unrouted]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// One row of the events list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventSummary {
    pub id: EventId,
    pub event_name: String,
    pub status: EventStatus,
    pub created_at: DateTime<Utc>,
    pub deliveries: Vec<DeliverySummary>,
}

/// An event with its payload, its deliveries and their attempts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    pub id: EventId,
    pub event_name: String,
    pub status: EventStatus,
    pub created_at: DateTime<Utc>,
    pub payload: serde_json::Value,
    pub deliveries: Vec<DeliveryOut>,
}

/// A page of the events list, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    pub data: Vec<EventSummary>,
    /// Pass as `cursor` to get the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}
