//! The citizen portal of a tenant: home, search, service pages, legal pages, logo. All of them
//! public pages (`kit::public`): rendered from the tenant's content in memory, once, and served from
//! memory until the content changes.

use crate::kit::params::Params;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use leptos::prelude::view;
use portal_authz::{Action, Resource};
use portal_catalogue::repo as catalogue;
use portal_domain::{Lang, ServiceSlug};
use portal_ui::i18n::tr;
use portal_ui::portal::{CategoryGroup, HomePage, LegalPage, SearchPage, ServiceItem, ServicePage, ServicePageData};
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;

use crate::kit::pipeline::tenant_tx;
use crate::kit::public::public_page;
use crate::kit::registry::{Capability, NavEntry};

mod office;
pub mod paths;

pub const CAPABILITY: Capability = Capability {
    portal: Some(router),
    // the server functions answer without a session themselves (JSON errors, not a login redirect)
    public: &[paths::SERVER_FNS.path()],
    staff_nav: &[NavEntry {
        order: 20,
        path: paths::SERVICES.path(),
        label: "staff.nav_services",
        resource: Resource::Services,
        action: Action::Read,
    }],
    ..Capability::named("catalogue")
};

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::HOME.pattern(), get(home))
        .route(paths::SEARCH.pattern(), get(search))
        .route(paths::SERVICE.pattern(), get(service))
        .route(paths::IMPRINT.pattern(), get(imprint))
        .route(paths::PRIVACY.pattern(), get(privacy))
        .route(paths::ACCESSIBILITY.pattern(), get(accessibility))
        .route(paths::LOGO.pattern(), get(logo))
        .route(paths::SERVICES.pattern(), get(office::services).post(office::toggle_service))
        .route(paths::SERVER_FN.pattern(), post(office::server_fn))
}

fn item(s: &catalogue::ActiveService, lang: Lang) -> ServiceItem {
    ServiceItem {
        slug: s.service_slug.clone(),
        name: s.name(lang).to_owned(),
        summary: s.summary(lang).to_owned(),
        fee: s.fee(),
        online: s.fully_online,
        appointment: s.appointment_required,
    }
}

