//! The dedup layer with the Redis store, against a real `redis-server`.
//!
//! Ignored in the plain `cargo test` run: `.ci/steps/10-redis.sh` installs
//! redis-server if missing, starts one on a free 127.0.0.1 port, and runs
//! these with `REDIS_URL` set and `--include-ignored`. The tests that stop
//! Redis start their own `redis-server` (from PATH) on a free port.

mod common;

#[path = "../examples/server/dedup.rs"]
mod server_dedup;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Extension, Router};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::{ServiceBuilder, ServiceExt};
use tower_webhooks::dedup::{
    Claim, ClaimToken, DedupLayer, DeliveryKey, DeliveryStore, FailurePolicy, RedisStore,
};
use tower_webhooks::test_util::GitHubDelivery;
use tower_webhooks::{Event, KeyRing, Provider, Secret, VerifiedBody, WebhookLayer};

const SECRET: &str = "It's a Secret to Everybody";

fn keys() -> KeyRing {
    KeyRing::single(Secret::new(SECRET).unwrap())
}

fn github(delivery: &str) -> Request<Full<Bytes>> {
    GitHubDelivery::new("push", r#"{"ref":"refs/heads/main"}"#)
        .secret(SECRET)
        .delivery(delivery)
        .hook_id("42")
        .into_request()
}

/// The shared Redis of the CI step.
fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| {
        panic!(
            "REDIS_URL is not set: these tests need a running Redis. Run .ci/steps/10-redis.sh, \
             or start redis-server and set REDIS_URL=redis://127.0.0.1:PORT"
        )
    })
}

/// A fresh key prefix, so runs and tests never see each other's records.
fn prefix(test: &str) -> String {
    format!("tower-webhooks-test:{test}:{}:", ClaimToken::new())
}

/// One replica's store: its own connection to the shared Redis.
async fn replica_store(url: &str, prefix: &str) -> RedisStore {
    RedisStore::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach Redis at REDIS_URL: {e}"))
        .key_prefix(prefix)
}

