//! The verify path: the whole layer, driven with `tower::ServiceExt::oneshot`
//! (full body with `Content-Length`, no-op inner service), against raw
//! HMAC-SHA256 over the same bytes with a pre-keyed state cloned per
//! iteration, in the same run. Also GitLab's token and signing-token
//! (Standard Webhooks) paths, and key rotation in the worst case.
//!
//! `cargo bench --all-features --bench verify`; a summary table with the
//! ratios is printed at the end.

mod support;

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, BenchmarkGroup, Criterion, measurement::WallTime};
use http::{HeaderMap, StatusCode};
use tower::{Layer, ServiceExt};
use tower_webhooks::provider::standard::{self, Clock};
use tower_webhooks::test_util::GitLabDelivery;
use tower_webhooks::{GitLab, GitLabKeys, KeyRing, Secret, Verifier, WebhookLayer};

use support::*;

const TOKEN: &str = "glpat-bench-token-0123456789";
const SIGNING_KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP: i64 = 1_614_265_330;

fn main() {
    let estimates = Estimates::new();
    let mut c = criterion();
    let rt = runtime();
    github_sizes(&mut c, &rt);
    gitlab_paths(&mut c, &rt);
    rotation(&mut c, &rt);
    c.final_summary();
    if !test_mode() {
        summary(&estimates);
    }
}

