//! The router: `/health` and static assets on every host; everything else is dispatched by host to
//! the tenant portal or the operations console, or answered 404 for unknown hosts.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portal_web::error::ErrorKind;
use portal_web::{AppState, Site, TenantContext, cookies, observe};
use serde::Deserialize;
use tower::ServiceExt;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use std::sync::Arc;

use crate::kit::error_page::{Failure, error_page};
use crate::kit::links;
use crate::kit::page::{self as pages, LANG_COOKIE, lang_of};
use crate::kit::pipeline;
use crate::kit::registry::{self, Capability};

/// Routers per site, built once; shared by every request (one reference count per copy).
#[derive(Clone)]
struct Sites(Arc<SiteRouters>);

impl std::ops::Deref for Sites {
    type Target = SiteRouters;
    fn deref(&self) -> &SiteRouters {
        &self.0
    }
}

struct SiteRouters {
    state: AppState,
    capabilities: &'static [Capability],
    portal: Router,
    console: Router,
}

impl axum::extract::FromRef<Sites> for AppState {
    fn from_ref(sites: &Sites) -> Self {
        sites.state.clone()
    }
}

const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// One site's router: the routes every capability adds to it, the language switch, and a 404 in
/// the site's frame for everything else.
fn site_router(
    list: &'static [Capability],
    pick: impl Fn(&Capability) -> Option<fn() -> Router<AppState>>,
) -> Router<AppState> {
    list.iter()
        .filter_map(pick)
        .fold(Router::new(), |r, routes| r.merge(routes()))
        .route(links::LANGUAGE.pattern(), get(switch_language))
        .fallback(not_found)
}

/// Builds the complete router with every capability of [`crate::capabilities::ALL`].
pub fn build_router(state: AppState) -> Router {
    build_router_with(state, crate::capabilities::ALL)
}

/// Builds the complete router with the capabilities of `list`.
pub fn build_router_with(state: AppState, list: &'static [Capability]) -> Router {
    let sites = Sites(Arc::new(SiteRouters {
        portal: site_router(list, |c| c.portal)
            .merge(registry::case_action_routes(list))
            .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::kit::office::staff_area))
            .route_layer(axum::middleware::from_fn(crate::kit::deadline::within))
            .route_layer(axum::middleware::from_fn(observe::track_metrics))
            .with_state(state.clone()),
        console: site_router(list, |c| c.console)
            .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::kit::operator::console_area))
            .route_layer(axum::middleware::from_fn(crate::kit::deadline::within))
            .route_layer(axum::middleware::from_fn(observe::track_metrics))
            .with_state(state.clone()),
        state: state.clone(),
        capabilities: list,
    }));
    let site_dir = state.config.site_dir.clone();
    let static_files = Router::new()
        .nest_service(links::ASSETS_KERN.pattern(), ServeDir::new(site_dir.join("kern")))
        .nest_service(links::ASSETS_PKG.pattern(), ServeDir::new(site_dir.join("pkg")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));

    // the scripts the capabilities (and the shared widgets) serve from memory, on any host
    let assets = crate::kit::widgets::SHARED_ASSETS
        .iter()
        .chain(list.iter().flat_map(|c| c.assets.iter()))
        .fold(Router::new(), |r, a| r.route(a.path.pattern(), get(move || async move { a.response() })));
    let hsts = state.config.secure_cookies.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    Router::new()
        .route(links::HEALTH.pattern(), get(observe::health))
        .merge(assets)
        .route(links::ASSET_APP_CSS.pattern(), get(app_css))
        .route(links::ASSET_ISLANDS_JS.pattern(), get(islands_js))
        .nest_service(links::ASSETS_LEAFLET.pattern(), ServeDir::new(site_dir.join("leaflet")))
        .merge(static_files)
        .fallback(dispatch)
        .with_state(sites)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn(portal_web::compression::compress))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // a page may tighten it (pages behind a secret link: same-origin, so that the secret never
        // leaves the site while the page's own form posts still carry their Origin)
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, hsts))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = request_id(req).unwrap_or_default();
                    tracing::info_span!("request", request.id = %id, method = %req.method(), path = %pages::loggable_path(req.uri().path()), tenant.id = tracing::field::Empty, site = tracing::field::Empty, status = tracing::field::Empty)
                })
                // errors are logged once, with their cause, by the error-page layer
                .on_failure(())
                .on_response(|res: &Response, latency: Duration, span: &tracing::Span| {
                    span.record("status", res.status().as_u16());
                    tracing::info!(latency_ms = latency.as_millis() as u64, "response");
                }),
        )
        // every request has an id: in its log span, on its error page and in the `x-request-id`
        // response header; a trusted proxy's id is kept, a client's is replaced
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::request_id_from_proxies_only))
}

/// The request's id (set by the outermost layers), as text.
fn request_id(req: &Request) -> Option<&str> {
    req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok())
}

async fn app_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        pages::APP_CSS,
    )
        .into_response()
}

