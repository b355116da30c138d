//! The dedup layer with the in-memory store, behind the verifying layer:
//! duplicates, failures, scoping, pass-through, store outages, the memory
//! bound, and axum over TCP.

mod common;

#[path = "../examples/server/dedup.rs"]
mod server_dedup;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_webhooks::dedup::{
    Claim, ClaimToken, DedupBody, DedupLayer, DeliveryKey, DeliveryStore, FailurePolicy,
    MemoryStore, StoreError, StoreFuture,
};
use tower_webhooks::test_util::{GitHubDelivery, GitLabDelivery};
use tower_webhooks::{
    Event, GitLab, InstanceOrigin, KeyRing, ResponseBody, Secret, VerifiedBody, Verifier,
    WebhookLayer,
};

const SECRET: &str = "It's a Secret to Everybody";
const TOKEN: &str = "gitlab token";

fn keys() -> KeyRing {
    KeyRing::single(Secret::new(SECRET).unwrap())
}

fn github(delivery: &str, hook: &str) -> Request<Full<Bytes>> {
    GitHubDelivery::new("push", r#"{"ref":"refs/heads/main"}"#)
        .secret(SECRET)
        .delivery(delivery)
        .hook_id(hook)
        .into_request()
}

/// What the inner service does on its n-th call (from 0).
#[derive(Clone, Copy)]
enum Plan {
    Ok,
    /// Answer 500 on the first call, 200 after.
    FailFirst,
    /// Fail with an error on the first call, 200 after.
    ErrorFirst,
    /// Never answer.
    Hang,
}

/// An inner service that records the delivery ids it handled.
#[derive(Clone)]
struct Handler {
    handled: Arc<Mutex<Vec<String>>>,
    calls: Arc<AtomicUsize>,
    plan: Plan,
    delay: Duration,
}

impl Handler {
    fn new(plan: Plan) -> Self {
        Self {
            handled: Arc::default(),
            calls: Arc::default(),
            plan,
            delay: Duration::ZERO,
        }
    }

    fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    fn handled(&self) -> Vec<String> {
        self.handled.lock().unwrap().clone()
    }
}

impl Service<Request<VerifiedBody>> for Handler {
    type Response = Response<Full<Bytes>>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, io::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), io::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<VerifiedBody>) -> Self::Future {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let handled = self.handled.clone();
        let (plan, delay) = (self.plan, self.delay);
        Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let delivery = request
                .extensions()
                .get::<Event>()
                .and_then(|e| e.delivery().map(str::to_owned))
                .unwrap_or_default();
            match (plan, n) {
                (Plan::Hang, _) => std::future::pending().await,
                (Plan::FailFirst, 0) => {
                    let mut response = Response::new(Full::from("boom"));
                    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                    return Ok(response);
                }
                (Plan::ErrorFirst, 0) => return Err(io::Error::other("inner failed")),
                _ => {}
            }
            handled.lock().unwrap().push(delivery);
            Ok(Response::new(Full::from("handled")))
        })
    }
}

type Stack =
    tower::util::BoxCloneSyncService<Request<Full<Bytes>>, (StatusCode, String), io::Error>;

/// WebhookLayer (outside) → DedupLayer → inner.
fn stack(verifier: Verifier, dedup: DedupLayer, inner: Handler) -> Stack {
    let service = ServiceBuilder::new()
        .layer(WebhookLayer::new(verifier))
        .layer(dedup)
        .service(inner);
    tower::util::BoxCloneSyncService::new(ServiceExt::<Request<Full<Bytes>>>::and_then(
        service,
        |response: Response<ResponseBody<DedupBody<Full<Bytes>>>>| async move {
            let status = response.status();
            let content_type = response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_owned());
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let text = String::from_utf8(body.to_vec()).unwrap();
            if text == "duplicate delivery" || status == StatusCode::SERVICE_UNAVAILABLE {
                assert_eq!(content_type.as_deref(), Some("text/plain; charset=utf-8"));
            }
            Ok((status, text))
        },
    ))
}

