//! Tower middleware that verifies GitHub and GitLab webhook deliveries and
//! hands any inner service the verified bytes and a typed [`Event`].
//!
//! - GitHub: `X-Hub-Signature-256` (HMAC-SHA256 over the raw body), for
//!   github.com, GitHub Apps, GitHub Enterprise Server (keys per host) and
//!   GHE.com (keys per tenant).
//! - GitLab: `X-Gitlab-Token`, compared before any body byte is read, and
//!   the signing tokens of GitLab 19 (Standard Webhooks), with keys per
//!   instance for any number of self-hosted instances.
//! - Several active keys per sender ([`KeyRing`]), replaceable while the
//!   server runs.
//! - The body is read once, under a size limit and a deadline, into one
//!   buffer while the MAC is updated. Whatever fails is answered with a short
//!   plain-text response and one WARN log event with a stable
//!   [`Reason`] code, and never reaches the inner service.
//!
//! # Quick start: axum
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use tower_webhooks::{Event, KeyRing, Secret, WebhookLayer};
//!
//! # #[cfg(feature = "axum")]
//! async fn handle(event: Event, body: axum::body::Bytes) -> &'static str {
//!     println!("{} {:?}: {} verified bytes", event.name(), event.delivery(), body.len());
//!     "ok"
//! }
//! # #[cfg(not(feature = "axum"))]
//! # async fn handle() -> &'static str { "ok" }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeyRing::single(Secret::from_env("WEBHOOK_SECRET")?);
//! let app = Router::new()
//!     .route("/webhook", post(handle))
//!     .layer(WebhookLayer::github(keys));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! # Quick start: hyper
//!
//! ```no_run
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use hyper_util::rt::{TokioExecutor, TokioIo};
//! use hyper_util::server::conn::auto::Builder;
//! use hyper_util::service::TowerToHyperService;
//! use tower::ServiceBuilder;
//! use tower_webhooks::{Event, GitLab, InstanceOrigin, KeyRing, Secret, VerifiedBody, Verifier, WebhookLayer};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .gitlab(GitLab::new().instance(
//!         InstanceOrigin::parse("https://gitlab.example.com")?,
//!         KeyRing::single(Secret::from_env("GITLAB_TOKEN")?),
//!     ))
//!     .build()?;
//! let service = ServiceBuilder::new()
//!     .layer(WebhookLayer::new(verifier))
//!     .service_fn(|request: Request<VerifiedBody>| async move {
//!         let event = request.extensions().get::<Event>().cloned();
//!         println!("{event:?}: {} bytes", request.body().bytes().len());
//!         Ok::<_, Infallible>(Response::new(String::from("ok")))
//!     });
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     let service = TowerToHyperService::new(service.clone());
//!     tokio::spawn(async move {
//!         let _ = Builder::new(TokioExecutor::new())
//!             .serve_connection(TokioIo::new(stream), service)
//!             .await;
//!     });
//! }
//! # }
//! ```
//!
//! # Without tower
//!
//! [`Verifier`] is the core the layer is built on: give it the request head,
//! then the body frames, and it returns the [`Event`] or the [`Rejection`].
//!
//! # Features
//!
//! - `axum`: [`Event`] as an axum extractor.
//! - `test-util`: builders for correctly signed requests
//!   ([`test_util`]), for your tests and fuzz harnesses.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod event;
#[cfg(feature = "axum")]
mod extract;
mod future;
mod keys;
mod layer;
mod proof;
pub mod provider;
mod rejection;
mod secret;
mod service;
#[cfg(feature = "test-util")]
pub mod test_util;
mod verify;

// The README's examples compile and run as doctests.
#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use body::{ResponseBody, VerifiedBody};
pub use event::{
    Event, EventKind, GitHubDetails, GitHubEvent, GitLabDetails, GitLabEvent, Provider,
};
#[cfg(feature = "axum")]
pub use extract::MissingWebhookLayer;
pub use future::ResponseFuture;
pub use keys::{KeyError, KeyRing};
pub use layer::{DEFAULT_BODY_TIMEOUT, WebhookLayer};
pub use provider::github::GitHub;
pub use provider::gitlab::{GitLab, GitLabKeys, InstanceOrigin, OriginError};
pub use rejection::{Reason, Rejection, RejectionContext};
pub use secret::{Secret, SecretError};
pub use service::WebhookService;
pub use verify::{ConfigError, DEFAULT_BODY_LIMIT, Verification, Verifier, VerifierBuilder};
