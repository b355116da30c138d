//! Standard Webhooks 1.0: `webhook-id`, `webhook-timestamp` and
//! `webhook-signature` (`v1,<base64>` entries), HMAC-SHA256 over
//! `{id}.{timestamp}.{body}`. GitLab 19 signs with it; so do Svix and others.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::{Reject, Slot};
use crate::proof::{Expected, MacProof};
use crate::rejection::{Reason, Rejection};
use crate::{KeyRing, Secret, SecretError};

/// `webhook-id`: the message id, stable across retries.
pub const ID: HeaderName = HeaderName::from_static("webhook-id");
/// `webhook-timestamp`: Unix seconds when the message was signed.
pub const TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
/// `webhook-signature`: space-separated `v1,<base64>` entries.
pub const SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");

/// The most entries a `webhook-signature` header may hold. A sender rotating
/// keys sends two or three; a header with more is rejected before any MAC
/// is computed.
pub const MAX_SIGNATURES: usize = 16;

/// The default timestamp window: five minutes either way.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Decodes a Standard Webhooks key (`whsec_` and base64) into a [`Secret`].
///
/// Any non-empty key is accepted (the spec allows 24 to 64 bytes; GitLab
/// uses 32).
///
/// ```
/// use tower_webhooks::provider::standard::signing_key;
///
/// assert!(signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
/// assert!(signing_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err()); // no prefix
/// assert!(signing_key("whsec_***").is_err());
/// ```
pub fn signing_key(text: &str) -> Result<Secret, SigningKeyError> {
    let encoded = text
        .trim()
        .strip_prefix("whsec_")
        .ok_or(SigningKeyError::MissingPrefix)?;
    let bytes = zeroize::Zeroizing::new(
        BASE64
            .decode(encoded)
            .map_err(|_| SigningKeyError::NotBase64)?,
    );
    Secret::new(&*bytes).map_err(SigningKeyError::Secret)
}

/// Why a `whsec_` key could not be decoded. Never holds the key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningKeyError {
    /// The key does not start with `whsec_`.
    MissingPrefix,
    /// The text after `whsec_` is not base64.
    NotBase64,
    /// The decoded key is empty.
    Secret(SecretError),
}

