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
        summary(&estimates, &rt);
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
    group.bench_function("raw_hmac", |b| b.iter(|| raw_mac(&keyed, black_box(parts))));
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
        bench_layer(
            &mut group,
            rt,
            "layer",
            &layer,
            &headers,
            &body,
            StatusCode::OK,
        );
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
                        rt.block_on(
                            inner
                                .clone()
                                .oneshot(request.map(tower_webhooks::VerifiedBody::new)),
                        )
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
    bench_layer(
        &mut group,
        rt,
        "token",
        &token,
        &headers,
        &body,
        StatusCode::OK,
    );

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
    let signed = signed_layer(&key);
    let headers = with_length(
        GitLabDelivery::new("Push Hook", body.clone())
            .signed(key.expose(), MSG_ID, TIMESTAMP)
            .headers(),
        body.len(),
    );
    bench_layer(
        &mut group,
        rt,
        "signed",
        &signed,
        &headers,
        &body,
        StatusCode::OK,
    );
    group.finish();
}

/// GitLab with a signing key, its clock pinned to the signing time.
fn signed_layer(key: &Secret) -> WebhookLayer {
    let verifier = Verifier::builder()
        .gitlab(
            GitLab::new()
                .default_keys(GitLabKeys::signing(KeyRing::single(key.clone())))
                .clock(Clock::fixed(TIMESTAMP)),
        )
        .build()
        .unwrap();
    WebhookLayer::new(verifier)
}

