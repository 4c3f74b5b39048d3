//! Starting the engine: the settings `hooky serve` reads, a native dialog when the
//! port is taken (with a free one on offer, remembered in desktop.json), and a
//! dialog plus exit code 1 for any other problem. Runs after the single-instance
//! check, so a second launch never gets this far.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hooky_engine::config::{default_data_dir, DEFAULT_LISTEN};
use hooky_engine::{Engine, EngineConfig, StartError};
use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use crate::settings::{parse_listen, SettingsPatch, SettingsStore};
use crate::{lifecycle, notify, tray, window};

/// `HOOKY_LISTEN`, `HOOKY_DATA_DIR` and `HOOKY_TOKEN`, as `hooky serve` reads them.
struct Env {
    listen: Option<SocketAddr>,
    data_dir: PathBuf,
    token: Option<String>,
}

impl Env {
    fn read() -> Result<Self, String> {
        let listen = match var("HOOKY_LISTEN") {
            Some(text) => Some(parse_listen(&text).map_err(|why| format!("HOOKY_LISTEN: {why}"))?),
            None => None,
        };
        let data_dir = match var("HOOKY_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => {
                default_data_dir().ok_or("Hooky cannot find a data dir (no home directory?); set HOOKY_DATA_DIR.")?
            }
        };
        Ok(Self { listen, data_dir, token: var("HOOKY_TOKEN") })
    }
}

/// A set, non-empty environment variable.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Starts the engine in the background; the window opens once it answers.
pub fn begin(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        if let Err(message) = start(&app).await {
            tracing::error!("{message}");
            show_error(&app, &message).await;
            app.exit(1);
        }
    });
}

async fn start(app: &AppHandle) -> Result<(), String> {
    let env = Env::read()?;
    let settings = SettingsStore::load(&env.data_dir);
    // HOOKY_LISTEN wins over the port remembered in desktop.json, which wins over the default.
    let remembered = settings.get().listen.and_then(|text| match parse_listen(&text) {
        Ok(addr) => Some(addr),
        Err(why) => {
            tracing::warn!("ignoring listen in desktop.json: {why}");
            None
        }
    });
    app.manage(settings);
    let listen = env.listen.or(remembered).unwrap_or_else(default_listen);
    let mut config = EngineConfig::new(listen, env.data_dir.clone());
    config.token = env.token;

    let Some(engine) = start_engine(config, |busy| ask_for_free_port(app, busy)).await? else {
        tracing::info!("the port is taken and a free one was declined; quitting");
        app.exit(1);
        return Ok(());
    };
    // Moved off a taken port: keep the new one (port 0, "any free port", is kept as asked).
    if listen.port() != 0 && engine.local_addr() != listen {
        remember_listen(app, engine.local_addr());
    }
    tracing::info!(base_url = %engine.base_url(), data_dir = %engine.data_dir().display(), "Hooky API ready");
    started(app, engine)
}

fn default_listen() -> SocketAddr {
    parse_listen(DEFAULT_LISTEN).unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 7717)))
}

/// Starts the engine; when the port is taken, asks `use_free_port` and, if it agrees,
/// starts on a free port of the same address. `Ok(None)`: the user declined.
pub async fn start_engine<F, Fut>(config: EngineConfig, use_free_port: F) -> Result<Option<Engine>, String>
where
    F: FnOnce(SocketAddr) -> Fut,
    Fut: Future<Output = bool>,
{
    let data_dir = config.data_dir.clone();
    match Engine::start(config.clone()).await {
        Ok(engine) => Ok(Some(engine)),
        Err(err) if err.is_port_in_use() => {
            tracing::warn!(error = %err, "the port is taken; asking whether to use a free one");
            if !use_free_port(config.listen).await {
                return Ok(None);
            }
            let free = EngineConfig { listen: SocketAddr::new(config.listen.ip(), 0), ..config };
            Engine::start(free).await.map(Some).map_err(|err| describe(&err, &data_dir))
        }
        Err(err) => Err(describe(&err, &data_dir)),
    }
}

