//! Queries on the `endpoints` table.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::secrets;
use super::StoreError;
use crate::ids::EndpointId;
use crate::model::time::{from_ms, now_ms};
use crate::model::{Endpoint, HeaderStyle, PayloadFormat};

const COLUMNS: &str = "id, url, name, description, event_filter, enabled, disabled_reason, timeout_ms, \
     retry_schedule, max_in_flight, rate_limit_per_s, headers, created_at, updated_at, header_style, payload_format, auto_disable, verify_tls";

fn from_row(row: &Row<'_>) -> Result<Endpoint, StoreError> {
    let json = |index: usize| -> Result<String, StoreError> { Ok(row.get::<_, String>(index)?) };
    Ok(Endpoint {
        id: EndpointId::from_db(row.get(0)?),
        url: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        event_filter: serde_json::from_str(&json(4)?)?,
        enabled: row.get(5)?,
        disabled_reason: row.get(6)?,
        timeout_ms: row.get(7)?,
        retry_schedule: serde_json::from_str(&json(8)?)?,
        max_in_flight: row.get(9)?,
        rate_limit_per_s: row.get(10)?,
        headers: serde_json::from_str(&json(11)?)?,
        created_at: from_ms(row.get(12)?),
        updated_at: from_ms(row.get(13)?),
        header_style: HeaderStyle::from_db(&row.get::<_, String>(14)?),
        payload_format: PayloadFormat::from_db(&row.get::<_, String>(15)?),
        auto_disable: serde_json::from_str(&json(16)?)?,
        verify_tls: row.get(17)?,
        signing_keys: Vec::new(),
    })
}

pub fn insert(conn: &Connection, endpoint: &Endpoint) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO endpoints ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
        ),
        params![
            endpoint.id.as_str(),
            endpoint.url,
            endpoint.name,
            endpoint.description,
            serde_json::to_string(&endpoint.event_filter)?,
            endpoint.enabled,
            endpoint.disabled_reason,
            endpoint.timeout_ms,
            serde_json::to_string(&endpoint.retry_schedule)?,
            endpoint.max_in_flight,
            endpoint.rate_limit_per_s,
            serde_json::to_string(&endpoint.headers)?,
            endpoint.created_at.timestamp_millis(),
            endpoint.updated_at.timestamp_millis(),
            endpoint.header_style.as_str(),
            endpoint.payload_format.as_str(),
            serde_json::to_string(&endpoint.auto_disable)?,
            endpoint.verify_tls,
        ],
    )?;
    for key in &endpoint.signing_keys {
        secrets::insert_current(conn, &endpoint.id, &key.secret, endpoint.created_at.timestamp_millis())?;
    }
    Ok(())
}

pub fn update(conn: &Connection, endpoint: &Endpoint) -> Result<bool, StoreError> {
    let changed = conn.execute(
        "UPDATE endpoints SET url = ?2, name = ?3, description = ?4, event_filter = ?5, enabled = ?6, \
         disabled_reason = ?7, timeout_ms = ?8, retry_schedule = ?9, max_in_flight = ?10, \
         rate_limit_per_s = ?11, headers = ?12, updated_at = ?13, header_style = ?14, payload_format = ?15, auto_disable = ?16, verify_tls = ?17, \
         failing_since = CASE WHEN ?6 AND enabled = 0 THEN NULL ELSE failing_since END, \
         consecutive_failures = CASE WHEN ?6 AND enabled = 0 THEN 0 ELSE consecutive_failures END, \
         disabled_at = CASE WHEN NOT ?6 AND enabled = 1 THEN ?13 ELSE disabled_at END WHERE id = ?1",
        params![
            endpoint.id.as_str(),
            endpoint.url,
            endpoint.name,
            endpoint.description,
            serde_json::to_string(&endpoint.event_filter)?,
            endpoint.enabled,
            endpoint.disabled_reason,
            endpoint.timeout_ms,
            serde_json::to_string(&endpoint.retry_schedule)?,
            endpoint.max_in_flight,
            endpoint.rate_limit_per_s,
            serde_json::to_string(&endpoint.headers)?,
            endpoint.updated_at.timestamp_millis(),
            endpoint.header_style.as_str(),
            endpoint.payload_format.as_str(),
            serde_json::to_string(&endpoint.auto_disable)?,
            endpoint.verify_tls,
        ],
    )?;
    Ok(changed == 1)
}

/// One endpoint, with the secrets that sign it.
pub fn get(conn: &Connection, id: &EndpointId) -> Result<Option<Endpoint>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM endpoints WHERE id = ?1"))?;
    let mut rows = stmt.query([id.as_str()])?;
    let Some(row) = rows.next()? else { return Ok(None) };
    let mut endpoint = from_row(row)?;
    endpoint.signing_keys = secrets::signing_keys(conn, now_ms())?.remove(id).unwrap_or_default();
    Ok(Some(endpoint))
}

/// Every endpoint, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<Endpoint>, StoreError> {
    select_many(conn, &format!("SELECT {COLUMNS} FROM endpoints ORDER BY id"))
}

/// The endpoints that take deliveries now, with the secrets that sign them.
pub fn list_enabled(conn: &Connection) -> Result<Vec<Endpoint>, StoreError> {
    let mut endpoints = select_many(conn, &format!("SELECT {COLUMNS} FROM endpoints WHERE enabled = 1 ORDER BY id"))?;
    let mut keys = secrets::signing_keys(conn, now_ms())?;
    for endpoint in &mut endpoints {
        endpoint.signing_keys = keys.remove(&endpoint.id).unwrap_or_default();
    }
    Ok(endpoints)
}

