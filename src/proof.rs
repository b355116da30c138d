//! What is left to prove about a delivery once its headers passed: nothing
//! (a GitLab token already matched) or an HMAC over the body.

use std::sync::Arc;

use hmac::Mac;
use subtle::{Choice, ConstantTimeEq};

use crate::keys::{CompiledKey, HmacSha256};

/// The signatures a delivery claims. GitHub sends one; Standard Webhooks may
/// send several (bounded by the parser).
pub(crate) enum Expected {
    One([u8; 32]),
    Many(Vec<[u8; 32]>),
}

impl Expected {
    fn as_slice(&self) -> &[[u8; 32]] {
        match self {
            Self::One(tag) => std::slice::from_ref(tag),
            Self::Many(tags) => tags,
        }
    }
}

/// One keyed HMAC state per active key, cloned from the precomputed state.
/// The common case, one key, allocates nothing.
enum Macs {
    One(HmacSha256),
    Many(Vec<HmacSha256>),
}

/// An HMAC-SHA256 proof in progress: fed the signed bytes frame by frame,
/// checked once at the end.
pub(crate) struct MacProof {
    keys: Arc<Vec<CompiledKey>>,
    macs: Macs,
    expected: Expected,
}

impl MacProof {
    pub(crate) fn new(keys: Arc<Vec<CompiledKey>>, expected: Expected) -> Self {
        let macs = match keys.as_slice() {
            [only] => Macs::One(only.mac.clone()),
            many => Macs::Many(many.iter().map(|k| k.mac.clone()).collect()),
        };
        Self {
            keys,
            macs,
            expected,
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match &mut self.macs {
            Macs::One(mac) => mac.update(data),
            Macs::Many(macs) => macs.iter_mut().for_each(|mac| mac.update(data)),
        }
    }

    /// The label of the first key whose MAC equals any claimed signature.
    /// Every key's tag is compared with every claimed signature in constant
    /// time; only the final answer branches.
    pub(crate) fn finish(self) -> Option<Arc<str>> {
        let expected = self.expected.as_slice();
        let matches = |mac: HmacSha256| -> Choice {
            let tag = mac.finalize().into_bytes();
            expected
                .iter()
                .fold(Choice::from(0), |acc, e| acc | tag.as_slice().ct_eq(e))
        };
        let hit = match self.macs {
            Macs::One(mac) => bool::from(matches(mac)).then_some(0),
            Macs::Many(macs) => macs
                .into_iter()
                .map(matches)
                .enumerate()
                .fold(None, |found, (i, ok)| found.or(bool::from(ok).then_some(i))),
        };
        hit.map(|i| self.keys[i].label.clone())
    }
}

/// What is left to prove.
pub(crate) enum Proof {
    /// Proven from the headers alone (a GitLab token): only the body's size
    /// and arrival are left to check.
    Proven { key: Arc<str> },
    /// An HMAC over the body (and, for Standard Webhooks, a signed prefix).
    Mac(MacProof),
}

/// Compares a received secret token with every active token, in constant
/// time: both sides are SHA-256 digests, so neither content nor length leaks.
pub(crate) fn match_token(keys: &[CompiledKey], received: &[u8]) -> Option<Arc<str>> {
    use sha2::{Digest, Sha256};
    let digest: [u8; 32] = Sha256::digest(received).into();
    keys.iter()
        .map(|k| k.digest.ct_eq(&digest))
        .enumerate()
        .fold(None, |found: Option<usize>, (i, ok)| {
            found.or(bool::from(ok).then_some(i))
        })
        .map(|i| keys[i].label.clone())
}
