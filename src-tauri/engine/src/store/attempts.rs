//! Queries on the `attempts` table.

use std::collections::HashMap;

use rusqlite::{params, params_from_iter, Connection, Row};

use super::StoreError;
use crate::ids::{AttemptId, DeliveryId};
use crate::model::time::from_ms;
use crate::model::{AttemptError, AttemptOut, AttemptRequest, AttemptResponse, AttemptTrigger, ErrorClass};

/// The columns of an attempt that take work over its whole size (the header maps as JSON text,
/// whether the body is the payload), done before its write job is queued, so the single writer
/// thread spends its time on SQL.
pub struct EncodedColumns {
    request_headers: String,
    response_headers: Option<String>,
    /// The body is nearly always the payload itself; then only the event keeps a copy.
    body_is_payload: bool,
}

impl EncodedColumns {
    pub fn of(request: &AttemptRequest, response: Option<&AttemptResponse>, payload: &str) -> Result<Self, StoreError> {
        Ok(Self {
            request_headers: serde_json::to_string(&request.headers)?,
            response_headers: response.map(|r| serde_json::to_string(&r.headers)).transpose()?,
            body_is_payload: request.body == payload,
        })
    }
}

pub fn insert(conn: &Connection, attempt: &AttemptOut, encoded: &EncodedColumns) -> Result<(), StoreError> {
    let request_body = (!encoded.body_is_payload).then_some(attempt.request.body.as_str());
    let response = attempt.response.as_ref();
    conn.prepare_cached(
        "INSERT INTO attempts (id, delivery_id, number, trigger, succeeded, started_at, duration_ms, request_url, \
         request_headers, request_body, response_status, response_headers, response_body, response_body_truncated, \
         error_class, error_message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        attempt.id.as_str(),
        attempt.delivery_id.as_str(),
        attempt.number,
        attempt.trigger.as_str(),
        attempt.succeeded,
        attempt.started_at.timestamp_millis(),
        i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX),
        attempt.request.url,
        encoded.request_headers,
        request_body,
        response.map(|r| r.status),
        encoded.response_headers,
        response.map(|r| r.body.as_bytes()),
        response.is_some_and(|r| r.body_truncated),
        attempt.error.as_ref().map(|e| e.class.as_str()),
        attempt.error.as_ref().map(|e| e.message.as_str()),
    ])?;
    Ok(())
}

fn from_row(row: &Row<'_>, payload: &str) -> Result<AttemptOut, StoreError> {
    let response_status: Option<u16> = row.get(10)?;
    let response = match response_status {
        Some(status) => Some(AttemptResponse {
            status,
            headers: serde_json::from_str(&row.get::<_, Option<String>>(11)?.unwrap_or_else(|| "{}".into()))?,
            body: String::from_utf8_lossy(&row.get::<_, Option<Vec<u8>>>(12)?.unwrap_or_default()).into_owned(),
            body_truncated: row.get(13)?,
        }),
        None => None,
    };
    let error = match row.get::<_, Option<String>>(14)?.as_deref().and_then(ErrorClass::from_db) {
        Some(class) => Some(AttemptError { class, message: row.get::<_, Option<String>>(15)?.unwrap_or_default() }),
        None => None,
    };
    Ok(AttemptOut {
        id: AttemptId::from_db(row.get(0)?),
        delivery_id: DeliveryId::from_db(row.get(1)?),
        number: row.get(2)?,
        trigger: AttemptTrigger::from_db(&row.get::<_, String>(3)?),
        succeeded: row.get(4)?,
        started_at: from_ms(row.get(5)?),
        duration_ms: row.get::<_, i64>(6)?.try_into().unwrap_or(0),
        request: AttemptRequest {
            url: row.get(7)?,
            headers: serde_json::from_str(&row.get::<_, String>(8)?)?,
            body: row.get::<_, Option<String>>(9)?.unwrap_or_else(|| payload.to_owned()),
        },
        response,
        error,
    })
}

/// The attempts of the given deliveries of one event, oldest first.
pub fn for_deliveries(
    conn: &Connection,
    delivery_ids: &[DeliveryId],
    payload: &str,
) -> Result<HashMap<DeliveryId, Vec<AttemptOut>>, StoreError> {
    let mut grouped: HashMap<DeliveryId, Vec<AttemptOut>> = HashMap::new();
    if delivery_ids.is_empty() {
        return Ok(grouped);
    }
    let placeholders = vec!["?"; delivery_ids.len()].join(", ");
    let sql = format!(
        "SELECT id, delivery_id, number, trigger, succeeded, started_at, duration_ms, request_url, request_headers, \
         request_body, response_status, response_headers, response_body, response_body_truncated, error_class, \
         error_message FROM attempts WHERE delivery_id IN ({placeholders}) ORDER BY delivery_id, number"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(delivery_ids.iter().map(DeliveryId::as_str)))?;
    while let Some(row) = rows.next()? {
        let attempt = from_row(row, payload)?;
        grouped.entry(attempt.delivery_id.clone()).or_default().push(attempt);
    }
    Ok(grouped)
}
