//! Published HMAC-SHA256 and provider vectors from ../shared/vectors, run
//! through the crate's own verification code.

mod common;

use http::{HeaderMap, HeaderValue, Method};
use tower_webhooks::provider::standard::{Clock, StandardWebhooks, signing_key};
use tower_webhooks::{KeyRing, Reason, Secret, Verifier};

fn hex(value: &serde_json::Value) -> Vec<u8> {
    ::hex::decode(value.as_str().unwrap()).unwrap()
}

/// Verifies `body` as a GitHub delivery whose `X-Hub-Signature-256` carries
/// `tag` in hex, with `key` as the only secret.
fn github_verdict(key: &[u8], body: &[u8], tag_hex: &str) -> Result<(), Reason> {
    let verifier = Verifier::github(KeyRing::single(Secret::new(key).unwrap()));
    let mut headers = HeaderMap::new();
    headers.insert("x-github-event", HeaderValue::from_static("push"));
    headers.insert(
        "x-hub-signature-256",
        HeaderValue::from_str(&format!("sha256={tag_hex}")).unwrap(),
    );
    verifier
        .verify(&Method::POST, &headers, body)
        .map(drop)
        .map_err(|r| r.reason())
}

#[test]
fn githubs_documented_vector_is_accepted_and_its_sha1_signature_is_not() {
    let vectors = common::shared_json("vectors/provider_vectors.json");
    let github = &vectors["github"];
    assert!(!github.as_array().unwrap().is_empty());
    for v in github.as_array().unwrap() {
        let secret = v["secret"].as_str().unwrap();
        let payload = v["payload"].as_str().unwrap();
        let header = v["x_hub_signature_256"].as_str().unwrap();
        assert_eq!(
            tower_webhooks::provider::github::sign(secret.as_bytes(), payload.as_bytes()),
            header
        );
        let tag = header.strip_prefix("sha256=").unwrap();
        assert_eq!(
            github_verdict(secret.as_bytes(), payload.as_bytes(), tag),
            Ok(())
        );

        // The SHA-1 header alone is never a substitute.
        let verifier = Verifier::github(KeyRing::single(Secret::new(secret).unwrap()));
        let mut headers = HeaderMap::new();
        headers.insert("x-github-event", HeaderValue::from_static("push"));
        headers.insert(
            "x-hub-signature",
            HeaderValue::from_str(v["derived_x_hub_signature_sha1"].as_str().unwrap()).unwrap(),
        );
        let err = verifier
            .verify(&Method::POST, &headers, payload.as_bytes())
            .unwrap_err();
        assert_eq!(err.reason(), Reason::SignatureMissing);
    }
}

#[test]
fn all_rfc4231_cases_verify_and_the_truncated_one_is_never_a_github_signature() {
    let cases = common::shared_json("vectors/rfc4231_sha256.json");
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 7);
    for case in cases {
        let (key, data, mac) = (
            hex(&case["key_hex"]),
            hex(&case["data_hex"]),
            hex(&case["mac_hex"]),
        );
        let name = case["name"].as_str().unwrap();
        let full = tower_webhooks::provider::github::sign(&key, &data);
        let full = full.strip_prefix("sha256=").unwrap();
        assert!(
            full.starts_with(&::hex::encode(&mac)),
            "{name}: the crate's HMAC disagrees"
        );
        if mac.len() == 32 {
            assert_eq!(github_verdict(&key, &data, full), Ok(()), "{name}");
            let mut flipped = data.clone();
            if let Some(first) = flipped.first_mut() {
                *first ^= 1;
            }
            assert_eq!(
                github_verdict(&key, &flipped, full),
                Err(Reason::SignatureMismatch),
                "{name}"
            );
        } else {
            // A truncated tag, correct as far as it goes, is still refused.
            assert_eq!(
                github_verdict(&key, &data, &::hex::encode(&mac)),
                Err(Reason::SignatureMalformed),
                "{name}"
            );
        }
    }
}

#[test]
fn all_174_wycheproof_cases_valid_accepted_invalid_and_truncated_rejected() {
    let suite = common::shared_json("vectors/wycheproof_hmac_sha256_test.json");
    let mut counted = 0;
    let (mut accepted, mut rejected) = (0, 0);
    for group in suite["testGroups"].as_array().unwrap() {
        let tag_bits = group["tagSize"].as_u64().unwrap();
        for test in group["tests"].as_array().unwrap() {
            counted += 1;
            let id = test["tcId"].as_u64().unwrap();
            let (key, msg, tag) = (hex(&test["key"]), hex(&test["msg"]), hex(&test["tag"]));
            let valid = test["result"].as_str().unwrap() == "valid";
            let verdict = github_verdict(&key, &msg, &::hex::encode(&tag));
            if tag_bits == 256 && valid {
                assert_eq!(verdict, Ok(()), "tcId {id} must be accepted");
                accepted += 1;
            } else {
                assert!(
                    verdict.is_err(),
                    "tcId {id} ({tag_bits}-bit tag, {}) must be rejected",
                    test["result"]
                );
                if tag_bits != 256 {
                    assert_eq!(verdict, Err(Reason::SignatureMalformed), "tcId {id}");
                }
                rejected += 1;
            }
        }
    }
    assert_eq!(counted, 174);
    assert_eq!(suite["numberOfTests"].as_u64(), Some(174));
    assert!(accepted > 0 && rejected > 0);
}

#[test]
fn standard_webhooks_vectors_with_the_clock_pinned_to_each_timestamp() {
    let vectors = common::shared_json("vectors/provider_vectors.json");
    let cases = vectors["standard_webhooks"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for case in cases {
        let s = |k: &str| case[k].as_str().unwrap();
        let timestamp: i64 = s("webhook_timestamp").parse().unwrap();
        let verifier = StandardWebhooks::new(KeyRing::single(signing_key(s("secret")).unwrap()))
            .clock(Clock::fixed(timestamp));
        let mut headers = HeaderMap::new();
        headers.insert(
            "webhook-id",
            HeaderValue::from_str(s("webhook_id")).unwrap(),
        );
        headers.insert(
            "webhook-timestamp",
            HeaderValue::from_str(s("webhook_timestamp")).unwrap(),
        );
        headers.insert(
            "webhook-signature",
            HeaderValue::from_str(s("expected")).unwrap(),
        );
        let verdict = verifier.verify(&headers, s("payload").as_bytes());
        if case["valid"].as_bool().unwrap() {
            let message = verdict.unwrap();
            assert_eq!(message.id, s("webhook_id"));
            assert_eq!(message.timestamp, timestamp);
        } else {
            assert_eq!(verdict.unwrap_err().reason(), Reason::SignatureMismatch);
        }
        // The same message an hour later is stale.
        let late = StandardWebhooks::new(KeyRing::single(signing_key(s("secret")).unwrap()))
            .clock(Clock::fixed(timestamp + 3600));
        assert_eq!(
            late.verify(&headers, s("payload").as_bytes())
                .unwrap_err()
                .reason(),
            Reason::TimestampOutOfWindow
        );
    }
}
