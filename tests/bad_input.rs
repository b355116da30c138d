//! The bad-input matrix: hostile requests over real TCP against a hyper
//! server running `WebhookLayer` in front of a recording inner service.
//!
//! Each row states what the server answers (the layer's status and reason
//! code, or hyper's own refusal) and whether the inner service ran. Every
//! row that is not a correctly signed delivery asserts that it never did.
//! Rows run concurrently, each against its own server.
//!
//! Needs the project's shared fixtures (see `common::shared`).

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceBuilder;
use tower_webhooks::provider::github;
use tower_webhooks::{
    GitHub, GitLab, InstanceOrigin, KeyRing, Reason, Secret, Verifier, WebhookLayer,
};

use common::Recorder;

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const GITLAB_TOKEN: &str = "gitlab-token";
const GITLAB_INSTANCE: &str = "https://gitlab.example.com";
/// The body limit of the servers under test.
const LIMIT: usize = 64 * 1024;
/// The body deadline of the servers under test.
const BODY_TIMEOUT: Duration = Duration::from_millis(800);
/// The longest a row waits for the server's answer.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A server accepting GitHub (one secret) and one GitLab instance (one
/// token), with a 64 KiB limit and a short body deadline.
async fn server() -> (SocketAddr, Recorder) {
    let verifier = Verifier::builder()
        .github(GitHub::new(KeyRing::single(
            Secret::new(GITHUB_SECRET).unwrap(),
        )))
        .gitlab(GitLab::new().instance(
            InstanceOrigin::parse(GITLAB_INSTANCE).unwrap(),
            KeyRing::single(Secret::new(GITLAB_TOKEN).unwrap()),
        ))
        .body_limit(LIMIT)
        .build()
        .unwrap();
    let recorder = Recorder::default();
    let service = ServiceBuilder::new()
        .layer(WebhookLayer::new(verifier).body_timeout(BODY_TIMEOUT))
        .service(recorder.service());
    (common::serve_hyper(service).await, recorder)
}

/// What the server must answer.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// 200 from the inner service, which saw exactly the body, once.
    Accepted,
    /// The layer's rejection: its status and `"<code>: <message>\n"`.
    Rejected(Reason),
    /// Refused by hyper before the layer (this status, and not a body of
    /// the layer's), or no answer at all (`None`: the connection is closed).
    Hyper(Option<u16>),
}

/// How the client sends the request bytes.
#[derive(Debug, Clone, Copy)]
enum Client {
    /// All bytes at once, then read the answer.
    Whole,
    /// All bytes, then close the write side (the body is cut short).
    ShutdownWrite,
    /// All bytes, then nothing more, with the connection left open.
    Stall,
    /// One byte at a time, `every` apart, for longer than the deadline.
    Drip { every: Duration },
    /// Part of the bytes, then drop the connection without reading.
    Disconnect,
}

struct Row {
    name: &'static str,
    raw: Vec<u8>,
    client: Client,
    expect: Expect,
    /// The bytes the inner service must see, for `Accepted`.
    body: Bytes,
    /// Further responses on the same connection (pipelined requests).
    then: Vec<Expect>,
}

