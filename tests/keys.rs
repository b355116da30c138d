//! Key selection and rotation: GitLab instances, GitHub Enterprise hosts,
//! several active keys, and keys replaced while the layer runs.
#![cfg(feature = "test-util")]

mod common;

use http::Method;
use tower_webhooks::test_util::{GitHubDelivery, GitLabDelivery};
use tower_webhooks::{
    GitHub, GitLab, InstanceOrigin, KeyError, KeyRing, OriginError, Reason, Secret, Verifier,
};

fn secret(s: &str) -> Secret {
    Secret::new(s).unwrap()
}

fn ring(s: &str) -> KeyRing {
    KeyRing::single(secret(s))
}

fn origin(s: &str) -> InstanceOrigin {
    InstanceOrigin::parse(s).unwrap()
}

fn gitlab_verdict(
    verifier: &Verifier,
    token: Option<&str>,
    instance: Option<&str>,
) -> Result<tower_webhooks::Event, Reason> {
    let mut delivery = GitLabDelivery::new("Merge Request Hook", "{}");
    if let Some(token) = token {
        delivery = delivery.token(token);
    }
    if let Some(instance) = instance {
        delivery = delivery.instance(instance);
    }
    verifier
        .verify(&Method::POST, &delivery.headers(), b"{}")
        .map_err(|r| r.reason())
}

fn github_verdict(
    verifier: &Verifier,
    secret: &str,
    host: Option<&str>,
) -> Result<tower_webhooks::Event, Reason> {
    let mut delivery = GitHubDelivery::new("push", "{}").secret(secret);
    if let Some(host) = host {
        delivery = delivery.enterprise_host(host);
    }
    verifier
        .verify(&Method::POST, &delivery.headers(), b"{}")
        .map_err(|r| r.reason())
}

#[test]
fn gitlab_tokens_are_chosen_per_instance_with_a_default_for_the_rest() {
    let verifier = Verifier::builder()
        .gitlab(
            GitLab::new()
                .default_keys(ring("default-token"))
                .instance(origin("https://git.a.example"), ring("token-a"))
                .instance(origin("https://git.b.example:8443"), ring("token-b")),
        )
        .build()
        .unwrap();

    let a = gitlab_verdict(&verifier, Some("token-a"), Some("https://git.a.example")).unwrap();
    assert_eq!(a.instance(), Some("https://git.a.example"));
    assert!(
        gitlab_verdict(
            &verifier,
            Some("token-b"),
            Some("https://git.b.example:8443")
        )
        .is_ok()
    );
    // Each instance's token works only for that instance.
    assert_eq!(
        gitlab_verdict(&verifier, Some("token-b"), Some("https://git.a.example")).unwrap_err(),
        Reason::TokenMismatch
    );
    assert_eq!(
        gitlab_verdict(
            &verifier,
            Some("token-a"),
            Some("https://git.b.example:8443")
        )
        .unwrap_err(),
        Reason::TokenMismatch
    );
    // Unlisted instances and deliveries without the header use the default.
    let other = gitlab_verdict(
        &verifier,
        Some("default-token"),
        Some("https://elsewhere.example"),
    )
    .unwrap();
    assert_eq!(other.instance(), Some("https://elsewhere.example"));
    assert!(gitlab_verdict(&verifier, Some("default-token"), None).is_ok());
    assert_eq!(
        gitlab_verdict(&verifier, Some("token-a"), None).unwrap_err(),
        Reason::TokenMismatch
    );
    // No token at all.
    assert_eq!(
        gitlab_verdict(&verifier, None, Some("https://git.a.example")).unwrap_err(),
        Reason::TokenMissing
    );
}

#[test]
fn without_a_default_unlisted_instances_and_missing_instance_headers_are_unknown() {
    let verifier = Verifier::builder()
        .gitlab(GitLab::new().instance(origin("https://git.a.example"), ring("token-a")))
        .build()
        .unwrap();
    assert!(gitlab_verdict(&verifier, Some("token-a"), Some("https://git.a.example")).is_ok());
    assert_eq!(
        gitlab_verdict(&verifier, Some("token-a"), Some("https://git.c.example")).unwrap_err(),
        Reason::UnknownInstance
    );
    assert_eq!(
        gitlab_verdict(&verifier, Some("token-a"), None).unwrap_err(),
        Reason::UnknownInstance
    );
    assert_eq!(
        gitlab_verdict(&verifier, Some("token-a"), Some("git.a.example")).unwrap_err(),
        Reason::InstanceMalformed
    );
}

