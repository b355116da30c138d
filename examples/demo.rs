//! A self-contained tour: starts the example receiver on an ephemeral
//! loopback port with built-in demo secrets, sends it real deliveries and
//! bad ones over TCP, and prints what it answered.
//!
//! ```sh
//! cargo run --example demo
//! ```
//!
//! Exits non-zero when any answer differs from the expected one.

#[path = "server/app.rs"]
#[allow(dead_code)] // the demo configures itself; it does not read the environment
mod app;

use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_webhooks::provider::standard::{Clock, signing_key};
use tower_webhooks::provider::{github, standard};

const GITHUB_SECRET: &str = "demo-github-secret";
const TOKEN_A: &str = "demo-token-a";
const TOKEN_B: &str = "demo-token-b";
const TOKEN_C: &str = "demo-token-c";
const SIGNING_C: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const NOW: i64 = 1_800_000_000;

const PING: &str = r#"{"zen":"Practicality beats purity.","hook_id":30,"hook":{"type":"Repository","id":30,"active":true,"events":["pull_request"]}}"#;
const PULL_REQUEST: &str = r#"{"action":"opened","number":2,"pull_request":{"id":279147437,"number":2,"state":"open","title":"Update the README with new information.","head":{"ref":"changes","sha":"ec26c3e57ca3a959ca5aad62de7213c562f8c821"},"base":{"ref":"master"}},"repository":{"id":186853002,"full_name":"Codertocat/Hello-World"},"sender":{"login":"Codertocat","id":21031067}}"#;
const MERGE_REQUEST: &str = r#"{"object_kind":"merge_request","event_type":"merge_request","user":{"id":1,"username":"root"},"project":{"id":1,"path_with_namespace":"gitlabhq/gitlab-test"},"object_attributes":{"id":99,"iid":1,"title":"MS-Viewport","state":"opened","action":"open","source_branch":"ms-viewport","target_branch":"master"}}"#;

struct Case {
    name: &'static str,
    path: &'static str,
    expected: u16,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

fn github_case(name: &'static str, event: &str, body: &str, secret: &str, expected: u16) -> Case {
    Case {
        name,
        path: "/webhook",
        expected,
        headers: vec![
            ("x-github-event", event.to_owned()),
            ("x-github-delivery", format!("demo-{}", name.len())),
            (
                "x-hub-signature-256",
                github::sign(secret.as_bytes(), body.as_bytes()),
            ),
            ("content-type", "application/json".to_owned()),
        ],
        body: Bytes::from(body.to_owned()),
    }
}

fn gitlab_case(name: &'static str, instance: &str, token: Option<&str>, expected: u16) -> Case {
    let mut headers = vec![
        ("x-gitlab-event", "Merge Request Hook".to_owned()),
        ("x-gitlab-instance", instance.to_owned()),
        ("content-type", "application/json".to_owned()),
    ];
    if let Some(token) = token {
        headers.push(("x-gitlab-token", token.to_owned()));
    }
    Case {
        name,
        path: "/gitlab",
        expected,
        headers,
        body: Bytes::from_static(MERGE_REQUEST.as_bytes()),
    }
}

fn signed_case(name: &'static str, timestamp: i64, expected: u16) -> Case {
    let key = signing_key(SIGNING_C).unwrap();
    let mut case = gitlab_case(name, "https://git.c.example", Some(TOKEN_C), expected);
    let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    case.headers.push(("webhook-id", id.to_owned()));
    case.headers
        .push(("webhook-timestamp", timestamp.to_string()));
    case.headers.push((
        "webhook-signature",
        standard::sign(key.expose(), id, timestamp, &case.body),
    ));
    case
}

async fn send(
    addr: SocketAddr,
    case: &Case,
) -> Result<(StatusCode, String), Box<dyn std::error::Error>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = Request::post(case.path).header("host", addr.to_string());
    for (name, value) in &case.headers {
        request = request.header(*name, value);
    }
    let response = sender
        .send_request(request.body(Full::new(case.body.clone()))?)
        .await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).trim_end().to_owned()))
}

