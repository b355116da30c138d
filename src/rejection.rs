//! [`Rejection`]: why a delivery was refused, as a response and one log event.

use std::fmt;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use crate::Provider;

/// The stable reason a delivery was refused.
///
/// [`code`](Self::code) is the machine-readable name used in logs and in the
/// default response body; it never changes once released.
///
/// | code | status |
/// |---|---|
/// | `method_not_allowed` | 405 |
/// | `provider_unknown`, `provider_ambiguous` | 400 |
/// | `header_malformed`, `header_duplicated` | 400 |
/// | `event_missing` | 400 |
/// | `signature_missing` | 401 |
/// | `signature_malformed` | 400 |
/// | `signature_mismatch` | 401 |
/// | `token_missing`, `token_mismatch` | 401 |
/// | `instance_malformed` | 400 |
/// | `unknown_instance` | 401 |
/// | `timestamp_missing`, `timestamp_invalid`, `timestamp_out_of_window` | 401 |
/// | `content_length_invalid` | 400 |
/// | `body_too_large` | 413 |
/// | `body_timeout` | 408 |
/// | `body_error` | 400 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The method is not one the layer accepts (POST by default).
    MethodNotAllowed,
    /// No provider's headers were found (the layer accepts several).
    ProviderUnknown,
    /// Headers of more than one provider were found.
    ProviderAmbiguous,
    /// A provider header is not visible ASCII or is too long.
    HeaderMalformed,
    /// A provider header that must appear once appears more than once.
    HeaderDuplicated,
    /// The event header (`X-GitHub-Event`, `X-Gitlab-Event`) is missing.
    EventMissing,
    /// No signature header: `X-Hub-Signature-256` for GitHub,
    /// `webhook-signature` for a GitLab instance with a signing key.
    SignatureMissing,
    /// The signature header is not of the provider's form.
    SignatureMalformed,
    /// No active key produces the signature.
    SignatureMismatch,
    /// No `X-Gitlab-Token` header.
    TokenMissing,
    /// The `X-Gitlab-Token` matches no active token.
    TokenMismatch,
    /// `X-Gitlab-Instance` is not an origin (`scheme://host[:port]`).
    InstanceMalformed,
    /// No keys are configured for the instance or enterprise host, and there
    /// is no default.
    UnknownInstance,
    /// A signed delivery has no `webhook-timestamp` header.
    TimestampMissing,
    /// `webhook-timestamp` is not a number of seconds.
    TimestampInvalid,
    /// `webhook-timestamp` is outside the accepted window.
    TimestampOutOfWindow,
    /// `Content-Length` is not a number, or disagrees with the body.
    ContentLengthInvalid,
    /// The body is larger than the limit.
    BodyTooLarge,
    /// The body did not arrive within the deadline.
    BodyTimeout,
    /// Reading the body failed.
    BodyError,
}

