//! The staff area on a tenant's host (`/verwaltung`): staff login, invitations, and what each role
//! may do — admins manage branding, services, staff, identity providers and read the audit log;
//! case workers and viewers see their work. Every check is a typed casbin call; every change is
//! audited in the transaction that makes it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::prelude::view;
use portal_authz::audit::{self, Event};
use portal_authz::{Action, Resource};
use portal_catalogue::repo as catalogue;
use portal_domain::{Colour, Lang, ServiceSlug};
use portal_identity::links::{self, Purpose};
use portal_identity::ratelimit;
use portal_identity::session::{self, Subject};
use portal_identity::staff::{self, RoleGrant};
use portal_identity::{oidc, password};
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FormSpec, PortalBlocksPage};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_ui::islands::ServiceSwitchData;
use portal_ui::server_api::{BoxFuture, StaffApi};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext, cookies};
use serde::Deserialize;
use uuid::Uuid;

use super::identity_admin::{self, invite_form, parse_invitation, provider_blocks, role_label};
use crate::auth::{STAFF_COOKIE, Staff, anon_csrf, check_anon_csrf, load_staff, login_allowed, login_bucket, set_anon_csrf};
use crate::mailer::base_url;
use crate::pages::{Fields, html_status, lang_of, portal_chrome, see_other, with_cookie};

mod people;
pub(crate) use people::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/verwaltung", get(dashboard))
        .route("/verwaltung/anmelden", get(login_form).post(login))
        .route("/verwaltung/abmelden", post(logout))
        .route("/verwaltung/einladung", get(invitation_form).post(accept_invitation))
        .route("/verwaltung/darstellung", get(branding_form).post(save_branding))
        .route("/verwaltung/leistungen", get(services).post(toggle_service))
        .route("/verwaltung/mitarbeitende", get(staff_list).post(invite))
        .route("/verwaltung/mitarbeitende/{id}/rolle", post(change_role))
        .route("/verwaltung/mitarbeitende/{id}/entziehen", post(revoke))
        .route("/verwaltung/identitaet", get(providers).post(save_provider))
        .route("/verwaltung/identitaet/{slug}/loeschen", post(delete_provider))
        .route("/verwaltung/protokoll", get(audit_log))
        .route("/verwaltung/api/{*fn_name}", post(server_fn))
}

/// Roles a tenant admin may grant.
const TENANT_ROLES: [&str; 3] = ["tenant_admin", "case_worker", "viewer"];

fn nav(state: &AppState, lang: Lang, s: &Staff, current: &str) -> Vec<(String, String, bool)> {
    let mut items = vec![("/verwaltung", "staff.nav_home", Resource::StaffArea, Action::Read)];
    items.push(("/verwaltung/vorgaenge", "staff.nav_cases", Resource::Cases, Action::Read));
    items.push(("/verwaltung/leistungen", "staff.nav_services", Resource::Services, Action::Read));
    items.push(("/verwaltung/darstellung", "staff.nav_branding", Resource::Branding, Action::Write));
    items.push(("/verwaltung/mitarbeitende", "staff.nav_staff", Resource::Staff, Action::Read));
    items.push(("/verwaltung/antragseinstellungen", "staff.nav_case_settings", Resource::Services, Action::Write));
    items.push(("/verwaltung/zahlungen", "staff.nav_payments", Resource::Payments, Action::Read));
    items.push(("/verwaltung/zahlungen/einstellungen", "staff.nav_payment_settings", Resource::Payments, Action::Write));
    items.push(("/verwaltung/identitaet", "staff.nav_identity", Resource::IdentityProviders, Action::Read));
    items.push(("/verwaltung/protokoll", "staff.nav_audit", Resource::AuditLog, Action::Read));
    items.into_iter().filter(|(_, _, r, a)| s.may(state, *r, *a)).map(|(href, key, _, _)| (href.to_owned(), tr(lang, key), href == current)).collect()
}

