//! [`RouteFuture`]: the response future of [`EventRouter`](super::EventRouter).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;

use super::RouteBody;

pub(super) type BoxedFuture = Pin<Box<dyn Future<Output = Response<RouteBody>> + Send>>;

/// The response future of [`EventRouter`](super::EventRouter): the routed
/// service's response, or the router's own.
pub struct RouteFuture {
    state: State,
}

enum State {
    Ready(Option<Response<RouteBody>>),
    Routed(BoxedFuture),
}

impl RouteFuture {
    pub(super) fn ready(response: Response<RouteBody>) -> Self {
        Self {
            state: State::Ready(Some(response)),
        }
    }
}

impl From<BoxedFuture> for RouteFuture {
    fn from(future: BoxedFuture) -> Self {
        Self {
            state: State::Routed(future),
        }
    }
}

impl Future for RouteFuture {
    type Output = Result<Response<RouteBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            State::Ready(response) => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => panic!("RouteFuture polled after completion"),
            },
            State::Routed(future) => future.as_mut().poll(cx).map(Ok),
        }
    }
}

impl fmt::Debug for RouteFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.state {
            State::Ready(_) => "RouteFuture::Ready",
            State::Routed(_) => "RouteFuture::Routed",
        })
    }
}
