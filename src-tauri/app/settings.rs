//! The desktop app's own settings, in `desktop.json` in the data dir (next to
//! `hooky.db`), so they follow the data dir like everything else.

use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

pub const SETTINGS_FILE: &str = "desktop.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DesktopSettings {
    /// Where the engine listens, chosen after the default port was taken; `None` means
    /// `HOOKY_LISTEN` or the default. `HOOKY_LISTEN` always wins.
    pub listen: Option<String>,
    /// OS notifications when a delivery has finally failed or the engine disabled an endpoint.
    pub notifications: bool,
    /// Closing the window hides it and Hooky keeps delivering; Quit is in the tray menu.
    pub close_to_tray: bool,
}

impl Default for DesktopSettings {
    fn default() -> Self {
        Self { listen: None, notifications: true, close_to_tray: true }
    }
}

/// A change from the UI's Settings screen: absent fields keep their values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub notifications: Option<bool>,
    pub close_to_tray: Option<bool>,
    /// A loopback address such as `127.0.0.1:7718`, used from the next launch; `""` goes back to the default.
    pub listen: Option<String>,
}

impl DesktopSettings {
    /// Applies `patch`, or says which value is wrong.
    pub fn patched(&self, patch: SettingsPatch) -> Result<Self, String> {
        let mut next = self.clone();
        if let Some(on) = patch.notifications {
            next.notifications = on;
        }
        if let Some(on) = patch.close_to_tray {
            next.close_to_tray = on;
        }
        if let Some(listen) = patch.listen {
            let listen = listen.trim();
            next.listen = if listen.is_empty() { None } else { Some(parse_listen(listen)?.to_string()) };
        }
        Ok(next)
    }
}

/// A loopback socket address, as the engine requires.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = text.parse().map_err(|_| format!("{text} is not an address like 127.0.0.1:7717"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{text} is not a loopback address; Hooky listens on 127.0.0.1 or [::1] only"));
    }
    Ok(addr)
}

/// The settings file and its current contents, shared by the IPC commands and the app.
pub struct SettingsStore {
    path: PathBuf,
    current: Mutex<DesktopSettings>,
}

impl SettingsStore {
    /// Reads `desktop.json` from `data_dir`; a missing file gives the defaults, a damaged one
    /// is logged and replaced by the defaults on the next save.
    pub fn load(data_dir: &Path) -> Self {
        let path = data_dir.join(SETTINGS_FILE);
        let current = match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|err| {
                tracing::warn!(path = %path.display(), error = %err, "ignoring unreadable desktop settings");
                DesktopSettings::default()
            }),
            Err(err) if err.kind() == io::ErrorKind::NotFound => DesktopSettings::default(),
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "cannot read desktop settings");
                DesktopSettings::default()
            }
        };
        Self { path, current: Mutex::new(current) }
    }

    pub fn get(&self) -> DesktopSettings {
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Applies `change` and writes the file; nothing changes when the write fails.
    pub fn update(
        &self,
        change: impl FnOnce(&DesktopSettings) -> Result<DesktopSettings, String>,
    ) -> Result<DesktopSettings, String> {
        let mut current = self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let next = change(&current)?;
        write_atomically(&self.path, &next)
            .map_err(|err| format!("cannot save the settings to {}: {err}", self.path.display()))?;
        *current = next.clone();
        Ok(next)
    }
}

/// Writes a temporary file and renames it over the old one, so a crash never leaves half a file.
fn write_atomically(path: &Path, settings: &DesktopSettings) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(settings).map_err(io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    fs::write(&tmp, text + "\n")?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_missing_fields_and_patches_validate() {
        let parsed: DesktopSettings = serde_json::from_str(r#"{"notifications": false}"#).expect("parse");
        assert_eq!(parsed, DesktopSettings { notifications: false, ..DesktopSettings::default() });

        let moved = parsed
            .patched(SettingsPatch { listen: Some("127.0.0.1:7800".into()), ..SettingsPatch::default() })
            .expect("valid");
        assert_eq!(moved.listen.as_deref(), Some("127.0.0.1:7800"));
        assert!(!moved.notifications);
        let reset = moved.patched(SettingsPatch { listen: Some(String::new()), ..SettingsPatch::default() });
        assert_eq!(reset.expect("valid").listen, None);
        assert!(parsed
            .patched(SettingsPatch { listen: Some("0.0.0.0:80".into()), ..SettingsPatch::default() })
            .is_err());
        assert!(parsed.patched(SettingsPatch { listen: Some("nonsense".into()), ..SettingsPatch::default() }).is_err());
    }

    #[test]
    fn saves_and_loads_back() {
        let dir = std::env::temp_dir().join(format!("hooky-desktop-settings-{}", std::process::id()));
        let store = SettingsStore::load(&dir);
        assert_eq!(store.get(), DesktopSettings::default());
        store
            .update(|s| s.patched(SettingsPatch { close_to_tray: Some(false), ..SettingsPatch::default() }))
            .expect("saved");
        assert!(!SettingsStore::load(&dir).get().close_to_tray);
        let _ = fs::remove_dir_all(&dir);
    }
}