type Headers = Vec<(&'static str, Vec<u8>)>;

/// A raw HTTP/1.1 request. Adds `Host`, `Connection: close` and a
/// `Content-Length` of the body unless the headers set `Content-Length` or
/// `Transfer-Encoding` themselves.
fn raw(method: &str, headers: &[(&'static str, Vec<u8>)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
        .into_bytes();
    let framed = headers.iter().any(|(n, _)| {
        n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding")
    });
    if !framed {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// The request without its `Connection: close`, so that the server reads
/// what follows as the next request.
fn keep_alive(raw: Vec<u8>) -> Vec<u8> {
    let at = raw
        .windows(19)
        .position(|w| w == b"Connection: close\r\n")
        .expect("raw() adds Connection: close");
    [&raw[..at], &raw[at + 19..]].concat()
}

/// A chunked body: `total` bytes of `x` in chunks of `chunk`.
fn chunked(total: usize, chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk);
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend(std::iter::repeat_n(b'x', n));
        out.extend_from_slice(b"\r\n");
        left -= n;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn hex_sig(body: &[u8]) -> Vec<u8> {
    github::sign(GITHUB_SECRET.as_bytes(), body).into_bytes()
}

/// GitHub headers for `body`, with `signature` as the signature value(s).
fn gh(signatures: &[Vec<u8>]) -> Headers {
    let mut h: Headers = vec![
        ("X-GitHub-Event", b"push".to_vec()),
        (
            "X-GitHub-Delivery",
            b"72d3162e-cc78-11e3-81ab-4c9367dc0958".to_vec(),
        ),
        ("Content-Type", b"application/json".to_vec()),
    ];
    for s in signatures {
        h.push(("X-Hub-Signature-256", s.clone()));
    }
    h
}

/// GitLab headers with `token` and `instance` (each left out when `None`).
fn gl(token: Option<&[u8]>, instance: Option<&[u8]>) -> Headers {
    let mut h: Headers = vec![
        ("X-Gitlab-Event", b"Push Hook".to_vec()),
        ("Content-Type", b"application/json".to_vec()),
    ];
    if let Some(token) = token {
        h.push(("X-Gitlab-Token", token.to_vec()));
    }
    if let Some(instance) = instance {
        h.push(("X-Gitlab-Instance", instance.to_vec()));
    }
    h
}

fn with(mut h: Headers, name: &'static str, value: impl Into<Vec<u8>>) -> Headers {
    h.push((name, value.into()));
    h
}

fn row(name: &'static str, raw: Vec<u8>, expect: Expect) -> Row {
    Row {
        name,
        raw,
        client: Client::Whole,
        expect,
        body: Bytes::new(),
        then: vec![],
    }
}

fn accepted(name: &'static str, raw: Vec<u8>, body: &Bytes) -> Row {
    Row {
        body: body.clone(),
        ..row(name, raw, Expect::Accepted)
    }
}

fn rejected(name: &'static str, raw: Vec<u8>, reason: Reason) -> Row {
    row(name, raw, Expect::Rejected(reason))
}

fn by_hyper(name: &'static str, raw: Vec<u8>, status: u16) -> Row {
    row(name, raw, Expect::Hyper(Some(status)))
}

fn client(mut row: Row, client: Client) -> Row {
    row.client = client;
    row
}

/// Signature, header and GitLab origin rows: one request, sent whole.
fn header_rows(body: &Bytes) -> Vec<Row> {
    use Reason::*;
    let b = &body[..];
    let sig = hex_sig(b);
    let hex = &sig[7..];
    let gh_raw = |sigs: &[Vec<u8>]| raw("POST", &gh(sigs), b);
    let prefixed = |prefix: &str, hex: &[u8]| [prefix.as_bytes(), hex].concat();
    let long_value = |n: usize| vec![b'a'; n];
    let sha1 = format!("sha1={}", "01dc10d0c83e72ed246219cdd91669667fe2ca59").into_bytes();
    let mut non_hex = hex.to_vec();
    non_hex[10] = b'g';
    let mut wrong = hex.to_vec();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let upper = prefixed("sha256=", &hex.to_ascii_uppercase());

    vec![
        // The control rows: the matrix's server does accept good deliveries.
        accepted("github: valid", gh_raw(std::slice::from_ref(&sig)), body),
        accepted(
            "gitlab: valid token and instance",
            raw(
                "POST",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some(GITLAB_INSTANCE.as_bytes()),
                ),
                b,
            ),
            body,
        ),
        // Missing, duplicated and empty signature headers.
        rejected("signature missing", gh_raw(&[]), SignatureMissing),
        rejected(
            "only the legacy sha1 header",
            raw("POST", &with(gh(&[]), "X-Hub-Signature", sha1.clone()), b),
            SignatureMissing,
        ),
        rejected(
            "signature duplicated (both valid)",
            gh_raw(&[sig.clone(), sig.clone()]),
            HeaderDuplicated,
        ),
        rejected(
            "signature duplicated (valid and forged)",
            gh_raw(&[sig.clone(), prefixed("sha256=", &wrong)]),
            HeaderDuplicated,
        ),
        rejected("signature empty", gh_raw(&[vec![]]), SignatureMalformed),
        rejected(
            "signature only the prefix",
            gh_raw(&[b"sha256=".to_vec()]),
            SignatureMalformed,
        ),
        // Wrong prefixes.
        rejected(
            "prefix sha1=",
            gh_raw(std::slice::from_ref(&sha1)),
            SignatureMalformed,
        ),
        rejected(
            "prefix sha1= with the sha256 hex",
            gh_raw(&[prefixed("sha1=", hex)]),
            SignatureMalformed,
        ),
        rejected(
            "prefix SHA256=",
            gh_raw(&[prefixed("SHA256=", hex)]),
            SignatureMalformed,
        ),
        rejected(
            "prefix sha256:",
            gh_raw(&[prefixed("sha256:", hex)]),
            SignatureMalformed,
        ),
        rejected(
            "prefix sha256 =",
            gh_raw(&[prefixed("sha256 =", hex)]),
            SignatureMalformed,
        ),
        rejected(
            "space after sha256=",
            gh_raw(&[prefixed("sha256= ", hex)]),
            SignatureMalformed,
        ),
        rejected(
            "no prefix, bare hex",
            gh_raw(&[hex.to_vec()]),
            SignatureMalformed,
        ),
        // HTTP/1.1 header values have no leading or trailing whitespace: the
        // parser (RFC 9110, 5.5) strips it before any application sees the
        // value. So a correct signature with spaces or tabs around it is the
        // correct signature, and is accepted; whitespace *inside* the value
        // (rows above and below) is not stripped and is refused.
        accepted(
            "leading and trailing spaces are stripped by HTTP",
            gh_raw(&[[b"  ", &sig[..], b" \t"].concat()]),
            body,
        ),
        rejected(
            "tab inside the hex",
            gh_raw(&[[&sig[..20], b"\t", &sig[20..]].concat()]),
            SignatureMalformed,
        ),
        // Short, long, odd-length, non-hex, and well formed but wrong.
        rejected(
            "hex too short (62)",
            gh_raw(&[sig[..sig.len() - 2].to_vec()]),
            SignatureMalformed,
        ),
        rejected(
            "hex odd length (63)",
            gh_raw(&[sig[..sig.len() - 1].to_vec()]),
            SignatureMalformed,
        ),
        rejected(
            "hex too long (66)",
            gh_raw(&[[&sig[..], b"00"].concat()]),
            SignatureMalformed,
        ),
        rejected(
            "hex odd and long (65)",
            gh_raw(&[[&sig[..], b"0"].concat()]),
            SignatureMalformed,
        ),
        rejected(
            "non-hex digit",
            gh_raw(&[prefixed("sha256=", &non_hex)]),
            SignatureMalformed,
        ),
        rejected(
            "base64 instead of hex",
            gh_raw(&[b"sha256=dXNlcjpwYXNzd29yZA==".to_vec()]),
            SignatureMalformed,
        ),
        rejected(
            "one hex digit changed",
            gh_raw(&[prefixed("sha256=", &wrong)]),
            SignatureMismatch,
        ),
        rejected(
            "signature of another body",
            gh_raw(&[hex_sig(b"{}")]),
            SignatureMismatch,
        ),
        rejected(
            "signed with another secret",
            gh_raw(&[github::sign(b"not the secret", b).into_bytes()]),
            SignatureMismatch,
        ),
        // Hex is case-insensitive: the same tag in uppercase digits is the
        // same signature.
        accepted("uppercase hex digits", gh_raw(&[upper]), body),
        // Non-ASCII and oversized header values (the layer's cap is 1024
        // bytes per provider header; hyper passes bytes >= 0x80 through).
        rejected(
            "non-ASCII in the signature",
            gh_raw(&[[&sig[..60], "é".as_bytes(), &sig[62..]].concat()]),
            SignatureMalformed,
        ),
        rejected(
            "non-ASCII event name",
            raw(
                "POST",
                &[
                    ("X-GitHub-Event", "pushé".as_bytes().to_vec()),
                    ("X-Hub-Signature-256", sig.clone()),
                ],
                b,
            ),
            HeaderMalformed,
        ),
        rejected(
            "non-ASCII delivery id",
            raw(
                "POST",
                &with(
                    gh(std::slice::from_ref(&sig)),
                    "X-GitHub-Hook-ID",
                    "１２３".as_bytes(),
                ),
                b,
            ),
            HeaderMalformed,
        ),
        rejected(
            "oversized signature (2000 bytes)",
            gh_raw(&[[&sig[..], &long_value(2000 - sig.len())].concat()]),
            HeaderMalformed,
        ),
        accepted(
            "hook id of exactly 1024 bytes",
            raw(
                "POST",
                &with(
                    gh(std::slice::from_ref(&sig)),
                    "X-GitHub-Hook-ID",
                    long_value(1024),
                ),
                b,
            ),
            body,
        ),
        rejected(
            "hook id of 1025 bytes",
            raw(
                "POST",
                &with(
                    gh(std::slice::from_ref(&sig)),
                    "X-GitHub-Hook-ID",
                    long_value(1025),
                ),
                b,
            ),
            HeaderMalformed,
        ),
        rejected(
            "oversized event name (4096 bytes)",
            raw(
                "POST",
                &[
                    ("X-GitHub-Event", long_value(4096)),
                    ("X-Hub-Signature-256", sig.clone()),
                ],
                b,
            ),
            HeaderMalformed,
        ),
        // hyper refuses a head larger than its buffer (about 400 KiB) with
        // 431 before any service runs.
        by_hyper(
            "a 600 KiB header value",
            raw(
                "POST",
                &with(
                    gh(std::slice::from_ref(&sig)),
                    "X-Padding",
                    long_value(600 * 1024),
                ),
                b,
            ),
            431,
        ),
        rejected(
            "event header missing",
            raw("POST", &[("X-Hub-Signature-256", sig.clone())], b),
            EventMissing,
        ),
        rejected(
            "no provider headers",
            raw("POST", &[("Content-Type", b"application/json".to_vec())], b),
            ProviderUnknown,
        ),
        rejected(
            "GitHub and GitLab headers at once",
            raw(
                "POST",
                &with(
                    gh(std::slice::from_ref(&sig)),
                    "X-Gitlab-Token",
                    GITLAB_TOKEN,
                ),
                b,
            ),
            ProviderAmbiguous,
        ),
        // GitLab tokens with whitespace. Inner whitespace is part of the
        // token and does not match; outer whitespace is stripped by HTTP
        // (see above), so the token is the configured one.
        rejected(
            "token with an inner space",
            raw(
                "POST",
                &gl(Some(b"gitlab token"), Some(GITLAB_INSTANCE.as_bytes())),
                b,
            ),
            TokenMismatch,
        ),
        rejected(
            "token with an inner tab",
            raw(
                "POST",
                &gl(Some(b"gitlab-\ttoken"), Some(GITLAB_INSTANCE.as_bytes())),
                b,
            ),
            TokenMismatch,
        ),
        accepted(
            "token with outer spaces (stripped by HTTP)",
            raw(
                "POST",
                &gl(Some(b" gitlab-token  "), Some(GITLAB_INSTANCE.as_bytes())),
                b,
            ),
            body,
        ),
        rejected(
            "token a prefix of the real one",
            raw(
                "POST",
                &gl(Some(b"gitlab-toke"), Some(GITLAB_INSTANCE.as_bytes())),
                b,
            ),
            TokenMismatch,
        ),
        rejected(
            "token empty",
            raw("POST", &gl(Some(b""), Some(GITLAB_INSTANCE.as_bytes())), b),
            TokenMismatch,
        ),
        rejected(
            "token missing",
            raw("POST", &gl(None, Some(GITLAB_INSTANCE.as_bytes())), b),
            TokenMissing,
        ),
        rejected(
            "token duplicated",
            raw(
                "POST",
                &with(
                    gl(
                        Some(GITLAB_TOKEN.as_bytes()),
                        Some(GITLAB_INSTANCE.as_bytes()),
                    ),
                    "X-Gitlab-Token",
                    GITLAB_TOKEN,
                ),
                b,
            ),
            HeaderDuplicated,
        ),
        rejected(
            "token oversized (4096 bytes)",
            raw(
                "POST",
                &gl(Some(&long_value(4096)), Some(GITLAB_INSTANCE.as_bytes())),
                b,
            ),
            HeaderMalformed,
        ),
        // A newline cannot be sent inside a header value: a bare LF ends the
        // line, a bare CR is invalid, and a folded continuation line
        // (obs-fold) is refused. hyper answers 400 itself.
        by_hyper(
            "token with a bare LF",
            raw(
                "POST",
                &gl(Some(b"gitlab-\ntoken"), Some(GITLAB_INSTANCE.as_bytes())),
                b,
            ),
            400,
        ),
        by_hyper(
            "token with a bare CR",
            raw(
                "POST",
                &gl(Some(b"gitlab-\rtoken"), Some(GITLAB_INSTANCE.as_bytes())),
                b,
            ),
            400,
        ),
        by_hyper(
            "token folded onto a second line (obs-fold)",
            raw(
                "POST",
                &gl(Some(b"gitlab-\r\n token"), Some(GITLAB_INSTANCE.as_bytes())),
                b,
            ),
            400,
        ),
        by_hyper(
            "signature with a NUL byte",
            gh_raw(&[[&sig[..10], b"\0", &sig[10..]].concat()]),
            400,
        ),
        // X-Gitlab-Instance: only an origin names an instance.
        rejected(
            "instance with a path",
            raw(
                "POST",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some(b"https://gitlab.example.com/group"),
                ),
                b,
            ),
            InstanceMalformed,
        ),
        rejected(
            "instance with userinfo",
            raw(
                "POST",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some(b"https://user:pw@gitlab.example.com"),
                ),
                b,
            ),
            InstanceMalformed,
        ),
        rejected(
            "instance with a query",
            raw(
                "POST",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some(b"https://gitlab.example.com?x=1"),
                ),
                b,
            ),
            InstanceMalformed,
        ),
        // Raw UTF-8 is not header text: refused as a malformed header
        // before it is read as an origin.
        rejected(
            "instance with a unicode host",
            raw(
                "POST",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some("https://gitläb.example.com".as_bytes()),
                ),
                b,
            ),
            HeaderMalformed,
        ),
        // The same host in punycode is a well-formed origin, just not one
        // with keys.
        rejected(
            "instance in punycode, not configured",
            raw(
                "POST",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some(b"https://xn--gitlb-gra.example.com"),
                ),
                b,
            ),
            UnknownInstance,
        ),
        rejected(
            "instance garbage",
            raw(
                "POST",
                &gl(Some(GITLAB_TOKEN.as_bytes()), Some(b"]]not an origin[[")),
                b,
            ),
            InstanceMalformed,
        ),
        rejected(
            "instance with another scheme",
            raw(
                "POST",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some(b"ftp://gitlab.example.com"),
                ),
                b,
            ),
            InstanceMalformed,
        ),
        rejected(
            "instance with port 0",
            raw(
                "POST",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some(b"https://gitlab.example.com:0"),
                ),
                b,
            ),
            InstanceMalformed,
        ),
        rejected(
            "instance empty",
            raw("POST", &gl(Some(GITLAB_TOKEN.as_bytes()), Some(b"")), b),
            InstanceMalformed,
        ),
        rejected(
            "instance not configured",
            raw(
                "POST",
                &gl(Some(GITLAB_TOKEN.as_bytes()), Some(b"https://evil.example")),
                b,
            ),
            UnknownInstance,
        ),
        rejected(
            "instance missing (no default keys)",
            raw("POST", &gl(Some(GITLAB_TOKEN.as_bytes()), None), b),
            UnknownInstance,
        ),
        rejected(
            "instance duplicated",
            raw(
                "POST",
                &with(
                    gl(
                        Some(GITLAB_TOKEN.as_bytes()),
                        Some(GITLAB_INSTANCE.as_bytes()),
                    ),
                    "X-Gitlab-Instance",
                    GITLAB_INSTANCE,
                ),
                b,
            ),
            HeaderDuplicated,
        ),
        accepted(
            "instance in another case, default port, trailing slash",
            raw(
                "POST",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some(b"HTTPS://GitLab.Example.COM:443/"),
                ),
                b,
            ),
            body,
        ),
        // Non-POST methods, with an otherwise valid delivery.
        rejected(
            "GET",
            raw("GET", &gh(std::slice::from_ref(&sig)), b""),
            MethodNotAllowed,
        ),
        rejected(
            "PUT",
            raw("PUT", &gh(std::slice::from_ref(&sig)), b),
            MethodNotAllowed,
        ),
        rejected(
            "DELETE",
            raw("DELETE", &gh(std::slice::from_ref(&sig)), b""),
            MethodNotAllowed,
        ),
        rejected(
            "PATCH",
            raw("PATCH", &gh(std::slice::from_ref(&sig)), b),
            MethodNotAllowed,
        ),
        rejected(
            "OPTIONS",
            raw("OPTIONS", &gh(std::slice::from_ref(&sig)), b""),
            MethodNotAllowed,
        ),
        rejected(
            "GET with GitLab headers",
            raw(
                "GET",
                &gl(
                    Some(GITLAB_TOKEN.as_bytes()),
                    Some(GITLAB_INSTANCE.as_bytes()),
                ),
                b"",
            ),
            MethodNotAllowed,
        ),
        // Empty bodies: a signed empty body is a delivery like any other.
        accepted(
            "empty body, signed",
            raw("POST", &gh(&[hex_sig(b"")]), b""),
            &Bytes::new(),
        ),
        rejected(
            "empty body, unsigned",
            raw("POST", &gh(&[]), b""),
            SignatureMissing,
        ),
        rejected(
            "empty body, signature of the fixture",
            raw("POST", &gh(std::slice::from_ref(&sig)), b""),
            SignatureMismatch,
        ),
        // Content-Length the layer sees and refuses.
        rejected(
            "Content-Length over the limit: 413 before any body byte",
            raw(
                "POST",
                &with(
                    gh(std::slice::from_ref(&sig)),
                    "Content-Length",
                    (LIMIT + 1).to_string(),
                ),
                b"",
            ),
            BodyTooLarge,
        ),
        // Content-Length hyper refuses.
        by_hyper(
            "Content-Length not a number",
            raw(
                "POST",
                &with(gh(std::slice::from_ref(&sig)), "Content-Length", "12abc"),
                b,
            ),
            400,
        ),
        by_hyper(
            "two different Content-Lengths",
            raw(
                "POST",
                &with(
                    with(
                        gh(std::slice::from_ref(&sig)),
                        "Content-Length",
                        b.len().to_string(),
                    ),
                    "Content-Length",
                    "1",
                ),
                b,
            ),
            400,
        ),
    ]
}

