//! The composition root: starts the store, the delivery engine and the HTTP API,
//! and stops all of them with one cancellation token.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fs4::fs_std::FileExt;
use rand::RngCore;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::security::Security;
use crate::api::{self, AppState, RouterConfig};
use crate::bus::{Bus, StreamMessage};
use crate::catchers::Catchers;
use crate::config::{EngineConfig, DB_FILE, LOCK_FILE, TOKEN_FILE};
use crate::delivery::DeliveryEngine;
use crate::demo::Demo;
use crate::fixtures::{self, FolderWatch};
use crate::retention::Retention;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("Hooky listens on loopback only; {0} is not a loopback address (use 127.0.0.1 or [::1])")]
    NotLoopback(SocketAddr),
    #[error("cannot use the data dir {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("another Hooky is already running on the data dir {0}; stop it, or pass another --data-dir")]
    DataDirInUse(PathBuf),
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("cannot set the time warp: {0}")]
    TimeWarp(#[from] crate::delivery::TimeWarpError),
}

impl StartError {
    /// True when the port is taken, so a caller can offer another one.
    pub fn is_port_in_use(&self) -> bool {
        matches!(self, Self::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse)
    }
}

/// A running engine. Dropping it does not stop it; call [`Engine::shutdown`].
pub struct Engine {
    addr: SocketAddr,
    token: String,
    data_dir: PathBuf,
    cancel: CancellationToken,
    server: JoinHandle<()>,
    delivery: DeliveryEngine,
    store: Store,
    bus: Bus,
    catchers: Catchers,
    _lock: File,
}

impl Engine {
    pub async fn start(config: EngineConfig) -> Result<Self, StartError> {
        if !config.listen.ip().is_loopback() {
            return Err(StartError::NotLoopback(config.listen));
        }
        let data_dir = config.data_dir.clone();
        let dir_error = |source| StartError::DataDir { path: data_dir.clone(), source };
        fs::create_dir_all(&data_dir).map_err(dir_error)?;
        let lock = lock_data_dir(&data_dir)?;
        let token = match config.token.clone().filter(|t| !t.is_empty()) {
            Some(token) => token,
            None => load_or_create_token(&data_dir.join(TOKEN_FILE)).map_err(dir_error)?,
        };
        let store = Store::open(&data_dir.join(DB_FILE))?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Bind { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.listen, source })?;

        let cancel = CancellationToken::new();
        let bus = Bus::default();
        let delivery = DeliveryEngine::new(store.clone(), bus.clone(), cancel.clone())?;
        delivery.load_time_warp().await?;
        if let Some(factor) = config.time_warp {
            delivery.set_time_warp(Some(factor)).await?;
        }
        let time_warp = delivery.time_warp();
        if time_warp.enabled {
            tracing::info!(factor = time_warp.factor, "time warp on: retry schedules run {}x faster", time_warp.factor);
        }
        delivery.start();
        // Retention: purges old events now, every 10 minutes and after a settings change;
        // the task ends when `cancel` fires.
        let retention = Retention::start(store.clone(), cancel.clone());
        // The fixture folder: the default one exists from the start; changes in the one in
        // use are announced on the bus until `cancel` fires.
        let default_fixtures = fixtures::default_dir(&data_dir);
        if let Err(error) = fs::create_dir_all(&default_fixtures) {
            tracing::warn!(%error, dir = %default_fixtures.display(), "cannot create the default fixture folder");
        }
        let fixtures_dir = fixtures::current_dir(&store, &data_dir).await?;
        let fixtures = FolderWatch::start(fixtures_dir, bus.clone(), cancel.clone());

        let security = Arc::new(Security::new(
            token.clone(),
            addr.port(),
            addr.ip(),
            config.require_trigger_token,
            &config.extra_origins,
        ));
        let catchers = Catchers::new(store.clone(), bus.clone(), delivery.clone(), addr, cancel.clone());
        let demo = Demo::new(store.clone(), bus.clone(), delivery.clone(), catchers.clone(), cancel.clone());
        let state = AppState::new(crate::api::Services {
            store: store.clone(),
            bus: bus.clone(),
            delivery: delivery.clone(),
            cancel: cancel.clone(),
            listen: addr,
            data_dir: Arc::new(data_dir.clone()),
            require_trigger_token: config.require_trigger_token,
            jobs: Arc::default(),
            retention,
            catchers: catchers.clone(),
            runs: Arc::default(),
            fixtures,
            demo,
        });
        let app =
            api::router(state, RouterConfig { security, max_body_bytes: config.max_body_bytes, ui_dir: config.ui_dir });
        let shutdown = cancel.clone();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, axum::ServiceExt::<axum::extract::Request>::into_make_service(app))
                .with_graceful_shutdown(async move { shutdown.cancelled().await });
            if let Err(err) = serve.await {
                tracing::error!(error = %err, "HTTP server stopped");
            }
        });
        tracing::info!(%addr, data_dir = %data_dir.display(), "Hooky engine started");
        Ok(Self { addr, token, data_dir, cancel, server, delivery, store, bus, catchers, _lock: lock })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The store, for in-process readers such as [`crate::activity`]; a cheap handle to clone.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Every change as it happens, the same messages as the live stream (`GET /api/v1/stream`).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<StreamMessage> {
        self.bus.subscribe()
    }

    /// The time warp in force.
    pub fn time_warp(&self) -> crate::model::TimeWarp {
        self.delivery.time_warp()
    }

    /// The catchers service (the same the `/api/v1/catchers` routes use); a cheap handle to clone.
    pub fn catchers(&self) -> &Catchers {
        &self.catchers
    }

    /// A token that fires when the engine is asked to stop.
    pub fn cancellation(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Stops taking requests, abandons attempts in flight (they stay due) and waits for everything to end.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let _ = self.server.await;
        self.delivery.stopped().await;
        // Before the data dir's lock goes: a new engine on it must not meet this one's connections.
        let store = self.store.clone();
        if let Err(err) = tokio::task::spawn_blocking(move || store.close()).await {
            tracing::error!(error = %err, "closing the store failed");
        }
        tracing::info!("Hooky engine stopped");
    }
}

fn lock_data_dir(dir: &Path) -> Result<File, StartError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StartError::DataDir { path: path.clone(), source })?;
    match file.try_lock_exclusive() {
        Ok(true) => Ok(file),
        Ok(false) => Err(StartError::DataDirInUse(dir.to_path_buf())),
        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => Err(StartError::DataDirInUse(dir.to_path_buf())),
        Err(source) => Err(StartError::DataDir { path, source }),
    }
}

/// Reads the token, or makes a random one readable by the owner only.
fn load_or_create_token(path: &Path) -> std::io::Result<String> {
    if let Ok(existing) = fs::read_to_string(path) {
        let existing = existing.trim().to_owned();
        if !existing.is_empty() {
            return Ok(existing);
        }
    }
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(token.as_bytes())?;
    file.sync_all()?;
    Ok(token)
}