/// The error in the desktop's words: it has no command-line flags to point at.
fn describe(err: &StartError, data_dir: &Path) -> String {
    match err {
        StartError::DataDirInUse(_) => format!(
            "Another Hooky (perhaps “hooky serve”) is already using the data dir {}.\n\n\
             Stop it and open Hooky again, or set HOOKY_DATA_DIR to use another data dir.",
            data_dir.display()
        ),
        other => format!("Hooky cannot start: {other}."),
    }
}

/// Keeps the port the engine got, so the trigger URL stays the same from launch to launch.
fn remember_listen(app: &AppHandle, addr: SocketAddr) {
    let Some(settings) = app.try_state::<SettingsStore>() else { return };
    let patch = SettingsPatch { listen: Some(addr.to_string()), ..SettingsPatch::default() };
    match settings.update(|current| current.patched(patch)) {
        Ok(_) => tracing::info!(%addr, "remembered the listen address in desktop.json"),
        Err(why) => tracing::warn!("{why}"),
    }
}

/// The engine answers: hand it to the app, open the window, fill the tray, watch the stream.
fn started(app: &AppHandle, engine: Engine) -> Result<(), String> {
    let connection = window::ApiConnection { base_url: engine.base_url(), token: engine.token().to_owned() };
    app.manage(connection.clone());
    tray::follow(app, &engine);
    notify::follow(app, &engine);
    lifecycle::hold(app, engine);
    window::open(app, &connection.base_url).map_err(|err| format!("Hooky cannot open its window: {err}."))?;
    Ok(())
}

async fn ask_for_free_port(app: &AppHandle, busy: SocketAddr) -> bool {
    let message = format!(
        "Hooky cannot listen on {busy}: another program is using port {} (perhaps “hooky serve”).\n\n\
         Hooky can use a free port instead, and will keep using it next time.",
        busy.port()
    );
    let (answer, answered) = tokio::sync::oneshot::channel();
    app.dialog()
        .message(message)
        .title(format!("Port {} is in use", busy.port()))
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom("Use a free port".into(), "Quit".into()))
        .show(move |ok| {
            let _ = answer.send(ok);
        });
    answered.await.unwrap_or(false)
}

async fn show_error(app: &AppHandle, message: &str) {
    let (done, closed) = tokio::sync::oneshot::channel();
    app.dialog()
        .message(message)
        .title("Hooky cannot start")
        .kind(MessageDialogKind::Error)
        .buttons(MessageDialogButtons::OkCustom("Quit".into()))
        .show(move |_| {
            let _ = done.send(());
        });
    let _ = closed.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hooky-desktop-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test]
    async fn a_taken_port_moves_to_a_free_one_only_when_accepted() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let busy = taken.local_addr().expect("addr");
        let dir = temp_dir("port");
        let config = EngineConfig::new(busy, dir.clone());

        let declined = start_engine(config.clone(), |_| async { false }).await.expect("no error");
        assert!(declined.is_none());

        let mut asked = None;
        let engine = start_engine(config, |addr| {
            asked = Some(addr);
            async { true }
        })
        .await
        .expect("no error")
        .expect("started");
        assert_eq!(asked, Some(busy));
        assert_ne!(engine.local_addr().port(), busy.port());
        assert!(engine.local_addr().ip().is_loopback());
        engine.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_data_dir_in_use_says_so_in_desktop_words() {
        let dir = temp_dir("lock");
        let first = Engine::start(EngineConfig::new(default_free(), dir.clone())).await.expect("first");
        let second = start_engine(EngineConfig::new(default_free(), dir.clone()), |_| async { true }).await;
        let message = second.err().expect("refused");
        assert!(message.contains("already using the data dir"), "{message}");
        assert!(message.contains("HOOKY_DATA_DIR"), "{message}");
        first.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn default_free() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }
}