#[test]
fn instance_origins_are_normalized_on_both_sides() {
    let verifier = Verifier::builder()
        .gitlab(
            GitLab::new()
                .instance(origin("HTTPS://Git.A.Example:443/"), ring("token-a"))
                .instance(origin("http://git.b.example:80"), ring("token-b"))
                .instance(origin("https://[::1]:8443"), ring("token-v6")),
        )
        .build()
        .unwrap();
    for sent in [
        "https://git.a.example",
        "https://GIT.a.example/",
        "https://git.a.example:443",
        "HTTPS://git.a.example:443/",
    ] {
        let event = gitlab_verdict(&verifier, Some("token-a"), Some(sent))
            .unwrap_or_else(|r| panic!("{sent}: {r}"));
        assert_eq!(event.instance(), Some("https://git.a.example"));
    }
    assert!(gitlab_verdict(&verifier, Some("token-b"), Some("http://git.b.example")).is_ok());
    assert!(gitlab_verdict(&verifier, Some("token-v6"), Some("https://[::1]:8443/")).is_ok());
    // A non-default port is a different instance.
    assert_eq!(
        gitlab_verdict(
            &verifier,
            Some("token-a"),
            Some("https://git.a.example:8443")
        )
        .unwrap_err(),
        Reason::UnknownInstance
    );

    for bad in [
        ("git.a.example", OriginError::Scheme),
        ("ftp://git.a.example", OriginError::Scheme),
        ("https://user:pw@git.a.example", OriginError::NotAnOrigin),
        (
            "https://git.a.example/group/project",
            OriginError::NotAnOrigin,
        ),
        ("https://git.a.example?x=1", OriginError::NotAnOrigin),
        ("https://gït.example", OriginError::Invalid),
        ("https://", OriginError::Host),
        ("https://git.a.example:0", OriginError::Port),
        ("https://git.a.example:65536", OriginError::Port),
        ("https://git.a.example:", OriginError::Port),
        ("https://[::1", OriginError::Host),
    ] {
        assert_eq!(InstanceOrigin::parse(bad.0), Err(bad.1), "{}", bad.0);
    }
}

#[test]
fn several_active_secrets_during_rotation_and_the_event_names_the_key() {
    let keys =
        KeyRing::from_keys([("old", secret("old secret")), ("new", secret("new secret"))]).unwrap();
    let verifier = Verifier::github(keys.clone());
    assert_eq!(
        github_verdict(&verifier, "old secret", None)
            .unwrap()
            .key_label(),
        "old"
    );
    assert_eq!(
        github_verdict(&verifier, "new secret", None)
            .unwrap()
            .key_label(),
        "new"
    );
    assert_eq!(
        github_verdict(&verifier, "neither", None).unwrap_err(),
        Reason::SignatureMismatch
    );

    let tokens =
        KeyRing::from_keys([("t1", secret("token one")), ("t2", secret("token two"))]).unwrap();
    let gitlab = Verifier::gitlab(tokens);
    assert_eq!(
        gitlab_verdict(&gitlab, Some("token two"), None)
            .unwrap()
            .key_label(),
        "t2"
    );
    assert_eq!(
        gitlab_verdict(&gitlab, Some("token one"), None)
            .unwrap()
            .key_label(),
        "t1"
    );
}