fn github_stack(dedup: DedupLayer, inner: Handler) -> Stack {
    stack(Verifier::github(keys()), dedup, inner)
}

async fn send(
    stack: &Stack,
    request: Request<Full<Bytes>>,
) -> Result<(StatusCode, String), io::Error> {
    stack.clone().oneshot(request).await
}

async fn send_ok(stack: &Stack, request: Request<Full<Bytes>>) -> (StatusCode, String) {
    send(stack, request).await.expect("no inner error")
}

fn duplicate() -> (StatusCode, String) {
    (StatusCode::OK, "duplicate delivery".to_owned())
}

fn handled() -> (StatusCode, String) {
    (StatusCode::OK, "handled".to_owned())
}

#[tokio::test]
async fn a_duplicate_is_answered_200_and_never_reaches_the_inner_service() {
    let inner = Handler::new(Plan::Ok);
    let app = github_stack(DedupLayer::new(MemoryStore::new(100)), inner.clone());

    assert_eq!(send_ok(&app, github("d-1", "7")).await, handled());
    assert_eq!(send_ok(&app, github("d-1", "7")).await, duplicate());
    assert_eq!(send_ok(&app, github("d-1", "7")).await, duplicate());
    assert_eq!(send_ok(&app, github("d-2", "7")).await, handled());
    assert_eq!(inner.handled(), ["d-1", "d-2"]);
}

#[tokio::test]
async fn a_duplicate_while_the_first_is_in_flight_is_answered_without_waiting() {
    let inner = Handler::new(Plan::Ok).delay(Duration::from_secs(1));
    let app = github_stack(DedupLayer::new(MemoryStore::new(100)), inner.clone());

    let first = tokio::spawn({
        let app = app.clone();
        async move { send_ok(&app, github("d-1", "7")).await }
    });
    // Wait until the first copy is inside the inner service.
    while inner.calls.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let started = Instant::now();
    assert_eq!(send_ok(&app, github("d-1", "7")).await, duplicate());
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "the duplicate waited for the first"
    );
    assert!(!first.is_finished());
    assert_eq!(first.await.unwrap(), handled());
    assert_eq!(inner.handled(), ["d-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_copies_reach_the_inner_service_once() {
    let inner = Handler::new(Plan::Ok).delay(Duration::from_millis(5));
    let app = github_stack(DedupLayer::new(MemoryStore::new(10_000)), inner.clone());
    for n in 0..200 {
        let id = format!("d-{n}");
        let answers = futures_join((0..4).map(|_| {
            let (app, request) = (app.clone(), github(&id, "7"));
            async move { send_ok(&app, request).await }
        }))
        .await;
        assert_eq!(
            answers.iter().filter(|a| **a == handled()).count(),
            1,
            "{id}: {answers:?}"
        );
        assert_eq!(
            answers.iter().filter(|a| **a == duplicate()).count(),
            3,
            "{id}: {answers:?}"
        );
    }
    assert_eq!(inner.handled().len(), 200);
}

/// Runs futures concurrently on the runtime and collects their outputs.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_redelivery_after_a_500_is_processed_again() {
    let inner = Handler::new(Plan::FailFirst);
    let app = github_stack(DedupLayer::new(MemoryStore::new(100)), inner.clone());

    let (status, body) = send_ok(&app, github("d-1", "7")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, "boom")
    );
    assert_eq!(send_ok(&app, github("d-1", "7")).await, handled());
    assert_eq!(send_ok(&app, github("d-1", "7")).await, duplicate());
    assert_eq!(inner.handled(), ["d-1"]);
    assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_redelivery_after_an_inner_error_is_processed_again() {
    let inner = Handler::new(Plan::ErrorFirst);
    let app = github_stack(DedupLayer::new(MemoryStore::new(100)), inner.clone());

    let error = send(&app, github("d-1", "7")).await.unwrap_err();
    assert_eq!(error.to_string(), "inner failed");
    assert_eq!(send_ok(&app, github("d-1", "7")).await, handled());
    assert_eq!(send_ok(&app, github("d-1", "7")).await, duplicate());
}