#[expect(clippy::too_many_arguments, reason = "a page of the staff area: frame, navigation, status, title and content")]
pub(super) async fn staff_page(state: &AppState, ctx: &TenantContext, lang: Lang, path: &str, staff: Option<&Staff>, status: StatusCode, title: String, mut blocks: Vec<Block>) -> Result<Response, AppError> {
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let mut chrome = portal_chrome(&mut tx, ctx, state, lang, path.to_owned()).await?;
    tx.commit().await?;
    let nav = staff.map(|s| nav(state, lang, s, path)).unwrap_or_default();
    if let Some(s) = staff {
        blocks.push(Block::Buttons(vec![Button { action: "/verwaltung/abmelden".into(), csrf: s.csrf.clone(), hidden: vec![], label: tr_with(lang, "staff.logout", &[("name", &s.user.display_name)]), danger: false }]));
    }
    let islands = blocks.iter().any(|b| matches!(b, Block::ServiceSwitches(_)));
    if islands {
        chrome.assets = crate::pages::assets(state, true);
    }
    Ok(html_status(status, portal_ui::render_document(move || view! { <PortalBlocksPage chrome=chrome title=title nav=nav blocks=blocks/> })))
}

pub(super) async fn audit(tx: &mut portal_db::TenantTx, s: &Staff, ip: &ClientIp, action: &str, object: String, detail: serde_json::Value) -> Result<(), AppError> {
    let tenant = tx.tenant_id();
    audit::record(tx.conn(), &s.principal, ip.0, Event { tenant: Some(tenant), action, object, detail }).await?;
    Ok(())
}

#[derive(Deserialize, Default)]
struct Q {
    #[serde(default)]
    hinweis: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    weiter: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// login, logout, invitation

fn login_blocks(lang: Lang, csrf: &str, next: &str, mut form: FormState) -> Vec<Block> {
    form.labels.insert("email".into(), tr(lang, "staff.email"));
    form.labels.insert("password".into(), tr(lang, "account.password"));
    form.values.insert("weiter".into(), next.to_owned());
    vec![
        Block::Text(tr(lang, "staff.login_intro")),
        Block::Form(FormSpec {
            action: "/verwaltung/anmelden".into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("weiter", String::new(), FieldKind::Hidden),
                Field::new("email", tr(lang, "staff.email"), FieldKind::Email).autocomplete("username").required(),
                Field::new("password", tr(lang, "account.password"), FieldKind::Password).autocomplete("current-password").required(),
            ],
            submit: tr(lang, "account.login_submit"),
            danger: false,
            secondary: None,
        }),
    ]
}

fn safe_next(next: &str) -> String {
    portal_web::redirect::local_path(next).filter(|p| p.starts_with("/verwaltung") && !p.starts_with("/verwaltung/anmelden")).unwrap_or("/verwaltung").to_owned()
}

async fn login_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<Q>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let (csrf, new) = anon_csrf(&headers);
    let mut blocks = match q.hinweis.as_deref() {
        Some("abgemeldet") => vec![Block::Notice("success", tr(lang, "account.logged_out"))],
        Some("eingeladen") => vec![Block::Notice("success", tr(lang, "staff.invitation_accepted"))],
        _ => vec![],
    };
    blocks.extend(login_blocks(lang, &csrf, &safe_next(q.weiter.as_deref().unwrap_or("")), FormState { order: vec!["email".into(), "password".into()], ..FormState::default() }));
    let r = staff_page(&state, &ctx, lang, "/verwaltung/anmelden", None, StatusCode::OK, tr(lang, "staff.login_title"), blocks).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn login(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    check_anon_csrf(&headers, f.csrf())?;
    let (csrf, _) = anon_csrf(&headers);
    let email = f.text("email");
    let pw = f.raw("password");
    let next = safe_next(&f.text("weiter"));
    let mut form = FormState { order: vec!["email".into(), "password".into()], ..FormState::default() };
    form.values.insert("email".into(), email.clone());
    let title = tr(lang, "staff.login_title");
    let tenant = ctx.entry.tenant_id;
    let account_bucket = login_bucket("staff-login", tenant, &email);
    if !login_allowed(&state, Some(tenant), &ip, &account_bucket).await? {
        let mut blocks = vec![Block::Notice("danger", tr(lang, "account.too_many_attempts"))];
        blocks.extend(login_blocks(lang, &csrf, &next, form));
        return staff_page(&state, &ctx, lang, "/verwaltung/anmelden", None, StatusCode::TOO_MANY_REQUESTS, title, blocks).await;
    }
    let mut tx = state.db.tenant(tenant).await?;
    let Some(id) = staff::authenticate(&mut tx, &email, &pw).await? else {
        ratelimit::hit(tx.conn(), &account_bucket, ratelimit::LOGIN_PER_ACCOUNT).await?;
        tx.commit().await?;
        let mut blocks = vec![Block::Notice("danger", tr(lang, "account.login_failed"))];
        blocks.extend(login_blocks(lang, &csrf, &next, form));
        return staff_page(&state, &ctx, lang, "/verwaltung/anmelden", None, StatusCode::UNAUTHORIZED, title, blocks).await;
    };
    if let Some(old) = cookies::get(&headers, STAFF_COOKIE) {
        session::end(&mut tx, old).await?;
    }
    let token = session::start(&mut tx, Subject::Staff(id)).await?;
    ratelimit::clear(tx.conn(), &account_bucket).await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %tenant, staff.id = %id, "staff logged in");
    Ok(with_cookie(see_other(&next), &cookies::set(STAFF_COOKIE, &token, state.config.secure_cookies, None, true)))
}