impl fmt::Display for SigningKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingPrefix => f.write_str("a signing key must start with whsec_"),
            Self::NotBase64 => f.write_str("the text after whsec_ is not base64"),
            Self::Secret(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SigningKeyError {}

/// The signature entries of a `webhook-signature` header: the decoded `v1`
/// tags, in order. Entries of other versions are ignored.
///
/// A header with more than [`MAX_SIGNATURES`] entries, an entry without a
/// comma, or a `v1` entry that is not 32 bytes of base64 is malformed.
///
/// ```
/// use tower_webhooks::provider::standard::parse_signatures;
/// use tower_webhooks::Reason;
///
/// let tags = parse_signatures(b"v2,abc v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=").unwrap();
/// assert_eq!(tags.len(), 1);
/// assert_eq!(parse_signatures(b"v1"), Err(Reason::SignatureMalformed));
/// ```
pub fn parse_signatures(value: &[u8]) -> Result<Vec<[u8; 32]>, Reason> {
    let text = std::str::from_utf8(value).map_err(|_| Reason::SignatureMalformed)?;
    let mut tags = Vec::new();
    for (index, entry) in text.split(' ').filter(|e| !e.is_empty()).enumerate() {
        if index >= MAX_SIGNATURES {
            return Err(Reason::SignatureMalformed);
        }
        let (version, encoded) = entry.split_once(',').ok_or(Reason::SignatureMalformed)?;
        if version != "v1" {
            continue;
        }
        let mut tag = [0u8; 32];
        match BASE64.decode_slice(encoded, &mut tag) {
            Ok(32) => tags.push(tag),
            _ => return Err(Reason::SignatureMalformed),
        }
    }
    if tags.is_empty() && text.trim().is_empty() {
        return Err(Reason::SignatureMalformed);
    }
    Ok(tags)
}

/// The `webhook-signature` entry for a message: `v1,` and the base64
/// HMAC-SHA256 of `{id}.{timestamp}.{body}` under `key` (the decoded key).
///
/// ```
/// use tower_webhooks::provider::standard::{sign, signing_key};
///
/// let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let signature = sign(key.expose(), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
/// assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
/// ```
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = crate::keys::HmacSha256::new_from_slice(key)
        .expect("HMAC-SHA256 accepts keys of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// Where the current time comes from, in Unix seconds. Tests pin it.
///
/// ```
/// use tower_webhooks::provider::standard::Clock;
///
/// let pinned = Clock::fixed(1614265330);
/// assert_eq!(pinned.now(), 1614265330);
/// assert!(Clock::system().now() > 1_700_000_000);
/// ```
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        }))
    }

    /// A clock that always says `unix_seconds`.
    pub fn fixed(unix_seconds: i64) -> Self {
        Self(Arc::new(move || unix_seconds))
    }

    /// A clock read from `now`.
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time in Unix seconds.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// A Standard Webhooks verifier, for any Standard Webhooks sender, and the
/// one the GitLab provider uses for signing tokens.
///
/// Checks the timestamp window and the signature list from the headers, then
/// feeds `{id}.{timestamp}.` and the body into one pre-keyed HMAC per active
/// key: one pass over the body, one MAC per key however many entries the
/// header carries.
///
/// ```
/// use http::HeaderMap;
/// use tower_webhooks::KeyRing;
/// use tower_webhooks::provider::standard::{Clock, StandardWebhooks, signing_key};
///
/// let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let verifier = StandardWebhooks::new(KeyRing::single(key)).clock(Clock::fixed(1614265330));
///
/// let mut headers = HeaderMap::new();
/// headers.insert("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek".parse().unwrap());
/// headers.insert("webhook-timestamp", "1614265330".parse().unwrap());
/// headers.insert("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".parse().unwrap());
///
/// let message = verifier.verify(&headers, br#"{"test": 2432232314}"#).unwrap();
/// assert_eq!(message.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
/// assert_eq!(message.key_label, "default");
/// ```
#[derive(Debug, Clone)]
pub struct StandardWebhooks {
    keys: KeyRing,
    tolerance: Duration,
    clock: Clock,
}

/// A verified Standard Webhooks message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedMessage {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`, Unix seconds.
    pub timestamp: i64,
    /// The label of the key that matched.
    pub key_label: String,
}

/// A Standard Webhooks verification in progress: headers checked, body
/// frames still to come.
pub struct StandardVerification {
    id: String,
    timestamp: i64,
    proof: MacProof,
}

impl StandardVerification {
    /// Feeds the next body bytes.
    pub fn update(&mut self, frame: &[u8]) {
        self.proof.update(frame);
    }

    /// Checks the signatures once the whole body was fed.
    pub fn finish(self) -> Result<VerifiedMessage, Rejection> {
        match self.proof.finish() {
            Some(label) => Ok(VerifiedMessage {
                id: self.id,
                timestamp: self.timestamp,
                key_label: label.to_string(),
            }),
            None => Err(Rejection::new(Reason::SignatureMismatch)),
        }
    }
}

impl StandardWebhooks {
    /// A verifier for the keys in `keys` (decoded; see [`signing_key`]), with
    /// the default ±5 minute window and the system clock.
    pub fn new(keys: KeyRing) -> Self {
        Self {
            keys,
            tolerance: DEFAULT_TOLERANCE,
            clock: Clock::system(),
        }
    }

    /// Accepts timestamps within `tolerance` of now, either way.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Reads the time from `clock`.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the headers; the body is fed to the returned verification.
    pub fn begin(&self, headers: &HeaderMap) -> Result<StandardVerification, Rejection> {
        let window = Window::new(self.tolerance, &self.clock);
        check_headers(
            &self.keys,
            &window,
            Found::scan(headers),
            &Reject::without_context(headers),
        )
    }

