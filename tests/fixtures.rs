//! Every payload example in ../shared/fixtures, signed exactly as stored:
//! accepted, and with one flipped bit rejected.
#![cfg(feature = "test-util")]

mod common;

use bytes::Bytes;
use http::Method;
use tower_webhooks::provider::standard::{Clock, signing_key};
use tower_webhooks::test_util::{GitHubDelivery, GitLabDelivery};
use tower_webhooks::{GitLab, GitLabKeys, KeyRing, Reason, Secret, Verifier};

const SECRET: &str = "fixture secret";
const SIGNING: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const NOW: i64 = 1_800_000_000;

fn flip_bit(body: &Bytes, index: usize) -> Bytes {
    let mut bytes = body.to_vec();
    bytes[index % body.len()] ^= 0x01;
    bytes.into()
}

#[test]
fn github_fixtures_signed_are_accepted_and_one_flipped_bit_is_rejected() {
    let verifier = Verifier::github(KeyRing::single(Secret::new(SECRET).unwrap()));
    for (stem, body) in common::fixtures("github") {
        let event = common::github_event_of(&stem);
        let delivery = GitHubDelivery::new(event, body.clone())
            .secret(SECRET)
            .delivery("d-1");
        let headers = delivery.headers();
        let verified = verifier
            .verify(&Method::POST, &headers, &body)
            .unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(verified.name(), event);
        assert_eq!(verified.delivery(), Some("d-1"));
        for index in [0, body.len() / 2, body.len() - 1] {
            let err = verifier
                .verify(&Method::POST, &headers, &flip_bit(&body, index))
                .unwrap_err();
            assert_eq!(
                err.reason(),
                Reason::SignatureMismatch,
                "{stem} bit at {index}"
            );
        }
    }
}

#[test]
fn github_form_deliveries_verify_over_the_raw_form_body() {
    let verifier = Verifier::github(KeyRing::single(Secret::new(SECRET).unwrap()));
    let (_, json) = common::fixtures("github")
        .into_iter()
        .find(|(s, _)| s == "ping")
        .unwrap();
    // What GitHub sends for content type application/x-www-form-urlencoded.
    let form: String = form_encode(&json);
    let delivery = GitHubDelivery::new("ping", form.clone())
        .secret(SECRET)
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
    let headers = delivery.headers();
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    assert!(
        verifier
            .verify(&Method::POST, &headers, form.as_bytes())
            .is_ok()
    );
    // The decoded JSON is not what was signed.
    assert_eq!(
        verifier
            .verify(&Method::POST, &headers, &json)
            .unwrap_err()
            .reason(),
        Reason::SignatureMismatch
    );
}

fn form_encode(json: &[u8]) -> String {
    let mut out = String::from("payload=");
    for &b in json {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[test]
fn gitlab_fixtures_with_a_token_and_with_a_signing_token_are_accepted() {
    let key = signing_key(SIGNING).unwrap();
    let tokens = Verifier::gitlab(KeyRing::single(Secret::new(SECRET).unwrap()));
    let signed = Verifier::builder()
        .gitlab(
            GitLab::new()
                .default_keys(GitLabKeys::signing(KeyRing::single(key.clone())))
                .clock(Clock::fixed(NOW)),
        )
        .build()
        .unwrap();
    for (stem, body) in common::fixtures("gitlab") {
        let event = common::gitlab_event_of(&stem);

        let delivery = GitLabDelivery::new(event, body.clone())
            .token(SECRET)
            .idempotency_key("idem-1");
        let verified = tokens
            .verify(&Method::POST, &delivery.headers(), &body)
            .unwrap();
        assert_eq!(verified.name(), event);
        assert_eq!(verified.delivery(), Some("idem-1"));
        let wrong = GitLabDelivery::new(event, body.clone()).token("fixture secreu");
        assert_eq!(
            tokens
                .verify(&Method::POST, &wrong.headers(), &body)
                .unwrap_err()
                .reason(),
            Reason::TokenMismatch,
            "{stem}"
        );

        let delivery = GitLabDelivery::new(event, body.clone()).signed(key.expose(), "msg_2x", NOW);
        let headers = delivery.headers();
        let verified = signed
            .verify(&Method::POST, &headers, &body)
            .unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(verified.delivery(), Some("msg_2x"));
        assert_eq!(verified.gitlab().unwrap().webhook_timestamp, Some(NOW));
        for index in [0, body.len() / 2, body.len() - 1] {
            let err = signed
                .verify(&Method::POST, &headers, &flip_bit(&body, index))
                .unwrap_err();
            assert_eq!(
                err.reason(),
                Reason::SignatureMismatch,
                "{stem} bit at {index}"
            );
        }
    }
}
