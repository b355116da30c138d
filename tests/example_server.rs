//! The example server's routes over TCP, configured as its environment
//! variables would configure it, with GitLab signing tokens.
#![cfg(feature = "test-util")]

mod common;

#[path = "../examples/server/app.rs"]
#[allow(dead_code)]
mod app;

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use tower_webhooks::provider::standard::signing_key;
use tower_webhooks::test_util::{GitHubDelivery, GitLabDelivery};

const SIGNING_A: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SIGNING_DEFAULT: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn server(vars: &[(&str, &str)]) -> std::net::SocketAddr {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = app::Config::from_lookup(|name| vars.get(name).cloned()).unwrap();
    common::serve_axum(app::router(&config)).await
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn signed_gitlab_deliveries_through_the_example_routes() {
    let addr = server(&[
        ("WEBHOOK_SECRET", "gh-one,gh-two"),
        ("GITLAB_TOKEN", "default-token"),
        ("GITLAB_SIGNING_TOKEN", SIGNING_DEFAULT),
        (
            "GITLAB_INSTANCE_TOKENS",
            "https://git.a.example=token-a,https://git.b.example:8443=token-b",
        ),
        (
            "GITLAB_INSTANCE_SIGNING_TOKENS",
            &format!("https://git.a.example={SIGNING_A}"),
        ),
    ])
    .await;
    let key_a = signing_key(SIGNING_A).unwrap();
    let body = r#"{"object_kind":"merge_request"}"#;
    let signed = |key: &[u8], ts: i64| {
        GitLabDelivery::new("Merge Request Hook", body)
            .instance("https://git.a.example")
            .token("token-a")
            .signed(key, "msg_example", ts)
            .into_request()
    };

    for path in ["/gitlab", "/hooks"] {
        let (status, answer) = common::send(addr, path, signed(key_a.expose(), now())).await;
        assert_eq!(status, 200, "{path}: {answer}");
        let answer = json(&answer);
        assert_eq!(answer["provider"], "gitlab");
        assert_eq!(answer["event"], "Merge Request Hook");
        assert_eq!(answer["delivery"], "msg_example");
        assert_eq!(answer["instance"], "https://git.a.example");
        assert_eq!(answer["bytes"], body.len());
    }
    // Stale, and signed with another instance's key.
    let (status, answer) =
        common::send(addr, "/gitlab", signed(key_a.expose(), now() - 3600)).await;
    assert_eq!(
        (status.as_u16(), answer.split(':').next().unwrap()),
        (401, "timestamp_out_of_window")
    );
    let other = signing_key(SIGNING_DEFAULT).unwrap();
    let (status, answer) = common::send(addr, "/gitlab", signed(other.expose(), now())).await;
    assert_eq!(
        (status.as_u16(), answer.split(':').next().unwrap()),
        (401, "signature_mismatch")
    );
    // Downgrade: the right token but no signature, to an instance with a signing key.
    let token_only = GitLabDelivery::new("Merge Request Hook", body)
        .instance("https://git.a.example")
        .token("token-a")
        .into_request();
    let (status, answer) = common::send(addr, "/gitlab", token_only).await;
    assert_eq!(
        (status.as_u16(), answer.split(':').next().unwrap()),
        (401, "signature_missing")
    );
    // Instance B has only a token: token deliveries work as before.
    let b = GitLabDelivery::new("Push Hook", "{}")
        .instance("https://git.b.example:8443")
        .token("token-b")
        .into_request();
    let (status, answer) = common::send(addr, "/gitlab", b).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(json(&answer)["instance"], "https://git.b.example:8443");
    // The default instance has a token and a signing key: signed deliveries only.
    let unlisted = GitLabDelivery::new("Push Hook", "{}")
        .token("default-token")
        .into_request();
    let (status, _) = common::send(addr, "/gitlab", unlisted).await;
    assert_eq!(status, 401);
    let unlisted = GitLabDelivery::new("Push Hook", "{}")
        .token("default-token")
        .signed(other.expose(), "msg_d", now())
        .into_request();
    let (status, answer) = common::send(addr, "/gitlab", unlisted).await;
    assert_eq!(status, 200, "{answer}");

    // GitHub with either of two active secrets on /webhook and /hooks; not on /gitlab.
    for (secret, path, expected) in [
        ("gh-one", "/webhook", 200),
        ("gh-two", "/hooks", 200),
        ("gh-two", "/gitlab", 400),
        ("gh-three", "/webhook", 401),
    ] {
        let request = GitHubDelivery::new("ping", "{}")
            .secret(secret)
            .delivery("gh-d")
            .into_request();
        let (status, answer) = common::send(addr, path, request).await;
        assert_eq!(status, expected, "{secret} {path}: {answer}");
    }
}

#[tokio::test]
async fn the_example_refuses_to_start_without_secrets_and_names_the_variables() {
    let err = app::Config::from_lookup(|_| None).err().unwrap();
    for name in [
        "WEBHOOK_SECRET",
        "GITLAB_TOKEN",
        "GITLAB_INSTANCE_TOKENS",
        "GITLAB_SIGNING_TOKEN",
    ] {
        assert!(err.contains(name), "{err}");
    }
    let err = app::Config::from_lookup(|n| {
        (n == "GITLAB_INSTANCE_TOKENS").then(|| "git.a.example=tok".to_owned())
    })
    .err()
    .unwrap();
    assert!(err.contains("GITLAB_INSTANCE_TOKENS"), "{err}");
    let err = app::Config::from_lookup(|n| {
        (n == "GITLAB_SIGNING_TOKEN").then(|| "not-a-whsec".to_owned())
    })
    .err()
    .unwrap();
    assert!(
        err.contains("GITLAB_SIGNING_TOKEN") && !err.contains("not-a-whsec"),
        "{err}"
    );
}
