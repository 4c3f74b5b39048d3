//! In-process broadcast of changes, feeding the live stream (`GET /api/v1/stream`).

use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;

use crate::demo::DemoOut;
use crate::ids::{CatcherId, EndpointId, EventId};
use crate::model::{
    AttemptOut, CatcherOut, CaughtRequestSummary, DeliverySummary, Endpoint, EventStatus, EventSummary, TimeWarp,
};
use crate::runner::registry::RunSummary;

/// Enough for a burst; a subscriber that falls further behind is told to resync.
const CAPACITY: usize = 4096;

/// One change, sent as an SSE message whose `event:` is [`StreamMessage::kind`].
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamMessage {
    /// A new event was committed.
    EventCreated {
        event: EventSummary,
    },
    /// A delivery changed status or schedule.
    DeliveryUpdated {
        event_id: EventId,
        event_status: EventStatus,
        delivery: DeliverySummary,
    },
    /// An attempt finished.
    AttemptCreated {
        event_id: EventId,
        attempt: Box<AttemptOut>,
    },
    /// An endpoint was created, changed or disabled.
    EndpointUpdated {
        endpoint: Box<Endpoint>,
    },
    EndpointDeleted {
        endpoint_id: EndpointId,
    },
    /// The whole event log was cleared; views of events should reload.
    EventsCleared {
        deleted_events: u64,
    },
    /// The time warp was set or turned off. Retries already scheduled were rescaled to the
    /// new factor, so a UI showing `next_attempt_at` should reload it.
    TimeWarpChanged {
        time_warp: TimeWarp,
    },
    /// A catcher received a request (already recorded).
    RequestCaught {
        catcher_id: CatcherId,
        request: CaughtRequestSummary,
    },
    /// A catcher was created or changed, or its requests were cleared.
    CatcherUpdated {
        catcher: Box<CatcherOut>,
    },
    CatcherDeleted {
        catcher_id: CatcherId,
    },
    /// A QA run progressed (at most about 5 times a second) or ended.
    RunUpdated {
        run: RunSummary,
    },
    /// Something under the fixture folder changed, or the folder itself was switched.
    FixturesChanged {
        dir: String,
    },
    /// Demo mode started, stopped or was reset, or sent another 10 events.
    DemoChanged {
        demo: Box<DemoOut>,
    },
}

impl StreamMessage {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::EventCreated { .. } => "event.created",
            Self::DeliveryUpdated { .. } => "delivery.updated",
            Self::AttemptCreated { .. } => "attempt.created",
            Self::EndpointUpdated { .. } => "endpoint.updated",
            Self::EndpointDeleted { .. } => "endpoint.deleted",
            Self::EventsCleared { .. } => "events.cleared",
            Self::TimeWarpChanged { .. } => "time_warp.changed",
            Self::RequestCaught { .. } => "request.caught",
            Self::CatcherUpdated { .. } => "catcher.updated",
            Self::CatcherDeleted { .. } => "catcher.deleted",
            Self::RunUpdated { .. } => "run.updated",
            Self::FixturesChanged { .. } => "fixtures.changed",
            Self::DemoChanged { .. } => "demo.changed",
        }
    }
}

#[derive(Clone)]
pub struct Bus {
    sender: broadcast::Sender<StreamMessage>,
}

impl Default for Bus {
    fn default() -> Self {
        Self { sender: broadcast::channel(CAPACITY).0 }
    }
}

impl Bus {
    pub fn publish(&self, message: StreamMessage) {
        // No subscribers is normal: nobody has the UI open.
        let _ = self.sender.send(message);
    }

    /// Whether anyone listens; lets callers skip building messages nobody reads.
    pub fn has_subscribers(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    pub fn subscribe(&self) -> broadcast::Receiver<StreamMessage> {
        self.sender.subscribe()
    }
}