/// A request that announces 30 MB but sends none: refused from its headers.
async fn send_oversize(
    addr: SocketAddr,
) -> Result<(StatusCode, String), Box<dyn std::error::Error>> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "POST /webhook HTTP/1.1\r\nHost: {addr}\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: {}\r\n\
         Content-Length: 30000000\r\nConnection: close\r\n\r\n",
        github::sign(GITHUB_SECRET.as_bytes(), b"")
    );
    stream.write_all(head.as_bytes()).await?;
    let mut text = String::new();
    stream.read_to_string(&mut text).await?;
    let status = text.split(' ').nth(1).unwrap_or("0").parse::<u16>()?;
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or("")
        .trim_end()
        .to_owned();
    Ok((StatusCode::from_u16(status)?, body))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .init();

    let vars = [
        ("WEBHOOK_SECRET", format!("demo-old-secret,{GITHUB_SECRET}")),
        (
            "GITLAB_INSTANCE_TOKENS",
            format!(
                "https://git.a.example={TOKEN_A},https://git.b.example:8443={TOKEN_B},https://git.c.example={TOKEN_C}"
            ),
        ),
        (
            "GITLAB_INSTANCE_SIGNING_TOKENS",
            format!("https://git.c.example={SIGNING_C}"),
        ),
    ];
    let mut config = app::Config::from_lookup(|name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    })
    .expect("the demo configuration is valid");
    config.clock = Some(Clock::fixed(NOW));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app::router(&config)).await });
    println!(
        "demo receiver on http://{addr} (GitHub: /webhook, GitLab: /gitlab, either: /hooks)\n"
    );

    let mut tampered = github_case(
        "GitHub pull_request, body tampered",
        "pull_request",
        PULL_REQUEST,
        GITHUB_SECRET,
        401,
    );
    tampered.body = Bytes::from(PULL_REQUEST.replace("opened", "closed"));
    let mut no_headers = github_case(
        "no webhook headers at all",
        "ping",
        PING,
        GITHUB_SECRET,
        400,
    );
    no_headers.path = "/hooks";
    no_headers.headers.retain(|(n, _)| *n == "content-type");
    let mut unsigned = github_case(
        "GitHub delivery without signature",
        "ping",
        PING,
        GITHUB_SECRET,
        401,
    );
    unsigned
        .headers
        .retain(|(n, _)| *n != "x-hub-signature-256");
    let mut auto = gitlab_case(
        "GitLab on the shared /hooks route",
        "https://git.a.example",
        Some(TOKEN_A),
        200,
    );
    auto.path = "/hooks";

    let cases = vec![
        github_case("GitHub ping", "ping", PING, GITHUB_SECRET, 200),
        github_case(
            "GitHub pull_request",
            "pull_request",
            PULL_REQUEST,
            GITHUB_SECRET,
            200,
        ),
        github_case(
            "GitHub, older rotated secret",
            "ping",
            PING,
            "demo-old-secret",
            200,
        ),
        gitlab_case(
            "GitLab merge request, instance A",
            "https://git.a.example",
            Some(TOKEN_A),
            200,
        ),
        gitlab_case(
            "GitLab merge request, instance B",
            "https://git.b.example:8443/",
            Some(TOKEN_B),
            200,
        ),
        auto,
        signed_case("GitLab signed delivery, instance C", NOW, 200),
        github_case(
            "GitHub forged (wrong secret)",
            "pull_request",
            PULL_REQUEST,
            "guessed",
            401,
        ),
        tampered,
        gitlab_case(
            "GitLab instance A with B's token",
            "https://git.a.example",
            Some(TOKEN_B),
            401,
        ),
        gitlab_case(
            "GitLab unknown instance",
            "https://git.evil.example",
            Some(TOKEN_A),
            401,
        ),
        gitlab_case("GitLab without token", "https://git.a.example", None, 401),
        signed_case("GitLab signed but stale (1 h old)", NOW - 3600, 401),
        gitlab_case(
            "GitLab downgrade: token only to a signing instance",
            "https://git.c.example",
            Some(TOKEN_C),
            401,
        ),
        unsigned,
        no_headers,
    ];

    let mut failures = 0;
    println!("{:<52} {:>8} {:>4}  answer", "case", "expected", "got");
    let mut row =
        |name: &str,
         expected: u16,
         got: Result<(StatusCode, String), Box<dyn std::error::Error>>| {
            let (status, answer) = match got {
                Ok((status, answer)) => (status.as_u16(), answer),
                Err(e) => (0, format!("request failed: {e}")),
            };
            let mark = if status == expected {
                ""
            } else {
                "  <-- MISMATCH"
            };
            if status != expected {
                failures += 1;
            }
            let answer: String = answer.chars().take(70).collect();
            println!("{name:<52} {expected:>8} {status:>4}  {answer}{mark}");
        };
    for case in &cases {
        row(case.name, case.expected, send(addr, case).await);
    }
    row(
        "GitHub declaring a 30 MB body",
        413,
        send_oversize(addr).await,
    );

    println!();
    if failures > 0 {
        println!("demo: {failures} answer(s) differ from the expected status");
        std::process::exit(1);
    }
    println!("demo: every answer as expected");
}