/// Body transport rows: framing, size, time and disconnects.
fn body_rows(body: &Bytes) -> Vec<Row> {
    use Reason::*;
    let b = &body[..];
    let sig = hex_sig(b);
    let headers = gh(std::slice::from_ref(&sig));
    let declared = |n: usize| with(headers.clone(), "Content-Length", n.to_string());
    let half = &b[..b.len() / 2];

    // Content-Length smaller than the body: the layer sees the declared
    // bytes only (which do not match the signature), and the rest is read as
    // the next request on the connection: ten bytes of JSON are not a
    // request line, so hyper answers that one 400 itself.
    let pipelined_garbage = keep_alive(raw("POST", &declared(b.len() - 10), b));
    // A whole forged request after a valid one, on one connection: it is
    // verified like any other.
    let pipelined_forged = [
        keep_alive(raw("POST", &headers, b)),
        raw("POST", &gh(&[hex_sig(b"{}")]), b"{\"forged\":true}"),
    ]
    .concat();

    let chunked_headers = with(
        gh(&[hex_sig(&vec![b'x'; LIMIT + 1])]),
        "Transfer-Encoding",
        "chunked",
    );
    let mut oversize_chunked = raw("POST", &chunked_headers, b"");
    oversize_chunked.extend_from_slice(&chunked(LIMIT + 1, 8 * 1024));
    let limit_headers = with(
        gh(&[hex_sig(&vec![b'x'; LIMIT])]),
        "Transfer-Encoding",
        "chunked",
    );
    let mut limit_chunked = raw("POST", &limit_headers, b"");
    limit_chunked.extend_from_slice(&chunked(LIMIT, 8 * 1024));
    let mut chunked_fixture = raw(
        "POST",
        &with(headers.clone(), "Transfer-Encoding", "chunked"),
        b"",
    );
    for piece in b.chunks(7) {
        chunked_fixture.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked_fixture.extend_from_slice(piece);
        chunked_fixture.extend_from_slice(b"\r\n");
    }
    chunked_fixture.extend_from_slice(b"0\r\n\r\n");
    let mut chunked_bad = raw(
        "POST",
        &with(headers.clone(), "Transfer-Encoding", "chunked"),
        b"",
    );
    chunked_bad.extend_from_slice(b"zz\r\nnot a chunk size\r\n0\r\n\r\n");

    let mut slow = raw("POST", &declared(b.len()), b"");
    slow.extend_from_slice(&b[..100]);

    vec![
        accepted("chunked in 7-byte chunks", chunked_fixture, body),
        accepted(
            "chunked body of exactly the limit",
            limit_chunked,
            &Bytes::from(vec![b'x'; LIMIT]),
        ),
        rejected(
            "chunked body one byte over the limit",
            oversize_chunked,
            BodyTooLarge,
        ),
        rejected("chunked with a bad chunk size", chunked_bad, BodyError),
        // Content-Length larger than what is sent: the client closes its
        // write side, so the body ends early: a transport error.
        client(
            rejected(
                "Content-Length larger, then EOF",
                raw("POST", &declared(b.len() + 100), b),
                BodyError,
            ),
            Client::ShutdownWrite,
        ),
        // ... or the client just stops sending: the deadline answers.
        client(
            rejected(
                "Content-Length larger, then silence",
                raw("POST", &declared(b.len() + 100), b),
                BodyTimeout,
            ),
            Client::Stall,
        ),
        client(
            Row {
                then: vec![Expect::Hyper(Some(400))],
                ..rejected(
                    "Content-Length smaller: the rest is the next request",
                    pipelined_garbage,
                    SignatureMismatch,
                )
            },
            Client::ShutdownWrite,
        ),
        Row {
            then: vec![Expect::Rejected(SignatureMismatch)],
            ..accepted(
                "a forged request pipelined after a valid one",
                pipelined_forged,
                body,
            )
        },
        client(
            rejected("slow body: head, 100 bytes, silence", slow, BodyTimeout),
            Client::Stall,
        ),
        // A steady trickle is still too slow: the deadline covers the whole
        // body, not the gap between bytes.
        client(
            rejected(
                "slow body: one byte every 50 ms",
                raw("POST", &headers, b),
                BodyTimeout,
            ),
            Client::Drip {
                every: Duration::from_millis(50),
            },
        ),
        client(
            row(
                "client disconnects mid-body",
                [&raw("POST", &declared(b.len()), b"")[..], half].concat(),
                Expect::Hyper(None),
            ),
            Client::Disconnect,
        ),
    ]
}

