//! The engine's life inside the app: held while the app runs, stopped cleanly
//! after the event loop ends (Quit, the last window closed, or a signal), so
//! pending deliveries stay due in the database and resume at the next launch.

use std::sync::{Arc, Mutex};

use hooky_engine::Engine;
use tauri::{AppHandle, Manager};

/// The running engine, shared between the app (which fills it) and `main` (which stops it).
#[derive(Clone, Default)]
pub struct EngineSlot(Arc<Mutex<Option<Engine>>>);

impl EngineSlot {
    fn put(&self, engine: Engine) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(engine);
    }

    pub fn take(&self) -> Option<Engine> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

/// Hands the started engine to the slot `main` will stop it from.
pub fn hold(app: &AppHandle, engine: Engine) {
    match app.try_state::<EngineSlot>() {
        Some(slot) => slot.put(engine),
        None => tracing::error!("no engine slot; the engine will not be stopped cleanly"),
    }
}

/// Stops the engine after the event loop has ended: no new attempts, those in flight stay due.
pub fn shutdown(slot: &EngineSlot) {
    if let Some(engine) = slot.take() {
        tracing::info!("stopping the engine");
        tauri::async_runtime::block_on(engine.shutdown());
    }
}

/// Quits like the tray's Quit on SIGTERM, SIGINT and SIGHUP (logout, `kill`, Ctrl-C in a terminal).
pub fn quit_on_signals(app: &AppHandle) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
                (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
            else {
                tracing::warn!("cannot watch signals; quit from the tray menu");
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = hup.recv() => {}
            }
            tracing::info!("signal received; quitting");
            app.exit(0);
        });
    }
    #[cfg(not(unix))]
    let _ = app;
}
