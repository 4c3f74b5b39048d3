//! A receiver on https://127.0.0.1 with a certificate made for the test: self-signed, or
//! issued by a test CA. It answers 200 to every request and keeps the bodies.

use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, CertifiedKey, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

const NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// A CA for the test, whose PEM a client can be told to trust.
pub struct TestCa {
    certified: CertifiedKey,
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key_pair = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key_pair).expect("CA certificate");
        Self { certified: CertifiedKey { cert, key_pair } }
    }

    pub fn pem(&self) -> String {
        self.certified.cert.pem()
    }

    fn issue(&self) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let params = CertificateParams::new(NAMES.map(String::from).to_vec()).expect("leaf params");
        let key_pair = KeyPair::generate().expect("leaf key");
        let cert =
            params.signed_by(&key_pair, &self.certified.cert, &self.certified.key_pair).expect("leaf certificate");
        (cert.der().clone(), PrivatePkcs8KeyDer::from(key_pair.serialize_der()).into())
    }
}

pub struct TlsReceiver {
    port: u16,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl TlsReceiver {
    /// With a self-signed certificate, which no store trusts.
    pub async fn self_signed() -> Self {
        let CertifiedKey { cert, key_pair } =
            rcgen::generate_simple_self_signed(NAMES.map(String::from).to_vec()).expect("self-signed certificate");
        Self::start(cert.der().clone(), PrivatePkcs8KeyDer::from(key_pair.serialize_der()).into()).await
    }

    /// With a certificate issued by `ca`.
    pub async fn issued_by(ca: &TestCa) -> Self {
        let (cert, key) = ca.issue();
        Self::start(cert, key).await
    }

    async fn start(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the TLS receiver");
        let port = listener.local_addr().expect("address").port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = bodies.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, kept) = (acceptor.clone(), kept.clone());
                tokio::spawn(async move {
                    // A failed handshake (a client that does not trust us) just ends the connection.
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        serve(stream, &kept).await;
                    }
                });
            }
        });
        Self { port, bodies }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/hook", self.port)
    }

    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().expect("bodies").clone()
    }
}

/// Answers each request on the connection with 200, keeping its body.
async fn serve(mut stream: tokio_rustls::server::TlsStream<tokio::net::TcpStream>, kept: &Mutex<Vec<String>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let Some(head_end) = buffer.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4) else {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        }
        let body = String::from_utf8_lossy(&buffer[head_end..head_end + length]).into_owned();
        kept.lock().expect("bodies").push(body);
        buffer.drain(..head_end + length);
        if stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.is_err() {
            return;
        }
    }
}