/// GitHub with `n` keys, none of them the one that signed.
fn rotation_layer(n: usize) -> WebhookLayer {
    let keys = KeyRing::from_keys((0..n).map(|i| {
        (
            format!("key-{i}"),
            Secret::new(format!("other secret {i}")).unwrap(),
        )
    }))
    .unwrap();
    WebhookLayer::github(keys)
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
        let layer = rotation_layer(n);
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

/// Criterion's figures and the paired best-batch figures of one case.
struct Row {
    label: String,
    criterion: (Option<f64>, Option<f64>),
    paired: (f64, f64),
}

impl Row {
    fn cells(&self) -> Vec<String> {
        let (raw, layer) = self.paired;
        vec![
            self.label.clone(),
            or_missing(self.criterion.0.map(time)),
            or_missing(self.criterion.1.map(time)),
            match self.criterion {
                (Some(r), Some(l)) => format!("{:.3}x", l / r),
                _ => "-".into(),
            },
            time(raw),
            time(layer),
            format!("{:.3}x", layer / raw),
            if layer >= raw {
                format!("+{}", time(layer - raw))
            } else {
                time(layer - raw)
            },
        ]
    }
}

const COLUMNS: [&str; 8] = [
    "case",
    "raw HMAC (criterion)",
    "layer (criterion)",
    "ratio (criterion)",
    "raw HMAC (paired best)",
    "layer (paired best)",
    "ratio (paired)",
    "overhead (paired)",
];

/// One paired measurement of `layer` on `headers`/`body` against raw
/// HMAC-SHA256 over `parts`.
fn pair(
    rt: &tokio::runtime::Runtime,
    layer: &WebhookLayer,
    headers: &HeaderMap,
    body: &Bytes,
    secret: &[u8],
    parts: &[&[u8]],
) -> (f64, f64) {
    let keyed = keyed_mac(secret);
    let service = layer.layer(noop());
    paired(
        rounds(),
        (|| (), |()| raw_mac(&keyed, black_box(parts))),
        (
            || full_request(headers, body),
            |request| rt.block_on(service.clone().oneshot(request)).unwrap(),
        ),
    )
}

fn summary(e: &Estimates, rt: &tokio::runtime::Runtime) {
    let layer = WebhookLayer::github(KeyRing::single(Secret::new(SECRET).unwrap()));
    let mut rows = Vec::new();
    for (len, name) in SIZES {
        let group = format!("github_{name}");
        let body = body(len);
        let headers = github_headers(&body);
        let row = Row {
            label: name.to_owned(),
            criterion: (e.ns(&group, "raw_hmac", ""), e.ns(&group, "layer", "")),
            paired: pair(rt, &layer, &headers, &body, SECRET.as_bytes(), &[&body]),
        };
        let (raw, layer) = row.paired;
        let mut cells = row.cells();
        cells.push(if len >= 25 * KIB {
            format!("≤ 1.10x: {}", verdict(layer / raw <= 1.10))
        } else if len == 64 {
            format!("≤ +1.5 µs: {}", verdict(layer - raw <= 1500.0))
        } else {
            "-".into()
        });
        rows.push(cells);
    }
    let mut columns = COLUMNS.to_vec();
    columns.push("target");
    print_table("Verify path (GitHub, oneshot, full body)", &columns, &rows);
    let no_deadline: Vec<String> = SIZES
        .iter()
        .filter_map(|(_, name)| {
            let group = format!("github_{name}");
            let with = e.ns(&group, "layer", "")?;
            let without = e.ns(&group, "layer_no_timeout", "")?;
            Some(format!("{name}: {} vs {}", time(with), time(without)))
        })
        .collect();
    if !no_deadline.is_empty() {
        println!(
            "\nWith vs without the body deadline (criterion): {}",
            no_deadline.join("; ")
        );
    }
    if let Some(inner) = e.ns("github_64B", "inner_only", "") {
        println!(
            "Harness alone (oneshot of the no-op service, no layer; criterion): {}",
            time(inner)
        );
    }

    // GitLab at 25 KiB.
    let g = "gitlab_25KiB";
    let body = body(25 * KIB);
    let mut rows = Vec::new();
    let token = WebhookLayer::gitlab(KeyRing::single(Secret::new(TOKEN).unwrap()));
    let token_headers = with_length(
        GitLabDelivery::new("Push Hook", body.clone())
            .token(TOKEN)
            .event_uuid("2d8a2ab0-9a5f-4d1c-9f0a-8d4a0b1f4c2e")
            .headers(),
        body.len(),
    );
    rows.push(Row {
        label: "GitLab token (no MAC; raw HMAC of the body for scale)".into(),
        criterion: (e.ns(g, "raw_hmac", ""), e.ns(g, "token", "")),
        paired: pair(
            rt,
            &token,
            &token_headers,
            &body,
            SECRET.as_bytes(),
            &[&body],
        ),
    });
    let key = standard::signing_key(SIGNING_KEY).unwrap();
    let prefix = format!("{MSG_ID}.{TIMESTAMP}.");
    let signed = signed_layer(&key);
    let signed_headers = with_length(
        GitLabDelivery::new("Push Hook", body.clone())
            .signed(key.expose(), MSG_ID, TIMESTAMP)
            .headers(),
        body.len(),
    );
    rows.push(Row {
        label: "GitLab signing token (Standard Webhooks)".into(),
        criterion: (e.ns(g, "raw_hmac_signed", ""), e.ns(g, "signed", "")),
        paired: pair(
            rt,
            &signed,
            &signed_headers,
            &body,
            key.expose(),
            &[prefix.as_bytes(), &body],
        ),
    });
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut cells = row.cells();
            cells.push(format!(
                "≤ 1.10x: {}",
                verdict(row.paired.1 / row.paired.0 <= 1.10)
            ));
            cells
        })
        .collect();
    print_table("GitLab paths, 25 KiB", &columns, &rows);

    // Rotation.
    let g = "rotation_25KiB";
    let headers = github_headers(&body);
    let mut rows = Vec::new();
    for n in [1, 2, 4] {
        let row = Row {
            label: format!("{n} key(s), none matches"),
            criterion: (e.ns(g, "raw_hmac", ""), e.ns(g, &format!("keys_{n}"), "")),
            paired: pair(
                rt,
                &rotation_layer(n),
                &headers,
                &body,
                SECRET.as_bytes(),
                &[&body],
            ),
        };
        let mut cells = row.cells();
        cells.push(format!(
            "{:.3}x per key",
            row.paired.1 / row.paired.0 / n as f64
        ));
        rows.push(cells);
    }
    let mut columns = COLUMNS.to_vec();
    columns.push("paired ratio / keys");
    print_table("Rotation, 25 KiB, no key matches (401)", &columns, &rows);
}
