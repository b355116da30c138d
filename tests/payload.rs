//! Typed payloads: every shared fixture through the real layer over TCP,
//! a property test over optional and unknown fields, form deliveries, and
//! the axum extractor's rejections.
#![cfg(all(feature = "payload", feature = "test-util", feature = "axum"))]

mod common;
#[path = "../examples/server/payload.rs"]
mod server_payload;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceBuilder;
use tower_webhooks::payload::{Payload, PayloadError, github, gitlab};
use tower_webhooks::test_util::{GitHubDelivery, GitLabDelivery};
use tower_webhooks::{
    Event, EventKind, GitHubEvent, GitLabEvent, VerifiedBody, Webhook, WebhookLayer,
};

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const GITLAB_TOKEN: &str = "gitlab secret token";

fn layer() -> WebhookLayer {
    common::layer_for_both(GITHUB_SECRET, GITLAB_TOKEN)
}

/// What the inner service saw: the event, the payload from the extensions,
/// and the body bytes.
type Seen = Arc<Mutex<Vec<(Event, Payload, Bytes)>>>;

/// The layer in front of a service that records what it was handed, served
/// by hyper on 127.0.0.1.
async fn recording_server() -> (std::net::SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let inner = tower::service_fn(move |request: Request<VerifiedBody>| {
        let record = record.clone();
        async move {
            let event = request.extensions().get::<Event>().cloned().unwrap();
            let payload = request.extensions().get::<Payload>().cloned().unwrap();
            let body = request.into_body().into_bytes();
            record.lock().unwrap().push((event, payload, body));
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"handled"))))
        }
    });
    let addr = common::serve_hyper(ServiceBuilder::new().layer(layer()).service(inner)).await;
    (addr, seen)
}

fn github_request(event: &str, body: Bytes) -> Request<Full<Bytes>> {
    GitHubDelivery::new(event, body)
        .secret(GITHUB_SECRET)
        .delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .into_request()
}

fn gitlab_request(event: &str, body: Bytes) -> Request<Full<Bytes>> {
    GitLabDelivery::new(event, body)
        .token(GITLAB_TOKEN)
        .into_request()
}

/// The typed struct of each fixture, parsed with the event-kind check.
fn parse_fixture(provider: &str, stem: &str, payload: &Payload) -> Result<(), PayloadError> {
    match (provider, stem) {
        ("github", "installation.created") => {
            let event: github::InstallationEvent = payload.parse_typed()?;
            assert!(event.installation.id > 0);
        }
        ("github", "issue_comment.created") => {
            let event: github::IssueCommentEvent = payload.parse_typed()?;
            assert!(event.comment.id > 0);
        }
        ("github", "ping") => {
            let _: github::PingEvent = payload.parse_typed()?;
        }
        ("github", "pull_request.opened") => {
            let event: github::PullRequestEvent = payload.parse_typed()?;
            assert_eq!(event.number, event.pull_request.number);
        }
        ("github", "push") => {
            let _: github::PushEvent = payload.parse_typed()?;
        }
        ("gitlab", "merge_request") => {
            let _: gitlab::MergeRequestEvent = payload.parse_typed()?;
        }
        ("gitlab", "note_merge_request") => {
            let _: gitlab::NoteEvent = payload.parse_typed()?;
        }
        ("gitlab", "push") => {
            let _: gitlab::PushEvent = payload.parse_typed()?;
        }
        ("gitlab", "tag_push") => {
            let _: gitlab::TagPushEvent = payload.parse_typed()?;
        }
        other => panic!("no typed struct listed for fixture {other:?}: add it to this test"),
    }
    Ok(())
}

fn expected_action(provider: &str, stem: &str) -> Option<&'static str> {
    match (provider, stem) {
        ("github", "installation.created") => Some("created"),
        ("github", "issue_comment.created") => Some("created"),
        ("github", "ping") => None,
        ("github", "pull_request.opened") => Some("opened"),
        ("github", "push") => None,
        ("gitlab", "merge_request") => Some("open"),
        ("gitlab", "note_merge_request") => Some("create"),
        ("gitlab", "push") => Some("push"),
        ("gitlab", "tag_push") => Some("tag_push"),
        other => panic!("no action listed for fixture {other:?}: add it to this test"),
    }
}

