//! The `"action"` of the server's JSON answer (feature `payload`).

use bytes::Bytes;
use http::{Extensions, HeaderMap};
use tower_webhooks::Event;
use tower_webhooks::payload::Payload;

/// The delivery's action from the [`Payload`] the layer put in the request
/// extensions (GitHub's `action`, GitLab's `object_attributes.action` or its
/// documented equivalent); `None` when the event has none or the body is
/// not JSON.
pub fn action_of(extensions: &Extensions) -> Option<String> {
    extensions.get::<Payload>()?.action().map(str::to_owned)
}

/// The same, for a handler that holds the verified [`Event`], the request
/// headers and the body bytes instead of the extensions.
pub fn action_from_body(event: &Event, headers: &HeaderMap, body: &Bytes) -> Option<String> {
    Payload::from_headers(event.kind().clone(), headers, body.clone())
        .action()
        .map(str::to_owned)
}