async fn logout(State(state): State<AppState>, ctx: TenantContext, s: Staff, f: Fields) -> Result<Response, AppError> {
    s.check_csrf(f.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    session::end(&mut tx, &s.token).await?;
    tx.commit().await?;
    Ok(with_cookie(see_other("/verwaltung/anmelden?hinweis=abgemeldet"), &cookies::set(STAFF_COOKIE, "", state.config.secure_cookies, Some(0), true)))
}

fn invitation_blocks(lang: Lang, csrf: &str, token: &str, name: &str, mut form: FormState) -> Vec<Block> {
    form.values.insert("token".into(), token.to_owned());
    form.labels.insert("password".into(), tr(lang, "account.new_password"));
    form.labels.insert("password_repeat".into(), tr(lang, "account.password_repeat"));
    vec![
        Block::Text(tr_with(lang, "staff.invitation_intro", &[("name", name)])),
        Block::Form(FormSpec {
            action: "/verwaltung/einladung".into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("token", String::new(), FieldKind::Hidden),
                Field::new("password", tr(lang, "account.new_password"), FieldKind::Password)
                    .hint(tr_with(lang, "account.password_hint", &[("min", &password::MIN_CHARS.to_string())]))
                    .autocomplete("new-password")
                    .required(),
                Field::new("password_repeat", tr(lang, "account.password_repeat"), FieldKind::Password).autocomplete("new-password").required(),
            ],
            submit: tr(lang, "staff.invitation_submit"),
            danger: false,
            secondary: None,
        }),
    ]
}

async fn invitation_problem(state: &AppState, ctx: &TenantContext, lang: Lang, p: links::LinkProblem) -> Result<Response, AppError> {
    let (status, text) = crate::forms::link_problem(lang, p);
    staff_page(state, ctx, lang, "/verwaltung/einladung", None, status, tr(lang, "account.link_problem_title"), vec![Block::Notice("danger", text)]).await
}

async fn invitation_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<Q>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let token = q.token.unwrap_or_default();
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::StaffInvite, &token).await? {
        Ok(l) => l,
        Err(p) => return invitation_problem(&state, &ctx, lang, p).await,
    };
    let user = staff::get(&mut tx, link.subject_id).await?.ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    let (csrf, new) = anon_csrf(&headers);
    let form = FormState { order: vec!["password".into(), "password_repeat".into()], ..FormState::default() };
    let r = staff_page(&state, &ctx, lang, "/verwaltung/einladung", None, StatusCode::OK, tr(lang, "staff.invitation_title"), invitation_blocks(lang, &csrf, &token, &user.display_name, form)).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn accept_invitation(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let crate::forms::LinkPost { csrf, token, password: pw } = crate::forms::link_post(&headers, &f)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::StaffInvite, &token).await? {
        Ok(l) => l,
        Err(p) => return invitation_problem(&state, &ctx, lang, p).await,
    };
    let user = staff::get(&mut tx, link.subject_id).await?.ok_or_else(AppError::not_found)?;
    let mut form = FormState { order: vec!["password".into(), "password_repeat".into()], ..FormState::default() };
    crate::forms::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), Some(&user.email));
    if form.has_errors() {
        return staff_page(&state, &ctx, lang, "/verwaltung/einladung", None, StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "staff.invitation_title"), invitation_blocks(lang, &csrf, &token, &user.display_name, form)).await;
    }
    if let Err(p) = links::consume(&mut tx, Purpose::StaffInvite, &token).await? {
        return invitation_problem(&state, &ctx, lang, p).await;
    }
    if !staff::accept_invitation(&mut tx, link.subject_id, &pw).await? {
        return invitation_problem(&state, &ctx, lang, links::LinkProblem::Used).await;
    }
    let session = session::start(&mut tx, Subject::Staff(link.subject_id)).await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %ctx.entry.tenant_id, staff.id = %link.subject_id, "staff invitation accepted");
    Ok(with_cookie(see_other("/verwaltung?hinweis=willkommen"), &cookies::set(STAFF_COOKIE, &session, state.config.secure_cookies, None, true)))
}

