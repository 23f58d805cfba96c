//! Helpers shared by the page handlers: language choice, asset URLs, the portal chrome, rendering,
//! redirects and error pages.

use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use leptos::prelude::IntoAny;
use portal_db::TenantTx;
use portal_tenancy::Branding;
use portal_domain::Lang;
use portal_ui::i18n::tr;
use portal_ui::layout::{Assets, PortalChrome};
use portal_web::cookies;
use portal_web::error::{ErrorCause, ErrorKind};
use portal_web::{AppError, AppState, TenantContext};
use sha2::{Digest, Sha256};

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "lang";

/// Language of a request: the `lang` cookie, else `Accept-Language`, else German.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookies::get(headers, LANG_COOKIE)
        .and_then(Lang::from_code)
        .or_else(|| headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language))
        .unwrap_or_default()
}

/// The stylesheet of the portal and console (served from memory).
pub const APP_CSS: &str = include_str!("../../assets/app.css");
/// The island loader (served from memory).
pub const ISLANDS_JS: &str = include_str!("../../assets/islands.js");

fn short_hash(bytes: &[u8]) -> String {
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
        kern_css: format!("/assets/kern/kern.min.css?v={kern}"),
        app_css: format!("/assets/app.css?v={app}"),
        islands_js: with_islands.then(|| format!("/assets/islands.js?v={islands}")),
        scripts: vec![],
    }
}

/// The payment page's glue between the form and Stripe.js (served from memory).
pub const PAYMENT_JS: &str = include_str!("../../assets/payment.js");

/// The payment page's scripts: Stripe.js from its configured URL, then the glue.
pub fn payment_scripts(state: &AppState) -> Vec<String> {
    vec![state.payment_config.js_url.clone(), format!("/assets/payment.js?v={}", short_hash(PAYMENT_JS.as_bytes()))]
}

/// The version query of the wasm bundle, used by the island loader.
pub fn wasm_version(state: &AppState) -> String {
    assets(state, true).islands_js.and_then(|u| u.split_once("?v=").map(|(_, v)| v.to_owned())).unwrap_or_default()
}

/// A download (never shown inline, never cached): PDFs, CSV exports.
pub fn attachment(content_type: &'static str, body: impl Into<axum::body::Body>, filename: &str) -> Response {
    let mut r = ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "private, no-store")], body.into()).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Renders a page as an HTML response.
