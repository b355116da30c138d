//! axum extractors (feature `axum`).

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::Event;

/// The handler asked for the verified [`Event`] but the request did not pass
/// through a [`WebhookLayer`](crate::WebhookLayer): a server
/// misconfiguration, answered 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingWebhookLayer;

impl IntoResponse for MissingWebhookLayer {
    fn into_response(self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "missing verified webhook event: is WebhookLayer in front of this route?\n",
        )
            .into_response()
    }
}

impl std::fmt::Display for MissingWebhookLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("missing verified webhook event: is WebhookLayer in front of this route?")
    }
}

impl std::error::Error for MissingWebhookLayer {}

/// Extracts the verified [`Event`] the layer put in the request.
///
/// ```
/// use axum::{Router, routing::post};
/// use tower_webhooks::{Event, KeyRing, Secret, WebhookLayer};
///
/// async fn handle(event: Event, body: axum::body::Bytes) -> String {
///     format!("{} {:?} {}", event.name(), event.delivery(), body.len())
/// }
///
/// let keys = KeyRing::single(Secret::new("s3cret").unwrap());
/// let app: Router = Router::new()
///     .route("/webhook", post(handle))
///     .layer(WebhookLayer::github(keys));
/// ```
impl<S> FromRequestParts<S> for Event
where
    S: Send + Sync,
{
    type Rejection = MissingWebhookLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Event>()
            .cloned()
            .ok_or(MissingWebhookLayer)
    }
}
