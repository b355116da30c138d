//! GitLab: `X-Gitlab-Token` and signing tokens, keys per instance.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use http::{HeaderMap, HeaderName};

use super::standard::{self, Clock, Window};
use super::{Pending, Reject, Slot, context_value};
use crate::event::{Details, Event, EventKind, GitLabDetails, GitLabEvent};
use crate::proof::{Proof, match_token};
use crate::rejection::{Reason, Rejection, RejectionContext};
use crate::{KeyRing, Provider};

/// `X-Gitlab-Token`: the hook's secret token, sent as is.
pub const TOKEN: HeaderName = HeaderName::from_static("x-gitlab-token");
/// `X-Gitlab-Event`.
pub const EVENT: HeaderName = HeaderName::from_static("x-gitlab-event");
/// `X-Gitlab-Instance`: the sending instance's origin.
pub const INSTANCE: HeaderName = HeaderName::from_static("x-gitlab-instance");
/// `X-Gitlab-Event-UUID`.
pub const EVENT_UUID: HeaderName = HeaderName::from_static("x-gitlab-event-uuid");
/// `X-Gitlab-Webhook-UUID`.
pub const WEBHOOK_UUID: HeaderName = HeaderName::from_static("x-gitlab-webhook-uuid");
/// `Idempotency-Key`.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The normalized origin of a GitLab instance: `scheme://host[:port]`, with
/// the scheme and host in lowercase, the default port (80 for `http`, 443
/// for `https`) and a trailing slash removed.
///
/// Paths, queries, fragments, user info and non-ASCII hosts are refused.
///
/// ```
/// use tower_webhooks::InstanceOrigin;
///
/// let origin = InstanceOrigin::parse("HTTPS://GitLab.Example.com:443/").unwrap();
/// assert_eq!(origin.as_str(), "https://gitlab.example.com");
/// assert_eq!(InstanceOrigin::parse("http://git.local:8080").unwrap().as_str(), "http://git.local:8080");
/// assert!(InstanceOrigin::parse("https://user@gitlab.example.com").is_err());
/// assert!(InstanceOrigin::parse("https://gitlab.example.com/group").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceOrigin(String);

/// Why a text is not an instance origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OriginError {
    /// Longer than 255 bytes, or not ASCII.
    Invalid,
    /// Not `http://` or `https://`.
    Scheme,
    /// User info (`user@`), a path, a query or a fragment.
    NotAnOrigin,
    /// The host is empty or has characters a host name cannot have.
    Host,
    /// The port is not a number from 1 to 65535.
    Port,
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Invalid => "an instance origin must be ASCII and at most 255 bytes",
            Self::Scheme => "an instance origin must start with http:// or https://",
            Self::NotAnOrigin => "an instance origin has no user info, path, query or fragment",
            Self::Host => "the instance origin's host is not a host name or IP address",
            Self::Port => "the instance origin's port is not a number from 1 to 65535",
        })
    }
}

impl std::error::Error for OriginError {}

impl InstanceOrigin {
    /// Parses and normalizes an origin.
    pub fn parse(text: &str) -> Result<Self, OriginError> {
        if text.len() > 255 || !text.is_ascii() {
            return Err(OriginError::Invalid);
        }
        let (scheme, rest) = text.split_once("://").ok_or(OriginError::Scheme)?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return Err(OriginError::Scheme),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@', '\\']) {
            return Err(OriginError::NotAnOrigin);
        }
        let (host, port) = split_host_port(authority)?;
        let host = host.to_ascii_lowercase();
        let port = match port {
            None => None,
            Some(p) if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(OriginError::Port);
            }
            Some(p) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(OriginError::Port),
                Ok(p) if p == default_port => None,
                Ok(p) => Some(p),
            },
        };
        Ok(Self(match port {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        }))
    }

    /// The normalized origin.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InstanceOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for InstanceOrigin {
    type Err = OriginError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Splits `host[:port]` or `[v6]:port`, checking the host's characters.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), OriginError> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or(OriginError::Host)?;
        v6.parse::<std::net::Ipv6Addr>()
            .map_err(|_| OriginError::Host)?;
        let host = &authority[..v6.len() + 2];
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(OriginError::Host),
            },
        };
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        && !host.starts_with(['.', '-'])
        && !host.contains("..");
    if valid {
        Ok((host, port))
    } else {
        Err(OriginError::Host)
    }
}

/// The keys of one GitLab instance: a secret token, a signing key, or both.
///
/// With a signing key, a delivery must carry a valid `webhook-signature`:
/// a valid `X-Gitlab-Token` alone is not enough (no downgrade), unless
/// [`accept_token_only`](Self::accept_token_only) is set while a hook
/// migrates. With both, a token that is sent must also match.
///
/// ```
/// use tower_webhooks::{GitLabKeys, KeyRing, Secret};
/// use tower_webhooks::provider::standard::signing_key;
///
/// let token = KeyRing::single(Secret::new("glpat-like token").unwrap());
/// let signing = KeyRing::single(signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap());
///
/// let token_only = GitLabKeys::token(token.clone());
/// let signed = GitLabKeys::signing(signing.clone());
/// let migrating = GitLabKeys::token(token).and_signing(signing).accept_token_only();
/// ```
#[derive(Debug, Clone)]
pub struct GitLabKeys {
    token: Option<KeyRing>,
    signing: Option<KeyRing>,
    accept_token_only: bool,
}

