//! Typed payloads (feature `payload`): the delivery's JSON, parsed at most
//! once per request, its action, and typed structs for the events review
//! bots, CI systems and chat-ops services use most.
//!
//! With the `payload` feature, the layer puts a [`Payload`] beside the
//! [`Event`](crate::Event) in the request extensions of every verified
//! request. It holds the verified bytes (the same buffer as the body, not a
//! copy) and parses them lazily: the first call to [`Payload::json`],
//! [`Payload::action`] or [`Payload::parse`] parses the JSON, every later
//! call (from any clone) reuses it. A body that is not JSON is never a
//! reason for the layer to reject a verified delivery; the error shows only
//! where a handler asks for the JSON or a typed struct.
//!
//! The typed structs ([`github`], [`gitlab`]) require only the fields the
//! providers' documentation makes stable; everything else is an `Option`,
//! unknown fields are ignored, and timestamps stay `String`s as sent.
//!
//! ```
//! use tower_webhooks::{EventKind, GitHubEvent};
//! use tower_webhooks::payload::{Payload, github::PullRequestEvent};
//!
//! let body = r#"{
//!   "action": "opened", "number": 7,
//!   "pull_request": {"id": 1, "number": 7,
//!     "head": {"ref": "fix", "sha": "abc"}, "base": {"ref": "main", "sha": "def"}},
//!   "repository": {"id": 2, "name": "hello", "full_name": "octo/hello"},
//!   "sender": {"login": "octocat", "id": 3}
//! }"#;
//! let payload = Payload::new(EventKind::GitHub(GitHubEvent::PullRequest), None, body.into());
//! assert_eq!(payload.action(), Some("opened"));
//! let event: PullRequestEvent = payload.parse().unwrap();
//! assert_eq!(event.pull_request.head.sha, "abc");
//! assert_eq!(payload.bytes().len(), body.len());
//! ```

use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::event::{EventKind, GitLabEvent};

pub mod github;
pub mod gitlab;

/// The content type of GitHub's form deliveries.
const FORM: &str = "application/x-www-form-urlencoded";

/// A verified delivery's payload: the raw bytes, and the JSON parsed at most
/// once, on first use.
///
/// Cheap to clone: clones share the bytes and the parsed JSON.
#[derive(Clone)]
pub struct Payload {
    inner: Arc<Inner>,
}

struct Inner {
    kind: EventKind,
    form: bool,
    bytes: Bytes,
    json: OnceLock<Result<Value, PayloadError>>,
}

impl Payload {
    /// The payload of a delivery of `kind` with the verified `bytes`, sent
    /// with the `Content-Type` header `content_type`.
    ///
    /// A content type of `application/x-www-form-urlencoded` (GitHub's form
    /// deliveries) means the JSON is in the form field `payload`. Nothing is
    /// parsed yet.
    pub fn new(kind: EventKind, content_type: Option<&str>, bytes: Bytes) -> Self {
        let form = content_type.is_some_and(is_form);
        Self {
            inner: Arc::new(Inner {
                kind,
                form,
                bytes,
                json: OnceLock::new(),
            }),
        }
    }

    /// [`new`](Self::new) with the content type read from `headers`.
    pub fn from_headers(kind: EventKind, headers: &HeaderMap, bytes: Bytes) -> Self {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        Self::new(kind, content_type, bytes)
    }

    /// Puts the payload of a request the layer verified (its event and its
    /// verified body) in the request's extensions. Parses nothing.
    pub(crate) fn attach(event: &crate::Event, request: &mut http::Request<crate::VerifiedBody>) {
        let payload = Self::from_headers(
            event.kind().clone(),
            request.headers(),
            request.body().bytes().clone(),
        );
        request.extensions_mut().insert(payload);
    }

    /// The typed event name of the delivery.
    pub fn kind(&self) -> &EventKind {
        &self.inner.kind
    }

