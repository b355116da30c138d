//! The bodies: [`VerifiedBody`] handed to the inner service, and
//! [`ResponseBody`] returned by the layer.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use pin_project_lite::pin_project;

/// The verified bytes of a delivery, exactly as received, as the inner
/// service's request body: one frame, no copy.
///
/// ```
/// use tower_webhooks::VerifiedBody;
///
/// let body = VerifiedBody::new("{\"zen\":\"Keep it logically awesome.\"}".into());
/// assert_eq!(body.bytes().len(), 36);
/// ```
#[derive(Debug, Clone, Default)]
pub struct VerifiedBody {
    bytes: Bytes,
    sent: bool,
}

impl VerifiedBody {
    /// Wraps verified bytes.
    pub fn new(bytes: Bytes) -> Self {
        Self { bytes, sent: false }
    }

    /// The verified bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The verified bytes, owned.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

impl Body for VerifiedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.sent || self.bytes.is_empty() {
            return Poll::Ready(None);
        }
        self.sent = true;
        Poll::Ready(Some(Ok(Frame::data(self.bytes.clone()))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent || self.bytes.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(if self.sent {
            0
        } else {
            self.bytes.len() as u64
        })
    }
}

pin_project! {
    /// The response body of the crate's layers: the inner service's,
    /// unchanged, or the layer's own short plain-text answer (a rejection;
    /// from the dedup layer, also `duplicate delivery`).
    pub struct ResponseBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Rejection { body: Full<Bytes> },
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    pub(crate) fn rejection(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Rejection {
                body: Full::new(bytes),
            },
        }
    }

    /// Whether the layer answered itself instead of handing the request on:
    /// a rejection, or with the dedup layer (feature `dedup`) a
    /// duplicate or a store outage. `false` for the inner service's body.
    pub fn is_rejection(&self) -> bool {
        matches!(self.kind, Kind::Rejection { .. })
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Rejection { body } => Pin::new(body)
                .poll_frame(cx)
                .map(|frame| frame.map(|f| f.map_err(|never| match never {}))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Rejection { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Rejection { body } => body.size_hint(),
        }
    }
}

impl<B> std::fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_rejection() {
            "ResponseBody::Rejection"
        } else {
            "ResponseBody::Inner"
        })
    }
}

/// Collects body frames into one buffer. A body that arrives as a single
/// frame is kept as that frame's `Bytes` (no copy); otherwise one buffer is
/// allocated, sized from `Content-Length` when there is one.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    first: Option<Bytes>,
    buffer: BytesMut,
    capacity: usize,
}

impl Collector {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            first: None,
            buffer: BytesMut::new(),
            capacity,
        }
    }

    pub(crate) fn push(&mut self, frame: Bytes) {
        if frame.is_empty() {
            return;
        }
        if self.first.is_none() && self.buffer.is_empty() {
            self.first = Some(frame);
            return;
        }
        if let Some(first) = self.first.take() {
            self.buffer
                .reserve(self.capacity.max(first.len() + frame.len()));
            self.buffer.extend_from_slice(&first);
        }
        self.buffer.extend_from_slice(&frame);
    }

    pub(crate) fn finish(self) -> Bytes {
        match self.first {
            Some(first) => first,
            None => self.buffer.freeze(),
        }
    }
}
