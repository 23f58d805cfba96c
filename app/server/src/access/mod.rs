//! The staff area on a tenant's host (`/verwaltung`): staff login, invitations, and what each role
//! may do — admins manage branding, services, staff, identity providers and read the audit log;
//! case workers and viewers see their work. Every check is a typed casbin call; every change is
//! audited in the transaction that makes it.

use crate::kit::checked::{Anonymous, Checked};
use crate::kit::page::Language;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_identity::links::{self, Purpose};
use portal_identity::session::{self, Subject};
use portal_identity::staff::{self, RoleGrant};
use portal_identity::{oidc, password};
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext, cookies};
use serde::Deserialize;
use uuid::Uuid;

use crate::kit::form::LoginForm;
use crate::kit::limits::login_address_allowed;
use crate::kit::mail::base_url;
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_nav, staff_page};
use crate::kit::page::with_cookie;
use crate::kit::pipeline::tenant_tx;
use crate::kit::registry::{self, Capability, NavEntry};
use crate::kit::second_factor::{self, AfterPassword, Area, Pending};
use crate::kit::session::{AnonToken, STAFF_COOKIE, Staff, anon_csrf};
use identity_admin::{invite_form, parse_invitation, provider_blocks, role_label};

mod console_access;
pub(crate) mod identity_admin;
pub mod paths;
mod people;
use people::*;

pub const CAPABILITY: Capability = Capability {
    portal: Some(router),
    console: Some(console_access::router),
    public: &[paths::LOGIN_FORM.path(), paths::INVITATION_FORM.path()],
    staff_nav: &[
        NavEntry {
            order: 0,
            path: paths::DASHBOARD.path(),
            label: "staff.nav_home",
            resource: Resource::StaffArea,
            action: Action::Read,
        },
        NavEntry {
            order: 40,
            path: paths::STAFF_LIST.path(),
            label: "staff.nav_staff",
            resource: Resource::Staff,
            action: Action::Read,
        },
        NavEntry {
            order: 80,
            path: paths::PROVIDERS.path(),
            label: "staff.nav_identity",
            resource: Resource::IdentityProviders,
            action: Action::Read,
        },
    ],
    texts,
    ..Capability::named("access")
};

/// The states of a staff account (`staff.status_{status}`).
pub const STAFF_STATES: [&str; 3] = ["invited", "active", "revoked"];

/// The text keys built at run time: staff states, identity-provider field labels, password rules.
fn texts() -> Vec<String> {
    let mut keys: Vec<String> = STAFF_STATES.iter().map(|s| format!("staff.status_{s}")).collect();
    keys.extend(identity_admin::PROVIDER_FIELDS.iter().map(|f| format!("identity.{f}")));
    keys.extend(portal_identity::password::Weakness::ALL.iter().map(|w| w.message_key().to_owned()));
    keys
}

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::DASHBOARD.pattern(), get(dashboard))
        .route(paths::LOGIN_FORM.pattern(), get(login_form).post(login))
        .route(paths::LOGOUT.pattern(), post(logout))
        .route(paths::INVITATION_FORM.pattern(), get(invitation_form).post(accept_invitation))
        .route(paths::STAFF_LIST.pattern(), get(staff_list).post(invite))
        .route(paths::CHANGE_ROLE.pattern(), post(change_role))
        .route(paths::REVOKE.pattern(), post(revoke))
        .route(paths::PROVIDERS.pattern(), get(providers).post(save_provider))
        .route(paths::STAFF_DELETE_PROVIDER.pattern(), post(delete_provider))
}

/// Roles a tenant admin may grant.
const TENANT_ROLES: [&str; 4] = ["tenant_admin", "case_worker", "viewer", "form_editor"];

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

