//! [`KeyRing`]: the active keys of one sender, rotatable and replaceable at
//! runtime.

use std::fmt;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use hmac::{Hmac, KeyInit};
use sha2::{Digest, Sha256};

use crate::Secret;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// One active key, compiled once when it is added: the keyed HMAC state that
/// each request clones, and the SHA-256 digest that tokens are compared with.
pub(crate) struct CompiledKey {
    pub(crate) label: Arc<str>,
    pub(crate) mac: HmacSha256,
    pub(crate) digest: [u8; 32],
}

impl CompiledKey {
    fn compile(label: Arc<str>, secret: &Secret) -> Self {
        let mac = HmacSha256::new_from_slice(secret.expose())
            .expect("HMAC-SHA256 accepts keys of any length");
        let digest = Sha256::digest(secret.expose()).into();
        Self { label, mac, digest }
    }
}

/// The keys one sender may use right now, each with a label.
///
/// Several keys are active at once during a rotation: a delivery is accepted
/// when any of them verifies it, and the [`Event`](crate::Event) records the
/// label of the key that matched, never the key. A `KeyRing` is a cheap
/// handle: clone it into the layer and keep a clone to [`add`](Self::add),
/// [`retire`](Self::retire) or [`replace`](Self::replace) keys while the
/// server runs. Each key's HMAC state is computed once when the key is added,
/// never per request.
///
/// A ring always holds at least one key.
///
/// ```
/// use tower_webhooks::{KeyRing, Secret};
///
/// let ring = KeyRing::new("2026-11", Secret::new("old secret").unwrap());
/// let handle = ring.clone(); // give `ring` to the layer, keep `handle`
///
/// // Rotation: the new key starts working next to the old one ...
/// handle.add("2026-12", Secret::new("new secret").unwrap()).unwrap();
/// assert_eq!(ring.labels(), ["2026-11", "2026-12"]);
/// // ... and once the sender has switched, the old one stops.
/// handle.retire("2026-11").unwrap();
/// assert_eq!(ring.labels(), ["2026-12"]);
/// ```
#[derive(Clone)]
pub struct KeyRing {
    shared: Arc<Shared>,
}

struct Shared {
    keys: ArcSwap<Vec<CompiledKey>>,
    // Serializes writers so that concurrent `add`/`retire` calls compose.
    write: Mutex<()>,
}

impl KeyRing {
    /// A ring with one key.
    pub fn new(label: impl Into<String>, secret: Secret) -> Self {
        let key = CompiledKey::compile(label.into().into(), &secret);
        Self::from_compiled(vec![key])
    }

    /// A ring with one key labelled `"default"`.
    ///
    /// ```
    /// # use tower_webhooks::{KeyRing, Secret};
    /// let ring = KeyRing::single(Secret::new("s3cret").unwrap());
    /// assert_eq!(ring.labels(), ["default"]);
    /// ```
    pub fn single(secret: Secret) -> Self {
        Self::new("default", secret)
    }

    /// A ring with several keys. Fails when there are none or two share a
    /// label.
    ///
    /// ```
    /// # use tower_webhooks::{KeyRing, Secret};
    /// let ring = KeyRing::from_keys([
    ///     ("current", Secret::new("one").unwrap()),
    ///     ("previous", Secret::new("two").unwrap()),
    /// ])
    /// .unwrap();
    /// assert_eq!(ring.len(), 2);
    /// ```
    pub fn from_keys<L: Into<String>>(
        keys: impl IntoIterator<Item = (L, Secret)>,
    ) -> Result<Self, KeyError> {
        Ok(Self::from_compiled(compile_all(keys)?))
    }

    fn from_compiled(keys: Vec<CompiledKey>) -> Self {
        Self {
            shared: Arc::new(Shared {
                keys: ArcSwap::from_pointee(keys),
                write: Mutex::new(()),
            }),
        }
    }

