//! [`RedisStore`] (feature `redis`): records in Redis, shared by replicas.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Claim, ClaimToken, DeliveryKey, DeliveryStore, StoreError, StoreFuture};

/// The default time limit of every Redis call: 1 second.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_secs(1);

/// The default prefix of the Redis keys.
const DEFAULT_PREFIX: &str = "tower-webhooks:dedup:";

/// Marks `KEYS[1]` done for `ARGV[2]` ms when `ARGV[1]` holds it or nobody
/// does; another replica's live claim, or a done record, is left alone.
const COMPLETE: &str = "local v = redis.call('GET', KEYS[1]) \
    if v == false or v == ARGV[1] then \
      redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2]) return 1 \
    end \
    return 0";

/// Deletes `KEYS[1]` only while `ARGV[1]` holds it.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
      return redis.call('DEL', KEYS[1]) \
    end \
    return 0";

/// A [`DeliveryStore`] in Redis, for several replicas: one key per
/// delivery, claimed atomically with `SET key token NX PX lease`, marked
/// `done` for the TTL, released only by the token that claimed it (a small
/// Lua script).
///
/// Every call runs under a time limit (default 1 second); past it the
/// layer's [`FailurePolicy`](super::FailurePolicy) applies. The connection
/// is the `redis` crate's `ConnectionManager`, which reconnects by itself
/// after Redis comes back. Cheap to clone.
///
/// Keys are `tower-webhooks:dedup:` followed by the [`DeliveryKey`]; change
/// the prefix with [`key_prefix`](Self::key_prefix) when several
/// applications share one Redis database.
///
/// ```no_run
/// use std::time::Duration;
/// use tower_webhooks::dedup::{DedupLayer, RedisStore};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379")
///     .await?
///     .timeout(Duration::from_millis(250));
/// let layer = DedupLayer::new(store);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    timeout: Duration,
    prefix: Arc<str>,
}

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://[user:password@]host:port[/db]`,
    /// or `rediss://` with TLS when the `redis` crate is built with a TLS
    /// feature). Fails when Redis cannot be reached within the default
    /// timeout, so a misconfiguration shows at start-up; use
    /// [`lazy`](Self::lazy) to start while Redis is down.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(StoreError::backend)?;
        let config = manager_config(DEFAULT_REDIS_TIMEOUT);
        let connection = limit(
            DEFAULT_REDIS_TIMEOUT,
            ConnectionManager::new_with_config(client, config),
        )
        .await?;
        Ok(Self::new(connection))
    }

    /// A store for the Redis at `url` that connects on first use. Fails
    /// only when `url` is not a Redis URL.
    pub fn lazy(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(StoreError::backend)?;
        let connection =
            ConnectionManager::new_lazy_with_config(client, manager_config(DEFAULT_REDIS_TIMEOUT))
                .map_err(StoreError::backend)?;
        Ok(Self::new(connection))
    }

    /// A store over a connection manager you configured yourself.
    pub fn new(connection: ConnectionManager) -> Self {
        Self {
            connection,
            timeout: DEFAULT_REDIS_TIMEOUT,
            prefix: DEFAULT_PREFIX.into(),
        }
    }

    /// The time limit of every call (default 1 second).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The prefix of every key (default `tower-webhooks:dedup:`).
    pub fn key_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn redis_key(&self, key: &DeliveryKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    fn run<'a, T: redis::FromRedisValue + Send + 'a>(
        &'a self,
        command: redis::Cmd,
    ) -> StoreFuture<'a, T> {
        let mut connection = self.connection.clone();
        Box::pin(async move {
            limit(self.timeout, async move {
                command.query_async::<T>(&mut connection).await
            })
            .await
        })
    }
}

fn manager_config(timeout: Duration) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(100))
}

async fn limit<T>(
    timeout: Duration,
    call: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(timeout, call).await {
        Ok(result) => result.map_err(StoreError::backend),
        Err(_) => Err(StoreError::timeout(timeout)),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl DeliveryStore for RedisStore {
    fn claim<'a>(
        &'a self,
        key: &'a DeliveryKey,
        token: &'a ClaimToken,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        let mut command = redis::cmd("SET");
        command
            .arg(self.redis_key(key))
            .arg(token.to_string())
            .arg("NX")
            .arg("PX")
            .arg(millis(lease));
        let set = self.run::<Option<String>>(command);
        Box::pin(async move {
            Ok(match set.await? {
                Some(_) => Claim::Claimed,
                None => Claim::Duplicate,
            })
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a DeliveryKey,
        token: &'a ClaimToken,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let mut command = redis::cmd("EVAL");
        command
            .arg(COMPLETE)
            .arg(1)
            .arg(self.redis_key(key))
            .arg(token.to_string())
            .arg(millis(ttl));
        let eval = self.run::<i64>(command);
        Box::pin(async move { eval.await.map(drop) })
    }

    fn release<'a>(&'a self, key: &'a DeliveryKey, token: &'a ClaimToken) -> StoreFuture<'a, ()> {
        let mut command = redis::cmd("EVAL");
        command
            .arg(RELEASE)
            .arg(1)
            .arg(self.redis_key(key))
            .arg(token.to_string());
        let eval = self.run::<i64>(command);
        Box::pin(async move { eval.await.map(drop) })
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("timeout", &self.timeout)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}