fn login_blocks(lang: Lang, csrf: &str, next: &str, form: FormState) -> Vec<Block> {
    let login = LoginForm {
        action: paths::LOGIN_FORM.path(),
        csrf,
        next,
        email_label: tr(lang, "staff.email"),
        email_autocomplete: "username",
        secondary: None,
    };
    vec![Block::Text(tr(lang, "staff.login_intro")), login.block(lang, form)]
}

fn safe_next(next: &str) -> String {
    crate::kit::page::return_path(next, paths::DASHBOARD.path(), paths::LOGIN_FORM.path(), paths::DASHBOARD.path())
        .to_owned()
}

async fn login_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    anon: AnonToken,
    Language(lang): Language,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    let csrf = anon.token();
    let mut blocks = match Notice::parse(q.hinweis.as_deref()) {
        Some(Notice::LoggedOut) => vec![Block::Notice("success", tr(lang, "account.logged_out"))],
        _ => vec![],
    };
    blocks.extend(login_blocks(
        lang,
        csrf,
        &safe_next(q.weiter.as_deref().unwrap_or("")),
        FormState { order: vec!["email".into(), "password".into()], ..FormState::default() },
    ));
    let r = staff_page(
        &state,
        &ctx,
        lang,
        paths::LOGIN_FORM.path(),
        None,
        StatusCode::OK,
        tr(lang, "staff.login_title"),
        blocks,
    )
    .await?;
    Ok(anon.finish(&state, r))
}

async fn login(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    headers: HeaderMap,
    Language(lang): Language,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    let (csrf, _) = anon_csrf(&headers);
    let email = f.text("email");
    let pw = f.raw("password");
    let next = safe_next(&f.text("weiter"));
    let mut form = FormState { order: vec!["email".into(), "password".into()], ..FormState::default() };
    form.values.insert("email".into(), email.clone());
    let title = tr(lang, "staff.login_title");
    let tenant = ctx.entry.tenant_id;
    // attempts per client address; failures per account (and address) with a growing delay
    // instead of a lockout (issue 27, finding 18)
    let area = Area::Staff(tenant);
    let account_key = portal_identity::secret::fingerprint(&email.to_lowercase());
    let buckets = area.throttle_buckets(&account_key, &ip);
    if !login_address_allowed(&state, Some(tenant), &ip).await? {
        let mut blocks = vec![Block::Notice("danger", tr(lang, "account.too_many_attempts"))];
        blocks.extend(login_blocks(lang, &csrf, &next, form));
        return staff_page(
            &state,
            &ctx,
            lang,
            paths::LOGIN_FORM.path(),
            None,
            StatusCode::TOO_MANY_REQUESTS,
            title,
            blocks,
        )
        .await;
    }
    let mut tx = state.db.tenant(tenant).await?;
    let remembered = {
        let now = tx.now();
        second_factor::remembered_device(tx.conn(), area, &headers, &account_key, now).await?
    };
    if let Some(wait) = second_factor::login_wait(tx.conn(), &buckets, remembered).await? {
        tx.commit().await?;
        let mut blocks = vec![Block::Notice(
            "danger",
            tr_with(lang, "twofactor.wait", &[("seconds", &second_factor::wait_secs(wait))]),
        )];
        blocks.extend(login_blocks(lang, &csrf, &next, form));
        let r = staff_page(
            &state,
            &ctx,
            lang,
            paths::LOGIN_FORM.path(),
            None,
            StatusCode::TOO_MANY_REQUESTS,
            title,
            blocks,
        )
        .await?;
        return Ok(crate::kit::page::retry_after(r, wait));
    }
    let Some(id) = staff::authenticate(&mut tx, &email, &pw).await? else {
        second_factor::login_failed(tx.conn(), &buckets, &ip).await?;
        tx.commit().await?;
        let mut blocks = vec![Block::Notice("danger", tr(lang, "account.login_failed"))];
        blocks.extend(login_blocks(lang, &csrf, &next, form));
        return staff_page(&state, &ctx, lang, paths::LOGIN_FORM.path(), None, StatusCode::UNAUTHORIZED, title, blocks)
            .await;
    };
    let roles = staff::get(&mut tx, id).await?.map(|u| u.roles).unwrap_or_default();
    let required = staff::second_factor_policy(&mut tx).await?.requires(&roles);
    let now = tx.now();
    let step = second_factor::after_password(tx.conn(), area, &headers, id, required, now).await?;
    if step != AfterPassword::Session {
        tx.commit().await?;
        let pending = Pending {
            account: id,
            at: now.unix_timestamp(),
            setup: step == AfterPassword::Setup,
            next,
            key: account_key,
            secret: None,
        };
        return Ok(second_factor::to_second_step(&state, area, &pending));
    }
    second_factor::login_succeeded(tx.conn(), &buckets).await?;
    let r = second_factor::start_staff_session(&state, &mut tx, &headers, id, &next).await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %tenant, staff.id = %id, "staff logged in");
    Ok(r)
}