/// A replica: axum, WebhookLayer → DedupLayer(Redis) → a handler that
/// counts the deliveries it handled; answers 500 on its first `fail_first`
/// calls.
async fn replica(
    store: RedisStore,
    handled: Arc<Mutex<HashMap<String, usize>>>,
    fail_first: usize,
) -> SocketAddr {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route(
            "/webhook",
            post(move |Extension(event): Extension<Event>| async move {
                if calls.fetch_add(1, Ordering::SeqCst) < fail_first {
                    return (StatusCode::INTERNAL_SERVER_ERROR, "boom");
                }
                let id = event.delivery().unwrap().to_owned();
                *handled.lock().unwrap().entry(id).or_default() += 1;
                (StatusCode::OK, "handled")
            }),
        )
        .layer(
            ServiceBuilder::new()
                .layer(WebhookLayer::github(keys()))
                .layer(DedupLayer::new(store)),
        );
    common::serve_axum(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: run by .ci/steps/10-redis.sh"]
async fn two_replicas_over_tcp_handle_each_delivery_exactly_once() {
    const ROUNDS: usize = 1000;
    let (url, prefix) = (redis_url(), prefix("replicas"));
    let handled = Arc::new(Mutex::new(HashMap::new()));
    let a = replica(replica_store(&url, &prefix).await, handled.clone(), 0).await;
    let b = replica(replica_store(&url, &prefix).await, handled.clone(), 0).await;

    let started = Instant::now();
    let mut wins = [0usize; 2];
    for round in 0..ROUNDS {
        let id = format!("delivery-{round}");
        let (ra, rb) = tokio::join!(
            common::send(a, "/webhook", github(&id)),
            common::send(b, "/webhook", github(&id)),
        );
        let answers = [ra, rb];
        let winners: Vec<usize> = (0..2)
            .filter(|&i| answers[i] == (StatusCode::OK, "handled".to_owned()))
            .collect();
        assert_eq!(winners.len(), 1, "{id}: {answers:?}");
        let loser = 1 - winners[0];
        assert_eq!(
            answers[loser],
            (StatusCode::OK, "duplicate delivery".to_owned()),
            "{id}"
        );
        wins[winners[0]] += 1;
    }
    let elapsed = started.elapsed();

    let handled = handled.lock().unwrap();
    assert_eq!(handled.len(), ROUNDS);
    assert!(
        handled.values().all(|&n| n == 1),
        "a delivery was handled twice"
    );
    eprintln!(
        "two replicas, one Redis: {ROUNDS} deliveries each sent to both at once over TCP in \
         {elapsed:?}; handled once each (replica A won {}, replica B won {})",
        wins[0], wins[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: run by .ci/steps/10-redis.sh"]
async fn a_redelivery_after_a_500_is_handled_again_by_the_other_replica() {
    let (url, prefix) = (redis_url(), prefix("redelivery"));
    let handled = Arc::new(Mutex::new(HashMap::new()));
    // Replica A fails its first delivery with a 500.
    let a = replica(replica_store(&url, &prefix).await, handled.clone(), 1).await;
    let b = replica(replica_store(&url, &prefix).await, handled.clone(), 0).await;

    let (status, body) = common::send(a, "/webhook", github("d-500")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, "boom")
    );
    let (status, body) = common::send(b, "/webhook", github("d-500")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "handled"));
    for replica in [a, b] {
        let (status, body) = common::send(replica, "/webhook", github("d-500")).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "duplicate delivery")
        );
    }
    assert_eq!(handled.lock().unwrap().get("d-500"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: run by .ci/steps/10-redis.sh"]
async fn claims_are_atomic_across_many_connections() {
    // Eight "replicas" race for each of 200 keys: exactly one wins each.
    let (url, prefix) = (redis_url(), prefix("atomic"));
    let mut stores = Vec::new();
    for _ in 0..8 {
        stores.push(replica_store(&url, &prefix).await);
    }
    let lease = Duration::from_secs(60);
    for n in 0..200 {
        let key = DeliveryKey::new(Provider::GitHub, None, Some("42"), &format!("k-{n}"));
        let tasks: Vec<_> = stores
            .iter()
            .cloned()
            .map(|store| {
                let key = key.clone();
                tokio::spawn(
                    async move { store.claim(&key, &ClaimToken::new(), lease).await.unwrap() },
                )
            })
            .collect();
        let mut claimed = 0;
        for task in tasks {
            if task.await.unwrap() == Claim::Claimed {
                claimed += 1;
            }
        }
        assert_eq!(claimed, 1, "k-{n}");
    }
}

#[tokio::test]
#[ignore = "needs Redis: run by .ci/steps/10-redis.sh"]
async fn release_and_complete_respect_the_claim_token() {
    let (url, prefix) = (redis_url(), prefix("tokens"));
    let store = replica_store(&url, &prefix).await;
    let key = DeliveryKey::new(Provider::GitHub, None, Some("42"), "tokens");
    let (mine, other) = (ClaimToken::new(), ClaimToken::new());
    let lease = Duration::from_millis(300);
    assert_eq!(
        store.claim(&key, &mine, lease).await.unwrap(),
        Claim::Claimed
    );
    // Another token's release leaves the claim alone.
    store.release(&key, &other).await.unwrap();
    assert_eq!(
        store.claim(&key, &other, lease).await.unwrap(),
        Claim::Duplicate
    );
    // The lease lapses; another replica claims; my late release and
    // completion leave its claim alone.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        store.claim(&key, &other, lease).await.unwrap(),
        Claim::Claimed
    );
    store.release(&key, &mine).await.unwrap();
    store
        .complete(&key, &mine, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        store.claim(&key, &ClaimToken::new(), lease).await.unwrap(),
        Claim::Duplicate
    );
    store.release(&key, &other).await.unwrap();
    assert_eq!(
        store.claim(&key, &mine, lease).await.unwrap(),
        Claim::Claimed
    );
    // Completed: remembered for the TTL, beyond the lease.
    store
        .complete(&key, &mine, Duration::from_secs(60))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        store.claim(&key, &other, lease).await.unwrap(),
        Claim::Duplicate
    );
}

/// A `redis-server` of this test's own, which it may stop and restart.
struct OwnRedis {
    child: Option<Child>,
    port: u16,
}

impl OwnRedis {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self { child: None, port };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let port = self.port.to_string();
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}): install it (apt-get install redis-server); \
                     .ci/steps/10-redis.sh does"
                )
            });
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("redis-server on port {} exited: {status}", self.port);
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections stay
    /// open but nothing answers.
    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.signal("-CONT");
        }
        self.stop();
    }
}

