//! The IPC commands the web UI may call (each granted in tauri.conf.json's capability).

use tauri::State;

use crate::settings::{DesktopSettings, SettingsPatch, SettingsStore};
use crate::window::ApiConnection;

/// Where the engine listens, and its management token.
#[tauri::command]
pub fn api_connection(connection: State<'_, ApiConnection>) -> ApiConnection {
    connection.inner().clone()
}

/// The desktop settings (desktop.json in the data dir).
#[tauri::command]
pub fn desktop_settings(settings: State<'_, SettingsStore>) -> DesktopSettings {
    settings.get()
}

/// Changes some settings and returns all of them; fails with a message naming the bad value.
/// `notifications` and `close_to_tray` apply at once, `listen` from the next launch.
#[tauri::command]
pub fn set_desktop_settings(
    settings: State<'_, SettingsStore>,
    patch: SettingsPatch,
) -> Result<DesktopSettings, String> {
    settings.update(|current| current.patched(patch))
}
