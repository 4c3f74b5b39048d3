//! What a person asks of one delivery: attempt it now (waiting for the outcome or not), or cancel it.

use std::sync::Arc;

use super::DeliveryEngine;
use crate::bus::StreamMessage;
use crate::ids::DeliveryId;
use crate::model::time::now_ms;
use crate::model::{AttemptTrigger, DeliveryStatus, DeliverySummary, Endpoint};
use crate::store::deliveries::DueDelivery;
use crate::store::{deliveries, endpoints, events, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryActionError {
    #[error("no delivery with this id")]
    NotFound,
    #[error("the endpoint of this delivery was deleted")]
    EndpointDeleted,
    #[error("an attempt of this delivery is in flight; wait for it to finish")]
    InFlight,
    #[error("this delivery has already ended")]
    AlreadyEnded,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DeliveryEngine {
    /// Claims a delivery for a manual attempt: its row, its summary and its endpoint.
    async fn claim_for_manual(
        &self,
        id: &DeliveryId,
    ) -> Result<(DueDelivery, DeliverySummary, Arc<Endpoint>), DeliveryActionError> {
        let lookup = id.clone();
        let (due, summary, endpoint) = self
            .inner
            .store
            .read(move |conn| {
                let Some(due) = deliveries::load_for_attempt(conn, &lookup)? else { return Ok(None) };
                let summary = deliveries::get(conn, &lookup)?.map(|row| row.summary);
                let endpoint = endpoints::get(conn, &due.endpoint_id)?;
                Ok(summary.map(|summary| (due, summary, endpoint)))
            })
            .await?
            .ok_or(DeliveryActionError::NotFound)?;
        let endpoint = Arc::new(endpoint.ok_or(DeliveryActionError::EndpointDeleted)?);
        // A manual retry may go past the claim cap: a person asked for it.
        let mut claims = self.claims();
        if claims.contains(id) {
            return Err(DeliveryActionError::InFlight);
        }
        claims.take(id, &endpoint.id);
        Ok((due, summary, endpoint))
    }

    /// Attempts a delivery now, whatever its schedule says; the outcome arrives on the stream.
    pub async fn retry_now(&self, id: DeliveryId) -> Result<DeliverySummary, DeliveryActionError> {
        let (due, summary, endpoint) = self.claim_for_manual(&id).await?;
        self.start_claimed(due, endpoint, AttemptTrigger::Manual);
        Ok(summary)
    }

    /// Attempts a delivery now and waits for the outcome: its status afterwards.
    pub async fn attempt_now(&self, id: DeliveryId) -> Result<Option<DeliveryStatus>, DeliveryActionError> {
        let (due, _, endpoint) = self.claim_for_manual(&id).await?;
        Ok(self.run_attempt(due, endpoint, AttemptTrigger::Manual).await)
    }

    /// Stops a pending or retrying delivery from being attempted again.
    pub async fn cancel(&self, id: DeliveryId) -> Result<DeliverySummary, DeliveryActionError> {
        let (summary, event_id, event_status) = self
            .inner
            .store
            .write(move |conn| {
                let Some(row) = deliveries::get(conn, &id)? else { return Ok(Err(DeliveryActionError::NotFound)) };
                if !deliveries::cancel(conn, &id, now_ms())? {
                    return Ok(Err(DeliveryActionError::AlreadyEnded));
                }
                let event_status = events::refresh_status(conn, &row.event_id)?;
                let updated = deliveries::get(conn, &id)?.map(|r| r.summary).unwrap_or(row.summary);
                Ok(Ok((updated, row.event_id, event_status)))
            })
            .await??;
        self.inner.bus.publish(StreamMessage::DeliveryUpdated { event_id, event_status, delivery: summary.clone() });
        Ok(summary)
    }
}
