//! Early rejection: forged requests that the header stage refuses (missing
//! signature header, wrong GitLab token, unknown GitLab instance) carrying a
//! 25 MiB body and a 64 B body. The time must not depend on the body size:
//! no body byte is read.
//!
//! `cargo bench --all-features --bench rejection`; a summary table with the
//! ratios is printed at the end.

mod support;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use criterion::{BatchSize, Criterion};
use http::{HeaderMap, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use tower::{Layer, ServiceExt};
use tower_webhooks::provider::github;
use tower_webhooks::test_util::GitLabDelivery;
use tower_webhooks::{GitLab, InstanceOrigin, KeyRing, Reason, Secret, Verifier, WebhookLayer};

use support::*;

const TOKEN: &str = "glpat-bench-token-0123456789";

const SIZES: [(usize, &str); 2] = [(64, "64B"), (25 * MIB, "25MiB")];

/// A full body that records whether it was ever polled.
struct Watched {
    inner: Full<Bytes>,
    polled: Arc<AtomicBool>,
}

impl Body for Watched {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.polled.store(true, Ordering::Relaxed);
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

struct Case {
    id: &'static str,
    layer: WebhookLayer,
    headers: fn(&Bytes) -> HeaderMap,
    reason: Reason,
}

fn cases() -> Vec<Case> {
    let github = WebhookLayer::github(KeyRing::single(Secret::new(SECRET).unwrap()));
    let gitlab = WebhookLayer::gitlab(KeyRing::single(Secret::new(TOKEN).unwrap()));
    let instances_only = WebhookLayer::new(
        Verifier::builder()
            .gitlab(GitLab::new().instance(
                InstanceOrigin::parse("https://gitlab.example.com").unwrap(),
                KeyRing::single(Secret::new(TOKEN).unwrap()),
            ))
            .build()
            .unwrap(),
    );
    vec![
        Case {
            id: "missing_signature",
            layer: github,
            headers: |body| {
                let mut headers = github_headers(body);
                headers.remove(github::SIGNATURE);
                headers
            },
            reason: Reason::SignatureMissing,
        },
        Case {
            id: "wrong_gitlab_token",
            layer: gitlab,
            headers: |body| {
                with_length(
                    GitLabDelivery::new("Push Hook", body.clone())
                        .token("glpat-forged-token-9876543210")
                        .headers(),
                    body.len(),
                )
            },
            reason: Reason::TokenMismatch,
        },
        Case {
            id: "unknown_instance",
            layer: instances_only,
            headers: |body| {
                with_length(
                    GitLabDelivery::new("Push Hook", body.clone())
                        .token(TOKEN)
                        .instance("https://forged.example.net")
                        .headers(),
                    body.len(),
                )
            },
            reason: Reason::UnknownInstance,
        },
    ]
}

fn main() {
    let estimates = Estimates::new();
    let mut c = criterion();
    let rt = runtime();
    let cases = cases();
    bench(&mut c, &rt, &cases);
    c.final_summary();
    if !test_mode() {
        let paired: Vec<(f64, f64)> = cases
            .iter()
            .map(|case| {
                let service = case.layer.layer(noop());
                let [small, large] = SIZES.map(|(len, _)| {
                    let body = body(len);
                    ((case.headers)(&body), body)
                });
                paired(
                    rounds(),
                    (
                        || full_request(&small.0, &small.1),
                        |request| rt.block_on(service.clone().oneshot(request)).unwrap(),
                    ),
                    (
                        || full_request(&large.0, &large.1),
                        |request| rt.block_on(service.clone().oneshot(request)).unwrap(),
                    ),
                )
            })
            .collect();
        summary(&estimates, &cases, &paired);
    }
}

fn bench(c: &mut Criterion, rt: &tokio::runtime::Runtime, cases: &[Case]) {
    for case in cases {
        let mut group = c.benchmark_group(format!("reject_{}", case.id));
        for (len, name) in SIZES {
            let body = body(len);
            let headers = (case.headers)(&body);
            let service = case.layer.layer(noop());

            // Once, checked: the right rejection, and no body byte read.
            let polled = Arc::new(AtomicBool::new(false));
            let watched = Watched {
                inner: Full::new(body.clone()),
                polled: polled.clone(),
            };
            let response = rt
                .block_on(service.clone().oneshot(support::request(&headers, watched)))
                .unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{}", case.id);
            assert!(
                !polled.load(Ordering::Relaxed),
                "{}: body was read",
                case.id
            );
            let verdict = case.layer.verifier().begin(&http::Method::POST, &headers);
            assert!(
                matches!(&verdict, Err(r) if r.reason() == case.reason),
                "{}: not rejected with {:?}",
                case.id,
                case.reason
            );

            group.bench_function(name, |b| {
                b.iter_batched(
                    || full_request(&headers, &body),
                    |request| rt.block_on(service.clone().oneshot(request)).unwrap(),
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }
}

fn summary(e: &Estimates, cases: &[Case], paired: &[(f64, f64)]) {
    let mut rows = Vec::new();
    for (case, (small_best, large_best)) in cases.iter().zip(paired) {
        let group = format!("reject_{}", case.id);
        let small = e.ns(&group, "64B", "");
        let large = e.ns(&group, "25MiB", "");
        let ratio = large_best / small_best;
        rows.push(vec![
            case.id.to_owned(),
            case.reason.code().to_owned(),
            or_missing(small.map(time)),
            or_missing(large.map(time)),
            match (small, large) {
                (Some(s), Some(l)) => format!("{:.3}x", l / s),
                _ => "not run".into(),
            },
            time(*small_best),
            time(*large_best),
            format!("{ratio:.3}x"),
            format!("≤ 2x: {}", verdict(ratio <= 2.0)),
        ]);
    }
    print_table(
        "Early rejection (401 from the headers, no body byte read)",
        &[
            "forgery",
            "reason",
            "64 B body (criterion)",
            "25 MiB body (criterion)",
            "ratio (criterion)",
            "64 B (paired best)",
            "25 MiB (paired best)",
            "ratio (paired)",
            "target",
        ],
        &rows,
    );
}
