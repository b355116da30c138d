//! The event router over real TCP: as the layer's inner service under
//! hyper, and inside axum; routes by event and action; the fallback
//! acknowledges what nothing handles with 2xx.
#![cfg(all(feature = "payload", feature = "test-util", feature = "axum"))]

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::handler::Handler;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use tower::ServiceBuilder;
use tower_webhooks::payload::{Payload, github, gitlab};
use tower_webhooks::test_util::{GitHubDelivery, GitLabDelivery};
use tower_webhooks::{
    Event, EventRouter, GitHubEvent, GitLabEvent, Route, VerifiedBody, Webhook, WebhookLayer,
};

const GITHUB_SECRET: &str = "router secret";
const GITLAB_TOKEN: &str = "router token";

fn layer() -> WebhookLayer {
    common::layer_for_both(GITHUB_SECRET, GITLAB_TOKEN)
}

fn github_request(event: &str, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    GitHubDelivery::new(event, body)
        .secret(GITHUB_SECRET)
        .into_request()
}

fn gitlab_request(event: &str, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    GitLabDelivery::new(event, body)
        .token(GITLAB_TOKEN)
        .into_request()
}

fn fixture(provider: &str, stem: &str) -> Bytes {
    common::fixtures(provider)
        .into_iter()
        .find(|(s, _)| s == stem)
        .unwrap()
        .1
}

/// Which handler ran, in order.
type Log = Arc<Mutex<Vec<String>>>;

/// A routed service that logs its name and answers `200 <name>`.
fn named(
    log: Log,
    name: &'static str,
) -> impl tower::Service<
    Request<VerifiedBody>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone
+ Send
+ Sync
+ 'static {
    tower::service_fn(move |request: Request<VerifiedBody>| {
        let log = log.clone();
        async move {
            assert!(request.extensions().get::<Event>().is_some());
            log.lock().unwrap().push(name.to_owned());
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(name))))
        }
    })
}

async fn hyper_router(log: &Log) -> std::net::SocketAddr {
    let router = EventRouter::new()
        .route(
            Route::github(GitHubEvent::PullRequest).action("opened"),
            named(log.clone(), "pr-opened"),
        )
        .route(
            Route::github(GitHubEvent::PullRequest),
            named(log.clone(), "pr-any"),
        )
        .route(
            Route::github(GitHubEvent::PullRequest).action("synchronize"),
            named(log.clone(), "pr-synchronize"),
        )
        .route(
            Route::gitlab(GitLabEvent::MergeRequest).action("open"),
            named(log.clone(), "mr-open"),
        )
        .route(
            Route::gitlab(GitLabEvent::Push),
            named(log.clone(), "gitlab-push"),
        );
    common::serve_hyper(ServiceBuilder::new().layer(layer()).service(router)).await
}

fn with_action(stem_json: &Bytes, action: &str) -> Bytes {
    let mut json: serde_json::Value = serde_json::from_slice(stem_json).unwrap();
    json["action"] = action.into();
    serde_json::to_vec(&json).unwrap().into()
}

