//! Helpers shared by the page handlers: language choice, asset URLs, the portal chrome, rendering,
//! redirects and error pages.

use std::sync::{Arc, OnceLock};

use super::links;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use portal_domain::Lang;
use portal_ui::layout::{Assets, PortalChrome};
use portal_web::content::TenantContent;
use portal_web::cookies;
use portal_web::{AppError, AppState, TenantContext};
use sha2::{Digest, Sha256};

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: cookies::Name = cookies::Name::plain("lang");

/// The language of a request as an extractor: `Language(lang): Language` (see [`lang_of`]).
pub struct Language(pub Lang);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Language {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(lang_of(&parts.headers)))
    }
}

/// Language of a request: the `lang` cookie, else `Accept-Language`, else German.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookies::get(headers, LANG_COOKIE)
        .and_then(Lang::from_code)
        .or_else(|| {
            headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// The stylesheet of the portal and console (served from memory).
pub const APP_CSS: &str = include_str!("../../../assets/app.css");
/// The island loader (served from memory).
pub const ISLANDS_JS: &str = include_str!("../../../assets/islands.js");

/// The first six bytes of a content's SHA-256, in hex: the version in an asset's URL.
pub fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Versioned asset URLs; the version changes whenever the content does, so they are cached long.
pub fn assets(state: &AppState, with_islands: bool) -> Assets {
    static VERSIONS: OnceLock<(String, String, String)> = OnceLock::new();
    let (kern, app, islands) = VERSIONS.get_or_init(|| {
        let site = &state.config.site_dir;
        let kern = std::fs::read(site.join("kern/kern.min.css")).unwrap_or_default();
        let wasm = std::fs::read(site.join("pkg/portal_hydrate_bg.wasm")).unwrap_or_default();
        (short_hash(&kern), short_hash(APP_CSS.as_bytes()), short_hash(&[ISLANDS_JS.as_bytes(), &wasm].concat()))
    });
    Assets {
        kern_css: format!("{}/kern.min.css?v={kern}", links::ASSETS_KERN.path()),
        app_css: format!("{}?v={app}", links::ASSET_APP_CSS.path()),
        islands_js: with_islands.then(|| format!("{}?v={islands}", links::ASSET_ISLANDS_JS.path())),
        scripts: vec![],
    }
}

/// The version query of the wasm bundle, used by the island loader.
pub fn wasm_version(state: &AppState) -> String {
    assets(state, true).islands_js.and_then(|u| u.split_once("?v=").map(|(_, v)| v.to_owned())).unwrap_or_default()
}

/// A download (never shown inline, never cached): PDFs, CSV exports.
pub fn attachment(content_type: &'static str, body: impl Into<axum::body::Body>, filename: &str) -> Response {
    let mut r = ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "private, no-store")], body.into())
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Renders a page as an HTML response: made for this request, so no cache in front may keep it
/// (public pages the same for everyone go through `kit::public`).
pub fn html(body: String) -> Response {
    let mut r = Html(body).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    r.headers_mut().insert(header::VARY, HeaderValue::from_static("Cookie, Accept-Language"));
    r
}

/// Renders a page with a status other than 200.
pub fn html_status(status: StatusCode, body: String) -> Response {
    let mut r = html(body);
    *r.status_mut() = status;
    r
}

/// 303 See Other: the answer to a successful form post.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The tenant's portal content, from memory (loaded on the tenant's first request).
pub async fn content(state: &AppState, ctx: &TenantContext) -> Result<Arc<TenantContent>, AppError> {
    Ok(state.content.get(&state.db, ctx.entry.tenant_id).await?)
}

/// The tenant's frame (branding, logo) from its content.
pub fn chrome_of(
    content: &TenantContent,
    ctx: &TenantContext,
    state: &AppState,
    lang: Lang,
    current_path: String,
) -> PortalChrome {
    let branding = content.branding.as_ref();
    PortalChrome {
        lang,
        tenant_name: branding.map_or_else(|| ctx.entry.name.clone(), |b| b.display_name.clone()),
        logo_url: content
            .logo_sha256
            .as_ref()
            .map(|h| format!("{}?v={}", links::TENANT_LOGO.path(), &h[..12.min(h.len())])),
        primary_colour: branding.map_or_else(|| "#0b4ea2".to_owned(), |b| b.primary_colour.to_string()),
        secondary_colour: branding.map_or_else(|| "#e6eef7".to_owned(), |b| b.secondary_colour.to_string()),
        current_path,
        contact_email: branding.and_then(|b| b.contact_email.clone()),
        contact_phone: branding.and_then(|b| b.contact_phone.clone()),
        address: branding.and_then(|b| b.address.clone()),
        assets: assets(state, false),
    }
}

