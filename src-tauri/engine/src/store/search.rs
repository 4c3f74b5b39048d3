//! Full-text search (FTS5) over payloads and response bodies.

use std::cell::RefCell;

use rusqlite::{params, Connection};

use super::StoreError;
use crate::ids::EventId;

/// How much of one text is indexed; enough for any realistic webhook.
const MAX_INDEXED_BYTES: usize = 64 * 1024;

thread_local! {
    /// Texts queued by write jobs on the writer thread, indexed once per commit.
    static PENDING: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// Queues a text for the index. FTS5 flushes its buffers at every savepoint
/// release, and each write job runs in a savepoint, so inserting here would cost
/// a flush per event; the writer inserts the whole batch at commit instead.
pub fn index(_conn: &Connection, event_id: &EventId, text: &str) -> Result<(), StoreError> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let mut end = text.len().min(MAX_INDEXED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    PENDING.with(|pending| pending.borrow_mut().push((event_id.to_string(), text[..end].to_owned())));
    Ok(())
}

/// How many texts are queued; a job that fails drops what it queued with [`forget_since`].
pub(crate) fn pending_len() -> usize {
    PENDING.with(|pending| pending.borrow().len())
}

pub(crate) fn forget_since(mark: usize) {
    PENDING.with(|pending| pending.borrow_mut().truncate(mark));
}

/// Inserts every queued text; called by the writer inside the batch's transaction, before COMMIT.
pub(crate) fn flush_pending(conn: &Connection) -> Result<(), StoreError> {
    let queued = PENDING.with(|pending| std::mem::take(&mut *pending.borrow_mut()));
    if queued.is_empty() {
        return Ok(());
    }
    let mut insert = conn.prepare_cached("INSERT INTO search_index (event_id, body) VALUES (?1, ?2)")?;
    for (event_id, text) in &queued {
        insert.execute(params![event_id, text])?;
    }
    Ok(())
}

/// Turns what a person typed into an FTS5 query: every word must appear, as typed.
/// Quoting each word keeps FTS5 operators and punctuation from being a syntax error.
pub fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> =
        typed.split_whitespace().map(|word| format!("\"{}\"", word.replace('"', "\"\""))).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_words_become_quoted_terms() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("cus_42 paid").as_deref(), Some("\"cus_42\" \"paid\""));
        assert_eq!(fts_query(r#"a"b OR"#).as_deref(), Some("\"a\"\"b\" \"OR\""));
    }
}
