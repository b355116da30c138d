//! End to end: three axum servers on 127.0.0.1, served by ONE worker thread
//! (a current-thread tokio runtime, pinned to one core when the machine lets
//! us), driven by a load generator with several keep-alive connections on
//! the other core:
//!
//! - `plain`: no verification, the handler only reads the body (`Bytes`);
//! - `hand`: the hand-written minimum: axum's `Bytes` extractor, then a
//!   pre-keyed HMAC-SHA256 and a `subtle` compare in the handler;
//! - `layer`: the same `Bytes` handler behind `WebhookLayer::github`.
//!
//! Each figure is the time per request of the whole server (criterion's
//! "time" is 1 / throughput). The summary adds the bound
//! `1 / (1/r0 + t_mac)`, where `r0` is the plain server's rate and `t_mac`
//! the raw MAC time of the body measured in the same run.
//!
//! Traffic goes to 127.0.0.1 only; the run is bounded by criterion's times
//! and the servers stop when the bench ends.
//!
//! `cargo bench --all-features --bench end_to_end`

mod support;

use std::future::IntoFuture;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use criterion::{SamplingMode, Throughput};
use hmac::{Hmac, Mac};
use http::{HeaderMap, StatusCode};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tower_webhooks::{KeyRing, Secret, WebhookLayer};

use support::*;

/// Keep-alive connections of the load generator.
const CONNECTIONS: usize = 4;

const SIZES: [(usize, &str); 2] = [(KIB, "1KiB"), (25 * KIB, "25KiB")];
const SERVERS: [&str; 4] = ["plain", "hand", "layer", "layer_no_deadline"];

fn main() {
    let estimates = Estimates::new();
    let mut c = criterion();

    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let (server_core, client_core) = match cores.as_slice() {
        [first, second, ..] => (Some(*first), Some(*second)),
        _ => (None, None),
    };
    let servers = Servers::start(server_core);
    let pinned = client_core.is_some_and(core_affinity::set_for_current) && servers.pinned;
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");

    let mut loads = Vec::new();
    for (len, name) in SIZES {
        let body = body(len);
        let headers = github_headers(&body);
        let mut group = c.benchmark_group(format!("e2e_{name}"));
        group.throughput(Throughput::Elements(1));

        let keyed = keyed_mac(SECRET.as_bytes());
        group.bench_function("raw_hmac", |b| {
            b.iter(|| raw_mac(&keyed, black_box(&[&body])))
        });

        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        for server in SERVERS {
            let addr = servers.addr(server);
            let wire = Arc::new(serialize(&headers, &body));
            let mut load = client.block_on(Load::connect(addr, wire));
            // Check once that the server accepts the delivery.
            client.block_on(load.run(CONNECTIONS as u64));
            group.bench_function(server, |b| {
                b.iter_custom(|requests| {
                    let start = Instant::now();
                    client.block_on(load.run(requests));
                    start.elapsed()
                })
            });
            loads.push(load);
        }
        group.finish();
    }
    c.final_summary();
    if !test_mode() {
        let paired = paired_rates(&client, &mut loads, &servers);
        summary(&estimates, pinned, &paired);
    }
    drop(loads);
    servers.stop();
}