type Answer = (StatusCode, String);
type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = Answer>>>;

/// An in-process replica over `store` with `policy`; returns the sender and
/// the inner service's call count.
fn in_process(
    store: RedisStore,
    policy: FailurePolicy,
) -> (impl Fn(&str) -> Pending, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let service = ServiceBuilder::new()
        .layer(WebhookLayer::github(keys()))
        .layer(DedupLayer::new(store).failure_policy(policy))
        .service_fn({
            let calls = calls.clone();
            move |_: Request<VerifiedBody>| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Ok::<_, Infallible>(Response::new(Full::<Bytes>::from("handled"))) }
            }
        });
    let send = move |id: &str| {
        let (service, request) = (service.clone(), github(id));
        Box::pin(async move {
            let response = service.oneshot(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8(body.to_vec()).unwrap())
        }) as Pending
    };
    (send, calls)
}

fn answer(status: StatusCode, body: &str) -> Answer {
    (status, body.to_owned())
}

/// Waits until the store answers again after Redis came back.
async fn wait_until_reachable(store: &RedisStore) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let key = DeliveryKey::new(Provider::GitHub, None, None, "probe");
    while store.release(&key, &ClaimToken::new()).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the store did not reconnect within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const TIMEOUT: Duration = Duration::from_millis(300);

#[tokio::test]
#[ignore = "needs redis-server on PATH: run by .ci/steps/10-redis.sh"]
async fn redis_stopped_fail_open_processes_every_delivery_with_one_warning() {
    let mut redis = OwnRedis::start();
    let logs = common::CapturedLogs::default();
    let _guard = logs.install();
    let store = RedisStore::connect(&redis.url())
        .await
        .unwrap()
        .timeout(TIMEOUT);
    let (send, calls) = in_process(store.clone(), FailurePolicy::FailOpen);

    assert_eq!(send("d-1").await, answer(StatusCode::OK, "handled"));
    assert_eq!(
        send("d-1").await,
        answer(StatusCode::OK, "duplicate delivery")
    );
    assert!(logs.take_warnings().is_empty());

    redis.stop();
    for id in ["d-1", "d-2", "d-2"] {
        let started = Instant::now();
        assert_eq!(send(id).await, answer(StatusCode::OK, "handled"), "{id}");
        assert!(
            started.elapsed() < TIMEOUT * 3,
            "{id} took {:?}",
            started.elapsed()
        );
        let warnings = logs.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains(
                "delivery store unavailable: processing the delivery without deduplication"
            ),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[0].contains("policy=\"fail_open\""),
            "{}",
            warnings[0]
        );
    }
    // Fail-open: while Redis is down, duplicates get through.
    assert_eq!(calls.load(Ordering::SeqCst), 4);

    // Redis back (empty: it saved nothing): deduplication resumes.
    redis.restart();
    wait_until_reachable(&store).await;
    logs.take_warnings();
    assert_eq!(send("d-3").await, answer(StatusCode::OK, "handled"));
    assert_eq!(
        send("d-3").await,
        answer(StatusCode::OK, "duplicate delivery")
    );
    assert!(logs.take_warnings().is_empty());
}