#[tokio::test]
async fn a_4xx_from_the_inner_service_completes_the_delivery() {
    let store = MemoryStore::new(100);
    let calls = Arc::new(AtomicUsize::new(0));
    let service = ServiceBuilder::new()
        .layer(WebhookLayer::github(keys()))
        .layer(DedupLayer::new(store.clone()))
        .service_fn({
            let calls = calls.clone();
            move |_: Request<VerifiedBody>| {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    let mut response = Response::new(Full::<Bytes>::from("unprocessable"));
                    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    Ok::<_, Infallible>(response)
                }
            }
        });
    let first = service.clone().oneshot(github("d-1", "7")).await.unwrap();
    assert_eq!(first.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let second = service.clone().oneshot(github("d-1", "7")).await.unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(
        second.into_body().collect().await.unwrap().to_bytes(),
        "duplicate delivery"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_response_future_dropped_mid_delivery_releases_its_claim() {
    let store = MemoryStore::new(100);
    let hanging = github_stack(DedupLayer::new(store.clone()), Handler::new(Plan::Hang));
    let result = tokio::time::timeout(
        Duration::from_millis(100),
        send(&hanging, github("d-1", "7")),
    )
    .await;
    assert!(result.is_err(), "the inner service hangs");
    // The release runs on a spawned task.
    for _ in 0..100 {
        if store.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(store.is_empty(), "the claim was not released");

    let inner = Handler::new(Plan::Ok);
    let app = github_stack(DedupLayer::new(store.clone()), inner.clone());
    assert_eq!(send_ok(&app, github("d-1", "7")).await, handled());
}

#[tokio::test]
async fn keys_are_scoped_by_hook_instance_and_provider() {
    let inner = Handler::new(Plan::Ok);
    let verifier = Verifier::builder()
        .github(tower_webhooks::GitHub::new(keys()).enterprise_host("ghe.example.com", keys()))
        .gitlab(
            GitLab::new()
                .instance(
                    InstanceOrigin::parse("https://a.example.com").unwrap(),
                    KeyRing::single(Secret::new(TOKEN).unwrap()),
                )
                .instance(
                    InstanceOrigin::parse("https://b.example.com").unwrap(),
                    KeyRing::single(Secret::new(TOKEN).unwrap()),
                ),
        )
        .build()
        .unwrap();
    let app = stack(
        verifier,
        DedupLayer::new(MemoryStore::new(100)),
        inner.clone(),
    );
    let gitlab = |instance: &str, hook: &str| {
        GitLabDelivery::new("Push Hook", "{}")
            .token(TOKEN)
            .instance(instance)
            .webhook_uuid(hook)
            .idempotency_key("same")
            .into_request()
    };
    let ghe = |hook: &str| {
        GitHubDelivery::new("push", "{}")
            .secret(SECRET)
            .delivery("same")
            .hook_id(hook)
            .enterprise_host("ghe.example.com")
            .into_request()
    };

    // One delivery id, seven scopes: each is handled once.
    let requests: Vec<Box<dyn Fn() -> Request<Full<Bytes>>>> = vec![
        Box::new(|| github("same", "1")),
        Box::new(|| github("same", "2")),
        Box::new(move || ghe("1")),
        Box::new(move || ghe("2")),
        Box::new(move || gitlab("https://a.example.com", "1")),
        Box::new(move || gitlab("https://b.example.com", "1")),
        Box::new(move || gitlab("https://a.example.com", "2")),
    ];
    for request in &requests {
        assert_eq!(send_ok(&app, request()).await, handled());
    }
    for request in &requests {
        assert_eq!(send_ok(&app, request()).await, duplicate());
    }
    assert_eq!(inner.handled().len(), 7);
}

#[tokio::test]
async fn gitlab_redeliveries_with_the_same_webhook_id_are_duplicates() {
    let inner = Handler::new(Plan::Ok);
    let key = b"0123456789abcdef0123456789abcdef";
    let verifier = Verifier::gitlab(tower_webhooks::GitLabKeys::signing(KeyRing::single(
        Secret::new(key).unwrap(),
    )));
    let app = stack(
        verifier,
        DedupLayer::new(MemoryStore::new(100)),
        inner.clone(),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let signed = |id: &str, ts: i64| {
        GitLabDelivery::new("Push Hook", "{}")
            .signed(key, id, ts)
            .into_request()
    };

    assert_eq!(send_ok(&app, signed("msg_1", now)).await, handled());
    // A retry is signed anew with a later timestamp but keeps its id.
    assert_eq!(send_ok(&app, signed("msg_1", now + 5)).await, duplicate());
    assert_eq!(send_ok(&app, signed("msg_2", now)).await, handled());
    assert_eq!(inner.handled(), ["msg_1", "msg_2"]);
}

#[tokio::test]
async fn requests_without_event_or_delivery_id_pass_through_untouched() {
    // No delivery id: verified, but nothing to deduplicate by.
    let inner = Handler::new(Plan::Ok);
    let store = MemoryStore::new(100);
    let app = github_stack(DedupLayer::new(store.clone()), inner.clone());
    let no_id = || {
        GitHubDelivery::new("push", "{}")
            .secret(SECRET)
            .hook_id("7")
            .into_request()
    };
    assert_eq!(send_ok(&app, no_id()).await, handled());
    assert_eq!(send_ok(&app, no_id()).await, handled());
    assert_eq!(inner.calls.load(Ordering::SeqCst), 2);

    // No Event at all (no verifying layer in front): passed on as is.
    let calls = Arc::new(AtomicUsize::new(0));
    let bare = ServiceBuilder::new()
        .layer(DedupLayer::new(store.clone()))
        .service_fn({
            let calls = calls.clone();
            move |request: Request<String>| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    Ok::<_, Infallible>(Response::new(Full::<Bytes>::from(request.into_body())))
                }
            }
        });
    for _ in 0..2 {
        let response = bare
            .clone()
            .oneshot(Request::new("same".to_owned()))
            .await
            .unwrap();
        assert!(!response.body().is_rejection());
        assert_eq!(
            response.into_body().collect().await.unwrap().to_bytes(),
            "same"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(store.is_empty());
}

#[tokio::test]
async fn rejected_deliveries_never_claim() {
    let inner = Handler::new(Plan::Ok);
    let store = MemoryStore::new(100);
    let app = github_stack(DedupLayer::new(store.clone()), inner.clone());
    let forged = GitHubDelivery::new("push", "{}")
        .secret("wrong secret")
        .delivery("d-1")
        .hook_id("7")
        .into_request();
    let (status, _) = send_ok(&app, forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(store.is_empty(), "a forged delivery claimed its id");
    assert_eq!(send_ok(&app, github("d-1", "7")).await, handled());
}

/// A store that is always down.
struct DownStore;

impl DeliveryStore for DownStore {
    fn claim<'a>(
        &'a self,
        _: &'a DeliveryKey,
        _: &'a ClaimToken,
        _: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(async { Err(StoreError::backend(io::Error::other("connection refused"))) })
    }
    fn complete<'a>(
        &'a self,
        _: &'a DeliveryKey,
        _: &'a ClaimToken,
        _: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(StoreError::backend(io::Error::other("connection refused"))) })
    }
    fn release<'a>(&'a self, _: &'a DeliveryKey, _: &'a ClaimToken) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(StoreError::backend(io::Error::other("connection refused"))) })
    }
}

