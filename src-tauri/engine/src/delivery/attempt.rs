//! One attempt: wait for the endpoint's limits, send, then record the outcome and the next step.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::retry::{decide, AttemptResult, Decision, DeliveryState};
use super::sender::{self, Outgoing, Sent};
use super::DeliveryEngine;
use crate::bus::StreamMessage;
use crate::ids::{AttemptId, EventId};
use crate::model::time::now_ms;
use crate::model::{AttemptOut, AttemptTrigger, DeliveryStatus, DeliverySummary, Endpoint, EventStatus};
use crate::store::deliveries::{AsRead, DeliveryUpdate, DueDelivery};
use crate::store::{attempts, deliveries, endpoints, events, search};

/// Everything one recorded attempt changed, for the live stream.
struct Recorded {
    event_id: EventId,
    event_status: EventStatus,
    delivery: DeliverySummary,
    attempt: AttemptOut,
    disabled: Option<Endpoint>,
}

impl DeliveryEngine {
    /// Runs one attempt of a claimed delivery; returns its status after the attempt, if recorded.
    pub(super) async fn run_attempt(
        &self,
        due: DueDelivery,
        endpoint: Arc<Endpoint>,
        trigger: AttemptTrigger,
    ) -> Option<DeliveryStatus> {
        let cancel = self.inner.cancel.clone();
        let id = due.id.clone();
        let outcome = tokio::select! {
            outcome = self.attempt(due, &endpoint, trigger) => outcome,
            // Shutting down: the delivery stays due and resumes at the next start.
            () = cancel.cancelled() => None,
        };
        self.release(&id, &endpoint);
        let (status, retry_scheduled) = outcome?;
        // Woken only now: while the claim was held, a pass would skip the row as taken and
        // then sleep past its (possibly very near, e.g. under time warp) due time.
        if retry_scheduled {
            self.wake_for_retry(&endpoint.id);
        }
        Some(status)
    }

    /// The status after the attempt, and whether a retry was scheduled.
    async fn attempt(
        &self,
        due: DueDelivery,
        endpoint: &Arc<Endpoint>,
        trigger: AttemptTrigger,
    ) -> Option<(DeliveryStatus, bool)> {
        let slot = self.inner.limits.acquire(endpoint).await?;
        let sent = sender::send(
            &self.inner.clients,
            Outgoing {
                endpoint,
                event_id: due.event_id.as_str(),
                event_name: &due.event_name,
                payload: &due.payload,
                event_created_at_ms: due.event_id.created_at_ms(),
                attempt_number: due.attempt_count + 1,
            },
        )
        .await;
        // The slot bounds requests to the receiver, and this one is over. Recording waits for
        // the writer; holding the slot through it kept the next request from overlapping that
        // write, and gave the writer smaller batches. The breaker counts the answer first, so
        // the next request through the slot is paced if this one failed.
        self.inner.limits.record(&endpoint.id, sent.succeeded());
        drop(slot);
        let id = due.id.clone();
        // From here the attempt only waits for the writer, and the endpoint may send the next.
        let held = due.payload.len() + sent.request.body.len() + sent.response.as_ref().map_or(0, |r| r.body.len());
        self.sent(&id, endpoint, held);
        match self.record(due, endpoint.clone(), trigger, sent).await {
            Ok(recorded) => {
                let outcome = recorded.as_ref().map(|r| (r.delivery.status, r.delivery.next_attempt_at.is_some()));
                self.publish(recorded);
                outcome
            }
            Err(err) => {
                tracing::error!(error = %err, delivery = %id, "could not record an attempt; it will be made again");
                // The row is still due; come back to it once the store may have recovered.
                self.wake_later(super::ERROR_BACKOFF);
                None
            }
        }
    }