/// The tenant's frame, from memory: no page reads its branding from the database.
pub async fn portal_chrome(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    current_path: String,
) -> Result<PortalChrome, AppError> {
    Ok(chrome_of(&*content(state, ctx).await?, ctx, state, lang, current_path))
}

/// `:port` of the request's `Host` header, if it names one ("" otherwise): links to other hosts of
/// the same server keep the port on development machines.
pub fn port_suffix(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit_once(':').map(|(_, p)| p.to_owned()))
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .map(|p| format!(":{p}"))
        .unwrap_or_default()
}

/// A request path as logs may keep it: secrets in it (a booking's or a guest's link, a call
/// display's: 32 random bytes and more) are replaced by `…`; ids (UUIDs) stay.
pub fn loggable_path(path: &str) -> String {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    path.split('/')
        .map(|seg| {
            if seg.len() >= 32
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && uuid::Uuid::parse_str(seg).is_err()
            {
                "…"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Adds a `Set-Cookie` header.
pub fn with_cookie(mut r: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Serves a stored file as a download (never inline: no content sniffing, no script in a PDF
/// opened in our origin).
pub fn file_response(file: portal_cases::StoredFile, bytes: Vec<u8>) -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, file.content_type.clone()), (header::CACHE_CONTROL, "private, no-store".to_owned())],
        bytes,
    )
        .into_response();
    let ascii: String =
        file.name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", urlencoding::encode(&file.name));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    r
}

/// Where a form returns to after it is done (a login's `weiter`, the language switch's `back`): `next`
/// when it is a path on this host (no other host, scheme or protocol-relative URL: no open
/// redirect) below `within` and not the form itself, else `fallback`. The one check every
/// redirect target passes.
pub fn return_path<'a>(next: &'a str, within: &str, form: &str, fallback: &'a str) -> &'a str {
    portal_web::redirect::local_path(next).filter(|p| p.starts_with(within) && !p.starts_with(form)).unwrap_or(fallback)
}

/// Adds `Retry-After` (whole seconds, at least one) to a page that asks the client to wait.
pub fn retry_after(mut r: Response, wait: std::time::Duration) -> Response {
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
    r
}

/// Marks a page that shows a secret (a key to set up, recovery codes) as not to be stored by the
/// browser or anything between (the back button shows it no more).
pub fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Serves logo bytes with an ETag; SVG gets a CSP that forbids scripts even when opened directly.
pub fn logo_response(
    headers: &HeaderMap,
    content_type: String,
    bytes: Vec<u8>,
    sha: &str,
) -> Result<Response, AppError> {
    let etag = format!("\"{sha}\"");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).map_err(|_| AppError::not_found())?);
    h.insert(header::ETAG, HeaderValue::from_str(&etag).map_err(|_| AppError::not_found())?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_in_paths_stay_out_of_logs_and_ids_stay_in() {
        assert_eq!(
            super::loggable_path("/termine/verwalten/-LO3mPbq7_RBAP9DUJ1qyMoNQwnaXLA5cGeefDyAcQI/absagen"),
            "/termine/verwalten/…/absagen"
        );
        assert_eq!(super::loggable_path("/anzeige/demo-anzeige-kaiserslautern-buergercenter/live"), "/anzeige/…/live");
        assert_eq!(
            super::loggable_path("/verwaltung/termine/standorte/01a22a93-6254-7639-8b8e-108f373ad6a0"),
            "/verwaltung/termine/standorte/01a22a93-6254-7639-8b8e-108f373ad6a0"
        );
        assert_eq!(super::loggable_path("/konto/bestaetigen?token=geheim"), "/konto/bestaetigen");
    }
}
