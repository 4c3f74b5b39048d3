//! Health, server info and the OpenAPI document.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use crate::model::TimeWarp;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
    pub version: String,
}

/// Liveness
#[utoipa::path(get, path = "/api/v1/health", tag = "meta", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
}

/// Where this Hooky listens and keeps its data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServerInfo {
    pub version: String,
    /// e.g. `http://127.0.0.1:7717`
    pub base_url: String,
    pub trigger_url: String,
    pub data_dir: String,
    pub require_trigger_token: bool,
    /// The time warp in force at load; changes arrive as `time_warp.changed` on the stream.
    pub time_warp: TimeWarp,
}

/// Server info
#[utoipa::path(get, path = "/api/v1/info", tag = "meta", security(("bearer" = [])), responses((status = 200, body = ServerInfo)))]
pub async fn info(State(state): State<AppState>) -> Json<ServerInfo> {
    let base_url = format!("http://{}", state.listen);
    Json(ServerInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        trigger_url: format!("{base_url}{}", super::security::TRIGGER_ROUTE),
        base_url,
        data_dir: state.data_dir.display().to_string(),
        require_trigger_token: state.require_trigger_token,
        time_warp: state.delivery.time_warp(),
    })
}