/// Sends a row's bytes as its client does and returns what came back.
async fn exchange(addr: SocketAddr, row: &Row) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    match row.client {
        Client::Whole | Client::Stall => {
            // The server may answer and close before reading everything.
            let _ = stream.write_all(&row.raw).await;
        }
        Client::ShutdownWrite => {
            let _ = stream.write_all(&row.raw).await;
            let _ = stream.shutdown().await;
        }
        Client::Drip { every } => {
            let (mut read, mut write) = stream.into_split();
            let raw = row.raw.clone();
            // Headers at once, then the body byte by byte until refused.
            let head = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let writer = tokio::spawn(async move {
                write.write_all(&raw[..head]).await?;
                for byte in &raw[head..] {
                    tokio::time::sleep(every).await;
                    write.write_all(std::slice::from_ref(byte)).await?;
                }
                Ok::<_, std::io::Error>(write)
            });
            let out = read_all(&mut read).await;
            writer.abort();
            return out;
        }
        Client::Disconnect => {
            stream.write_all(&row.raw).await.unwrap();
            drop(stream);
            return Vec::new();
        }
    }
    read_all(&mut stream).await
}

/// Reads until the server closes the connection, or `READ_TIMEOUT`.
async fn read_all<R: AsyncReadExt + Unpin>(stream: &mut R) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(READ_TIMEOUT, async {
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    out
}

/// Splits HTTP/1.1 responses (each with a Content-Length or none) into
/// (status, body).
fn responses(mut bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let start = end + 4;
        let stop = (start + len).min(bytes.len());
        out.push((status, bytes[start..stop].to_vec()));
        bytes = &bytes[stop..];
    }
    out
}