#[tokio::test]
#[ignore = "needs redis-server on PATH: run by .ci/steps/10-redis.sh"]
async fn redis_stopped_fail_closed_answers_503_with_one_warning() {
    let mut redis = OwnRedis::start();
    let logs = common::CapturedLogs::default();
    let _guard = logs.install();
    let store = RedisStore::connect(&redis.url())
        .await
        .unwrap()
        .timeout(TIMEOUT);
    let (send, calls) = in_process(store.clone(), FailurePolicy::FailClosed);

    assert_eq!(send("d-1").await, answer(StatusCode::OK, "handled"));
    assert_eq!(
        send("d-1").await,
        answer(StatusCode::OK, "duplicate delivery")
    );

    redis.stop();
    for id in ["d-1", "d-2", "d-2"] {
        let started = Instant::now();
        assert_eq!(
            send(id).await,
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "deduplication store unavailable"
            ),
            "{id}"
        );
        assert!(
            started.elapsed() < TIMEOUT * 3,
            "{id} took {:?}",
            started.elapsed()
        );
        let warnings = logs.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("delivery store unavailable: answering 503"),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[0].contains("policy=\"fail_closed\""),
            "{}",
            warnings[0]
        );
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the inner service ran while Redis was down"
    );

    redis.restart();
    wait_until_reachable(&store).await;
    logs.take_warnings();
    assert_eq!(send("d-2").await, answer(StatusCode::OK, "handled"));
    assert_eq!(
        send("d-2").await,
        answer(StatusCode::OK, "duplicate delivery")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
#[ignore = "needs redis-server on PATH: run by .ci/steps/10-redis.sh"]
async fn a_hung_redis_is_cut_off_by_the_timeout() {
    let redis = OwnRedis::start();
    let logs = common::CapturedLogs::default();
    let _guard = logs.install();
    let store = RedisStore::connect(&redis.url())
        .await
        .unwrap()
        .timeout(TIMEOUT);
    let (send, calls) = in_process(store, FailurePolicy::FailClosed);
    assert_eq!(send("d-1").await, answer(StatusCode::OK, "handled"));

    redis.signal("-STOP");
    let started = Instant::now();
    assert_eq!(
        send("d-2").await,
        answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "deduplication store unavailable"
        )
    );
    let elapsed = started.elapsed();
    redis.signal("-CONT");
    assert!(
        elapsed >= TIMEOUT && elapsed < TIMEOUT * 3,
        "answered after {elapsed:?}"
    );
    let warnings = logs.take_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("did not answer within 300ms"),
        "{}",
        warnings[0]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: run by .ci/steps/10-redis.sh"]
async fn the_example_server_module_uses_redis_when_redis_url_is_set() {
    let url = redis_url();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let vars = [("REDIS_URL", url.clone()), ("DEDUP", "memory".to_owned())];
        let dedup = server_dedup::Dedup::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .await
        .unwrap();
        assert_eq!(dedup.store(), "redis", "REDIS_URL wins over DEDUP=memory");
        let app = Router::new().route(
            "/webhook",
            dedup
                .apply(post(|| async { "handled" }))
                .route_layer(WebhookLayer::github(keys())),
        );
        replicas.push(common::serve_axum(app).await);
    }
    // The example uses the default key prefix: a fresh delivery id per run.
    let id = format!("example-{}", ClaimToken::new());
    let (status, body) = common::send(replicas[0], "/webhook", github(&id)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "handled"));
    let (status, body) = common::send(replicas[1], "/webhook", github(&id)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "duplicate delivery")
    );

    // An unreachable Redis stops the start-up with a message that does not
    // repeat the URL (it may hold a password).
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret_url = format!("redis://:hunter2@127.0.0.1:{closed}");
    let error =
        server_dedup::Dedup::from_lookup(|name| (name == "REDIS_URL").then(|| secret_url.clone()))
            .await
            .err()
            .expect("Redis is not there");
    assert!(
        error.starts_with("REDIS_URL: cannot reach Redis"),
        "{error}"
    );
    assert!(!error.contains("hunter2"), "{error}");
}

#[tokio::test]
#[ignore = "needs redis-server on PATH: run by .ci/steps/10-redis.sh"]
async fn a_lazy_store_starts_while_redis_is_down_and_connects_when_it_is_up() {
    let mut redis = OwnRedis::start();
    redis.stop();
    let logs = common::CapturedLogs::default();
    let _guard = logs.install();
    let store = RedisStore::lazy(&redis.url()).unwrap().timeout(TIMEOUT);
    let (send, calls) = in_process(store.clone(), FailurePolicy::FailClosed);
    assert_eq!(
        send("d-1").await,
        answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "deduplication store unavailable"
        )
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(logs.take_warnings().len(), 1);

    redis.restart();
    wait_until_reachable(&store).await;
    assert_eq!(send("d-1").await, answer(StatusCode::OK, "handled"));
    assert_eq!(
        send("d-1").await,
        answer(StatusCode::OK, "duplicate delivery")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(RedisStore::lazy("not a url").is_err());
}