async fn islands_js(State(sites): State<Sites>) -> Response {
    // the loader names the wasm with its version so that a new build is never mixed with an old one
    let body = pages::ISLANDS_JS.replace("__WASM_VERSION__", &pages::wasm_version(&sites.state));
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

/// Resolves the site of the request and hands it to that site's router; turns error responses into
/// translated pages.
async fn dispatch(State(sites): State<Sites>, mut req: Request) -> Response {
    let state = &sites.state;
    let lang = lang_of(req.headers());
    let path = req.uri().path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let reference = request_id(&req).map(str::to_owned);
    let failure = |kind| Failure::of(kind).with_reference(reference.as_deref());
    if cross_origin(&req) {
        tracing::warn!(path = %pages::loggable_path(&path), "cross-origin form post refused");
        let tenant = match portal_web::host::resolve(state, &mut req) {
            Site::Portal(ctx) => Some(ctx),
            _ => None,
        };
        return error_page(state, tenant.as_ref(), lang, failure(ErrorKind::Forbidden), &path).await;
    }
    let (router, tenant) = match portal_web::host::resolve(state, &mut req) {
        Site::Console => (sites.console.clone(), None),
        Site::Portal(ctx) if ctx.entry.status == portal_domain::TenantStatus::Suspended => {
            return error_page(state, Some(&ctx), lang, failure(ErrorKind::Suspended), &path).await;
        }
        Site::Portal(ctx) => (sites.portal.clone(), Some(ctx)),
        Site::Unknown => return error_page(state, None, lang, failure(ErrorKind::NotFound), &path).await,
    };
    let at = Answer { tenant: tenant.as_ref(), lang, path: &path, reference: reference.as_deref() };

    // a page (GET or HEAD) reads in one transaction, committed once it is rendered; a form post
    // keeps the transactions its handler opens
    if !matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD) {
        return route(&sites, router, req, &at, None).await;
    }
    // a public page already rendered for this address is served from memory, before routing
    if let Some(ctx) = &tenant
        && let Some(r) = crate::kit::public::from_memory(state, ctx, req.headers(), lang, &path).await
    {
        return r;
    }
    let area = if tenant.is_some() { pipeline::Area::Tenant } else { pipeline::Area::Console };
    let served = pipeline::serve(area, |page| route(&sites, router, req, &at, Some(page))).await;
    match served {
        Ok(r) => r,
        Err(e) => framed_error(state, &at, e.into_response()).await.unwrap_or_else(|r| r),
    }
}

/// What an error page of a request needs besides the failure: the tenant's frame, the language,
/// the address and the request's id.
struct Answer<'a> {
    tenant: Option<&'a TenantContext>,
    lang: portal_domain::Lang,
    path: &'a str,
    reference: Option<&'a str>,
}

/// Runs the site's router and turns an error response into the translated page (after undoing the
/// page's work).
async fn route(
    sites: &Sites,
    router: Router,
    req: Request,
    at: &Answer<'_>,
    page: Option<Arc<pipeline::Page>>,
) -> Response {
    let response = match registry::serving(sites.capabilities, router.oneshot(req)).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if (response.extensions().get::<ErrorKind>().is_some() || response.status() == StatusCode::PAYLOAD_TOO_LARGE)
        && let Some(page) = page
    {
        page.undo().await;
    }
    match framed_error(&sites.state, at, response).await {
        Ok(r) | Err(r) => r,
    }
}

/// The error page for an error response (`Ok`), or the response itself when it is none (`Err`).
async fn framed_error(state: &AppState, at: &Answer<'_>, response: Response) -> Result<Response, Response> {
    let failure = match Failure::of_response(&response) {
        Some(failure) => failure,
        None if response.status() == StatusCode::PAYLOAD_TOO_LARGE => Failure::of(ErrorKind::PayloadTooLarge),
        None => return Err(response),
    };
    Ok(error_page(state, at.tenant, at.lang, failure.with_reference(at.reference), at.path).await)
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: String,
    #[serde(default)]
    back: String,
}

/// `GET /sprache?lang=en&back=/path`: remembers the language and returns to the page. Works on both
/// sites. Only local paths are accepted as `back` (no open redirect).
async fn switch_language(State(state): State<AppState>, Query(q): Query<LangQuery>) -> Response {
    let lang = portal_domain::Lang::from_code(&q.lang).unwrap_or_default();
    let back = pages::return_path(&q.back, "/", links::LANGUAGE.path(), "/");
    let cookie = cookies::set(LANG_COOKIE, lang.code(), state.config.secure_cookies, Some(60 * 60 * 24 * 365), false);
    let mut r = pages::see_other(back);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Refuses a state-changing request whose `Origin` names another site (defence in depth next to
/// the CSRF tokens and SameSite cookies).
fn cross_origin(req: &Request) -> bool {
    if matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS) {
        return false;
    }
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return false };
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// A 404 in the site's frame.
async fn not_found() -> portal_web::AppError {
    portal_web::AppError::not_found()
}
