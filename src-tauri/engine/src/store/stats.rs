//! Reading attempts by time for the stats (`crate::stats`), through `attempts_by_start`.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::StoreError;
use crate::ids::EndpointId;
use crate::model::ErrorClass;

/// What the stats need of one attempt.
#[derive(Debug, Clone)]
pub struct AttemptSample {
    pub started_at_ms: i64,
    pub duration_ms: u64,
    pub succeeded: bool,
    pub error_class: Option<ErrorClass>,
    pub endpoint_id: EndpointId,
}

/// Calls `each` for every attempt started in `[since_ms, until_ms)`, of one endpoint or all,
/// in no particular order. Rows stream from the database: nothing is collected here.
pub fn for_each_attempt(
    conn: &Connection,
    since_ms: i64,
    until_ms: i64,
    endpoint_id: Option<&EndpointId>,
    mut each: impl FnMut(AttemptSample),
) -> Result<(), StoreError> {
    let mut sql = String::from(
        "SELECT a.started_at, a.duration_ms, a.succeeded, a.error_class, d.endpoint_id \
         FROM attempts a JOIN deliveries d ON d.id = a.delivery_id \
         WHERE a.started_at >= ?1 AND a.started_at < ?2",
    );
    let mut args = vec![Value::Integer(since_ms), Value::Integer(until_ms)];
    if let Some(endpoint_id) = endpoint_id {
        sql.push_str(" AND d.endpoint_id = ?3");
        args.push(Value::Text(endpoint_id.as_str().to_owned()));
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    while let Some(row) = rows.next()? {
        each(AttemptSample {
            started_at_ms: row.get(0)?,
            duration_ms: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
            succeeded: row.get(2)?,
            error_class: row.get::<_, Option<String>>(3)?.as_deref().and_then(ErrorClass::from_db),
            endpoint_id: EndpointId::from_db(row.get(4)?),
        });
    }
    Ok(())
}

/// The name of every endpoint that still exists.
pub fn endpoint_names(conn: &Connection) -> Result<Vec<(EndpointId, String)>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id, name FROM endpoints")?;
    let rows = stmt.query_map([], |row| Ok((EndpointId::from_db(row.get(0)?), row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::temp_store;

    #[tokio::test]
    async fn the_window_query_reads_only_the_covering_index() {
        let (_dir, store) = temp_store();
        let plan = store
            .read(|conn| {
                let mut stmt = conn.prepare(
                    "EXPLAIN QUERY PLAN SELECT a.started_at, a.duration_ms, a.succeeded, a.error_class, d.endpoint_id \
                     FROM attempts a JOIN deliveries d ON d.id = a.delivery_id \
                     WHERE a.started_at >= 1 AND a.started_at < 2",
                )?;
                let rows = stmt.query_map([], |row| row.get::<_, String>(3))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?.join(" | "))
            })
            .await
            .expect("plan");
        assert!(plan.contains("USING COVERING INDEX attempts_by_start"), "{plan}");
    }
}
