//! Hooky's desktop shell: starts the engine in-process, then opens a window on
//! the web UI, which talks to the engine's HTTP API like any other client.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hooky_engine::config::{default_data_dir, DEFAULT_LISTEN};
use hooky_engine::{Engine, EngineConfig};
use serde::Serialize;
use tracing_subscriber::EnvFilter;

/// How the web UI reaches the engine's HTTP API.
#[derive(Debug, Clone, Serialize)]
struct ApiConnection {
    base_url: String,
    token: String,
}

/// The shell's only command: where the engine listens, and its management token.
#[tauri::command]
fn api_connection(connection: tauri::State<'_, ApiConnection>) -> ApiConnection {
    connection.inner().clone()
}

fn main() -> ExitCode {
    init_tracing();

    let config = match engine_config() {
        Ok(config) => config,
        Err(message) => {
            tracing::error!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let engine = match tauri::async_runtime::block_on(Engine::start(config)) {
        Ok(engine) => engine,
        Err(err) => {
            // A dialog explaining the problem is left for later; the log says why.
            tracing::error!(error = %err, "cannot start the Hooky engine");
            return ExitCode::FAILURE;
        }
    };
    let connection = ApiConnection { base_url: engine.base_url(), token: engine.token().to_owned() };
    tracing::info!(base_url = %connection.base_url, "Hooky API ready");

    let app = tauri::Builder::default()
        .manage(connection)
        .invoke_handler(tauri::generate_handler![api_connection])
        .build(tauri::generate_context!());
    let code = match app {
        Ok(app) => app.run_return(|_, _| {}),
        Err(err) => {
            tracing::error!(error = %err, "cannot start the desktop window");
            1
        }
    };

    tauri::async_runtime::block_on(engine.shutdown());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Logs to stderr; `RUST_LOG` overrides the default level (info).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

/// The same settings as `hooky serve`, read from `HOOKY_LISTEN`, `HOOKY_DATA_DIR` and `HOOKY_TOKEN`.
fn engine_config() -> Result<EngineConfig, String> {
    let listen = env("HOOKY_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let listen: SocketAddr = listen
        .parse()
        .map_err(|err| format!("HOOKY_LISTEN={listen} is not an address like {DEFAULT_LISTEN}: {err}"))?;
    let data_dir = match env("HOOKY_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => default_data_dir().ok_or("cannot find a data dir (no home directory?); set HOOKY_DATA_DIR")?,
    };
    let mut config = EngineConfig::new(listen, data_dir);
    config.token = env("HOOKY_TOKEN");
    Ok(config)
}

/// A set, non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}
