//! A raw HTTP/1.1 server on 127.0.0.1 that misbehaves in one chosen way, and records the
//! `webhook-id` of every request it reads.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

const HUGE_BYTES: usize = 50 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200 "ok", keep-alive.
    Ok,
    /// Reads the request and never answers.
    Hang,
    /// Reads the request, then closes with RST (SO_LINGER 0).
    Reset,
    /// Sends the head at once, then one body byte every 100 ms.
    Drip,
    /// 200 with a 50 MB body, streamed from one small buffer.
    Huge,
    /// 200 with a chunked body that never ends.
    Endless,
    /// 302 to itself.
    RedirectLoop,
    /// Bytes that are not HTTP at all.
    Garbage,
    /// A plain HTTP server, reached by an https:// URL: answers the ClientHello with a 400.
    PlainHttp,
}

/// A raw HTTP/1.1 server whose every connection can be cut at once (`stop`).
pub struct RawServer {
    pub addr: SocketAddr,
    pub behaviour: Behaviour,
    cancel: CancellationToken,
    /// `webhook-id` of every complete request, with when it arrived.
    pub seen: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl RawServer {
    pub async fn start(behaviour: Behaviour) -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), behaviour, Arc::default()).await
    }

    pub async fn start_on(addr: SocketAddr, behaviour: Behaviour, seen: Arc<Mutex<Vec<(String, Instant)>>>) -> Self {
        // The port may still be held by connections of the server that stopped a moment ago.
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(listener) => break listener,
                Err(err) if Instant::now() < deadline => {
                    eprintln!("rebinding {addr}: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("cannot bind {addr}: {err}"),
            }
        };
        let addr = listener.local_addr().unwrap();
        let cancel = CancellationToken::new();
        let (stop, log) = (cancel.clone(), seen.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    () = stop.cancelled() => return,
                };
                let Ok((stream, _)) = accepted else { continue };
                let (stop, log) = (stop.clone(), log.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        () = serve(stream, behaviour, addr, log) => {}
                        () = stop.cancelled() => {}
                    }
                });
            }
        });
        Self { addr, behaviour, cancel, seen }
    }

    pub fn url(&self) -> String {
        let scheme = if self.behaviour == Behaviour::PlainHttp { "https" } else { "http" };
        format!("{scheme}://{}/hook", self.addr)
    }

    pub fn seen(&self) -> Vec<(String, Instant)> {
        self.seen.lock().unwrap().clone()
    }

    pub fn stop(&self) {
        self.cancel.cancel();
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Reads one request (head and Content-Length body); returns its `webhook-id`, or None at EOF.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > 1024 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    buffer.drain(..head_end + length);
    Some(header("webhook-id").unwrap_or_default())
}

async fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(String, Instant)>>>,
) {
    if behaviour == Behaviour::PlainHttp {
        // What a plain server does with a TLS ClientHello: it is not HTTP, so 400 and close.
        let mut hello = [0u8; 1024];
        let _ = stream.read(&mut hello).await;
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
        return;
    }
    let mut buffer = Vec::new();
    while let Some(webhook_id) = read_request(&mut stream, &mut buffer).await {
        seen.lock().unwrap().push((webhook_id, Instant::now()));
        match behaviour {
            Behaviour::Ok => {
                if stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.is_err() {
                    return;
                }
            }
            Behaviour::Hang => std::future::pending::<()>().await,
            Behaviour::Reset => {
                #[allow(deprecated)] // zero linger: close() sends RST at once and does not block
                let _ = stream.set_linger(Some(Duration::ZERO));
                return;
            }
            Behaviour::Drip => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n").await;
                for _ in 0..1000 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if stream.write_all(b"x").await.is_err() {
                        return;
                    }
                }
                return;
            }
            Behaviour::Huge => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {HUGE_BYTES}\r\n\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let block = [b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < HUGE_BYTES {
                    if stream.write_all(&block).await.is_err() {
                        return; // the engine stopped reading: what we want
                    }
                    sent += block.len();
                }
                return;
            }
            Behaviour::Endless => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").await;
                let chunk = format!("4000\r\n{}\r\n", "y".repeat(0x4000));
                // Bounded only so that a broken engine cannot keep this task alive forever: 1 GiB.
                for _ in 0..65_536 {
                    if stream.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                return;
            }
            Behaviour::RedirectLoop => {
                let answer = format!("HTTP/1.1 302 Found\r\nlocation: http://{addr}/hook\r\ncontent-length: 0\r\n\r\n");
                if stream.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
            Behaviour::Garbage => {
                let _ = stream.write_all(b"\x00\x01\x02 NOT HTTP \xff\xfe\r\n\r\n\x16\x03garbage").await;
                return;
            }
            Behaviour::PlainHttp => unreachable!("answered above"),
        }
    }
}