#[test]
fn keys_replaced_at_runtime_take_effect_without_rebuilding_the_verifier() {
    let handle = KeyRing::new("v1", secret("first secret"));
    let verifier = Verifier::github(handle.clone());
    assert!(github_verdict(&verifier, "first secret", None).is_ok());

    // Rotation: add, both work, retire the old one.
    handle.add("v2", secret("second secret")).unwrap();
    assert!(github_verdict(&verifier, "first secret", None).is_ok());
    assert_eq!(
        github_verdict(&verifier, "second secret", None)
            .unwrap()
            .key_label(),
        "v2"
    );
    handle.retire("v1").unwrap();
    assert_eq!(
        github_verdict(&verifier, "first secret", None).unwrap_err(),
        Reason::SignatureMismatch
    );
    assert!(github_verdict(&verifier, "second secret", None).is_ok());

    // Replacement: the old key stops working at once, the new one works.
    handle.replace([("v3", secret("third secret"))]).unwrap();
    assert_eq!(
        github_verdict(&verifier, "second secret", None).unwrap_err(),
        Reason::SignatureMismatch
    );
    assert_eq!(
        github_verdict(&verifier, "third secret", None)
            .unwrap()
            .key_label(),
        "v3"
    );

    // Refused changes change nothing: the ring never becomes empty.
    assert_eq!(handle.retire("v3"), Err(KeyError::LastKey));
    assert_eq!(
        handle.retire("v9"),
        Err(KeyError::UnknownLabel("v9".into()))
    );
    assert_eq!(
        handle.add("v3", secret("x")),
        Err(KeyError::DuplicateLabel("v3".into()))
    );
    assert_eq!(
        handle.replace(Vec::<(String, Secret)>::new()),
        Err(KeyError::NoKeys)
    );
    assert!(github_verdict(&verifier, "third secret", None).is_ok());

    // GitLab tokens likewise.
    let tokens = KeyRing::new("t1", secret("token one"));
    let gitlab = Verifier::gitlab(tokens.clone());
    tokens.replace([("t2", secret("token two"))]).unwrap();
    assert_eq!(
        gitlab_verdict(&gitlab, Some("token one"), None).unwrap_err(),
        Reason::TokenMismatch
    );
    assert!(gitlab_verdict(&gitlab, Some("token two"), None).is_ok());
}

#[test]
fn github_enterprise_hosts_and_tenants_have_their_own_keys() {
    let verifier = Verifier::builder()
        .github(
            GitHub::new(ring("dotcom"))
                .enterprise_host("ghes.example.com", ring("ghes"))
                .tenant("acme", ring("tenant")),
        )
        .build()
        .unwrap();
    assert!(github_verdict(&verifier, "dotcom", None).is_ok());
    let ghes = github_verdict(&verifier, "ghes", Some("GHES.example.com")).unwrap();
    assert_eq!(ghes.instance(), Some("GHES.example.com"));
    assert_eq!(
        ghes.github().unwrap().enterprise_host.as_deref(),
        Some("GHES.example.com")
    );
    assert_eq!(
        github_verdict(&verifier, "dotcom", Some("ghes.example.com")).unwrap_err(),
        Reason::SignatureMismatch
    );
    // An unlisted host falls back to the default keys.
    assert!(github_verdict(&verifier, "dotcom", Some("other.example.com")).is_ok());

    let tenant = GitHubDelivery::new("push", "{}")
        .secret("tenant")
        .header(tower_webhooks::provider::github::TENANT, "acme");
    assert!(
        verifier
            .verify(&Method::POST, &tenant.headers(), b"{}")
            .is_ok()
    );

    // Enterprise only: no default for github.com.
    let only = Verifier::builder()
        .github(GitHub::enterprise("ghes.example.com", ring("ghes")))
        .build()
        .unwrap();
    assert!(github_verdict(&only, "ghes", Some("ghes.example.com")).is_ok());
    assert_eq!(
        github_verdict(&only, "ghes", None).unwrap_err(),
        Reason::UnknownInstance
    );
}

