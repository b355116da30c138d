//! [`DedupLayer`] and its options.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tower_layer::Layer;

use super::{DedupService, DeliveryStore};

/// How long a completed delivery is remembered by default: 72 hours,
/// GitHub's redelivery window.
pub const DEFAULT_TTL: Duration = Duration::from_secs(72 * 60 * 60);

/// How long a claim holds by default while the inner service runs: 5
/// minutes. If the process dies mid-delivery, the claim lapses after this
/// and a redelivery is processed.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5 * 60);

/// What the layer does when the store cannot be reached (it failed or did
/// not answer in time). Either way it logs one WARN event on the
/// `tower_webhooks::dedup` target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Process the delivery anyway: nothing is lost, but a delivery may be
    /// processed twice while the store is down. The default, because a
    /// refused GitHub delivery is not retried by GitHub.
    #[default]
    FailOpen,
    /// Answer `503 Service Unavailable` (plain text `deduplication store
    /// unavailable`) without calling the inner service: never a duplicate,
    /// but the sender must redeliver.
    FailClosed,
}

impl FailurePolicy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::FailOpen => "fail_open",
            Self::FailClosed => "fail_closed",
        }
    }
}

/// Tower layer that lets each verified delivery reach the inner service
/// once; see the [module docs](super) for the exact behaviour.
///
/// Put it inside [`WebhookLayer`](crate::WebhookLayer): it reads the
/// [`Event`](crate::Event) that layer puts in the request extensions.
/// Requests without an `Event` or without a delivery id pass through
/// untouched. Cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use tower::ServiceBuilder;
/// use tower_webhooks::dedup::{DedupLayer, FailurePolicy, MemoryStore};
/// use tower_webhooks::{KeyRing, Secret, WebhookLayer};
///
/// let keys = KeyRing::single(Secret::new("It's a Secret to Everybody").unwrap());
/// let stack = ServiceBuilder::new()
///     .layer(WebhookLayer::github(keys))
///     .layer(
///         DedupLayer::new(MemoryStore::new(10_000))
///             .ttl(Duration::from_secs(24 * 3600))
///             .lease(Duration::from_secs(60))
///             .failure_policy(FailurePolicy::FailClosed),
///     );
/// ```
#[derive(Clone)]
pub struct DedupLayer {
    config: Arc<Config>,
}

pub(crate) struct Config {
    pub(crate) store: Arc<dyn DeliveryStore>,
    pub(crate) ttl: Duration,
    pub(crate) lease: Duration,
    pub(crate) policy: FailurePolicy,
}

impl DedupLayer {
    /// A layer keeping its records in `store`, with a 72 hour TTL, a 5
    /// minute lease and [`FailurePolicy::FailOpen`].
    pub fn new(store: impl DeliveryStore) -> Self {
        Self::from_shared(Arc::new(store))
    }

    /// A layer over a store that is already shared, e.g. an
    /// `Arc<dyn DeliveryStore>` chosen at run time.
    pub fn from_shared(store: Arc<dyn DeliveryStore>) -> Self {
        Self {
            config: Arc::new(Config {
                store,
                ttl: DEFAULT_TTL,
                lease: DEFAULT_LEASE,
                policy: FailurePolicy::default(),
            }),
        }
    }

    /// How long a completed delivery is remembered (default 72 hours). At
    /// least one millisecond.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.config_mut().ttl = ttl.max(Duration::from_millis(1));
        self
    }

    /// How long a claim holds while the inner service runs (default 5
    /// minutes): longer than your slowest handler, short enough that a
    /// delivery whose process died is retried soon. At least one
    /// millisecond.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.config_mut().lease = lease.max(Duration::from_millis(1));
        self
    }

    /// What to do when the store cannot be reached (default
    /// [`FailurePolicy::FailOpen`]).
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.config_mut().policy = policy;
        self
    }

    /// The configured TTL.
    pub fn get_ttl(&self) -> Duration {
        self.config.ttl
    }

    /// The configured lease.
    pub fn get_lease(&self) -> Duration {
        self.config.lease
    }

    /// The configured failure policy.
    pub fn get_failure_policy(&self) -> FailurePolicy {
        self.config.policy
    }

    fn config_mut(&mut self) -> &mut Config {
        if Arc::get_mut(&mut self.config).is_none() {
            let c = &self.config;
            self.config = Arc::new(Config {
                store: c.store.clone(),
                ttl: c.ttl,
                lease: c.lease,
                policy: c.policy,
            });
        }
        Arc::get_mut(&mut self.config).expect("just made unique")
    }
}

impl<S> Layer<S> for DedupLayer {
    type Service = DedupService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DedupService::new(inner, self.config.clone())
    }
}

impl fmt::Debug for DedupLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DedupLayer")
            .field("ttl", &self.config.ttl)
            .field("lease", &self.config.lease)
            .field("policy", &self.config.policy)
            .finish_non_exhaustive()
    }
}