    /// The verified bytes, exactly as received (for a form delivery: the
    /// whole form body).
    pub fn bytes(&self) -> &Bytes {
        &self.inner.bytes
    }

    /// Whether the delivery was form-encoded (`payload=<json>`).
    pub fn is_form(&self) -> bool {
        self.inner.form
    }

    /// The parsed JSON. Parsed on the first call, from any clone; later calls
    /// return the same value (or the same error).
    ///
    /// # Errors
    /// When the body (or a form delivery's `payload` field) is not JSON.
    pub fn json(&self) -> Result<&Value, &PayloadError> {
        self.inner
            .json
            .get_or_init(|| parse_json(self.inner.form, &self.inner.bytes))
            .as_ref()
    }

    /// Whether [`json`](Self::json) has already been parsed.
    pub fn is_parsed(&self) -> bool {
        self.inner.json.get().is_some()
    }

    /// The event's action, when it has one.
    ///
    /// - GitHub: the top-level `action` (`opened`, `synchronize`, ...).
    /// - GitLab: `object_attributes.action` (`open`, `update`, `create`,
    ///   ...); where absent, the documented equivalent: for `Pipeline Hook`
    ///   `object_attributes.status`, for `Job Hook` `build_status`, for
    ///   `Deployment Hook` `status`, then the top-level `event_name` (`push`,
    ///   `tag_push`, system hooks).
    ///
    /// `None` when the event has none (GitHub `push`, `ping`) or the body is
    /// not JSON.
    pub fn action(&self) -> Option<&str> {
        let json = self.json().ok()?;
        match &self.inner.kind {
            EventKind::GitHub(_) => json.get("action")?.as_str(),
            EventKind::GitLab(event) => gitlab_action(event, json),
        }
    }

    /// The payload as `T`, deserialized from the cached JSON (the bytes are
    /// not parsed again). Errors name the path of the failing field.
    ///
    /// This does not check that `T` fits the event kind; see
    /// [`parse_typed`](Self::parse_typed) for that.
    ///
    /// # Errors
    /// When the body is not JSON or does not fit `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        let json = self.json().map_err(Clone::clone)?;
        serde_path_to_error::deserialize(json).map_err(|error| {
            let path = error.path().to_string();
            PayloadError {
                kind: ErrorKind::Invalid,
                path: Some(path),
                message: error.into_inner().to_string(),
            }
        })
    }

    /// The payload as the typed event struct `T`, after checking that `T` is
    /// the struct for this delivery's event kind.
    ///
    /// ```
    /// use tower_webhooks::{EventKind, GitHubEvent};
    /// use tower_webhooks::payload::{Payload, github::PushEvent, github::PingEvent};
    ///
    /// let payload = Payload::new(
    ///     EventKind::GitHub(GitHubEvent::Ping),
    ///     None,
    ///     r#"{"zen": "Design for failure.", "hook_id": 1}"#.into(),
    /// );
    /// assert!(payload.parse_typed::<PingEvent>().is_ok());
    /// assert!(payload.parse_typed::<PushEvent>().unwrap_err().is_wrong_event());
    /// ```
    ///
    /// # Errors
    /// When the event kind is not `T`'s, or [`parse`](Self::parse) fails.
    pub fn parse_typed<T: EventPayload>(&self) -> Result<T, PayloadError> {
        if !T::accepts(&self.inner.kind) {
            return Err(PayloadError {
                kind: ErrorKind::WrongEvent,
                path: None,
                message: format!(
                    "expected {}, got {} {}",
                    T::DESCRIPTION,
                    provider_name(&self.inner.kind),
                    self.inner.kind
                ),
            });
        }
        self.parse()
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("kind", &self.inner.kind)
            .field("form", &self.inner.form)
            .field("len", &self.inner.bytes.len())
            .field("parsed", &self.is_parsed())
            .finish()
    }
}

