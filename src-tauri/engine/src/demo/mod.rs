//! Demo mode: one call sets up four mock receivers (healthy, slow, flaky, down) subscribed
//! to `order.*`, turns the time warp on and sends realistic order events until stopped;
//! a reset deletes exactly what the demo created (recorded in `demo_items`).

mod generator;
mod model;
mod orders;
mod reset;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::bus::{Bus, StreamMessage};
use crate::catchers::{CatcherError, Catchers};
use crate::delivery::{DeliveryEngine, TimeWarpError};
use crate::ids::{CatcherId, EndpointId};
use crate::model::time::{from_ms, now_ms};
use crate::model::{CatcherIn, SubscribeIn, ValidationError};
use crate::store::demo_items::{self, DemoItemKind};
use crate::store::{settings, Store, StoreError};

pub use model::{DemoIn, DemoOut, DemoResetOut, DEFAULT_INTERVAL_MS, DEMO_TIME_WARP};
use model::{StoredDemo, CATCHERS};

/// The setting that holds [`StoredDemo`] while the demo is active.
const DEMO_KEY: &str = "demo";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo is already running; stop or reset it first")]
    Running,
    #[error("a catcher named {0:?} already exists and is not part of the demo; rename or delete it to start the demo")]
    NameTaken(String),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Catcher(#[from] CatcherError),
    #[error(transparent)]
    TimeWarp(#[from] TimeWarpError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The generator task while it runs.
struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

struct Inner {
    store: Store,
    bus: Bus,
    delivery: DeliveryEngine,
    catchers: Catchers,
    /// The engine's token: the generator ends with the engine.
    cancel: CancellationToken,
    /// Start, stop and reset one at a time.
    control: Mutex<Option<Running>>,
    /// Mirrors `control` for readers that must not wait behind a reset.
    running: AtomicBool,
}

/// The demo service; a cheap handle to clone.
#[derive(Clone)]
pub struct Demo {
    inner: Arc<Inner>,
}

impl Demo {
    pub fn new(
        store: Store,
        bus: Bus,
        delivery: DeliveryEngine,
        catchers: Catchers,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                bus,
                delivery,
                catchers,
                cancel,
                control: Mutex::new(None),
                running: AtomicBool::new(false),
            }),
        }
    }

    /// The current state, from the store (so it is right after a restart too).
    pub async fn state(&self) -> Result<DemoOut, StoreError> {
        let (stored, catchers, endpoints, events_sent) = self
            .inner
            .store
            .read(|conn| {
                Ok((
                    load(conn)?,
                    demo_items::existing(conn, DemoItemKind::Catcher)?,
                    demo_items::existing(conn, DemoItemKind::Endpoint)?,
                    demo_items::count(conn, DemoItemKind::Event)?,
                ))
            })
            .await?;
        Ok(DemoOut {
            running: self.inner.running.load(Ordering::SeqCst),
            active: stored.is_some() || !catchers.is_empty() || !endpoints.is_empty() || events_sent > 0,
            started_at: stored.as_ref().map(|s| from_ms(s.started_at_ms)),
            events_sent,
            catchers: catchers.iter().filter_map(|id| CatcherId::parse(id)).collect(),
            endpoints: endpoints.iter().filter_map(|id| EndpointId::parse(id)).collect(),
            interval_ms: stored.map_or(DEFAULT_INTERVAL_MS, |s| s.interval_ms),
            time_warp: self.inner.delivery.time_warp(),
        })
    }

    /// Sets up what is missing (all of it on a first start), turns the time warp on if it
    /// is off, and starts the generator. A stopped or restarted demo resumes with its catchers.
    pub async fn start(&self, input: DemoIn) -> Result<DemoOut, DemoError> {
        input.validate()?;
        let mut control = self.inner.control.lock().await;
        if control.is_some() {
            return Err(DemoError::Running);
        }
        let before = self.inner.store.read(load).await?;
        self.ensure_catchers().await?;
        let turned_on = if self.inner.delivery.time_warp().enabled {
            false
        } else {
            self.inner.delivery.set_time_warp(Some(DEMO_TIME_WARP)).await?;
            true
        };
        let stored = StoredDemo {
            started_at_ms: before.as_ref().map_or_else(now_ms, |b| b.started_at_ms),
            interval_ms: input.interval_ms.or(before.as_ref().map(|b| b.interval_ms)).unwrap_or(DEFAULT_INTERVAL_MS),
            turned_time_warp_on: turned_on || before.as_ref().is_some_and(|b| b.turned_time_warp_on),
        };
        let value = serde_json::to_value(&stored).map_err(StoreError::from)?;
        self.inner.store.write(move |conn| settings::put(conn, DEMO_KEY, Some(&value), now_ms())).await?;
        self.inner.running.store(true, Ordering::SeqCst);
        // Announced before the first event, so a UI knows the demo's endpoints when it arrives.
        let announced = self.announce().await;
        let stop = self.inner.cancel.child_token();
        let task = tokio::spawn(generator::run(self.clone(), stored.interval_ms, stop.clone()));
        *control = Some(Running { stop, task });
        drop(control);
        tracing::info!(interval_ms = stored.interval_ms, "demo started");
        announced
    }

    /// Stops the generator; everything it made stays. Stopping a stopped demo changes nothing.
    pub async fn stop(&self) -> Result<DemoOut, DemoError> {
        let mut control = self.inner.control.lock().await;
        let was_running = self.stop_generator(&mut control).await;
        drop(control);
        if was_running {
            tracing::info!("demo stopped");
            return self.announce().await;
        }
        Ok(self.state().await?)
    }

    /// Ends the generator task and waits for it; true when it was running.
    async fn stop_generator(&self, control: &mut Option<Running>) -> bool {
        let Some(running) = control.take() else { return false };
        running.stop.cancel();
        if let Err(err) = running.task.await {
            tracing::warn!(error = %err, "the demo generator ended badly");
        }
        self.inner.running.store(false, Ordering::SeqCst);
        true
    }

    /// Tells open UIs the new state, and returns it.
    async fn announce(&self) -> Result<DemoOut, DemoError> {
        let demo = self.state().await?;
        self.inner.bus.publish(StreamMessage::DemoChanged { demo: Box::new(demo.clone()) });
        Ok(demo)
    }

    /// Creates the demo catchers (each with its endpoint) that do not exist yet; the demo's
    /// own are kept. Checks every name first, so a taken one creates nothing.
    async fn ensure_catchers(&self) -> Result<(), DemoError> {
        let ours = self.inner.store.read(|conn| demo_items::existing(conn, DemoItemKind::Catcher)).await?;
        let existing = self.inner.catchers.list().await?;
        let mut missing = Vec::new();
        for spec in &CATCHERS {
            match existing.iter().find(|catcher| catcher.name == spec.name) {
                Some(catcher) if ours.iter().any(|id| id == catcher.id.as_str()) => {}
                Some(_) => return Err(DemoError::NameTaken(spec.name.to_owned())),
                None => missing.push(spec),
            }
        }
        for spec in missing {
            let created = self
                .inner
                .catchers
                .create(CatcherIn {
                    name: spec.name.to_owned(),
                    script: Some(spec.script()),
                    verify: None,
                    subscribe: Some(SubscribeIn {
                        event_filter: Some(vec!["order.*".to_owned()]),
                        name: Some(spec.endpoint_name.to_owned()),
                        timeout_ms: None,
                        // The default (Svix) schedule, so the time warp shows it.
                        retry_schedule: None,
                    }),
                })
                .await;
            let created = match created {
                Err(CatcherError::NameTaken(name)) => return Err(DemoError::NameTaken(name)),
                other => other?,
            };
            // A crash before this write leaves one catcher unrecorded: a reset then keeps it.
            self.inner
                .store
                .write(move |conn| {
                    demo_items::record(conn, DemoItemKind::Catcher, created.id.as_str())?;
                    match &created.endpoint_id {
                        Some(endpoint_id) => demo_items::record(conn, DemoItemKind::Endpoint, endpoint_id.as_str()),
                        None => Ok(()),
                    }
                })
                .await?;
        }
        Ok(())
    }
}

fn load(conn: &rusqlite::Connection) -> Result<Option<StoredDemo>, StoreError> {
    match settings::get(conn, DEMO_KEY)? {
        None => Ok(None),
        Some(value) => Ok(serde_json::from_value(value).ok()),
    }
}
