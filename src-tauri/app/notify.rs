//! OS notifications, sent from Rust so the web view needs no permission for them:
//! a delivery has finally failed, or the engine disabled an endpoint (410 Gone).
//! A burst is summed up in one notification. `notifications: false` in the
//! desktop settings silences them.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hooky_engine::bus::StreamMessage;
use hooky_engine::ids::{EndpointId, EventId};
use hooky_engine::model::DeliveryStatus;
use hooky_engine::store::{endpoints, events, Store};
use hooky_engine::Engine;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;

use crate::settings::SettingsStore;

/// How long to gather a burst into one notification.
const GATHER: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone)]
enum Alert {
    DeliveryFailed { event_id: EventId, endpoint_id: EndpointId, attempts: u32, status: Option<u16> },
    EndpointDisabled { name: String, reason: String },
}

/// Watches the engine's changes and notifies about failures until the engine stops.
pub fn follow(app: &AppHandle, engine: &Engine) {
    let app = app.clone();
    let store = engine.store().clone();
    let mut changes = engine.subscribe();
    let stop = engine.cancellation();
    tauri::async_runtime::spawn(async move {
        // Only a change from enabled to disabled is news; edits of a disabled endpoint are not.
        let mut disabled = disabled_now(&store).await;
        loop {
            let first = tokio::select! {
                _ = stop.cancelled() => break,
                change = changes.recv() => change,
            };
            let mut alerts = Vec::new();
            match first {
                Ok(message) => alerts.extend(alert(message, &mut disabled)),
                Err(RecvError::Lagged(missed)) => tracing::debug!(missed, "notifier fell behind"),
                Err(RecvError::Closed) => break,
            }
            if alerts.is_empty() {
                continue;
            }
            let deadline = tokio::time::Instant::now() + GATHER;
            while let Ok(Ok(message)) = tokio::time::timeout_at(deadline, changes.recv()).await {
                alerts.extend(alert(message, &mut disabled));
            }
            for (title, body) in describe(&store, alerts).await {
                show(&app, title, body);
            }
        }
    });
}

async fn disabled_now(store: &Store) -> HashSet<EndpointId> {
    let all = store.read(endpoints::list).await.unwrap_or_default();
    all.into_iter().filter(|endpoint| !endpoint.enabled).map(|endpoint| endpoint.id).collect()
}

fn alert(message: StreamMessage, disabled: &mut HashSet<EndpointId>) -> Option<Alert> {
    match message {
        StreamMessage::DeliveryUpdated { event_id, delivery, .. } if delivery.status == DeliveryStatus::Failed => {
            Some(Alert::DeliveryFailed {
                event_id,
                endpoint_id: delivery.endpoint_id,
                attempts: delivery.attempt_count,
                status: delivery.last_response_status,
            })
        }
        StreamMessage::EndpointUpdated { endpoint } if endpoint.enabled => {
            disabled.remove(&endpoint.id);
            None
        }
        StreamMessage::EndpointUpdated { endpoint } => {
            let newly = disabled.insert(endpoint.id.clone());
            // Turned off by the engine (it says why), not by the user in the UI.
            let reason = endpoint.disabled_reason.filter(|_| newly)?;
            Some(Alert::EndpointDisabled { name: label(&endpoint.name, &endpoint.url), reason })
        }
        StreamMessage::EndpointDeleted { endpoint_id } => {
            disabled.remove(&endpoint_id);
            None
        }
        _ => None,
    }
}

fn label(name: &str, url: &str) -> String {
    if name.trim().is_empty() {
        url.to_owned()
    } else {
        name.to_owned()
    }
}

/// Titles and bodies: one per disabled endpoint, one for the failed deliveries (summed up past one).
async fn describe(store: &Store, alerts: Vec<Alert>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut failed = Vec::new();
    for alert in alerts {
        match alert {
            Alert::EndpointDisabled { name, reason } => out.push((format!("Endpoint disabled: {name}"), reason)),
            Alert::DeliveryFailed { event_id, endpoint_id, attempts, status } => {
                failed.push((event_id, endpoint_id, attempts, status))
            }
        }
    }
    match failed.as_slice() {
        [] => {}
        [(event_id, endpoint_id, attempts, status)] => {
            let (event, endpoint) = names(store, event_id.clone(), endpoint_id.clone()).await;
            let plural = if *attempts == 1 { "attempt" } else { "attempts" };
            let last = status.map(|code| format!(" (last answer: HTTP {code})")).unwrap_or_default();
            out.push((
                "Delivery failed".to_owned(),
                format!("{event} to {endpoint} failed after {attempts} {plural}{last}."),
            ));
        }
        many => {
            let endpoints: HashSet<&EndpointId> = many.iter().map(|(_, endpoint, _, _)| endpoint).collect();
            let to =
                if endpoints.len() == 1 { "1 endpoint".to_owned() } else { format!("{} endpoints", endpoints.len()) };
            out.push((format!("{} deliveries failed", many.len()), format!("Deliveries to {to} ran out of retries.")));
        }
    }
    out
}

/// The event's name and the endpoint's label, falling back to their ids.
async fn names(store: &Store, event_id: EventId, endpoint_id: EndpointId) -> (String, String) {
    let fallback = (event_id.to_string(), endpoint_id.to_string());
    store
        .read(move |conn| {
            let event = events::get(conn, &event_id)?.map(|row| row.event_name);
            let endpoint = endpoints::get(conn, &endpoint_id)?.map(|e| label(&e.name, &e.url));
            Ok((event.unwrap_or_else(|| event_id.to_string()), endpoint.unwrap_or_else(|| endpoint_id.to_string())))
        })
        .await
        .unwrap_or(fallback)
}

fn show(app: &AppHandle, title: String, body: String) {
    let enabled = app.try_state::<SettingsStore>().is_none_or(|settings| settings.get().notifications);
    if !enabled {
        tracing::info!(%title, "notification silenced by the settings");
        return;
    }
    tracing::info!(%title, %body, "notification");
    let app = app.clone();
    // The notification server is reached over D-Bus; keep that off the async threads.
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(err) = app.notification().builder().title(&title).body(&body).show() {
            tracing::warn!(error = %err, "cannot show a notification (is a notification server running?)");
        }
    });
}

/// Says once per run, the first time the window is hidden, that Hooky still runs.
pub fn once_hidden(app: &AppHandle) {
    static TOLD: AtomicBool = AtomicBool::new(false);
    if !TOLD.swap(true, Ordering::Relaxed) {
        let body = "Hooky keeps delivering in the background. Open it or quit from its tray icon.";
        show(app, "Hooky is still running".to_owned(), body.to_owned());
    }
}
