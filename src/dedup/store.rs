//! [`DeliveryStore`]: where the records of seen deliveries live.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::DeliveryKey;

/// The future a [`DeliveryStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: this request holds it now and runs the inner
    /// service.
    Claimed,
    /// Another request holds the key (in flight) or it completed within the
    /// TTL: this is a duplicate.
    Duplicate,
}

/// Identifies one claim, so that only its holder can release or complete
/// it: when a lease lapsed and another replica claimed the key since, the
/// first holder's release leaves the new claim alone.
///
/// Random, 128 bits; built by the layer for every claim.
///
/// ```
/// use tower_webhooks::dedup::ClaimToken;
///
/// let (a, b) = (ClaimToken::new(), ClaimToken::new());
/// assert_ne!(a, b);
/// assert_eq!(a.to_string().len(), 32);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimToken(u128);

impl ClaimToken {
    /// A new random token.
    pub fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        // Each RandomState is seeded from the OS once per thread and then
        // incremented; hashing a process-wide counter under two of them
        // gives 128 unpredictable, distinct bits without another dependency.
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let high = RandomState::new().hash_one(n);
        let low = RandomState::new().hash_one((n, std::process::id()));
        Self((u128::from(high) << 64) | u128::from(low))
    }
}

impl Default for ClaimToken {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ClaimToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for ClaimToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClaimToken({self})")
    }
}

/// A store could not answer: unreachable, failed, or too slow.
///
/// The layer answers it with its [`FailurePolicy`](super::FailurePolicy).
#[derive(Debug)]
pub struct StoreError {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    Timeout(Duration),
    Backend(Box<dyn Error + Send + Sync>),
}

impl StoreError {
    /// The store did not answer within `after`.
    pub fn timeout(after: Duration) -> Self {
        Self {
            kind: ErrorKind::Timeout(after),
        }
    }

    /// The store's backend failed with `error`.
    ///
    /// ```
    /// use tower_webhooks::dedup::StoreError;
    ///
    /// let error = StoreError::backend(std::io::Error::other("connection refused"));
    /// assert_eq!(error.to_string(), "delivery store failed: connection refused");
    /// ```
    pub fn backend(error: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        Self {
            kind: ErrorKind::Backend(error.into()),
        }
    }

    /// Whether the store timed out (rather than failing).
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::Timeout(_))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Timeout(after) => {
                write!(f, "delivery store did not answer within {after:?}")
            }
            ErrorKind::Backend(error) => write!(f, "delivery store failed: {error}"),
        }
    }
}

impl Error for StoreError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.kind {
            ErrorKind::Timeout(_) => None,
            ErrorKind::Backend(error) => Some(&**error),
        }
    }
}

/// Where [`DedupLayer`](super::DedupLayer) keeps the records of seen
/// deliveries. Object safe: the layer holds an `Arc<dyn DeliveryStore>`.
///
/// A record is either a claim (held by one [`ClaimToken`], in flight) or
/// done. Implementations must make [`claim`](Self::claim) atomic: of any
/// number of concurrent claims of one free key, across every process sharing
/// the store, exactly one gets [`Claim::Claimed`]. The layer waits for every
/// call, so a store that talks to a server must bound each call in time and
/// answer [`StoreError::timeout`] past it, as `RedisStore` does.
///
/// ```
/// use std::time::Duration;
/// use tower_webhooks::Provider;
/// use tower_webhooks::dedup::{Claim, ClaimToken, DeliveryKey, DeliveryStore, MemoryStore};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new(1000);
/// let key = DeliveryKey::new(Provider::GitHub, None, Some("1"), "d-1");
/// let token = ClaimToken::new();
/// let lease = Duration::from_secs(60);
/// assert_eq!(store.claim(&key, &token, lease).await.unwrap(), Claim::Claimed);
/// assert_eq!(store.claim(&key, &ClaimToken::new(), lease).await.unwrap(), Claim::Duplicate);
/// store.release(&key, &token).await.unwrap();
/// assert_eq!(store.claim(&key, &ClaimToken::new(), lease).await.unwrap(), Claim::Claimed);
/// # });
/// ```
pub trait DeliveryStore: Send + Sync + 'static {
    /// Claims `key` for `token` for `lease`, unless a claim or a done record
    /// exists for it.
    fn claim<'a>(
        &'a self,
        key: &'a DeliveryKey,
        token: &'a ClaimToken,
        lease: Duration,
    ) -> StoreFuture<'a, Claim>;

    /// Marks `key` done for `ttl`: when `token` still holds it, or nobody
    /// does (the lease lapsed). A claim by another token is left alone.
    fn complete<'a>(
        &'a self,
        key: &'a DeliveryKey,
        token: &'a ClaimToken,
        ttl: Duration,
    ) -> StoreFuture<'a, ()>;

    /// Removes the claim of `key` when `token` holds it, so a redelivery is
    /// processed.
    fn release<'a>(&'a self, key: &'a DeliveryKey, token: &'a ClaimToken) -> StoreFuture<'a, ()>;
}

impl<T: DeliveryStore + ?Sized> DeliveryStore for Arc<T> {
    fn claim<'a>(
        &'a self,
        key: &'a DeliveryKey,
        token: &'a ClaimToken,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        (**self).claim(key, token, lease)
    }

    fn complete<'a>(
        &'a self,
        key: &'a DeliveryKey,
        token: &'a ClaimToken,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        (**self).complete(key, token, ttl)
    }

    fn release<'a>(&'a self, key: &'a DeliveryKey, token: &'a ClaimToken) -> StoreFuture<'a, ()> {
        (**self).release(key, token)
    }
}
