//! Deliveries (one event to one endpoint) and their attempts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{AttemptId, DeliveryId, EndpointId, EventId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Retrying,
    Failed,
    Cancelled,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_db(text: &str) -> Self {
        match text {
            "succeeded" => Self::Succeeded,
            "retrying" => Self::Retrying,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => Self::Pending,
        }
    }

    /// Still waiting for an attempt.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Pending | Self::Retrying)
    }
}

/// How a delivery looks in the events list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliverySummary {
    pub id: DeliveryId,
    pub endpoint_id: EndpointId,
    pub status: DeliveryStatus,
    pub attempt_count: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the latest attempt, if it got one.
    pub last_response_status: Option<u16>,
    /// The duration of the latest attempt.
    pub last_duration_ms: Option<u64>,
    pub updated_at: DateTime<Utc>,
}

/// A delivery with all of its attempts, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryOut {
    #[serde(flatten)]
    pub summary: DeliverySummary,
    pub event_id: EventId,
    pub created_at: DateTime<Utc>,
    pub attempts: Vec<AttemptOut>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptTrigger {
    /// Made by the schedule.
    Automatic,
    /// Asked for through "retry now"; it leaves the schedule alone.
    Manual,
}

impl AttemptTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Automatic => "automatic",
            Self::Manual => "manual",
        }
    }

    pub fn from_db(text: &str) -> Self {
        if text == "manual" {
            Self::Manual
        } else {
            Self::Automatic
        }
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// No complete answer within the endpoint's timeout.
    Timeout,
    /// The connection was refused, reset or otherwise failed.
    Connect,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake failed.
    Tls,
    /// The receiver answered with a status other than 2xx or 3xx.
    Status,
    /// The receiver answered 3xx; redirects are not followed.
    Redirect,
    /// The response body could not be read.
    Body,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Dns => "dns",
            Self::Tls => "tls",
            Self::Status => "status",
            Self::Redirect => "redirect",
            Self::Body => "body",
        }
    }

    pub fn from_db(text: &str) -> Option<Self> {
        [Self::Timeout, Self::Connect, Self::Dns, Self::Tls, Self::Status, Self::Redirect, Self::Body]
            .into_iter()
            .find(|class| class.as_str() == text)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptRequest {
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    /// Up to 64 KiB of the body, decoded as UTF-8 (invalid bytes replaced).
    pub body: String,
    /// True when the body was longer than what was kept.
    pub body_truncated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptError {
    pub class: ErrorClass,
    pub message: String,
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptOut {
    pub id: AttemptId,
    pub delivery_id: DeliveryId,
    /// 1 for the first attempt of the delivery.
    pub number: u32,
    pub trigger: AttemptTrigger,
    pub succeeded: bool,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub request: AttemptRequest,
    /// Absent when no response arrived.
    pub response: Option<AttemptResponse>,
    /// Absent when the attempt succeeded.
    pub error: Option<AttemptError>,
}
