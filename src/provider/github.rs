//! GitHub: `X-Hub-Signature-256` over the raw body, keys per enterprise host.

use std::collections::HashMap;

use http::{HeaderMap, HeaderName};

use super::{Pending, Reject, Slot, context_value};
use crate::KeyRing;
use crate::Provider;
use crate::event::{Details, Event, EventKind, GitHubDetails, GitHubEvent};
use crate::proof::{Expected, MacProof, Proof};
use crate::rejection::{Reason, Rejection, RejectionContext};

/// `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the body.
pub const SIGNATURE: HeaderName = HeaderName::from_static("x-hub-signature-256");
/// `X-Hub-Signature`: the legacy SHA-1 signature. Never accepted.
pub const LEGACY_SIGNATURE: HeaderName = HeaderName::from_static("x-hub-signature");
/// `X-GitHub-Event`.
pub const EVENT: HeaderName = HeaderName::from_static("x-github-event");
/// `X-GitHub-Delivery`.
pub const DELIVERY: HeaderName = HeaderName::from_static("x-github-delivery");
/// `X-GitHub-Hook-ID`.
pub const HOOK_ID: HeaderName = HeaderName::from_static("x-github-hook-id");
/// `X-GitHub-Hook-Installation-Target-Type`.
pub const TARGET_TYPE: HeaderName =
    HeaderName::from_static("x-github-hook-installation-target-type");
/// `X-GitHub-Hook-Installation-Target-ID`.
pub const TARGET_ID: HeaderName = HeaderName::from_static("x-github-hook-installation-target-id");
/// `X-GitHub-Enterprise-Host` (GitHub Enterprise Server).
pub const ENTERPRISE_HOST: HeaderName = HeaderName::from_static("x-github-enterprise-host");
/// `X-GitHub-Enterprise-Version` (GitHub Enterprise Server).
pub const ENTERPRISE_VERSION: HeaderName = HeaderName::from_static("x-github-enterprise-version");
/// `X-Github-Tenant` (GHE.com).
pub const TENANT: HeaderName = HeaderName::from_static("x-github-tenant");

const PREFIX: &str = "sha256=";

/// GitHub's keys: the default ring for github.com and GitHub Apps, and one
/// ring per GitHub Enterprise Server host or GHE.com tenant.
///
/// A delivery with `X-GitHub-Enterprise-Host` (or `X-Github-Tenant`) uses
/// that host's ring when one is configured, and the default ring otherwise;
/// with neither, it is rejected as `unknown_instance`.
///
/// ```
/// use tower_webhooks::{GitHub, KeyRing, Secret};
///
/// let github = GitHub::new(KeyRing::single(Secret::new("dotcom secret").unwrap()))
///     .enterprise_host("ghes.example.com", KeyRing::single(Secret::new("ghes secret").unwrap()))
///     .tenant("acme", KeyRing::single(Secret::new("ghe.com secret").unwrap()));
/// ```
#[derive(Debug, Clone)]
pub struct GitHub {
    default: Option<KeyRing>,
    enterprise_hosts: HashMap<String, KeyRing>,
    tenants: HashMap<String, KeyRing>,
}

impl GitHub {
    /// GitHub with `keys` for github.com (and any host not listed).
    pub fn new(keys: KeyRing) -> Self {
        Self {
            default: Some(keys),
            enterprise_hosts: HashMap::new(),
            tenants: HashMap::new(),
        }
    }

    /// GitHub Enterprise Server only: deliveries from other hosts, or
    /// without `X-GitHub-Enterprise-Host`, are rejected.
    pub fn enterprise(host: &str, keys: KeyRing) -> Self {
        Self {
            default: None,
            enterprise_hosts: HashMap::new(),
            tenants: HashMap::new(),
        }
        .enterprise_host(host, keys)
    }

    /// Uses `keys` for deliveries whose `X-GitHub-Enterprise-Host` is
    /// `host` (compared without regard to ASCII case).
    pub fn enterprise_host(mut self, host: &str, keys: KeyRing) -> Self {
        self.enterprise_hosts
            .insert(host.to_ascii_lowercase(), keys);
        self
    }

    /// Uses `keys` for deliveries whose `X-Github-Tenant` is `tenant`
    /// (GHE.com; compared without regard to ASCII case).
    pub fn tenant(mut self, tenant: &str, keys: KeyRing) -> Self {
        self.tenants.insert(tenant.to_ascii_lowercase(), keys);
        self
    }

    /// Whether the headers look like a GitHub delivery.
    pub(crate) fn claims(headers: &HeaderMap) -> bool {
        headers.contains_key(EVENT)
            || headers.contains_key(SIGNATURE)
            || headers.contains_key(LEGACY_SIGNATURE)
    }

    pub(crate) fn context(headers: &HeaderMap) -> RejectionContext {
        RejectionContext {
            provider: Some(Provider::GitHub),
            event: context_value(headers, &EVENT),
            delivery: context_value(headers, &DELIVERY),
            instance: context_value(headers, &ENTERPRISE_HOST)
                .or_else(|| context_value(headers, &TENANT)),
        }
    }

