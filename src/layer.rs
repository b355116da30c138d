//! [`WebhookLayer`]: the verifier plus the tower-side options.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use tower_layer::Layer;

use crate::rejection::Rejection;
use crate::service::WebhookService;
use crate::verify::Verifier;
use crate::{GitLabKeys, KeyRing};

/// The default time a whole body may take to arrive: 10 seconds.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Tower layer that verifies GitHub and GitLab webhook deliveries.
///
/// Verified deliveries reach the inner service as `Request<VerifiedBody>`
/// with the [`Event`](crate::Event) in the extensions; everything else is
/// answered here, with the status and reason of its
/// [`Rejection`], and never reaches the inner service. Cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use axum::{Router, routing::post, Extension};
/// use tower_webhooks::{Event, KeyRing, Secret, WebhookLayer};
///
/// let keys = KeyRing::single(Secret::new("It's a Secret to Everybody").unwrap());
/// let app: Router = Router::new()
///     .route("/webhook", post(|Extension(event): Extension<Event>, body: String| async move {
///         format!("{} ({} bytes)", event.name(), body.len())
///     }))
///     .layer(WebhookLayer::github(keys).body_timeout(Duration::from_secs(5)));
/// ```
#[derive(Clone)]
pub struct WebhookLayer {
    verifier: Verifier,
    body_timeout: Option<Duration>,
    responder: Responder,
}

impl WebhookLayer {
    /// A layer around `verifier`, with a 10 second body deadline.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            verifier,
            body_timeout: Some(DEFAULT_BODY_TIMEOUT),
            responder: Responder::default(),
        }
    }

    /// A layer for github.com deliveries signed with `keys`.
    pub fn github(keys: KeyRing) -> Self {
        Self::new(Verifier::github(keys))
    }

    /// A layer for GitLab deliveries, `keys` serving every instance.
    pub fn gitlab(keys: impl Into<GitLabKeys>) -> Self {
        Self::new(Verifier::gitlab(keys))
    }

    /// Answers 408 when the whole body has not arrived within `timeout` of
    /// the request reaching the layer (default 10 seconds).
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = Some(timeout);
        self
    }

    /// No body deadline: for hosts that enforce one themselves, or for
    /// harnesses without a tokio timer. Servers facing the internet want one.
    pub fn without_body_timeout(mut self) -> Self {
        self.body_timeout = None;
        self
    }

    /// Builds rejection responses with `respond` instead of
    /// [`Rejection::into_response`]. The rejection is still logged once.
    ///
    /// ```
    /// use tower_webhooks::{KeyRing, Secret, WebhookLayer};
    ///
    /// let layer = WebhookLayer::github(KeyRing::single(Secret::new("s").unwrap()))
    ///     .with_rejection_response(|rejection| {
    ///         let body = format!("{{\"error\":\"{}\"}}", rejection.reason().code());
    ///         let mut response = http::Response::new(body.into());
    ///         *response.status_mut() = rejection.status();
    ///         response
    ///     });
    /// ```
    pub fn with_rejection_response(
        mut self,
        respond: impl Fn(&Rejection) -> Response<Bytes> + Send + Sync + 'static,
    ) -> Self {
        self.responder = Responder(Some(Arc::new(respond)));
        self
    }

    /// The verifier inside.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

impl<S> Layer<S> for WebhookLayer {
    type Service = WebhookService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WebhookService::new(
            inner,
            self.verifier.clone(),
            self.body_timeout,
            self.responder.clone(),
        )
    }
}

impl fmt::Debug for WebhookLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookLayer")
            .field("verifier", &self.verifier)
            .field("body_timeout", &self.body_timeout)
            .finish_non_exhaustive()
    }
}

type RespondFn = dyn Fn(&Rejection) -> Response<Bytes> + Send + Sync;

/// Turns a rejection into a response: the user's function, or the default.
#[derive(Clone, Default)]
pub(crate) struct Responder(Option<Arc<RespondFn>>);

impl Responder {
    pub(crate) fn respond(&self, rejection: &Rejection) -> Response<Bytes> {
        match &self.0 {
            Some(respond) => respond(rejection),
            None => rejection.into_response(),
        }
    }
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Responder(custom)"
        } else {
            "Responder(default)"
        })
    }
}
