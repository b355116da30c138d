//! The receiver's configuration and router, shared by `server` and `demo`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use tower_webhooks::provider::standard::{Clock, signing_key};
use tower_webhooks::{
    Event, GitHub, GitLab, GitLabKeys, InstanceOrigin, KeyRing, Secret, Verifier, WebhookLayer,
};

/// Where the secrets come from and what they configure.
pub struct Config {
    pub github: Option<KeyRing>,
    pub gitlab_default: Option<GitLabKeys>,
    pub gitlab_instances: Vec<(InstanceOrigin, GitLabKeys)>,
    /// Pinned time for signing tokens (the demo); the system clock otherwise.
    pub clock: Option<Clock>,
}

/// The variables `Config::from_lookup` reads.
pub const VARIABLES: &str = "WEBHOOK_SECRET (GitHub; comma-separated for several active secrets), \
    GITLAB_TOKEN, GITLAB_SIGNING_TOKEN (whsec_...), \
    GITLAB_INSTANCE_TOKENS (https://git.a.example=tok1,https://git.b.example:8443=tok2), \
    GITLAB_INSTANCE_SIGNING_TOKENS (same format with whsec_ keys)";

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the configuration through `var`.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let github = match var("WEBHOOK_SECRET") {
            Some(list) => Some(ring_from_list("WEBHOOK_SECRET", &list, |s| {
                Secret::new(s).map_err(|e| e.to_string())
            })?),
            None => None,
        };

        let token = |s: &str| Secret::new(s).map_err(|e| e.to_string());
        let signing = |s: &str| signing_key(s).map_err(|e| e.to_string());
        let mut default: (Option<KeyRing>, Option<KeyRing>) = (None, None);
        if let Some(t) = var("GITLAB_TOKEN") {
            default.0 = Some(KeyRing::new("GITLAB_TOKEN", token(&t)?));
        }
        if let Some(k) = var("GITLAB_SIGNING_TOKEN") {
            default.1 = Some(KeyRing::new(
                "GITLAB_SIGNING_TOKEN",
                signing(&k).map_err(|e| format!("GITLAB_SIGNING_TOKEN: {e}"))?,
            ));
        }

        let mut instances: BTreeMap<String, (InstanceOrigin, Option<KeyRing>, Option<KeyRing>)> =
            BTreeMap::new();
        for (name, is_signing) in [
            ("GITLAB_INSTANCE_TOKENS", false),
            ("GITLAB_INSTANCE_SIGNING_TOKENS", true),
        ] {
            let Some(list) = var(name) else { continue };
            for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (origin, value) = item.split_once('=').ok_or_else(|| {
                    format!("{name}: expected origin=token, got an item without '='")
                })?;
                let origin = InstanceOrigin::parse(origin)
                    .map_err(|e| format!("{name}: {origin:?}: {e}"))?;
                let secret = if is_signing {
                    signing(value)
                } else {
                    token(value)
                }
                .map_err(|e| format!("{name}: {origin}: {e}"))?;
                let entry = instances
                    .entry(origin.to_string())
                    .or_insert_with(|| (origin.clone(), None, None));
                let slot = if is_signing {
                    &mut entry.2
                } else {
                    &mut entry.1
                };
                if slot.is_some() {
                    return Err(format!("{name}: {origin} is listed twice"));
                }
                *slot = Some(KeyRing::new(name, secret));
            }
        }

        let config = Self {
            github,
            gitlab_default: keys(default.0, default.1),
            gitlab_instances: instances
                .into_values()
                .filter_map(|(origin, t, s)| keys(t, s).map(|k| (origin, k)))
                .collect(),
            clock: None,
        };
        if config.github.is_none()
            && config.gitlab_default.is_none()
            && config.gitlab_instances.is_empty()
        {
            return Err(format!(
                "no webhook secret configured: set at least one of {VARIABLES}"
            ));
        }
        Ok(config)
    }

    fn gitlab(&self) -> Option<GitLab> {
        if self.gitlab_default.is_none() && self.gitlab_instances.is_empty() {
            return None;
        }
        let mut gitlab = GitLab::new();
        if let Some(keys) = &self.gitlab_default {
            gitlab = gitlab.default_keys(keys.clone());
        }
        for (origin, keys) in &self.gitlab_instances {
            gitlab = gitlab.instance(origin.clone(), keys.clone());
        }
        if let Some(clock) = &self.clock {
            gitlab = gitlab.clock(clock.clone());
        }
        Some(gitlab)
    }
}

/// A comma-separated list of secrets as one ring, labelled `NAME[i]`.
fn ring_from_list(
    name: &str,
    list: &str,
    parse: impl Fn(&str) -> Result<Secret, String>,
) -> Result<KeyRing, String> {
    let keys = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, s)| {
            Ok((
                format!("{name}[{i}]"),
                parse(s).map_err(|e| format!("{name}: {e}"))?,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    KeyRing::from_keys(keys).map_err(|e| format!("{name}: {e}"))
}

/// Token and signing rings as one instance's keys; with both, the
/// no-downgrade policy applies (a signature is required).
fn keys(token: Option<KeyRing>, signing: Option<KeyRing>) -> Option<GitLabKeys> {
    match (token, signing) {
        (Some(t), Some(s)) => Some(GitLabKeys::token(t).and_signing(s)),
        (Some(t), None) => Some(GitLabKeys::token(t)),
        (None, Some(s)) => Some(GitLabKeys::signing(s)),
        (None, None) => None,
    }
}

/// `POST /webhook` (GitHub), `POST /gitlab` (GitLab), `POST /hooks` (either),
/// each for the providers that have secrets.
pub fn router(config: &Config) -> Router {
    let github = config.github.clone().map(GitHub::new);
    let gitlab = config.gitlab();
    let layer = |github: Option<GitHub>, gitlab: Option<GitLab>| {
        let mut builder = Verifier::builder();
        if let Some(g) = github {
            builder = builder.github(g);
        }
        if let Some(g) = gitlab {
            builder = builder.gitlab(g);
        }
        builder.build().ok().map(WebhookLayer::new)
    };
    let mut app = Router::new();
    for (path, layer) in [
        ("/webhook", layer(github.clone(), None)),
        ("/gitlab", layer(None, gitlab.clone())),
        ("/hooks", layer(github, gitlab)),
    ] {
        if let Some(layer) = layer {
            app = app.route(path, post(delivered).route_layer(layer));
        }
    }
    app
}

/// Every verified delivery: logged at INFO and answered with a summary.
async fn delivered(Extension(event): Extension<Event>, body: Bytes) -> Json<Value> {
    tracing::info!(
        provider = %event.provider(),
        event = event.name(),
        delivery = event.delivery(),
        instance = event.instance(),
        key = event.key_label(),
        bytes = body.len(),
        "verified delivery"
    );
    Json(json!({
        "provider": event.provider().as_str(),
        "event": event.name(),
        "delivery": event.delivery(),
        "instance": event.instance(),
        "bytes": body.len(),
    }))
}
