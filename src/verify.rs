//! [`Verifier`]: the verification core, usable without tower.
//!
//! The layer is built on it; custom servers and other frameworks use it
//! directly: [`Verifier::begin`] with the request head, then
//! [`Verification::update`] with each body frame, then
//! [`Verification::finish`].

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Method, header};

use crate::event::Event;
use crate::proof::Proof;
use crate::provider::{Reject, clip, single_text};
use crate::rejection::{Reason, Rejection, RejectionContext};
use crate::{GitHub, GitLab, GitLabKeys, KeyRing};

/// The default body limit: 25 MiB, the cap GitHub and GitLab themselves use.
pub const DEFAULT_BODY_LIMIT: usize = 25 * 1024 * 1024;

/// Verifies deliveries from the providers it was built with.
///
/// Cheap to clone (an `Arc` inside).
///
/// ```
/// use http::{HeaderMap, Method};
/// use tower_webhooks::{KeyRing, Reason, Secret, Verifier};
/// use tower_webhooks::provider::github::sign;
///
/// let verifier = Verifier::github(KeyRing::single(Secret::new("It's a Secret to Everybody").unwrap()));
///
/// let body = b"Hello, World!";
/// let mut headers = HeaderMap::new();
/// headers.insert("x-github-event", "ping".parse().unwrap());
/// headers.insert("x-hub-signature-256", sign(b"It's a Secret to Everybody", body).parse().unwrap());
///
/// // Head first: everything decidable from headers is decided here.
/// let mut verification = verifier.begin(&Method::POST, &headers).unwrap();
/// // Then the body, frame by frame.
/// verification.update(b"Hello, ").unwrap();
/// verification.update(b"World!").unwrap();
/// let event = verification.finish().unwrap();
/// assert_eq!(event.name(), "ping");
///
/// // A tampered body is refused.
/// let err = verifier.verify(&Method::POST, &headers, b"Hello, World?").unwrap_err();
/// assert_eq!(err.reason(), Reason::SignatureMismatch);
/// ```
#[derive(Clone)]
pub struct Verifier {
    config: Arc<Config>,
}

struct Config {
    github: Option<GitHub>,
    gitlab: Option<GitLab>,
    body_limit: usize,
    methods: Vec<Method>,
}

/// Builds a [`Verifier`]: providers, body limit, accepted methods.
///
/// ```
/// use tower_webhooks::{GitHub, GitLab, KeyRing, Secret, Verifier};
///
/// let verifier = Verifier::builder()
///     .github(GitHub::new(KeyRing::single(Secret::new("gh").unwrap())))
///     .gitlab(GitLab::new().default_keys(KeyRing::single(Secret::new("gl").unwrap())))
///     .body_limit(1024 * 1024)
///     .build()
///     .unwrap();
/// assert_eq!(verifier.body_limit(), 1024 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct VerifierBuilder {
    github: Option<GitHub>,
    gitlab: Option<GitLab>,
    body_limit: usize,
    methods: Vec<Method>,
}

/// Why a [`Verifier`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither GitHub nor GitLab was configured.
    NoProvider,
    /// GitLab was configured with no default keys and no instance.
    GitLabWithoutKeys,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoProvider => "no provider configured: add GitHub or GitLab keys",
            Self::GitLabWithoutKeys => "GitLab has no default keys and no instance keys",
        })
    }
}

impl std::error::Error for ConfigError {}

impl VerifierBuilder {
    /// Accepts GitHub deliveries.
    pub fn github(mut self, github: GitHub) -> Self {
        self.github = Some(github);
        self
    }

    /// Accepts GitLab deliveries.
    pub fn gitlab(mut self, gitlab: GitLab) -> Self {
        self.gitlab = Some(gitlab);
        self
    }

    /// Refuses bodies larger than `bytes` (default 25 MiB) with 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Accepts `method` as well as POST.
    pub fn allow_method(mut self, method: Method) -> Self {
        if !self.methods.contains(&method) {
            self.methods.push(method);
        }
        self
    }

    /// The verifier. Fails closed: without keys there is no verifier.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if self.github.is_none() && self.gitlab.is_none() {
            return Err(ConfigError::NoProvider);
        }
        if self.gitlab.as_ref().is_some_and(|g| !g.has_keys()) {
            return Err(ConfigError::GitLabWithoutKeys);
        }
        Ok(Verifier {
            config: Arc::new(Config {
                github: self.github,
                gitlab: self.gitlab,
                body_limit: self.body_limit,
                methods: self.methods,
            }),
        })
    }
}

