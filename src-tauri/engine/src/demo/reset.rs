//! Reset: stop the generator, delete exactly what the demo created, and give the time
//! warp back. Works from the stored records, so also after a restart.

use super::{load, Demo, DemoError, DemoResetOut, DEMO_KEY, DEMO_TIME_WARP};
use crate::catchers::CatcherError;
use crate::endpoint_service;
use crate::ids::{CatcherId, EndpointId};
use crate::model::time::now_ms;
use crate::store::demo_items::{self, DemoItemKind};
use crate::store::{retention, settings};

/// Events deleted per write, so triggers and attempts keep committing meanwhile.
const EVENT_BATCH: u32 = 500;
const SWEEP_CHUNK: u32 = 1000;

impl Demo {
    /// Deletes the demo's catchers, endpoints and events (with their deliveries and attempts)
    /// and turns the time warp off if the demo turned it on and nobody changed it since.
    /// Nothing to reset is not an error.
    pub async fn reset(&self) -> Result<DemoResetOut, DemoError> {
        let mut control = self.inner.control.lock().await;
        self.stop_generator(&mut control).await;
        let store = &self.inner.store;
        let (stored, catchers, endpoints) = store
            .read(|conn| {
                Ok((
                    load(conn)?,
                    demo_items::recorded(conn, DemoItemKind::Catcher)?,
                    demo_items::recorded(conn, DemoItemKind::Endpoint)?,
                ))
            })
            .await?;
        let mut deleted_catchers = 0;
        for id in catchers.iter().filter_map(|id| CatcherId::parse(id)) {
            match self.inner.catchers.delete(&id, false).await {
                Ok(()) => deleted_catchers += 1,
                Err(CatcherError::NotFound) => {}
                Err(err) => return Err(err.into()),
            }
        }
        let mut deleted_endpoints = 0;
        for id in endpoints.iter().filter_map(|id| EndpointId::parse(id)) {
            if endpoint_service::delete(store, &self.inner.delivery, &self.inner.bus, &id).await? {
                deleted_endpoints += 1;
            }
        }
        let mut deleted_events = 0;
        loop {
            let batch = store.write(|conn| demo_items::delete_events_batch(conn, EVENT_BATCH)).await?;
            deleted_events += batch;
            if batch < u64::from(EVENT_BATCH) {
                break;
            }
        }
        if deleted_events > 0 {
            let mut after = 0;
            while let Some(last) =
                store.write_search(move |conn| retention::sweep_search_index(conn, after, SWEEP_CHUNK)).await?
            {
                after = last;
            }
        }
        let warp = self.inner.delivery.time_warp();
        if stored.is_some_and(|s| s.turned_time_warp_on) && warp.factor == DEMO_TIME_WARP {
            self.inner.delivery.set_time_warp(None).await?;
        }
        store
            .write(|conn| {
                demo_items::clear(conn)?;
                settings::put(conn, DEMO_KEY, None, now_ms())
            })
            .await?;
        drop(control);
        tracing::info!(deleted_catchers, deleted_endpoints, deleted_events, "demo reset");
        self.announce().await?;
        Ok(DemoResetOut {
            deleted_catchers,
            deleted_endpoints,
            deleted_events,
            time_warp: self.inner.delivery.time_warp(),
        })
    }
}
