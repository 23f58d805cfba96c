//! Public pages of a tenant's portal: pages that show every visitor the same (home, service pages,
//! legal pages, search results), rendered once per tenant, content version, language and address and
//! then served from memory with an ETag and compressed bodies (`portal_web::shared_pages`).
//!
//! The rule that keeps them from carrying anything personal is structural: the render function gets
//! the tenant's content and frame, never the request, so it cannot read a session, a cookie or a
//! CSRF token; and a request that carries any cookie but the language's (a session, a login form's
//! CSRF cookie) is not served from the shared pages and does not fill them, its page is rendered for
//! it alone (from the same content in memory) and marked private.

use std::future::Future;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_domain::Lang;
use portal_ui::layout::PortalChrome;
use portal_web::content::TenantContent;
use portal_web::shared_pages::PageKey;
use portal_web::{AppError, AppState, TenantContext};

use super::page::{LANG_COOKIE, chrome_of, content, html_status, lang_of};

/// Whether the request carries anything that may make its page personal: a cookie other than the
/// chosen language (sessions, CSRF cookies, whatever a later feature adds: unknown counts as personal).
pub fn is_personal(headers: &HeaderMap) -> bool {
    portal_web::cookies::any_but(headers, &[LANG_COOKIE])
}

/// Serves a public page at `address` (its canonical path and query): from memory when it was
/// rendered for this tenant's current content and this language, else rendered by `render` from the
/// content and the frame. Only a 200 is kept; `render` may answer another status (an empty search)
/// or an error, which are never kept.
pub async fn public_page<F, Fut>(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    address: String,
    render: F,
) -> Result<Response, AppError>
where
    F: FnOnce(Arc<TenantContent>, PortalChrome) -> Fut,
    Fut: Future<Output = Result<(StatusCode, String), AppError>>,
{
    let lang: Lang = lang_of(headers);
    let content = content(state, ctx).await?;
    let shared = !is_personal(headers);
    let key = PageKey { tenant: ctx.entry.tenant_id, version: content.version, lang, address: address.clone().into() };
    if shared && let Some(r) = served(state, &key, headers).await {
        return Ok(r);
    }
    metrics::counter!("portal_shared_pages_total", "result" => if shared { "miss" } else { "personal" }).increment(1);
    let chrome = chrome_of(&content, ctx, state, lang, address);
    let (status, html) = render(content, chrome).await?;
    if shared && status == StatusCode::OK {
        let page = state.pages.insert(key, html).await;
        return Ok(page.respond(headers, &state.pages.cache_control));
    }
    Ok(html_status(status, html))
}

/// The shared page at exactly this address (path and query), if one was rendered for the tenant's
/// current content and this language: asked before any routing, so a page in memory costs no more
/// than the lookup. Only the handler of an address puts a page there, under the address it is
/// canonical for; anything else (another spelling of the query, a personal request, a cold tenant
/// whose content cannot be loaded) goes the normal way.
pub async fn from_memory(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    lang: Lang,
    address: &str,
) -> Option<Response> {
    if is_personal(headers) {
        return None;
    }
    let content = state.content.get(&state.db, ctx.entry.tenant_id).await.ok()?;
    served(
        state,
        &PageKey { tenant: ctx.entry.tenant_id, version: content.version, lang, address: address.into() },
        headers,
    )
    .await
}

/// The answer from the page kept under `key`, if there is one.
async fn served(state: &AppState, key: &PageKey, headers: &HeaderMap) -> Option<Response> {
    let page = state.pages.get(key).await?;
    metrics::counter!("portal_shared_pages_total", "result" => "hit").increment(1);
    Some(page.respond(headers, &state.pages.cache_control))
}