impl GitLabKeys {
    /// Secret tokens (`X-Gitlab-Token`).
    pub fn token(tokens: KeyRing) -> Self {
        Self {
            token: Some(tokens),
            signing: None,
            accept_token_only: false,
        }
    }

    /// Signing keys (`webhook-signature`), decoded with
    /// [`signing_key`](standard::signing_key).
    pub fn signing(keys: KeyRing) -> Self {
        Self {
            token: None,
            signing: Some(keys),
            accept_token_only: false,
        }
    }

    /// Adds signing keys next to the tokens.
    pub fn and_signing(mut self, keys: KeyRing) -> Self {
        self.signing = Some(keys);
        self
    }

    /// Adds tokens next to the signing keys.
    pub fn and_token(mut self, tokens: KeyRing) -> Self {
        self.token = Some(tokens);
        self
    }

    /// Migration only: accepts deliveries that carry a valid token but no
    /// signature, although a signing key is configured. Turn it off once the
    /// hook sends signatures; until then a stolen token is enough to forge a
    /// delivery.
    pub fn accept_token_only(mut self) -> Self {
        self.accept_token_only = true;
        self
    }
}

impl From<KeyRing> for GitLabKeys {
    fn from(tokens: KeyRing) -> Self {
        Self::token(tokens)
    }
}

/// GitLab's keys: a default for deliveries without `X-Gitlab-Instance` and
/// instances not listed, and keys per instance origin.
///
/// ```
/// use tower_webhooks::{GitLab, InstanceOrigin, KeyRing, Secret};
///
/// let gitlab = GitLab::new()
///     .default_keys(KeyRing::single(Secret::new("gitlab.com token").unwrap()))
///     .instance(
///         InstanceOrigin::parse("https://git.a.example").unwrap(),
///         KeyRing::single(Secret::new("token a").unwrap()),
///     );
/// ```
#[derive(Debug, Clone)]
pub struct GitLab {
    default: Option<GitLabKeys>,
    instances: HashMap<InstanceOrigin, GitLabKeys>,
    tolerance: Duration,
    clock: Clock,
}

impl Default for GitLab {
    fn default() -> Self {
        Self {
            default: None,
            instances: HashMap::new(),
            tolerance: standard::DEFAULT_TOLERANCE,
            clock: Clock::system(),
        }
    }
}

impl GitLab {
    /// GitLab with no keys yet: add a default, instances, or both. A layer
    /// cannot be built from a `GitLab` without any.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keys for deliveries without `X-Gitlab-Instance` and for instances
    /// not listed. Without a default, those are rejected as
    /// `unknown_instance`.
    pub fn default_keys(mut self, keys: impl Into<GitLabKeys>) -> Self {
        self.default = Some(keys.into());
        self
    }

    /// Keys for deliveries whose `X-Gitlab-Instance` is `origin`.
    pub fn instance(mut self, origin: InstanceOrigin, keys: impl Into<GitLabKeys>) -> Self {
        self.instances.insert(origin, keys.into());
        self
    }

    /// The signing-token timestamp window, either way (default 5 minutes).
    pub fn timestamp_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Reads the time for the signing-token window from `clock`.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub(crate) fn has_keys(&self) -> bool {
        self.default.is_some() || !self.instances.is_empty()
    }

    /// Whether the headers look like a GitLab delivery.
    pub(crate) fn claims(headers: &HeaderMap) -> bool {
        headers.contains_key(EVENT) || headers.contains_key(TOKEN) || headers.contains_key(INSTANCE)
    }

    pub(crate) fn context(headers: &HeaderMap) -> RejectionContext {
        RejectionContext {
            provider: Some(Provider::GitLab),
            event: context_value(headers, &EVENT),
            delivery: context_value(headers, &standard::ID)
                .or_else(|| context_value(headers, &IDEMPOTENCY_KEY))
                .or_else(|| context_value(headers, &EVENT_UUID)),
            instance: context_value(headers, &INSTANCE),
        }
    }

