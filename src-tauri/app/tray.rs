//! The tray icon: where Hooky listens, today's events and failing endpoints,
//! refreshed every few seconds and soon after each change; Open and Quit.

use std::time::Duration;

use chrono::{Local, LocalResult, TimeZone};
use hooky_engine::activity::{activity_since, Activity};
use hooky_engine::bus::StreamMessage;
use hooky_engine::Engine;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::window;

const REFRESH_EVERY: Duration = Duration::from_secs(5);
/// How long a burst of changes may settle before the counts are read again.
const SETTLE: Duration = Duration::from_millis(500);

/// The menu lines that change; managed as app state once the icon is shown.
struct Tray {
    address: MenuItem<tauri::Wry>,
    events: MenuItem<tauri::Wry>,
    failing: MenuItem<tauri::Wry>,
    // Kept alive with the menu lines; dropping it would remove the icon.
    _icon: tauri::tray::TrayIcon<tauri::Wry>,
}

/// Shows the icon with its menu; Hooky runs on without one if the desktop has no tray.
pub fn install(app: &AppHandle) {
    match build(app) {
        Ok(tray) => {
            app.manage(tray);
        }
        Err(err) => tracing::warn!(error = %err, "no tray icon; closing the window will quit Hooky"),
    }
}

fn build(app: &AppHandle) -> tauri::Result<Tray> {
    let address = MenuItem::with_id(app, "address", "Starting…", false, None::<&str>)?;
    let events = MenuItem::with_id(app, "events", "Events today: –", false, None::<&str>)?;
    let failing = MenuItem::with_id(app, "failing", "Failing endpoints: –", false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Hooky", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Hooky", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&address, &events, &failing, &separator, &open, &quit])?;
    let icon = TrayIconBuilder::with_id("hooky")
        .icon(tauri::include_image!("icons/64x64.png"))
        .menu(&menu)
        .tooltip("Hooky")
        .on_menu_event(on_menu)
        .build(app)?;
    Ok(Tray { address, events, failing, _icon: icon })
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        "open" => window::reveal(app),
        "quit" => {
            tracing::info!("Quit chosen from the tray menu");
            app.exit(0);
        }
        _ => {}
    }
}

/// Whether the icon is there to bring Hooky back after its window is hidden.
pub fn is_shown(app: &AppHandle) -> bool {
    app.try_state::<Tray>().is_some()
}

/// Shows the engine's address, then keeps the counts fresh until the engine stops.
pub fn follow(app: &AppHandle, engine: &Engine) {
    let Some(tray) = app.try_state::<Tray>() else { return };
    set(&tray.address, &format!("Listening on {}", engine.local_addr()));
    let app = app.clone();
    let store = engine.store().clone();
    let mut changes = engine.subscribe();
    let stop = engine.cancellation();
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shown: Option<Activity> = None;
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {}
                change = changes.recv() => match change {
                    Ok(message) if !changes_counts(&message) => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => settle(&mut changes).await,
                    Err(RecvError::Closed) => break,
                },
            }
            match activity_since(&store, local_midnight_ms()).await {
                Ok(activity) if shown != Some(activity) => {
                    tracing::debug!(events = activity.events, failing = activity.failing_endpoints, "tray counts");
                    if let Some(tray) = app.try_state::<Tray>() {
                        set(&tray.events, &format!("Events today: {}", activity.events));
                        set(&tray.failing, &failing_text(activity.failing_endpoints));
                    }
                    shown = Some(activity);
                }
                Ok(_) => {}
                Err(err) => tracing::debug!(error = %err, "cannot count today's events"),
            }
        }
    });
}

/// Waits a moment and swallows the changes that arrived meanwhile: one count per burst.
async fn settle(changes: &mut tokio::sync::broadcast::Receiver<StreamMessage>) {
    tokio::time::sleep(SETTLE).await;
    while let Ok(_) | Err(TryRecvError::Lagged(_)) = changes.try_recv() {}
}

fn failing_text(count: u64) -> String {
    match count {
        0 => "No failing endpoints".to_owned(),
        1 => "1 failing endpoint".to_owned(),
        n => format!("{n} failing endpoints"),
    }
}

fn set(item: &MenuItem<tauri::Wry>, text: &str) {
    if let Err(err) = item.set_text(text) {
        tracing::debug!(error = %err, "cannot update the tray menu");
    }
}

/// Today's local midnight in unix milliseconds ("events today" is the user's day, not UTC's).
fn local_midnight_ms() -> u64 {
    let now = Local::now();
    let midnight = now.date_naive().and_hms_opt(0, 0, 0).map(|naive| Local.from_local_datetime(&naive));
    let start = match midnight {
        Some(LocalResult::Single(at) | LocalResult::Ambiguous(at, _)) => at,
        _ => now, // a DST gap at midnight: count from now rather than guess
    };
    u64::try_from(start.timestamp_millis()).unwrap_or(0)
}

/// Only these change today's events or the failing endpoints; the rest (attempts, catchers'
/// requests, run progress, fixtures) arrive many times a second and would only cost queries.
fn changes_counts(message: &StreamMessage) -> bool {
    matches!(
        message,
        StreamMessage::EventCreated { .. }
            | StreamMessage::DeliveryUpdated { .. }
            | StreamMessage::EndpointUpdated { .. }
            | StreamMessage::EndpointDeleted { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_is_today_and_not_in_the_future() {
        let midnight = local_midnight_ms();
        let now = u64::try_from(Local::now().timestamp_millis()).unwrap_or(0);
        assert!(midnight <= now);
        assert!(now - midnight <= 25 * 3600 * 1000);
        assert_eq!(failing_text(0), "No failing endpoints");
        assert_eq!(failing_text(3), "3 failing endpoints");
    }
}
