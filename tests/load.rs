//! Load: 20,000 GitHub deliveries at concurrency 64 over real TCP against a
//! hyper server on 127.0.0.1, half of them forged.
//!
//! Exactly the valid ones reach the handler, each once; nothing is answered
//! 5xx; the process's peak RSS (server and clients together) stays under
//! `PEAK_RSS_LIMIT`. Ignored by default (run it in release):
//!
//! ```text
//! cargo test --release --all-features --test load -- --ignored --nocapture
//! ```
//!
//! Needs the project's shared fixtures (see `common::shared`).

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower::ServiceBuilder;
use tower_webhooks::test_util::GitHubDelivery;
use tower_webhooks::{Event, KeyRing, Secret, VerifiedBody, WebhookLayer};

/// Deliveries sent in all.
const DELIVERIES: usize = 20_000;
/// Connections sending at once, each one request after another.
const CONCURRENCY: usize = 64;
/// The bound on the process's peak resident set (VmHWM), server and
/// clients together: 64 MiB. Measured at about 12.5 MiB (release build):
/// the fixtures are up to 28 KB and at most 64 are in flight, so this leaves
/// room for the runtime and allocator while catching anything that grows
/// with the number of deliveries (the 20,000 bodies are about 240 MB, the
/// 10,000 valid ones about 120 MB).
const PEAK_RSS_LIMIT_KIB: u64 = 64 * 1024;
/// The whole run must finish within this.
const DEADLINE: Duration = Duration::from_secs(300);

const SECRET: &str = "load secret";

/// What the handler saw: delivery id -> (times seen, whether the bytes were
/// exactly those sent for it).
type Seen = Arc<Mutex<HashMap<String, (u32, bool)>>>;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// Delivery `i`: even ones are signed with the secret; odd ones are forged
/// (another secret, or a body changed after signing).
fn delivery(i: usize, fixtures: &[(String, Bytes)]) -> Request<Full<Bytes>> {
    let (stem, body) = &fixtures[i % fixtures.len()];
    let event = common::github_event_of(stem);
    let id = format!("delivery-{i}");
    match i % 4 {
        0 | 2 => GitHubDelivery::new(event, body.clone())
            .secret(SECRET)
            .delivery(&id)
            .into_request(),
        1 => GitHubDelivery::new(event, body.clone())
            .secret("a guess")
            .delivery(&id)
            .into_request(),
        _ => {
            let signed = GitHubDelivery::new(event, body.clone()).secret(SECRET);
            let signature = signed.signature().unwrap();
            let mut tampered = body.to_vec();
            tampered[body.len() / 2] ^= 0x20;
            GitHubDelivery::new(event, tampered)
                .delivery(&id)
                .header(tower_webhooks::provider::github::SIGNATURE, &signature)
                .into_request()
        }
    }
}

async fn connect(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: run in release with --ignored (see .ci/steps/30-load.sh)"]
async fn twenty_thousand_deliveries_half_forged() {
    let fixtures = Arc::new(common::fixtures("github"));
    let seen: Seen = Arc::default();

    let expected = fixtures.clone();
    let record = seen.clone();
    let handler = tower::service_fn(move |request: Request<VerifiedBody>| {
        let record = record.clone();
        let expected = expected.clone();
        async move {
            let event = request.extensions().get::<Event>().cloned().unwrap();
            let id = event.delivery().unwrap_or_default().to_owned();
            let index: usize = id.trim_start_matches("delivery-").parse().unwrap();
            let exact = request.body().bytes() == &expected[index % expected.len()].1;
            let mut seen = record.lock().unwrap();
            let entry = seen.entry(id).or_insert((0, true));
            entry.0 += 1;
            entry.1 &= exact;
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
        }
    });
    let service = ServiceBuilder::new()
        .layer(WebhookLayer::github(KeyRing::single(
            Secret::new(SECRET).unwrap(),
        )))
        .service(handler);
    let addr = common::serve_hyper(service).await;

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..CONCURRENCY {
        let fixtures = fixtures.clone();
        tasks.spawn(async move {
            let mut statuses: HashMap<u16, usize> = HashMap::new();
            let mut wrong = Vec::new();
            let mut sender = connect(addr).await;
            for i in (worker..DELIVERIES).step_by(CONCURRENCY) {
                let (mut parts, body) = delivery(i, &fixtures).into_parts();
                parts.uri = "/webhook".parse().unwrap();
                parts
                    .headers
                    .insert(http::header::HOST, addr.to_string().parse().unwrap());
                sender.ready().await.unwrap();
                let response = sender
                    .send_request(Request::from_parts(parts, body))
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                response.into_body().collect().await.unwrap();
                *statuses.entry(status).or_default() += 1;
                let want = if i % 2 == 0 { 200 } else { 401 };
                if status != want {
                    wrong.push((i, status));
                }
            }
            (statuses, wrong)
        });
    }
    let results = tokio::time::timeout(DEADLINE, tasks.join_all())
        .await
        .expect("the load run finished within its deadline");
    let elapsed = started.elapsed();

    let mut statuses: HashMap<u16, usize> = HashMap::new();
    let mut wrong = Vec::new();
    for (s, w) in results {
        for (status, n) in s {
            *statuses.entry(status).or_default() += n;
        }
        wrong.extend(w);
    }
    let peak = peak_rss_kib();
    println!(
        "load: {DELIVERIES} deliveries, concurrency {CONCURRENCY}, {:.2?} ({:.0}/s); statuses {statuses:?}; peak RSS {} KiB (limit {PEAK_RSS_LIMIT_KIB} KiB)",
        elapsed,
        DELIVERIES as f64 / elapsed.as_secs_f64(),
        peak
    );

    assert!(!statuses.keys().any(|s| *s >= 500), "no 5xx: {statuses:?}");
    assert!(
        wrong.is_empty(),
        "wrong status for {} deliveries, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    assert_eq!(statuses.get(&200), Some(&(DELIVERIES / 2)));
    assert_eq!(statuses.get(&401), Some(&(DELIVERIES / 2)));

    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        DELIVERIES / 2,
        "exactly the valid deliveries reached the handler"
    );
    for i in (0..DELIVERIES).step_by(2) {
        let id = format!("delivery-{i}");
        assert_eq!(
            seen.get(&id),
            Some(&(1, true)),
            "{id}: once, with exactly the bytes sent"
        );
    }
    assert!(
        peak < PEAK_RSS_LIMIT_KIB,
        "peak RSS {peak} KiB over the {PEAK_RSS_LIMIT_KIB} KiB bound"
    );
}
