//! The HTTP API: one router per resource, merged under the security layers.

mod catch;
mod catcher_export;
mod catchers;
mod clear;
mod deliveries;
mod demo;
mod endpoint_export;
mod endpoints;
pub mod error;
mod events;
mod export;
mod extract;
mod fixtures;
mod front_door;
mod meta;
mod openapi_errors;
mod replay;
mod runs;
pub mod security;
mod settings;
pub mod signing;
mod static_ui;
mod stats;
mod stream;
mod time_warp;
mod trigger;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use tokio_util::sync::CancellationToken;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bus::Bus;
use crate::delivery::DeliveryEngine;
use crate::store::Store;
use error::ApiError;
pub use front_door::FrontDoor;
use security::Security;

pub use endpoints::EndpointList;
pub use fixtures::{FixtureLibrary, RenderedFixture, RenderedPayload, SentFixture};
pub use meta::{Health, ServerInfo};
pub use trigger::{nesting_depth, parse_trigger_body, TriggerBody, MAX_PAYLOAD_DEPTH};

/// What every handler reads: one `Arc`, so the per-request clones axum makes of its state cost
/// one reference count instead of one per field (3 % of the CPU serving triggers).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub store: Store,
    pub bus: Bus,
    pub delivery: DeliveryEngine,
    pub cancel: CancellationToken,
    pub listen: SocketAddr,
    pub data_dir: Arc<PathBuf>,
    pub require_trigger_token: bool,
    pub jobs: Arc<crate::jobs::Jobs>,
    /// Wakes the retention purge (after a settings change) and clears the log.
    pub retention: crate::retention::Retention,
    /// Mock receivers at `/catch/{name}` and their management.
    pub catchers: crate::catchers::Catchers,
    /// QA runs started through the API, kept in memory.
    pub runs: Arc<crate::runner::registry::Runs>,
    /// Told when the fixture folder is switched, so it watches the new one.
    pub fixtures: crate::fixtures::FolderWatch,
    /// Demo mode: its catchers, events and generator.
    pub demo: crate::demo::Demo,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Hooky", description = "Local webhook sender and inspector. Management routes need `Authorization: Bearer <token>`."),
    modifiers(&BearerAuth),
    // Routed by hand with `any` (a receiver takes every method), so listed here.
    paths(catch::catch_request),
    tags(
        (name = "trigger", description = "Fire events"),
        (name = "endpoints", description = "Subscribers"),
        (name = "events", description = "The event log"),
        (name = "deliveries", description = "Acting on deliveries"),
        (name = "replay", description = "Resend, bulk retry, recovery and their jobs"),
        (name = "signing", description = "Standard Webhooks secrets and verification"),
        (name = "stream", description = "Live changes"),
        (name = "meta", description = "Health and server info"),
        (name = "stats", description = "Delivery statistics"),
        (name = "export", description = "Export and import"),
        (name = "settings", description = "Retention, time warp and other engine settings"),
        (name = "catchers", description = "Mock receivers hosted by Hooky, and what they caught"),
        (name = "catch", description = "The mock receivers themselves; no token needed"),
        (name = "runs", description = "Scripted QA runs of the fixtures, with fault injection"),
        (name = "fixtures", description = "The payload fixture library: a folder of JSON files to send"),
        (name = "demo", description = "Demo mode: mock receivers and a stream of order events, undone by a reset"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The API routes and the OpenAPI document generated from them.
fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(trigger::trigger_event))
        .routes(routes!(endpoints::list_endpoints, endpoints::create_endpoint))
        .routes(routes!(endpoints::get_endpoint, endpoints::update_endpoint, endpoints::delete_endpoint))
        .routes(routes!(replay::resend_event))
        .routes(routes!(replay::retry_failed))
        .routes(routes!(replay::recover_endpoint))
        .routes(routes!(replay::get_job))
        .routes(routes!(replay::cancel_job))
        .routes(routes!(signing::get_secret))
        .routes(routes!(signing::rotate_secret))
        .routes(routes!(signing::verify_signature))
        .routes(routes!(events::list_events))
        .routes(routes!(events::get_event))
        .routes(routes!(clear::clear_events))
        .routes(routes!(deliveries::retry_delivery))
        .routes(routes!(deliveries::cancel_delivery))
        .routes(routes!(deliveries::curl_command))
        .routes(routes!(stream::stream))
        .routes(routes!(meta::health))
        .routes(routes!(meta::info))
        .routes(routes!(stats::get_stats))
        .routes(routes!(export::export_events))
        .routes(routes!(endpoint_export::export_endpoints))
        .routes(routes!(endpoint_export::import_endpoints))
        .routes(routes!(settings::get_settings, settings::put_settings))
        .routes(routes!(time_warp::get_time_warp, time_warp::put_time_warp))
        .routes(routes!(catchers::list_catchers, catchers::create_catcher))
        .routes(routes!(catchers::get_catcher, catchers::update_catcher, catchers::delete_catcher))
        .routes(routes!(catchers::list_requests, catchers::clear_requests))
        .routes(routes!(catchers::get_request))
        // Any method reaches a catcher; the document lists the common ones (see `ApiDoc`).
        .route("/catch/{name}", axum::routing::any(catch::catch_request))
        .route("/catch/{name}/{*rest}", axum::routing::any(catch::catch_request))
        .routes(routes!(runs::list_runs, runs::start_run))
        .routes(routes!(runs::get_run))
        .routes(routes!(runs::cancel_run))
        .routes(routes!(fixtures::get_library))
        .routes(routes!(fixtures::put_folder))
        .routes(routes!(fixtures::send_fixture))
        .routes(routes!(fixtures::render_fixture))
        .routes(routes!(demo::get_demo, demo::start_demo, demo::reset_demo))
        .routes(routes!(demo::stop_demo))
        .split_for_parts();
    openapi_errors::complete(&mut document);
    (router, document)
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().1
}

pub struct RouterConfig {
    pub security: Arc<Security>,
    pub max_body_bytes: usize,
    pub ui_dir: Option<PathBuf>,
}

/// The whole HTTP app: the API and the UI, behind the front door's checks.
pub fn router(state: AppState, config: RouterConfig) -> FrontDoor {
    let (api, document) = api_routes();
    let document = Arc::new(document);
    let api = api
        .route("/api/openapi.json", get(move || async move { Json(document.as_ref().clone()) }))
        .route("/api/{*rest}", axum::routing::any(|| async { ApiError::unknown_route() }))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .with_state(state);
    let routes = api.merge(static_ui::router(config.ui_dir)).layer(DefaultBodyLimit::max(config.max_body_bytes));
    FrontDoor::new(config.security, routes)
}
