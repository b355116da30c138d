//! GitLab signing tokens (Standard Webhooks): the timestamp window, signature
//! lists, and the no-downgrade policy.
#![cfg(feature = "test-util")]

mod common;

use http::{HeaderMap, HeaderValue, Method};
use tower_webhooks::provider::standard::{Clock, StandardWebhooks, sign, signing_key};
use tower_webhooks::test_util::GitLabDelivery;
use tower_webhooks::{GitLab, GitLabKeys, InstanceOrigin, KeyRing, Reason, Secret, Verifier};

const KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_KEY: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const TOKEN: &str = "secret token";
const NOW: i64 = 1_800_000_000;
const A: &str = "https://git.a.example";

fn key() -> Secret {
    signing_key(KEY).unwrap()
}

fn verifier(keys: GitLabKeys) -> Verifier {
    Verifier::builder()
        .gitlab(
            GitLab::new()
                .instance(InstanceOrigin::parse(A).unwrap(), keys)
                .clock(Clock::fixed(NOW)),
        )
        .build()
        .unwrap()
}

fn both() -> GitLabKeys {
    GitLabKeys::token(KeyRing::single(Secret::new(TOKEN).unwrap()))
        .and_signing(KeyRing::single(key()))
}

fn verdict(verifier: &Verifier, delivery: GitLabDelivery) -> Result<tower_webhooks::Event, Reason> {
    let body = delivery.body().clone();
    verifier
        .verify(&Method::POST, &delivery.instance(A).headers(), &body)
        .map_err(|r| r.reason())
}

fn delivery() -> GitLabDelivery {
    GitLabDelivery::new("Merge Request Hook", r#"{"object_kind":"merge_request"}"#)
}

#[test]
fn a_signed_delivery_is_accepted_and_carries_its_webhook_id() {
    let v = verifier(GitLabKeys::signing(KeyRing::single(key())));
    let event = verdict(&v, delivery().signed(key().expose(), "msg_1", NOW)).unwrap();
    assert_eq!(event.delivery(), Some("msg_1"));
    assert_eq!(event.gitlab().unwrap().webhook_id.as_deref(), Some("msg_1"));
    // Both: a valid signature and the token GitLab still sends.
    let v = verifier(both());
    assert!(
        verdict(
            &v,
            delivery().signed(key().expose(), "msg_1", NOW).token(TOKEN)
        )
        .is_ok()
    );
    // A wrong token next to a valid signature is still refused.
    assert_eq!(
        verdict(
            &v,
            delivery()
                .signed(key().expose(), "msg_1", NOW)
                .token("not it")
        )
        .unwrap_err(),
        Reason::TokenMismatch
    );
}

#[test]
fn a_token_only_delivery_to_a_signing_instance_is_a_downgrade_and_is_refused() {
    let v = verifier(both());
    assert_eq!(
        verdict(&v, delivery().token(TOKEN)).unwrap_err(),
        Reason::SignatureMissing
    );
    // Only with the migration option.
    let migrating = verifier(both().accept_token_only());
    assert_eq!(
        verdict(&migrating, delivery().token(TOKEN))
            .unwrap()
            .key_label(),
        "default"
    );
    assert_eq!(
        verdict(&migrating, delivery().token("wrong")).unwrap_err(),
        Reason::TokenMismatch
    );
    // A signature that is sent is still checked during migration.
    assert_eq!(
        verdict(
            &migrating,
            delivery()
                .signed(signing_key(OTHER_KEY).unwrap().expose(), "m", NOW)
                .token(TOKEN)
        )
        .unwrap_err(),
        Reason::SignatureMismatch
    );
    // Signing key only: nothing else proves a delivery.
    let signing_only = verifier(GitLabKeys::signing(KeyRing::single(key())).accept_token_only());
    assert_eq!(
        verdict(&signing_only, delivery().token(TOKEN)).unwrap_err(),
        Reason::SignatureMissing
    );
}

#[test]
fn timestamps_stale_future_non_numeric_and_overflowing_are_refused() {
    let v = verifier(GitLabKeys::signing(KeyRing::single(key())));
    let at = |ts: i64| delivery().signed(key().expose(), "msg_t", ts);
    assert!(verdict(&v, at(NOW - 300)).is_ok());
    assert!(verdict(&v, at(NOW + 300)).is_ok());
    assert_eq!(
        verdict(&v, at(NOW - 301)).unwrap_err(),
        Reason::TimestampOutOfWindow
    );
    assert_eq!(
        verdict(&v, at(NOW + 301)).unwrap_err(),
        Reason::TimestampOutOfWindow
    );
    for text in [
        "soon",
        "-1800000000",
        "1.8e9",
        " ",
        "99999999999999999999999",
    ] {
        let d = at(NOW).header(tower_webhooks::provider::standard::TIMESTAMP, text);
        assert_eq!(
            verdict(&v, d).unwrap_err(),
            Reason::TimestampInvalid,
            "{text:?}"
        );
    }
    // A wider window is configurable.
    let wide = Verifier::builder()
        .gitlab(
            GitLab::new()
                .default_keys(GitLabKeys::signing(KeyRing::single(key())))
                .clock(Clock::fixed(NOW))
                .timestamp_tolerance(std::time::Duration::from_secs(3600)),
        )
        .build()
        .unwrap();
    let d = at(NOW - 3000);
    let body = d.body().clone();
    assert!(wide.verify(&Method::POST, &d.headers(), &body).is_ok());
}

fn standard_headers(signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "webhook-id",
        HeaderValue::from_static("msg_p5jXN8AQM9LWM0D4loKWxJek"),
    );
    headers.insert("webhook-timestamp", HeaderValue::from_static("1614265330"));
    headers.insert(
        "webhook-signature",
        HeaderValue::from_str(signature).unwrap(),
    );
    headers
}