/// A typed event struct: which event kinds it is the payload of.
///
/// Implemented by the structs in [`github`] and [`gitlab`]; implement it for
/// your own structs to use them with
/// [`Payload::parse_typed`] and the axum extractor.
///
/// ```
/// use serde::Deserialize;
/// use tower_webhooks::{EventKind, GitHubEvent};
/// use tower_webhooks::payload::EventPayload;
///
/// #[derive(Deserialize)]
/// struct Star { action: String, starred_at: Option<String> }
///
/// impl EventPayload for Star {
///     const DESCRIPTION: &'static str = "GitHub star";
///     fn accepts(kind: &EventKind) -> bool {
///         *kind == EventKind::GitHub(GitHubEvent::Star)
///     }
/// }
/// ```
pub trait EventPayload: DeserializeOwned {
    /// Names the accepted events in error messages, e.g. `GitHub pull_request`.
    const DESCRIPTION: &'static str;

    /// Whether this struct is the payload of `kind`.
    fn accepts(kind: &EventKind) -> bool;
}

/// Why a payload could not be read: not JSON, a form without its `payload`
/// field, a field that does not fit the typed struct (with its path), or a
/// typed struct asked for another event kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    kind: ErrorKind,
    path: Option<String>,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    NotJson,
    MissingFormField,
    Invalid,
    WrongEvent,
}

impl PayloadError {
    /// The path of the field that failed, e.g. `pull_request.head.sha`, when
    /// the error is about one field.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// Whether a typed struct was asked for a delivery of another event kind.
    pub fn is_wrong_event(&self) -> bool {
        self.kind == ErrorKind::WrongEvent
    }

    /// Whether the body (or the form's `payload` field) is not JSON at all,
    /// or a form delivery lacks its `payload` field.
    pub fn is_syntax(&self) -> bool {
        matches!(self.kind, ErrorKind::NotJson | ErrorKind::MissingFormField)
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::NotJson => write!(f, "payload is not JSON: {}", self.message),
            ErrorKind::MissingFormField => f.write_str(&self.message),
            ErrorKind::WrongEvent => write!(f, "unexpected event: {}", self.message),
            ErrorKind::Invalid => match self.path.as_deref() {
                Some(path) if path != "." => {
                    write!(f, "invalid payload at `{path}`: {}", self.message)
                }
                _ => write!(f, "invalid payload: {}", self.message),
            },
        }
    }
}

impl std::error::Error for PayloadError {}

fn is_form(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case(FORM)
}

fn parse_json(form: bool, bytes: &[u8]) -> Result<Value, PayloadError> {
    let not_json = |error: serde_json::Error| PayloadError {
        kind: ErrorKind::NotJson,
        path: None,
        message: error.to_string(),
    };
    if !form {
        return serde_json::from_slice(bytes).map_err(not_json);
    }
    let field = form_urlencoded::parse(bytes)
        .find(|(name, _)| name == "payload")
        .map(|(_, value)| value);
    match field {
        Some(json) => serde_json::from_str(&json).map_err(not_json),
        None => Err(PayloadError {
            kind: ErrorKind::MissingFormField,
            path: None,
            message: "form delivery without a `payload` field".to_owned(),
        }),
    }
}

fn gitlab_action<'a>(event: &GitLabEvent, json: &'a Value) -> Option<&'a str> {
    let attributes = json.get("object_attributes");
    let field = |value: Option<&'a Value>, name: &str| value?.get(name)?.as_str();
    if let Some(action) = field(attributes, "action") {
        return Some(action);
    }
    let specific = match event {
        GitLabEvent::Pipeline => field(attributes, "status"),
        GitLabEvent::Job => field(Some(json), "build_status"),
        GitLabEvent::Deployment => field(Some(json), "status"),
        _ => None,
    };
    specific.or_else(|| field(Some(json), "event_name"))
}