    /// Adds a key next to the active ones. Takes effect for the next request.
    pub fn add(&self, label: impl Into<String>, secret: Secret) -> Result<(), KeyError> {
        let label: String = label.into();
        self.update(|current| {
            if current.iter().any(|k| *k.label == *label) {
                return Err(KeyError::DuplicateLabel(label.clone()));
            }
            let mut next: Vec<CompiledKey> = current.iter().map(CompiledKey::cheap_clone).collect();
            next.push(CompiledKey::compile(label.as_str().into(), &secret));
            Ok(next)
        })
    }

    /// Retires the key with this label. The last key cannot be retired: use
    /// [`replace`](Self::replace) to swap it.
    pub fn retire(&self, label: &str) -> Result<(), KeyError> {
        self.update(|current| {
            if !current.iter().any(|k| &*k.label == label) {
                return Err(KeyError::UnknownLabel(label.to_owned()));
            }
            if current.len() == 1 {
                return Err(KeyError::LastKey);
            }
            Ok(current
                .iter()
                .filter(|k| &*k.label != label)
                .map(CompiledKey::cheap_clone)
                .collect())
        })
    }

    /// Replaces every key at once. Fails, changing nothing, when `keys` is
    /// empty or two share a label.
    pub fn replace<L: Into<String>>(
        &self,
        keys: impl IntoIterator<Item = (L, Secret)>,
    ) -> Result<(), KeyError> {
        let next = compile_all(keys)?;
        self.update(|_| Ok(next))
    }

    fn update(
        &self,
        f: impl FnOnce(&[CompiledKey]) -> Result<Vec<CompiledKey>, KeyError>,
    ) -> Result<(), KeyError> {
        let _guard = self
            .shared
            .write
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let next = f(&self.shared.keys.load())?;
        self.shared.keys.store(Arc::new(next));
        Ok(())
    }

    /// The labels of the active keys, in the order they are tried.
    pub fn labels(&self) -> Vec<String> {
        self.shared
            .keys
            .load()
            .iter()
            .map(|k| k.label.to_string())
            .collect()
    }

    /// How many keys are active.
    pub fn len(&self) -> usize {
        self.shared.keys.load().len()
    }

    /// Always `false`: a ring holds at least one key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The active keys, as they are now.
    pub(crate) fn snapshot(&self) -> Arc<Vec<CompiledKey>> {
        self.shared.keys.load_full()
    }
}

impl CompiledKey {
    fn cheap_clone(&self) -> Self {
        Self {
            label: self.label.clone(),
            mac: self.mac.clone(),
            digest: self.digest,
        }
    }
}

fn compile_all<L: Into<String>>(
    keys: impl IntoIterator<Item = (L, Secret)>,
) -> Result<Vec<CompiledKey>, KeyError> {
    let mut out: Vec<CompiledKey> = Vec::new();
    for (label, secret) in keys {
        let label: String = label.into();
        if out.iter().any(|k| *k.label == *label) {
            return Err(KeyError::DuplicateLabel(label));
        }
        out.push(CompiledKey::compile(label.into(), &secret));
    }
    if out.is_empty() {
        return Err(KeyError::NoKeys);
    }
    Ok(out)
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("labels", &self.labels())
            .finish_non_exhaustive()
    }
}

/// Why a [`KeyRing`] change was refused. A refused change changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// A ring needs at least one key.
    NoKeys,
    /// Two keys would share this label.
    DuplicateLabel(String),
    /// No active key has this label.
    UnknownLabel(String),
    /// The last key cannot be retired.
    LastKey,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoKeys => f.write_str("a key ring needs at least one key"),
            Self::DuplicateLabel(l) => write!(f, "a key labelled {l:?} is already active"),
            Self::UnknownLabel(l) => write!(f, "no active key is labelled {l:?}"),
            Self::LastKey => f.write_str("the last key of a ring cannot be retired"),
        }
    }
}

impl std::error::Error for KeyError {}