// ---------------------------------------------------------------------------------------------
// dashboard

async fn dashboard(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, s: Staff, Query(q): Query<Q>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::StaffArea, Action::Read)?;
    let mut blocks = Vec::new();
    if q.hinweis.as_deref() == Some("willkommen") {
        blocks.push(Block::Notice("success", tr(lang, "staff.welcome")));
    }
    let roles: Vec<String> = s.user.roles.iter().map(|r| role_label(lang, &r.role)).collect();
    blocks.push(Block::Facts(vec![(tr(lang, "staff.name"), s.user.display_name.clone(), None), (tr(lang, "staff.email"), s.user.email.clone(), None), (tr(lang, "staff.role"), roles.join(", "), None)]));
    if s.may(&state, Resource::Cases, Action::Process) || s.may(&state, Resource::Cases, Action::Read) {
        blocks.push(Block::Heading(tr(lang, "staff.my_work")));
        let scope = if s.principal.scope_services.is_empty() { tr(lang, "staff.scope_all") } else { s.principal.scope_services.join(", ") };
        blocks.push(Block::Facts(vec![(tr(lang, "staff.scope"), scope, None)]));
        let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
        blocks.extend(super::casework::work_blocks(&mut tx, lang, &s).await?);
        tx.commit().await?;
    }
    if s.may(&state, Resource::Staff, Action::Write) {
        blocks.push(Block::Heading(tr(lang, "staff.admin_heading")));
        blocks.push(Block::Links(nav(&state, lang, &s, "/verwaltung").into_iter().skip(1).map(|(h, l, _)| (h, l)).collect()));
    }
    staff_page(&state, &ctx, lang, "/verwaltung", Some(&s), StatusCode::OK, tr(lang, "staff.title"), blocks).await
}

// ---------------------------------------------------------------------------------------------
// branding

const BRANDING_FIELDS: [&str; 6] = ["display_name", "primary_colour", "secondary_colour", "contact_email", "contact_phone", "address"];

fn branding_blocks(lang: Lang, csrf: &str, mut form: FormState) -> Vec<Block> {
    for (f, key) in [("display_name", "console.display_name"), ("primary_colour", "console.primary_colour"), ("secondary_colour", "console.secondary_colour"), ("contact_email", "console.contact_email"), ("contact_phone", "console.contact_phone"), ("address", "console.address")] {
        form.labels.insert(f.to_owned(), tr(lang, key));
    }
    vec![Block::Form(FormSpec {
        action: "/verwaltung/darstellung".into(),
        csrf: csrf.to_owned(),
        form,
        fields: vec![
            Field::new("display_name", tr(lang, "console.display_name"), FieldKind::Text).required(),
            Field::new("primary_colour", tr(lang, "console.primary_colour"), FieldKind::Text).hint(tr(lang, "console.colour_hint")).required(),
            Field::new("secondary_colour", tr(lang, "console.secondary_colour"), FieldKind::Text).hint(tr(lang, "console.colour_hint")).required(),
            Field::new("contact_email", tr(lang, "console.contact_email"), FieldKind::Email),
            Field::new("contact_phone", tr(lang, "console.contact_phone"), FieldKind::Tel),
            Field::new("address", tr(lang, "console.address"), FieldKind::Text),
        ],
        submit: tr(lang, "identity.save"),
        danger: false,
        secondary: None,
    })]
}

