//! Builders for correctly signed deliveries (feature `test-util`), for your
//! own tests, benches and fuzz harnesses.
//!
//! ```
//! use tower_webhooks::test_util::{GitHubDelivery, GitLabDelivery};
//!
//! let request = GitHubDelivery::new("ping", r#"{"zen":"Design for failure."}"#)
//!     .secret("It's a Secret to Everybody")
//!     .delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
//!     .into_request();
//! assert!(request.headers().contains_key("x-hub-signature-256"));
//!
//! let request = GitLabDelivery::new("Push Hook", "{}")
//!     .token("gitlab token")
//!     .instance("https://gitlab.example.com")
//!     .into_request();
//! assert_eq!(request.headers()["x-gitlab-token"], "gitlab token");
//! ```

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::Full;

use crate::provider::{github, gitlab, standard};

/// A GitHub delivery: event, body, and the secret to sign it with.
///
/// Its `Debug` shows the event, the body length and whether it is signed,
/// never the secret.
#[derive(Clone)]
pub struct GitHubDelivery {
    event: String,
    body: Bytes,
    secret: Option<Vec<u8>>,
    headers: HeaderMap,
}

impl GitHubDelivery {
    /// A delivery of `event` with `body`, unsigned until [`secret`](Self::secret).
    pub fn new(event: &str, body: impl Into<Bytes>) -> Self {
        Self {
            event: event.to_owned(),
            body: body.into(),
            secret: None,
            headers: HeaderMap::new(),
        }
    }

    /// Signs with `secret` (`X-Hub-Signature-256`).
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secret = Some(secret.as_ref().to_vec());
        self
    }

    /// Sets `X-GitHub-Delivery`.
    pub fn delivery(self, id: &str) -> Self {
        self.header(github::DELIVERY, id)
    }

    /// Sets `X-GitHub-Hook-ID`.
    pub fn hook_id(self, id: &str) -> Self {
        self.header(github::HOOK_ID, id)
    }

    /// Sets `X-GitHub-Enterprise-Host`.
    pub fn enterprise_host(self, host: &str) -> Self {
        self.header(github::ENTERPRISE_HOST, host)
    }

    /// Sets any other header (replacing one of the same name).
    ///
    /// # Panics
    /// When `value` is not a valid header value: this is test code.
    pub fn header(mut self, name: HeaderName, value: &str) -> Self {
        self.headers.insert(name, header_value(value));
        self
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The `X-Hub-Signature-256` value for the body, if a secret is set.
    pub fn signature(&self) -> Option<String> {
        self.secret.as_ref().map(|s| github::sign(s, &self.body))
    }

    /// The headers GitHub would send.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = json_headers(github::EVENT, &self.event);
        if let Some(signature) = self.signature() {
            headers.insert(
                github::SIGNATURE,
                HeaderValue::from_str(&signature).expect("hex is a valid header value"),
            );
        }
        // Headers set with `header` win, so tests can bend any of them.
        headers.extend(self.headers.clone());
        headers
    }

    /// A POST request to `/` with the headers and body.
    pub fn into_request(self) -> Request<Full<Bytes>> {
        build_request(self.headers(), self.body)
    }
}

/// A GitLab delivery: event, body, and its token and/or signing key.
///
/// Its `Debug` shows the event, the body length and which credentials it
/// carries, never the token or the key.
#[derive(Clone)]
pub struct GitLabDelivery {
    event: String,
    body: Bytes,
    token: Option<String>,
    signing: Option<(Vec<u8>, String, i64)>,
    headers: HeaderMap,
}

impl GitLabDelivery {
    /// A delivery of `event` (e.g. `Push Hook`) with `body`.
    pub fn new(event: &str, body: impl Into<Bytes>) -> Self {
        Self {
            event: event.to_owned(),
            body: body.into(),
            token: None,
            signing: None,
            headers: HeaderMap::new(),
        }
    }

    /// Sends `X-Gitlab-Token: token`.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// Signs as GitLab 19 does: `webhook-id: id`, `webhook-timestamp:
    /// timestamp`, and `webhook-signature` under `key` (the decoded key; see
    /// [`signing_key`](standard::signing_key)). Also sets `Idempotency-Key`
    /// to `id`, as GitLab does.
    pub fn signed(mut self, key: &[u8], id: &str, timestamp: i64) -> Self {
        self.signing = Some((key.to_vec(), id.to_owned(), timestamp));
        self
    }

    /// Sets `X-Gitlab-Instance`.
    pub fn instance(self, origin: &str) -> Self {
        self.header(gitlab::INSTANCE, origin)
    }

    /// Sets `X-Gitlab-Event-UUID`.
    pub fn event_uuid(self, uuid: &str) -> Self {
        self.header(gitlab::EVENT_UUID, uuid)
    }

    /// Sets `X-Gitlab-Webhook-UUID`.
    pub fn webhook_uuid(self, uuid: &str) -> Self {
        self.header(gitlab::WEBHOOK_UUID, uuid)
    }

    /// Sets `Idempotency-Key`.
    pub fn idempotency_key(self, key: &str) -> Self {
        self.header(gitlab::IDEMPOTENCY_KEY, key)
    }

    /// Sets any other header (replacing one of the same name).
    ///
    /// # Panics
    /// When `value` is not a valid header value: this is test code.
    pub fn header(mut self, name: HeaderName, value: &str) -> Self {
        self.headers.insert(name, header_value(value));
        self
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The headers GitLab would send.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = json_headers(gitlab::EVENT, &self.event);
        if let Some(token) = &self.token {
            headers.insert(
                gitlab::TOKEN,
                HeaderValue::from_str(token).expect("a valid token"),
            );
        }
        if let Some((key, id, timestamp)) = &self.signing {
            let value = header_value;
            headers.insert(standard::ID, value(id));
            headers.insert(gitlab::IDEMPOTENCY_KEY, value(id));
            headers.insert(standard::TIMESTAMP, value(&timestamp.to_string()));
            headers.insert(
                standard::SIGNATURE,
                value(&standard::sign(key, id, *timestamp, &self.body)),
            );
        }
        // Headers set with `header` win, so tests can bend any of them.
        headers.extend(self.headers.clone());
        headers
    }

    /// A POST request to `/` with the headers and body.
    pub fn into_request(self) -> Request<Full<Bytes>> {
        build_request(self.headers(), self.body)
    }
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).expect("a valid header value")
}

/// The event header and a JSON content type, as both providers send them.
fn json_headers(event_header: HeaderName, event: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(event_header, header_value(event));
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers
}

fn build_request(headers: HeaderMap, body: Bytes) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = Method::POST;
    *request.headers_mut() = headers;
    request
}

/// The names of the extra headers, not their values (one may be a token).
fn header_names(headers: &HeaderMap) -> Vec<&str> {
    headers.keys().map(|name| name.as_str()).collect()
}

impl std::fmt::Debug for GitHubDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubDelivery")
            .field("event", &self.event)
            .field("body_len", &self.body.len())
            .field("signed", &self.secret.is_some())
            .field("extra_headers", &header_names(&self.headers))
            .finish()
    }
}

impl std::fmt::Debug for GitLabDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitLabDelivery")
            .field("event", &self.event)
            .field("body_len", &self.body.len())
            .field("token", &self.token.is_some())
            .field("signed", &self.signing.is_some())
            .field("extra_headers", &header_names(&self.headers))
            .finish()
    }
}