#[test]
fn a_list_where_only_the_second_signature_matches_is_accepted() {
    let body = br#"{"test": 2432232314}"#;
    let good = sign(
        key().expose(),
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        body,
    );
    let wrong = sign(
        signing_key(OTHER_KEY).unwrap().expose(),
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        body,
    );
    let verifier = StandardWebhooks::new(KeyRing::single(key())).clock(Clock::fixed(1614265330));
    assert!(
        verifier
            .verify(&standard_headers(&format!("{wrong} {good}")), body)
            .is_ok()
    );
    assert!(
        verifier
            .verify(&standard_headers(&format!("v2,abcd {good}")), body)
            .is_ok()
    );
    assert_eq!(
        verifier
            .verify(&standard_headers(&wrong), body)
            .unwrap_err()
            .reason(),
        Reason::SignatureMismatch
    );
    // Several keys (rotation on our side): one MAC per key.
    let rotated = StandardWebhooks::new(
        KeyRing::from_keys([
            ("next", signing_key(OTHER_KEY).unwrap()),
            ("current", key()),
        ])
        .unwrap(),
    )
    .clock(Clock::fixed(1614265330));
    assert_eq!(
        rotated
            .verify(&standard_headers(&good), body)
            .unwrap()
            .key_label,
        "current"
    );
}

#[test]
fn a_header_of_1000_entries_is_refused_before_any_mac() {
    let body = br#"{"test": 2432232314}"#;
    let good = sign(
        key().expose(),
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        body,
    );
    let mut entries = vec!["v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned(); 999];
    entries.push(good);
    let header = entries.join(" ");
    let verifier = StandardWebhooks::new(KeyRing::single(key())).clock(Clock::fixed(1614265330));
    // The header stage refuses it: no body byte is fed, no MAC computed.
    let err = verifier
        .begin(&standard_headers(&header))
        .err()
        .expect("refused at the header stage");
    assert_eq!(err.reason(), Reason::SignatureMalformed);
    // The count bound holds whatever the entries' size: 1,000 short entries
    // of an unknown version are refused too.
    let short = vec!["v9,a"; 1000].join(" ");
    assert_eq!(
        tower_webhooks::provider::standard::parse_signatures(short.as_bytes()),
        Err(Reason::SignatureMalformed)
    );
    // 16 entries are fine.
    let mut entries = vec!["v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned(); 15];
    entries.push(sign(
        key().expose(),
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        body,
    ));
    assert!(
        verifier
            .verify(&standard_headers(&entries.join(" ")), body)
            .is_ok()
    );
}