pub fn html(body: String) -> Response {
    let mut r = Html(body).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
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

/// Loads the tenant's frame (branding, logo) inside the request's tenant transaction.
pub async fn portal_chrome(tx: &mut TenantTx, ctx: &TenantContext, state: &AppState, lang: Lang, current_path: String) -> Result<PortalChrome, AppError> {
    Ok(portal_frame(tx, ctx, state, lang, current_path).await?.0)
}

/// The tenant's frame and its branding (for pages that show more of it, like the legal pages), from
/// one query.
pub async fn portal_frame(tx: &mut TenantTx, ctx: &TenantContext, state: &AppState, lang: Lang, current_path: String) -> Result<(PortalChrome, Option<Branding>), AppError> {
    let (branding, logo) = match portal_tenancy::repo::branding_and_logo_hash(tx).await? {
        Some((b, logo)) => (Some(b), logo),
        None => (None, None),
    };
    let chrome = PortalChrome {
        lang,
        tenant_name: branding.as_ref().map_or_else(|| ctx.entry.name.clone(), |b| b.display_name.clone()),
        logo_url: logo.map(|h| format!("/logo?v={}", &h[..12.min(h.len())])),
        primary_colour: branding.as_ref().map_or_else(|| "#0b4ea2".to_owned(), |b| b.primary_colour.to_string()),
        secondary_colour: branding.as_ref().map_or_else(|| "#e6eef7".to_owned(), |b| b.secondary_colour.to_string()),
        current_path,
        contact_email: branding.as_ref().and_then(|b| b.contact_email.clone()),
        contact_phone: branding.as_ref().and_then(|b| b.contact_phone.clone()),
        address: branding.as_ref().and_then(|b| b.address.clone()),
        assets: assets(state, false),
    };
    Ok((chrome, branding))
}

/// Turns an error response of a handler (or of tenant resolution) into a translated page, in the
/// tenant's frame where there is a tenant. Logs the error once, here.
pub async fn error_page(state: &AppState, tenant: Option<&TenantContext>, lang: Lang, kind: ErrorKind, cause: Option<&ErrorCause>, path: &str) -> Response {
    let (title_key, text_key) = match (kind, tenant.is_some()) {
        (ErrorKind::NotFound, false) => ("errors.unknown_host_title", "errors.unknown_host_text"),
        (ErrorKind::NotFound, true) => ("errors.not_found_title", "errors.not_found_text"),
        (ErrorKind::Suspended, _) => ("errors.maintenance_title", "errors.maintenance_text"),
        (ErrorKind::Forbidden, _) => ("errors.forbidden_title", "errors.forbidden_text"),
        (ErrorKind::BadRequest, _) => ("errors.bad_request_title", "errors.bad_request_text"),
        (ErrorKind::PayloadTooLarge, _) => ("errors.too_large_title", "errors.too_large_text"),
        (ErrorKind::TooManyRequests, _) => ("errors.too_many_title", "errors.too_many_text"),
        (ErrorKind::Unavailable, _) => ("errors.unavailable_title", "errors.unavailable_text"),
        (ErrorKind::Unauthorized, _) => ("errors.unauthorized_title", "errors.unauthorized_text"),
        (ErrorKind::Internal, _) => ("errors.internal_title", "errors.internal_text"),
    };
    match (kind, cause) {
        (ErrorKind::Internal, c) => tracing::error!(error = c.map_or("", |c| &c.0), path, "request failed"),
        (_, Some(c)) => tracing::warn!(error = %c.0, kind = ?kind, path, "request refused"),
        _ => tracing::debug!(kind = ?kind, path, "request refused"),
    }
    let title = tr(lang, title_key);
    let text = tr(lang, text_key);
    let status = kind.status();
    let framed = match tenant {
        // the maintenance page must not depend on the tenant's data; other errors try the frame
        Some(ctx) if kind != ErrorKind::Suspended && kind != ErrorKind::Internal => {
            match state.db.tenant(ctx.entry.tenant_id).await {
                Ok(mut tx) => portal_chrome(&mut tx, ctx, state, lang, path.to_owned()).await.ok(),
                Err(_) => None,
            }
        }
        _ => None,
    };
    let body = match framed {
        Some(chrome) => {
            let (t, x) = (title.clone(), text.clone());
            portal_ui::render_document(move || leptos::prelude::view! { <portal_ui::portal::PortalErrorPage chrome=chrome title=t text=x/> })
        }
        None => {
            let assets = assets(state, false);
            let tenant_name = tenant.map(|t| t.entry.name.clone());
            portal_ui::render_document(move || match tenant_name {
                Some(n) => leptos::prelude::view! { <portal_ui::portal::PlainErrorPage lang=lang assets=assets title=title text=text tenant_name=n/> }.into_any(),
                None => leptos::prelude::view! { <portal_ui::portal::PlainErrorPage lang=lang assets=assets title=title text=text/> }.into_any(),
            })
        }
    };
    let mut r = html_status(status, body);
    if kind == ErrorKind::Suspended {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
    }
    r
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

/// Adds a `Set-Cookie` header.
pub fn with_cookie(mut r: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Parses an `application/x-www-form-urlencoded` body, keeping repeated keys.
pub fn parse_urlencoded(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| urlencoding::decode(&s.replace('+', " ")).map(|c| c.into_owned()).unwrap_or_default();
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The first value of a form field.
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A submitted form (`application/x-www-form-urlencoded`), keeping repeated keys.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The trimmed first value of a field ("" when missing).
    pub fn text(&self, name: &str) -> String {
        field(&self.0, name).map(|v| v.trim().to_owned()).unwrap_or_default()
    }
    /// The untrimmed value (passwords).
    pub fn raw(&self, name: &str) -> String {
        field(&self.0, name).map(str::to_owned).unwrap_or_default()
    }
    /// All values of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
    pub fn csrf(&self) -> Option<&str> {
        field(&self.0, "_csrf")
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Fields {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = axum::body::Bytes::from_request(req, state).await.map_err(|_| AppError::bad_request())?;
        Ok(Self(parse_urlencoded(&body)))
    }
}
