//! A real webhook receiver on axum.
//!
//! ```sh
//! WEBHOOK_SECRET=... GITLAB_TOKEN=... cargo run --example server
//! ```
//!
//! Environment: `BIND` (default `127.0.0.1:3000`), `WEBHOOK_SECRET` (GitHub;
//! comma-separated for several active secrets), `GITLAB_TOKEN`,
//! `GITLAB_SIGNING_TOKEN`, `GITLAB_INSTANCE_TOKENS`
//! (`https://git.a.example=tok1,https://git.b.example:8443=tok2`),
//! `GITLAB_INSTANCE_SIGNING_TOKENS` (same format, `whsec_` keys), `RUST_LOG`.
//!
//! Routes: `POST /webhook` GitHub, `POST /gitlab` GitLab, `POST /hooks` either.

mod app;

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let config = match app::Config::from_env() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("server: {message}");
            std::process::exit(2);
        }
    };
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = match tokio::net::TcpListener::bind(&bind).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("server: cannot listen on {bind}: {e}");
            std::process::exit(2);
        }
    };
    tracing::info!(addr = %listener.local_addr().unwrap(), "listening for webhook deliveries");
    axum::serve(listener, app::router(&config)).await.unwrap();
}
