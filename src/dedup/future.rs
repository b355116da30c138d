//! [`ResponseFuture`]: claim, call, then complete or release.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::layer::{Config, FailurePolicy};
use super::{Claim, ClaimToken, DedupBody, DeliveryKey, StoreError};

/// The body of the answer to a duplicate.
const DUPLICATE: &str = "duplicate delivery";
/// The body of the 503 answer under [`FailurePolicy::FailClosed`].
const UNAVAILABLE: &str = "deduplication store unavailable";

type StoreTask<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send>>;

pin_project! {
    /// The response future of [`DedupService`](super::DedupService).
    ///
    /// Claims the delivery's key, calls the inner service if the claim was
    /// won, then marks the delivery done (below 500) or releases the claim
    /// (5xx or error). Dropped before the inner service finished, it
    /// releases the claim in the background.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B, S::Future, S::Response, S::Error>,
        guard: ClaimGuard,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B, F, R, E> {
        Passing {
            #[pin]
            future: F,
        },
        Claiming {
            claim: StoreTask<Claim>,
            service: Option<S>,
            request: Option<Request<B>>,
        },
        Calling {
            #[pin]
            future: F,
        },
        Finishing {
            task: StoreTask<()>,
            outcome: Option<Result<R, E>>,
            released: bool,
        },
        Done,
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    pub(crate) fn passing(future: S::Future) -> Self {
        Self {
            state: State::Passing { future },
            guard: ClaimGuard(None),
        }
    }

    pub(crate) fn claiming(
        service: S,
        request: Request<B>,
        key: DeliveryKey,
        config: Arc<Config>,
    ) -> Self {
        let held = Held {
            config,
            key,
            token: ClaimToken::new(),
        };
        let claim = held.claim();
        Self {
            state: State::Claiming {
                claim,
                service: Some(service),
                request: Some(request),
            },
            // Armed from the start: releasing with our token is harmless if
            // the claim was never won.
            guard: ClaimGuard(Some(held)),
        }
    }
}

// A short-lived value on the stack, moved straight into the pinned state:
// boxing the large variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Step<S, B, F, R, E, O> {
    Next(State<S, B, F, R, E>),
    Ready(O),
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
{
    type Output = Result<Response<DedupBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let step = match this.state.as_mut().project() {
                StateProj::Passing { future } => {
                    let outcome = ready!(future.poll(cx));
                    Step::Ready(outcome.map(|r| r.map(DedupBody::inner)))
                }
                StateProj::Claiming {
                    claim,
                    service,
                    request,
                } => {
                    let result = ready!(claim.as_mut().poll(cx));
                    let mut call = || {
                        let mut service = service.take().expect("polled after completion");
                        let request = request.take().expect("polled after completion");
                        Step::Next(State::Calling {
                            future: service.call(request),
                        })
                    };
                    match result {
                        Ok(Claim::Claimed) => call(),
                        Ok(Claim::Duplicate) => {
                            let held = this.guard.disarm();
                            tracing::info!(
                                target: "tower_webhooks::dedup",
                                key = %held.key,
                                "duplicate delivery answered without calling the service"
                            );
                            Step::Ready(Ok(answer(StatusCode::OK, DUPLICATE)))
                        }
                        Err(error) => {
                            let held = this.guard.disarm();
                            let policy = held.config.policy;
                            tracing::warn!(
                                target: "tower_webhooks::dedup",
                                key = %held.key,
                                policy = policy.as_str(),
                                %error,
                                "delivery store unavailable: {}",
                                match policy {
                                    FailurePolicy::FailOpen => "processing the delivery without deduplication",
                                    FailurePolicy::FailClosed => "answering 503",
                                }
                            );
                            match policy {
                                FailurePolicy::FailOpen => call(),
                                FailurePolicy::FailClosed => Step::Ready(Ok(answer(
                                    StatusCode::SERVICE_UNAVAILABLE,
                                    UNAVAILABLE,
                                ))),
                            }
                        }
                    }
                }
                StateProj::Calling { future } => {
                    let outcome = ready!(future.poll(cx));
                    match this.guard.0.take() {
                        // Fail-open: no claim is held.
                        None => Step::Ready(outcome.map(|r| r.map(DedupBody::inner))),
                        Some(held) => {
                            let failed = match &outcome {
                                Ok(response) => response.status().is_server_error(),
                                Err(_) => true,
                            };
                            Step::Next(State::Finishing {
                                task: if failed {
                                    held.release()
                                } else {
                                    held.complete()
                                },
                                outcome: Some(outcome),
                                released: failed,
                            })
                        }
                    }
                }
                StateProj::Finishing {
                    task,
                    outcome,
                    released,
                } => {
                    if let Err(error) = ready!(task.as_mut().poll(cx)) {
                        tracing::warn!(
                            target: "tower_webhooks::dedup",
                            %error,
                            "{}",
                            if *released {
                                "could not release the claim of a failed delivery: a redelivery \
                                 is answered as a duplicate until the lease lapses"
                            } else {
                                "could not mark a delivery done: a redelivery after the lease \
                                 lapses is processed again"
                            }
                        );
                    }
                    let outcome = outcome.take().expect("polled after completion");
                    Step::Ready(outcome.map(|r| r.map(DedupBody::inner)))
                }
                StateProj::Done => panic!("ResponseFuture polled after completion"),
            };
            match step {
                Step::Next(state) => this.state.set(state),
                Step::Ready(output) => {
                    this.state.set(State::Done);
                    return Poll::Ready(output);
                }
            }
        }
    }
}

fn answer<B>(status: StatusCode, text: &'static str) -> Response<DedupBody<B>> {
    let mut response = Response::new(DedupBody::rejection(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// One claim: the store, the key and the token.
struct Held {
    config: Arc<Config>,
    key: DeliveryKey,
    token: ClaimToken,
}

impl Held {
    fn claim(&self) -> StoreTask<Claim> {
        let (config, key, token) = (self.config.clone(), self.key.clone(), self.token);
        Box::pin(async move { config.store.claim(&key, &token, config.lease).await })
    }

    fn complete(self) -> StoreTask<()> {
        Box::pin(async move {
            let ttl = self.config.ttl;
            self.config
                .store
                .complete(&self.key, &self.token, ttl)
                .await
        })
    }

    fn release(self) -> StoreTask<()> {
        Box::pin(async move { self.config.store.release(&self.key, &self.token).await })
    }
}

/// Releases the claim in the background if the future is dropped while it
/// may hold it (the connection closed before the inner service finished).
struct ClaimGuard(Option<Held>);

impl ClaimGuard {
    fn disarm(&mut self) -> Held {
        self.0.take().expect("a claim is held while claiming")
    }
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        let Some(held) = self.0.take() else { return };
        // Without a runtime (never the case under a tokio server) the claim
        // simply lapses at the end of its lease.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = held.release().await {
                    tracing::warn!(
                        target: "tower_webhooks::dedup",
                        %error,
                        "could not release the claim of an abandoned delivery"
                    );
                }
            });
        }
    }
}
