//! The operations console on its own host: operator login, tenants (list, create, edit, suspend),
//! service selection per tenant, and `/metrics`.

use crate::kit::checked::{Anonymous, Checked};
use crate::kit::page::Language;
use crate::kit::params::Params;
use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use leptos::prelude::view;
use portal_catalogue::repo as catalogue;
use portal_domain::{Colour, HostName, Lang, Localized, ServiceSlug, TenantId, TenantKind, TenantSlug, TenantStatus};
use portal_operators as operators;
use portal_tenancy::logo::MAX_LOGO_BYTES;
use portal_tenancy::repo::{self as tenants, Branding, NewTenant, TenantError};
use portal_tenancy::{Logo, LogoError};
use portal_ui::console::{
    LoginPage, Paging, ServiceChoice, TENANT_FORM_FIELDS, TenantFormData, TenantFormPage, TenantListPage, TenantRow,
    TenantServicesPage,
};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, cookies, observe};
use serde::Deserialize;
use uuid::Uuid;

use crate::kit::operator::{OperatorSession, SESSION_COOKIE, chrome, operator_principal};
use crate::kit::page::{html, html_status, see_other, with_cookie};
use crate::kit::registry::{Capability, NavEntry};
use crate::kit::second_factor::{self, AfterPassword, Area, Pending};
use crate::kit::session::{anon_csrf, set_anon_csrf};
use portal_authz::{Action, Resource};

pub mod paths;
mod tenant_form;
use crate::kit::notice::Notice;
use tenant_form::*;

/// Body limit of the tenant form: a picked logo file far larger than a logo may be (a phone photo)
/// still arrives whole, so the form can answer with an error next to the field and keep every
/// value. The logo itself is never held beyond its own limit.
const TENANT_FORM_MAX_BYTES: usize = 32 * 1024 * 1024;

mod branding;

pub const CAPABILITY: Capability = Capability {
    portal: Some(staff_routes),
    console: Some(router),
    public: &[paths::LOGIN_FORM.path(), paths::METRICS.path()],
    staff_nav: &[NavEntry {
        order: 30,
        path: paths::BRANDING_FORM.path(),
        label: "staff.nav_branding",
        resource: Resource::Branding,
        action: Action::Write,
    }],
    console_nav: &[NavEntry {
        order: 10,
        path: paths::TENANT_LIST.path(),
        label: "console.tenants",
        resource: Resource::Tenants,
        action: Action::Read,
    }],
    texts: || portal_domain::TenantKind::ALL.iter().map(|k| format!("console.kind_{}", k.as_str())).collect(),
    ..Capability::named("tenants")
};

fn staff_routes() -> Router<AppState> {
    Router::new().route(paths::BRANDING_FORM.pattern(), get(branding::branding_form).post(branding::save_branding))
}

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::TENANT_LIST.pattern(), get(tenant_list))
        .route(paths::LOGIN_FORM.pattern(), get(login_form).post(login))
        .route(paths::LOGOUT.pattern(), post(logout))
        .route(paths::CREATE_TENANT.pattern(), post(create_tenant).layer(DefaultBodyLimit::max(TENANT_FORM_MAX_BYTES)))
        .route(paths::NEW_TENANT_FORM.pattern(), get(new_tenant_form))
        .route(
            paths::EDIT_TENANT_FORM.pattern(),
            get(edit_tenant_form).post(update_tenant).layer(DefaultBodyLimit::max(TENANT_FORM_MAX_BYTES)),
        )
        .route(paths::SET_STATUS.pattern(), post(set_status))
        .route(paths::TENANT_LOGO.pattern(), get(tenant_logo))
        .route(paths::SERVICES_PAGE.pattern(), get(services_page).post(save_services))
        .route(paths::APPLY_BASIC_INSTALLATION.pattern(), post(apply_basic_installation))
        .route(paths::METRICS.pattern(), get(observe::metrics))
}

