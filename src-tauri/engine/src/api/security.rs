//! Checks every request passes: Host (against DNS rebinding), Origin (against
//! cross-site requests) and, for the management API, the bearer token.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use subtle::ConstantTimeEq;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::error::ApiError;

/// Origins of the desktop window's web view, which loads the UI from a custom scheme.
const DESKTOP_ORIGINS: [&str; 3] = ["tauri://localhost", "http://tauri.localhost", "https://tauri.localhost"];
/// Routes that answer without a token. Everything else under /api/ needs one.
const PUBLIC_API_ROUTES: [&str; 2] = ["/api/v1/health", "/api/openapi.json"];
pub const TRIGGER_ROUTE: &str = "/api/v1/webhook_events/trigger";
const STREAM_ROUTE: &str = "/api/v1/stream";

pub struct Security {
    token: String,
    require_trigger_token: bool,
    allowed_hosts: Vec<String>,
    allowed_origins: Vec<String>,
}

impl Security {
    pub fn new(
        token: String,
        port: u16,
        listen_ip: std::net::IpAddr,
        require_trigger_token: bool,
        extra_origins: &[String],
    ) -> Self {
        let mut names = vec!["127.0.0.1".to_owned(), "localhost".to_owned(), "[::1]".to_owned()];
        let listen_name = match listen_ip {
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        };
        if !names.contains(&listen_name) {
            names.push(listen_name);
        }
        let mut allowed_hosts: Vec<String> = names.iter().map(|name| format!("{name}:{port}")).collect();
        if port == 80 {
            allowed_hosts.extend(names.iter().cloned());
        }
        let mut allowed_origins: Vec<String> = names.iter().map(|name| format!("http://{name}:{port}")).collect();
        allowed_origins.extend(DESKTOP_ORIGINS.iter().map(|o| o.to_string()));
        allowed_origins.extend(extra_origins.iter().map(|o| o.trim_end_matches('/').to_owned()));
        Self { token, require_trigger_token, allowed_hosts, allowed_origins }
    }

    // The lists are lower case; comparing in place saves a copy of the header per request.
    fn host_allowed(&self, host: &str) -> bool {
        self.allowed_hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(host))
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin))
    }

    /// Constant-time, so response timing leaks nothing about the token.
    pub fn token_matches(&self, presented: &str) -> bool {
        presented.as_bytes().ct_eq(self.token.as_bytes()).into()
    }

    fn needs_token(&self, path: &str) -> bool {
        if !path.starts_with("/api/") {
            // The static UI holds no data; /catch/… are receivers, and senders bring no token.
            return false;
        }
        if path == TRIGGER_ROUTE {
            return self.require_trigger_token;
        }
        !PUBLIC_API_ROUTES.contains(&path)
    }

    pub fn cors_layer(&self) -> CorsLayer {
        let origins: Arc<[HeaderValue]> =
            self.allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        // A predicate, not a list: a list is a Vec, copied with each clone of the service.
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(move |origin, _| origins.contains(origin)))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("idempotency-key"),
            ])
            .max_age(std::time::Duration::from_secs(600))
    }

    /// Refuses a request whose Host is not our loopback address, or whose Origin is foreign.
    pub fn admit(&self, request: &Request) -> Result<(), ApiError> {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        if !host.is_some_and(|host| self.host_allowed(host)) {
            return Err(ApiError::forbidden(
                "forbidden_host",
                "the Host header must name Hooky's loopback address (e.g. 127.0.0.1 or localhost with its port)",
            ));
        }
        if let Some(origin) = request.headers().get(header::ORIGIN) {
            if !origin.to_str().is_ok_and(|o| self.origin_allowed(o)) {
                return Err(ApiError::forbidden("forbidden_origin", "requests from other web origins are refused"));
            }
        }
        Ok(())
    }

    /// Asks for the bearer token on the management API.
    pub fn authorize(&self, request: &Request) -> Result<(), ApiError> {
        if !self.needs_token(request.uri().path()) {
            return Ok(());
        }
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        // EventSource cannot set headers, so the stream also takes the token as a query parameter.
        let query_token =
            (request.uri().path() == STREAM_ROUTE).then(|| request.uri().query().and_then(token_from_query)).flatten();
        match bearer.or(query_token) {
            Some(token) if self.token_matches(token) => Ok(()),
            _ => Err(ApiError::unauthorized()),
        }
    }
}

fn token_from_query(query: &str) -> Option<&str> {
    query.split('&').find_map(|pair| pair.strip_prefix("token="))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn security() -> Security {
        Security::new("secret-token".into(), 7717, [127, 0, 0, 1].into(), false, &["http://localhost:5173".into()])
    }

    #[test]
    fn hosts() {
        let s = security();
        assert!(s.host_allowed("127.0.0.1:7717"));
        assert!(s.host_allowed("LOCALHOST:7717"));
        assert!(s.host_allowed("[::1]:7717"));
        assert!(!s.host_allowed("evil.example:7717"));
        assert!(!s.host_allowed("127.0.0.1:80"));
        assert!(!s.host_allowed("localhost"));
    }

    #[test]
    fn origins() {
        let s = security();
        assert!(s.origin_allowed("http://127.0.0.1:7717"));
        assert!(s.origin_allowed("tauri://localhost"));
        assert!(s.origin_allowed("http://localhost:5173"));
        assert!(!s.origin_allowed("http://evil.example"));
        assert!(!s.origin_allowed("null"));
    }

    #[test]
    fn which_routes_need_the_token() {
        let s = security();
        assert!(s.needs_token("/api/v1/endpoints"));
        assert!(s.needs_token("/api/v1/anything-new"));
        assert!(!s.needs_token(TRIGGER_ROUTE));
        assert!(!s.needs_token("/api/v1/health"));
        assert!(!s.needs_token("/index.html"));
        assert!(!s.needs_token("/catch/orders/any/path"), "a webhook sender has no token");
        assert!(s.token_matches("secret-token"));
        assert!(!s.token_matches("secret-tokem"));
        assert!(!s.token_matches(""));
    }
}
