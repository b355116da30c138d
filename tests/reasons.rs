//! Every reason code, each produced by a request that the inner service
//! never sees.
#![cfg(feature = "test-util")]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use common::Recorder;
use common::bodies::{Failing, Stalling};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use tower::{Layer, ServiceExt};
use tower_webhooks::provider::standard::{Clock, signing_key};
use tower_webhooks::test_util::{GitHubDelivery, GitLabDelivery};
use tower_webhooks::{
    GitHub, GitLab, GitLabKeys, InstanceOrigin, KeyRing, Secret, Verifier, WebhookLayer,
};

const GH_SECRET: &str = "gh-secret-Qx7";
const GL_TOKEN: &str = "gl-token-Zp9";
const SIGNING: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW: i64 = 1_800_000_000;

fn ring(secret: &str) -> KeyRing {
    KeyRing::single(Secret::new(secret).unwrap())
}

/// Accepts both providers: GitHub with one secret, GitLab with a default
/// token and one instance that signs.
fn both() -> WebhookLayer {
    let signed = GitLabKeys::signing(KeyRing::single(signing_key(SIGNING).unwrap()));
    let verifier = Verifier::builder()
        .github(GitHub::new(ring(GH_SECRET)))
        .gitlab(
            GitLab::new()
                .default_keys(ring(GL_TOKEN))
                .instance(
                    InstanceOrigin::parse("https://signed.example").unwrap(),
                    signed,
                )
                .clock(Clock::fixed(NOW)),
        )
        .body_limit(1024)
        .build()
        .unwrap();
    WebhookLayer::new(verifier).body_timeout(Duration::from_millis(50))
}

/// GitLab with one listed instance and no default.
fn listed_only() -> WebhookLayer {
    let verifier = Verifier::builder()
        .gitlab(GitLab::new().instance(
            InstanceOrigin::parse("https://a.example").unwrap(),
            ring(GL_TOKEN),
        ))
        .build()
        .unwrap();
    WebhookLayer::new(verifier)
}

async fn run<B>(layer: &WebhookLayer, request: Request<B>) -> (StatusCode, String, usize)
where
    B: Body + Send + 'static,
{
    let recorder = Recorder::default();
    let response = layer
        .layer(recorder.service())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&body).into_owned(),
        recorder.count(),
    )
}

fn github() -> GitHubDelivery {
    GitHubDelivery::new("push", "{}").secret(GH_SECRET)
}

fn gitlab() -> GitLabDelivery {
    GitLabDelivery::new("Push Hook", "{}").token(GL_TOKEN)
}

fn signed(timestamp: &str) -> Request<Full<Bytes>> {
    let key = signing_key(SIGNING).unwrap();
    let mut request = GitLabDelivery::new("Push Hook", "{}")
        .instance("https://signed.example")
        .signed(key.expose(), "msg_1", NOW)
        .into_request();
    if timestamp.is_empty() {
        request.headers_mut().remove("webhook-timestamp");
    } else {
        request.headers_mut().insert(
            "webhook-timestamp",
            HeaderValue::from_str(timestamp).unwrap(),
        );
    }
    request
}

fn with<B>(mut request: Request<B>, f: impl FnOnce(&mut Request<B>)) -> Request<B> {
    f(&mut request);
    request
}

fn rebody<B>(request: Request<Full<Bytes>>, body: B) -> Request<B> {
    let (parts, _) = request.into_parts();
    Request::from_parts(parts, body)
}

