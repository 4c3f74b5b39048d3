//! Hooky's engine: the domain model, the SQLite store, the delivery engine and
//! the HTTP API. It has no tauri dependency; `hooky serve` and the desktop app
//! both start it through [`Engine::start`].

pub mod activity;
pub mod api;
pub mod bus;
pub mod catchers;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod endpoint_service;
pub mod fixtures;
pub mod har;
pub mod history;
mod http_text;
pub mod ids;
pub mod ingest;
pub mod jobs;
pub mod model;
pub mod retention;
pub mod runner;
mod runtime;
pub mod signing;
pub mod stats;
pub mod store;

pub use config::EngineConfig;
pub use runtime::{Engine, StartError};
