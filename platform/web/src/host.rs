//! Which site a request is for: a tenant portal, the operations console, or nothing.
//!
//! The host comes from the `Host` header (HTTP/1.1) or the URI authority (HTTP/2). `X-Forwarded-Host`
//! is used only when the direct peer is a configured trusted proxy; from anyone else it is ignored.
//! Of its values the last is taken: the one our proxy set. The proxy must overwrite (or append to)
//! what the client sent (docs/operations.md); a value the client put first never decides.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use portal_domain::HostName;
use portal_tenancy::RegistryEntry;

use crate::error::AppError;
use crate::state::AppState;

/// The tenant a portal request is for.
#[derive(Debug, Clone)]
pub struct TenantContext {
    pub entry: std::sync::Arc<RegistryEntry>,
    /// The host the request came in on.
    pub host: HostName,
}

/// Which site a request is for.
#[derive(Debug, Clone)]
pub enum Site {
    Portal(TenantContext),
    Console,
    /// No portal is served on this host.
    Unknown,
}

/// The address of the client: the peer, or the first untrusted address of `X-Forwarded-For` when
/// the peer is a trusted proxy.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

fn peer(parts_ext: &axum::http::Extensions) -> Option<IpAddr> {
    parts_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

fn header_str<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Determines the host of a request.
pub fn request_host(req: &Request, trusted: &[IpAddr]) -> Option<HostName> {
    let from_trusted = peer(req.extensions()).is_some_and(|p| trusted.contains(&p));
    // the last value of the last header: what our proxy set (a client may send its own before it)
    let forwarded = if from_trusted {
        req.headers().get_all("x-forwarded-host").iter().next_back().and_then(|v| v.to_str().ok())
    } else {
        None
    }
    .and_then(|v| v.rsplit(',').next())
    .map(str::trim)
    .filter(|v| !v.is_empty());
    let raw = forwarded
        .or_else(|| header_str(req.headers(), "host"))
        .or_else(|| req.uri().authority().map(|a| a.as_str()))?;
    HostName::from_header(raw).ok()
}

/// Determines the client address (see [`ClientIp`]).
pub fn client_ip(req: &Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer(req.extensions())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let chain = header_str(req.headers(), "x-forwarded-for").unwrap_or("");
    // walk from the nearest hop backwards, skipping our own proxies
    chain.rsplit(',').filter_map(|s| s.trim().parse::<IpAddr>().ok()).find(|ip| !trusted.contains(ip)).or(Some(peer))
}

/// Resolves the site of a request: stores the client address and, for a portal, the
/// [`TenantContext`] in the request's extensions, and records `site` and `tenant.id` on the current
/// span. The caller answers suspended tenants and unknown hosts.
pub fn resolve(state: &AppState, req: &mut Request) -> Site {
    let trusted = &state.config.trusted_proxies;
    let ip = client_ip(req, trusted);
    req.extensions_mut().insert(ClientIp(ip));
    // a missing or malformed host is just another host no portal is served on
    let Some(host) = request_host(req, trusted) else { return Site::Unknown };
    let span = tracing::Span::current();
    if host == state.config.ops_host {
        span.record("site", "console");
        return Site::Console;
    }
    match state.registry.resolve(&host) {
        Some(entry) => {
            span.record("site", "portal");
            span.record("tenant.id", tracing::field::display(entry.tenant_id));
            let ctx = TenantContext { entry, host };
            req.extensions_mut().insert(ctx.clone());
            Site::Portal(ctx)
        }
        None => {
            tracing::debug!(host = %host, "unknown host");
            Site::Unknown
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TenantContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<TenantContext>().cloned().ok_or_else(AppError::not_found)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ClientIp>().copied().unwrap_or(ClientIp(None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn req(peer: &str, headers: &[(&str, &str)]) -> Request {
        let mut b = axum::http::Request::builder().uri("/");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut r = b.body(Body::empty()).unwrap_or_default();
        let addr: SocketAddr = peer.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 1)));
        r.extensions_mut().insert(ConnectInfo(addr));
        r
    }

    #[test]
    fn forwarded_host_only_from_trusted_proxies() {
        let trusted: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))];
        let headers = [("host", "a.localhost"), ("x-forwarded-host", "b.localhost")];
        let from_anyone = req("192.0.2.7:5000", &headers);
        assert_eq!(request_host(&from_anyone, &trusted).map(|h| h.to_string()).as_deref(), Some("a.localhost"));
        let from_proxy = req("10.0.0.1:5000", &headers);
        assert_eq!(request_host(&from_proxy, &trusted).map(|h| h.to_string()).as_deref(), Some("b.localhost"));
        // the client's own value first, the proxy's appended (in one header or a second one): the
        // proxy's decides
        let appended =
            req("10.0.0.1:5000", &[("host", "a.localhost"), ("x-forwarded-host", "evil.example, b.localhost")]);
        assert_eq!(request_host(&appended, &trusted).map(|h| h.to_string()).as_deref(), Some("b.localhost"));
        let second = req(
            "10.0.0.1:5000",
            &[("host", "a.localhost"), ("x-forwarded-host", "evil.example"), ("x-forwarded-host", "b.localhost")],
        );
        assert_eq!(request_host(&second, &trusted).map(|h| h.to_string()).as_deref(), Some("b.localhost"));
    }

    #[test]
    fn client_ip_skips_trusted_hops() {
        let trusted: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))];
        let r = req("10.0.0.1:1", &[("x-forwarded-for", "203.0.113.9, 10.0.0.1")]);
        assert_eq!(client_ip(&r, &trusted).map(|i| i.to_string()).as_deref(), Some("203.0.113.9"));
        let spoof = req("198.51.100.1:1", &[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(client_ip(&spoof, &trusted).map(|i| i.to_string()).as_deref(), Some("198.51.100.1"));
    }
}
