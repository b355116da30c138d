//! A review bot: reacts to GitHub pull requests being opened or pushed to
//! (`opened`, `synchronize`) and GitLab merge requests being opened or
//! updated (`open`, `update`) through one handler. Everything else is
//! verified and acknowledged with 202 by the router's fallback.
//!
//! ```sh
//! WEBHOOK_SECRET=... GITLAB_TOKEN=... cargo run --example review_bot --features payload,axum
//! ```
//!
//! - `WEBHOOK_SECRET`: the GitHub webhook secret.
//! - `GITLAB_TOKEN`: the GitLab secret token (`X-Gitlab-Token`).
//! - `BIND`: the listen address, default `127.0.0.1:3000`.
//! - `RUST_LOG`: the log filter, default `info,tower_webhooks=debug`.
//!
//! At least one of the secrets must be set; the bot refuses to start
//! without any. Point the hooks at `http://<BIND>/webhook`.

use std::process::ExitCode;

use axum::handler::Handler;
use axum::http::StatusCode;
use tower_webhooks::payload::{github, gitlab};
use tower_webhooks::{
    Event, EventRouter, GitHub, GitHubEvent, GitLab, GitLabEvent, KeyRing, Route, Secret, Verifier,
    Webhook, WebhookLayer,
};
use tracing::{info, warn};

/// What the bot needs to review a change, whichever provider sent it.
#[derive(Debug)]
struct ReviewRequest {
    provider: &'static str,
    repository: String,
    number: u64,
    title: String,
    head_sha: Option<String>,
    url: Option<String>,
}

impl ReviewRequest {
    fn from_github(event: github::PullRequestEvent) -> Self {
        let pr = event.pull_request;
        Self {
            provider: "github",
            repository: event.repository.full_name,
            number: pr.number,
            title: pr.title.unwrap_or_default(),
            head_sha: Some(pr.head.sha),
            url: pr.html_url,
        }
    }

    fn from_gitlab(event: gitlab::MergeRequestEvent) -> Self {
        let mr = event.object_attributes;
        Self {
            provider: "gitlab",
            repository: event.project.path_with_namespace,
            number: mr.iid,
            title: mr.title,
            head_sha: mr.last_commit.map(|commit| commit.id),
            url: mr.url,
        }
    }
}

/// The one handler for both providers. The router only sends it the
/// actions it cares about; the extractors pick the provider's struct.
async fn review(
    event: Event,
    github: Option<Webhook<github::PullRequestEvent>>,
    gitlab: Option<Webhook<gitlab::MergeRequestEvent>>,
) -> (StatusCode, &'static str) {
    let delivery = event.delivery().unwrap_or("-").to_owned();
    let request = match (github, gitlab) {
        (Some(Webhook(pr)), _) => {
            info!(%delivery, action = %pr.action, sender = %pr.sender.login, "GitHub pull request");
            ReviewRequest::from_github(pr)
        }
        (_, Some(Webhook(mr))) => {
            let action = mr.object_attributes.action.clone().unwrap_or_default();
            if action == "update" && !mr.has_new_commits() {
                info!(%delivery, iid = mr.object_attributes.iid, "merge request update without new commits: nothing to review");
                return (StatusCode::ACCEPTED, "no new commits\n");
            }
            info!(%delivery, %action, user = %mr.user.username, "GitLab merge request");
            ReviewRequest::from_gitlab(mr)
        }
        (None, None) => {
            warn!(%delivery, event = event.name(), "routed to review but not a pull or merge request");
            return (StatusCode::ACCEPTED, "ignored\n");
        }
    };
    // A real bot would queue the review here (fetch the diff, run checks,
    // post comments) and answer at once: providers time out after 10 s.
    info!(
        provider = request.provider,
        repository = %request.repository,
        number = request.number,
        title = %request.title,
        head = request.head_sha.as_deref().unwrap_or("-"),
        url = request.url.as_deref().unwrap_or("-"),
        "review queued"
    );
    (StatusCode::ACCEPTED, "review queued\n")
}

fn secret(name: &str) -> Result<Option<KeyRing>, String> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(_) => Secret::from_env(name)
            .map(|secret| Some(KeyRing::single(secret)))
            .map_err(|e| format!("{name}: {e}")),
    }
}

fn verifier() -> Result<Verifier, String> {
    let github = secret("WEBHOOK_SECRET")?;
    let gitlab = secret("GITLAB_TOKEN")?;
    if github.is_none() && gitlab.is_none() {
        return Err("set WEBHOOK_SECRET (GitHub) and/or GITLAB_TOKEN (GitLab)".to_owned());
    }
    let mut builder = Verifier::builder();
    if let Some(keys) = github {
        info!("GitHub deliveries: verified with WEBHOOK_SECRET");
        builder = builder.github(GitHub::new(keys));
    }
    if let Some(keys) = gitlab {
        info!("GitLab deliveries: verified with GITLAB_TOKEN");
        builder = builder.gitlab(GitLab::new().default_keys(keys));
    }
    builder.build().map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_webhooks=debug".into()),
        )
        .init();

    let verifier = match verifier() {
        Ok(verifier) => verifier,
        Err(reason) => {
            eprintln!("review_bot: refusing to start: {reason}");
            return ExitCode::from(2);
        }
    };

    let review = review.with_state(());
    let router = EventRouter::new()
        .route(
            Route::github(GitHubEvent::PullRequest).action("opened"),
            review.clone(),
        )
        .route(
            Route::github(GitHubEvent::PullRequest).action("synchronize"),
            review.clone(),
        )
        .route(
            Route::gitlab(GitLabEvent::MergeRequest).action("open"),
            review.clone(),
        )
        .route(
            Route::gitlab(GitLabEvent::MergeRequest).action("update"),
            review,
        );
    info!(routes = ?router, "routes");

    let app = axum::Router::new()
        .route_service("/webhook", router)
        .layer(WebhookLayer::new(verifier));

    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = match tokio::net::TcpListener::bind(&bind).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("review_bot: cannot listen on {bind}: {e}");
            return ExitCode::FAILURE;
        }
    };
    info!(address = %bind, "review bot listening on /webhook");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("review_bot: server error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
