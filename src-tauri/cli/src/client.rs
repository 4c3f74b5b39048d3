//! A small client of a running Hooky's HTTP API.

use anyhow::{anyhow, bail, Context, Result};
use hooky_engine::api::error::ErrorBody;
use hooky_engine::config::{default_data_dir, TOKEN_FILE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ClientArgs;

pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(args: &ClientArgs) -> Result<Self> {
        let token = match &args.token {
            Some(token) => Some(token.clone()),
            None => args
                .data_dir
                .clone()
                .or_else(default_data_dir)
                .and_then(|dir| std::fs::read_to_string(dir.join(TOKEN_FILE)).ok())
                .map(|t| t.trim().to_owned()),
        };
        // Plain http to loopback: no certificates to check, so none are read from the system's
        // store (about 150 files, at every command).
        let http = reqwest::Client::builder()
            .no_proxy()
            .tls_built_in_root_certs(false)
            .build()
            .context("cannot start the HTTP client")?;
        Ok(Self { http, base: format!("http://{}", args.listen), token })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request(Method::GET, path, None::<&()>).await
    }

    pub async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T> {
        let response = self.send(method, path, body).await?;
        let url = response.url().to_string();
        let bytes = response.bytes().await.context("the answer could not be read")?;
        let bytes = if bytes.is_empty() { &b"null"[..] } else { &bytes[..] };
        serde_json::from_slice(bytes).with_context(|| format!("unexpected answer from {url}"))
    }

    /// Opens a streaming GET (the live stream): the answer's head has arrived and was a 2xx.
    pub async fn open_stream(&self, path: &str) -> Result<reqwest::Response> {
        self.send(Method::GET, path, None::<&()>).await
    }

    /// The address the client talks to, such as `http://127.0.0.1:7717`.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send(&self, method: Method, path: &str, body: Option<&impl Serialize>) -> Result<reqwest::Response> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|err| anyhow!("cannot reach Hooky at {}: {err}; is `hooky serve` running?", self.base))?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response.bytes().await.context("the answer could not be read")?;
            bail!(describe_error(status, &bytes));
        }
        Ok(response)
    }
}

fn describe_error(status: StatusCode, body: &[u8]) -> String {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { error }) => format!("{} (HTTP {}, {})", error.message, status.as_u16(), error.code),
        Err(_) if status == StatusCode::UNAUTHORIZED => {
            "the token was refused; pass --token or HOOKY_TOKEN, or --data-dir of the running Hooky".into()
        }
        Err(_) => format!("Hooky answered HTTP {status}"),
    }
}

/// Percent-encodes a query value or a path segment.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
