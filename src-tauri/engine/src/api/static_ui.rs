//! The built web UI at `/`, or a short page that says how to build it.

use std::path::PathBuf;

use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

use super::error::ApiError;

const NOT_BUILT: &str = r#"<!doctype html><meta charset="utf-8"><title>Hooky</title>
<body style="font:15px system-ui;margin:3rem;max-width:40rem">
<h1>Hooky is running</h1>
<p>The web UI has not been built. Run <code>make ui</code> in the repository, then reload.</p>
<p>The API is up: see <a href="/api/openapi.json">/api/openapi.json</a>.</p></body>"#;

/// Serves `ui_dir` with `index.html` for unknown paths (client-side routes). ServeDir
/// refuses `..` segments, so nothing outside `ui_dir` can be read.
pub fn router(ui_dir: Option<PathBuf>) -> Router {
    match ui_dir.filter(|dir| dir.join("index.html").is_file()) {
        Some(dir) => {
            let index = ServeFile::new(dir.join("index.html"));
            Router::new().fallback_service(ServeDir::new(dir).fallback(index))
        }
        None => Router::new().fallback(not_built),
    }
}

async fn not_built(uri: Uri) -> Response {
    if uri.path() == "/" || uri.path() == "/index.html" {
        (StatusCode::OK, Html(NOT_BUILT)).into_response()
    } else {
        ApiError::unknown_route().into_response()
    }
}
