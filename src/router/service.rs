//! The [`Service`] impl of [`EventRouter`]: choosing the route.

use std::convert::Infallible;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use tower_service::Service;

use super::future::{BoxedFuture, RouteFuture};
use super::{BoxError, EventRouter, RouteBody};
use crate::Event;
use crate::payload::Payload;

/// A routed service with its types erased; cloned for each request.
pub(super) type BoxedService<B> = Box<dyn ErasedService<B>>;

pub(super) trait ErasedService<B>: Send + Sync {
    fn call(&self, request: Request<B>) -> BoxedFuture;
    fn clone_box(&self) -> BoxedService<B>;
}

pub(super) struct Erased<S>(pub(super) S);

impl<S, B, ResBody> ErasedService<B> for Erased<S>
where
    S: Service<Request<B>, Response = Response<ResBody>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    fn call(&self, request: Request<B>) -> BoxedFuture {
        let mut service = self.0.clone();
        Box::pin(async move {
            if let Err(never) = std::future::poll_fn(|cx| service.poll_ready(cx)).await {
                match never {}
            }
            match service.call(request).await {
                Ok(response) => response.map(|body| body.map_err(Into::into).boxed_unsync()),
                Err(never) => match never {},
            }
        })
    }

    fn clone_box(&self) -> BoxedService<B> {
        Box::new(Erased(self.0.clone()))
    }
}

impl<B> Service<Request<B>> for EventRouter<B>
where
    B: Send + 'static,
{
    type Response = Response<RouteBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Routed services are cloned and driven to readiness per request.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> RouteFuture {
        let Some(event) = request.extensions().get::<Event>() else {
            tracing::error!(
                "EventRouter got a request without a verified event: is WebhookLayer in front of it?"
            );
            return RouteFuture::ready(plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "missing verified webhook event: is WebhookLayer in front of this route?\n",
            ));
        };
        let kind = event.kind();
        let mut action: Option<Option<&str>> = None;
        let mut event_wide = None;
        let mut chosen = None;
        for (route, service) in &self.inner.routes {
            if !route.takes(kind) {
                continue;
            }
            match &route.action {
                None => {
                    event_wide.get_or_insert(service);
                }
                Some(wanted) => {
                    let actual = *action.get_or_insert_with(|| {
                        request
                            .extensions()
                            .get::<Payload>()
                            .and_then(Payload::action)
                    });
                    if actual == Some(wanted.as_str()) {
                        chosen = Some(service);
                        break;
                    }
                }
            }
        }
        match chosen.or(event_wide) {
            Some(service) => service.call(request).into(),
            None => {
                let action = request
                    .extensions()
                    .get::<Payload>()
                    .filter(|payload| payload.is_parsed())
                    .and_then(Payload::action);
                tracing::debug!(
                    provider = %event.provider(),
                    event = event.name(),
                    action,
                    delivery = event.delivery(),
                    "no route for the event: answered by the fallback"
                );
                match &self.inner.fallback {
                    Some(fallback) => fallback.call(request).into(),
                    None => RouteFuture::ready(plain(StatusCode::ACCEPTED, "event not handled\n")),
                }
            }
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<RouteBody> {
    let body = Full::new(Bytes::from_static(text.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
