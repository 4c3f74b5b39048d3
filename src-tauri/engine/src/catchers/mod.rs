//! Catchers: mock receivers Hooky hosts at `/catch/{name}`. This module is the service the
//! API handlers (and in-process callers such as a demo mode) use; handlers stay thin.

mod positions;
mod receive;
mod signature;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::bus::{Bus, StreamMessage};
use crate::delivery::DeliveryEngine;
use crate::endpoint_service;
use crate::ids::{CatcherId, CaughtRequestId};
use crate::model::catcher::validate_name;
use crate::model::time::from_ms;
use crate::model::{
    Catcher, CatcherIn, CatcherOut, CatcherPatch, CaughtRequestOut, CaughtRequestSummary, Endpoint, EndpointIn,
    SubscribeIn, ValidationError, VerifySpec,
};
use crate::store::catchers::CatcherRow;
use crate::store::{catchers, caught_requests, endpoints, Store, StoreError};
use positions::Positions;

pub use receive::{Answer, Incoming};

#[derive(Debug, thiserror::Error)]
pub enum CatcherError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("a catcher named {0:?} already exists")]
    NameTaken(String),
    #[error("no catcher with this id")]
    NotFound,
    #[error("no caught request with this id")]
    RequestNotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Inner {
    store: Store,
    bus: Bus,
    delivery: DeliveryEngine,
    /// Where the catch route listens, for catcher URLs.
    listen: SocketAddr,
    /// Ends hanging and delayed answers when the engine stops.
    cancel: CancellationToken,
    positions: Positions,
}

/// The catchers service; a cheap handle to clone.
#[derive(Clone)]
pub struct Catchers {
    inner: Arc<Inner>,
}

impl Catchers {
    pub fn new(
        store: Store,
        bus: Bus,
        delivery: DeliveryEngine,
        listen: SocketAddr,
        cancel: CancellationToken,
    ) -> Self {
        Self { inner: Arc::new(Inner { store, bus, delivery, listen, cancel, positions: Positions::default() }) }
    }

    /// `http://{listen address}/catch/{name}`.
    pub fn url_for(&self, name: &str) -> String {
        format!("http://{}/catch/{name}", self.inner.listen)
    }

