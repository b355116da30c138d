//! The layer in real axum and hyper servers on 127.0.0.1, over TCP.
#![cfg(all(feature = "test-util", feature = "axum"))]

mod common;

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use common::{Recorder, send, send_raw};
use tokio::io::AsyncWriteExt;
use tower_webhooks::test_util::{GitHubDelivery, GitLabDelivery};
use tower_webhooks::{Event, KeyRing, Secret, Verifier, WebhookLayer};

const SECRET: &str = "tcp secret";

fn layer() -> WebhookLayer {
    let verifier = Verifier::builder()
        .github(tower_webhooks::GitHub::new(KeyRing::single(
            Secret::new(SECRET).unwrap(),
        )))
        .body_limit(64 * 1024)
        .build()
        .unwrap();
    WebhookLayer::new(verifier).body_timeout(Duration::from_millis(300))
}

async fn echo(event: Event, body: Bytes) -> String {
    format!(
        "{} {} {}",
        event.name(),
        event.delivery().unwrap_or("-"),
        hex::encode(&body)
    )
}

#[tokio::test]
async fn axum_layer_and_route_layer_hand_the_exact_bytes_to_the_handler() {
    let (_, fixture) = common::fixtures("github")
        .into_iter()
        .find(|(s, _)| s == "pull_request.opened")
        .unwrap();
    for app in [
        Router::new().route("/webhook", post(echo)).layer(layer()),
        Router::new()
            .route("/webhook", post(echo))
            .route_layer(layer()),
    ] {
        let addr = common::serve_axum(app).await;
        let request = GitHubDelivery::new("pull_request", fixture.clone())
            .secret(SECRET)
            .delivery("d-7")
            .into_request();
        let (status, body) = send(addr, "/webhook", request).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, format!("pull_request d-7 {}", hex::encode(&fixture)));

        let forged = GitHubDelivery::new("pull_request", fixture.clone())
            .secret("guess")
            .into_request();
        let (status, body) = send(addr, "/webhook", forged).await;
        assert_eq!(status, 401);
        assert_eq!(body, "signature_mismatch: the signature does not match\n");
    }
}

#[tokio::test]
async fn the_event_extractor_answers_500_without_the_layer() {
    let addr = common::serve_axum(Router::new().route("/webhook", post(echo))).await;
    let request = GitHubDelivery::new("ping", "{}")
        .secret(SECRET)
        .into_request();
    let (status, body) = send(addr, "/webhook", request).await;
    assert_eq!(status, 500);
    assert!(body.contains("WebhookLayer"), "{body}");
}

#[tokio::test]
async fn hyper_server_chunked_bodies_verify_and_arrive_whole() {
    let recorder = Recorder::default();
    let addr = common::serve_hyper(tower::Layer::layer(&layer(), recorder.service())).await;
    let body = br#"{"zen":"Approachable is better than simple.","hook_id":1}"#;
    let signature = tower_webhooks::provider::github::sign(SECRET.as_bytes(), body);
    let mut raw = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: c-1\r\n\
         X-Hub-Signature-256: {signature}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(7) {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let (status, text) = send_raw(addr, &raw).await;
    assert_eq!(status, 200, "{text}");
    let calls = recorder.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(&calls[0].1[..], &body[..]);
    assert_eq!(calls[0].0.delivery(), Some("c-1"));
}

#[tokio::test]
async fn a_declared_content_length_of_one_tib_is_answered_413_at_once() {
    let recorder = Recorder::default();
    let addr = common::serve_hyper(tower::Layer::layer(&layer(), recorder.service())).await;
    let signature = tower_webhooks::provider::github::sign(SECRET.as_bytes(), b"");
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: {signature}\r\n\
         Content-Length: {}\r\n\r\n{{",
        1u64 << 40
    );
    let started = Instant::now();
    let (status, text) = send_raw(addr, raw.as_bytes()).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("body_too_large"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "not at once: {:?}",
        started.elapsed()
    );
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn an_over_limit_chunked_body_is_answered_413() {
    let recorder = Recorder::default();
    let addr = common::serve_hyper(tower::Layer::layer(&layer(), recorder.service())).await;
    let body = vec![b'a'; 100 * 1024];
    let signature = tower_webhooks::provider::github::sign(SECRET.as_bytes(), &body);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: {signature}\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(16 * 1024) {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(chunk);
        frame.extend_from_slice(b"\r\n");
        if stream.write_all(&frame).await.is_err() {
            break; // the server answered and closed: fine
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let (status, text) = common::read_response(&mut stream).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("body_too_large"));
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn a_body_that_stalls_past_the_deadline_gets_408() {
    let recorder = Recorder::default();
    let addr = common::serve_hyper(tower::Layer::layer(&layer(), recorder.service())).await;
    let signature = tower_webhooks::provider::github::sign(SECRET.as_bytes(), b"{}");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: {signature}\r\n\
         Content-Length: 2\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (status, text) = common::read_response(&mut stream).await;
    assert_eq!(status, 408, "{text}");
    assert!(text.contains("body_timeout"));
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn gitlab_token_mismatch_is_answered_before_the_body_is_sent() {
    let recorder = Recorder::default();
    let layer = WebhookLayer::gitlab(KeyRing::single(Secret::new("gl token").unwrap()));
    let addr = common::serve_hyper(tower::Layer::layer(&layer, recorder.service())).await;
    // Headers only; the 1 MiB body announced is never sent.
    let raw = "POST / HTTP/1.1\r\nHost: x\r\nX-Gitlab-Event: Push Hook\r\nX-Gitlab-Token: wrong\r\n\
               Content-Length: 1048576\r\n\r\n";
    let (status, text) = send_raw(addr, raw.as_bytes()).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("token_mismatch"));
    assert_eq!(recorder.count(), 0);

    let ok = GitLabDelivery::new("Push Hook", "{}")
        .token("gl token")
        .into_request();
    let (status, _) = send(addr, "/", ok).await;
    assert_eq!(status, 200);
    assert_eq!(recorder.count(), 1);
}