#[tokio::test]
async fn store_down_fail_open_processes_with_one_warning_each() {
    let logs = common::CapturedLogs::default();
    let _guard = logs.install();
    let inner = Handler::new(Plan::Ok);
    let app = github_stack(
        DedupLayer::new(DownStore).failure_policy(FailurePolicy::FailOpen),
        inner.clone(),
    );

    assert_eq!(send_ok(&app, github("d-1", "7")).await, handled());
    assert_eq!(send_ok(&app, github("d-1", "7")).await, handled());
    assert_eq!(
        inner.handled(),
        ["d-1", "d-1"],
        "fail-open processes duplicates while the store is down"
    );
    let text = logs.text();
    let warnings: Vec<_> = text.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 2, "{text}");
    for line in warnings {
        assert!(
            line.contains(
                "delivery store unavailable: processing the delivery without deduplication"
            ),
            "{line}"
        );
        assert!(line.contains("policy=\"fail_open\""), "{line}");
        assert!(line.contains("github::7:d-1"), "{line}");
        assert!(!line.contains(SECRET));
    }
}

#[tokio::test]
async fn store_down_fail_closed_answers_503_with_one_warning_each() {
    let logs = common::CapturedLogs::default();
    let _guard = logs.install();
    let inner = Handler::new(Plan::Ok);
    let app = github_stack(
        DedupLayer::new(DownStore).failure_policy(FailurePolicy::FailClosed),
        inner.clone(),
    );

    for _ in 0..2 {
        let (status, body) = send_ok(&app, github("d-1", "7")).await;
        assert_eq!(
            (status, body.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "deduplication store unavailable"
            )
        );
    }
    assert_eq!(inner.calls.load(Ordering::SeqCst), 0);
    let text = logs.text();
    let warnings: Vec<_> = text.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 2, "{text}");
    for line in warnings {
        assert!(
            line.contains("delivery store unavailable: answering 503"),
            "{line}"
        );
        assert!(line.contains("policy=\"fail_closed\""), "{line}");
    }
}

