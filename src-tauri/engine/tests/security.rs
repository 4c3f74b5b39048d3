//! The guards a browser page or another local process runs into: Host, Origin,
//! the bearer token, and what stays public (health, OpenAPI, the trigger by default);
//! the live stream's token, the static UI folder, and the desktop window's CSP.
#![allow(clippy::unwrap_used)]

#[path = "security/desktop.rs"]
mod desktop;
#[path = "security/host_origin.rs"]
mod host_origin;
#[path = "security/static_files.rs"]
mod static_files;
#[path = "security/stream.rs"]
mod stream;
mod support;
#[path = "security/token.rs"]
mod token;
