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

/// Like [`single_text`], owned, for the event.
pub(crate) fn owned_text(headers: &HeaderMap, name: &HeaderName) -> Result<Option<String>, Reason> {
    Ok(single_text(headers, name)?.map(str::to_owned))
}

/// A header's first value, leniently, cut short, for log context only.
pub(crate) fn context_value(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    let mut end = value.len().min(MAX_CONTEXT_LEN);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    Some(value[..end].to_owned())
}

/// Builds rejections that carry the context gathered so far.
pub(crate) struct Reject<'a>(pub(crate) &'a RejectionContext);

impl Reject<'_> {
    pub(crate) fn with(&self, reason: Reason) -> Rejection {
        Rejection::with_context(reason, self.0)
    }
}