/// The three servers, on one current-thread runtime on its own thread.
struct Servers {
    addrs: [SocketAddr; 4],
    pinned: bool,
    /// The server thread's id, to read its CPU time.
    tid: Option<u32>,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Servers {
    fn start(core: Option<core_affinity::CoreId>) -> Self {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                let pinned = core.is_some_and(core_affinity::set_for_current);
                let tid = std::fs::read_link("/proc/thread-self")
                    .ok()
                    .and_then(|path| path.file_name()?.to_str()?.parse::<u32>().ok());
                let rt = runtime();
                rt.block_on(async move {
                    let mut listeners = Vec::new();
                    for _ in SERVERS {
                        listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
                    }
                    let addrs: Vec<SocketAddr> =
                        listeners.iter().map(|l| l.local_addr().unwrap()).collect();
                    ready_tx
                        .send((addrs.try_into().unwrap(), pinned, tid))
                        .unwrap();
                    let [plain, hand, layer, untimed]: [TcpListener; 4] =
                        listeners.try_into().unwrap();

                    let read_body = |body: Bytes| async move {
                        black_box(body.len());
                        StatusCode::OK
                    };
                    let plain_app = Router::new().route("/", post(read_body));

                    let keyed = keyed_mac(SECRET.as_bytes());
                    let hand_app = Router::new().route(
                        "/",
                        post(move |headers: HeaderMap, body: Bytes| {
                            let status = hand_verify(&keyed, &headers, &body);
                            async move { status }
                        }),
                    );

                    let keys = KeyRing::single(Secret::new(SECRET).unwrap());
                    let layer_app = Router::new()
                        .route("/", post(read_body))
                        .layer(WebhookLayer::github(keys.clone()));
                    let untimed_app = Router::new()
                        .route("/", post(read_body))
                        .layer(WebhookLayer::github(keys).without_body_timeout());

                    tokio::select! {
                        _ = axum::serve(plain, plain_app).into_future() => {}
                        _ = axum::serve(hand, hand_app).into_future() => {}
                        _ = axum::serve(layer, layer_app).into_future() => {}
                        _ = axum::serve(untimed, untimed_app).into_future() => {}
                        _ = stopped => {}
                    }
                });
            })
            .expect("the server thread");
        let (addrs, pinned, tid) = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the servers start");
        Self {
            addrs,
            pinned,
            tid,
            stop,
            thread,
        }
    }

    fn addr(&self, server: &str) -> SocketAddr {
        self.addrs[SERVERS.iter().position(|s| *s == server).unwrap()]
    }

    /// Nanoseconds the server thread has run on a CPU (Linux schedstat).
    fn cpu_ns(&self) -> Option<u64> {
        let path = format!("/proc/self/task/{}/schedstat", self.tid?);
        let text = std::fs::read_to_string(path).ok()?;
        text.split_whitespace().next()?.parse().ok()
    }

    fn stop(self) {
        let _ = self.stop.send(());
        self.thread.join().expect("the server thread ends");
    }
}

