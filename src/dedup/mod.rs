//! Delivery deduplication (feature `dedup`): a layer that lets each delivery
//! through once, across retries, redeliveries, replays and replicas.
//!
//! GitHub reuses `X-GitHub-Delivery` when a delivery is redelivered; GitLab
//! resends with the same `webhook-id` / `Idempotency-Key`. A captured GitHub
//! delivery can also be replayed, since GitHub signs no timestamp.
//! [`DedupLayer`] goes *inside* the verifying
//! [`WebhookLayer`](crate::WebhookLayer), so it only ever sees verified
//! deliveries, and keeps a record of each delivery in a [`DeliveryStore`]:
//!
//! - [`MemoryStore`]: one process; bounded by entries and TTL, evicts the
//!   oldest record when full.
//! - `RedisStore` (feature `redis`): several replicas sharing one Redis.
//!
//! # What happens to a delivery
//!
//! 1. The layer reads the [`Event`](crate::Event) from the request
//!    extensions and builds its [`DeliveryKey`]: provider, instance or
//!    enterprise host, hook id and delivery id. A request with no `Event`
//!    (nothing verified it) or no delivery id is passed to the inner service
//!    untouched: there is nothing to deduplicate it by.
//! 2. It *claims* the key. The claim holds for the
//!    [lease](DedupLayer::lease) (default 5 minutes) while the inner service
//!    runs.
//! 3. The first request to claim a key runs the inner service. Every other
//!    request with that key, while the first is in flight or after it
//!    completed, is answered `200 OK` with the plain-text body
//!    `duplicate delivery` and never reaches the inner service.
//! 4. When the inner service answers below 500, the record is marked done
//!    and kept for the [TTL](DedupLayer::ttl) (default 72 hours, GitHub's
//!    redelivery window). When it answers 5xx or fails, or the response
//!    future is dropped before it finishes (the client hung up), the claim
//!    is released, so a redelivery is processed.
//! 5. When the store cannot be reached (error or timeout), the
//!    [`FailurePolicy`] applies: [`FailOpen`](FailurePolicy::FailOpen)
//!    (the default) processes the delivery anyway, so nothing is lost but it
//!    may be processed twice; [`FailClosed`](FailurePolicy::FailClosed)
//!    answers `503 Service Unavailable`. Either way one WARN event is logged
//!    on the `tower_webhooks::dedup` target.
//!
//! # Exactly once, and what it does not mean
//!
//! A delivery id reaches the inner service at most once per TTL while the
//! store keeps its record, and a redelivery after a failure reaches it
//! again. It is not end-to-end exactly-once processing: if the process dies
//! after the inner service did its work but before the record is marked
//! done, the claim lapses at the end of the lease and a redelivery runs
//! again; a record evicted from a full [`MemoryStore`] or lost by Redis is
//! forgotten; and with [`FailOpen`](FailurePolicy::FailOpen) a store outage
//! lets duplicates through. Handlers with external effects should still be
//! idempotent where they can.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use axum::{Router, routing::post};
//! use tower::ServiceBuilder;
//! use tower_webhooks::dedup::{DedupLayer, FailurePolicy, MemoryStore};
//! use tower_webhooks::{KeyRing, Secret, WebhookLayer};
//!
//! let keys = KeyRing::single(Secret::new("It's a Secret to Everybody").unwrap());
//! let app: Router = Router::new()
//!     .route("/webhook", post(|| async { "ok" }))
//!     .layer(
//!         ServiceBuilder::new()
//!             // outermost: verification
//!             .layer(WebhookLayer::github(keys))
//!             // then deduplication of verified deliveries
//!             .layer(
//!                 DedupLayer::new(MemoryStore::new(100_000))
//!                     .ttl(Duration::from_secs(72 * 3600))
//!                     .failure_policy(FailurePolicy::FailOpen),
//!             ),
//!     );
//! ```

mod future;
mod key;
mod layer;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod service;
mod store;

/// The response body of [`DedupService`]: the inner service's body,
/// unchanged, or the layer's own plain-text answer (`duplicate delivery`, or
/// the 503 of a store outage), for which
/// [`is_rejection`](crate::ResponseBody::is_rejection) is `true`. The same
/// type as the verifying layer's [`ResponseBody`](crate::ResponseBody).
pub type DedupBody<B> = crate::ResponseBody<B>;
pub use future::ResponseFuture;
pub use key::DeliveryKey;
pub use layer::{DEFAULT_LEASE, DEFAULT_TTL, DedupLayer, FailurePolicy};
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::{DEFAULT_REDIS_TIMEOUT, RedisStore};
pub use service::DedupService;
pub use store::{Claim, ClaimToken, DeliveryStore, StoreError, StoreFuture};