fn select_many(conn: &Connection, sql: &str) -> Result<Vec<Endpoint>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query([])?;
    let mut endpoints = Vec::new();
    while let Some(row) = rows.next()? {
        endpoints.push(from_row(row)?);
    }
    Ok(endpoints)
}

/// Deletes the endpoint and cancels what it still had to deliver; its history stays.
pub fn delete(conn: &Connection, id: &EndpointId) -> Result<bool, StoreError> {
    let deleted = conn.execute("DELETE FROM endpoints WHERE id = ?1", [id.as_str()])? == 1;
    if deleted {
        let affected = super::deliveries::cancel_active_for_endpoint(conn, id)?;
        for event_id in affected {
            super::events::refresh_status(conn, &event_id)?;
        }
    }
    Ok(deleted)
}

/// Turns an endpoint off with a reason a person can read; returns the updated endpoint.
pub fn disable(conn: &Connection, id: &EndpointId, reason: &str) -> Result<Option<Endpoint>, StoreError> {
    let changed = conn.execute(
        "UPDATE endpoints SET enabled = 0, disabled_reason = ?2, updated_at = ?3, disabled_at = ?3 WHERE id = ?1 AND enabled = 1",
        params![id.as_str(), reason, now_ms()],
    )?;
    if changed == 0 {
        return Ok(None);
    }
    get(conn, id)
}

/// Whether an endpoint with this id exists (used to validate filters).
pub fn exists(conn: &Connection, id: &EndpointId) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT 1 FROM endpoints WHERE id = ?1", [id.as_str()], |_| Ok(())).optional()?.is_some())
}

/// What one attempt tells about its endpoint's health.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub attempt_succeeded: bool,
    pub delivery_failed_for_good: bool,
    pub now_ms: i64,
    /// The time warp factor in force, which shortens a `failing_for` window.
    pub time_warp: f64,
}

/// Updates an endpoint's failure streak after an attempt, then applies its auto-disable
/// policy. Returns the endpoint if this disabled it.
pub fn record_outcome(
    conn: &Connection,
    endpoint: &Endpoint,
    outcome: Outcome,
) -> Result<Option<Endpoint>, StoreError> {
    let Outcome { attempt_succeeded, delivery_failed_for_good, now_ms, time_warp } = outcome;
    if attempt_succeeded {
        // A success ends any streak; on a healthy endpoint nothing changes. Without RETURNING,
        // which cost this statement most of its time even when it matched no row.
        conn.prepare_cached(
            "UPDATE endpoints SET failing_since = NULL, consecutive_failures = 0 \
             WHERE id = ?1 AND (consecutive_failures != 0 OR failing_since IS NOT NULL)",
        )?
        .execute([endpoint.id.as_str()])?;
        // No streak, so no policy disables it.
        return Ok(None);
    }
    // A failed attempt: the streak starts (or goes on), and counts a delivery that failed for good.
    let (consecutive, failing_since): (u32, Option<i64>) = conn
        .prepare_cached(
            "UPDATE endpoints SET failing_since = COALESCE(failing_since, ?3), \
             consecutive_failures = consecutive_failures + ?2 \
             WHERE id = ?1 RETURNING consecutive_failures, failing_since",
        )?
        .query_row(params![endpoint.id.as_str(), i64::from(delivery_failed_for_good), now_ms], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?
        // No row: the endpoint was deleted meanwhile.
        .unwrap_or((0, None));
    match endpoint.auto_disable.verdict(consecutive, failing_since, now_ms, time_warp) {
        Some(reason) => disable(conn, &endpoint.id, &format!("{reason} Re-enable it to resume deliveries.")),
        None => Ok(None),
    }
}

/// Where recovery starts by default: when the failure streak began, else when the endpoint was disabled.
pub fn recovery_start(conn: &Connection, id: &EndpointId) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row("SELECT COALESCE(failing_since, disabled_at) FROM endpoints WHERE id = ?1", [id.as_str()], |row| {
            row.get(0)
        })
        .optional()?
        .flatten())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{endpoint_from, temp_store};
    use super::*;

    /// Failed deliveries in a row disable by the policy; a success in between starts the
    /// streak again, so it takes as many failures once more.
    #[tokio::test]
    async fn a_success_ends_the_failure_streak() {
        let (_dir, store) = temp_store();
        let endpoint = endpoint_from(serde_json::json!({
            "url": "http://127.0.0.1:9/hook",
            "auto_disable": {"policy": "consecutive_failures", "failures": 2},
        }));
        let outcome = |succeeded: bool| Outcome {
            attempt_succeeded: succeeded,
            delivery_failed_for_good: !succeeded,
            now_ms: 1_000,
            time_warp: 1.0,
        };
        let disabled_after: Vec<bool> = store
            .write(move |conn| {
                insert(conn, &endpoint)?;
                let mut disabled = Vec::new();
                for succeeded in [false, true, false, true, true, false, false] {
                    disabled.push(record_outcome(conn, &endpoint, outcome(succeeded))?.is_some());
                }
                let (streak, since): (u32, Option<i64>) = conn.query_row(
                    "SELECT consecutive_failures, failing_since FROM endpoints WHERE id = ?1",
                    [endpoint.id.as_str()],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?;
                assert_eq!((streak, since), (2, Some(1_000)), "the streak that disabled it is kept");
                Ok(disabled)
            })
            .await
            .expect("write");
        assert_eq!(disabled_after, [false, false, false, false, false, false, true]);
    }
}
