//! Response compression: brotli or gzip for text responses the client accepts it for, with the
//! settings measured for pages of a few to a few dozen kilobytes (quality 4, a 256 KB window: the
//! portal home's 34 KB in 0.26 ms). tower-http's layer, which this replaces, compressed with a 4 MB
//! window and spent more time per logged-in page than rendering it. Responses that are already
//! compressed (the shared pages: `shared_pages`), not text, ranges or small are passed through.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use crate::shared_pages::{Coding, compress_brotli, compress_gzip};

/// Bodies smaller than this are sent as they are (the headers would eat the gain).
const MIN_BYTES: usize = 512;

fn compressible(r: &Response) -> bool {
    let h = r.headers();
    if r.status() == StatusCode::NOT_MODIFIED
        || r.status() == StatusCode::NO_CONTENT
        || h.contains_key(header::CONTENT_ENCODING)
        || h.contains_key(header::CONTENT_RANGE)
    {
        return false;
    }
    let kind = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let kind = kind.split(';').next().unwrap_or("").trim();
    (kind.starts_with("text/") && kind != "text/event-stream")
        || matches!(
            kind,
            "application/javascript" | "application/json" | "application/xml" | "application/wasm" | "image/svg+xml"
        )
}

/// Middleware: compresses the response's body for the client.
pub async fn compress(req: Request, next: Next) -> Response {
    let coding = Coding::negotiate(req.headers());
    let response = next.run(req).await;
    if coding == Coding::Identity || !compressible(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::error!(error = %e, "response body failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if bytes.len() < MIN_BYTES {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let (compressed, name) = match coding {
        Coding::Brotli => (compress_brotli(&bytes), "br"),
        _ => (compress_gzip(&bytes), "gzip"),
    };
    parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Response::from_parts(parts, Body::from(compressed))
}