fn kind_of(provider: &str, stem: &str) -> EventKind {
    match provider {
        "github" => EventKind::GitHub(GitHubEvent::from_header(common::github_event_of(stem))),
        _ => EventKind::GitLab(GitLabEvent::from_header(common::gitlab_event_of(stem))),
    }
}

#[tokio::test]
async fn every_fixture_is_handed_on_with_a_payload_that_parses_to_its_typed_struct_and_action() {
    let (addr, seen) = recording_server().await;
    let mut sent = Vec::new();
    for provider in ["github", "gitlab"] {
        for (stem, bytes) in common::fixtures(provider) {
            let request = match provider {
                "github" => github_request(common::github_event_of(&stem), bytes.clone()),
                _ => gitlab_request(common::gitlab_event_of(&stem), bytes.clone()),
            };
            let (status, body) = common::send(addr, "/", request).await;
            assert_eq!(
                (status, body.as_str()),
                (StatusCode::OK, "handled"),
                "{stem}"
            );
            sent.push((provider, stem, bytes));
        }
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), sent.len());
    assert_eq!(
        sent.len(),
        9,
        "the shared fixtures changed: update this test"
    );
    for ((provider, stem, bytes), (event, payload, body)) in sent.iter().zip(&seen) {
        assert_eq!(event.kind(), &kind_of(provider, stem), "{stem}");
        assert_eq!(payload.kind(), event.kind(), "{stem}");
        // The payload holds the verified bytes: the same buffer as the body.
        assert_eq!(payload.bytes(), bytes, "{stem}");
        assert_eq!(body, bytes, "{stem}");
        assert_eq!(payload.bytes().as_ptr(), body.as_ptr(), "{stem}: copied");
        assert!(!payload.is_parsed(), "{stem}: the layer parsed eagerly");
        parse_fixture(provider, stem, payload).unwrap_or_else(|e| panic!("{provider}/{stem}: {e}"));
        assert_eq!(payload.action(), expected_action(provider, stem), "{stem}");
    }
}

#[test]
fn typed_fields_of_the_fixtures_are_read_right() {
    let load = |provider: &str, stem: &str| {
        let (_, bytes) = common::fixtures(provider)
            .into_iter()
            .find(|(s, _)| s == stem)
            .unwrap();
        Payload::new(kind_of(provider, stem), None, bytes)
    };
    let pr: github::PullRequestEvent = load("github", "pull_request.opened").parse_typed().unwrap();
    assert_eq!(pr.number, 2);
    assert_eq!(pr.pull_request.head.branch, "changes");
    assert_eq!(
        pr.pull_request.head.sha,
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    );
    assert_eq!(pr.pull_request.base.branch, "master");
    assert_eq!(pr.repository.full_name, "Codertocat/Hello-World");
    assert_eq!(pr.installation.map(|i| i.id), Some(1));
    assert_eq!(pr.sender.login, "Codertocat");

    let push: github::PushEvent = load("github", "push").parse_typed().unwrap();
    assert_eq!(push.branch(), None);
    assert_eq!(push.tag(), Some("simple-tag"));

    let mr: gitlab::MergeRequestEvent = load("gitlab", "merge_request").parse_typed().unwrap();
    assert_eq!(mr.object_attributes.iid, 16);
    assert_eq!(
        mr.object_attributes.source_branch,
        "feature/booking-validation"
    );
    assert_eq!(mr.project.path_with_namespace, "flightjs/flight-management");
    assert_eq!(mr.reviewers.unwrap()[0].username, "sjones");

    // The documentation's malformed timestamp is kept as sent.
    let note: gitlab::NoteEvent = load("gitlab", "note_merge_request").parse_typed().unwrap();
    let last = note.merge_request.unwrap().last_commit.unwrap();
    assert_eq!(
        last.timestamp.as_deref(),
        Some("2015-04-08T21: 00:25-07:00")
    );
    assert_eq!(note.object_attributes.noteable_type, "MergeRequest");

    let tag: gitlab::TagPushEvent = load("gitlab", "tag_push").parse_typed().unwrap();
    assert_eq!(tag.tag(), Some("v1.0.0"));
}

