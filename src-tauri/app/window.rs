//! The main window: built once the engine listens, with a CSP whose connect-src
//! names the engine's actual address, and hidden rather than closed while the
//! tray icon keeps Hooky running.

use std::collections::HashMap;

use serde::Serialize;
use tauri::http::HeaderValue;
use tauri::utils::config::{Csp, CspDirectiveSources};
use tauri::{AppHandle, Manager, WebviewWindow, WebviewWindowBuilder, Window, WindowEvent};

use crate::settings::SettingsStore;
use crate::{notify, tray};

pub const MAIN: &str = "main";
const CSP_HEADER: &str = "Content-Security-Policy";

/// Runs before the page's own scripts. WebKitGTK reports `navigator.language` as "C" when
/// LC_CTYPE is C.UTF-8 (the default of many minimal systems and containers); Intl rejects that
/// tag, and the UI's chart library formats numbers with it as it loads, so the window stayed blank.
const LANGUAGE_SHIM: &str = r#"(() => {
  try { new Intl.NumberFormat(navigator.language); } catch {
    Object.defineProperty(Navigator.prototype, 'language', { get: () => 'en-US', configurable: true });
    Object.defineProperty(Navigator.prototype, 'languages', { get: () => ['en-US'], configurable: true });
  }
})();"#;

/// How the web UI reaches the engine's HTTP API (the `api_connection` command).
#[derive(Debug, Clone, Serialize)]
pub struct ApiConnection {
    pub base_url: String,
    pub token: String,
}

/// Builds the main window from its entry in tauri.conf.json (marked `"create": false`).
pub fn open(app: &AppHandle, engine_origin: &str) -> tauri::Result<WebviewWindow> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == MAIN)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let origin = engine_origin.trim_end_matches('/').to_owned();
    WebviewWindowBuilder::from_config(app, &config)?
        .initialization_script(LANGUAGE_SHIM)
        .on_web_resource_request(move |_request, response| {
            // Only HTML answers carry the CSP; add the engine's origin to its connect-src.
            let patched = response
                .headers()
                .get(CSP_HEADER)
                .and_then(|value| value.to_str().ok())
                .map(|policy| allow_connect(policy, &origin))
                .and_then(|policy| HeaderValue::from_str(&policy).ok());
            if let Some(value) = patched {
                response.headers_mut().insert(CSP_HEADER, value);
            }
        })
        .build()
}

/// `policy` with `origin` added to connect-src (which the config sets to ipc only).
pub fn allow_connect(policy: &str, origin: &str) -> String {
    let mut directives: HashMap<String, CspDirectiveSources> = Csp::Policy(policy.to_owned()).into();
    let mut connect: Vec<String> = directives.remove("connect-src").map(Vec::from).unwrap_or_default();
    connect.retain(|source| !source.is_empty());
    if !connect.iter().any(|source| source == origin) {
        connect.push(origin.to_owned());
    }
    directives.insert("connect-src".to_owned(), CspDirectiveSources::List(connect));
    Csp::DirectiveMap(directives).to_string()
}

/// Shows and focuses the main window, e.g. when Hooky is launched again or from the tray.
pub fn reveal(app: &AppHandle) {
    let Some(window) = app.get_webview_window(MAIN) else {
        tracing::info!("the window is not open yet (the engine is still starting)");
        return;
    };
    let shown = window.show().and_then(|()| window.unminimize()).and_then(|()| window.set_focus());
    if let Err(err) = shown {
        tracing::warn!(error = %err, "cannot bring the window forward");
    }
}

/// Closing the window hides it while the tray icon lives and `close_to_tray` is on.
pub fn on_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else { return };
    let app = window.app_handle();
    let keep_running = app.try_state::<SettingsStore>().is_some_and(|settings| settings.get().close_to_tray);
    if !keep_running || !tray::is_shown(app) {
        return; // the window closes and, being the last one, Hooky quits
    }
    api.prevent_close();
    if let Err(err) = window.hide() {
        tracing::warn!(error = %err, "cannot hide the window");
        return;
    }
    tracing::info!("window hidden; Hooky keeps delivering in the background");
    notify::once_hidden(app);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_engine_to_connect_src_only() {
        let policy = "default-src 'self'; connect-src 'self' ipc: http://ipc.localhost; script-src 'self'";
        let patched = allow_connect(policy, "http://127.0.0.1:43210");
        let sources = |policy: &str, name: &str| -> Vec<String> {
            let mut directives: HashMap<String, CspDirectiveSources> = Csp::Policy(policy.to_owned()).into();
            directives.remove(name).map(Vec::from).unwrap_or_default()
        };
        let connect = sources(&patched, "connect-src");
        assert_eq!(connect, ["'self'", "ipc:", "http://ipc.localhost", "http://127.0.0.1:43210"]);
        assert_eq!(sources(&patched, "script-src"), ["'self'"]);
        // Patching twice (every HTML answer is patched) adds the origin once.
        assert_eq!(sources(&allow_connect(&patched, "http://127.0.0.1:43210"), "connect-src"), connect);
    }
}
