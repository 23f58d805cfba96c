//! Every request is answered within a deadline (issue 27, finding 8), so that a stuck query, a slow
//! client or runaway work frees its worker and its database connection: 30 s, uploads (multipart)
//! 5 minutes for slow lines. The deadline runs until the response's head is ready: a live stream
//! answers at once and its body then flows for as long as the client listens. A request past its
//! deadline is dropped (its transaction rolls back) and answered 503 with `Retry-After` and a page
//! saying to try again.

use std::time::Duration;

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portal_web::AppError;

/// An ordinary request's deadline.
pub const REQUEST: Duration = Duration::from_secs(30);
/// A multipart post's deadline (up to 32 MiB on a slow line).
pub const UPLOAD: Duration = Duration::from_secs(300);

/// The deadline of a request.
fn of(req: &Request) -> Duration {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    if multipart { UPLOAD } else { REQUEST }
}

/// The middleware: runs the rest of the request within its deadline ([`of`]).
pub async fn within(req: Request, next: Next) -> Response {
    let deadline = of(&req);
    let path = crate::kit::page::loggable_path(req.uri().path());
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(path = %path, deadline_s = deadline.as_secs(), "request over its deadline");
            metrics::counter!("http_requests_timed_out_total").increment(1);
            AppError::unavailable_for(Duration::from_secs(60)).with_text("errors.timeout_text").into_response()
        }
    }
}