// ---------------------------------------------------------------------------
// Property test: optional fields removed, unknown fields added.

/// Fields every variant must keep: the ones the typed structs require.
/// Patterns are dotted paths; `*` is any one key or index, `**` any number.
fn required(provider: &str, stem: &str) -> Vec<&'static str> {
    let mut rules = match provider {
        "github" => vec![
            "**.sender.login",
            "**.sender.id",
            "**.owner.login",
            "**.owner.id",
            "**.user.login",
            "**.user.id",
            "**.account.login",
            "**.account.id",
            "**.assignee.login",
            "**.assignee.id",
            "**.assignees.*.login",
            "**.assignees.*.id",
            "**.requested_reviewers.*.login",
            "**.requested_reviewers.*.id",
            "**.merged_by.login",
            "**.merged_by.id",
            "**.repository.id",
            "**.repository.name",
            "**.repository.full_name",
            "**.repo.id",
            "**.repo.name",
            "**.repo.full_name",
            "**.repositories.*.id",
            "**.repositories.*.name",
            "**.repositories.*.full_name",
            "**.labels.*.name",
            "installation.id",
            "organization.login",
            "organization.id",
        ],
        _ => vec![
            "**.user.name",
            "**.user.username",
            "**.assignees.*.name",
            "**.assignees.*.username",
            "**.reviewers.*.name",
            "**.reviewers.*.username",
            "**.project.name",
            "**.project.web_url",
            "**.project.path_with_namespace",
            "**.source.name",
            "**.source.web_url",
            "**.source.path_with_namespace",
            "**.target.name",
            "**.target.web_url",
            "**.target.path_with_namespace",
            "repository.name",
            "**.commits.*.id",
            "**.last_commit.id",
            "**.labels.*.title",
        ],
    };
    rules.extend(match (provider, stem) {
        ("github", "installation.created") => &["action", "installation", "sender"][..],
        ("github", "issue_comment.created") => &[
            "action",
            "issue",
            "issue.id",
            "issue.number",
            "comment",
            "comment.id",
            "repository",
            "sender",
        ][..],
        ("github", "ping") => &["hook.id"][..],
        ("github", "pull_request.opened") => &[
            "action",
            "number",
            "pull_request",
            "pull_request.id",
            "pull_request.number",
            "pull_request.head",
            "pull_request.base",
            "pull_request.*.ref",
            "pull_request.*.sha",
            "repository",
            "sender",
        ][..],
        ("github", "push") => &[
            "ref",
            "before",
            "after",
            "repository",
            "commits.*.id",
            "head_commit.id",
        ][..],
        ("gitlab", "merge_request") => &[
            "object_kind",
            "user",
            "project",
            "object_attributes",
            "object_attributes.id",
            "object_attributes.iid",
            "object_attributes.title",
            "object_attributes.source_branch",
            "object_attributes.target_branch",
        ][..],
        ("gitlab", "note_merge_request") => &[
            "object_kind",
            "user",
            "project",
            "object_attributes",
            "object_attributes.id",
            "object_attributes.note",
            "object_attributes.noteable_type",
            "merge_request.id",
            "merge_request.iid",
            "merge_request.title",
            "merge_request.source_branch",
            "merge_request.target_branch",
        ][..],
        ("gitlab", "push" | "tag_push") => {
            &["object_kind", "ref", "before", "after", "project"][..]
        }
        other => panic!("no required fields listed for {other:?}"),
    });
    rules
}