/// `GET /`: the services the tenant offers, by category. From memory.
async fn home(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap) -> Result<Response, AppError> {
    public_page(&state, &ctx, &headers, paths::HOME.path().to_owned(), |content, chrome| async move {
        let lang = chrome.lang;
        let services = content.services_in(lang);
        let groups: Vec<CategoryGroup> = content
            .catalogue
            .categories
            .iter()
            .filter_map(|c| {
                let list: Vec<ServiceItem> =
                    services.iter().filter(|s| s.category_slug == c.category_slug).map(|s| item(s, lang)).collect();
                (!list.is_empty()).then(|| CategoryGroup {
                    slug: c.category_slug.clone(),
                    name: c.name(lang).to_owned(),
                    services: list,
                })
            })
            .collect();
        Ok((StatusCode::OK, portal_ui::render_document(move || view! { <HomePage chrome=chrome categories=groups/> })))
    })
    .await
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /suche?q=`: the full-text search, one database statement; what is asked often is served
/// from memory like any public page (keyed by exactly what was typed, which the page shows).
async fn search(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let query: String = q.q.trim().chars().take(200).collect();
    let address = format!("{}?q={}", paths::SEARCH.path(), urlencoding::encode(&query));
    let (db, tenant) = (state.db.clone(), ctx.entry.tenant_id);
    public_page(&state, &ctx, &headers, address, |content, chrome| async move {
        let lang = chrome.lang;
        let empty_query = catalogue::search_words(&query).is_empty();
        let results = if empty_query {
            Vec::new()
        } else {
            catalogue::search(&db, tenant, &query, &content.catalogue.synonyms).await?
        };
        metrics::counter!("portal_searches_total", "results" => if results.is_empty() { "none" } else { "some" })
            .increment(1);
        let items: Vec<ServiceItem> = results.iter().map(|s| item(s, lang)).collect();
        let status = if empty_query { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        Ok((
            status,
            portal_ui::render_document(
                move || view! { <SearchPage chrome=chrome query=query results=items empty_query=empty_query/> },
            ),
        ))
    })
    .await
}

/// `GET /leistungen/{slug}`: a service the tenant offers, with its details.
async fn service(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Params(slug): Params<ServiceSlug>,
) -> Result<Response, AppError> {
    // an impossible slug never reaches the database
    let slug = ServiceSlug::parse(&slug).map_err(|_| AppError::not_found())?;
    let (reader, tenant) = (state.clone(), ctx.entry.tenant_id);
    public_page(&state, &ctx, &headers, paths::SERVICE.with(&[&slug]), |content, chrome| async move {
        // nor does one the tenant does not offer
        if !content.services.iter().any(|s| s.service_slug == slug.as_str()) {
            return Err(AppError::not_found());
        }
        let lang = chrome.lang;
        let mut tx = tenant_tx(&reader, tenant).await?;
        let detail = catalogue::service_detail(&mut tx, &slug).await?.ok_or_else(AppError::not_found)?;
        tx.commit_page().await?;
        let data = ServicePageData {
            item: item(&detail.service, lang),
            description: detail.description(lang).to_owned(),
            fee_note: detail.fee_note(lang).to_owned(),
            documents: detail.documents.0.iter().map(|d| d.get(lang).to_owned()).collect(),
            // without an office of its own the service is handled by the tenant's administration
            office: detail.office.clone().or_else(|| {
                Some(
                    chrome
                        .address
                        .as_ref()
                        .map_or_else(|| chrome.tenant_name.clone(), |a| format!("{}, {a}", chrome.tenant_name)),
                )
            }),
            contact_email: detail.contact_email.clone().or_else(|| chrome.contact_email.clone()),
            contact_phone: detail.contact_phone.clone().or_else(|| chrome.contact_phone.clone()),
            leika_key: detail.leika_key.clone(),
            apply_online: detail.has_form,
            // the booking page says where the service can be booked, or how else to get one
            book_appointment: detail.service.appointment_required,
        };
        Ok((StatusCode::OK, portal_ui::render_document(move || view! { <ServicePage chrome=chrome data=data/> })))
    })
    .await
}

#[derive(Clone, Copy)]
enum Legal {
    Imprint,
    Privacy,
    Accessibility,
}

async fn legal(state: AppState, ctx: TenantContext, headers: HeaderMap, which: Legal) -> Result<Response, AppError> {
    let (path, key) = match which {
        Legal::Imprint => (paths::IMPRINT.path(), "common.imprint"),
        Legal::Privacy => (paths::PRIVACY.path(), "common.privacy"),
        Legal::Accessibility => (paths::ACCESSIBILITY.path(), "common.accessibility"),
    };
    public_page(&state, &ctx, &headers, path.to_owned(), |content, chrome| async move {
        let lang = chrome.lang;
        let text = content.branding.as_ref().map(|b| match which {
            Legal::Imprint => b.imprint.clone(),
            Legal::Privacy => b.privacy.clone(),
            Legal::Accessibility => b.accessibility.clone(),
        });
        let text = text.unwrap_or_default();
        // an English page without an English text shows the German one, and says so
        let (body, only_german) = if lang == Lang::En && text.en.trim().is_empty() {
            (text.de, true)
        } else {
            (text.get(lang).to_owned(), false)
        };
        let title = tr(lang, key);
        Ok((
            StatusCode::OK,
            portal_ui::render_document(
                move || view! { <LegalPage chrome=chrome title=title text=body only_german=only_german/> },
            ),
        ))
    })
    .await
}

async fn imprint(State(s): State<AppState>, ctx: TenantContext, h: HeaderMap) -> Result<Response, AppError> {
    legal(s, ctx, h, Legal::Imprint).await
}
async fn privacy(State(s): State<AppState>, ctx: TenantContext, h: HeaderMap) -> Result<Response, AppError> {
    legal(s, ctx, h, Legal::Privacy).await
}
async fn accessibility(State(s): State<AppState>, ctx: TenantContext, h: HeaderMap) -> Result<Response, AppError> {
    legal(s, ctx, h, Legal::Accessibility).await
}

/// `GET /logo`: the tenant's logo from the database, cacheable (the URL carries the hash).
async fn logo(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let stored = portal_tenancy::repo::logo(&mut tx).await?;
    tx.commit_page().await?;
    let (content_type, bytes, sha) = stored.ok_or_else(AppError::not_found)?;
    crate::kit::page::logo_response(&headers, content_type, bytes, &sha)
}
