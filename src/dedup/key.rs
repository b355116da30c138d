//! [`DeliveryKey`]: what a delivery is deduplicated by.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::Event;

/// Keys longer than this are replaced by a SHA-256 digest of their text, so
/// a store's memory per record stays bounded whatever the headers carried.
const MAX_KEY_LEN: usize = 200;

/// The scoped key of one delivery: provider, instance or enterprise host,
/// hook id and delivery id.
///
/// The same delivery id sent to two hooks (GitHub sends one event to every
/// subscribed hook under one `X-GitHub-Delivery`), or by two GitLab
/// instances, gives two different keys. The text is
/// `provider:instance:hook:delivery`, each part with `%` and `:`
/// percent-encoded and an absent part left empty; a text longer than 200
/// bytes becomes `provider:sha256:<hex digest of the text>`.
///
/// ```
/// use tower_webhooks::Provider;
/// use tower_webhooks::dedup::DeliveryKey;
///
/// let key = DeliveryKey::new(Provider::GitLab, Some("https://gitlab.example.com:8443"), Some("hook-1"), "d-42");
/// assert_eq!(key.as_str(), "gitlab:https%3A//gitlab.example.com%3A8443:hook-1:d-42");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DeliveryKey(Arc<str>);

impl DeliveryKey {
    /// The key of a delivery from its parts.
    pub fn new(
        provider: crate::Provider,
        instance: Option<&str>,
        hook_id: Option<&str>,
        delivery: &str,
    ) -> Self {
        let mut text = String::with_capacity(
            16 + instance.map_or(0, str::len) + hook_id.map_or(0, str::len) + delivery.len(),
        );
        text.push_str(provider.as_str());
        for part in [instance.unwrap_or(""), hook_id.unwrap_or(""), delivery] {
            text.push(':');
            escape_into(&mut text, part);
        }
        if text.len() > MAX_KEY_LEN {
            let digest = Sha256::digest(text.as_bytes());
            text = format!("{}:sha256:{}", provider.as_str(), hex::encode(digest));
        }
        Self(text.into())
    }

    /// The key of a verified delivery, or `None` when it carries no delivery
    /// id (then there is nothing to deduplicate it by).
    pub fn from_event(event: &Event) -> Option<Self> {
        let delivery = event.delivery()?;
        Some(Self::new(
            event.provider(),
            event.instance(),
            event.hook_id(),
            delivery,
        ))
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn shared(&self) -> Arc<str> {
        self.0.clone()
    }
}

fn escape_into(out: &mut String, part: &str) {
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            c => out.push(c),
        }
    }
}

impl fmt::Display for DeliveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DeliveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DeliveryKey").field(&&*self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;

    #[test]
    fn parts_are_scoped_and_unambiguous() {
        let a = DeliveryKey::new(Provider::GitHub, None, Some("1"), "d");
        let b = DeliveryKey::new(Provider::GitHub, None, Some("2"), "d");
        let c = DeliveryKey::new(Provider::GitLab, None, Some("1"), "d");
        let d = DeliveryKey::new(Provider::GitHub, Some("ghe.example.com"), Some("1"), "d");
        assert_eq!(a.as_str(), "github::1:d");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        // A colon inside a part cannot shift the boundaries.
        let e = DeliveryKey::new(Provider::GitHub, Some("x"), Some("y:z"), "d");
        let f = DeliveryKey::new(Provider::GitHub, Some("x:y"), Some("z"), "d");
        assert_ne!(e, f);
        assert_eq!(e.as_str(), "github:x:y%3Az:d");
    }

    #[test]
    fn long_keys_are_digested() {
        let long = "x".repeat(1000);
        let key = DeliveryKey::new(Provider::GitHub, None, None, &long);
        assert_eq!(key.as_str().len(), "github:sha256:".len() + 64);
        assert!(key.as_str().starts_with("github:sha256:"));
        let other = DeliveryKey::new(Provider::GitHub, None, None, &"x".repeat(999));
        assert_ne!(key, other);
    }
}