    /// Verifies a whole message.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<VerifiedMessage, Rejection> {
        let mut verification = self.begin(headers)?;
        verification.update(body);
        verification.finish()
    }
}

/// The accepted timestamp window.
pub(crate) struct Window {
    tolerance: i64,
    now: i64,
}

impl Window {
    pub(crate) fn new(tolerance: Duration, clock: &Clock) -> Self {
        Self {
            tolerance: i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX),
            now: clock.now(),
        }
    }

    fn contains(&self, timestamp: i64) -> bool {
        self.now.abs_diff(timestamp) <= self.tolerance.unsigned_abs()
    }
}

/// The Standard Webhooks headers of a request, found by a one-pass scan.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Found<'a> {
    pub(crate) id: Slot<'a>,
    pub(crate) timestamp: Slot<'a>,
    pub(crate) signature: Slot<'a>,
}

impl<'a> Found<'a> {
    /// Records the header `name` when it is one of ours; `false` when not.
    /// The names are [`ID`], [`TIMESTAMP`] and [`SIGNATURE`], spelled out
    /// for `match` (a test checks that they agree).
    pub(crate) fn see(&mut self, name: &str, value: &'a HeaderValue) -> bool {
        let slot = match name {
            "webhook-id" => &mut self.id,
            "webhook-timestamp" => &mut self.timestamp,
            "webhook-signature" => &mut self.signature,
            _ => return false,
        };
        slot.see(value);
        true
    }

    pub(crate) fn scan(headers: &'a HeaderMap) -> Self {
        let mut found = Self::default();
        for (name, value) in headers {
            found.see(name.as_str(), value);
        }
        found
    }

    /// Whether the request carries a Standard Webhooks signature.
    pub(crate) fn is_signed(&self) -> bool {
        !matches!(self.signature, Slot::Absent)
    }
}

/// The header stage of a Standard Webhooks delivery: the id, the timestamp
/// window and the signature list, then the signed prefix fed into the MACs.
pub(crate) fn check_headers(
    keys: &KeyRing,
    window: &Window,
    found: Found<'_>,
    reject: &Reject<'_>,
) -> Result<StandardVerification, Rejection> {
    let r = |reason| reject.with(reason);

    // A repeated or oversized signature header is a malformed signature.
    let signature = found
        .signature
        .single()
        .map_err(|_| r(Reason::SignatureMalformed))?
        .ok_or_else(|| r(Reason::SignatureMissing))?;
    let id = found
        .id
        .text()
        .map_err(r)?
        .ok_or_else(|| r(Reason::SignatureMalformed))?;
    let timestamp_text = found
        .timestamp
        .text()
        .map_err(r)?
        .ok_or_else(|| r(Reason::TimestampMissing))?;
    let timestamp = parse_timestamp(timestamp_text).map_err(r)?;
    if !window.contains(timestamp) {
        return Err(r(Reason::TimestampOutOfWindow));
    }
    let tags = parse_signatures(signature.as_bytes()).map_err(r)?;
    if tags.is_empty() {
        // Only versions this crate does not know: nothing can match.
        return Err(r(Reason::SignatureMismatch));
    }

    let mut proof = MacProof::new(keys.snapshot(), Expected::Many(tags));
    proof.update(id.as_bytes());
    proof.update(b".");
    // The timestamp as sent: the sender signed its text, not our rendering.
    proof.update(timestamp_text.as_bytes());
    proof.update(b".");
    Ok(StandardVerification {
        id: id.to_owned(),
        timestamp,
        proof,
    })
}

/// Unix seconds: ASCII digits only, at most what fits an `i64`.
fn parse_timestamp(text: &str) -> Result<i64, Reason> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reason::TimestampInvalid);
    }
    text.parse::<i64>().map_err(|_| Reason::TimestampInvalid)
}

impl StandardVerification {
    pub(crate) fn into_parts(self) -> (String, i64, MacProof) {
        (self.id, self.timestamp, self.proof)
    }
}