#[tokio::test]
async fn every_reason_code_is_produced_and_the_inner_service_never_runs() {
    let logs = common::CapturedLogs::default();
    let _guard = logs.install();
    let layer = both();
    let mut seen = BTreeSet::new();
    let mut warnings_before = 0;
    let mut check = |code: &'static str, status: u16, got: (StatusCode, String, usize)| {
        assert_eq!(got.0.as_u16(), status, "{code}: status, body {:?}", got.1);
        assert!(
            got.1.starts_with(&format!("{code}: ")),
            "{code}: body {:?}",
            got.1
        );
        assert_eq!(got.2, 0, "{code}: the inner service ran");
        // Exactly one WARN event per rejection, naming the reason.
        let text = logs.text();
        let warnings: Vec<&str> = text.lines().filter(|l| l.contains(" WARN ")).collect();
        assert_eq!(
            warnings.len(),
            warnings_before + 1,
            "{code}: one WARN event\n{text}"
        );
        let last = warnings.last().unwrap();
        assert!(
            last.contains(&format!("reason=\"{code}\"")),
            "{code}: {last}"
        );
        warnings_before = warnings.len();
        seen.insert(code);
    };

    // The valid requests these are bent from do pass.
    assert_eq!(run(&layer, github().into_request()).await.2, 1);
    assert_eq!(run(&layer, gitlab().into_request()).await.2, 1);
    assert_eq!(run(&layer, signed(&NOW.to_string())).await.2, 1);

    check(
        "method_not_allowed",
        405,
        run(
            &layer,
            with(github().into_request(), |r| *r.method_mut() = Method::GET),
        )
        .await,
    );
    check(
        "provider_unknown",
        400,
        run(
            &layer,
            Request::post("/").body(Full::new(Bytes::new())).unwrap(),
        )
        .await,
    );
    check(
        "provider_ambiguous",
        400,
        run(
            &layer,
            with(github().into_request(), |r| {
                r.headers_mut()
                    .insert("x-gitlab-event", HeaderValue::from_static("Push Hook"));
            }),
        )
        .await,
    );
    check(
        "header_malformed",
        400,
        run(
            &layer,
            with(github().into_request(), |r| {
                r.headers_mut().insert(
                    "x-github-event",
                    HeaderValue::from_bytes(b"pu\xffsh").unwrap(),
                );
            }),
        )
        .await,
    );
    check(
        "header_duplicated",
        400,
        run(
            &layer,
            with(github().into_request(), |r| {
                let sig = r.headers()["x-hub-signature-256"].clone();
                r.headers_mut().append("x-hub-signature-256", sig);
            }),
        )
        .await,
    );
    check(
        "event_missing",
        400,
        run(
            &layer,
            with(github().into_request(), |r| {
                r.headers_mut().remove("x-github-event");
            }),
        )
        .await,
    );
    check(
        "signature_missing",
        401,
        run(
            &layer,
            with(github().into_request(), |r| {
                r.headers_mut().remove("x-hub-signature-256");
                r.headers_mut().insert(
                    "x-hub-signature",
                    HeaderValue::from_static("sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"),
                );
            }),
        )
        .await,
    );
    check(
        "signature_malformed",
        400,
        run(
            &layer,
            with(github().into_request(), |r| {
                let sig = r.headers()["x-hub-signature-256"]
                    .to_str()
                    .unwrap()
                    .replace("sha256=", "sha1=");
                r.headers_mut()
                    .insert("x-hub-signature-256", HeaderValue::from_str(&sig).unwrap());
            }),
        )
        .await,
    );
    check(
        "signature_mismatch",
        401,
        run(
            &layer,
            GitHubDelivery::new("push", "{}")
                .secret("not the secret")
                .into_request(),
        )
        .await,
    );
    check(
        "token_missing",
        401,
        run(
            &layer,
            GitLabDelivery::new("Push Hook", "{}").into_request(),
        )
        .await,
    );
    check(
        "token_mismatch",
        401,
        run(
            &layer,
            GitLabDelivery::new("Push Hook", "{}")
                .token("gl-token-Zp8")
                .into_request(),
        )
        .await,
    );
    check(
        "instance_malformed",
        400,
        run(
            &layer,
            gitlab()
                .instance("https://gitlab.example.com/group")
                .into_request(),
        )
        .await,
    );
    check(
        "unknown_instance",
        401,
        run(
            &listed_only(),
            gitlab().instance("https://b.example").into_request(),
        )
        .await,
    );
    check("timestamp_missing", 401, run(&layer, signed("")).await);
    check("timestamp_invalid", 401, run(&layer, signed("soon")).await);
    check(
        "timestamp_out_of_window",
        401,
        run(&layer, signed(&(NOW - 301).to_string())).await,
    );
    check(
        "content_length_invalid",
        400,
        run(
            &layer,
            with(github().into_request(), |r| {
                r.headers_mut()
                    .insert("content-length", HeaderValue::from_static("2x"));
            }),
        )
        .await,
    );
    check(
        "body_too_large",
        413,
        run(
            &layer,
            GitHubDelivery::new("push", vec![b'x'; 1025])
                .secret(GH_SECRET)
                .into_request(),
        )
        .await,
    );
    check(
        "body_timeout",
        408,
        run(
            &layer,
            rebody(
                github().into_request(),
                Stalling {
                    prefix: Some(Bytes::from_static(b"{")),
                },
            ),
        )
        .await,
    );
    check(
        "body_error",
        400,
        run(
            &layer,
            rebody(
                github().into_request(),
                Failing {
                    prefix: Some(Bytes::from_static(b"{")),
                },
            ),
        )
        .await,
    );

    let all: BTreeSet<&str> = [
        "method_not_allowed",
        "provider_unknown",
        "provider_ambiguous",
        "header_malformed",
        "header_duplicated",
        "event_missing",
        "signature_missing",
        "signature_malformed",
        "signature_mismatch",
        "token_missing",
        "token_mismatch",
        "instance_malformed",
        "unknown_instance",
        "timestamp_missing",
        "timestamp_invalid",
        "timestamp_out_of_window",
        "content_length_invalid",
        "body_too_large",
        "body_timeout",
        "body_error",
    ]
    .into();
    assert_eq!(seen, all);

    // No secret, token, signing key or signature in any log line, at TRACE.
    let text = logs.text();
    assert!(text.contains("webhook delivery rejected"));
    let signing = signing_key(SIGNING).unwrap();
    let mut forbidden = vec![
        GH_SECRET.to_owned(),
        GL_TOKEN.to_owned(),
        "gl-token-Zp8".to_owned(),
        SIGNING.to_owned(),
        SIGNING.trim_start_matches("whsec_").to_owned(),
        String::from_utf8_lossy(signing.expose()).into_owned(),
    ];
    for request in [github().into_request(), signed(&NOW.to_string())] {
        for name in ["x-hub-signature-256", "webhook-signature"] {
            if let Some(v) = request.headers().get(name) {
                let v = v.to_str().unwrap();
                forbidden.push(v.to_owned());
                forbidden.push(v.trim_start_matches("sha256=").to_owned());
            }
        }
    }
    for secret in forbidden {
        assert!(
            !text.contains(&secret),
            "a secret-bearing value appears in the logs: {secret:?}"
        );
    }
}

#[tokio::test]
async fn a_custom_rejection_response_replaces_the_default_and_the_inner_service_still_never_runs() {
    let layer = both().with_rejection_response(|rejection| {
        let mut response = http::Response::new(Bytes::from(format!(
            "{{\"error\":\"{}\"}}",
            rejection.reason().code()
        )));
        *response.status_mut() = rejection.status();
        response
    });
    let (status, body, calls) = run(
        &layer,
        GitHubDelivery::new("push", "{}")
            .secret("wrong")
            .into_request(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body, r#"{"error":"signature_mismatch"}"#);
    assert_eq!(calls, 0);
}