    async fn record(
        &self,
        due: DueDelivery,
        endpoint: Arc<Endpoint>,
        trigger: AttemptTrigger,
        sent: Sent,
    ) -> Result<Option<Recorded>, crate::store::StoreError> {
        let result = AttemptResult {
            succeeded: sent.succeeded(),
            status: sent.response.as_ref().map(|r| r.status),
            error_class: sent.error.as_ref().map(|e| e.class),
            retry_after: sent.retry_after,
        };
        let clock = self.time_warp_clock();
        let encoded = attempts::EncodedColumns::of(&sent.request, sent.response.as_ref(), &due.payload)?;
        let duration_ms = u64::try_from(sent.duration.as_millis()).unwrap_or(u64::MAX);
        // Grouped: the job fails only when the database does (a vanished delivery is Ok(None)).
        self.inner
            .store
            .write_grouped(move |conn| {
                let now = now_ms();
                // Read inside the write, which orders it with a change of the time warp.
                let time_warp = clock.factor();
                let id = &due.id;
                let next_step = |row: &AsRead| {
                    let state = DeliveryState {
                        status: row.status,
                        auto_attempt_count: row.auto_attempt_count,
                        next_attempt_at_ms: row.next_attempt_at_ms,
                    };
                    let mut decision = decide(
                        trigger,
                        state,
                        result,
                        &endpoint.retry_schedule,
                        time_warp,
                        now,
                        &mut rand::thread_rng(),
                    );
                    if trigger == AttemptTrigger::Automatic && !state.status.is_active() {
                        // Cancelled while the attempt was in flight: log it, change nothing else.
                        decision.status = state.status;
                        decision.next_attempt_at_ms = state.next_attempt_at_ms;
                    }
                    decision
                };
                let update = |decision: &Decision| DeliveryUpdate {
                    status: decision.status,
                    next_attempt_at_ms: decision.next_attempt_at_ms,
                    counted_as_automatic: trigger == AttemptTrigger::Automatic,
                    last_response_status: result.status,
                    last_duration_ms: duration_ms,
                    now_ms: now,
                };
                // Decided on the row as it was read when claimed, which it nearly always still is.
                let mut before = due.as_read();
                let mut decision = next_step(&before);
                if !deliveries::apply_attempt(conn, id, &update(&decision), Some(&before))? {
                    // It changed meanwhile (cancelled, say): decide again on the row as it is now.
                    let Some(row) = deliveries::get(conn, id)? else { return Ok(None) };
                    before = row.as_read();
                    decision = next_step(&before);
                    deliveries::apply_attempt(conn, id, &update(&decision), None)?;
                }
                let attempt = AttemptOut {
                    id: AttemptId::generate(),
                    delivery_id: id.clone(),
                    number: before.attempt_count + 1,
                    trigger,
                    succeeded: result.succeeded,
                    started_at: DateTime::<Utc>::from(sent.started_at),
                    duration_ms,
                    request: sent.request,
                    response: sent.response,
                    error: sent.error,
                };
                attempts::insert(conn, &attempt, &encoded)?;
                if let Some(response) = &attempt.response {
                    search::index(conn, &due.event_id, &response.body)?;
                }
                let disabled = if decision.disable_endpoint {
                    let reason = format!(
                        "The receiver answered 410 Gone at {}; re-enable the endpoint to resume deliveries.",
                        attempt.started_at.format("%Y-%m-%d %H:%M:%S UTC")
                    );
                    endpoints::disable(conn, &endpoint.id, &reason)?
                } else {
                    let failed_for_good =
                        decision.status == DeliveryStatus::Failed && before.status != DeliveryStatus::Failed;
                    let outcome = endpoints::Outcome {
                        attempt_succeeded: result.succeeded,
                        delivery_failed_for_good: failed_for_good,
                        now_ms: now,
                        time_warp,
                    };
                    endpoints::record_outcome(conn, &endpoint, outcome)?
                };
                // An event's status follows its deliveries', so it can only change when this one's did.
                let event_status = if decision.status == before.status {
                    events::status(conn, &due.event_id)?
                } else {
                    events::refresh_status_after(conn, &due.event_id, before.status, decision.status)?
                };
                let delivery = DeliverySummary {
                    id: id.clone(),
                    endpoint_id: due.endpoint_id.clone(),
                    status: decision.status,
                    attempt_count: before.attempt_count + 1,
                    next_attempt_at: decision.next_attempt_at_ms.map(crate::model::time::from_ms),
                    last_response_status: result.status,
                    last_duration_ms: Some(attempt.duration_ms),
                    updated_at: crate::model::time::from_ms(now),
                };
                Ok(Some(Recorded { event_id: due.event_id, event_status, delivery, attempt, disabled }))
            })
            .await
    }

    fn publish(&self, recorded: Option<Recorded>) {
        let Some(recorded) = recorded else { return };
        if let Some(endpoint) = &recorded.disabled {
            tracing::warn!(endpoint = %endpoint.id, reason = endpoint.disabled_reason.as_deref().unwrap_or(""), "endpoint disabled");
            self.endpoint_changed(&endpoint.id);
        }
        if recorded.delivery.status == DeliveryStatus::Failed {
            tracing::warn!(delivery = %recorded.delivery.id, "delivery failed for good");
        }
        let bus = &self.inner.bus;
        if !bus.has_subscribers() {
            return;
        }
        bus.publish(StreamMessage::AttemptCreated {
            event_id: recorded.event_id.clone(),
            attempt: Box::new(recorded.attempt),
        });
        bus.publish(StreamMessage::DeliveryUpdated {
            event_id: recorded.event_id,
            event_status: recorded.event_status,
            delivery: recorded.delivery,
        });
        if let Some(endpoint) = recorded.disabled {
            bus.publish(StreamMessage::EndpointUpdated { endpoint: Box::new(endpoint) });
        }
    }
}
