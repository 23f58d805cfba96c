//! Request metrics, request ids, `/health` and `/metrics`.

use std::time::Instant;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

use crate::state::AppState;

/// Middleware: counts requests and records their latency by route template and status.
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    response
}

/// Middleware, outside tower-http's `SetRequestIdLayer`: an `x-request-id` sent with the request is
/// kept only when a trusted proxy sent it and it is a short token (letters, digits, `-_.:`, at most
/// 64); anyone else's is dropped, so the id in our logs, on the error page and in the response is
/// ours (a fresh UUID) or our proxy's, never text a client chose.
pub async fn request_id_from_proxies_only(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let from_proxy = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| state.config.trusted_proxies.contains(&c.0.ip()));
    let ids = req.headers().get_all(REQUEST_ID);
    let one_token = ids.iter().count() == 1 && ids.iter().all(|v| is_request_id(v.as_bytes()));
    if !(from_proxy && one_token) {
        req.headers_mut().remove(REQUEST_ID);
    }
    next.run(req).await
}

/// The header carrying a request's id.
pub const REQUEST_ID: &str = "x-request-id";

fn is_request_id(value: &[u8]) -> bool {
    (1..=64).contains(&value.len()) && value.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
}

/// `GET /health`: 200 when the database answers, 503 otherwise. Answered on every host, before tenant
/// resolution, so that load balancers can probe any name.
pub async fn health(State(state): State<AppState>) -> Response {
    let db = tokio::time::timeout(std::time::Duration::from_secs(3), state.db.ping()).await;
    pool_gauges(&state);
    match db {
        Ok(Ok(())) => {
            let (tenants, content_bytes) = state.content.usage().await;
            let (pages, page_bytes) = state.pages.usage().await;
            let body = serde_json::json!({
                "status": "ok", "database": "ok", "tenant_hosts": state.registry.host_count(),
                "cache": {"tenants": tenants, "content_bytes": content_bytes, "pages": pages, "page_bytes": page_bytes},
            });
            (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, "no-store")],
                axum::Json(serde_json::json!({"status": "unavailable", "database": "error"})),
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::json!({"status": "unavailable", "database": "timeout"})),
        )
            .into_response(),
    }
}

/// `GET /metrics` on the console host: Prometheus text format; behind a bearer token when configured.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let given =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| portal_operators::constant_time_eq(g, token.expose_secret())) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    pool_gauges(&state);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

fn pool_gauges(state: &AppState) {
    for (name, pool) in [("app", state.db.pool()), ("platform", state.db.platform_pool())] {
        metrics::gauge!("db_pool_connections", "pool" => name).set(f64::from(pool.size()));
        metrics::gauge!("db_pool_idle_connections", "pool" => name).set(pool.num_idle() as f64);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_request_id_is_a_short_token() {
        assert!(super::is_request_id(b"0b7c4f6e-1b2a-4c9d-9f00-5d1e2a3b4c5d"));
        assert!(super::is_request_id(b"lb-01:42.7_x"));
        for bad in [&b""[..], b"a b", b"<script>", b"id\nFAKE log line", &[b'a'; 65]] {
            assert!(!super::is_request_id(bad), "{bad:?}");
        }
    }
}
