//! The `"action"` of the server's JSON answer: present with the `payload`
//! feature (a string, or `null` when the event has none), absent without.

use http::Extensions;
use serde_json::Value;

/// The delivery's action from the `Payload` the layer put in the request
/// extensions: GitHub's `action`, GitLab's `object_attributes.action` or
/// its documented equivalent; `None` when the event has none or the body is
/// not JSON.
#[cfg(feature = "payload")]
pub fn action_of(extensions: &Extensions) -> Option<String> {
    extensions
        .get::<tower_webhooks::payload::Payload>()?
        .action()
        .map(str::to_owned)
}

/// Adds `"action": <string or null>` to the answer (feature `payload`).
#[cfg(feature = "payload")]
pub fn add_action(answer: &mut Value, extensions: &Extensions) {
    answer["action"] = action_of(extensions).into();
}

/// Without the `payload` feature the answer has no `"action"`.
#[cfg(not(feature = "payload"))]
pub fn add_action(_answer: &mut Value, _extensions: &Extensions) {}
