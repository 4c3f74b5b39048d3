//! Creating and deleting endpoints, shared by `POST/DELETE /api/v1/endpoints` and in-process
//! callers (catchers), so the delivery engine's endpoint cache and the bus always hear of it.

use chrono::Utc;

use crate::bus::{Bus, StreamMessage};
use crate::delivery::DeliveryEngine;
use crate::ids::EndpointId;
use crate::model::{Endpoint, EndpointIn, ValidationError};
use crate::store::{endpoints, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EndpointChangeError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Validates and stores a new endpoint, then announces it.
pub async fn create(
    store: &Store,
    delivery: &DeliveryEngine,
    bus: &Bus,
    input: EndpointIn,
) -> Result<Endpoint, EndpointChangeError> {
    let endpoint = Endpoint::create(input, Utc::now())?;
    let stored = endpoint.clone();
    store.write(move |conn| endpoints::insert(conn, &stored)).await?;
    announce_changed(delivery, bus, &endpoint);
    Ok(endpoint)
}

/// Deletes an endpoint (its pending deliveries are cancelled) and announces it; false when unknown.
pub async fn delete(store: &Store, delivery: &DeliveryEngine, bus: &Bus, id: &EndpointId) -> Result<bool, StoreError> {
    let target = id.clone();
    let deleted = store.write(move |conn| endpoints::delete(conn, &target)).await?;
    if deleted {
        announce_deleted(delivery, bus, id);
    }
    Ok(deleted)
}

/// After an endpoint was stored: the engine reloads its cache, the UI hears of it.
pub fn announce_changed(delivery: &DeliveryEngine, bus: &Bus, endpoint: &Endpoint) {
    delivery.endpoint_changed(&endpoint.id);
    bus.publish(StreamMessage::EndpointUpdated { endpoint: Box::new(endpoint.clone()) });
}

pub fn announce_deleted(delivery: &DeliveryEngine, bus: &Bus, id: &EndpointId) {
    delivery.endpoint_changed(id);
    bus.publish(StreamMessage::EndpointDeleted { endpoint_id: id.clone() });
}