async fn branding_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, s: Staff, Query(q): Query<Q>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Branding, Action::Write)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let b = portal_tenancy::repo::branding_and_logo_hash(&mut tx).await?.map(|(b, _)| b).ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    let mut form = FormState { order: BRANDING_FIELDS.iter().map(|s| (*s).to_owned()).collect(), ..FormState::default() };
    for (k, v) in [("display_name", b.display_name.clone()), ("primary_colour", b.primary_colour.to_string()), ("secondary_colour", b.secondary_colour.to_string()), ("contact_email", b.contact_email.clone().unwrap_or_default()), ("contact_phone", b.contact_phone.clone().unwrap_or_default()), ("address", b.address.clone().unwrap_or_default())] {
        form.values.insert(k.to_owned(), v);
    }
    let mut blocks = if q.hinweis.as_deref() == Some("gespeichert") { vec![Block::Notice("success", tr(lang, "console.saved"))] } else { vec![] };
    blocks.extend(branding_blocks(lang, &s.csrf, form));
    staff_page(&state, &ctx, lang, "/verwaltung/darstellung", Some(&s), StatusCode::OK, tr(lang, "staff.nav_branding"), blocks).await
}

async fn save_branding(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, s: Staff, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.check_csrf(f.csrf())?;
    s.require(&state, Resource::Branding, Action::Write)?;
    let mut form = FormState { order: BRANDING_FIELDS.iter().map(|s| (*s).to_owned()).collect(), ..FormState::default() };
    for k in BRANDING_FIELDS {
        form.values.insert(k.to_owned(), f.text(k));
    }
    let primary = Colour::parse(&f.text("primary_colour"));
    let secondary = Colour::parse(&f.text("secondary_colour"));
    if f.text("display_name").is_empty() {
        form.errors.insert("display_name".into(), tr(lang, "validation.required"));
    }
    let white = Colour::parse("#ffffff").unwrap_or_default();
    match &primary {
        Err(_) => {
            form.errors.insert("primary_colour".into(), tr(lang, "validation.colour"));
        }
        Ok(c) if c.contrast(&white) < 4.5 => {
            form.errors.insert("primary_colour".into(), tr(lang, "validation.contrast"));
        }
        Ok(_) => {}
    }
    if secondary.is_err() {
        form.errors.insert("secondary_colour".into(), tr(lang, "validation.colour"));
    }
    let email = f.text("contact_email");
    if !email.is_empty() && portal_identity::Email::parse(&email).is_none() {
        form.errors.insert("contact_email".into(), tr(lang, "validation.email"));
    }
    let (Ok(primary), Ok(secondary)) = (primary, secondary) else {
        return staff_page(&state, &ctx, lang, "/verwaltung/darstellung", Some(&s), StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "staff.nav_branding"), branding_blocks(lang, &s.csrf, form)).await;
    };
    if form.has_errors() {
        return staff_page(&state, &ctx, lang, "/verwaltung/darstellung", Some(&s), StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "staff.nav_branding"), branding_blocks(lang, &s.csrf, form)).await;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let mut b = portal_tenancy::repo::branding_and_logo_hash(&mut tx).await?.map(|(b, _)| b).ok_or_else(AppError::not_found)?;
    let opt = |k: &str| Some(f.text(k)).filter(|v| !v.is_empty());
    b.display_name = f.text("display_name");
    b.primary_colour = primary;
    b.secondary_colour = secondary;
    b.contact_email = opt("contact_email");
    b.contact_phone = opt("contact_phone");
    b.address = opt("address");
    portal_tenancy::repo::save_branding(&mut tx, &b).await?;
    audit(&mut tx, &s, &ip, "branding.update", "branding".into(), serde_json::json!({ "display_name": b.display_name, "primary_colour": b.primary_colour.to_string() })).await?;
    tx.commit().await?;
    Ok(see_other("/verwaltung/darstellung?hinweis=gespeichert"))
}

// ---------------------------------------------------------------------------------------------
// services