#[test]
fn github_event_metadata_comes_from_the_headers() {
    use tower_webhooks::provider::github::{TARGET_ID, TARGET_TYPE};
    let verifier = Verifier::github(ring("s"));
    let delivery = GitHubDelivery::new("pull_request", "{}")
        .secret("s")
        .delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .hook_id("123456")
        .header(TARGET_TYPE, "repository")
        .header(TARGET_ID, "35129377");
    let event = verifier
        .verify(&Method::POST, &delivery.headers(), b"{}")
        .unwrap();
    assert_eq!(
        event.github_event(),
        Some(&tower_webhooks::GitHubEvent::PullRequest)
    );
    assert_eq!(
        event.delivery(),
        Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
    );
    assert_eq!(event.hook_id(), Some("123456"));
    let details = event.github().unwrap();
    assert_eq!(
        details.installation_target_type.as_deref(),
        Some("repository")
    );
    assert_eq!(details.installation_target_id.as_deref(), Some("35129377"));
    // Unknown events are verified and handed on, not rejected.
    let delivery = GitHubDelivery::new("brand_new_event", "{}").secret("s");
    let event = verifier
        .verify(&Method::POST, &delivery.headers(), b"{}")
        .unwrap();
    assert_eq!(
        event.github_event(),
        Some(&tower_webhooks::GitHubEvent::Other(
            "brand_new_event".into()
        ))
    );
}

#[test]
fn gitlab_event_metadata_comes_from_the_headers() {
    let verifier = Verifier::gitlab(ring("t"));
    let delivery = GitLabDelivery::new("Pipeline Hook", "{}")
        .token("t")
        .event_uuid("ev-uuid")
        .webhook_uuid("hook-uuid")
        .idempotency_key("idem-key");
    let event = verifier
        .verify(&Method::POST, &delivery.headers(), b"{}")
        .unwrap();
    assert_eq!(
        event.gitlab_event(),
        Some(&tower_webhooks::GitLabEvent::Pipeline)
    );
    assert_eq!(event.delivery(), Some("idem-key"));
    assert_eq!(event.hook_id(), Some("hook-uuid"));
    let details = event.gitlab().unwrap();
    assert_eq!(details.event_uuid.as_deref(), Some("ev-uuid"));
    assert_eq!(details.idempotency_key.as_deref(), Some("idem-key"));
    assert_eq!(details.webhook_uuid.as_deref(), Some("hook-uuid"));
}

#[test]
fn secrets_fail_closed_and_never_print() {
    assert!(Secret::new("").is_err());
    assert!(Secret::new(b"").is_err());
    assert_eq!(format!("{:?}", secret("hunter2")), "Secret(***)");
    assert!(!format!("{:?}", ring("hunter2")).contains("hunter2"));
    assert!(!format!("{:?}", Verifier::github(ring("hunter2"))).contains("hunter2"));
    let err = Secret::from_env("TOWER_WEBHOOKS_TEST_UNSET_VAR").unwrap_err();
    assert!(err.to_string().contains("TOWER_WEBHOOKS_TEST_UNSET_VAR"));
    assert_eq!(
        Verifier::builder().build().unwrap_err(),
        tower_webhooks::ConfigError::NoProvider
    );
    assert_eq!(
        Verifier::builder()
            .gitlab(GitLab::new())
            .build()
            .unwrap_err(),
        tower_webhooks::ConfigError::GitLabWithoutKeys
    );
}

/// Whether `printed` shows `secret`, as text or as a `Debug` byte list.
fn shows(printed: &str, secret: &str) -> bool {
    let bytes = format!("{:?}", secret.as_bytes());
    printed.contains(secret) || printed.contains(bytes.trim_matches(['[', ']']))
}

#[test]
fn test_deliveries_never_print_their_credentials() {
    let github = GitHubDelivery::new("push", "{}").secret("github-secret-value");
    let printed = format!("{github:?}");
    assert!(printed.contains("signed: true"), "{printed}");
    assert!(!shows(&printed, "github-secret-value"), "{printed}");

    let gitlab = GitLabDelivery::new("Push Hook", "{}")
        .token("gitlab-token-value")
        .signed(b"signing-key-bytes", "msg_1", 1_700_000_000)
        .header(
            http::HeaderName::from_static("x-extra"),
            "extra-header-value",
        );
    let printed = format!("{gitlab:?}");
    assert!(
        printed.contains("token: true") && printed.contains("x-extra"),
        "{printed}"
    );
    for secret in [
        "gitlab-token-value",
        "signing-key-bytes",
        "extra-header-value",
    ] {
        assert!(!shows(&printed, secret), "{printed}");
    }
}