impl Reason {
    /// The stable snake_case code.
    ///
    /// ```
    /// use tower_webhooks::Reason;
    /// assert_eq!(Reason::SignatureMismatch.code(), "signature_mismatch");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Self::MethodNotAllowed => "method_not_allowed",
            Self::ProviderUnknown => "provider_unknown",
            Self::ProviderAmbiguous => "provider_ambiguous",
            Self::HeaderMalformed => "header_malformed",
            Self::HeaderDuplicated => "header_duplicated",
            Self::EventMissing => "event_missing",
            Self::SignatureMissing => "signature_missing",
            Self::SignatureMalformed => "signature_malformed",
            Self::SignatureMismatch => "signature_mismatch",
            Self::TokenMissing => "token_missing",
            Self::TokenMismatch => "token_mismatch",
            Self::InstanceMalformed => "instance_malformed",
            Self::UnknownInstance => "unknown_instance",
            Self::TimestampMissing => "timestamp_missing",
            Self::TimestampInvalid => "timestamp_invalid",
            Self::TimestampOutOfWindow => "timestamp_out_of_window",
            Self::ContentLengthInvalid => "content_length_invalid",
            Self::BodyTooLarge => "body_too_large",
            Self::BodyTimeout => "body_timeout",
            Self::BodyError => "body_error",
        }
    }

    /// The HTTP status the default response uses.
    pub fn status(self) -> StatusCode {
        match self {
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::SignatureMissing
            | Self::SignatureMismatch
            | Self::TokenMissing
            | Self::TokenMismatch
            | Self::UnknownInstance
            | Self::TimestampMissing
            | Self::TimestampInvalid
            | Self::TimestampOutOfWindow => StatusCode::UNAUTHORIZED,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::ProviderUnknown
            | Self::ProviderAmbiguous
            | Self::HeaderMalformed
            | Self::HeaderDuplicated
            | Self::EventMissing
            | Self::SignatureMalformed
            | Self::InstanceMalformed
            | Self::ContentLengthInvalid
            | Self::BodyError => StatusCode::BAD_REQUEST,
        }
    }

    /// A short human-readable explanation. Holds no secret.
    pub fn message(self) -> &'static str {
        match self {
            Self::MethodNotAllowed => "webhook deliveries must be POST requests",
            Self::ProviderUnknown => "no GitHub or GitLab webhook headers found",
            Self::ProviderAmbiguous => "both GitHub and GitLab webhook headers found",
            Self::HeaderMalformed => "a webhook header is malformed or too long",
            Self::HeaderDuplicated => "a webhook header appears more than once",
            Self::EventMissing => "the event header is missing",
            Self::SignatureMissing => "the signature header is missing",
            Self::SignatureMalformed => "the signature header is malformed",
            Self::SignatureMismatch => "the signature does not match",
            Self::TokenMissing => "the X-Gitlab-Token header is missing",
            Self::TokenMismatch => "the X-Gitlab-Token does not match",
            Self::InstanceMalformed => "X-Gitlab-Instance is not an origin",
            Self::UnknownInstance => "no keys are configured for this instance",
            Self::TimestampMissing => "the webhook-timestamp header is missing",
            Self::TimestampInvalid => "the webhook-timestamp header is not a number",
            Self::TimestampOutOfWindow => "the webhook-timestamp is outside the accepted window",
            Self::ContentLengthInvalid => "Content-Length is invalid",
            Self::BodyTooLarge => "the body is larger than the limit",
            Self::BodyTimeout => "the body did not arrive in time",
            Self::BodyError => "the body could not be read",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused delivery: the [`Reason`] and the non-secret context known when
/// it was refused.
///
/// The layer turns it into a response (see [`Rejection::into_response`] and
/// [`WebhookLayer::with_rejection_response`](crate::WebhookLayer::with_rejection_response))
/// and one WARN event on the `tower_webhooks` target (see
/// [`Rejection::log`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    reason: Reason,
    context: RejectionContext,
}

/// What was known about a delivery when it was refused. Values are taken
/// from headers and cut to 128 bytes; secret-bearing headers are never read
/// into it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectionContext {
    /// The provider, once known.
    pub provider: Option<Provider>,
    /// The event header's value.
    pub event: Option<String>,
    /// The delivery id.
    pub delivery: Option<String>,
    /// The GitLab instance or GitHub Enterprise host, as sent.
    pub instance: Option<String>,
}

impl Rejection {
    /// A rejection with no context.
    pub fn new(reason: Reason) -> Self {
        Self {
            reason,
            context: RejectionContext::default(),
        }
    }

    #[allow(dead_code)] // the built-in providers hand over owned contexts
    pub(crate) fn with_context(reason: Reason, context: &RejectionContext) -> Self {
        Self::with_owned_context(reason, context.clone())
    }

    pub(crate) fn with_owned_context(reason: Reason, context: RejectionContext) -> Self {
        Self { reason, context }
    }

    /// Why.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// What was known about the delivery.
    pub fn context(&self) -> &RejectionContext {
        &self.context
    }

    /// The HTTP status for this rejection.
    pub fn status(&self) -> StatusCode {
        self.reason.status()
    }

    /// The default response: the status and a plain-text body
    /// `"<code>: <message>\n"`, e.g. `signature_mismatch: the signature does
    /// not match`.
    ///
    /// ```
    /// use tower_webhooks::{Reason, Rejection};
    ///
    /// let response = Rejection::new(Reason::BodyTooLarge).into_response();
    /// assert_eq!(response.status(), 413);
    /// assert_eq!(response.body(), "body_too_large: the body is larger than the limit\n");
    /// ```
    pub fn into_response(&self) -> Response<Bytes> {
        let body = format!("{}: {}\n", self.reason.code(), self.reason.message());
        let mut response = Response::new(Bytes::from(body));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if self.reason == Reason::MethodNotAllowed {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }

    /// Emits the rejection's one WARN event on the `tower_webhooks` target,
    /// with the reason code and the non-secret context. The layer calls this
    /// once per rejection; custom servers using [`Verifier`](crate::Verifier)
    /// may call it themselves.
    pub fn log(&self) {
        let c = &self.context;
        tracing::warn!(
            target: "tower_webhooks",
            reason = self.reason.code(),
            status = self.status().as_u16(),
            provider = c.provider.map(Provider::as_str),
            event = c.event.as_deref(),
            delivery = c.delivery.as_deref(),
            instance = c.instance.as_deref(),
            "webhook delivery rejected"
        );
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.code(), self.reason.message())
    }
}

impl std::error::Error for Rejection {}