#[tokio::test]
async fn the_memory_bound_holds_under_100_000_distinct_deliveries() {
    const MAX: usize = 10_000;
    const DELIVERIES: usize = 100_000;
    let store = MemoryStore::new(MAX);
    let inner = Handler::new(Plan::Ok);
    let app = github_stack(DedupLayer::new(store.clone()), inner.clone());

    let started = Instant::now();
    let mut most = 0;
    for n in 0..DELIVERIES {
        assert_eq!(
            send_ok(&app, github(&format!("d-{n}"), "7")).await,
            handled()
        );
        most = most.max(store.len());
    }
    let elapsed = started.elapsed();
    assert_eq!(most, MAX, "the store never exceeds its bound");
    assert_eq!(store.len(), MAX);
    assert_eq!(inner.handled().len(), DELIVERIES);

    // The newest MAX deliveries are remembered ...
    for n in (DELIVERIES - MAX..DELIVERIES).step_by(97) {
        assert_eq!(
            send_ok(&app, github(&format!("d-{n}"), "7")).await,
            duplicate(),
            "d-{n}"
        );
    }
    // ... and the oldest were evicted: a redelivery of them is processed.
    for n in [0, 1, DELIVERIES - MAX - 1] {
        assert_eq!(
            send_ok(&app, github(&format!("d-{n}"), "7")).await,
            handled(),
            "d-{n}"
        );
    }
    assert_eq!(store.len(), MAX);
    eprintln!(
        "memory bound: {DELIVERIES} distinct deliveries through WebhookLayer + DedupLayer in {elapsed:?} \
         ({:.1} µs each, debug build), store peaked at {most} of {MAX} records",
        elapsed.as_secs_f64() * 1e6 / DELIVERIES as f64
    );
}

