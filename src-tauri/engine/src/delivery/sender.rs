//! Sends one attempt over HTTP and describes what happened.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, USER_AGENT};

use super::clients::Clients;
use super::retry::parse_retry_after;
use crate::http_text::{self, error_chain, header_text};
use crate::model::{AttemptError, AttemptRequest, AttemptResponse, Endpoint, ErrorClass, HeaderStyle, PayloadFormat};
use crate::signing;

/// How much of a response body is kept (and read): 64 KiB.
pub const RESPONSE_BODY_CAP: usize = 64 * 1024;

/// What to send.
pub struct Outgoing<'a> {
    pub endpoint: &'a Endpoint,
    pub event_id: &'a str,
    pub event_name: &'a str,
    pub payload: &'a str,
    pub event_created_at_ms: i64,
    pub attempt_number: u32,
}

/// What came back.
pub struct Sent {
    pub started_at: SystemTime,
    pub duration: Duration,
    pub request: AttemptRequest,
    pub response: Option<AttemptResponse>,
    pub error: Option<AttemptError>,
    pub retry_after: Option<Duration>,
}

impl Sent {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// The request body: the payload as stored, or the Standard Webhooks envelope around it.
pub fn request_body(outgoing: &Outgoing<'_>) -> String {
    match outgoing.endpoint.payload_format {
        PayloadFormat::Raw => outgoing.payload.to_owned(),
        PayloadFormat::Envelope => {
            let created = crate::model::time::from_ms(outgoing.event_created_at_ms)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            // Built as text so the payload inside stays byte for byte as triggered.
            format!(
                r#"{{"type":{},"timestamp":{},"data":{}}}"#,
                serde_json::Value::from(outgoing.event_name),
                serde_json::Value::from(created),
                outgoing.payload
            )
        }
    }
}

/// Header names built once: inserting a name given as text parses it again on every request.
mod names {
    use reqwest::header::HeaderName;

    pub const WEBHOOK_ID: HeaderName = HeaderName::from_static("webhook-id");
    pub const WEBHOOK_TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
    pub const WEBHOOK_SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");
    pub const SVIX_ID: HeaderName = HeaderName::from_static("svix-id");
    pub const SVIX_TIMESTAMP: HeaderName = HeaderName::from_static("svix-timestamp");
    pub const SVIX_SIGNATURE: HeaderName = HeaderName::from_static("svix-signature");
    pub const EVENT: HeaderName = HeaderName::from_static("x-hooky-event");
    pub const ATTEMPT: HeaderName = HeaderName::from_static("x-hooky-attempt");
}

/// Every header of the request, signed over `body` with each secret still signing at `timestamp`.
pub fn request_headers(outgoing: &Outgoing<'_>, body: &str, timestamp: i64) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(8 + outgoing.endpoint.headers.len());
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static(concat!("Hooky/", env!("CARGO_PKG_VERSION"))));
    let mut put = |name: HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    let (id_header, timestamp_header, signature_header) = match outgoing.endpoint.header_style {
        HeaderStyle::Webhook => (names::WEBHOOK_ID, names::WEBHOOK_TIMESTAMP, names::WEBHOOK_SIGNATURE),
        HeaderStyle::Svix => (names::SVIX_ID, names::SVIX_TIMESTAMP, names::SVIX_SIGNATURE),
    };
    put(id_header, outgoing.event_id.into());
    put(timestamp_header, timestamp.to_string());
    let now_ms = timestamp.saturating_mul(1000);
    let signatures: Vec<String> = outgoing
        .endpoint
        .signing_keys
        .iter()
        .filter(|key| key.expires_at_ms.is_none_or(|expires| expires > now_ms))
        .filter_map(|key| signing::decode_secret(&key.secret).ok())
        .map(|key| signing::sign(&key, outgoing.event_id, timestamp, body.as_bytes()))
        .collect();
    if !signatures.is_empty() {
        put(signature_header, signatures.join(" "));
    }
    put(names::EVENT, outgoing.event_name.into());
    put(names::ATTEMPT, outgoing.attempt_number.to_string());
    for (name, value) in &outgoing.endpoint.headers {
        // Validated when the endpoint was saved.
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            headers.insert(name, value);
        }
    }
    headers
}

