//! Reading events back: the list page and the detail with deliveries and attempts.

use crate::ids::{DeliveryId, EventId};
use crate::model::time::from_ms;
use crate::model::{DeliveryOut, EventOut, EventPage, EventSummary};
use crate::store::events::{created_at, EventFilter};
use crate::store::{attempts, deliveries, events, search, Store, StoreError};

pub async fn event_page(store: &Store, filter: EventFilter) -> Result<EventPage, StoreError> {
    if filter.text.is_some() {
        // The index is written in batches: bring it up to date so the search sees every event.
        store.write(|conn| Ok(search::ask_flush(conn))).await?.wait().await;
    }
    store
        .read(move |conn| {
            // One extra row tells whether another page follows.
            let wanted = filter.limit as usize;
            let mut rows = events::list(conn, &EventFilter { limit: filter.limit + 1, ..filter })?;
            let has_more = rows.len() > wanted;
            rows.truncate(wanted);
            let ids: Vec<EventId> = rows.iter().map(|row| row.id.clone()).collect();
            let mut grouped = deliveries::for_events(conn, &ids)?;
            let next_cursor = if has_more { rows.last().map(|row| row.id.to_string()) } else { None };
            let data = rows
                .into_iter()
                .map(|row| EventSummary {
                    deliveries: grouped.remove(&row.id).unwrap_or_default().into_iter().map(|d| d.summary).collect(),
                    created_at: created_at(&row),
                    id: row.id,
                    event_name: row.event_name,
                    status: row.status,
                })
                .collect();
            Ok(EventPage { data, next_cursor })
        })
        .await
}

pub async fn event_detail(store: &Store, id: EventId) -> Result<Option<EventOut>, StoreError> {
    store
        .read(move |conn| {
            let Some(row) = events::get(conn, &id)? else {
                return Ok(None);
            };
            let rows = deliveries::for_events(conn, std::slice::from_ref(&id))?.remove(&id).unwrap_or_default();
            Ok(Some(event_out(conn, row, rows)?))
        })
        .await
}

/// An event row with its deliveries and every attempt: the detail shape, shared by the
/// event route and the export.
pub(crate) fn event_out(
    conn: &rusqlite::Connection,
    row: events::EventRow,
    rows: Vec<deliveries::DeliveryRow>,
) -> Result<EventOut, StoreError> {
    let delivery_ids: Vec<DeliveryId> = rows.iter().map(|d| d.summary.id.clone()).collect();
    // Attempts keep the payload once; the event's own payload fills their request bodies.
    let mut attempts = attempts::for_deliveries(conn, &delivery_ids, &row.payload)?;
    let deliveries = rows
        .into_iter()
        .map(|d| DeliveryOut {
            attempts: attempts.remove(&d.summary.id).unwrap_or_default(),
            event_id: d.event_id,
            created_at: from_ms(d.created_at_ms),
            summary: d.summary,
        })
        .collect();
    // Payloads were valid JSON when accepted; a damaged row shows as a string, not an error.
    let payload = serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::String(row.payload.clone()));
    Ok(EventOut {
        created_at: created_at(&row),
        id: row.id,
        event_name: row.event_name,
        status: row.status,
        payload,
        deliveries,
    })
}
