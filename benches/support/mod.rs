//! Shared bench support: bodies, signed requests, the raw HMAC-SHA256
//! baseline, a no-op inner service, and the summary read back from
//! criterion's own estimates.
#![allow(dead_code)]

use std::convert::Infallible;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use criterion::Criterion;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue, Method, Request, Response, header};
use http_body_util::{Empty, Full};
use sha2::Sha256;
use tower_webhooks::VerifiedBody;
use tower_webhooks::test_util::GitHubDelivery;

/// GitHub's documented example secret.
pub const SECRET: &str = "It's a Secret to Everybody";

pub const KIB: usize = 1024;
pub const MIB: usize = 1024 * 1024;

/// The body sizes of the verify path.
pub const SIZES: [(usize, &str); 5] = [
    (64, "64B"),
    (KIB, "1KiB"),
    (25 * KIB, "25KiB"),
    (MIB, "1MiB"),
    (25 * MIB, "25MiB"),
];

/// Criterion with short default times (the full run stays within minutes
/// on a shared machine); the command line still overrides them.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args()
}

/// A JSON-looking body of exactly `len` bytes.
pub fn body(len: usize) -> Bytes {
    let mut bytes = vec![b'x'; len];
    if len >= 2 {
        bytes[0] = b'{';
        bytes[len - 1] = b'}';
    }
    Bytes::from(bytes)
}

/// The pre-keyed HMAC-SHA256 state the baseline clones per iteration.
pub fn keyed_mac(secret: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("any key length")
}

/// The baseline: clone the pre-keyed state, MAC the bytes, finalize.
#[inline]
pub fn raw_mac(keyed: &Hmac<Sha256>, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = keyed.clone();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The headers GitHub sends for `body`, signed with [`SECRET`], with
/// `Content-Length`.
pub fn github_headers(body: &Bytes) -> HeaderMap {
    let delivery = GitHubDelivery::new("push", body.clone())
        .secret(SECRET)
        .delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .hook_id("12345678");
    with_length(delivery.headers(), body.len())
}

/// `headers` plus `Content-Length: len`.
pub fn with_length(mut headers: HeaderMap, len: usize) -> HeaderMap {
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    headers
}

/// A POST to `/` with these headers and body.
pub fn request<B>(headers: &HeaderMap, body: B) -> Request<B> {
    let mut request = Request::new(body);
    *request.method_mut() = Method::POST;
    *request.headers_mut() = headers.clone();
    request
}

/// A full-body POST to `/`.
pub fn full_request(headers: &HeaderMap, body: &Bytes) -> Request<Full<Bytes>> {
    request(headers, Full::new(body.clone()))
}

/// The no-op service's future: ready at once.
pub type NoopFuture = std::future::Ready<Result<Response<Empty<Bytes>>, Infallible>>;

/// The inner service of the layer benches: does nothing, answers 200.
pub fn noop() -> impl tower::Service<
    Request<VerifiedBody>,
    Response = Response<Empty<Bytes>>,
    Error = Infallible,
    Future = NoopFuture,
> + Clone {
    tower::service_fn(|_request: Request<VerifiedBody>| {
        std::future::ready(Ok(Response::new(Empty::new())))
    })
}

/// A current-thread tokio runtime with the timer (the layer's body deadline
/// uses it).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Whether criterion is only checking that the benches run
/// (`cargo bench -- --test`, `cargo test --benches`): no figures then.
pub fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// Reads criterion's figures of this run back for the summary.
pub struct Estimates {
    dir: PathBuf,
    started: SystemTime,
}

impl Estimates {
    /// Call before the benches run: figures older than this are ignored.
    pub fn new() -> Self {
        // Criterion's own order: $CRITERION_HOME, else <target dir>/criterion.
        // The bench binary lives in <target dir>/<profile>/deps/.
        let dir = std::env::var_os("CRITERION_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("CARGO_TARGET_DIR").map(|t| PathBuf::from(t).join("criterion"))
            })
            .unwrap_or_else(|| {
                let exe = std::env::current_exe().expect("the bench binary's path");
                exe.ancestors()
                    .nth(3)
                    .expect("<target>/<profile>/deps/<bench>")
                    .join("criterion")
            });
        Self {
            dir,
            started: SystemTime::now(),
        }
    }

    /// Criterion's typical time (slope, else mean) in nanoseconds for
    /// `group/function/parameter`, when it was measured in this run.
    pub fn ns(&self, group: &str, function: &str, parameter: &str) -> Option<f64> {
        let path = self
            .dir
            .join(group)
            .join(function)
            .join(parameter)
            .join("new/estimates.json");
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if modified < self.started {
            return None;
        }
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
        let typical = match &json["slope"] {
            serde_json::Value::Null => &json["mean"],
            slope => slope,
        };
        typical["point_estimate"].as_f64()
    }
}

/// Nanoseconds in a readable unit.
pub fn time(ns: f64) -> String {
    if ns < 0.0 {
        format!("-{}", time(-ns))
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A verdict cell: `met` / `NOT MET` with the figure.
pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT MET" }
}

/// Prints a markdown table (header, then rows) under a title.
pub fn print_table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    println!();
    println!("## {title}");
    println!();
    println!("| {} |", header.join(" | "));
    println!("|{}", "---|".repeat(header.len()));
    for row in rows {
        println!("| {} |", row.join(" | "));
    }
}

/// A row value that may be missing from this run (filtered out).
pub fn or_missing(value: Option<String>) -> String {
    value.unwrap_or_else(|| "not run".to_owned())
}

/// Interleaved measurement for the ratios: `rounds` times, a batch of
/// `baseline` then a batch of `subject`, each batch about a millisecond.
/// Returns the best (lowest) time per call of each, in nanoseconds.
///
/// On a machine shared with other work, criterion's figures for two benches
/// are taken seconds apart under different load; alternating batches and
/// keeping each side's best batch compares both under the same conditions.
pub fn paired<I, J, A, B>(
    rounds: usize,
    baseline: (impl FnMut() -> I, impl FnMut(I) -> A),
    subject: (impl FnMut() -> J, impl FnMut(J) -> B),
) -> (f64, f64) {
    let (mut setup_a, mut run_a) = baseline;
    let (mut setup_b, mut run_b) = subject;
    let input = setup_b();
    let start = Instant::now();
    drop(std::hint::black_box(run_b(input)));
    let once = start.elapsed().as_nanos().max(1) as u64;
    let batch = (1_000_000 / once).clamp(1, 10_000) as usize;

    let (mut best_a, mut best_b) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        best_a = best_a.min(batch_time(batch, &mut setup_a, &mut run_a));
        best_b = best_b.min(batch_time(batch, &mut setup_b, &mut run_b));
    }
    (best_a, best_b)
}

/// Time per call of one batch; inputs built before and outputs dropped
/// after the timing.
fn batch_time<I, O>(
    batch: usize,
    setup: &mut impl FnMut() -> I,
    run: &mut impl FnMut(I) -> O,
) -> f64 {
    let inputs: Vec<I> = (0..batch).map(|_| setup()).collect();
    let mut outputs = Vec::with_capacity(batch);
    let start = Instant::now();
    for input in inputs {
        outputs.push(std::hint::black_box(run(input)));
    }
    let elapsed = start.elapsed();
    drop(outputs);
    elapsed.as_nanos() as f64 / batch as f64
}

/// How many rounds [`paired`] runs: `PAIRED_ROUNDS`, default 100.
pub fn rounds() -> usize {
    std::env::var("PAIRED_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}
