//! Full-text search (FTS5) over payloads and response bodies.

use rusqlite::{params, Connection};

use super::StoreError;
use crate::ids::EventId;

/// How much of one text is indexed; enough for any realistic webhook.
const MAX_INDEXED_BYTES: usize = 64 * 1024;

pub fn index(conn: &Connection, event_id: &EventId, text: &str) -> Result<(), StoreError> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let mut end = text.len().min(MAX_INDEXED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    conn.prepare_cached("INSERT INTO search_index (event_id, body) VALUES (?1, ?2)")?
        .execute(params![event_id.as_str(), &text[..end]])?;
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