async fn logout(
    State(state): State<AppState>,
    ctx: TenantContext,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    session::end(&mut tx, &s.token).await?;
    tx.finish().await?;
    Ok(with_cookie(
        Notice::LoggedOut.redirect(paths::LOGIN_FORM.path()),
        &cookies::set(STAFF_COOKIE, "", state.config.secure_cookies, Some(0), true),
    ))
}

fn invitation_blocks(lang: Lang, csrf: &str, token: &str, name: &str, mut form: FormState) -> Vec<Block> {
    form.values.insert("token".into(), token.to_owned());
    form.labels.insert("password".into(), tr(lang, "account.new_password"));
    form.labels.insert("password_repeat".into(), tr(lang, "account.password_repeat"));
    vec![
        Block::Text(tr_with(lang, "staff.invitation_intro", &[("name", name)])),
        Block::Form(FormSpec {
            action: paths::INVITATION_FORM.path().into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("token", String::new(), FieldKind::Hidden),
                Field::new("password", tr(lang, "account.new_password"), FieldKind::Password)
                    .hint(tr_with(lang, "account.password_hint", &[("min", &password::MIN_CHARS.to_string())]))
                    .autocomplete("new-password")
                    .required(),
                Field::new("password_repeat", tr(lang, "account.password_repeat"), FieldKind::Password)
                    .autocomplete("new-password")
                    .required(),
            ],
            submit: tr(lang, "staff.invitation_submit"),
            danger: false,
            secondary: None,
        }),
    ]
}

async fn invitation_problem(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    p: links::LinkProblem,
) -> Result<Response, AppError> {
    let (status, text) = crate::kit::form::link_problem(lang, p);
    staff_page(
        state,
        ctx,
        lang,
        paths::INVITATION_FORM.path(),
        None,
        status,
        tr(lang, "account.link_problem_title"),
        vec![Block::Notice("danger", text)],
    )
    .await
}

async fn invitation_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    anon: AnonToken,
    Language(lang): Language,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    let token = q.token.unwrap_or_default();
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::StaffInvite, &token).await? {
        Ok(l) => l,
        Err(p) => return invitation_problem(&state, &ctx, lang, p).await,
    };
    let user = staff::get(&mut tx, link.subject_id).await?.ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    let csrf = anon.token();
    let form = FormState { order: vec!["password".into(), "password_repeat".into()], ..FormState::default() };
    let r = staff_page(
        &state,
        &ctx,
        lang,
        paths::INVITATION_FORM.path(),
        None,
        StatusCode::OK,
        tr(lang, "staff.invitation_title"),
        invitation_blocks(lang, csrf, &token, &user.display_name, form),
    )
    .await?;
    Ok(anon.finish(&state, r))
}

