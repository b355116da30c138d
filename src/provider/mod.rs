//! The providers: how each one signs a delivery and names its event.
//!
//! [`github`], [`gitlab`] and [`standard`] (Standard Webhooks, which GitLab's
//! signing tokens use) each hold their header names, their signature parsers
//! and signers, and their key configuration. Each reads the request head and
//! leaves what remains to prove over the body (nothing, for a GitLab token
//! compared at once).

pub mod github;
pub mod gitlab;
pub mod standard;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::event::Event;
use crate::proof::Proof;
use crate::rejection::{Reason, Rejection, RejectionContext};

/// The longest provider header value accepted. Real values are far shorter
/// (GitHub's signature header is 71 bytes); the cap bounds work and log size.
pub(crate) const MAX_HEADER_LEN: usize = 1024;

/// How many bytes of a header value go into a rejection's log context.
const MAX_CONTEXT_LEN: usize = 128;

/// A delivery whose headers passed: what is left to prove over the body, and
/// the event to hand on once it is proven.
pub(crate) struct Pending {
    pub(crate) proof: Proof,
    pub(crate) event: Event,
}

/// The one value of a header that must not repeat.
pub(crate) fn single<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a HeaderValue>, Reason> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(Reason::HeaderDuplicated);
    }
    match first {
        Some(v) if v.len() > MAX_HEADER_LEN => Err(Reason::HeaderMalformed),
        other => Ok(other),
    }
}

/// The one value of a header that must not repeat, as visible ASCII text.
pub(crate) fn single_text<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a str>, Reason> {
    match single(headers, name)? {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| Reason::HeaderMalformed),
    }
}

/// The key label of an event whose proof is still pending: one shared empty
/// label, so that the header stage allocates none per request.
pub(crate) fn unset_key() -> std::sync::Arc<str> {
    static UNSET: std::sync::LazyLock<std::sync::Arc<str>> =
        std::sync::LazyLock::new(|| std::sync::Arc::from(""));
    UNSET.clone()
}

/// A header found by a provider's one-pass scan over the header map: absent,
/// present once, or repeated. Reads like [`single`], without hashing the
/// header name once per lookup.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) enum Slot<'a> {
    #[default]
    Absent,
    One(&'a HeaderValue),
    Repeated,
}

impl<'a> Slot<'a> {
    /// Records one more value of the header.
    pub(crate) fn see(&mut self, value: &'a HeaderValue) {
        *self = match self {
            Self::Absent => Self::One(value),
            _ => Self::Repeated,
        };
    }

    /// As [`single`].
    pub(crate) fn single(self) -> Result<Option<&'a HeaderValue>, Reason> {
        match self {
            Self::Absent => Ok(None),
            Self::Repeated => Err(Reason::HeaderDuplicated),
            Self::One(v) if v.len() > MAX_HEADER_LEN => Err(Reason::HeaderMalformed),
            Self::One(v) => Ok(Some(v)),
        }
    }

    /// As [`single_text`].
    pub(crate) fn text(self) -> Result<Option<&'a str>, Reason> {
        match self.single()? {
            None => Ok(None),
            Some(v) => v.to_str().map(Some).map_err(|_| Reason::HeaderMalformed),
        }
    }

    /// As [`owned_text`].
    pub(crate) fn owned(self) -> Result<Option<String>, Reason> {
        Ok(self.text()?.map(str::to_owned))
    }
}

/// Like [`single_text`], owned, for the event.
#[allow(dead_code)] // the built-in providers read theirs through `Slot::owned`
pub(crate) fn owned_text(headers: &HeaderMap, name: &HeaderName) -> Result<Option<String>, Reason> {
    Ok(single_text(headers, name)?.map(str::to_owned))
}

/// A header's first value, leniently, cut short, for log context only.
pub(crate) fn context_value(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    Some(clip(headers.get(name)?.to_str().ok()?))
}

/// A value cut short for log context.
pub(crate) fn clip(value: &str) -> String {
    let mut end = value.len().min(MAX_CONTEXT_LEN);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value[..end].to_owned()
}

/// Builds rejections that carry the provider's context, read from the
/// headers only when a rejection is built: an accepted delivery pays for no
/// context.
#[derive(Clone, Copy)]
pub(crate) struct Reject<'a> {
    headers: &'a HeaderMap,
    context: fn(&HeaderMap) -> RejectionContext,
}

impl<'a> Reject<'a> {
    /// Rejections with the context `context` reads from `headers`.
    pub(crate) fn new(headers: &'a HeaderMap, context: fn(&HeaderMap) -> RejectionContext) -> Self {
        Self { headers, context }
    }

    /// Rejections with no context.
    pub(crate) fn without_context(headers: &'a HeaderMap) -> Self {
        Self::new(headers, |_| RejectionContext::default())
    }

    pub(crate) fn with(&self, reason: Reason) -> Rejection {
        Rejection::with_owned_context(reason, (self.context)(self.headers))
    }
}