#[tokio::test(start_paused = true)]
async fn records_expire_after_the_ttl() {
    let inner = Handler::new(Plan::Ok);
    let dedup = DedupLayer::new(MemoryStore::new(100)).ttl(Duration::from_secs(3600));
    let app = github_stack(dedup, inner.clone());
    assert_eq!(send_ok(&app, github("d-1", "7")).await, handled());
    tokio::time::advance(Duration::from_secs(3599)).await;
    assert_eq!(send_ok(&app, github("d-1", "7")).await, duplicate());
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(send_ok(&app, github("d-1", "7")).await, handled());
}

#[tokio::test]
async fn axum_over_tcp_answers_duplicates_and_hands_on_verified_bytes() {
    let handled_bodies = Arc::new(Mutex::new(Vec::<Bytes>::new()));
    let app = Router::new()
        .route(
            "/webhook",
            post({
                let handled_bodies = handled_bodies.clone();
                move |body: Bytes| async move {
                    handled_bodies.lock().unwrap().push(body);
                    "handled"
                }
            }),
        )
        .layer(
            ServiceBuilder::new()
                .layer(WebhookLayer::github(keys()))
                .layer(DedupLayer::new(MemoryStore::new(1000))),
        );
    let addr = common::serve_axum(app).await;

    let delivery = || {
        GitHubDelivery::new("issues", r#"{"action":"opened"}"#)
            .secret(SECRET)
            .delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
            .hook_id("42")
    };
    let (status, body) = common::send(addr, "/webhook", delivery().into_request()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "handled"));
    let (status, body) = common::send(addr, "/webhook", delivery().into_request()).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "duplicate delivery")
    );
    // A forged copy is still rejected by the verifying layer in front.
    let forged = GitHubDelivery::new("issues", "{}")
        .secret("not the secret")
        .delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .hook_id("42");
    let (status, _) = common::send(addr, "/webhook", forged.into_request()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        *handled_bodies.lock().unwrap(),
        [Bytes::from_static(br#"{"action":"opened"}"#)]
    );
}

/// The example server's dedup module, configured by its variables, on a
/// route shaped like the example's (`apply` inside `route_layer`).
async fn example_server(
    vars: &[(&str, &str)],
) -> Result<(std::net::SocketAddr, &'static str), String> {
    let vars: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let dedup = server_dedup::Dedup::from_lookup(|name| vars.get(name).cloned()).await?;
    let app = Router::new().route(
        "/webhook",
        dedup
            .apply(post(|| async { "handled" }))
            .route_layer(WebhookLayer::github(keys())),
    );
    Ok((common::serve_axum(app).await, dedup.store()))
}

#[tokio::test]
async fn the_example_server_module_turns_on_the_memory_store_with_dedup_memory() {
    let (addr, store) = example_server(&[("DEDUP", "memory"), ("DEDUP_POLICY", "fail-closed")])
        .await
        .unwrap();
    assert_eq!(store, "memory");
    let (status, body) = common::send(addr, "/webhook", github("d-1", "7")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "handled"));
    let (status, body) = common::send(addr, "/webhook", github("d-1", "7")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "duplicate delivery")
    );

    // Nothing set: no deduplication.
    let (addr, store) = example_server(&[]).await.unwrap();
    assert_eq!(store, "off");
    for _ in 0..2 {
        let (status, body) = common::send(addr, "/webhook", github("d-1", "7")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "handled"));
    }

    for (vars, message) in [
        (&[("DEDUP", "disk")][..], "DEDUP: expected memory"),
        (
            &[("DEDUP", "memory"), ("DEDUP_POLICY", "maybe")][..],
            "DEDUP_POLICY: expected",
        ),
        (
            &[("DEDUP", "memory"), ("DEDUP_TTL_SECS", "0")][..],
            "DEDUP_TTL_SECS: expected a positive",
        ),
        (
            &[("DEDUP", "memory"), ("DEDUP_MAX_ENTRIES", "lots")][..],
            "DEDUP_MAX_ENTRIES: expected a positive",
        ),
    ] {
        let error = example_server(vars).await.unwrap_err();
        assert!(error.starts_with(message), "{error}");
    }
}
