//! The whole `WebhookLayer` driven by arbitrary secrets, headers, methods,
//! limits and a body split into arbitrary frames, with a differential oracle
//! written independently of the crate:
//!
//! - GitHub: accepted if and only if the request is a well-formed POST whose
//!   one `X-Hub-Signature-256` is `sha256=` and the hex of an HMAC-SHA256
//!   (computed here with `hmac`/`sha2` directly) of the bytes sent under one
//!   of the active keys, and the body arrived whole within the limit;
//! - GitLab (token mode, the same secrets as tokens): accepted if and only
//!   if the request is a well-formed POST whose one `X-Gitlab-Token` is,
//!   byte for byte, one of the tokens, and the body arrived whole within the
//!   limit;
//! - when accepted, the inner service ran exactly once and saw exactly the
//!   bytes sent;
//! - when rejected, the inner service never ran, and the response is the
//!   reason's status and `"<code>: <message>\n"`, never an expected
//!   signature.
#![no_main]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use arbitrary::Arbitrary;
use bytes::Bytes;
use hmac::{KeyInit, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use libfuzzer_sys::fuzz_target;
use tower_layer::Layer;
use tower_service::Service;
use tower_webhooks::provider::{github, gitlab, standard};
use tower_webhooks::{
    Event, GitHub, GitLab, InstanceOrigin, KeyRing, Secret, VerifiedBody, Verifier, WebhookLayer,
};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const MAX_HEADER_LEN: usize = 1024;

/// For GitLab, `Signature` is read as the token: the key's bytes, changed
/// the same ways.
///
/// The input is `CONTROL_LEN` bytes of control (read with `arbitrary`;
/// short inputs are padded with zeros) followed by the body. All-zero
/// control is a correctly signed POST of the body in one frame, so the seed
/// corpus is simply fixture bodies behind a zero prefix.
const CONTROL_LEN: usize = 128;

#[derive(Arbitrary, Debug)]
struct Control {
    secrets: Vec<Vec<u8>>,
    signature: Signature,
    no_event: bool,
    extra: Vec<(Name, Vec<u8>)>,
    /// Frame lengths cut from the body; the rest is the last frame.
    cuts: Vec<u16>,
    /// Bit i set: the body answers `Pending` (and wakes) before its i-th poll.
    pending: u32,
    end: End,
    length: Length,
    /// The body limit; `None` is 1 MiB.
    limit: Option<u16>,
    not_post: bool,
    /// GitLab token mode instead of GitHub.
    gitlab: bool,
}

#[derive(Arbitrary, Debug)]
enum Signature {
    Valid(u8),
    Missing,
    Uppercase(u8),
    FlipBit(u8, u8),
    Truncated(u8, u8),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Name {
    Event,
    Signature,
    Legacy,
    Delivery,
    HookId,
    TargetType,
    TargetId,
    EnterpriseVersion,
    EnterpriseHost,
    Tenant,
    ContentLength,
    GitLabToken,
    GitLabEvent,
    Instance,
    WebhookId,
    IdempotencyKey,
    EventUuid,
    WebhookUuid,
    WebhookSignature,
    Other,
}

impl Name {
    fn header(self) -> HeaderName {
        match self {
            Self::Event => github::EVENT,
            Self::Signature => github::SIGNATURE,
            Self::Legacy => github::LEGACY_SIGNATURE,
            Self::Delivery => github::DELIVERY,
            Self::HookId => github::HOOK_ID,
            Self::TargetType => github::TARGET_TYPE,
            Self::TargetId => github::TARGET_ID,
            Self::EnterpriseVersion => github::ENTERPRISE_VERSION,
            Self::EnterpriseHost => github::ENTERPRISE_HOST,
            Self::Tenant => github::TENANT,
            Self::ContentLength => http::header::CONTENT_LENGTH,
            Self::GitLabToken => gitlab::TOKEN,
            Self::GitLabEvent => gitlab::EVENT,
            Self::Instance => gitlab::INSTANCE,
            Self::WebhookId => standard::ID,
            Self::IdempotencyKey => gitlab::IDEMPOTENCY_KEY,
            Self::EventUuid => gitlab::EVENT_UUID,
            Self::WebhookUuid => gitlab::WEBHOOK_UUID,
            Self::WebhookSignature => standard::SIGNATURE,
            Self::Other => HeaderName::from_static("x-other"),
        }
    }
}

/// GitLab headers the layer reads as text (in token mode), the event first.
const GITLAB_TEXT_HEADERS: [Name; 6] = [
    Name::GitLabEvent,
    Name::Instance,
    Name::WebhookId,
    Name::IdempotencyKey,
    Name::EventUuid,
    Name::WebhookUuid,
];

/// GitHub headers the layer reads as text: at most one, visible ASCII, at
/// most 1024 bytes. The event first.
const TEXT_HEADERS: [Name; 8] = [
    Name::Event,
    Name::Delivery,
    Name::HookId,
    Name::TargetType,
    Name::TargetId,
    Name::EnterpriseVersion,
    Name::EnterpriseHost,
    Name::Tenant,
];

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum End {
    Clean,
    Trailers,
    Error,
}

#[derive(Arbitrary, Debug)]
enum Length {
    Exact,
    Absent,
    Off(i8),
}

/// A body that yields the given frames, sometimes after a `Pending` (with
/// an immediate wake), then ends as told.
struct Frames {
    frames: VecDeque<Bytes>,
    pending: u32,
    end: Option<End>,
}

impl Body for Frames {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.pending & 1 == 1 {
            this.pending >>= 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.pending >>= 1;
        if let Some(frame) = this.frames.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
        match this.end.take() {
            None | Some(End::Clean) => Poll::Ready(None),
            Some(End::Trailers) => {
                let mut trailers = HeaderMap::new();
                trailers.insert("x-trailer", HeaderValue::from_static("1"));
                Poll::Ready(Some(Ok(Frame::trailers(trailers))))
            }
            Some(End::Error) => Poll::Ready(Some(Err(std::io::Error::other("reset")))),
        }
    }
}

type Calls = Arc<Mutex<Vec<(Event, Bytes)>>>;

#[derive(Clone)]
struct Inner(Calls);

impl Service<Request<VerifiedBody>> for Inner {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<VerifiedBody>) -> Self::Future {
        let event = request.extensions().get::<Event>().cloned().expect("event");
        self.0
            .lock()
            .unwrap()
            .push((event, request.into_body().into_bytes()));
        std::future::ready(Ok(Response::new(Full::new(Bytes::from_static(b"handled")))))
    }
}

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
}

