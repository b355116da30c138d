//! [`EventRouter`]: dispatches verified events by provider, event and
//! action, with a fallback that acknowledges what nothing handles.

mod future;
mod service;

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use crate::Provider;
use crate::event::{EventKind, GitHubEvent, GitLabEvent};

pub use future::RouteFuture;
use service::{BoxedService, Erased};

/// The response body of [`EventRouter`]: whatever body the routed service
/// returned, boxed.
pub type RouteBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Which deliveries a route takes: a provider's event, optionally only one
/// action of it.
///
/// ```
/// use tower_webhooks::{GitHubEvent, GitLabEvent, Route};
///
/// let opened = Route::github(GitHubEvent::PullRequest).action("opened");
/// let any_mr = Route::gitlab(GitLabEvent::MergeRequest);
/// assert_eq!(opened.to_string(), "github pull_request.opened");
/// assert_eq!(any_mr.to_string(), "gitlab Merge Request Hook");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    provider: Provider,
    event: String,
    action: Option<String>,
}

impl Route {
    /// Every delivery of `kind`.
    pub fn new(kind: EventKind) -> Self {
        let provider = match &kind {
            EventKind::GitHub(_) => Provider::GitHub,
            EventKind::GitLab(_) => Provider::GitLab,
        };
        Self {
            provider,
            event: kind.as_str().to_owned(),
            action: None,
        }
    }

    /// Every delivery of the GitHub `event`.
    pub fn github(event: GitHubEvent) -> Self {
        Self::new(EventKind::GitHub(event))
    }

    /// Every delivery of the GitLab `event`.
    pub fn gitlab(event: GitLabEvent) -> Self {
        Self::new(EventKind::GitLab(event))
    }

    /// Only deliveries whose [action](crate::payload::Payload::action) is
    /// `action`.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    fn takes(&self, kind: &EventKind) -> bool {
        let provider = match kind {
            EventKind::GitHub(_) => Provider::GitHub,
            EventKind::GitLab(_) => Provider::GitLab,
        };
        provider == self.provider && kind.as_str() == self.event
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.provider, self.event)?;
        match &self.action {
            Some(action) => write!(f, ".{action}"),
            None => Ok(()),
        }
    }
}

/// A tower service that dispatches verified events to other services by
/// provider, event and optionally [action](crate::payload::Payload::action).
///
/// For each request it takes, in this order: the first route with the
/// event and the action, else the first route with the event and no
/// action, else the fallback. The default fallback answers `202 Accepted`
/// (`event not handled`): providers disable hooks whose deliveries keep
/// failing, so an event nobody handles must not fail. A request without a
/// verified [`Event`](crate::Event) (no [`WebhookLayer`](crate::WebhookLayer)
/// in front) is answered 500.
///
/// The action is read from the [`Payload`](crate::payload::Payload) the
/// layer puts in the extensions, and only when a route with an action
/// exists for the event; the JSON is parsed at most once per request.
///
/// Routed services take `Request<B>` and are infallible; axum handlers fit
/// with `.with_state(())`, closures with `tower::service_fn`. The router
/// works as the inner service of the layer (`B` = [`VerifiedBody`](crate::VerifiedBody))
/// and inside axum (`B` = `axum::body::Body`, with `route_service`).
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use tower::ServiceBuilder;
/// use tower_webhooks::{EventRouter, GitHubEvent, KeyRing, Route, Secret, VerifiedBody, WebhookLayer};
///
/// let opened = tower::service_fn(|_request: Request<VerifiedBody>| async {
///     Ok::<_, Infallible>(Response::new(String::from("reviewing")))
/// });
/// let router = EventRouter::new()
///     .route(Route::github(GitHubEvent::PullRequest).action("opened"), opened.clone())
///     .route(Route::github(GitHubEvent::PullRequest).action("synchronize"), opened);
/// let service = ServiceBuilder::new()
///     .layer(WebhookLayer::github(KeyRing::single(Secret::new("s3cret").unwrap())))
///     .service(router);
/// # let _ = service;
/// ```
pub struct EventRouter<B> {
    inner: Arc<Routes<B>>,
}

struct Routes<B> {
    routes: Vec<(Route, BoxedService<B>)>,
    fallback: Option<BoxedService<B>>,
}

impl<B> Clone for Routes<B> {
    fn clone(&self) -> Self {
        Self {
            routes: self
                .routes
                .iter()
                .map(|(route, service)| (route.clone(), service.clone_box()))
                .collect(),
            fallback: self.fallback.as_ref().map(|service| service.clone_box()),
        }
    }
}

impl<B> EventRouter<B>
where
    B: Send + 'static,
{
    /// A router with no routes and the default fallback.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Routes {
                routes: Vec::new(),
                fallback: None,
            }),
        }
    }

    /// Sends the deliveries `route` takes to `service`.
    pub fn route<S, ResBody>(mut self, route: Route, service: S) -> Self
    where
        S: Service<Request<B>, Response = Response<ResBody>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        ResBody: Body<Data = Bytes> + Send + 'static,
        ResBody::Error: Into<BoxError>,
    {
        self.routes_mut()
            .routes
            .push((route, Box::new(Erased(service))));
        self
    }

    /// Sends the deliveries no route takes to `service` instead of the
    /// default `202 Accepted`. Keep its answers 2xx unless you mean the
    /// provider to count them as failures.
    pub fn fallback<S, ResBody>(mut self, service: S) -> Self
    where
        S: Service<Request<B>, Response = Response<ResBody>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        ResBody: Body<Data = Bytes> + Send + 'static,
        ResBody::Error: Into<BoxError>,
    {
        self.routes_mut().fallback = Some(Box::new(Erased(service)));
        self
    }

    /// The routes, in the order they were added.
    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.inner.routes.iter().map(|(route, _)| route)
    }

    fn routes_mut(&mut self) -> &mut Routes<B> {
        Arc::make_mut(&mut self.inner)
    }
}

impl<B> Default for EventRouter<B>
where
    B: Send + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<B> Clone for EventRouter<B> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<B> fmt::Debug for EventRouter<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventRouter")
            .field(
                "routes",
                &self
                    .inner
                    .routes
                    .iter()
                    .map(|(route, _)| route.to_string())
                    .collect::<Vec<_>>(),
            )
            .field("custom_fallback", &self.inner.fallback.is_some())
            .finish()
    }
}
