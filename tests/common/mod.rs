//! Shared test support: ../shared data, real servers on 127.0.0.1, a
//! recording inner service, and a raw HTTP/1.1 client.
#![allow(dead_code)]

pub mod bodies;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower_webhooks::{Event, VerifiedBody};

/// A layer accepting both providers on one route: GitHub with
/// `github_secret`, GitLab's default instance with `gitlab_token`.
pub fn layer_for_both(github_secret: &str, gitlab_token: &str) -> tower_webhooks::WebhookLayer {
    use tower_webhooks::{GitHub, GitLab, KeyRing, Secret, Verifier, WebhookLayer};
    let ring = |secret: &str| KeyRing::single(Secret::new(secret).unwrap());
    let verifier = Verifier::builder()
        .github(GitHub::new(ring(github_secret)))
        .gitlab(GitLab::new().default_keys(ring(gitlab_token)))
        .build()
        .unwrap();
    WebhookLayer::new(verifier)
}

/// The `shared/` folder beside the repository (or `TOWER_WEBHOOKS_SHARED`).
/// Panics with a clear message when it is missing: these tests need it.
pub fn shared() -> PathBuf {
    let dir = std::env::var_os("TOWER_WEBHOOKS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    assert!(
        dir.join("vectors").is_dir(),
        "test data not found: expected {}/vectors (the project's shared/ folder beside the repository, \
         or set TOWER_WEBHOOKS_SHARED)",
        dir.display()
    );
    dir
}

/// Parses a JSON file under shared/.
pub fn shared_json(path: &str) -> serde_json::Value {
    let path = shared().join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The payload examples of `provider` (`github` or `gitlab`): file stem and
/// exact bytes.
pub fn fixtures(provider: &str) -> Vec<(String, Bytes)> {
    let dir = shared().join("fixtures").join(provider);
    let mut out: Vec<(String, Bytes)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, Bytes::from(std::fs::read(&path).unwrap()))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

/// The GitHub event name of a fixture file stem (`pull_request.opened`).
pub fn github_event_of(stem: &str) -> &str {
    stem.split('.').next().unwrap()
}

/// The GitLab event header of a fixture file stem.
pub fn gitlab_event_of(stem: &str) -> &'static str {
    match stem {
        "push" => "Push Hook",
        "tag_push" => "Tag Push Hook",
        "merge_request" => "Merge Request Hook",
        "note_merge_request" => "Note Hook",
        other => panic!("unknown GitLab fixture {other}"),
    }
}

/// What the inner service saw.
#[derive(Clone, Default)]
pub struct Recorder {
    calls: Arc<Mutex<Vec<(Event, Bytes)>>>,
}

impl Recorder {
    pub fn calls(&self) -> Vec<(Event, Bytes)> {
        self.calls.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    /// A tower service that records each request and answers 200 `handled`.
    pub fn service(
        &self,
    ) -> impl tower::Service<
        Request<VerifiedBody>,
        Response = Response<Full<Bytes>>,
        Error = Infallible,
        Future = impl Send,
    > + Clone
    + Send
    + 'static {
        let calls = self.calls.clone();
        tower::service_fn(move |request: Request<VerifiedBody>| {
            let calls = calls.clone();
            async move {
                let event = request
                    .extensions()
                    .get::<Event>()
                    .cloned()
                    .expect("the layer puts the event in the extensions");
                calls
                    .lock()
                    .unwrap()
                    .push((event, request.into_body().into_bytes()));
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"handled"))))
            }
        })
    }
}

/// Serves an axum router on an ephemeral 127.0.0.1 port.
pub async fn serve_axum(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Serves a tower service with hyper 1 (HTTP/1.1 and h2c) on an ephemeral
/// 127.0.0.1 port.
pub async fn serve_hyper<S, B>(service: S) -> SocketAddr
where
    S: tower::Service<Request<hyper::body::Incoming>, Response = Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Sends `request` over a fresh HTTP/1.1 connection; returns status and body.
pub async fn send(
    addr: SocketAddr,
    path: &str,
    request: Request<Full<Bytes>>,
) -> (StatusCode, String) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let (mut parts, body) = request.into_parts();
    parts.uri = format!("http://{addr}{path}").parse().unwrap();
    parts
        .headers
        .insert(http::header::HOST, addr.to_string().parse().unwrap());
    let response = sender
        .send_request(Request::from_parts(parts, body))
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Writes raw bytes to a fresh connection and reads the response head's
/// status code and the whole response text (until the server closes or 5 s).
pub async fn send_raw(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    read_response(&mut stream).await
}

/// Reads one response from `stream` (until close or 5 s).
pub async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if response_complete(&buf) {
                        break;
                    }
                }
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn response_complete(buf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(buf);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let head = text[..end].to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match len {
        Some(len) => buf.len() >= end + 4 + len,
        None => false,
    }
}

/// Captures everything `tracing` emits on this thread, at TRACE level, as
/// text.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Installs the capture for the current thread until the guard drops.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        // A callsite first hit by another test thread, before this
        // subscriber existed, cached "never interested"; ask again.
        tracing::callsite::rebuild_interest_cache();
        guard
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Takes the WARN lines logged so far.
    pub fn take_warnings(&self) -> Vec<String> {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap());
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|line| line.contains("WARN"))
            .map(str::to_owned)
            .collect()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
