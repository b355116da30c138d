//! [`DedupService`]: finds the delivery key, then the [`ResponseFuture`].

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::layer::Config;
use super::{DedupBody, DeliveryKey, ResponseFuture};
use crate::Event;

/// Lets each verified delivery reach the inner service once.
///
/// Built by [`DedupLayer`](super::DedupLayer). Responses of the inner
/// service are returned unchanged; duplicates and store outages are
/// answered by the layer, so the error type is the inner service's.
#[derive(Clone)]
pub struct DedupService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> DedupService<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
        Self { inner, config }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, owned.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for DedupService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
{
    type Response = Response<DedupBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // tower's rule: the clone may not be ready; the service that was
        // polled ready is the one that gets called.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);

        let key = request
            .extensions()
            .get::<Event>()
            .and_then(DeliveryKey::from_event);
        match key {
            None => ResponseFuture::passing(ready.call(request)),
            Some(key) => ResponseFuture::claiming(ready, request, key, self.config.clone()),
        }
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for DedupService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DedupService")
            .field("inner", &self.inner)
            .field("ttl", &self.config.ttl)
            .field("lease", &self.config.lease)
            .field("policy", &self.config.policy)
            .finish_non_exhaustive()
    }
}