async fn services(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, s: Staff) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Services, Action::Read)?;
    let mut conn_tx = state.db.platform().await?;
    let base = catalogue::base_services(conn_tx.conn()).await?;
    conn_tx.commit().await?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let active = catalogue::activated_slugs(&mut tx).await?;
    tx.commit().await?;
    let mut blocks = Vec::new();
    if s.may(&state, Resource::Services, Action::Write) {
        blocks.push(Block::Text(tr(lang, "staff.services_intro")));
        blocks.push(Block::ServiceSwitches(
            base.iter()
                .map(|b| ServiceSwitchData {
                    slug: b.service_slug.clone(),
                    name: b.name(lang).to_owned(),
                    active: active.contains(&b.service_slug),
                    csrf: s.csrf.clone(),
                    switch_on: tr(lang, "staff.switch_on"),
                    switch_off: tr(lang, "staff.switch_off"),
                    status_on: tr(lang, "staff.status_on"),
                    status_off: tr(lang, "staff.status_off"),
                    failed: tr(lang, "staff.switch_failed"),
                })
                .collect(),
        ));
    } else {
        blocks.push(Block::List(base.iter().filter(|b| active.contains(&b.service_slug)).map(|b| b.name(lang).to_owned()).collect()));
    }
    staff_page(&state, &ctx, lang, "/verwaltung/leistungen", Some(&s), StatusCode::OK, tr(lang, "staff.nav_services"), blocks).await
}

/// Switches a service (shared by the form post and the server function). Checks authorisation and
/// CSRF, audits the change.
async fn set_service(state: &AppState, ctx: &TenantContext, s: &Staff, ip: &ClientIp, csrf: Option<&str>, slug: &str, active: bool) -> Result<bool, AppError> {
    s.check_csrf(csrf)?;
    s.require(state, Resource::Services, Action::Write)?;
    let slug = ServiceSlug::parse(slug).map_err(|_| AppError::bad_request())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    if !catalogue::set_active(&mut tx, &slug, active).await? {
        return Err(AppError::not_found());
    }
    audit(&mut tx, s, ip, if active { "service.activate" } else { "service.deactivate" }, format!("service:{slug}"), serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(active)
}

async fn toggle_service(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, s: Staff, f: Fields) -> Result<Response, AppError> {
    set_service(&state, &ctx, &s, &ip, f.csrf(), &f.text("slug"), f.text("active") == "true").await?;
    Ok(see_other("/verwaltung/leistungen"))
}

/// The server functions' view of the server: the request's staff session, checked like a form post.
struct StaffApiImpl {
    state: AppState,
    ctx: TenantContext,
    ip: ClientIp,
    staff: Option<Staff>,
    lang: Lang,
}

impl StaffApi for StaffApiImpl {
    fn set_service_active(&self, csrf: String, slug: String, active: bool) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            let fail = |status: StatusCode, key: &str| {
                if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                    opts.set_status(status);
                }
                tr(self.lang, key)
            };
            let Some(s) = &self.staff else { return Err(fail(StatusCode::UNAUTHORIZED, "staff.api_login_required")) };
            match set_service(&self.state, &self.ctx, s, &self.ip, Some(&csrf), &slug, active).await {
                Ok(v) => Ok(v),
                Err(e) if e.kind == portal_web::ErrorKind::Forbidden => Err(fail(StatusCode::FORBIDDEN, "staff.api_forbidden")),
                Err(e) if e.kind == portal_web::ErrorKind::NotFound => Err(fail(StatusCode::NOT_FOUND, "errors.not_found_title")),
                Err(e) if e.kind == portal_web::ErrorKind::BadRequest => Err(fail(StatusCode::BAD_REQUEST, "errors.bad_request_title")),
                Err(e) => {
                    tracing::error!(error = ?e.source, "server function failed");
                    Err(fail(StatusCode::INTERNAL_SERVER_ERROR, "errors.internal_title"))
                }
            }
        })
    }
}

/// `POST /verwaltung/api/*`: leptos server functions, with the staff session as context.
async fn server_fn(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let lang = lang_of(&parts.headers);
    let staff = match load_staff(&parts, &state).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let api: Arc<dyn StaffApi> = Arc::new(StaffApiImpl { state, ctx, ip, staff, lang });
    let req = Request::from_parts(parts, body);
    leptos_axum::handle_server_fns_with_context(move || leptos::prelude::provide_context(api.clone()), req).await.into_response()
}

