//! The HTTP clients deliveries go out on: one that checks receivers' TLS certificates, and one,
//! built on first use, for the endpoints that turned the check off.

use std::sync::OnceLock;
use std::time::Duration;

use crate::model::Endpoint;

/// A client for attempts. With `verify_tls`, receivers' certificates are checked against the
/// public roots and the system's store (`SSL_CERT_FILE` too), so a local CA such as mkcert's is
/// trusted as the browser trusts it; without, any certificate is accepted and no store is read.
pub fn build_client(verify_tls: bool) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(!verify_tls)
        .tls_built_in_root_certs(verify_tls)
        // Redirects count as failures and are never followed.
        .redirect(reqwest::redirect::Policy::none())
        // A local tool talks to local receivers; a system proxy would only get in the way.
        .no_proxy()
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(format!("Hooky/{}", env!("CARGO_PKG_VERSION")))
        .build()
}

pub struct Clients {
    verifying: reqwest::Client,
    /// Few endpoints need it, so it is built (and its pool kept) only once one does.
    accepting_any_certificate: OnceLock<reqwest::Client>,
}

impl Clients {
    pub fn new() -> reqwest::Result<Self> {
        Ok(Self { verifying: build_client(true)?, accepting_any_certificate: OnceLock::new() })
    }

    /// The client for this endpoint's attempts.
    pub fn for_endpoint(&self, endpoint: &Endpoint) -> &reqwest::Client {
        if endpoint.verify_tls {
            return &self.verifying;
        }
        self.accepting_any_certificate.get_or_init(|| {
            build_client(false).unwrap_or_else(|err| {
                // Built from the same settings as the verifying client, which did build.
                tracing::error!(error = %err, "cannot build the client that skips certificate checks");
                self.verifying.clone()
            })
        })
    }
}
