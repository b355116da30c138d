//! [`WebhookService`]: the header stage, then the [`ResponseFuture`].

use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use crate::body::{ResponseBody, VerifiedBody};
use crate::future::ResponseFuture;
use crate::layer::Responder;
use crate::verify::Verifier;

/// Verifies each delivery and hands the verified ones to the inner service.
///
/// Built by [`WebhookLayer`](crate::WebhookLayer). The inner service receives
/// a `Request<VerifiedBody>` with the [`Event`](crate::Event) in its
/// extensions; its response is returned unchanged. Rejections are responses,
/// so the error type is the inner service's.
#[derive(Clone, Debug)]
pub struct WebhookService<S> {
    inner: S,
    verifier: Verifier,
    body_timeout: Option<Duration>,
    responder: Responder,
}

impl<S> WebhookService<S> {
    pub(crate) fn new(
        inner: S,
        verifier: Verifier,
        body_timeout: Option<Duration>,
        responder: Responder,
    ) -> Self {
        Self {
            inner,
            verifier,
            body_timeout,
            responder,
        }
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for WebhookService<S>
where
    S: Service<Request<VerifiedBody>, Response = Response<ResBody>> + Clone,
    ReqBody: Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // tower's rule: the clone may not be ready; the service that was
        // polled ready goes into the future.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);

        let (parts, body) = request.into_parts();
        match self.verifier.begin(&parts.method, &parts.headers) {
            Err(rejection) => ResponseFuture::rejected(rejection, self.responder.clone()),
            Ok(verification) => ResponseFuture::collecting(
                ready,
                parts,
                verification,
                body,
                // The instant only: a timer is armed if the body makes
                // the layer wait. A deadline past what `Instant` can hold
                // is no deadline.
                self.body_timeout
                    .and_then(|timeout| tokio::time::Instant::now().checked_add(timeout)),
                self.responder.clone(),
            ),
        }
    }
}
