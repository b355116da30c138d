//! The body deadline is kept as an instant and a timer is armed only when
//! the body makes the layer wait: a body that stalls still gets 408, a body
//! that arrives late but within the deadline is verified, and the deadline
//! counts from the request reaching the layer: it is not restarted when the
//! body makes the layer wait again.
//! Real hyper server on 127.0.0.1, raw client writing the body in parts.

mod common;

use std::time::{Duration, Instant};

use common::{Recorder, read_response, serve_hyper};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tower::Layer;
use tower_webhooks::test_util::GitHubDelivery;
use tower_webhooks::{KeyRing, Secret, WebhookLayer};

const SECRET: &str = "It's a Secret to Everybody";
const BODY: &str = r#"{"zen":"Design for failure.","hook_id":1}"#;

/// The head of a signed delivery of `BODY`, with its Content-Length.
fn head() -> Vec<u8> {
    let delivery = GitHubDelivery::new("ping", BODY).secret(SECRET);
    let mut raw = format!(
        "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {}\r\n",
        BODY.len()
    )
    .into_bytes();
    for (name, value) in &delivery.headers() {
        raw.extend_from_slice(name.as_str().as_bytes());
        raw.extend_from_slice(b": ");
        raw.extend_from_slice(value.as_bytes());
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"\r\n");
    raw
}

async fn server(timeout: Duration) -> (std::net::SocketAddr, Recorder) {
    let recorder = Recorder::default();
    let layer =
        WebhookLayer::github(KeyRing::single(Secret::new(SECRET).unwrap())).body_timeout(timeout);
    let addr = serve_hyper(layer.layer(recorder.service())).await;
    (addr, recorder)
}

#[tokio::test]
async fn stalled_body_gets_408_at_the_deadline() {
    let (addr, recorder) = server(Duration::from_millis(300)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    stream.write_all(&head()).await.unwrap();
    // Half the body, then nothing: the layer waits, arms its timer, fires.
    stream
        .write_all(&BODY.as_bytes()[..BODY.len() / 2])
        .await
        .unwrap();
    let (status, text) = read_response(&mut stream).await;
    let waited = started.elapsed();
    assert_eq!(status, 408, "{text}");
    assert!(text.contains("body_timeout"), "{text}");
    assert!(
        waited >= Duration::from_millis(300),
        "answered after {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn late_body_within_the_deadline_is_verified() {
    let (addr, recorder) = server(Duration::from_secs(5)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&head()).await.unwrap();
    stream
        .write_all(&BODY.as_bytes()[..BODY.len() / 2])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    stream
        .write_all(&BODY.as_bytes()[BODY.len() / 2..])
        .await
        .unwrap();
    let (status, text) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{text}");
    let calls = recorder.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1, BODY.as_bytes());
}

#[tokio::test]
async fn deadline_counts_from_the_request_not_from_each_wait() {
    // The head arrives at once; the body starts after 600 ms and then
    // stalls. With an 800 ms deadline the answer must come about 800 ms
    // after the head, not 800 ms after the last wait began (1400 ms).
    let (addr, recorder) = server(Duration::from_millis(800)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    stream.write_all(&head()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    stream.write_all(&BODY.as_bytes()[..4]).await.unwrap();
    let (status, text) = read_response(&mut stream).await;
    let waited = started.elapsed();
    assert_eq!(status, 408, "{text}");
    assert!(
        waited >= Duration::from_millis(800),
        "answered after {waited:?}"
    );
    assert!(
        waited < Duration::from_millis(1250),
        "answered after {waited:?}: the deadline restarted"
    );
    assert_eq!(recorder.count(), 0);
}
