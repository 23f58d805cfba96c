//! The Bürgerkonto on a tenant's portal: registration with e-mail verification, login and logout,
//! forgotten password, profile, password and e-mail change, data export, account deletion, and
//! login through the tenant's identity providers (OpenID Connect).

use crate::kit::checked::{Anonymous, Checked};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_identity::citizen::{self, Login, Profile, Registered};
use portal_identity::links::{self, LinkProblem, Purpose};
use portal_identity::oidc::{self, FlowState, OidcError};
use portal_identity::ratelimit;
use portal_identity::session::{self, Subject};
use portal_identity::{Email, IdentityError, password};
use portal_ui::blocks::{Block, Button, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext, cookies};
use serde::Deserialize;
use time::Date;

use crate::kit::form::{Fields, LoginForm};
use crate::kit::limits::{login_allowed, login_bucket, mail_allowed};
use crate::kit::mail::{base_url, queue};
use crate::kit::page::{Language, lang_of, see_other, with_cookie};
use crate::kit::pipeline::{Tx, tenant_tx};
use crate::kit::registry::Capability;
use crate::kit::session::{AnonToken, CITIZEN_COOKIE, Citizen, MaybeCitizen, anon_csrf, set_anon_csrf};

mod mails;
mod pages;
pub mod paths;
mod privacy_and_oidc;
use crate::kit::notice::Notice;
use pages::*;
use privacy_and_oidc::*;
mod signup;
use signup::*;
mod recovery;
use recovery::*;

/// Cookie carrying an OpenID Connect login in progress (state, nonce, PKCE verifier).
const OIDC_COOKIE: cookies::Name = cookies::Name::host("kp_oidc");

pub const CAPABILITY: Capability = Capability { portal: Some(router), ..Capability::named("account") };

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::OVERVIEW.pattern(), get(overview))
        .route(paths::REGISTER_FORM.pattern(), get(register_form).post(register))
        .route(paths::VERIFY_FORM.pattern(), get(verify_form).post(verify))
        .route(paths::RESEND_FORM.pattern(), get(resend_form).post(resend))
        .route(paths::LOGIN_FORM.pattern(), get(login_form).post(login))
        .route(paths::OIDC_START.pattern(), get(oidc_start))
        .route(paths::OIDC_CALLBACK.pattern(), get(oidc_callback))
        .route(paths::LOGOUT.pattern(), post(logout))
        .route(paths::FORGOT_FORM.pattern(), get(forgot_form).post(forgot))
        .route(paths::RESET_FORM.pattern(), get(reset_form).post(reset))
        .route(paths::PROFILE_FORM.pattern(), get(profile_form).post(save_profile))
        .route(paths::PASSWORD_FORM.pattern(), get(password_form).post(change_password))
        .route(paths::EMAIL_FORM.pattern(), get(email_form).post(change_email))
        .route(paths::CONFIRM_EMAIL.pattern(), get(confirm_email))
        .route(paths::EXPORT.pattern(), get(export))
        .route(paths::DELETE_FORM.pattern(), get(delete_form).post(delete))
}

// ---------------------------------------------------------------------------------------------
// shared helpers

/// Renders an account page in the tenant's frame.
async fn page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    path: &str,
    status: StatusCode,
    title: String,
    blocks: Vec<Block>,
) -> Result<Response, AppError> {
    let tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    page_in(state, ctx, tx, lang, path, status, title, blocks).await
}

/// Like [`page`], finishing the handler's own transaction (the frame is read in it, then it commits):
/// one transaction per page instead of two.
#[expect(clippy::too_many_arguments, reason = "page() plus the transaction to finish")]
async fn page_in(
    state: &AppState,
    ctx: &TenantContext,
    tx: Tx<TenantTx>,
    lang: Lang,
    path: &str,
    status: StatusCode,
    title: String,
    blocks: Vec<Block>,
) -> Result<Response, AppError> {
    crate::kit::frame::blocks_page(state, ctx, tx, lang, path, status, title, vec![], blocks).await
}

fn form_state(fields: &[&str], values: &[(&str, String)]) -> FormState {
    let mut f = FormState { order: fields.iter().map(|s| (*s).to_owned()).collect(), ..FormState::default() };
    for (k, v) in values {
        f.values.insert((*k).to_owned(), v.clone());
    }
    f
}

fn err(form: &mut FormState, lang: Lang, field: &str, key: &str) {
    form.errors.insert(field.to_owned(), tr(lang, key));
}

fn with_labels(mut form: FormState, lang: Lang, pairs: &[(&str, &str)]) -> FormState {
    for (f, key) in pairs {
        form.labels.insert((*f).to_owned(), tr(lang, key));
    }
    form
}

fn secure(state: &AppState) -> bool {
    state.config.secure_cookies
}

fn session_cookie(state: &AppState, token: &str) -> String {
    cookies::set(CITIZEN_COOKIE, token, secure(state), None, true)
}

