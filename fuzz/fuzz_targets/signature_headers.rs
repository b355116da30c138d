//! Signature header parsing: GitHub `X-Hub-Signature-256` and Standard
//! Webhooks `webhook-signature` lists. Never panics; GitHub accepts exactly
//! `sha256=` and 64 hex digits; a Standard Webhooks list yields at most
//! `MAX_SIGNATURES` tags, each the base64 of its `v1` entry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_webhooks::Reason;
use tower_webhooks::provider::github::parse_signature;
use tower_webhooks::provider::standard::{MAX_SIGNATURES, parse_signatures};

fuzz_target!(|data: &[u8]| {
    // GitHub: an independent reading of the rule.
    let expected = match data.strip_prefix(b"sha256=") {
        Some(hex) if hex.len() == 64 && hex.iter().all(u8::is_ascii_hexdigit) => {
            let mut tag = [0u8; 32];
            for (i, pair) in hex.chunks(2).enumerate() {
                let digit = |c: u8| (c as char).to_digit(16).unwrap() as u8;
                tag[i] = digit(pair[0]) << 4 | digit(pair[1]);
            }
            Ok(tag)
        }
        _ => Err(Reason::SignatureMalformed),
    };
    assert_eq!(parse_signature(data), expected, "github: {data:?}");

    // Standard Webhooks: bounded, and every tag comes from a `v1,` entry.
    match parse_signatures(data) {
        Ok(tags) => {
            assert!(tags.len() <= MAX_SIGNATURES);
            let text = std::str::from_utf8(data).expect("accepted input is UTF-8");
            let v1 = text.split(' ').filter(|e| e.starts_with("v1,")).count();
            assert_eq!(tags.len(), v1, "standard: {text:?}");
            // Re-encoding the tags gives a list that parses to the same tags.
            if tags.is_empty() {
                return;
            }
            let again: Vec<String> = tags.iter().map(|t| format!("v1,{}", b64(t))).collect();
            assert_eq!(
                parse_signatures(again.join(" ").as_bytes()).as_deref(),
                Ok(&tags[..])
            );
        }
        Err(reason) => assert_eq!(reason, Reason::SignatureMalformed),
    }
});

/// Standard base64 with padding, written out here so that the check does
/// not lean on the crate's own encoder.
fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