fn mac(key: &[u8], body: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().into()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const REASONS: [(&str, u16); 20] = [
    ("method_not_allowed", 405),
    ("provider_unknown", 400),
    ("provider_ambiguous", 400),
    ("header_malformed", 400),
    ("header_duplicated", 400),
    ("event_missing", 400),
    ("signature_missing", 401),
    ("signature_malformed", 400),
    ("signature_mismatch", 401),
    ("token_missing", 401),
    ("token_mismatch", 401),
    ("instance_malformed", 400),
    ("unknown_instance", 401),
    ("timestamp_missing", 401),
    ("timestamp_invalid", 401),
    ("timestamp_out_of_window", 401),
    ("content_length_invalid", 400),
    ("body_too_large", 413),
    ("body_timeout", 408),
    ("body_error", 400),
];

fuzz_target!(|data: &[u8]| {
    let split = data.len().min(CONTROL_LEN);
    let mut control = [0u8; CONTROL_LEN];
    control[..split].copy_from_slice(&data[..split]);
    let Ok(input) = arbitrary::Unstructured::new(&control).arbitrary::<Control>() else {
        return;
    };
    let sent = &data[split..];
    let mut frames = Vec::new();
    let mut rest = sent;
    for cut in input.cuts.iter().take(64) {
        let (frame, tail) = rest.split_at(usize::from(*cut).min(rest.len()));
        frames.push(Bytes::copy_from_slice(frame));
        rest = tail;
    }
    frames.push(Bytes::copy_from_slice(rest));

    // Keys: up to three non-empty secrets, labelled by position.
    let mut secrets: Vec<Vec<u8>> = input
        .secrets
        .into_iter()
        .filter(|s| !s.is_empty())
        .take(3)
        .collect();
    if secrets.is_empty() {
        secrets.push(b"It's a Secret to Everybody".to_vec());
    }
    let ring = KeyRing::from_keys(
        secrets
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("k{i}"), Secret::new(s).unwrap())),
    )
    .unwrap();

    let body: Vec<u8> = sent.to_vec();
    assert_eq!(frames.concat(), body);
    let tags: Vec<[u8; 32]> = secrets.iter().map(|s| mac(s, &body)).collect();

    // The request head.
    let mut headers = HeaderMap::new();
    let gitlab = input.gitlab;
    if !input.no_event {
        if gitlab {
            headers.append(gitlab::EVENT, HeaderValue::from_static("Push Hook"));
        } else {
            headers.append(github::EVENT, HeaderValue::from_static("push"));
        }
    }
    let token = |k: u8| secrets[k as usize % secrets.len()].clone();
    let token_value = match &input.signature {
        Signature::Missing => None,
        Signature::Valid(k) => Some(token(*k)),
        Signature::Uppercase(k) => Some(token(*k).to_ascii_uppercase()),
        Signature::FlipBit(k, bit) => {
            let mut t = token(*k);
            let at = *bit as usize % t.len();
            t[at] ^= 1 << (bit % 8);
            Some(t)
        }
        Signature::Truncated(k, n) => {
            let t = token(*k);
            Some(t[..*n as usize % t.len()].to_vec())
        }
        Signature::Raw(raw) => Some(raw.clone()),
    };
    let signature = match input.signature {
        Signature::Missing => None,
        Signature::Valid(k) => Some(format!("sha256={}", to_hex(&tags[k as usize % tags.len()]))),
        Signature::Uppercase(k) => Some(format!(
            "sha256={}",
            to_hex(&tags[k as usize % tags.len()]).to_ascii_uppercase()
        )),
        Signature::FlipBit(k, bit) => {
            let mut tag = tags[k as usize % tags.len()];
            tag[(bit as usize / 8) % 32] ^= 1 << (bit % 8);
            Some(format!("sha256={}", to_hex(&tag)))
        }
        Signature::Truncated(k, n) => {
            let full = format!("sha256={}", to_hex(&tags[k as usize % tags.len()]));
            Some(full[..(n as usize % full.len())].to_owned())
        }
        Signature::Raw(raw) => HeaderValue::from_bytes(&raw)
            .ok()
            .map(|_| String::from_utf8_lossy(&raw).into_owned())
            .filter(|s| s.as_bytes() == raw.as_slice()),
    };
    if gitlab {
        if let Some(value) = token_value.and_then(|t| HeaderValue::from_bytes(&t).ok()) {
            headers.append(gitlab::TOKEN, value);
        }
    } else if let Some(value) = signature.and_then(|s| HeaderValue::from_str(&s).ok()) {
        headers.append(github::SIGNATURE, value);
    }
    let length_value = match input.length {
        Length::Absent => None,
        Length::Exact => Some(body.len().to_string()),
        Length::Off(d) => Some((body.len() as i64 + i64::from(d)).to_string()),
    };
    if let Some(value) = length_value {
        headers.append(
            http::header::CONTENT_LENGTH,
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    for (name, value) in input.extra.into_iter().take(16) {
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.append(name.header(), value);
        }
    }
    let method = if input.not_post {
        Method::PUT
    } else {
        Method::POST
    };
    let limit = input.limit.map_or(1 << 20, usize::from);

    // The oracle, from the head and bytes actually sent.
    let text_ok = |name: &HeaderName, required: bool| {
        let values: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
        match values.as_slice() {
            [] => !required,
            [v] => v.len() <= MAX_HEADER_LEN && v.to_str().is_ok(),
            _ => false,
        }
    };
    let signature_values: Vec<&HeaderValue> = headers.get_all(github::SIGNATURE).iter().collect();
    let token_values: Vec<&HeaderValue> = headers.get_all(gitlab::TOKEN).iter().collect();
    let matching_keys: Vec<String> = if gitlab {
        match token_values.as_slice() {
            [value] if value.len() <= MAX_HEADER_LEN => secrets
                .iter()
                .enumerate()
                .filter(|(_, s)| s.as_slice() == value.as_bytes())
                .map(|(i, _)| format!("k{i}"))
                .collect(),
            _ => vec![],
        }
    } else {
        match signature_values.as_slice() {
            [value] if value.len() <= MAX_HEADER_LEN => {
                match value.as_bytes().strip_prefix(b"sha256=") {
                    Some(hex) => tags
                        .iter()
                        .enumerate()
                        .filter(|(_, tag)| hex.to_ascii_lowercase() == to_hex(*tag).as_bytes())
                        .map(|(i, _)| format!("k{i}"))
                        .collect(),
                    None => vec![],
                }
            }
            _ => vec![],
        }
    };
    let length_ok = {
        let values: Vec<&HeaderValue> = headers
            .get_all(http::header::CONTENT_LENGTH)
            .iter()
            .collect();
        match values.as_slice() {
            [] => true,
            [v] => {
                !v.is_empty()
                    && v.as_bytes().iter().all(u8::is_ascii_digit)
                    && v.to_str().unwrap().parse::<u64>() == Ok(body.len() as u64)
            }
            _ => false,
        }
    };
    let text_headers: &[Name] = if gitlab {
        &GITLAB_TEXT_HEADERS
    } else {
        &TEXT_HEADERS
    };
    // The instance, when sent, must be an origin. (Its parser is fuzzed on
    // its own, in `instance_origin`; no instances are configured here, so
    // any origin uses the default keys.)
    let instance_ok = !gitlab
        || headers
            .get(gitlab::INSTANCE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|text| InstanceOrigin::parse(text).is_ok());
    let expect_accept = method == Method::POST
        && text_headers
            .iter()
            .enumerate()
            .all(|(i, n)| text_ok(&n.header(), i == 0))
        && instance_ok
        && !matching_keys.is_empty()
        && length_ok
        && body.len() <= limit
        && input.end != End::Error;

    // Run the layer.
    let calls: Calls = Arc::default();
    let builder = if gitlab {
        Verifier::builder().gitlab(GitLab::new().default_keys(ring))
    } else {
        Verifier::builder().github(GitHub::new(ring))
    };
    let verifier = builder.body_limit(limit).build().unwrap();
    let mut service = WebhookLayer::new(verifier)
        .body_timeout(Duration::from_secs(600))
        .layer(Inner(calls.clone()));
    let mut request = Request::new(Frames {
        frames: frames.into(),
        pending: input.pending,
        end: Some(input.end),
    });
    *request.method_mut() = method;
    *request.headers_mut() = headers.clone();
    let (status, text) = RUNTIME.with(|rt| {
        rt.block_on(async {
            std::future::poll_fn(|cx| Service::<Request<Frames>>::poll_ready(&mut service, cx))
                .await
                .unwrap();
            let response = service.call(request).await.unwrap();
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8(bytes.to_vec()).unwrap())
        })
    });

    let calls = calls.lock().unwrap();
    if expect_accept {
        assert_eq!((status, text.as_str()), (200, "handled"), "{headers:?}");
        assert_eq!(calls.len(), 1, "the inner service runs exactly once");
        let (event, seen) = &calls[0];
        assert_eq!(
            seen.as_ref(),
            body.as_slice(),
            "the inner service sees exactly the bytes sent"
        );
        let event_header = if gitlab { gitlab::EVENT } else { github::EVENT };
        assert_eq!(
            Some(event.name()),
            headers.get(event_header).map(|v| v.to_str().unwrap())
        );
        assert!(matching_keys.iter().any(|k| k == event.key_label()));
        let text = |name: HeaderName| headers.get(name).map(|v| v.to_str().unwrap());
        let delivery = if gitlab {
            text(standard::ID)
                .or(text(gitlab::IDEMPOTENCY_KEY))
                .or(text(gitlab::EVENT_UUID))
        } else {
            text(github::DELIVERY)
        };
        assert_eq!(event.delivery(), delivery);
    } else {
        assert!(
            calls.is_empty(),
            "rejected ({status} {text:?}) but the inner service ran"
        );
        let code = text.split(':').next().unwrap();
        let (_, expected_status) = REASONS
            .iter()
            .find(|(c, _)| *c == code)
            .unwrap_or_else(|| panic!("unknown rejection body {text:?} ({status}); {headers:?}"));
        assert_eq!(status, *expected_status, "{text:?}");
        assert!(text.ends_with('\n') && text.lines().count() == 1);
        if code == "signature_mismatch" || code == "token_mismatch" {
            assert!(matching_keys.is_empty());
        }
        for tag in &tags {
            assert!(
                !text.contains(&to_hex(tag)),
                "a rejection never shows a signature"
            );
        }
    }
});