    /// The header stage: everything decidable before the first body byte.
    pub(crate) fn begin(
        &self,
        headers: &HeaderMap,
        reject: &Reject<'_>,
    ) -> Result<Pending, Rejection> {
        let r = |reason| reject.with(reason);

        let found = Found::scan(headers);

        let event = found
            .event
            .text()
            .map_err(r)?
            .ok_or_else(|| r(Reason::EventMissing))?;
        let signature = found
            .signature
            .single()
            .map_err(r)?
            .ok_or_else(|| r(Reason::SignatureMissing))?;
        let expected = parse_signature(signature.as_bytes()).map_err(r)?;

        let host = found.enterprise_host.owned().map_err(r)?;
        let tenant = found.tenant.owned().map_err(r)?;
        let keys = self.keys_for(host.as_deref(), tenant.as_deref());
        let keys = keys.ok_or_else(|| r(Reason::UnknownInstance))?;

        let details = GitHubDetails {
            installation_target_type: found.target_type.owned().map_err(r)?,
            installation_target_id: found.target_id.owned().map_err(r)?,
            enterprise_version: found.enterprise_version.owned().map_err(r)?,
            enterprise_host: host.clone(),
            tenant: tenant.clone(),
        };
        let event = Event {
            kind: EventKind::GitHub(GitHubEvent::from_header(event)),
            delivery: found.delivery.owned().map_err(r)?,
            hook_id: found.hook_id.owned().map_err(r)?,
            instance: host.or(tenant),
            key: super::unset_key(),
            details: Details::GitHub(details),
        };
        let proof = Proof::Mac(MacProof::new(keys.snapshot(), Expected::One(expected)));
        Ok(Pending { proof, event })
    }

    fn keys_for(&self, host: Option<&str>, tenant: Option<&str>) -> Option<&KeyRing> {
        listed(&self.enterprise_hosts, host)
            .or_else(|| listed(&self.tenants, tenant))
            .or(self.default.as_ref())
    }
}

/// The GitHub headers of a request, found in one pass over the map instead
/// of one hashed lookup per name (the header stage reads nine).
#[derive(Default)]
struct Found<'a> {
    event: Slot<'a>,
    signature: Slot<'a>,
    delivery: Slot<'a>,
    hook_id: Slot<'a>,
    target_type: Slot<'a>,
    target_id: Slot<'a>,
    enterprise_version: Slot<'a>,
    enterprise_host: Slot<'a>,
    tenant: Slot<'a>,
}

impl<'a> Found<'a> {
    /// The names are the constants above, spelled out for `match` (a test
    /// checks that they agree).
    fn scan(headers: &'a HeaderMap) -> Self {
        let mut found = Self::default();
        for (name, value) in headers {
            let slot = match name.as_str() {
                "x-github-event" => &mut found.event,
                "x-hub-signature-256" => &mut found.signature,
                "x-github-delivery" => &mut found.delivery,
                "x-github-hook-id" => &mut found.hook_id,
                "x-github-hook-installation-target-type" => &mut found.target_type,
                "x-github-hook-installation-target-id" => &mut found.target_id,
                "x-github-enterprise-version" => &mut found.enterprise_version,
                "x-github-enterprise-host" => &mut found.enterprise_host,
                "x-github-tenant" => &mut found.tenant,
                _ => continue,
            };
            slot.see(value);
        }
        found
    }
}

fn listed<'a>(map: &'a HashMap<String, KeyRing>, name: Option<&str>) -> Option<&'a KeyRing> {
    name.and_then(|n| map.get(&n.to_ascii_lowercase()))
}

/// Parses an `X-Hub-Signature-256` value: exactly `sha256=` followed by 64
/// hex digits. Anything else, including a truncated tag, is malformed.
///
/// ```
/// use tower_webhooks::provider::github::parse_signature;
/// use tower_webhooks::Reason;
///
/// let hex = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
/// assert!(parse_signature(format!("sha256={hex}").as_bytes()).is_ok());
/// assert_eq!(parse_signature(format!("sha1={hex}").as_bytes()), Err(Reason::SignatureMalformed));
/// assert_eq!(parse_signature(b"sha256=7571"), Err(Reason::SignatureMalformed));
/// ```
pub fn parse_signature(value: &[u8]) -> Result<[u8; 32], Reason> {
    let hex = value
        .strip_prefix(PREFIX.as_bytes())
        .ok_or(Reason::SignatureMalformed)?;
    let mut tag = [0u8; 32];
    hex::decode_to_slice(hex, &mut tag).map_err(|_| Reason::SignatureMalformed)?;
    Ok(tag)
}

/// The `X-Hub-Signature-256` value GitHub would send for `body` signed with
/// `secret`: `sha256=` and 64 lowercase hex digits.
///
/// ```
/// use tower_webhooks::provider::github::sign;
///
/// // GitHub's documented example.
/// assert_eq!(
///     sign(b"It's a Secret to Everybody", b"Hello, World!"),
///     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
/// );
/// ```
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = crate::keys::HmacSha256::new_from_slice(secret)
        .expect("HMAC-SHA256 accepts keys of any length");
    mac.update(body);
    format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Found::scan` matches on spelled-out names: each constant's header
    /// must land in its own slot, and a repeat must be seen as one.
    #[test]
    fn scan_finds_every_header_by_its_constant() {
        let names = [
            EVENT,
            SIGNATURE,
            DELIVERY,
            HOOK_ID,
            TARGET_TYPE,
            TARGET_ID,
            ENTERPRISE_VERSION,
            ENTERPRISE_HOST,
            TENANT,
        ];
        let mut headers = HeaderMap::new();
        for (i, name) in names.iter().enumerate() {
            headers.insert(name.clone(), i.to_string().parse().unwrap());
        }
        let found = Found::scan(&headers);
        let slots = [
            found.event,
            found.signature,
            found.delivery,
            found.hook_id,
            found.target_type,
            found.target_id,
            found.enterprise_version,
            found.enterprise_host,
            found.tenant,
        ];
        for (i, slot) in slots.into_iter().enumerate() {
            assert_eq!(
                slot.text(),
                Ok(Some(i.to_string().as_str())),
                "{}",
                names[i]
            );
        }

        headers.append(DELIVERY, "again".parse().unwrap());
        assert_eq!(
            Found::scan(&headers).delivery.single(),
            Err(Reason::HeaderDuplicated)
        );
    }
}