impl Verifier {
    /// A builder with no providers, a 25 MiB body limit, and POST only.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder {
            github: None,
            gitlab: None,
            body_limit: DEFAULT_BODY_LIMIT,
            methods: vec![Method::POST],
        }
    }

    /// A verifier for github.com deliveries signed with `keys`.
    pub fn github(keys: KeyRing) -> Self {
        Self::builder()
            .github(GitHub::new(keys))
            .build()
            .expect("a GitHub provider with keys is a valid configuration")
    }

    /// A verifier for GitLab deliveries with `keys` as the default for every
    /// instance.
    pub fn gitlab(keys: impl Into<GitLabKeys>) -> Self {
        Self::builder()
            .gitlab(GitLab::new().default_keys(keys))
            .build()
            .expect("a GitLab provider with default keys is a valid configuration")
    }

    /// The body limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.config.body_limit
    }

    /// The header stage: checks the method and the provider's headers, picks
    /// the keys, compares a GitLab token, and checks `Content-Length`
    /// against the limit, all before any body byte is read.
    pub fn begin(&self, method: &Method, headers: &HeaderMap) -> Result<Verification, Rejection> {
        let config = &*self.config;
        let route = config.provider_for(headers);
        let reject = match route {
            Ok(Route::GitHub(_)) => Reject::new(headers, GitHub::context),
            Ok(Route::GitLab(_)) => Reject::new(headers, GitLab::context),
            Err(_) => Reject::without_context(headers),
        };
        if !config.methods.contains(method) {
            return Err(reject.with(Reason::MethodNotAllowed));
        }
        let pending = match route.map_err(|reason| reject.with(reason))? {
            Route::GitHub(github) => github.begin(headers, &reject)?,
            Route::GitLab(gitlab) => gitlab.begin(headers, &reject)?,
        };

        let limit = config.body_limit as u64;
        let declared = match single_text(headers, &header::CONTENT_LENGTH) {
            Ok(None) => None,
            Ok(Some(text)) => {
                Some(parse_length(text).ok_or_else(|| reject.with(Reason::ContentLengthInvalid))?)
            }
            Err(_) => return Err(reject.with(Reason::ContentLengthInvalid)),
        };
        if declared.is_some_and(|len| len > limit) {
            return Err(reject.with(Reason::BodyTooLarge));
        }
        Ok(Verification {
            proof: pending.proof,
            event: pending.event,
            limit,
            declared,
            received: 0,
        })
    }

    /// Verifies a whole delivery at once.
    pub fn verify(
        &self,
        method: &Method,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Event, Rejection> {
        let mut verification = self.begin(method, headers)?;
        verification.update(body)?;
        verification.finish()
    }
}

/// The provider a request is for.
enum Route<'a> {
    GitHub(&'a GitHub),
    GitLab(&'a GitLab),
}

impl Config {
    /// With one provider configured, that one; with both, the one whose
    /// headers the request carries.
    fn provider_for(&self, headers: &HeaderMap) -> Result<Route<'_>, Reason> {
        match (&self.github, &self.gitlab) {
            (Some(github), None) => Ok(Route::GitHub(github)),
            (None, Some(gitlab)) => Ok(Route::GitLab(gitlab)),
            (Some(github), Some(gitlab)) => {
                match (GitHub::claims(headers), GitLab::claims(headers)) {
                    (true, false) => Ok(Route::GitHub(github)),
                    (false, true) => Ok(Route::GitLab(gitlab)),
                    (true, true) => Err(Reason::ProviderAmbiguous),
                    (false, false) => Err(Reason::ProviderUnknown),
                }
            }
            (None, None) => unreachable!("the builder refuses a verifier without providers"),
        }
    }
}

/// A decimal length: ASCII digits only.
fn parse_length(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("github", &self.config.github)
            .field("gitlab", &self.config.gitlab)
            .field("body_limit", &self.config.body_limit)
            .field("methods", &self.config.methods)
            .finish()
    }
}

/// A delivery whose headers passed: feed it the body, then
/// [`finish`](Self::finish).
pub struct Verification {
    proof: Proof,
    event: Event,
    limit: u64,
    declared: Option<u64>,
    received: u64,
}

impl Verification {
    /// The `Content-Length` the request declared, already checked against
    /// the limit: a good capacity for the body buffer.
    pub fn declared_length(&self) -> Option<u64> {
        self.declared
    }

    /// The body limit in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Feeds the next body frame into the MAC. Fails, with 413, once the
    /// body grows past the limit.
    pub fn update(&mut self, frame: &[u8]) -> Result<(), Rejection> {
        self.received = self.received.saturating_add(frame.len() as u64);
        if self.received > self.limit {
            return Err(self.reject(Reason::BodyTooLarge));
        }
        if let Proof::Mac(mac) = &mut self.proof {
            mac.update(frame);
        }
        Ok(())
    }

    /// A rejection for this delivery, with its context: for what the caller
    /// sees while reading the body (a deadline, a transport error).
    pub fn reject(&self, reason: Reason) -> Rejection {
        Rejection::with_owned_context(reason, context_of(&self.event))
    }

    /// The verdict, once the whole body was fed.
    pub fn finish(self) -> Result<Event, Rejection> {
        if self.declared.is_some_and(|len| len != self.received) {
            return Err(self.reject(Reason::ContentLengthInvalid));
        }
        let key = match self.proof {
            Proof::Proven { key } => key,
            Proof::Mac(mac) => mac.finish().ok_or_else(|| {
                Rejection::with_owned_context(Reason::SignatureMismatch, context_of(&self.event))
            })?,
        };
        Ok(Event { key, ..self.event })
    }
}

/// The log context of a body-stage rejection, from the event the headers
/// gave: built only when a delivery is refused.
fn context_of(event: &Event) -> RejectionContext {
    RejectionContext {
        provider: Some(event.provider()),
        event: Some(clip(event.name())),
        delivery: event.delivery().map(clip),
        instance: event.instance().map(clip),
    }
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verification")
            .field("context", &context_of(&self.event))
            .field("declared", &self.declared)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}
