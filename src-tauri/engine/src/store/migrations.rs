//! Embedded schema migrations, applied in order and tracked by `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Each entry moves the schema one version up. Never edit a shipped entry; append.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE endpoints (
    id               TEXT PRIMARY KEY,
    url              TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    event_filter     TEXT NOT NULL,      -- JSON array of patterns
    enabled          INTEGER NOT NULL,
    disabled_reason  TEXT,
    timeout_ms       INTEGER NOT NULL,
    retry_schedule   TEXT NOT NULL,      -- JSON array of seconds
    max_in_flight    INTEGER NOT NULL,
    rate_limit_per_s REAL,
    headers          TEXT NOT NULL,      -- JSON object
    created_at       INTEGER NOT NULL,   -- unix ms
    updated_at       INTEGER NOT NULL
) STRICT;

CREATE TABLE events (
    id          TEXT PRIMARY KEY,        -- evt_ + ULID, so it sorts by time
    event_name  TEXT NOT NULL,
    payload     TEXT NOT NULL,           -- exactly as the trigger sent it
    status      TEXT NOT NULL,           -- derived from the deliveries
    created_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX events_by_name ON events (event_name, id);
CREATE INDEX events_by_status ON events (status, id);

CREATE TABLE deliveries (
    id                    TEXT PRIMARY KEY,
    event_id              TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    endpoint_id           TEXT NOT NULL,  -- kept after the endpoint is deleted, for history
    status                TEXT NOT NULL,
    attempt_count         INTEGER NOT NULL DEFAULT 0,
    auto_attempt_count    INTEGER NOT NULL DEFAULT 0,  -- indexes the retry schedule
    next_attempt_at       INTEGER,                     -- NULL once nothing is scheduled
    last_response_status  INTEGER,
    last_duration_ms      INTEGER,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, event_id);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

CREATE TABLE attempts (
    id                      TEXT PRIMARY KEY,
    delivery_id             TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number                  INTEGER NOT NULL,
    trigger                 TEXT NOT NULL,
    succeeded               INTEGER NOT NULL,
    started_at              INTEGER NOT NULL,
    duration_ms             INTEGER NOT NULL,
    request_url             TEXT NOT NULL,
    request_headers         TEXT NOT NULL,   -- JSON object
    request_body            TEXT,            -- NULL: the event payload, verbatim
    response_status         INTEGER,
    response_headers        TEXT,            -- JSON object
    response_body           BLOB,
    response_body_truncated INTEGER NOT NULL DEFAULT 0,
    error_class             TEXT,
    error_message           TEXT
) STRICT;
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, number);

CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    response    TEXT NOT NULL,            -- the first answer, as JSON
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
"#,
    r#"
ALTER TABLE endpoints ADD COLUMN header_style TEXT NOT NULL DEFAULT 'webhook';
ALTER TABLE endpoints ADD COLUMN payload_format TEXT NOT NULL DEFAULT 'raw';

-- Signing secrets. The current one has no expiry; after a rotation the old one
-- keeps signing until expires_at, so receivers can switch without a gap.
CREATE TABLE endpoint_secrets (
    endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,           -- whsec_…
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER
) STRICT;
CREATE INDEX endpoint_secrets_by_endpoint ON endpoint_secrets (endpoint_id, created_at);
"#,
    r#"
-- Stats read attempts by time: a covering index, so the attempt rows (with their
-- headers and bodies) are never read for a count or a percentile.
CREATE INDEX attempts_by_start ON attempts (started_at, delivery_id, duration_ms, succeeded, error_class);

-- Engine settings such as retention, one JSON value per key.
CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,           -- JSON
    updated_at  INTEGER NOT NULL
) STRICT;
"#,
    r#"
