//! The benchmark baseline: a plain axum hello-world with the same runtime, for `benches/portal-home.sh`.

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("HELLO_BIND").unwrap_or_else(|_| "127.0.0.1:3202".to_owned());
    let app = Router::new().route("/", get(|| async { "Hello, world!" }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