fn matches(pattern: &[&str], path: &[String]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            matches(&pattern[1..], path) || (!path.is_empty() && matches(pattern, &path[1..]))
        }
        (Some(&"*"), Some(_)) => matches(&pattern[1..], &path[1..]),
        (Some(segment), Some(key)) => *segment == key && matches(&pattern[1..], &path[1..]),
        _ => false,
    }
}

fn is_required(rules: &[&str], path: &[String]) -> bool {
    rules.iter().any(|rule| {
        let pattern: Vec<&str> = rule.split('.').collect();
        matches(&pattern, path)
    })
}

/// Every object key's path (array elements as their index), and every
/// object's path (where unknown fields may go).
fn walk(
    value: &Value,
    path: &mut Vec<String>,
    keys: &mut Vec<Vec<String>>,
    objects: &mut Vec<Vec<String>>,
) {
    match value {
        Value::Object(map) => {
            objects.push(path.clone());
            for (key, child) in map {
                path.push(key.clone());
                keys.push(path.clone());
                walk(child, path, keys, objects);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(index.to_string());
                walk(child, path, keys, objects);
                path.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, segment| match node {
        Value::Object(map) => map.get_mut(segment),
        Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?),
        _ => None,
    })
}

fn remove(value: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    if let Some(Value::Object(map)) = get_mut(value, parent) {
        map.remove(last);
    }
}

fn unknown_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

struct Fixture {
    provider: &'static str,
    stem: String,
    json: Value,
    removable: Vec<Vec<String>>,
    objects: Vec<Vec<String>>,
}

fn all_fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for provider in ["github", "gitlab"] {
        for (stem, bytes) in common::fixtures(provider) {
            let json: Value = serde_json::from_slice(&bytes).unwrap();
            let rules = required(provider, &stem);
            let (mut keys, mut objects) = (Vec::new(), Vec::new());
            walk(&json, &mut Vec::new(), &mut keys, &mut objects);
            let removable: Vec<_> = keys
                .into_iter()
                .filter(|p| !is_required(&rules, p))
                .collect();
            assert!(
                removable.len() > 10,
                "{provider}/{stem}: almost nothing is optional"
            );
            out.push(Fixture {
                provider,
                stem,
                json,
                removable,
                objects,
            });
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn fixtures_without_optional_fields_and_with_unknown_fields_still_parse(
        which in any::<prop::sample::Index>(),
        removals in prop::collection::vec(any::<prop::sample::Index>(), 0..24),
        additions in prop::collection::vec(
            (any::<prop::sample::Index>(), "[a-z_]{1,10}", unknown_value()),
            0..8,
        ),
    ) {
        thread_local! {
            static FIXTURES: Vec<Fixture> = all_fixtures();
        }
        FIXTURES.with(|fixtures| {
            let fixture = which.get(fixtures);
            let mut json = fixture.json.clone();
            let mut removed = Vec::new();
            for index in &removals {
                let path = index.get(&fixture.removable);
                remove(&mut json, path);
                removed.push(path.join("."));
            }
            for (index, name, value) in &additions {
                let path = index.get(&fixture.objects);
                if let Some(Value::Object(map)) = get_mut(&mut json, path) {
                    map.insert(format!("zz_unknown_{name}"), value.clone());
                }
            }
            let bytes = Bytes::from(serde_json::to_vec(&json).unwrap());
            let payload = Payload::new(kind_of(fixture.provider, &fixture.stem), None, bytes);
            let parsed = parse_fixture(fixture.provider, &fixture.stem, &payload);
            prop_assert!(
                parsed.is_ok(),
                "{}/{} without {:?}: {}",
                fixture.provider,
                fixture.stem,
                removed,
                parsed.unwrap_err()
            );
            if fixture.provider == "github" {
                prop_assert_eq!(payload.action(), expected_action(fixture.provider, &fixture.stem));
            }
            Ok(())
        })?;
    }
}

#[test]
fn the_property_test_rules_are_not_vacuous() {
    // Removing any required field must fail: otherwise the rules hide
    // optional fields from the property test.
    let mut listed_but_optional = Vec::new();
    for fixture in all_fixtures() {
        let rules = required(fixture.provider, &fixture.stem);
        let (mut keys, mut objects) = (Vec::new(), Vec::new());
        walk(&fixture.json, &mut Vec::new(), &mut keys, &mut objects);
        let kind = kind_of(fixture.provider, &fixture.stem);
        let required_here: Vec<_> = keys.iter().filter(|p| is_required(&rules, p)).collect();
        assert!(!required_here.is_empty());
        for path in required_here {
            let mut json = fixture.json.clone();
            remove(&mut json, path);
            let payload = Payload::new(
                kind.clone(),
                None,
                serde_json::to_vec(&json).unwrap().into(),
            );
            if parse_fixture(fixture.provider, &fixture.stem, &payload).is_ok() {
                listed_but_optional.push(format!(
                    "{}/{}: {}",
                    fixture.provider,
                    fixture.stem,
                    path.join(".")
                ));
            }
        }
    }
    assert!(
        listed_but_optional.is_empty(),
        "listed as required but parse without them: {listed_but_optional:#?}"
    );
}

// ---------------------------------------------------------------------------
// Form deliveries.

#[tokio::test]
async fn a_form_encoded_ping_parses_to_the_same_struct_as_the_json_ping() {
    let (_, json) = common::fixtures("github")
        .into_iter()
        .find(|(stem, _)| stem == "ping")
        .unwrap();
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", std::str::from_utf8(&json).unwrap())
        .finish();
    let form = Bytes::from(form);
    assert_ne!(form, json);

    let (addr, seen) = recording_server().await;
    let (status, _) = common::send(addr, "/", github_request("ping", json.clone())).await;
    assert_eq!(status, StatusCode::OK);

    // Signed over the raw form body, sent as GitHub sends forms.
    let delivery = GitHubDelivery::new("ping", form.clone()).secret(GITHUB_SECRET);
    let mut request = Request::new(Full::new(form.clone()));
    *request.method_mut() = Method::POST;
    *request.headers_mut() = delivery.headers();
    request.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let (status, body) = common::send(addr, "/", request).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "handled"));

    let seen = seen.lock().unwrap().clone();
    let (_, json_payload, _) = &seen[0];
    let (_, form_payload, form_body) = &seen[1];
    assert!(!json_payload.is_form());
    assert!(form_payload.is_form());
    // The verified bytes are the raw form, not the decoded JSON.
    assert_eq!(form_body, &form);
    assert_eq!(form_payload.bytes(), &form);
    let from_json: github::PingEvent = json_payload.parse_typed().unwrap();
    let from_form: github::PingEvent = form_payload.parse_typed().unwrap();
    assert_eq!(from_form, from_json);
    assert_eq!(from_form.hook_id, Some(109948940));
    assert_eq!(form_payload.json().unwrap(), json_payload.json().unwrap());
}