-- Full-text search over payloads and response bodies (FTS5). One row per
-- indexed text; event_id ties it back to its event.
CREATE VIRTUAL TABLE search_index USING fts5 (
    event_id UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Auto-disable: the policy, and the failure streak it is judged on.
ALTER TABLE endpoints ADD COLUMN auto_disable TEXT NOT NULL DEFAULT '{"policy":"failing_for","window_s":432000}';
ALTER TABLE endpoints ADD COLUMN failing_since INTEGER;
ALTER TABLE endpoints ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN disabled_at INTEGER;

-- Bulk retry looks up what failed since a time.
CREATE INDEX deliveries_by_status ON deliveries (status, updated_at);
"#,
    r#"
-- Catchers: mock receivers Hooky hosts at /catch/{name}, answering by a script.
CREATE TABLE catchers (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    script       TEXT NOT NULL,           -- JSON ResponseScript
    verify       TEXT,                    -- JSON {secret} or {endpoint_id}; NULL: not checked
    endpoint_id  TEXT,                    -- the endpoint created with it, if any
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

-- What each catcher received; the newest 1,000 per catcher are kept.
CREATE TABLE caught_requests (
    id               TEXT PRIMARY KEY,    -- req_ + ULID, so it sorts by time
    catcher_id       TEXT NOT NULL REFERENCES catchers (id) ON DELETE CASCADE,
    method           TEXT NOT NULL,
    path             TEXT NOT NULL,
    query            TEXT,
    headers          TEXT NOT NULL,       -- JSON object
    body             BLOB NOT NULL,       -- at most 256 KiB
    body_size        INTEGER NOT NULL,
    body_truncated   INTEGER NOT NULL,
    response_status  INTEGER,             -- NULL: the script hung and never answered
    signature        TEXT NOT NULL,       -- JSON SignatureOutcome
    received_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX caught_requests_by_catcher ON caught_requests (catcher_id, id);
"#,
    r#"
-- Demo mode: what the demo created (catchers, endpoints, events), so "reset demo"
-- deletes exactly those, even after a restart. Its state is the `demo` setting.
CREATE TABLE demo_items (
    kind  TEXT NOT NULL,                  -- 'catcher' | 'endpoint' | 'event'
    id    TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;
"#,
    r#"
-- The scheduler looks for due rows one endpoint at a time, so an endpoint at its limit never
-- makes a pass walk past its whole backlog.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due_by_endpoint ON deliveries (endpoint_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;
-- Replay only looks for failed deliveries; a delivery that succeeds never touches this index.
DROP INDEX deliveries_by_status;
CREATE INDEX deliveries_failed ON deliveries (updated_at) WHERE status = 'failed';
"#,
    r#"
-- The search index is written in batches after the rows it indexes: a row created at or
-- after this time (unix ms) may be missing from it after an unclean stop. Everything
-- before this migration was indexed as it was written.
CREATE TABLE search_progress (indexed_through INTEGER NOT NULL) STRICT;
INSERT INTO search_progress (indexed_through) VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
"#,
    r#"
-- An event's status is recounted from its deliveries' statuses after most attempts: with the
-- status in the index, that count reads the index alone.
DROP INDEX deliveries_by_event;
CREATE INDEX deliveries_by_event ON deliveries (event_id, status);
"#,
    r#"
-- The search index moved to a file of its own, written by its own thread (see
-- `store::indexer`); it is built there from the events and attempts at the next start.
DROP TABLE search_index;
DROP TABLE search_progress;
"#,
    r#"
-- Each scheduler pass reads an endpoint's due ids from the start, past the rows it has already
-- claimed: with the id in the index, that walk no longer reads a table row for each of them.
DROP INDEX deliveries_due_by_endpoint;
CREATE INDEX deliveries_due_by_endpoint ON deliveries (endpoint_id, next_attempt_at, id) WHERE next_attempt_at IS NOT NULL;
"#,
    r#"
-- Long payloads live out of their event's row. The row changes whenever the event's status
-- does, and SQLite writes a changed row whole: a payload of a few KiB (past what a b-tree page
-- keeps in the row, so in overflow pages) was written again at every change. Short payloads
-- stay in the row, where they cost least; rows from before this migration keep theirs.
CREATE TABLE event_payloads (
    id       INTEGER PRIMARY KEY,
    payload  TEXT NOT NULL
) STRICT;
-- Set when the payload is in `event_payloads`; `events.payload` is then ''.
ALTER TABLE events ADD COLUMN payload_id INTEGER;
CREATE TRIGGER events_drop_payload AFTER DELETE ON events WHEN old.payload_id IS NOT NULL
BEGIN
    DELETE FROM event_payloads WHERE id = old.payload_id;
END;
"#,
    r#"
-- Off for a local receiver whose https:// certificate is self-signed.
ALTER TABLE endpoints ADD COLUMN verify_tls INTEGER NOT NULL DEFAULT 1;
"#,
];

pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the migrations up to schema version `version` (a test builds older databases with it).
fn migrate_to(conn: &mut Connection, version: usize) -> Result<(), StoreError> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if current > MIGRATIONS.len() {
        return Err(StoreError::SchemaTooNew { found: current, known: MIGRATIONS.len() });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().take(version).skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "applied schema migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{flush_search, search_matches};
    use crate::store::Store;

    /// A database from before the index had a file of its own: its index table goes, and the
    /// first start builds the new index file from its events.
    #[tokio::test]
    async fn an_older_database_gets_its_index_built_in_the_new_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hooky.db");
        let mut conn = Connection::open(&path).expect("open");
        migrate_to(&mut conn, 9).expect("the schema of version 9");
        conn.execute(
            "INSERT INTO events (id, event_name, payload, status, created_at) \
             VALUES ('evt_01JDQ0000000000000000000AB', 'order.created', '{\"customer\":\"babbage\"}', 'unrouted', 0)",
            [],
        )
        .expect("an event");
        drop(conn);

        let store = Store::open(&path).expect("open and migrate");
        flush_search(&store).await;
        let found: Vec<String> = store.read(|conn| search_matches(conn, "babbage")).await.expect("search");
        assert_eq!(found, ["evt_01JDQ0000000000000000000AB"]);
        let old_table: bool = store
            .read(|conn| {
                Ok(conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM main.sqlite_master WHERE name = 'search_index')",
                    [],
                    |r| r.get(0),
                )?)
            })
            .await
            .expect("schema");
        assert!(!old_table, "the old index table is dropped from the main file");
    }

    /// A long payload stored in its row before long ones moved out reads back where it is.
    #[tokio::test]
    async fn a_long_payload_from_before_the_side_table_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hooky.db");
        let mut conn = Connection::open(&path).expect("open");
        migrate_to(&mut conn, MIGRATIONS.len() - 1).expect("the schema before the side table");
        let payload = format!(r#"{{"note":"{}"}}"#, "x".repeat(5_000));
        conn.execute(
            "INSERT INTO events (id, event_name, payload, status, created_at) \
             VALUES ('evt_01JDQ0000000000000000000AB', 'order.created', ?1, 'unrouted', 0)",
            [&payload],
        )
        .expect("an event");
        drop(conn);

        let store = Store::open(&path).expect("open and migrate");
        let id = crate::ids::EventId::from_db("evt_01JDQ0000000000000000000AB".into());
        let read = store.read(move |conn| crate::store::events::get(conn, &id)).await.expect("read");
        assert_eq!(read.map(|row| row.payload), Some(payload));
    }
}
