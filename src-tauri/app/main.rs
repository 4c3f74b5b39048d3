//! Hooky's desktop app: the engine in-process, a window on the web UI (a client
//! of the engine's HTTP API like any other), a tray icon and notifications.
//!
//! Order matters: the single-instance plugin runs while the app is built, so a
//! second launch hands over to the first (which shows its window) and exits
//! before it could start a second engine; the engine starts in `setup`, and the
//! window opens once the engine listens.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod lifecycle;
mod notify;
mod settings;
mod startup;
mod tray;
mod window;

use std::process::ExitCode;

// The same allocator as the `hooky` binary, for the same engine: see its main.rs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tracing_subscriber::EnvFilter;

use crate::lifecycle::EngineSlot;

fn main() -> ExitCode {
    init_tracing();
    let engine = EngineSlot::default();
    let app = tauri::Builder::default()
        // First: a second launch must be caught before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("Hooky was launched again; showing this window");
            window::reveal(app);
        }))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .manage(engine.clone())
        .invoke_handler(tauri::generate_handler![
            commands::api_connection,
            commands::desktop_settings,
            commands::set_desktop_settings
        ])
        .on_window_event(window::on_event)
        .setup(|app| {
            lifecycle::quit_on_signals(app.handle());
            tray::install(app.handle());
            startup::begin(app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!());
    let code = match app {
        Ok(app) => app.run_return(|_, _| {}),
        Err(err) => {
            tracing::error!(error = %err, "cannot start the desktop app");
            1
        }
    };
    lifecycle::shutdown(&engine);
    tracing::info!(code, "Hooky quit");
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Logs to stderr; `RUST_LOG` overrides the default level (info).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
}
