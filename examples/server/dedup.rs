//! Delivery deduplication for the example server, from the environment:
//!
//! - `REDIS_URL` set (`redis://host:port[/db]`): the Redis store, shared by
//!   every replica (feature `redis`).
//! - else `DEDUP=memory`: the in-memory store, for one process (feature
//!   `dedup`).
//! - else: no deduplication.
//!
//! Options: `DEDUP_POLICY` = `fail-open` (default: process while the store
//! is down) or `fail-closed` (answer 503); `DEDUP_TTL_SECS` (default 259200,
//! 72 hours); `DEDUP_MAX_ENTRIES` (in-memory, default 100000);
//! `REDIS_TIMEOUT_MS` (default 1000).
//!
//! The layer must run after verification, so it wraps each handler inside
//! the route's `WebhookLayer`: see [`Dedup::apply`].
#![allow(dead_code)]

use axum::routing::MethodRouter;
#[cfg(feature = "dedup")]
use tower_webhooks::dedup::{DedupLayer, FailurePolicy, MemoryStore};

/// The variables [`Dedup::from_lookup`] reads.
pub const VARIABLES: &str = "REDIS_URL, DEDUP (memory), DEDUP_POLICY (fail-open|fail-closed), \
    DEDUP_TTL_SECS, DEDUP_MAX_ENTRIES, REDIS_TIMEOUT_MS";

/// The deduplication the environment asked for, if any.
pub struct Dedup {
    #[cfg(feature = "dedup")]
    layer: Option<DedupLayer>,
    store: &'static str,
}

impl Dedup {
    /// Reads the environment; connects to Redis when `REDIS_URL` is set.
    pub async fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty())).await
    }

    /// No deduplication.
    pub fn off() -> Self {
        Self {
            #[cfg(feature = "dedup")]
            layer: None,
            store: "off",
        }
    }

    /// Reads the configuration through `var`.
    #[cfg(feature = "dedup")]
    pub async fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        use std::time::Duration;

        let number = |name: &str, default: u64| match var(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name}: expected a positive whole number, got {v:?}")),
        };
        let policy = match var("DEDUP_POLICY").as_deref().map(str::trim) {
            None | Some("fail-open") => FailurePolicy::FailOpen,
            Some("fail-closed") => FailurePolicy::FailClosed,
            Some(other) => {
                return Err(format!(
                    "DEDUP_POLICY: expected fail-open or fail-closed, got {other:?}"
                ));
            }
        };
        let ttl = Duration::from_secs(number("DEDUP_TTL_SECS", 72 * 3600)?);

        let (layer, store) = if let Some(url) = var("REDIS_URL") {
            (
                redis_layer(&url, number("REDIS_TIMEOUT_MS", 1000)?).await?,
                "redis",
            )
        } else {
            match var("DEDUP").as_deref().map(str::trim) {
                None => return Ok(Self::off()),
                Some("memory") => {
                    let max = number("DEDUP_MAX_ENTRIES", 100_000)?;
                    let max = usize::try_from(max).map_err(|_| "DEDUP_MAX_ENTRIES: too large")?;
                    (DedupLayer::new(MemoryStore::new(max)), "memory")
                }
                Some(other) => {
                    return Err(format!(
                        "DEDUP: expected memory (or set REDIS_URL for Redis), got {other:?}"
                    ));
                }
            }
        };
        Ok(Self {
            layer: Some(layer.ttl(ttl).failure_policy(policy)),
            store,
        })
    }

    /// Without the `dedup` feature: an error if deduplication was asked for.
    #[cfg(not(feature = "dedup"))]
    pub async fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        if var("REDIS_URL").is_some() || var("DEDUP").is_some() {
            return Err(
                "REDIS_URL / DEDUP need the example built with --features redis \
                        (or --features dedup for DEDUP=memory)"
                    .to_owned(),
            );
        }
        Ok(Self::off())
    }

    /// `redis`, `memory` or `off`, for the start-up log.
    pub fn store(&self) -> &'static str {
        self.store
    }

    /// Wraps a route's handler; apply it before the route's `WebhookLayer`
    /// (`dedup.apply(post(handler)).route_layer(webhook_layer)`), so that it
    /// runs after verification.
    pub fn apply<S>(&self, handler: MethodRouter<S>) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        #[cfg(feature = "dedup")]
        if let Some(layer) = &self.layer {
            return handler.layer(layer.clone());
        }
        handler
    }
}

#[cfg(feature = "redis")]
async fn redis_layer(url: &str, timeout_ms: u64) -> Result<DedupLayer, String> {
    use tower_webhooks::dedup::RedisStore;

    // The message never repeats the URL, which may hold a password.
    let store = RedisStore::connect(url)
        .await
        .map_err(|e| format!("REDIS_URL: cannot reach Redis: {e}"))?
        .timeout(std::time::Duration::from_millis(timeout_ms));
    Ok(DedupLayer::new(store))
}

#[cfg(all(feature = "dedup", not(feature = "redis")))]
async fn redis_layer(_url: &str, _timeout_ms: u64) -> Result<DedupLayer, String> {
    Err("REDIS_URL needs the example built with --features redis".to_owned())
}
