//! Bad input on every route of the API, beyond the documented cases in `api_errors.rs`:
//! wrong types for every field, unknown fields, invalid UTF-8, huge and deeply nested
//! bodies, quote and SQL metacharacters in every string field, query parameter and path id,
//! and path traversal in ids. Every answer under /api is a 4xx in the one error shape
//! (never a 5xx), and the engine keeps answering afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api_bad_input/bodies.rs"]
mod bodies;
#[path = "api_bad_input/cases.rs"]
mod cases;
#[path = "api_bad_input/fields.rs"]
mod fields;
#[path = "api_bad_input/ids.rs"]
mod ids;
#[path = "api_bad_input/strings.rs"]
mod strings;
mod support;
