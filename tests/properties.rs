//! Property tests for the invariants the fuzz targets check, run with the
//! normal test suite: the header parsers never panic and are bounded,
//! origin normalization is idempotent, a GitHub delivery is accepted if and
//! only if an independently computed HMAC-SHA256 matches its header, and the
//! inner service is handed exactly the bytes sent, once.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use http_body::{Body, Frame};
use proptest::prelude::*;
use tower::{Layer, ServiceExt};
use tower_webhooks::provider::github::{self, parse_signature};
use tower_webhooks::provider::standard::{MAX_SIGNATURES, parse_signatures};
use tower_webhooks::{
    Event, InstanceOrigin, KeyRing, Reason, Secret, VerifiedBody, Verifier, WebhookLayer,
};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// HMAC-SHA256 straight from `hmac` and `sha2`, not through the crate.
fn independent_mac(key: &[u8], body: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().into()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A body that yields the given frames in order.
struct Frames(VecDeque<Bytes>);

impl Body for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
    }
}

/// Splits `body` at the given cut points (taken modulo its length).
fn split(body: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let mut cuts: Vec<usize> = cuts
        .iter()
        .map(|c| if body.is_empty() { 0 } else { c % body.len() })
        .collect();
    cuts.sort_unstable();
    let mut frames = Vec::new();
    let mut start = 0;
    for cut in cuts {
        frames.push(Bytes::copy_from_slice(&body[start..cut]));
        start = cut;
    }
    frames.push(Bytes::copy_from_slice(&body[start..]));
    frames
}

type Seen = Arc<Mutex<Vec<(Event, Bytes)>>>;

/// Sends `frames` with `headers` through a `WebhookLayer` around a
/// recording service; returns the status and what the service saw.
fn through_layer(
    verifier: Verifier,
    headers: HeaderMap,
    frames: Vec<Bytes>,
) -> (u16, Vec<(Event, Bytes)>) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let inner = tower::service_fn(move |request: Request<VerifiedBody>| {
        let record = record.clone();
        async move {
            let event = request.extensions().get::<Event>().cloned().unwrap();
            record
                .lock()
                .unwrap()
                .push((event, request.into_body().into_bytes()));
            Ok::<_, Infallible>(Response::new(http_body_util::Empty::<Bytes>::new()))
        }
    });
    let service = WebhookLayer::new(verifier)
        .without_body_timeout()
        .layer(inner);
    let mut request = Request::new(Frames(frames.into()));
    *request.method_mut() = Method::POST;
    *request.headers_mut() = headers;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let response = runtime.block_on(service.oneshot(request)).unwrap();
    let seen = seen.lock().unwrap().clone();
    (response.status().as_u16(), seen)
}

/// What a signature header holds in a generated case.
#[derive(Debug, Clone)]
enum Sig {
    Valid,
    Uppercase,
    OtherSecret(Vec<u8>),
    FlipBit(usize),
    Text(String),
}