pub async fn send(clients: &Clients, outgoing: Outgoing<'_>) -> Sent {
    let client = clients.for_endpoint(outgoing.endpoint);
    let started_at = SystemTime::now();
    let timestamp =
        started_at.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let body = request_body(&outgoing);
    let headers = request_headers(&outgoing, &body, timestamp);
    let request = AttemptRequest { url: outgoing.endpoint.url.clone(), headers: header_text(&headers), body };
    let timeout = Duration::from_millis(u64::from(outgoing.endpoint.timeout_ms));
    let clock = Instant::now();
    let exchange = client.post(&outgoing.endpoint.url).headers(headers).body(request.body.clone()).send();
    // One deadline covers connecting, the answer and reading its body.
    let outcome = tokio::time::timeout(timeout, async {
        let response = exchange.await.map_err(|err| classify(&err))?;
        let status = response.status().as_u16();
        let headers = header_text(response.headers());
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let (body, body_truncated, body_error) = read_capped(response).await;
        Ok::<_, AttemptError>((AttemptResponse { status, headers, body, body_truncated }, retry_after, body_error))
    })
    .await;
    let duration = clock.elapsed();

    let (response, error, retry_after) = match outcome {
        Err(_elapsed) => (None, Some(timeout_error(timeout)), None),
        Ok(Err(error)) => (None, Some(error), None),
        Ok(Ok((response, retry_after, body_error))) => {
            let error = status_error(response.status).or(body_error);
            (Some(response), error, retry_after)
        }
    };
    Sent { started_at, duration, request, response, error, retry_after }
}

/// Reads at most [`RESPONSE_BODY_CAP`] bytes and stops, so a huge or endless body costs nothing more.
async fn read_capped(response: reqwest::Response) -> (String, bool, Option<AttemptError>) {
    let (body, truncated, error) = http_text::read_capped(response, RESPONSE_BODY_CAP).await;
    let error = error.map(|err| {
        let class = if err.is_timeout() { ErrorClass::Timeout } else { ErrorClass::Body };
        AttemptError { class, message: format!("reading the response body failed: {}", error_chain(&err)) }
    });
    (body, truncated, error)
}

fn status_error(status: u16) -> Option<AttemptError> {
    match status {
        200..=299 => None,
        300..=399 => Some(AttemptError {
            class: ErrorClass::Redirect,
            message: format!("the receiver answered {status}; redirects are not followed"),
        }),
        _ => Some(AttemptError { class: ErrorClass::Status, message: format!("the receiver answered {status}") }),
    }
}

fn timeout_error(timeout: Duration) -> AttemptError {
    AttemptError {
        class: ErrorClass::Timeout,
        message: format!("no complete answer within the endpoint's timeout of {} ms", timeout.as_millis()),
    }
}

pub(crate) fn classify(err: &reqwest::Error) -> AttemptError {
    let message = error_chain(err);
    let lower = message.to_ascii_lowercase();
    let class = if err.is_timeout() {
        ErrorClass::Timeout
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        ErrorClass::Dns
    } else if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("ssl")
        // rustls, when an https:// URL reaches a server that does not speak TLS (e.g. plain
        // HTTP answering the ClientHello), or when the server refuses the handshake.
        || lower.contains("corrupt message")
        || lower.contains("fatal alert")
    {
        ErrorClass::Tls
    } else if err.is_body() || err.is_decode() {
        ErrorClass::Body
    } else {
        ErrorClass::Connect
    };
    if class == ErrorClass::Tls {
        return AttemptError { class, message: tls_message(message) };
    }
    if class != ErrorClass::Connect {
        return AttemptError { class, message };
    }
    // The two failures a local receiver most often meets, in plain words: the chain of a
    // refused connection runs to four clauses and never says which address was tried.
    let refused = io_error_kinds(err).any(|kind| kind == std::io::ErrorKind::ConnectionRefused);
    let message = if refused {
        let at = err.url().map_or_else(String::new, |url| {
            format!(" at {}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0))
        });
        format!("connection refused: nothing is listening{at} (is the receiver running?)")
    } else if lower.contains("connection closed before message completed") {
        "the receiver closed the connection before answering".to_owned()
    } else {
        message
    };
    AttemptError { class, message }
}

/// A certificate the client would not accept (rustls: "invalid peer certificate: UnknownIssuer")
/// is what a local https receiver most often meets; say what to do about it.
fn tls_message(chain: String) -> String {
    const MARK: &str = "invalid peer certificate";
    match chain.find(MARK) {
        Some(at) => format!(
            "the receiver's TLS certificate is not trusted ({}); for a local receiver with a self-signed \
             certificate, turn off the endpoint's certificate check (verify_tls; \"Check the receiver's TLS \
             certificate\" in its settings), or add its CA to the system's trust store",
            chain[at..].trim_end()
        ),
        None => chain,
    }
}

/// The kinds of the I/O errors in the chain of causes.
fn io_error_kinds(err: &reqwest::Error) -> impl Iterator<Item = std::io::ErrorKind> + '_ {
    std::iter::successors(std::error::Error::source(err), |cause| cause.source())
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>().map(std::io::Error::kind))
}
