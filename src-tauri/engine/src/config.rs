//! Settings shared by `hooky serve` and the desktop app, with the same defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:7717";
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
pub const DB_FILE: &str = "hooky.db";
pub const TOKEN_FILE: &str = "token";
pub const LOCK_FILE: &str = "hooky.lock";

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Must be a loopback address; port 0 picks a free one.
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The management token; when absent, the one stored in the data dir (made on first start).
    pub token: Option<String>,
    pub max_body_bytes: usize,
    /// Ask for the token on the trigger route too.
    pub require_trigger_token: bool,
    /// Where the built web UI is; None serves a page that says how to build it.
    pub ui_dir: Option<PathBuf>,
    /// More web origins allowed to call the API, e.g. the UI's dev server.
    pub extra_origins: Vec<String>,
    /// Set the time warp at start (1 turns it off); None keeps the stored setting.
    pub time_warp: Option<f64>,
}

impl EngineConfig {
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        Self {
            listen,
            data_dir,
            token: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            require_trigger_token: false,
            ui_dir: default_ui_dir(),
            extra_origins: Vec::new(),
            time_warp: None,
        }
    }
}

/// The platform data dir, e.g. `~/.local/share/hooky` on Linux.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "hooky").map(|dirs| dirs.data_dir().to_path_buf())
}

/// `ui/dist` of this checkout, if it was built.
pub fn default_ui_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist"));
    dir.join("index.html").is_file().then_some(dir)
}