/// Writes an operator's change to the audit log, in the transaction that makes it.
async fn audit_change(
    conn: &mut sqlx::PgConnection,
    session: &OperatorSession,
    ip: &ClientIp,
    tenant: TenantId,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let principal = operator_principal(session);
    portal_authz::audit::record(
        conn,
        &principal,
        ip.0,
        portal_authz::audit::Event { tenant: Some(tenant), action, object: format!("tenant:{}", tenant.0), detail },
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// login

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(default)]
    abgelaufen: Option<String>,
}

/// The login form, with the same CSRF scheme as every form shown before a login (double submit).
fn render_login(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    form: FormState,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let (token, is_new) = anon_csrf(headers);
    let chrome = chrome(state, lang, None, paths::LOGIN_FORM.path(), false);
    let t = token.clone();
    let page =
        portal_ui::render_document(move || view! { <LoginPage chrome=chrome form=form message=message login_csrf=t/> });
    set_anon_csrf(state, html_status(status, page), &token, is_new)
}

async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Language(lang): Language,
    Query(q): Query<LoginQuery>,
) -> Response {
    let message = q.abgelaufen.map(|_| tr(lang, "console.login_expired"));
    render_login(
        &state,
        &headers,
        lang,
        FormState { order: vec!["email".into(), "password".into()], ..FormState::default() },
        message,
        StatusCode::OK,
    )
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    let email = f.text("email");
    let password = f.raw("password");
    let mut form = FormState { order: vec!["email".into(), "password".into()], ..FormState::default() };
    form.values.insert("email".into(), email.clone());
    if email.is_empty() {
        form.errors.insert("email".into(), tr(lang, "validation.required"));
    }
    if password.is_empty() {
        form.errors.insert("password".into(), tr(lang, "validation.required"));
    }
    if form.has_errors() {
        return Ok(render_login(&state, &headers, lang, form, None, StatusCode::UNPROCESSABLE_ENTITY));
    }
    // attempts per client address; failures per account (and address) with a growing delay, so
    // that nobody who knows the address can lock the operator out (issue 27, finding 18)
    let account_key = portal_identity::secret::fingerprint(&email.to_lowercase());
    let buckets = Area::Console.throttle_buckets(&account_key, &ip);
    if !crate::kit::limits::login_address_allowed(&state, None, &ip).await? {
        metrics::counter!("console_logins_total", "result" => "limited").increment(1);
        return Ok(render_login(
            &state,
            &headers,
            lang,
            form,
            Some(tr(lang, "account.too_many_attempts")),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
    let remembered = {
        let now = tx.now();
        second_factor::remembered_device(tx.conn(), Area::Console, &headers, &account_key, now).await?
    };
    if let Some(wait) = second_factor::login_wait(tx.conn(), &buckets, remembered).await? {
        tx.finish().await?;
        metrics::counter!("console_logins_total", "result" => "delayed").increment(1);
        let message = tr_with(lang, "twofactor.wait", &[("seconds", &second_factor::wait_secs(wait))]);
        return Ok(crate::kit::page::retry_after(
            render_login(&state, &headers, lang, form, Some(message), StatusCode::TOO_MANY_REQUESTS),
            wait,
        ));
    }
    let Some(operator) = operators::authenticate(&mut tx, &email, &password).await? else {
        second_factor::login_failed(tx.conn(), &buckets, &ip).await?;
        tx.finish().await?;
        metrics::counter!("console_logins_total", "result" => "failed").increment(1);
        tracing::warn!(email_domain = email.split('@').nth(1).unwrap_or(""), "console login failed");
        return Ok(render_login(
            &state,
            &headers,
            lang,
            form,
            Some(tr(lang, "console.login_failed")),
            StatusCode::UNAUTHORIZED,
        ));
    };
    // operators always log in with a second factor
    let now = tx.now();
    let next =
        second_factor::after_password(tx.conn(), Area::Console, &headers, operator.operator_id, true, now).await?;
    if next != AfterPassword::Session {
        tx.finish().await?;
        let pending = Pending {
            account: operator.operator_id,
            at: now.unix_timestamp(),
            setup: next == AfterPassword::Setup,
            next: "/".into(),
            key: account_key,
            secret: None,
        };
        return Ok(second_factor::to_second_step(&state, Area::Console, &pending));
    }
    second_factor::login_succeeded(tx.conn(), &buckets).await?;
    let r = second_factor::start_console_session(&state, &mut tx, &headers, &ip, operator.operator_id, "/").await?;
    tx.finish().await?;
    metrics::counter!("console_logins_total", "result" => "ok").increment(1);
    tracing::info!(operator.id = %operator.operator_id, "operator logged in (remembered device)");
    Ok(r)
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Checked(_, _): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    if let Some(token) = cookies::get(&headers, SESSION_COOKIE) {
        let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
        operators::end_session(&mut tx, token).await?;
        tx.finish().await?;
    }
    Ok(with_cookie(
        see_other(paths::LOGIN_FORM.path()),
        &cookies::set(SESSION_COOKIE, "", state.config.secure_cookies, Some(0), true),
    ))
}

// ---------------------------------------------------------------------------------------------
// tenant list

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    hinweis: Option<String>,
    #[serde(default)]
    mandant: Option<Uuid>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    seite: Option<i64>,
}

/// Tenants per page of the list.
const PAGE_SIZE: i64 = 50;

async fn tenant_list(
    State(state): State<AppState>,
    session: OperatorSession,
    headers: HeaderMap,
    Language(lang): Language,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let filter: String = q.q.trim().chars().take(100).collect();
    let page = q.seite.unwrap_or(1).max(1);
    let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
    let (list, total) = tenants::search(&mut tx, &filter, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let named = match q.mandant {
        Some(id) => tenants::get(&mut tx, TenantId(id)).await?.map(|t| t.name).unwrap_or_default(),
        None => String::new(),
    };
    tx.commit_page().await?;
    let notice = match Notice::parse(q.hinweis.as_deref()) {
        Some(Notice::Suspended) => Some(tr_with(lang, "console.suspended_notice", &[("name", &named)])),
        Some(Notice::Activated) => Some(tr_with(lang, "console.activated_notice", &[("name", &named)])),
        Some(Notice::Saved) => Some(tr(lang, "console.saved")),
        _ => None,
    };
    let rows: Vec<TenantRow> = list
        .into_iter()
        .map(|t| TenantRow {
            id: t.tenant_id.to_string(),
            suspended: t.status() == TenantStatus::Suspended,
            name: t.name,
            kind: t.kind,
            parent: t.parent_name,
            hosts: t.hosts,
        })
        .collect();
    let chrome = chrome(&state, lang, Some(&session), "/", false);
    // portal links keep the console's port (relevant on development machines)
    let port_suffix = crate::kit::page::port_suffix(&headers);
    let paging = Paging { filter, page, pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1), total };
    Ok(html(portal_ui::render_document(
        move || view! { <TenantListPage chrome=chrome tenants=rows notice=notice port_suffix=port_suffix paging=paging/> },
    )))
}

async fn set_status(
    State(state): State<AppState>,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(session, f): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    let status = TenantStatus::parse(&f.text("status")).ok_or_else(AppError::bad_request)?;
    let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
    if !tenants::set_status(&mut tx, TenantId(id), status).await? {
        return Err(AppError::not_found());
    }
    audit_change(
        tx.conn(),
        &session,
        &ip,
        TenantId(id),
        "tenant.status",
        serde_json::json!({ "status": status.as_str() }),
    )
    .await?;
    tx.finish().await?;
    state.registry.reload().await?;
    state.content.invalidate(TenantId(id));
    tracing::info!(tenant.id = %id, operator.id = %session.session.operator.operator_id, status = status.as_str(), "tenant status changed");
    let notice = if status == TenantStatus::Suspended { Notice::Suspended } else { Notice::Activated };
    Ok(notice.redirect(&format!("/?mandant={id}")))
}

// ---------------------------------------------------------------------------------------------
// services

#[derive(Deserialize)]
struct ServicesQuery {
    #[serde(default)]
    neu: Option<String>,
    #[serde(default)]
    gespeichert: Option<usize>,
    #[serde(default)]
    vorlage: Option<u64>,
}

async fn services_page(
    State(state): State<AppState>,
    session: OperatorSession,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Query(q): Query<ServicesQuery>,
) -> Result<Response, AppError> {
    let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
    let tenant = tenants::get(&mut tx, TenantId(id)).await?.ok_or_else(AppError::not_found)?;
    let base = catalogue::base_services(tx.conn()).await?;
    let categories = catalogue::categories(tx.conn()).await?;
    tx.finish().await?;
    let mut tx = crate::kit::pipeline::tenant_tx(&state, TenantId(id)).await?;
    let active = catalogue::activated_slugs(&mut tx).await?;
    tx.finish().await?;
    let groups: Vec<(String, Vec<ServiceChoice>)> = categories
        .iter()
        .map(|c| {
            let list = base
                .iter()
                .filter(|s| s.category_slug == c.category_slug)
                .map(|s| ServiceChoice {
                    slug: s.service_slug.clone(),
                    name: lang.pick(s.name_de.clone(), s.name_en.clone()),
                    leika_key: s.leika_key.clone(),
                    active: active.binary_search(&s.service_slug).is_ok(),
                })
                .collect();
            (c.name(lang).to_owned(), list)
        })
        .collect();
    let notice = if q.neu.is_some() {
        Some(tr_with(
            lang,
            "console.created",
            &[("name", &tenant.name), ("host", tenant.hosts.first().map_or("", String::as_str))],
        ))
    } else if let Some(n) = q.vorlage {
        Some(tr_with(lang, "console.preset_applied", &[("count", &n.to_string())]))
    } else {
        q.gespeichert.map(|n| tr_with(lang, "console.selection_saved", &[("count", &n.to_string())]))
    };
    let chrome = chrome(&state, lang, Some(&session), &paths::SERVICES_PAGE.with(&[&id]), false);
    let (tid, tname) = (id.to_string(), tenant.name);
    Ok(html(portal_ui::render_document(
        move || view! { <TenantServicesPage chrome=chrome tenant_id=tid tenant_name=tname groups=groups notice=notice/> },
    )))
}

async fn save_services(
    State(state): State<AppState>,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(session, f): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    let slugs: Vec<String> =
        f.0.iter()
            .filter(|(k, _)| k == "service")
            .filter_map(|(_, v)| ServiceSlug::parse(v).ok().map(|s| s.to_string()))
            .collect();
    let mut tx = state.db.platform().await?;
    tenants::get(&mut tx, TenantId(id)).await?.ok_or_else(AppError::not_found)?;
    let mut tx = tx.into_tenant(TenantId(id)).await?;
    catalogue::set_selection(&mut tx, &slugs).await?;
    let count = catalogue::activated_slugs(&mut tx).await?.len();
    audit_change(tx.conn(), &session, &ip, TenantId(id), "services.select", serde_json::json!({ "services": slugs }))
        .await?;
    tx.commit().await?;
    // this server shows it on the next request; the others when the notification arrives
    state.content.invalidate(TenantId(id));
    tracing::info!(tenant.id = %id, operator.id = %session.session.operator.operator_id, services = count, "service selection saved");
    Ok(see_other(&format!("{}?gespeichert={count}", paths::SERVICES_PAGE.with(&[&id]))))
}

async fn apply_basic_installation(
    State(state): State<AppState>,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(session, _): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    let mut tx = state.db.platform().await?;
    tenants::get(&mut tx, TenantId(id)).await?.ok_or_else(AppError::not_found)?;
    let mut tx = tx.into_tenant(TenantId(id)).await?;
    let added = catalogue::apply_preset(&mut tx, "grundausstattung").await?.ok_or_else(AppError::not_found)?;
    audit_change(
        tx.conn(),
        &session,
        &ip,
        TenantId(id),
        "services.basic_installation",
        serde_json::json!({ "added": added }),
    )
    .await?;
    tx.commit().await?;
    // this server shows it on the next request; the others when the notification arrives
    state.content.invalidate(TenantId(id));
    tracing::info!(tenant.id = %id, operator.id = %session.session.operator.operator_id, added, "basic installation applied");
    Ok(see_other(&format!("{}?vorlage={added}", paths::SERVICES_PAGE.with(&[&id]))))
}