async fn accept_invitation(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Checked(anon, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    let crate::kit::form::LinkPost { csrf, token, password: pw } = crate::kit::form::link_post(anon.csrf, &f);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::StaffInvite, &token).await? {
        Ok(l) => l,
        Err(p) => return invitation_problem(&state, &ctx, lang, p).await,
    };
    let user = staff::get(&mut tx, link.subject_id).await?.ok_or_else(AppError::not_found)?;
    let mut form = FormState { order: vec!["password".into(), "password_repeat".into()], ..FormState::default() };
    crate::kit::form::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), Some(&user.email));
    if form.has_errors() {
        return staff_page(
            &state,
            &ctx,
            lang,
            paths::INVITATION_FORM.path(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "staff.invitation_title"),
            invitation_blocks(lang, &csrf, &token, &user.display_name, form),
        )
        .await;
    }
    if let Err(p) = links::consume(&mut tx, Purpose::StaffInvite, &token).await? {
        return invitation_problem(&state, &ctx, lang, p).await;
    }
    if !staff::accept_invitation(&mut tx, link.subject_id, &pw).await? {
        return invitation_problem(&state, &ctx, lang, links::LinkProblem::Used).await;
    }
    tracing::info!(tenant.id = %ctx.entry.tenant_id, staff.id = %link.subject_id, "staff invitation accepted");
    // a role that requires a second factor sets it up before the first session
    if staff::second_factor_policy(&mut tx).await?.requires(&user.roles) {
        let now = tx.now();
        tx.finish().await?;
        let key = portal_identity::secret::fingerprint(&user.email);
        let pending = Pending {
            account: link.subject_id,
            at: now.unix_timestamp(),
            setup: true,
            next: Notice::Welcome.path(paths::DASHBOARD.path()),
            key,
            secret: None,
        };
        return Ok(second_factor::to_second_step(&state, Area::Staff(ctx.entry.tenant_id), &pending));
    }
    let session = session::start(&mut tx, Subject::Staff(link.subject_id)).await?;
    tx.finish().await?;
    Ok(with_cookie(
        Notice::Welcome.redirect(paths::DASHBOARD.path()),
        &cookies::set(STAFF_COOKIE, &session, state.config.secure_cookies, None, true),
    ))
}

// ---------------------------------------------------------------------------------------------
// dashboard

async fn dashboard(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::StaffArea, Action::Read)?;
    let mut blocks = Vec::new();
    if Notice::parse(q.hinweis.as_deref()) == Some(Notice::Welcome) {
        blocks.push(Block::Notice("success", tr(lang, "staff.welcome")));
    }
    let roles: Vec<String> = s.user.roles.iter().map(|r| role_label(lang, &r.role)).collect();
    blocks.push(Block::Facts(vec![
        (tr(lang, "staff.name"), s.user.display_name.clone(), None),
        (tr(lang, "staff.email"), s.user.email.clone(), None),
        (tr(lang, "staff.role"), roles.join(", "), None),
    ]));
    if s.may(&state, Resource::Cases, Action::Process) || s.may(&state, Resource::Cases, Action::Read) {
        blocks.push(Block::Heading(tr(lang, "staff.my_work")));
        let scope = if s.principal.scope_services.is_empty() {
            tr(lang, "staff.scope_all")
        } else {
            s.principal.scope_services.join(", ")
        };
        blocks.push(Block::Facts(vec![(tr(lang, "staff.scope"), scope, None)]));
        let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
        for panel in registry::panels(|c| c.dashboard) {
            blocks.extend(panel(&mut tx, lang, &s).await?);
        }
        tx.finish().await?;
    }
    if s.may(&state, Resource::Staff, Action::Write) {
        blocks.push(Block::Heading(tr(lang, "staff.admin_heading")));
        blocks.push(Block::Links(
            staff_nav(&state, lang, &s, paths::DASHBOARD.path()).into_iter().skip(1).map(|(h, l, _)| (h, l)).collect(),
        ));
    }
    staff_page(&state, &ctx, lang, paths::DASHBOARD.path(), Some(&s), StatusCode::OK, tr(lang, "staff.title"), blocks)
        .await
}
