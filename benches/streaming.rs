//! Streaming: a 25 MiB body delivered in 16 KiB frames, as hyper delivers
//! it, through the whole layer, against raw HMAC-SHA256 over the same
//! frames. A counting global allocator measures the peak heap the layer adds
//! on top of the body it was handed, and the allocations per request.
//!
//! `cargo bench --all-features --bench streaming`; a summary table with the
//! ratios is printed at the end.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use criterion::{BatchSize, Criterion};
use http::{HeaderMap, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use tower::{Layer, ServiceExt};
use tower_webhooks::{KeyRing, Secret, WebhookLayer};

use support::*;

const BODY_LEN: usize = 25 * MIB;
const FRAME_LEN: usize = 16 * KIB;

/// The system allocator, counting the bytes live now, the peak since the
/// last [`Counting::reset_peak`], and the number of allocations.
struct Counting {
    current: AtomicUsize,
    peak: AtomicUsize,
    allocations: AtomicUsize,
}

impl Counting {
    const fn new() -> Self {
        Self {
            current: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            allocations: AtomicUsize::new(0),
        }
    }

    fn grew(&self, by: usize) {
        self.allocations.fetch_add(1, Ordering::Relaxed);
        let now = self.current.fetch_add(by, Ordering::Relaxed) + by;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    fn shrank(&self, by: usize) {
        self.current.fetch_sub(by, Ordering::Relaxed);
    }

    fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed)
    }

    fn reset_peak(&self) {
        self.peak.store(self.current(), Ordering::Relaxed);
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    fn allocations(&self) -> usize {
        self.allocations.load(Ordering::Relaxed)
    }
}

// SAFETY: every call is forwarded to `System` unchanged; the counters only
// observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            self.grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            self.grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        self.shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            self.shrank(layout.size());
            self.grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOC: Counting = Counting::new();

/// A body of ready frames, as hyper hands them on: each frame a separate
/// `Bytes`, polled one at a time.
struct Frames {
    frames: VecDeque<Bytes>,
    remaining: u64,
}

impl Frames {
    /// The frames of `body`, `FRAME_LEN` bytes each, sharing its memory.
    fn of(body: &Bytes) -> Self {
        Self {
            frames: (0..body.len())
                .step_by(FRAME_LEN)
                .map(|at| body.slice(at..(at + FRAME_LEN).min(body.len())))
                .collect(),
            remaining: body.len() as u64,
        }
    }
}

impl Body for Frames {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.frames.pop_front().map(|frame| {
            self.remaining -= frame.len() as u64;
            Ok(Frame::data(frame))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

fn main() {
    let estimates = Estimates::new();
    let mut c = criterion();
    let rt = runtime();
    let body = body(BODY_LEN);
    let headers = github_headers(&body);
    let mut no_length = headers.clone();
    no_length.remove(header::CONTENT_LENGTH);
    let layer = WebhookLayer::github(KeyRing::single(Secret::new(SECRET).unwrap()));

    let memory = [
        (
            "with Content-Length",
            peak_extra(&rt, &layer, &headers, &body),
        ),
        (
            "without Content-Length",
            peak_extra(&rt, &layer, &no_length, &body),
        ),
    ];
    let allocations: Vec<(usize, usize)> = [64, KIB, 25 * KIB]
        .into_iter()
        .map(|len| {
            let body = support::body(len);
            (
                len,
                allocations_per_request(&rt, &layer, &github_headers(&body), &body),
            )
        })
        .collect();

    bench(&mut c, &rt, &layer, &headers, &no_length, &body);
    c.final_summary();
    if !test_mode() {
        let paired = [&headers, &no_length].map(|headers| {
            let keyed = keyed_mac(SECRET.as_bytes());
            let frames: Vec<Bytes> = Frames::of(&body).frames.into();
            let service = layer.layer(noop());
            paired(
                rounds(),
                (|| (), |()| raw_frames(&keyed, &frames)),
                (
                    || support::request(headers, Frames::of(&body)),
                    |request| rt.block_on(service.clone().oneshot(request)).unwrap(),
                ),
            )
        });
        summary(&estimates, &memory, &allocations, &paired);
    }
}

/// The baseline: raw HMAC-SHA256 fed the same frames.
fn raw_frames(keyed: &hmac::Hmac<sha2::Sha256>, frames: &[Bytes]) -> [u8; 32] {
    let mut mac = keyed.clone();
    for frame in black_box(frames) {
        hmac::Mac::update(&mut mac, frame);
    }
    hmac::Mac::finalize(mac).into_bytes().into()
}

fn bench(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    layer: &WebhookLayer,
    headers: &HeaderMap,
    no_length: &HeaderMap,
    body: &Bytes,
) {
    let mut group = c.benchmark_group("streaming_25MiB");
    group.sample_size(10);

    let keyed = keyed_mac(SECRET.as_bytes());
    let frames: Vec<Bytes> = Frames::of(body).frames.into();
    group.bench_function("raw_hmac", |b| b.iter(|| raw_frames(&keyed, &frames)));

    let service = layer.layer(noop());
    for (id, headers) in [("layer", headers), ("layer_no_content_length", no_length)] {
        let response = rt
            .block_on(
                service
                    .clone()
                    .oneshot(support::request(headers, Frames::of(body))),
            )
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{id}");
        group.bench_function(id, |b| {
            b.iter_batched(
                || support::request(headers, Frames::of(body)),
                |request| rt.block_on(service.clone().oneshot(request)).unwrap(),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// The peak heap, above what was live when the request was built, while
/// the layer verifies the streamed body: bytes, and as a share of the body.
fn peak_extra(
    rt: &tokio::runtime::Runtime,
    layer: &WebhookLayer,
    headers: &HeaderMap,
    body: &Bytes,
) -> (usize, f64) {
    let service = layer.layer(noop());
    let request = support::request(headers, Frames::of(body));
    let before = ALLOC.current();
    ALLOC.reset_peak();
    let response = rt.block_on(service.oneshot(request)).unwrap();
    let extra = ALLOC.peak() - before;
    assert_eq!(response.status(), StatusCode::OK);
    (extra, extra as f64 / body.len() as f64)
}

/// Allocations made while the layer verifies one single-frame request and
/// calls the no-op inner service (the request is built before counting).
fn allocations_per_request(
    rt: &tokio::runtime::Runtime,
    layer: &WebhookLayer,
    headers: &HeaderMap,
    body: &Bytes,
) -> usize {
    let service = layer.layer(noop());
    // Warm up once (lazy statics, the runtime's first poll).
    let _ = rt.block_on(service.clone().oneshot(full_request(headers, body)));
    let runs = 100;
    let requests: Vec<_> = (0..runs).map(|_| full_request(headers, body)).collect();
    let before = ALLOC.allocations();
    for request in requests {
        let response = rt.block_on(service.clone().oneshot(request)).unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    (ALLOC.allocations() - before) / runs
}

fn summary(
    e: &Estimates,
    memory: &[(&str, (usize, f64))],
    allocations: &[(usize, usize)],
    paired: &[(f64, f64); 2],
) {
    let g = "streaming_25MiB";
    let raw = e.ns(g, "raw_hmac", "");
    let mut rows = Vec::new();
    for (i, (id, label)) in [
        ("layer", "with Content-Length"),
        ("layer_no_content_length", "without Content-Length"),
    ]
    .into_iter()
    .enumerate()
    {
        let layer = e.ns(g, id, "");
        let criterion_ratio = match (raw, layer) {
            (Some(r), Some(l)) => format!("{:.3}x", l / r),
            _ => "not run".into(),
        };
        let (paired_raw, paired_layer) = paired[i];
        let ratio = paired_layer / paired_raw;
        let target = if id == "layer" {
            format!("≤ 1.10x: {}", verdict(ratio <= 1.10))
        } else {
            "-".into()
        };
        let (extra, share) = memory
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, m)| *m)
            .expect("measured");
        rows.push(vec![
            label.to_owned(),
            or_missing(raw.map(time)),
            or_missing(layer.map(time)),
            criterion_ratio,
            time(paired_raw),
            time(paired_layer),
            format!("{ratio:.3}x"),
            target,
            format!("{:.2} MiB", extra as f64 / MIB as f64),
            format!("{share:.3}x"),
            if id == "layer" {
                format!("≤ 1.1x: {}", verdict(share <= 1.1))
            } else {
                "-".into()
            },
        ]);
    }
    print_table(
        "Streaming, 25 MiB in 16 KiB frames",
        &[
            "request",
            "raw HMAC (criterion)",
            "layer (criterion)",
            "ratio (criterion)",
            "raw HMAC (paired best)",
            "layer (paired best)",
            "ratio (paired)",
            "time target",
            "peak extra heap",
            "extra / body",
            "heap target",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = allocations
        .iter()
        .map(|(len, n)| vec![format!("{len} B"), n.to_string()])
        .collect();
    print_table(
        "Heap allocations per verified single-frame GitHub request (layer + no-op inner)",
        &["body", "allocations"],
        &rows,
    );
}
