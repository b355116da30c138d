//! axum extractors for payloads (features `axum` and `payload`):
//! [`Webhook<T>`](Webhook) for a typed event struct, and
//! [`Payload`] for the raw JSON, the action and the bytes.

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::payload::{EventPayload, Payload, PayloadError};

/// A typed event payload, extracted from the verified request.
///
/// `T` is one of the structs of [`payload::github`](crate::payload::github)
/// or [`payload::gitlab`](crate::payload::gitlab) (or your own
/// [`EventPayload`]). The payload is read from the JSON the layer parses at
/// most once per request, so several extractors cost one parse, and the
/// body stays available to a later `Bytes` extractor.
///
/// Rejections ([`WebhookPayloadRejection`]):
///
/// | status | when |
/// |---|---|
/// | 400 | the delivery is another event kind than `T` (`unexpected event: expected GitHub pull_request, got GitHub push`) |
/// | 400 | the body (or a form delivery's `payload` field) is not JSON |
/// | 422 | the JSON does not fit `T`; the text names the field's path |
/// | 500 | no [`WebhookLayer`](crate::WebhookLayer) in front of the route |
///
/// As `Option<Webhook<T>>` it is `None` for other event kinds (so one
/// handler can take several) and still rejects a payload of the right kind
/// that does not fit `T`.
///
/// ```
/// use axum::{Router, routing::post};
/// use tower_webhooks::{KeyRing, Secret, Webhook, WebhookLayer};
/// use tower_webhooks::payload::github::PullRequestEvent;
///
/// async fn on_pull_request(Webhook(event): Webhook<PullRequestEvent>) -> String {
///     format!("{} #{} {}", event.action, event.number, event.pull_request.head.sha)
/// }
///
/// let keys = KeyRing::single(Secret::new("s3cret").unwrap());
/// let app: Router = Router::new()
///     .route("/webhook", post(on_pull_request))
///     .layer(WebhookLayer::github(keys));
/// ```
#[derive(Debug, Clone)]
pub struct Webhook<T>(pub T);

/// Why [`Webhook`] or [`Payload`] could not be extracted; see [`Webhook`]
/// for the status codes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum WebhookPayloadRejection {
    /// No [`WebhookLayer`](crate::WebhookLayer) in front of the route: 500.
    MissingWebhookLayer,
    /// Another event kind than the handler asked for: 400.
    WrongEvent(PayloadError),
    /// The body is not JSON (or a form without `payload`): 400.
    NotJson(PayloadError),
    /// The JSON does not fit the typed struct: 422.
    Invalid(PayloadError),
}

impl WebhookPayloadRejection {
    /// The response status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingWebhookLayer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::WrongEvent(_) | Self::NotJson(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl From<PayloadError> for WebhookPayloadRejection {
    fn from(error: PayloadError) -> Self {
        if error.is_wrong_event() {
            Self::WrongEvent(error)
        } else if error.is_syntax() {
            Self::NotJson(error)
        } else {
            Self::Invalid(error)
        }
    }
}

impl std::fmt::Display for WebhookPayloadRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingWebhookLayer => f.write_str(
                "missing verified webhook payload: is WebhookLayer in front of this route?",
            ),
            Self::WrongEvent(error) | Self::NotJson(error) | Self::Invalid(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for WebhookPayloadRejection {}

impl IntoResponse for WebhookPayloadRejection {
    fn into_response(self) -> Response {
        tracing::debug!(status = self.status().as_u16(), reason = %self, "webhook payload rejected by the extractor");
        (self.status(), format!("{self}\n")).into_response()
    }
}

fn payload(parts: &Parts) -> Result<&Payload, WebhookPayloadRejection> {
    parts
        .extensions
        .get::<Payload>()
        .ok_or(WebhookPayloadRejection::MissingWebhookLayer)
}

impl<T, S> FromRequestParts<S> for Webhook<T>
where
    T: EventPayload,
    S: Send + Sync,
{
    type Rejection = WebhookPayloadRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(payload(parts)?.parse_typed::<T>()?))
    }
}

impl<T, S> OptionalFromRequestParts<S> for Webhook<T>
where
    T: EventPayload,
    S: Send + Sync,
{
    type Rejection = WebhookPayloadRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let payload = payload(parts)?;
        if !T::accepts(payload.kind()) {
            return Ok(None);
        }
        Ok(Some(Self(payload.parse_typed::<T>()?)))
    }
}

/// Extracts the verified delivery's [`Payload`]: raw JSON, action, bytes.
/// Never fails for a verified request; 500 without the layer.
///
/// ```
/// use tower_webhooks::payload::Payload;
///
/// async fn handle(payload: Payload) -> String {
///     format!("{} {:?}", payload.kind(), payload.action())
/// }
/// ```
impl<S> FromRequestParts<S> for Payload
where
    S: Send + Sync,
{
    type Rejection = WebhookPayloadRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        payload(parts).cloned()
    }
}