    /// The header stage: the instance's keys, then the token (compared now,
    /// before any body byte) or the signing-token headers.
    pub(crate) fn begin(
        &self,
        headers: &HeaderMap,
        reject: &Reject<'_>,
    ) -> Result<Pending, Rejection> {
        let r = |reason| reject.with(reason);
        let found = Found::scan(headers);

        let event = found
            .event
            .text()
            .map_err(r)?
            .ok_or_else(|| r(Reason::EventMissing))?;
        let instance = match found.instance.text().map_err(r)? {
            Some(text) => {
                Some(InstanceOrigin::parse(text).map_err(|_| r(Reason::InstanceMalformed))?)
            }
            None => None,
        };
        let keys = instance
            .as_ref()
            .and_then(|origin| self.instances.get(origin))
            .or(self.default.as_ref())
            .ok_or_else(|| r(Reason::UnknownInstance))?;

        let mut webhook_timestamp = None;
        let proof = match &keys.signing {
            Some(signing) if found.standard.is_signed() || !keys.accept_token_only => {
                let window = Window::new(self.tolerance, &self.clock);
                let signed = standard::check_headers(signing, &window, found.standard, reject)?;
                if let (Some(tokens), false) = (&keys.token, matches!(found.token, Slot::Absent)) {
                    check_token(tokens, found.token, reject)?;
                }
                let (_, timestamp, proof) = signed.into_parts();
                webhook_timestamp = Some(timestamp);
                Proof::Mac(proof)
            }
            _ => match &keys.token {
                Some(tokens) => Proof::Proven {
                    key: check_token(tokens, found.token, reject)?,
                },
                // Only a signing key, and no signature: nothing proves it.
                None => return Err(r(Reason::SignatureMissing)),
            },
        };

        let webhook_id = found.standard.id.owned().map_err(r)?;
        let idempotency_key = found.idempotency_key.owned().map_err(r)?;
        let event_uuid = found.event_uuid.owned().map_err(r)?;
        let details = GitLabDetails {
            webhook_uuid: found.webhook_uuid.owned().map_err(r)?,
            webhook_timestamp,
            webhook_id: webhook_id.clone(),
            idempotency_key: idempotency_key.clone(),
            event_uuid: event_uuid.clone(),
        };
        let event = Event {
            kind: EventKind::GitLab(GitLabEvent::from_header(event)),
            delivery: webhook_id.or(idempotency_key).or(event_uuid),
            hook_id: details.webhook_uuid.clone(),
            instance: instance.map(|o| o.0),
            key: super::unset_key(),
            details: Details::GitLab(details),
        };
        Ok(Pending { proof, event })
    }
}

/// The GitLab headers of a request, found in one pass over the map instead
/// of one hashed lookup per name (the header stage reads up to nine).
#[derive(Default)]
struct Found<'a> {
    event: Slot<'a>,
    instance: Slot<'a>,
    token: Slot<'a>,
    event_uuid: Slot<'a>,
    webhook_uuid: Slot<'a>,
    idempotency_key: Slot<'a>,
    standard: standard::Found<'a>,
}

impl<'a> Found<'a> {
    /// The names are the constants above, spelled out for `match` (a test
    /// checks that they agree).
    fn scan(headers: &'a HeaderMap) -> Self {
        let mut found = Self::default();
        for (name, value) in headers {
            let slot = match name.as_str() {
                "x-gitlab-event" => &mut found.event,
                "x-gitlab-instance" => &mut found.instance,
                "x-gitlab-token" => &mut found.token,
                "x-gitlab-event-uuid" => &mut found.event_uuid,
                "x-gitlab-webhook-uuid" => &mut found.webhook_uuid,
                "idempotency-key" => &mut found.idempotency_key,
                other => {
                    found.standard.see(other, value);
                    continue;
                }
            };
            slot.see(value);
        }
        found
    }
}

/// Compares `X-Gitlab-Token` with the active tokens (see
/// [`match_token`]); the raw header bytes, not a decoded string, so any byte
/// a token may hold compares as sent.
fn check_token(
    tokens: &KeyRing,
    token: Slot<'_>,
    reject: &Reject<'_>,
) -> Result<std::sync::Arc<str>, Rejection> {
    let token = token
        .single()
        .map_err(|reason| reject.with(reason))?
        .ok_or_else(|| reject.with(Reason::TokenMissing))?;
    match_token(&tokens.snapshot(), token.as_bytes())
        .ok_or_else(|| reject.with(Reason::TokenMismatch))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Found::scan` matches on spelled-out names: each constant's header
    /// must land in its own slot.
    #[test]
    fn scan_finds_every_header_by_its_constant() {
        let names = [
            EVENT,
            INSTANCE,
            TOKEN,
            EVENT_UUID,
            WEBHOOK_UUID,
            IDEMPOTENCY_KEY,
            standard::ID,
            standard::TIMESTAMP,
            standard::SIGNATURE,
        ];
        let mut headers = HeaderMap::new();
        for (i, name) in names.iter().enumerate() {
            headers.insert(name.clone(), i.to_string().parse().unwrap());
        }
        let found = Found::scan(&headers);
        let slots = [
            found.event,
            found.instance,
            found.token,
            found.event_uuid,
            found.webhook_uuid,
            found.idempotency_key,
            found.standard.id,
            found.standard.timestamp,
            found.standard.signature,
        ];
        for (i, slot) in slots.into_iter().enumerate() {
            assert_eq!(
                slot.text(),
                Ok(Some(i.to_string().as_str())),
                "{}",
                names[i]
            );
        }
        assert!(found.standard.is_signed());

        headers.append(TOKEN, "again".parse().unwrap());
        assert_eq!(
            Found::scan(&headers).token.single(),
            Err(Reason::HeaderDuplicated)
        );
    }
}