/// Times `oneshot` of `layer` around the no-op service on fresh requests
/// (built outside the timing), checking once that it answers `expect`.
fn bench_layer(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    id: &str,
    layer: &WebhookLayer,
    headers: &HeaderMap,
    body: &Bytes,
    expect: StatusCode,
) {
    let service = layer.layer(noop());
    let response = rt
        .block_on(service.clone().oneshot(full_request(headers, body)))
        .unwrap();
    assert_eq!(response.status(), expect, "{id}: unexpected status");
    group.bench_function(id, |b| {
        b.iter_batched(
            || full_request(headers, body),
            |request| rt.block_on(service.clone().oneshot(request)).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

fn raw(group: &mut BenchmarkGroup<'_, WallTime>, secret: &[u8], parts: &[&[u8]]) {
    let keyed = keyed_mac(secret);
    group.bench_function("raw_hmac", |b| {
        b.iter(|| raw_mac(&keyed, black_box(parts)))
    });
}

fn github_sizes(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let layer = WebhookLayer::github(KeyRing::single(Secret::new(SECRET).unwrap()));
    let untimed = layer.clone().without_body_timeout();
    for (len, name) in SIZES {
        let body = body(len);
        let headers = github_headers(&body);
        let mut group = c.benchmark_group(format!("github_{name}"));
        if len >= MIB {
            group.sample_size(10);
        }
        raw(&mut group, SECRET.as_bytes(), &[&body]);
        bench_layer(&mut group, rt, "layer", &layer, &headers, &body, StatusCode::OK);
        if len <= 25 * KIB {
            bench_layer(
                &mut group,
                rt,
                "layer_no_timeout",
                &untimed,
                &headers,
                &body,
                StatusCode::OK,
            );
        }
        if len == 64 {
            // What the harness alone costs: oneshot of the no-op service
            // with no layer, on the same runtime.
            let inner = noop();
            group.bench_function("inner_only", |b| {
                b.iter_batched(
                    || support::request(&headers, body.clone()),
                    |request| {
                        rt.block_on(inner.clone().oneshot(request.map(|b| {
                            tower_webhooks::VerifiedBody::new(b)
                        })))
                        .unwrap()
                    },
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }
}

fn gitlab_paths(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let body = body(25 * KIB);
    let mut group = c.benchmark_group("gitlab_25KiB");
    raw(&mut group, SECRET.as_bytes(), &[&body]);

    let token = WebhookLayer::gitlab(KeyRing::single(Secret::new(TOKEN).unwrap()));
    let headers = with_length(
        GitLabDelivery::new("Push Hook", body.clone())
            .token(TOKEN)
            .event_uuid("2d8a2ab0-9a5f-4d1c-9f0a-8d4a0b1f4c2e")
            .headers(),
        body.len(),
    );
    bench_layer(&mut group, rt, "token", &token, &headers, &body, StatusCode::OK);

    // GitLab 19 signing tokens (Standard Webhooks): the MAC covers
    // `{id}.{timestamp}.` and the body; its raw baseline covers the same.
    let key = standard::signing_key(SIGNING_KEY).unwrap();
    let prefix = format!("{MSG_ID}.{TIMESTAMP}.");
    raw_named(
        &mut group,
        "raw_hmac_signed",
        key.expose(),
        &[prefix.as_bytes(), &body],
    );
    let verifier = Verifier::builder()
        .gitlab(
            GitLab::new()
                .default_keys(GitLabKeys::signing(KeyRing::single(key.clone())))
                .clock(Clock::fixed(TIMESTAMP)),
        )
        .build()
        .unwrap();
    let signed = WebhookLayer::new(verifier);
    let headers = with_length(
        GitLabDelivery::new("Push Hook", body.clone())
            .signed(key.expose(), MSG_ID, TIMESTAMP)
            .headers(),
        body.len(),
    );
    bench_layer(&mut group, rt, "signed", &signed, &headers, &body, StatusCode::OK);
    group.finish();
}

fn raw_named(group: &mut BenchmarkGroup<'_, WallTime>, id: &str, secret: &[u8], parts: &[&[u8]]) {
    let keyed = keyed_mac(secret);
    group.bench_function(id, |b| b.iter(|| raw_mac(&keyed, black_box(parts))));
}

/// 1, 2 and 4 active keys, none of which signed the delivery: every key's
/// MAC is computed and compared, then 401.
fn rotation(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let body = body(25 * KIB);
    let headers = github_headers(&body); // signed with SECRET, which no ring holds
    let mut group = c.benchmark_group("rotation_25KiB");
    raw(&mut group, SECRET.as_bytes(), &[&body]);
    for n in [1, 2, 4] {
        let keys = KeyRing::from_keys(
            (0..n).map(|i| (format!("key-{i}"), Secret::new(format!("other secret {i}")).unwrap())),
        )
        .unwrap();
        let layer = WebhookLayer::github(keys);
        bench_layer(
            &mut group,
            rt,
            &format!("keys_{n}"),
            &layer,
            &headers,
            &body,
            StatusCode::UNAUTHORIZED,
        );
    }
    group.finish();
}

fn summary(e: &Estimates) {
    let mut rows = Vec::new();
    for (len, name) in SIZES {
        let group = format!("github_{name}");
        let raw = e.ns(&group, "raw_hmac", "");
        let layer = e.ns(&group, "layer", "");
        let untimed = e.ns(&group, "layer_no_timeout", "");
        let (ratio, target) = match (raw, layer) {
            (Some(r), Some(l)) if len >= 25 * KIB => (
                format!("{:.3}x", l / r),
                format!("≤ 1.10x: {}", verdict(l / r <= 1.10)),
            ),
            (Some(r), Some(l)) if len == 64 => (
                format!("{:.3}x (+{})", l / r, time(l - r)),
                format!("≤ +1.5 µs: {}", verdict(l - r <= 1500.0)),
            ),
            (Some(r), Some(l)) => (format!("{:.3}x (+{})", l / r, time(l - r)), "-".into()),
            _ => ("not run".into(), "-".into()),
        };
        rows.push(vec![
            name.to_owned(),
            or_missing(raw.map(time)),
            or_missing(layer.map(time)),
            untimed.map_or("-".into(), time),
            ratio,
            target,
        ]);
    }
    print_table(
        "Verify path (GitHub, oneshot, full body)",
        &[
            "body",
            "raw HMAC",
            "layer",
            "layer, no deadline",
            "layer / raw",
            "target",
        ],
        &rows,
    );
    if let Some(inner) = e.ns("github_64B", "inner_only", "") {
        println!("\nHarness alone (oneshot of the no-op service, no layer): {}", time(inner));
    }

    let g = "gitlab_25KiB";
    let raw = e.ns(g, "raw_hmac", "");
    let raw_signed = e.ns(g, "raw_hmac_signed", "");
    let mut rows = Vec::new();
    if let (Some(r), Some(t)) = (raw, e.ns(g, "token", "")) {
        rows.push(vec![
            "GitLab token (no MAC)".into(),
            time(r),
            time(t),
            format!("{:.3}x", t / r),
            format!("≤ 1.10x: {}", verdict(t / r <= 1.10)),
        ]);
    }
    if let (Some(r), Some(s)) = (raw_signed, e.ns(g, "signed", "")) {
        rows.push(vec![
            "GitLab signing token (Standard Webhooks)".into(),
            time(r),
            time(s),
            format!("{:.3}x", s / r),
            format!("≤ 1.10x: {}", verdict(s / r <= 1.10)),
        ]);
    }
    print_table(
        "GitLab paths, 25 KiB",
        &["path", "raw HMAC (same bytes)", "layer", "layer / raw", "target"],
        &rows,
    );

    let g = "rotation_25KiB";
    let mut rows = Vec::new();
    if let Some(r) = e.ns(g, "raw_hmac", "") {
        for n in [1, 2, 4] {
            if let Some(t) = e.ns(g, &format!("keys_{n}"), "") {
                rows.push(vec![
                    n.to_string(),
                    time(r),
                    time(t),
                    format!("{:.3}x", t / r),
                    format!("{:.3}x", t / r / n as f64),
                ]);
            }
        }
    }
    print_table(
        "Rotation, 25 KiB, no key matches (401)",
        &["active keys", "raw HMAC (1 key)", "layer", "layer / raw", "per key"],
        &rows,
    );
}