    /// Fires when the engine stops; a hanging answer gives up then.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.inner.cancel
    }

    fn out(&self, row: CatcherRow) -> CatcherOut {
        let CatcherRow { catcher, request_count, last_request_at_ms } = row;
        CatcherOut {
            url: self.url_for(&catcher.name),
            position: self.inner.positions.get(&catcher.id),
            id: catcher.id,
            name: catcher.name,
            script: catcher.script,
            verify: catcher.verify,
            endpoint_id: catcher.endpoint_id,
            request_count,
            last_request_at: last_request_at_ms.map(from_ms),
            created_at: catcher.created_at,
        }
    }

    fn announce(&self, out: &CatcherOut) {
        self.inner.bus.publish(StreamMessage::CatcherUpdated { catcher: Box::new(out.clone()) });
    }

    pub async fn list(&self) -> Result<Vec<CatcherOut>, CatcherError> {
        let rows = self.inner.store.read(catchers::list).await?;
        Ok(rows.into_iter().map(|row| self.out(row)).collect())
    }

    pub async fn get(&self, id: &CatcherId) -> Result<CatcherOut, CatcherError> {
        let id = id.clone();
        let row = self.inner.store.read(move |conn| catchers::get_row(conn, &id)).await?;
        row.map(|row| self.out(row)).ok_or(CatcherError::NotFound)
    }

    /// Creates a catcher; with `subscribe`, also an endpoint that delivers to it, whose
    /// secrets the catcher then verifies with. Both are stored in one transaction.
    pub async fn create(&self, input: CatcherIn) -> Result<CatcherOut, CatcherError> {
        validate_name(&input.name)?;
        let script = input.script.unwrap_or_default();
        script.validate("script")?;
        let endpoint = input.subscribe.map(|subscribe| self.endpoint_for(&input.name, subscribe)).transpose()?;
        let verify = match &endpoint {
            Some(endpoint) => Some(VerifySpec { secret: None, endpoint_id: Some(endpoint.id.clone()) }),
            None => input.verify,
        };
        if let Some(verify) = &verify {
            verify.validate()?;
        }
        let now = from_ms(Utc::now().timestamp_millis());
        let catcher = Catcher {
            id: CatcherId::generate(),
            name: input.name,
            script,
            verify,
            endpoint_id: endpoint.as_ref().map(|endpoint| endpoint.id.clone()),
            created_at: now,
            updated_at: now,
        };
        let (stored, stored_endpoint) = (catcher.clone(), endpoint.clone());
        self.inner
            .store
            .write(move |conn| {
                if catchers::name_taken(conn, &stored.name)? {
                    return Ok(Err(CatcherError::NameTaken(stored.name)));
                }
                if stored_endpoint.is_none() {
                    if let Err(invalid) = check_verify_endpoint(conn, stored.verify.as_ref())? {
                        return Ok(Err(invalid.into()));
                    }
                }
                if let Some(endpoint) = &stored_endpoint {
                    endpoints::insert(conn, endpoint)?;
                }
                catchers::insert(conn, &stored)?;
                Ok(Ok(()))
            })
            .await??;
        if let Some(endpoint) = &endpoint {
            endpoint_service::announce_changed(&self.inner.delivery, &self.inner.bus, endpoint);
        }
        self.inner.positions.reset(&catcher.id);
        let out = self.out(CatcherRow { catcher, request_count: 0, last_request_at_ms: None });
        self.announce(&out);
        Ok(out)
    }

    /// Announces catchers an import has stored, each at the start of its status sequence.
    pub fn imported(&self, stored: Vec<Catcher>) -> Vec<CatcherOut> {
        stored
            .into_iter()
            .map(|catcher| {
                self.inner.positions.reset(&catcher.id);
                let out = self.out(CatcherRow { catcher, request_count: 0, last_request_at_ms: None });
                self.announce(&out);
                out
            })
            .collect()
    }

    /// The endpoint `subscribe` asks for, built as `POST /api/v1/endpoints` would build it.
    fn endpoint_for(&self, name: &str, subscribe: SubscribeIn) -> Result<Endpoint, ValidationError> {
        let input = EndpointIn {
            url: self.url_for(name),
            name: subscribe.name.unwrap_or_else(|| format!("catcher {name}")),
            description: format!("Delivers to Hooky's catcher {name:?}."),
            event_filter: subscribe.event_filter,
            enabled: None,
            timeout_ms: subscribe.timeout_ms,
            retry_schedule: subscribe.retry_schedule,
            max_in_flight: None,
            rate_limit_per_s: None,
            headers: Default::default(),
            header_style: None,
            payload_format: None,
            verify_tls: None,
            auto_disable: None,
            secret: None,
        };
        Endpoint::create(input, Utc::now())
            .map_err(|invalid| ValidationError::new(format!("subscribe.{}", invalid.field), invalid.message))
    }

    /// Changes the script and/or verification; a new script restarts its status sequence.
    pub async fn update(&self, id: &CatcherId, patch: CatcherPatch) -> Result<CatcherOut, CatcherError> {
        if let Some(script) = &patch.script {
            script.validate("script")?;
        }
        if let Some(Some(verify)) = &patch.verify {
            verify.validate()?;
        }
        let script_changed = patch.script.is_some();
        let target = id.clone();
        let row = self
            .inner
            .store
            .write(move |conn| {
                let Some(mut catcher) = catchers::get(conn, &target)? else { return Ok(Err(CatcherError::NotFound)) };
                if let Some(verify) = patch.verify {
                    if let Err(invalid) = check_verify_endpoint(conn, verify.as_ref())? {
                        return Ok(Err(invalid.into()));
                    }
                    catcher.verify = verify;
                }
                if let Some(script) = patch.script {
                    catcher.script = script;
                }
                catcher.updated_at = from_ms(Utc::now().timestamp_millis());
                catchers::update(conn, &catcher)?;
                Ok(Ok(catchers::get_row(conn, &target)?))
            })
            .await??
            .ok_or(CatcherError::NotFound)?;
        if script_changed {
            self.inner.positions.reset(id);
        }
        let out = self.out(row);
        self.announce(&out);
        Ok(out)
    }

    /// Deletes a catcher and what it caught; `with_endpoint` also deletes the endpoint made with it.
    pub async fn delete(&self, id: &CatcherId, with_endpoint: bool) -> Result<(), CatcherError> {
        let target = id.clone();
        let (catcher, endpoint_deleted) = self
            .inner
            .store
            .write(move |conn| {
                let Some(catcher) = catchers::delete(conn, &target)? else { return Ok(None) };
                let endpoint_deleted = match (&catcher.endpoint_id, with_endpoint) {
                    (Some(endpoint_id), true) => endpoints::delete(conn, endpoint_id)?,
                    _ => false,
                };
                Ok(Some((catcher, endpoint_deleted)))
            })
            .await?
            .ok_or(CatcherError::NotFound)?;
        if let (Some(endpoint_id), true) = (&catcher.endpoint_id, endpoint_deleted) {
            endpoint_service::announce_deleted(&self.inner.delivery, &self.inner.bus, endpoint_id);
        }
        self.inner.positions.forget(id);
        self.inner.bus.publish(StreamMessage::CatcherDeleted { catcher_id: id.clone() });
        Ok(())
    }

    /// Caught requests, newest first, older than `before` when given.
    pub async fn requests(
        &self,
        id: &CatcherId,
        before: Option<CaughtRequestId>,
        limit: u32,
    ) -> Result<Vec<CaughtRequestSummary>, CatcherError> {
        let id = id.clone();
        self.inner
            .store
            .read(move |conn| {
                if catchers::get(conn, &id)?.is_none() {
                    return Ok(None);
                }
                caught_requests::list(conn, &id, before.as_ref(), limit).map(Some)
            })
            .await?
            .ok_or(CatcherError::NotFound)
    }

    pub async fn request(
        &self,
        id: &CatcherId,
        request_id: &CaughtRequestId,
    ) -> Result<CaughtRequestOut, CatcherError> {
        let (id, request_id) = (id.clone(), request_id.clone());
        let found = self
            .inner
            .store
            .read(move |conn| {
                if catchers::get(conn, &id)?.is_none() {
                    return Ok(Err(CatcherError::NotFound));
                }
                Ok(caught_requests::get(conn, &id, &request_id)?.ok_or(CatcherError::RequestNotFound))
            })
            .await??;
        Ok(found.into_out())
    }

    /// Forgets everything the catcher caught.
    pub async fn clear_requests(&self, id: &CatcherId) -> Result<(), CatcherError> {
        let target = id.clone();
        let row = self
            .inner
            .store
            .write(move |conn| {
                if catchers::get(conn, &target)?.is_none() {
                    return Ok(None);
                }
                caught_requests::clear(conn, &target)?;
                catchers::get_row(conn, &target)
            })
            .await?
            .ok_or(CatcherError::NotFound)?;
        self.announce(&self.out(row));
        Ok(())
    }
}

/// A `verify.endpoint_id` must name an endpoint that exists now.
fn check_verify_endpoint(
    conn: &rusqlite::Connection,
    verify: Option<&VerifySpec>,
) -> Result<Result<(), ValidationError>, StoreError> {
    match verify.and_then(|verify| verify.endpoint_id.as_ref()) {
        Some(endpoint_id) if !endpoints::exists(conn, endpoint_id)? => {
            Ok(Err(ValidationError::new("verify.endpoint_id", "no endpoint with this id")))
        }
        _ => Ok(Ok(())),
    }
}
