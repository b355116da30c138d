//! [`ResponseFuture`]: the body stage, the finish, and the hand-on.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::request::Parts;
use http::{Request, Response};
use http_body::Body;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower_service::Service;

use crate::body::{Collector, ResponseBody, VerifiedBody};
use crate::layer::Responder;
use crate::rejection::{Reason, Rejection};
use crate::verify::Verification;

pin_project! {
    /// The response future of [`WebhookService`](crate::WebhookService).
    ///
    /// Reads the body under the deadline into one buffer while feeding the
    /// MAC, then either calls the inner service with the verified bytes or
    /// answers the rejection.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<VerifiedBody>>,
    {
        #[pin]
        state: State<S, B, S::Future>,
        responder: Responder,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B, F> {
        Collecting {
            service: Option<S>,
            parts: Option<Parts>,
            verification: Option<Verification>,
            collector: Collector,
            #[pin]
            body: B,
            deadline: Deadline,
        },
        Calling {
            #[pin]
            future: F,
        },
        Rejected {
            rejection: Option<Rejection>,
        },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<VerifiedBody>>,
{
    pub(crate) fn rejected(rejection: Rejection, responder: Responder) -> Self {
        Self {
            state: State::Rejected {
                rejection: Some(rejection),
            },
            responder,
        }
    }

    pub(crate) fn collecting(
        service: S,
        parts: Parts,
        verification: Verification,
        body: B,
        deadline: Option<Instant>,
        responder: Responder,
    ) -> Self {
        let capacity = verification.declared_length().unwrap_or(0) as usize;
        Self {
            state: State::Collecting {
                service: Some(service),
                parts: Some(parts),
                verification: Some(verification),
                collector: Collector::with_capacity(capacity),
                body,
                deadline: match deadline {
                    Some(at) => Deadline::At(at),
                    None => Deadline::Never,
                },
            },
            responder,
        }
    }
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<VerifiedBody>, Response = Response<ResBody>>,
    B: Body,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.state.as_mut().project() {
                StateProj::Calling { future } => {
                    let response = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(response.map(ResponseBody::inner)));
                }
                StateProj::Rejected { rejection } => {
                    let rejection = rejection.take().expect("polled after completion");
                    return Poll::Ready(Ok(respond(this.responder, &rejection)));
                }
                StateProj::Collecting {
                    service,
                    parts,
                    verification,
                    collector,
                    mut body,
                    deadline,
                } => {
                    let pending = verification.as_mut().expect("polled after completion");
                    let outcome = loop {
                        match body.as_mut().poll_frame(cx) {
                            Poll::Ready(Some(Ok(frame))) => {
                                if let Ok(data) = frame.into_data() {
                                    let bytes = data_to_bytes(data);
                                    if let Err(rejection) = pending.update(&bytes) {
                                        break Err(rejection);
                                    }
                                    collector.push(bytes);
                                }
                            }
                            Poll::Ready(Some(Err(_))) => {
                                break Err(pending.reject(Reason::BodyError));
                            }
                            Poll::Ready(None) => {
                                let verification = verification.take().expect("checked above");
                                break verification.finish();
                            }
                            Poll::Pending => {
                                ready!(deadline.poll(cx));
                                break Err(pending.reject(Reason::BodyTimeout));
                            }
                        }
                    };
                    match outcome {
                        Ok(event) => {
                            let mut service = service.take().expect("polled after completion");
                            let parts = parts.take().expect("polled after completion");
                            let bytes = std::mem::take(collector).finish();
                            let mut request = Request::from_parts(parts, VerifiedBody::new(bytes));
                            // The payload, parsed lazily on first use: never fails here.
                            #[cfg(feature = "payload")]
                            crate::payload::Payload::attach(&event, &mut request);
                            request.extensions_mut().insert(event);
                            State::Calling {
                                future: service.call(request),
                            }
                        }
                        Err(rejection) => State::Rejected {
                            rejection: Some(rejection),
                        },
                    }
                }
            };
            this.state.set(next);
        }
    }
}

/// The body deadline. Only the instant is kept until the body first makes
/// the layer wait; then a timer is armed (boxed, so that the common case, a
/// body that is already there, carries no timer in the future and creates
/// none).
enum Deadline {
    Never,
    At(Instant),
    Armed(Pin<Box<Sleep>>),
}

impl Deadline {
    /// Ready once the deadline has passed; until then `Pending`, with the
    /// timer set to wake `cx`. Without a deadline, always `Pending`.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Self::At(at) = *self {
            *self = Self::Armed(Box::pin(tokio::time::sleep_until(at)));
        }
        match self {
            Self::Armed(sleep) => sleep.as_mut().poll(cx),
            Self::Never | Self::At(_) => Poll::Pending,
        }
    }
}

/// Frames arrive as any `Buf`; hyper's and axum's are already `Bytes`, for
/// which this is free.
fn data_to_bytes<D: bytes::Buf>(mut data: D) -> bytes::Bytes {
    data.copy_to_bytes(data.remaining())
}

fn respond<ResBody>(
    responder: &Responder,
    rejection: &Rejection,
) -> Response<ResponseBody<ResBody>> {
    rejection.log();
    responder.respond(rejection).map(ResponseBody::rejection)
}