/// The layer's default rejection body.
fn rejection_body(reason: Reason) -> Vec<u8> {
    format!("{}: {}\n", reason.code(), reason.message()).into_bytes()
}

fn check(expect: Expect, got: Option<&(u16, Vec<u8>)>, body: &Bytes) -> Result<(), String> {
    match (expect, got) {
        (Expect::Accepted, Some((200, text))) if text == b"handled" => Ok(()),
        (Expect::Rejected(reason), Some((status, text)))
            if *status == reason.status().as_u16() && *text == rejection_body(reason) =>
        {
            Ok(())
        }
        (Expect::Hyper(Some(want)), Some((status, text))) if *status == want && text.is_empty() => {
            Ok(())
        }
        (Expect::Hyper(None), None) => Ok(()),
        (expect, got) => Err(format!(
            "expected {expect:?} (body {} bytes), got {:?}",
            body.len(),
            got.map(|(s, t)| (s, String::from_utf8_lossy(t).into_owned()))
        )),
    }
}

/// Runs one row on its own server: checks every response, then what the
/// inner service saw.
async fn run(row: Row) -> Result<(), String> {
    let (addr, recorder) = server().await;
    let started = Instant::now();
    let bytes = exchange(addr, &row).await;
    let elapsed = started.elapsed();
    let got = responses(&bytes);
    let name = row.name;
    let fail = |e: String| Err(format!("{name}: {e}"));

    let expected: Vec<Expect> = std::iter::once(row.expect)
        .chain(row.then.iter().copied())
        .collect();
    for (i, expect) in expected.iter().enumerate() {
        if let Err(e) = check(*expect, got.get(i), &row.body) {
            return fail(format!("response {i}: {e}"));
        }
    }
    if got.len()
        > expected
            .iter()
            .filter(|e| !matches!(e, Expect::Hyper(None)))
            .count()
    {
        return fail(format!(
            "{} responses, expected {}",
            got.len(),
            expected.len()
        ));
    }
    if matches!(row.expect, Expect::Rejected(Reason::BodyTimeout)) && elapsed < BODY_TIMEOUT {
        return fail(format!(
            "answered 408 after {elapsed:?}, before the deadline"
        ));
    }

    // Give a disconnected request time to reach the layer and be dropped.
    if matches!(row.client, Client::Disconnect) {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let calls = recorder.calls();
    let accepted = expected
        .iter()
        .filter(|e| matches!(e, Expect::Accepted))
        .count();
    if calls.len() != accepted {
        return fail(format!(
            "the inner service ran {} times, expected {accepted}",
            calls.len()
        ));
    }
    if let Some((_, seen)) = calls.first()
        && *seen != row.body
    {
        return fail(format!(
            "the inner service saw {} bytes, not the {} sent",
            seen.len(),
            row.body.len()
        ));
    }

    // The server is still alive and serving.
    if matches!(row.client, Client::Disconnect) {
        let (status, _) = common::send(addr, "/webhook", valid_github(&row.body)).await;
        if status != 200 || recorder.count() != 1 {
            return fail("the server did not serve the next delivery".into());
        }
    }
    Ok(())
}

fn valid_github(body: &Bytes) -> Request<Full<Bytes>> {
    tower_webhooks::test_util::GitHubDelivery::new("push", body.clone())
        .secret(GITHUB_SECRET)
        .into_request()
}

async fn run_all(rows: Vec<Row>) {
    let count = rows.len();
    let mut tasks = tokio::task::JoinSet::new();
    for row in rows {
        tasks.spawn(run(row));
    }
    let mut failures = Vec::new();
    while let Some(result) = tasks.join_next().await {
        if let Err(e) = result.unwrap() {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn fixture_body() -> Bytes {
    common::fixtures("github")
        .into_iter()
        .find(|(stem, _)| stem == "push")
        .expect("github/push.json")
        .1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_matrix() {
    run_all(header_rows(&fixture_body())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_matrix() {
    run_all(body_rows(&fixture_body())).await;
}

/// Sends `request` over an h2c (HTTP/2 prior knowledge) connection.
async fn send_h2c(addr: SocketAddr, request: Request<Full<Bytes>>) -> (u16, Bytes) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let (mut parts, body) = request.into_parts();
    parts.uri = format!("http://{addr}/webhook").parse().unwrap();
    let response = sender
        .send_request(Request::from_parts(parts, body))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

/// HTTP/2 over cleartext: the layer behaves as over HTTP/1.1. The body
/// (28 KB) crosses several DATA frames.
#[tokio::test]
async fn h2c_delivery() {
    let (addr, recorder) = server().await;
    let (stem, body) = common::fixtures("github")
        .into_iter()
        .find(|(stem, _)| stem == "pull_request.opened")
        .expect("github/pull_request.opened.json");
    assert!(body.len() > 16 * 1024, "{stem} spans several h2 frames");

    let (status, text) = send_h2c(addr, valid_github(&body)).await;
    assert_eq!((status, &text[..]), (200, &b"handled"[..]));
    let calls = recorder.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1, body);
    assert_eq!(calls[0].0.name(), "push");

    let forged = tower_webhooks::test_util::GitHubDelivery::new("push", body.clone())
        .secret("not the secret")
        .into_request();
    let (status, text) = send_h2c(addr, forged).await;
    assert_eq!(status, 401);
    assert_eq!(text, rejection_body(Reason::SignatureMismatch));

    let unsigned =
        tower_webhooks::test_util::GitHubDelivery::new("push", body.clone()).into_request();
    let (status, text) = send_h2c(addr, unsigned).await;
    assert_eq!(status, 401);
    assert_eq!(text, rejection_body(Reason::SignatureMissing));

    let mut get = valid_github(&body);
    *get.method_mut() = http::Method::GET;
    let (status, text) = send_h2c(addr, get).await;
    assert_eq!(status, 405);
    assert_eq!(text, rejection_body(Reason::MethodNotAllowed));

    assert_eq!(
        recorder.count(),
        1,
        "only the valid delivery reached the service"
    );
}