/// Only local paths are followed after login (no open redirect).
fn safe_next(next: &str) -> String {
    crate::kit::page::return_path(next, "/", paths::LOGIN_FORM.path(), paths::OVERVIEW.path()).to_owned()
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    hinweis: Option<String>,
    #[serde(default)]
    weiter: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// registration and verification

// ---------------------------------------------------------------------------------------------
// login and logout

async fn login_blocks(
    tx: &mut TenantTx,
    lang: Lang,
    csrf: &str,
    next: &str,
    form: FormState,
) -> Result<Vec<Block>, AppError> {
    let providers = oidc::providers(tx, true).await?;
    let login = LoginForm {
        action: paths::LOGIN_FORM.path(),
        csrf,
        next,
        email_label: tr(lang, "account.email"),
        email_autocomplete: "email",
        secondary: Some((paths::FORGOT_FORM.path().into(), tr(lang, "account.forgot_link"))),
    };
    let mut blocks = vec![login.block(lang, form)];
    if !providers.is_empty() {
        blocks.push(Block::Heading(tr(lang, "account.login_with_provider")));
        blocks.push(Block::Text(tr(lang, "account.login_with_provider_intro")));
        blocks.push(Block::Links(
            providers
                .into_iter()
                .map(|p| {
                    (
                        paths::OIDC_START.with(&[&p.slug]),
                        tr_with(lang, "account.login_with", &[("name", &p.display_name)]),
                    )
                })
                .collect(),
        ));
    }
    blocks.push(Block::Heading(tr(lang, "account.no_account")));
    blocks.push(Block::Links(vec![
        (paths::REGISTER_FORM.path().into(), tr(lang, "account.register_link")),
        (paths::RESEND_FORM.path().into(), tr(lang, "account.resend_link")),
    ]));
    Ok(blocks)
}

/// The login page (with an optional notice above the form), in one transaction.
#[expect(clippy::too_many_arguments, reason = "the login page's parts: frame, notice, form, status")]
async fn login_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    csrf: &str,
    next: &str,
    notice: Option<Block>,
    form: FormState,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.extend(login_blocks(&mut tx, lang, csrf, next, form).await?);
    page_in(state, ctx, tx, lang, paths::LOGIN_FORM.path(), status, tr(lang, "account.login_title"), blocks).await
}

async fn login_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    anon: AnonToken,
    Language(lang): Language,
    Query(q): Query<NoticeQuery>,
    MaybeCitizen(c): MaybeCitizen,
) -> Result<Response, AppError> {
    if c.is_some() {
        return Ok(see_other(paths::OVERVIEW.path()));
    }
    let csrf = anon.token();
    let next = safe_next(q.weiter.as_deref().unwrap_or(paths::OVERVIEW.path()));
    let notice = match Notice::parse(q.hinweis.as_deref()) {
        Some(Notice::LoggedOut) => Some("account.logged_out"),
        Some(Notice::PasswordChanged) => Some("account.password_reset_done"),
        Some(Notice::Deleted) => Some("account.deleted"),
        _ => None,
    }
    .map(|k| Block::Notice("success", tr(lang, k)));
    let r =
        login_page(&state, &ctx, lang, csrf, &next, notice, form_state(&["email", "password"], &[]), StatusCode::OK)
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
    let mut form = form_state(&["email", "password"], &[("email", email.clone())]);
    if email.is_empty() {
        err(&mut form, lang, "email", "validation.required");
    }
    if pw.is_empty() {
        err(&mut form, lang, "password", "validation.required");
    }
    if form.has_errors() {
        return login_page(&state, &ctx, lang, &csrf, &next, None, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let tenant = ctx.entry.tenant_id;
    let account_bucket = login_bucket("login", tenant, &email);
    if !login_allowed(&state, Some(tenant), &ip, &account_bucket).await? {
        metrics::counter!("portal_logins_total", "result" => "limited").increment(1);
        tracing::warn!(tenant.id = %tenant, "citizen login rate-limited");
        let notice = Block::Notice("danger", tr(lang, "account.too_many_attempts"));
        let mut r =
            login_page(&state, &ctx, lang, &csrf, &next, Some(notice), form, StatusCode::TOO_MANY_REQUESTS).await?;
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("900"));
        return Ok(r);
    }
    let mut tx = state.db.tenant(tenant).await?;
    match citizen::authenticate(&mut tx, &email, &pw).await? {
        Login::Ok(id) => {
            // a fresh session id at every login (no fixation)
            if let Some(old) = cookies::get(&headers, CITIZEN_COOKIE) {
                session::end(&mut tx, old).await?;
            }
            let token = session::start(&mut tx, Subject::Citizen(id)).await?;
            ratelimit::clear(tx.conn(), &account_bucket).await?;
            tx.commit().await?;
            metrics::counter!("portal_logins_total", "result" => "ok").increment(1);
            tracing::info!(citizen.id = %id, "citizen logged in");
            Ok(with_cookie(see_other(&next), &session_cookie(&state, &token)))
        }
        Login::Failed => {
            ratelimit::hit(tx.conn(), &account_bucket, ratelimit::LOGIN_PER_ACCOUNT).await?;
            tx.commit().await?;
            metrics::counter!("portal_logins_total", "result" => "failed").increment(1);
            login_page(
                &state,
                &ctx,
                lang,
                &csrf,
                &next,
                Some(Block::Notice("danger", tr(lang, "account.login_failed"))),
                form,
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    ctx: TenantContext,
    Checked(citizen, _): Checked<Citizen>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    session::end(&mut tx, &citizen.token).await?;
    tx.finish().await?;
    Ok(with_cookie(
        Notice::LoggedOut.redirect(paths::LOGIN_FORM.path()),
        &cookies::set(CITIZEN_COOKIE, "", secure(&state), Some(0), true),
    ))
}

// ---------------------------------------------------------------------------------------------
// forgotten password