fn sig_strategy() -> impl Strategy<Value = Sig> {
    prop_oneof![
        3 => Just(Sig::Valid),
        1 => Just(Sig::Uppercase),
        1 => prop::collection::vec(any::<u8>(), 1..40).prop_map(Sig::OtherSecret),
        2 => (0usize..256).prop_map(Sig::FlipBit),
        2 => "[ -~]{0,80}".prop_map(Sig::Text),
        1 => "sha256=[0-9a-fA-Fg ]{60,68}".prop_map(Sig::Text),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any bytes: no panic; accepted exactly when `sha256=` and 64 hex.
    #[test]
    fn github_signature_parser_total(value in prop::collection::vec(any::<u8>(), 0..200)) {
        let well_formed = value.len() == 71
            && value.starts_with(b"sha256=")
            && value[7..].iter().all(u8::is_ascii_hexdigit);
        prop_assert_eq!(parse_signature(&value).is_ok(), well_formed);
    }

    /// Every tag round-trips, in either hex case.
    #[test]
    fn github_signature_round_trip(tag in any::<[u8; 32]>(), upper in any::<bool>()) {
        let hex = if upper { to_hex(&tag).to_ascii_uppercase() } else { to_hex(&tag) };
        prop_assert_eq!(parse_signature(format!("sha256={hex}").as_bytes()), Ok(tag));
        prop_assert_eq!(parse_signature(format!("SHA256={hex}").as_bytes()), Err(Reason::SignatureMalformed));
    }

    /// Any bytes: no panic, and never more than `MAX_SIGNATURES` tags.
    #[test]
    fn standard_signature_parser_bounded(value in prop::collection::vec(any::<u8>(), 0..600)) {
        match parse_signatures(&value) {
            Ok(tags) => prop_assert!(tags.len() <= MAX_SIGNATURES),
            Err(reason) => prop_assert_eq!(reason, Reason::SignatureMalformed),
        }
    }

    /// A list of up to `MAX_SIGNATURES` entries parses to its `v1` tags in
    /// order; one entry more is refused.
    #[test]
    fn standard_signature_lists(
        tags in prop::collection::vec(any::<[u8; 32]>(), 1..=MAX_SIGNATURES),
        other in prop::collection::vec(0usize..MAX_SIGNATURES, 0..4),
    ) {
        let mut entries: Vec<String> = tags.iter().map(|t| format!("v1,{}", b64(t))).collect();
        // Entries of other versions take room in the list but yield no tag.
        let kept = tags.clone();
        for at in other {
            if entries.len() < MAX_SIGNATURES {
                entries.insert(at.min(entries.len()), "v2,c29tZXRoaW5n".into());
            }
        }
        prop_assert_eq!(parse_signatures(entries.join(" ").as_bytes()), Ok(kept));
        entries.extend(std::iter::repeat_n("v1,".to_string() + &b64(&tags[0]), MAX_SIGNATURES + 1 - entries.len()));
        prop_assert_eq!(parse_signatures(entries.join(" ").as_bytes()), Err(Reason::SignatureMalformed));
    }

    /// Any text: no panic; an accepted origin is in normal form, parses to
    /// itself, and does not depend on case.
    #[test]
    fn instance_origin_idempotent(text in prop_oneof![
        any::<String>(),
        "(?i)(https?|ftp)://[a-z0-9._@:\\[\\]/-]{0,40}",
    ]) {
        if let Ok(origin) = InstanceOrigin::parse(&text) {
            let normal = origin.as_str();
            prop_assert_eq!(InstanceOrigin::parse(normal), Ok(origin.clone()));
            prop_assert_eq!(normal.to_ascii_lowercase(), normal);
            prop_assert!(normal.starts_with("https://") || normal.starts_with("http://"));
            prop_assert!(!normal.ends_with('/'));
            prop_assert_eq!(InstanceOrigin::parse(&text.to_ascii_uppercase()), Ok(origin));
        }
    }

    /// Generated origins normalize to scheme and host in lowercase, without
    /// the default port or a trailing slash.
    #[test]
    fn instance_origin_normal_form(
        https in any::<bool>(),
        host in "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\\.[a-z0-9]{1,10}){0,3}",
        port in prop::option::of(1u16..),
        shout in any::<bool>(),
        slash in any::<bool>(),
    ) {
        let scheme = if https { "https" } else { "http" };
        let default = if https { 443 } else { 80 };
        let mut text = format!("{scheme}://{host}");
        if let Some(port) = port {
            text += &format!(":{port}");
        }
        if slash {
            text.push('/');
        }
        if shout {
            text = text.to_ascii_uppercase();
        }
        let expected = match port {
            Some(port) if port != default => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        };
        let origin = InstanceOrigin::parse(&text).unwrap();
        prop_assert_eq!(origin.as_str(), expected);
    }

    /// GitHub, through the layer with the body in arbitrary frames: accepted
    /// if and only if the independent HMAC of the bytes under one of the
    /// keys matches the header; then the service saw exactly those bytes,
    /// once. Rejected deliveries never reach it.
    #[test]
    fn github_accepts_iff_independent_hmac_matches(
        secrets in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..80), 1..3),
        signer in any::<prop::sample::Index>(),
        body in prop::collection::vec(any::<u8>(), 0..3000),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
        sig in sig_strategy(),
    ) {
        let key = &secrets[signer.index(secrets.len())];
        let value = match &sig {
            Sig::Valid => format!("sha256={}", to_hex(&independent_mac(key, &body))),
            Sig::Uppercase => format!("sha256={}", to_hex(&independent_mac(key, &body)).to_ascii_uppercase()),
            Sig::OtherSecret(other) => format!("sha256={}", to_hex(&independent_mac(other, &body))),
            Sig::FlipBit(bit) => {
                let mut tag = independent_mac(key, &body);
                tag[bit / 8] ^= 1 << (bit % 8);
                format!("sha256={}", to_hex(&tag))
            }
            Sig::Text(text) => text.clone(),
        };
        // The oracle, from the header text and the bytes alone.
        let matches = value.strip_prefix("sha256=").is_some_and(|hex| {
            secrets.iter().any(|s| hex.to_ascii_lowercase() == to_hex(&independent_mac(s, &body)))
        });

        let ring = KeyRing::from_keys(
            secrets.iter().enumerate().map(|(i, s)| (format!("k{i}"), Secret::new(s).unwrap())),
        );
        let verifier = Verifier::github(ring.unwrap());
        let mut headers = HeaderMap::new();
        headers.insert(github::EVENT, HeaderValue::from_static("push"));
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(github::SIGNATURE, v);
        }

        // The core, whole body at once.
        let verdict = verifier.verify(&Method::POST, &headers, &body);
        prop_assert_eq!(verdict.is_ok(), matches, "{:?}", verdict);

        // The layer, body in frames.
        let frames = split(&body, &cuts);
        let (status, seen) = through_layer(verifier, headers, frames);
        if matches {
            prop_assert_eq!(status, 200);
            prop_assert_eq!(seen.len(), 1);
            prop_assert_eq!(&seen[0].1[..], &body[..]);
        } else {
            prop_assert!(status == 400 || status == 401, "status {}", status);
            prop_assert!(seen.is_empty());
        }
    }

    /// GitLab token mode: accepted if and only if the header is exactly one
    /// of the tokens, decided before the body; then the body is handed on
    /// exactly.
    #[test]
    fn gitlab_token_accepts_iff_equal(
        tokens in prop::collection::vec("[!-~]{1,40}", 1..3),
        sent in prop_oneof![
            2 => Just(None),
            1 => "[!-~][ -~]{0,38}[!-~]".prop_map(Some),
        ],
        pick in any::<prop::sample::Index>(),
        body in prop::collection::vec(any::<u8>(), 0..2000),
        cuts in prop::collection::vec(any::<usize>(), 0..4),
    ) {
        let token = sent.unwrap_or_else(|| tokens[pick.index(tokens.len())].clone());
        let ring = KeyRing::from_keys(
            tokens.iter().enumerate().map(|(i, t)| (format!("t{i}"), Secret::new(t).unwrap())),
        )
        .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-gitlab-event", HeaderValue::from_static("Push Hook"));
        headers.insert("x-gitlab-token", HeaderValue::from_str(&token).unwrap());
        let (status, seen) = through_layer(Verifier::gitlab(ring), headers, split(&body, &cuts));
        if tokens.contains(&token) {
            prop_assert_eq!(status, 200);
            prop_assert_eq!(seen.len(), 1);
            prop_assert_eq!(&seen[0].1[..], &body[..]);
        } else {
            prop_assert_eq!(status, 401);
            prop_assert!(seen.is_empty());
        }
    }
}