fn provider_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::GitHub(_) => "GitHub",
        EventKind::GitLab(_) => "GitLab",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GitHubEvent;

    fn github(event: GitHubEvent, content_type: Option<&str>, body: &'static str) -> Payload {
        Payload::new(EventKind::GitHub(event), content_type, Bytes::from(body))
    }

    #[test]
    fn form_essence_is_case_insensitive_and_ignores_parameters() {
        assert!(is_form("application/x-www-form-urlencoded"));
        assert!(is_form("Application/X-WWW-Form-Urlencoded; charset=utf-8"));
        assert!(!is_form("application/json"));
        assert!(!is_form("application/x-www-form-urlencodedx"));
    }

    #[test]
    fn json_is_parsed_once_and_shared_by_clones() {
        let payload = github(GitHubEvent::Ping, None, r#"{"zen":"z"}"#);
        let clone = payload.clone();
        assert!(!clone.is_parsed());
        let first = payload.json().unwrap() as *const Value;
        assert!(clone.is_parsed());
        let second = clone.json().unwrap() as *const Value;
        assert_eq!(first, second);
    }

    #[test]
    fn not_json_is_an_error_only_on_access() {
        let payload = github(GitHubEvent::Push, None, "not json");
        assert_eq!(payload.action(), None);
        let error = payload.json().unwrap_err();
        assert!(error.is_syntax());
        assert!(error.to_string().starts_with("payload is not JSON"));
    }

    #[test]
    fn form_deliveries_are_decoded_before_parsing() {
        let payload = github(
            GitHubEvent::PullRequest,
            Some("application/x-www-form-urlencoded"),
            "payload=%7B%22action%22%3A%22opened%22%2C%22n%22%3A%22a+b%22%7D",
        );
        assert!(payload.is_form());
        assert_eq!(payload.action(), Some("opened"));
        assert_eq!(payload.json().unwrap()["n"], "a b");
    }

    #[test]
    fn form_without_payload_field_is_reported() {
        let payload = github(GitHubEvent::Ping, Some(FORM), "other=1");
        let error = payload.json().unwrap_err();
        assert!(error.is_syntax());
        assert_eq!(error.to_string(), "form delivery without a `payload` field");
    }

    #[test]
    fn typed_errors_name_the_failing_field() {
        let payload = github(
            GitHubEvent::PullRequest,
            None,
            r#"{"action":"opened","number":1,"pull_request":{"id":1,"number":1,
               "head":{"ref":"a"},"base":{"ref":"b","sha":"c"}},
               "repository":{"id":1,"name":"n","full_name":"o/n"},"sender":{"login":"l","id":1}}"#,
        );
        let error = payload
            .parse_typed::<github::PullRequestEvent>()
            .unwrap_err();
        assert_eq!(error.path(), Some("pull_request.head"));
        assert_eq!(
            error.to_string(),
            "invalid payload at `pull_request.head`: missing field `sha`"
        );
    }

    #[test]
    fn gitlab_action_falls_back_to_documented_equivalents() {
        let gitlab = |event: GitLabEvent, body: &'static str| {
            Payload::new(EventKind::GitLab(event), None, Bytes::from(body))
        };
        let pipeline = gitlab(
            GitLabEvent::Pipeline,
            r#"{"object_attributes":{"status":"success"}}"#,
        );
        assert_eq!(pipeline.action(), Some("success"));
        let job = gitlab(GitLabEvent::Job, r#"{"build_status":"failed"}"#);
        assert_eq!(job.action(), Some("failed"));
        let push = gitlab(GitLabEvent::Push, r#"{"event_name":"push"}"#);
        assert_eq!(push.action(), Some("push"));
        let mr = gitlab(
            GitLabEvent::MergeRequest,
            r#"{"event_name":"x","object_attributes":{"action":"update","status":"y"}}"#,
        );
        assert_eq!(mr.action(), Some("update"));
        let none = gitlab(GitLabEvent::Note, r#"{"object_attributes":{}}"#);
        assert_eq!(none.action(), None);
    }
}
