//! Reading HTTP exchanges into text for the logs and reports: the delivery sender, the QA runner
//! and the catchers all record headers and bodies the same way.

use std::collections::BTreeMap;
use std::error::Error as _;

use reqwest::header::HeaderMap;

/// Header names as sent (lower case); a repeated header's values joined with `, `.
pub(crate) fn header_text(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    map
}

/// The error and its sources in one line; reqwest's top-level message alone says little.
pub(crate) fn error_chain(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

/// The body read up to `cap` bytes, then no further, so a huge or endless body costs nothing
/// more: the text, whether it was cut, and the error that stopped the reading early, if any.
pub(crate) async fn read_capped(mut response: reqwest::Response, cap: usize) -> (String, bool, Option<reqwest::Error>) {
    let mut body = Vec::new();
    let mut truncated = false;
    let mut error = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(err) => {
                error = Some(err);
                break;
            }
        }
    }
    (String::from_utf8_lossy(&body).into_owned(), truncated, error)
}