#[tokio::test]
async fn a_body_that_is_not_json_is_verified_and_handed_on() {
    let (addr, seen) = recording_server().await;
    let odd = Bytes::from_static(b"\xff not json {");
    let (status, body) = common::send(addr, "/", github_request("push", odd.clone())).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "handled"));
    let seen = seen.lock().unwrap().clone();
    let (_, payload, body) = &seen[0];
    assert_eq!(body, &odd);
    assert_eq!(payload.action(), None);
    assert!(payload.json().unwrap_err().is_syntax());
    assert!(
        payload
            .parse_typed::<github::PushEvent>()
            .unwrap_err()
            .is_syntax()
    );
}

// ---------------------------------------------------------------------------
// The axum extractor.

async fn on_pull_request(
    State(hits): State<Arc<AtomicUsize>>,
    Webhook(event): Webhook<github::PullRequestEvent>,
    body: Bytes,
) -> String {
    hits.fetch_add(1, Ordering::SeqCst);
    format!("{} #{} ({} bytes)", event.action, event.number, body.len())
}

async fn on_review_request(
    github: Option<Webhook<github::PullRequestEvent>>,
    gitlab: Option<Webhook<gitlab::MergeRequestEvent>>,
    payload: Payload,
) -> String {
    match (github, gitlab) {
        (Some(Webhook(pr)), None) => format!("github #{}", pr.number),
        (None, Some(Webhook(mr))) => format!("gitlab !{}", mr.object_attributes.iid),
        _ => format!("neither: {} {:?}", payload.kind(), payload.action()),
    }
}

