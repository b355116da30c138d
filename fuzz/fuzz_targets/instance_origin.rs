//! `InstanceOrigin::parse`: never panics; an accepted origin is ASCII,
//! `http(s)://host[:port]` in its normal form, and normalizing is
//! idempotent: the normal form parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_webhooks::InstanceOrigin;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(origin) = InstanceOrigin::parse(text) else {
        return;
    };
    let normal = origin.as_str();
    assert!(normal.is_ascii());
    assert!(
        normal.len() <= text.len(),
        "normalizing never grows: {text:?} -> {normal:?}"
    );
    let rest = normal
        .strip_prefix("https://")
        .or_else(|| normal.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("scheme: {normal:?}"));
    assert!(!rest.is_empty());
    assert!(!rest.contains(['/', '?', '#', '@', '\\']), "{normal:?}");
    assert_eq!(normal, normal.to_ascii_lowercase(), "lowercase: {normal:?}");
    assert!(
        !normal.ends_with(":443") || normal.starts_with("http://"),
        "default port: {normal:?}"
    );
    assert!(
        !normal.ends_with(":80") || normal.starts_with("https://"),
        "default port: {normal:?}"
    );

    let again =
        InstanceOrigin::parse(normal).unwrap_or_else(|e| panic!("{normal:?} re-parse: {e}"));
    assert_eq!(again, origin, "idempotent: {text:?}");
    // Case does not matter to the origin.
    assert_eq!(
        InstanceOrigin::parse(&text.to_ascii_uppercase()).as_ref(),
        Ok(&origin)
    );
});