/// The hand-written minimum: parse `sha256=<hex>`, MAC the body with a
/// pre-keyed state, compare in constant time.
fn hand_verify(keyed: &Hmac<Sha256>, headers: &HeaderMap, body: &[u8]) -> StatusCode {
    let Some(hex) = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.as_bytes().strip_prefix(b"sha256="))
    else {
        return StatusCode::UNAUTHORIZED;
    };
    let mut expected = [0u8; 32];
    if hex::decode_to_slice(hex, &mut expected).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    let mut mac = keyed.clone();
    mac.update(body);
    if bool::from(mac.finalize().into_bytes().as_slice().ct_eq(&expected)) {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

/// The request as HTTP/1.1 bytes, ready to write again and again.
fn serialize(headers: &HeaderMap, body: &Bytes) -> Vec<u8> {
    let mut wire = b"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\n".to_vec();
    for (name, value) in headers {
        wire.extend_from_slice(name.as_str().as_bytes());
        wire.extend_from_slice(b": ");
        wire.extend_from_slice(value.as_bytes());
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"\r\n");
    wire.extend_from_slice(body);
    wire
}

/// The load generator: `CONNECTIONS` keep-alive connections, each sending
/// the same request and reading the whole response, one at a time.
struct Load {
    connections: Vec<Connection>,
}

struct Connection {
    stream: TcpStream,
    wire: Arc<Vec<u8>>,
    buffer: Vec<u8>,
}

impl Load {
    async fn connect(addr: SocketAddr, wire: Arc<Vec<u8>>) -> Self {
        let mut connections = Vec::new();
        for _ in 0..CONNECTIONS {
            let stream = TcpStream::connect(addr)
                .await
                .expect("connect to 127.0.0.1");
            stream.set_nodelay(true).unwrap();
            connections.push(Connection {
                stream,
                wire: wire.clone(),
                buffer: Vec::with_capacity(4096),
            });
        }
        Self { connections }
    }

    /// Sends `requests` requests spread over the connections, all answered
    /// 200, and returns when the last response is read.
    async fn run(&mut self, requests: u64) {
        let mut set = JoinSet::new();
        let n = self.connections.len() as u64;
        for (i, mut connection) in self.connections.drain(..).enumerate() {
            let share = requests / n + u64::from((i as u64) < requests % n);
            set.spawn(async move {
                for _ in 0..share {
                    connection.exchange().await;
                }
                connection
            });
        }
        while let Some(connection) = set.join_next().await {
            self.connections.push(connection.expect("a load task"));
        }
    }
}

impl Connection {
    async fn exchange(&mut self) {
        self.stream.write_all(&self.wire).await.expect("send");
        self.buffer.clear();
        let (head_end, body_len) = loop {
            let mut chunk = [0u8; 1024];
            let read = self.stream.read(&mut chunk).await.expect("receive");
            assert!(read > 0, "the server closed the connection");
            self.buffer.extend_from_slice(&chunk[..read]);
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end]).expect("an ASCII head");
                assert!(head.starts_with("HTTP/1.1 200"), "not accepted: {head}");
                let length = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                break (end + 4, length);
            }
        };
        while self.buffer.len() < head_end + body_len {
            let mut chunk = [0u8; 1024];
            let read = self.stream.read(&mut chunk).await.expect("receive");
            assert!(read > 0, "the server closed the connection");
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

/// Interleaved rates, as `support::paired` does for single calls: rounds
/// of a short burst on each server in turn, keeping each server's best
/// burst; and the raw MAC time of each body, best of its batches.
/// Per size: t_mac, and per server the best wall time per request and the
/// best server CPU time per request (ns).
fn paired_rates(
    client: &tokio::runtime::Runtime,
    loads: &mut [Load],
    servers: &Servers,
) -> Vec<Paired> {
    let mut out = Vec::new();
    for (size, (len, _)) in SIZES.iter().enumerate() {
        let body = body(*len);
        let keyed = keyed_mac(SECRET.as_bytes());
        let (t_mac, _) = paired(
            rounds(),
            (|| (), |()| raw_mac(&keyed, black_box(&[&body]))),
            (|| (), |()| ()),
        );
        let loads = &mut loads[size * SERVERS.len()..(size + 1) * SERVERS.len()];
        // Bursts of about 50 ms at the plain server's rate.
        let probe = Instant::now();
        client.block_on(loads[0].run(200));
        let per = probe.elapsed().as_nanos() as f64 / 200.0;
        let burst = ((50e6 / per) as u64).clamp(100, 20_000);
        let mut wall = [f64::MAX; 4];
        let mut cpu = [f64::MAX; 4];
        for _ in 0..rounds().min(20) {
            for (i, load) in loads.iter_mut().enumerate() {
                let cpu_start = servers.cpu_ns();
                let start = Instant::now();
                client.block_on(load.run(burst));
                wall[i] = wall[i].min(start.elapsed().as_nanos() as f64 / burst as f64);
                if let (Some(before), Some(after)) = (cpu_start, servers.cpu_ns()) {
                    cpu[i] = cpu[i].min((after - before) as f64 / burst as f64);
                }
            }
        }
        out.push(Paired {
            t_mac,
            wall,
            cpu: (cpu[0] < f64::MAX).then_some(cpu),
        });
    }
    out
}

struct Paired {
    t_mac: f64,
    wall: [f64; 4],
    cpu: Option<[f64; 4]>,
}

fn summary(e: &Estimates, pinned: bool, paired: &[Paired]) {
    let mut rows = Vec::new();
    for (i, (_, name)) in SIZES.iter().enumerate() {
        let g = format!("e2e_{name}");
        let get = |id| e.ns(&g, id, "");
        let rate = |ns: f64| 1e9 / ns;
        if let (Some(t_mac), Some(plain), Some(hand), Some(layer), Some(untimed)) = (
            get("raw_hmac"),
            get("plain"),
            get("hand"),
            get("layer"),
            get("layer_no_deadline"),
        ) {
            let figures = [plain, hand, layer, untimed];
            rows.push(row(name, "wall, criterion", t_mac, figures, &rate));
        }
        let p = &paired[i];
        rows.push(row(name, "wall, paired best", p.t_mac, p.wall, &rate));
        if let Some(cpu) = p.cpu {
            rows.push(row(
                name,
                "server CPU time, paired best",
                p.t_mac,
                cpu,
                &rate,
            ));
        }
    }
    print_table(
        &format!(
            "End to end, axum on one worker thread, {CONNECTIONS} connections ({})",
            if pinned {
                "server and load generator pinned to separate cores"
            } else {
                "not pinned"
            }
        ),
        &[
            "body",
            "figures",
            "t_mac",
            "r0 plain (req/s)",
            "bound 1/(1/r0+t_mac)",
            "hand-written (req/s, /bound)",
            "layer (req/s, /bound)",
            "layer, no deadline (req/s, /bound)",
            "target (layer)",
        ],
        &rows,
    );
}

fn row(
    name: &str,
    figures: &str,
    t_mac: f64,
    [plain, hand, layer, untimed]: [f64; 4],
    rate: &dyn Fn(f64) -> f64,
) -> Vec<String> {
    let bound_ns = plain + t_mac;
    vec![
        name.to_owned(),
        figures.to_owned(),
        time(t_mac),
        format!("{:.0}", rate(plain)),
        format!("{:.0}", rate(bound_ns)),
        format!("{:.0} ({:.3}x)", rate(hand), bound_ns / hand),
        format!("{:.0} ({:.3}x)", rate(layer), bound_ns / layer),
        format!("{:.0} ({:.3}x)", rate(untimed), bound_ns / untimed),
        format!("≥ 0.9x: {}", verdict(bound_ns / layer >= 0.9)),
    ]
}