async fn extractor_app() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route("/pull_request", post(on_pull_request))
        .route("/review", post(on_review_request))
        .layer(layer())
        .route("/unverified", post(on_pull_request))
        .with_state(hits.clone());
    (common::serve_axum(app).await, hits)
}

fn fixture(provider: &str, stem: &str) -> Bytes {
    common::fixtures(provider)
        .into_iter()
        .find(|(s, _)| s == stem)
        .unwrap()
        .1
}

#[tokio::test]
async fn the_extractor_takes_its_own_event_kind() {
    let (addr, hits) = extractor_app().await;
    let pr = fixture("github", "pull_request.opened");
    let (status, body) = common::send(
        addr,
        "/pull_request",
        github_request("pull_request", pr.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!("opened #2 ({} bytes)", pr.len()));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_payload_of_the_wrong_kind_for_the_extractor_gets_400() {
    let (addr, hits) = extractor_app().await;
    let push = fixture("github", "push");
    let (status, body) = common::send(addr, "/pull_request", github_request("push", push)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        "unexpected event: expected GitHub pull_request, got GitHub push\n"
    );

    let mr = fixture("gitlab", "merge_request");
    let (status, body) = common::send(
        addr,
        "/pull_request",
        gitlab_request("Merge Request Hook", mr),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        "unexpected event: expected GitHub pull_request, got GitLab Merge Request Hook\n"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the handler ran");
}

#[tokio::test]
async fn a_payload_that_does_not_fit_gets_422_naming_the_field_and_non_json_gets_400() {
    let (addr, hits) = extractor_app().await;
    let mut json: Value =
        serde_json::from_slice(&fixture("github", "pull_request.opened")).unwrap();
    json["pull_request"]["head"]
        .as_object_mut()
        .unwrap()
        .remove("sha");
    let broken = Bytes::from(serde_json::to_vec(&json).unwrap());
    let (status, body) = common::send(
        addr,
        "/pull_request",
        github_request("pull_request", broken),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        "invalid payload at `pull_request.head`: missing field `sha`\n"
    );

    json["number"] = Value::from("two");
    let wrong_type = Bytes::from(serde_json::to_vec(&json).unwrap());
    let (status, body) = common::send(
        addr,
        "/pull_request",
        github_request("pull_request", wrong_type),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.starts_with("invalid payload at `number`: invalid type: string"),
        "{body}"
    );

    let (status, body) = common::send(
        addr,
        "/pull_request",
        github_request("pull_request", Bytes::from_static(b"<xml/>")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("payload is not JSON: "), "{body}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the handler ran");
}

#[tokio::test]
async fn optional_extractors_let_one_handler_take_several_kinds() {
    let (addr, _) = extractor_app().await;
    let pr = fixture("github", "pull_request.opened");
    let (status, body) = common::send(addr, "/review", github_request("pull_request", pr)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "github #2"));

    let mr = fixture("gitlab", "merge_request");
    let (status, body) =
        common::send(addr, "/review", gitlab_request("Merge Request Hook", mr)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "gitlab !16"));

    let push = fixture("gitlab", "push");
    let (status, body) = common::send(addr, "/review", gitlab_request("Push Hook", push)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "neither: Push Hook Some(\"push\")")
    );

    // The right kind that does not fit still answers 422.
    let (status, body) = common::send(
        addr,
        "/review",
        github_request(
            "pull_request",
            Bytes::from_static(b"{\"action\":\"opened\"}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, "invalid payload: missing field `number`\n");
}

#[tokio::test]
async fn the_extractor_without_the_layer_answers_500() {
    let (addr, hits) = extractor_app().await;
    let pr = fixture("github", "pull_request.opened");
    let (status, body) =
        common::send(addr, "/unverified", github_request("pull_request", pr)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body.starts_with("missing verified webhook payload"),
        "{body}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_bad_signature_is_rejected_before_any_extractor() {
    let (addr, hits) = extractor_app().await;
    let pr = fixture("github", "pull_request.opened");
    let request = GitHubDelivery::new("pull_request", pr)
        .secret("not the secret")
        .into_request();
    let (status, _) = common::send(addr, "/pull_request", request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

// ---------------------------------------------------------------------------
// The example server's `action` (examples/server/payload.rs).

#[tokio::test]
async fn the_server_example_adds_the_action_to_its_answer() {
    let (addr, seen) = recording_server().await;
    let mr = fixture("gitlab", "merge_request");
    common::send(addr, "/", gitlab_request("Merge Request Hook", mr)).await;
    common::send(addr, "/", github_request("push", fixture("github", "push"))).await;
    let seen = seen.lock().unwrap().clone();

    let mut extensions = http::Extensions::new();
    extensions.insert(seen[0].1.clone());
    assert_eq!(
        server_payload::action_of(&extensions).as_deref(),
        Some("open")
    );
    let mut answer = serde_json::json!({"event": "Merge Request Hook"});
    server_payload::add_action(&mut answer, &extensions);
    assert_eq!(
        answer,
        serde_json::json!({"event": "Merge Request Hook", "action": "open"})
    );

    let mut extensions = http::Extensions::new();
    extensions.insert(seen[1].1.clone());
    let mut answer = serde_json::json!({"event": "push"});
    server_payload::add_action(&mut answer, &extensions);
    assert_eq!(answer, serde_json::json!({"event": "push", "action": null}));
}

// ---------------------------------------------------------------------------
// Events without a shared fixture: small payloads shaped like the
// providers' documented examples, with an unknown field each.

fn typed<T: tower_webhooks::payload::EventPayload>(kind: EventKind, json: Value) -> T {
    let payload = Payload::new(kind, None, serde_json::to_vec(&json).unwrap().into());
    payload.parse_typed().unwrap_or_else(|e| panic!("{e}"))
}

fn sample_repository() -> Value {
    serde_json::json!({"id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World",
        "owner": {"login": "octocat", "id": 1, "type": "User"}, "private": false, "new_field": 1})
}

fn sample_pull_request() -> Value {
    serde_json::json!({"id": 1, "number": 1347, "state": "open", "title": "Amazing new feature",
        "head": {"ref": "new-topic", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
                 "repo": sample_repository()},
        "base": {"ref": "master", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5f", "repo": null}})
}

fn sender() -> Value {
    serde_json::json!({"login": "octocat", "id": 1, "type": "User", "site_admin": false})
}

#[test]
fn events_without_shared_fixtures_parse_from_documented_shapes() {
    let gh = |event: &str| EventKind::GitHub(GitHubEvent::from_header(event));
    let gl = |event: &str| EventKind::GitLab(GitLabEvent::from_header(event));

    let review: github::PullRequestReviewEvent = typed(
        gh("pull_request_review"),
        serde_json::json!({"action": "submitted",
            "review": {"id": 80, "state": "approved", "body": null, "commit_id": "ecdd80bb",
                       "user": sender(), "submitted_at": "2019-11-17T17:43:43Z"},
            "pull_request": sample_pull_request(), "repository": sample_repository(),
            "sender": sender(), "installation": {"id": 7, "node_id": "x"}}),
    );
    assert_eq!(review.review.state.as_deref(), Some("approved"));
    assert_eq!(review.installation.map(|i| i.id), Some(7));

    let comment: github::PullRequestReviewCommentEvent = typed(
        gh("pull_request_review_comment"),
        serde_json::json!({"action": "created",
            "comment": {"id": 10, "body": "nit", "path": "src/lib.rs", "line": 12, "side": "RIGHT",
                        "commit_id": "ecdd80bb", "in_reply_to_id": null, "user": sender()},
            "pull_request": sample_pull_request(), "repository": sample_repository(),
            "sender": sender()}),
    );
    assert_eq!(
        (comment.comment.path.as_deref(), comment.comment.line),
        (Some("src/lib.rs"), Some(12))
    );

    let repos: github::InstallationRepositoriesEvent = typed(
        gh("installation_repositories"),
        serde_json::json!({"action": "added", "installation": {"id": 2, "account": sender(), "app_id": 5},
            "repository_selection": "selected",
            "repositories_added": [{"id": 3, "name": "r", "full_name": "octocat/r", "private": true}],
            "repositories_removed": [], "requester": null, "sender": sender()}),
    );
    assert_eq!(repos.repositories_added[0].full_name, "octocat/r");
    assert!(repos.repositories_removed.is_empty());

    let suite = serde_json::json!({"id": 5, "head_branch": "main", "head_sha": "d6fde92930d4715a2b49857d24b940956b26d2d3",
        "status": "completed", "conclusion": "success", "app": {"id": 9, "slug": "ci", "owner": {}},
        "pull_requests": [{"id": 1, "number": 2, "url": "u",
            "head": {"ref": "f", "sha": "a", "repo": {"id": 1, "url": "u", "name": "n"}},
            "base": {"ref": "main", "sha": "b", "repo": {"id": 1, "url": "u", "name": "n"}}}]});
    let run: github::CheckRunEvent = typed(
        gh("check_run"),
        serde_json::json!({"action": "requested_action",
            "check_run": {"id": 4, "head_sha": "d6fde92930d4715a2b49857d24b940956b26d2d3", "name": "lint",
                          "status": "completed", "conclusion": "neutral", "check_suite": suite.clone(),
                          "output": {"title": null}},
            "requested_action": {"identifier": "fix"},
            "repository": sample_repository(), "sender": sender()}),
    );
    assert_eq!(
        run.requested_action.map(|a| a.identifier).as_deref(),
        Some("fix")
    );
    assert_eq!(
        run.check_run.check_suite.unwrap().pull_requests.unwrap()[0].number,
        2
    );

    let suite: github::CheckSuiteEvent = typed(
        gh("check_suite"),
        serde_json::json!({"action": "completed", "check_suite": suite,
            "repository": sample_repository(), "sender": sender()}),
    );
    assert_eq!(suite.check_suite.conclusion.as_deref(), Some("success"));

    let project = serde_json::json!({"id": 1, "name": "Gitlab Test", "web_url": "http://example.com/gitlab-org/gitlab-test",
        "path_with_namespace": "gitlab-org/gitlab-test", "visibility_level": 20});
    let pipeline: gitlab::PipelineEvent = typed(
        gl("Pipeline Hook"),
        serde_json::json!({"object_kind": "pipeline",
            "object_attributes": {"id": 31, "iid": 3, "ref": "master", "tag": false,
                "sha": "bcbb5ec396a2c0f828686f14fac9b80b780504f2", "source": "merge_request_event",
                "status": "success", "stages": ["build", "test"], "duration": 63, "queued_duration": 0.5,
                "created_at": "2016-08-12 15:23:28 UTC", "variables": []},
            "merge_request": {"id": 1, "iid": 1, "title": "Test", "state": "opened"},
            "user": {"id": 1, "name": "Administrator", "username": "root"},
            "project": project,
            "builds": [{"id": 380, "stage": "deploy", "name": "production", "status": "skipped",
                        "duration": null, "runner": null, "user": {"name": "Administrator", "username": "root"}}]}),
    );
    assert_eq!(pipeline.object_attributes.status, "success");
    assert_eq!(pipeline.object_attributes.duration, Some(63.0));
    assert_eq!(
        pipeline.builds.unwrap()[0].status.as_deref(),
        Some("skipped")
    );
}