#[tokio::test]
async fn an_unknown_event_routes_to_the_fallback_and_gets_2xx() {
    let log = Log::default();
    let addr = hyper_router(&log).await;

    let (status, body) = common::send(
        addr,
        "/",
        github_request("brand_new_event", r#"{"action":"invented"}"#),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::ACCEPTED, "event not handled\n")
    );

    let (status, _) = common::send(addr, "/", gitlab_request("Emoji Hook", "{}")).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // Known but unrouted events, and bodies that are not JSON, too.
    let (status, _) =
        common::send(addr, "/", github_request("push", fixture("github", "push"))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = common::send(addr, "/", github_request("issues", "not json")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(
        log.lock().unwrap().is_empty(),
        "a route ran: {:?}",
        log.lock().unwrap()
    );

    // A forged delivery never reaches the router.
    let forged = GitHubDelivery::new("brand_new_event", "{}")
        .secret("wrong")
        .into_request();
    let (status, _) = common::send(addr, "/", forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn events_route_by_action_first_then_by_event() {
    let log = Log::default();
    let addr = hyper_router(&log).await;
    let pr = fixture("github", "pull_request.opened");

    let cases = [
        (github_request("pull_request", pr.clone()), "pr-opened"),
        // Registered after the event-wide route, still chosen first.
        (
            github_request("pull_request", with_action(&pr, "synchronize")),
            "pr-synchronize",
        ),
        (
            github_request("pull_request", with_action(&pr, "closed")),
            "pr-any",
        ),
        (github_request("pull_request", "not json"), "pr-any"),
        (
            gitlab_request("Merge Request Hook", fixture("gitlab", "merge_request")),
            "mr-open",
        ),
        (
            gitlab_request("Push Hook", fixture("gitlab", "push")),
            "gitlab-push",
        ),
    ];
    for (request, expected) in cases {
        let (status, body) = common::send(addr, "/", request).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, expected));
    }
    // An MR update has no route (only `open` does) and no event-wide one.
    let mut mr: serde_json::Value =
        serde_json::from_slice(&fixture("gitlab", "merge_request")).unwrap();
    mr["object_attributes"]["action"] = "update".into();
    let (status, _) = common::send(
        addr,
        "/",
        gitlab_request("Merge Request Hook", serde_json::to_vec(&mr).unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        *log.lock().unwrap(),
        [
            "pr-opened",
            "pr-synchronize",
            "pr-any",
            "pr-any",
            "mr-open",
            "gitlab-push"
        ]
    );
}

#[tokio::test]
async fn a_custom_fallback_replaces_the_default() {
    let log = Log::default();
    let router = EventRouter::new()
        .route(Route::github(GitHubEvent::Ping), named(log.clone(), "ping"))
        .fallback(named(log.clone(), "fallback"));
    let addr = common::serve_hyper(ServiceBuilder::new().layer(layer()).service(router)).await;
    let (status, body) = common::send(addr, "/", github_request("star", "{}")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "fallback"));
    let (status, body) =
        common::send(addr, "/", github_request("ping", fixture("github", "ping"))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ping"));
    assert_eq!(*log.lock().unwrap(), ["fallback", "ping"]);
}

#[tokio::test]
async fn a_router_without_the_layer_answers_500() {
    let router: EventRouter<hyper::body::Incoming> = EventRouter::new();
    let addr = common::serve_hyper(router).await;
    let (status, body) = common::send(addr, "/", github_request("ping", "{}")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.starts_with("missing verified webhook event"), "{body}");
}

// Inside axum: handlers with extractors as routes.

async fn review(
    github: Option<Webhook<github::PullRequestEvent>>,
    gitlab: Option<Webhook<gitlab::MergeRequestEvent>>,
) -> String {
    match (github, gitlab) {
        (Some(Webhook(pr)), _) => format!("review {} {}", pr.repository.full_name, pr.number),
        (_, Some(Webhook(mr))) => {
            format!(
                "review {} {}",
                mr.project.path_with_namespace, mr.object_attributes.iid
            )
        }
        _ => "nothing to review".to_owned(),
    }
}

async fn comment(Webhook(note): Webhook<gitlab::NoteEvent>, payload: Payload) -> String {
    format!("note {} {:?}", note.object_attributes.id, payload.action())
}

#[tokio::test]
async fn the_router_works_inside_axum_with_handlers_as_routes() {
    let router = EventRouter::new()
        .route(
            Route::github(GitHubEvent::PullRequest).action("opened"),
            review.with_state(()),
        )
        .route(
            Route::gitlab(GitLabEvent::MergeRequest).action("open"),
            review.with_state(()),
        )
        .route(Route::gitlab(GitLabEvent::Note), comment.with_state(()));
    let app = axum::Router::new()
        .route_service("/webhook", router)
        .layer(layer());
    let addr = common::serve_axum(app).await;

    let pr = fixture("github", "pull_request.opened");
    let (status, body) =
        common::send(addr, "/webhook", github_request("pull_request", pr.clone())).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "review Codertocat/Hello-World 2")
    );

    let mr = fixture("gitlab", "merge_request");
    let (status, body) =
        common::send(addr, "/webhook", gitlab_request("Merge Request Hook", mr)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "review flightjs/flight-management 16")
    );

    let note = fixture("gitlab", "note_merge_request");
    let (status, body) = common::send(addr, "/webhook", gitlab_request("Note Hook", note)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "note 1244 Some(\"create\")")
    );

    for request in [
        github_request("pull_request", with_action(&pr, "closed")),
        github_request("workflow_run", "{}"),
        gitlab_request(
            "Pipeline Hook",
            "{\"object_attributes\":{\"status\":\"success\"}}",
        ),
    ] {
        let (status, body) = common::send(addr, "/webhook", request).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::ACCEPTED, "event not handled\n")
        );
    }
}
