//! The Bürgerkonto on a tenant's portal: registration with e-mail verification, login and logout,
//! forgotten password, profile, password and e-mail change, data export, account deletion, and
//! login through the tenant's identity providers (OpenID Connect).

use crate::kit::checked::{Anonymous, Checked};
use axum::Router;
use axum::extract::{Path, Query, State};
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
use portal_mail::Mail;
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
use crate::kit::page::{lang_of, see_other, with_cookie};
use crate::kit::pipeline::{Tx, tenant_tx};
use crate::kit::registry::Capability;
use crate::kit::session::{CITIZEN_COOKIE, Citizen, MaybeCitizen, anon_csrf, set_anon_csrf};

mod pages;
pub mod paths;
mod privacy_and_oidc;
use crate::kit::notice::Notice;
use pages::*;
use privacy_and_oidc::*;

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
async fn page(state: &AppState, ctx: &TenantContext, lang: Lang, path: &str, status: StatusCode, title: String, blocks: Vec<Block>) -> Result<Response, AppError> {
    let tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    page_in(state, ctx, tx, lang, path, status, title, blocks).await
}

/// Like [`page`], finishing the handler's own transaction (the frame is read in it, then it commits):
/// one transaction per page instead of two.
#[expect(clippy::too_many_arguments, reason = "page() plus the transaction to finish")]
async fn page_in(state: &AppState, ctx: &TenantContext, tx: Tx<TenantTx>, lang: Lang, path: &str, status: StatusCode, title: String, blocks: Vec<Block>) -> Result<Response, AppError> {
    crate::kit::page::blocks_page(state, ctx, tx, lang, path, status, title, vec![], blocks).await
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

fn register_blocks(lang: Lang, csrf: &str, form: FormState) -> Vec<Block> {
    let form = with_labels(form, lang, &[("email", "account.email"), ("password", "account.password"), ("password_repeat", "account.password_repeat"), ("privacy", "account.privacy_consent")]);
    vec![
        Block::Text(tr(lang, "account.register_intro")),
        Block::Form(FormSpec {
            action: paths::REGISTER_FORM.path().into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("email", tr(lang, "account.email"), FieldKind::Email).autocomplete("email").required(),
                Field::new("password", tr(lang, "account.password"), FieldKind::Password)
                    .hint(tr_with(lang, "account.password_hint", &[("min", &password::MIN_CHARS.to_string())]))
                    .autocomplete("new-password")
                    .required(),
                Field::new("password_repeat", tr(lang, "account.password_repeat"), FieldKind::Password).autocomplete("new-password").required(),
                Field::new("privacy", tr(lang, "account.privacy_consent"), FieldKind::Checkbox).required(),
            ],
            submit: tr(lang, "account.register_submit"),
            danger: false,
            secondary: Some((paths::LOGIN_FORM.path().into(), tr(lang, "account.have_account"))),
        }),
    ]
}

async fn register_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let (csrf, new) = anon_csrf(&headers);
    let form = form_state(&["email", "password", "password_repeat", "privacy"], &[]);
    let r = page(&state, &ctx, lang, paths::REGISTER_FORM.path(), StatusCode::OK, tr(lang, "account.register_title"), register_blocks(lang, &csrf, form)).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn register(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, Checked(_, f): Checked<Anonymous>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let (csrf, _) = anon_csrf(&headers);
    let email_raw = f.text("email");
    let pw = f.raw("password");
    let mut form = form_state(&["email", "password", "password_repeat", "privacy"], &[("email", email_raw.clone()), ("privacy", f.text("privacy"))]);
    let email = Email::parse(&email_raw);
    if email_raw.is_empty() {
        err(&mut form, lang, "email", "validation.required");
    } else if email.is_none() {
        err(&mut form, lang, "email", "validation.email");
    }
    crate::kit::form::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), Some(&email_raw));
    if f.text("privacy") != "on" {
        err(&mut form, lang, "privacy", "validation.privacy_consent");
    }
    let title = tr(lang, "account.register_title");
    let Some(email) = email.filter(|_| !form.has_errors()) else {
        return page(&state, &ctx, lang, paths::REGISTER_FORM.path(), StatusCode::UNPROCESSABLE_ENTITY, title, register_blocks(lang, &csrf, form)).await;
    };
    let tenant = ctx.entry.tenant_id;
    if !mail_allowed(&state, &ip, tenant, email.as_str()).await? {
        let mut blocks = vec![Block::Notice("danger", tr(lang, "account.too_many_mails"))];
        blocks.extend(register_blocks(lang, &csrf, form));
        return page(&state, &ctx, lang, paths::REGISTER_FORM.path(), StatusCode::TOO_MANY_REQUESTS, title, blocks).await;
    }
    let base = base_url(&state, &ctx.host, &headers);
    let mut tx = state.db.tenant(tenant).await?;
    match citizen::register(&mut tx, &email, &pw).await? {
        Registered::Pending { citizen, password_hash } => {
            let token = links::issue(&mut tx, Purpose::VerifyEmail, citizen, None, Some(&password_hash)).await?;
            queue(&mut tx, &ctx, &base, lang, email.as_str(), Mail::VerifyEmail { link: format!("{base}/konto/bestaetigen?token={token}") }).await?;
        }
        Registered::Exists(citizen) => {
            let token = links::issue(&mut tx, Purpose::ResetPassword, citizen, None, None).await?;
            let mail = Mail::AlreadyRegistered { login_link: format!("{base}/konto/anmelden"), reset_link: format!("{base}/konto/passwort-neu?token={token}") };
            queue(&mut tx, &ctx, &base, lang, email.as_str(), mail).await?;
        }
    }
    tx.commit().await?;
    // the same answer whether the address was known or not
    let blocks = vec![
        Block::Notice("success", tr_with(lang, "account.check_mail", &[("email", email.as_str())])),
        Block::Text(tr(lang, "account.check_mail_hint")),
        Block::Links(vec![(paths::RESEND_FORM.path().into(), tr(lang, "account.resend_link"))]),
    ];
    page(&state, &ctx, lang, paths::REGISTER_FORM.path(), StatusCode::OK, tr(lang, "account.check_mail_title"), blocks).await
}

fn verify_blocks(lang: Lang, csrf: &str, token: &str, form: FormState) -> Vec<Block> {
    let form = with_labels(form, lang, &[("password", "account.password")]);
    let mut form = form;
    form.values.insert("token".into(), token.to_owned());
    vec![
        Block::Text(tr(lang, "account.verify_intro")),
        Block::Form(FormSpec {
            action: paths::VERIFY_FORM.path().into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![Field::new("token", String::new(), FieldKind::Hidden), Field::new("password", tr(lang, "account.password"), FieldKind::Password).autocomplete("current-password").required()],
            submit: tr(lang, "account.verify_submit"),
            danger: false,
            secondary: None,
        }),
    ]
}

async fn link_failed(state: &AppState, ctx: &TenantContext, lang: Lang, path: &str, problem: LinkProblem, resend: bool) -> Result<Response, AppError> {
    let (status, text) = crate::kit::form::link_problem(lang, problem);
    let mut blocks = vec![Block::Notice("danger", text)];
    if resend {
        blocks.push(Block::Links(vec![(paths::RESEND_FORM.path().into(), tr(lang, "account.resend_link"))]));
    } else {
        blocks.push(Block::Links(vec![(paths::FORGOT_FORM.path().into(), tr(lang, "account.forgot_link"))]));
    }
    page(state, ctx, lang, path, status, tr(lang, "account.link_problem_title"), blocks).await
}

async fn verify_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<NoticeQuery>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let token = q.token.unwrap_or_default();
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let link = links::peek(&mut tx, Purpose::VerifyEmail, &token).await?;
    tx.finish().await?;
    if let Err(p) = link {
        return link_failed(&state, &ctx, lang, paths::VERIFY_FORM.path(), p, true).await;
    }
    let (csrf, new) = anon_csrf(&headers);
    let r = page(&state, &ctx, lang, paths::VERIFY_FORM.path(), StatusCode::OK, tr(lang, "account.verify_title"), verify_blocks(lang, &csrf, &token, form_state(&["password"], &[]))).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn verify(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Checked(_, f): Checked<Anonymous>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let crate::kit::form::LinkPost { csrf, token, password: pw } = crate::kit::form::link_post(&headers, &f);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::VerifyEmail, &token).await? {
        Ok(l) => l,
        Err(p) => return link_failed(&state, &ctx, lang, paths::VERIFY_FORM.path(), p, true).await,
    };
    // the password chosen at registration must be entered again: only who registered completes it
    let matches = match link.secret_hash.as_deref() {
        Some(h) => password::verify(&pw, h).await,
        None => false,
    };
    if !matches {
        let mut form = form_state(&["password"], &[]);
        err(&mut form, lang, "password", if pw.is_empty() { "validation.required" } else { "account.verify_wrong_password" });
        return page(&state, &ctx, lang, paths::VERIFY_FORM.path(), StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "account.verify_title"), verify_blocks(lang, &csrf, &token, form)).await;
    }
    if let Err(p) = links::consume(&mut tx, Purpose::VerifyEmail, &token).await? {
        return link_failed(&state, &ctx, lang, paths::VERIFY_FORM.path(), p, true).await;
    }
    let hash = link.secret_hash.unwrap_or_default();
    citizen::complete_registration(&mut tx, link.subject_id, &hash).await?;
    let session = session::start(&mut tx, Subject::Citizen(link.subject_id)).await?;
    tx.finish().await?;
    tracing::info!(citizen.id = %link.subject_id, "citizen account verified");
    Ok(with_cookie(Notice::Verified.redirect(paths::OVERVIEW.path()), &session_cookie(&state, &session)))
}

fn email_only_blocks(lang: Lang, csrf: &str, action: &str, intro: &str, submit: &str, form: FormState) -> Vec<Block> {
    let form = with_labels(form, lang, &[("email", "account.email")]);
    vec![
        Block::Text(tr(lang, intro)),
        Block::Form(FormSpec {
            action: action.to_owned(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![Field::new("email", tr(lang, "account.email"), FieldKind::Email).autocomplete("email").required()],
            submit: tr(lang, submit),
            danger: false,
            secondary: Some((paths::LOGIN_FORM.path().into(), tr(lang, "account.back_to_login"))),
        }),
    ]
}

async fn resend_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let (csrf, new) = anon_csrf(&headers);
    let blocks = email_only_blocks(lang, &csrf, RESEND.path, RESEND.intro, RESEND.submit, form_state(&["email"], &[]));
    let r = page(&state, &ctx, lang, paths::RESEND_FORM.path(), StatusCode::OK, tr(lang, "account.resend_title"), blocks).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

/// A page that asks for an address to mail a link to.
#[derive(Clone, Copy)]
struct MailForm {
    path: &'static str,
    intro: &'static str,
    submit: &'static str,
    title: &'static str,
    purpose: Purpose,
}

const RESEND: MailForm = MailForm { path: paths::RESEND_FORM.path(), intro: "account.resend_intro", submit: "account.resend_submit", title: "account.resend_title", purpose: Purpose::VerifyEmail };
const FORGOT: MailForm = MailForm { path: paths::FORGOT_FORM.path(), intro: "account.forgot_intro", submit: "account.forgot_submit", title: "account.forgot_title", purpose: Purpose::ResetPassword };

/// Shared by "re-send verification" and "forgotten password": validate the address, limit, then
/// issue the link in a tenant transaction; the answer never tells whether the address is registered.
async fn mail_request(state: &AppState, ctx: &TenantContext, ip: &ClientIp, headers: &HeaderMap, f: &Fields, m: &MailForm) -> Result<Response, AppError> {
    let MailForm { path, intro, submit, title, purpose } = *m;
    let lang = lang_of(headers);
    let (csrf, _) = anon_csrf(headers);
    let raw = f.text("email");
    let mut form = form_state(&["email"], &[("email", raw.clone())]);
    let Some(email) = Email::parse(&raw) else {
        err(&mut form, lang, "email", if raw.is_empty() { "validation.required" } else { "validation.email" });
        return page(state, ctx, lang, path, StatusCode::UNPROCESSABLE_ENTITY, tr(lang, title), email_only_blocks(lang, &csrf, path, intro, submit, form)).await;
    };
    let tenant = ctx.entry.tenant_id;
    if !mail_allowed(state, ip, tenant, email.as_str()).await? {
        let mut blocks = vec![Block::Notice("danger", tr(lang, "account.too_many_mails"))];
        blocks.extend(email_only_blocks(lang, &csrf, path, intro, submit, form));
        return page(state, ctx, lang, path, StatusCode::TOO_MANY_REQUESTS, tr(lang, title), blocks).await;
    }
    let base = base_url(state, &ctx.host, headers);
    let mut tx = state.db.tenant(tenant).await?;
    if let Some(acc) = citizen::find_by_email(&mut tx, &email).await? {
        match purpose {
            Purpose::VerifyEmail if acc.email_verified_at.is_none() => {
                if let Some(secret) = links::latest_secret(&mut tx, Purpose::VerifyEmail, acc.citizen_id).await? {
                    let token = links::issue(&mut tx, Purpose::VerifyEmail, acc.citizen_id, None, Some(&secret)).await?;
                    queue(&mut tx, ctx, &base, lang, email.as_str(), Mail::VerifyEmail { link: format!("{base}/konto/bestaetigen?token={token}") }).await?;
                }
            }
            Purpose::ResetPassword => {
                let token = links::issue(&mut tx, Purpose::ResetPassword, acc.citizen_id, None, None).await?;
                queue(&mut tx, ctx, &base, lang, email.as_str(), Mail::ResetPassword { link: format!("{base}/konto/passwort-neu?token={token}") }).await?;
            }
            _ => {}
        }
    }
    tx.commit().await?;
    let blocks = vec![
        Block::Notice("success", tr_with(lang, "account.mail_sent_if_known", &[("email", email.as_str())])),
        Block::Links(vec![(paths::LOGIN_FORM.path().into(), tr(lang, "account.back_to_login"))]),
    ];
    page(state, ctx, lang, path, StatusCode::OK, tr(lang, title), blocks).await
}

async fn resend(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, Checked(_, f): Checked<Anonymous>) -> Result<Response, AppError> {
    mail_request(&state, &ctx, &ip, &headers, &f, &RESEND).await
}

// ---------------------------------------------------------------------------------------------
// login and logout

async fn login_blocks(tx: &mut TenantTx, lang: Lang, csrf: &str, next: &str, form: FormState) -> Result<Vec<Block>, AppError> {
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
        blocks.push(Block::Links(providers.into_iter().map(|p| (paths::OIDC_START.with(&[&p.slug]), tr_with(lang, "account.login_with", &[("name", &p.display_name)]))).collect()));
    }
    blocks.push(Block::Heading(tr(lang, "account.no_account")));
    blocks.push(Block::Links(vec![(paths::REGISTER_FORM.path().into(), tr(lang, "account.register_link")), (paths::RESEND_FORM.path().into(), tr(lang, "account.resend_link"))]));
    Ok(blocks)
}

/// The login page (with an optional notice above the form), in one transaction.
#[expect(clippy::too_many_arguments, reason = "the login page's parts: frame, notice, form, status")]
async fn login_page(state: &AppState, ctx: &TenantContext, lang: Lang, csrf: &str, next: &str, notice: Option<Block>, form: FormState, status: StatusCode) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.extend(login_blocks(&mut tx, lang, csrf, next, form).await?);
    page_in(state, ctx, tx, lang, paths::LOGIN_FORM.path(), status, tr(lang, "account.login_title"), blocks).await
}

async fn login_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<NoticeQuery>, MaybeCitizen(c): MaybeCitizen) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    if c.is_some() {
        return Ok(see_other(paths::OVERVIEW.path()));
    }
    let (csrf, new) = anon_csrf(&headers);
    let next = safe_next(q.weiter.as_deref().unwrap_or(paths::OVERVIEW.path()));
    let notice = match Notice::parse(q.hinweis.as_deref()) {
        Some(Notice::LoggedOut) => Some("account.logged_out"),
        Some(Notice::PasswordChanged) => Some("account.password_reset_done"),
        Some(Notice::Deleted) => Some("account.deleted"),
        _ => None,
    }
    .map(|k| Block::Notice("success", tr(lang, k)));
    let r = login_page(&state, &ctx, lang, &csrf, &next, notice, form_state(&["email", "password"], &[]), StatusCode::OK).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn login(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, Checked(_, f): Checked<Anonymous>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
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
        let mut r = login_page(&state, &ctx, lang, &csrf, &next, Some(notice), form, StatusCode::TOO_MANY_REQUESTS).await?;
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
            login_page(&state, &ctx, lang, &csrf, &next, Some(Block::Notice("danger", tr(lang, "account.login_failed"))), form, StatusCode::UNAUTHORIZED).await
        }
    }
}

async fn logout(State(state): State<AppState>, ctx: TenantContext, Checked(citizen, _): Checked<Citizen>) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    session::end(&mut tx, &citizen.token).await?;
    tx.finish().await?;
    Ok(with_cookie(Notice::LoggedOut.redirect(paths::LOGIN_FORM.path()), &cookies::set(CITIZEN_COOKIE, "", secure(&state), Some(0), true)))
}

// ---------------------------------------------------------------------------------------------
// forgotten password

async fn forgot_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let (csrf, new) = anon_csrf(&headers);
    let blocks = email_only_blocks(lang, &csrf, FORGOT.path, FORGOT.intro, FORGOT.submit, form_state(&["email"], &[]));
    let r = page(&state, &ctx, lang, paths::FORGOT_FORM.path(), StatusCode::OK, tr(lang, "account.forgot_title"), blocks).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn forgot(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, Checked(_, f): Checked<Anonymous>) -> Result<Response, AppError> {
    mail_request(&state, &ctx, &ip, &headers, &f, &FORGOT).await
}

fn new_password_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new("password", tr(lang, "account.new_password"), FieldKind::Password)
            .hint(tr_with(lang, "account.password_hint", &[("min", &password::MIN_CHARS.to_string())]))
            .autocomplete("new-password")
            .required(),
        Field::new("password_repeat", tr(lang, "account.password_repeat"), FieldKind::Password).autocomplete("new-password").required(),
    ]
}

fn reset_blocks(lang: Lang, csrf: &str, token: &str, mut form: FormState) -> Vec<Block> {
    form.values.insert("token".into(), token.to_owned());
    let form = with_labels(form, lang, &[("password", "account.new_password"), ("password_repeat", "account.password_repeat")]);
    let mut fields = vec![Field::new("token", String::new(), FieldKind::Hidden)];
    fields.extend(new_password_fields(lang));
    vec![Block::Form(FormSpec { action: paths::RESET_FORM.path().into(), csrf: csrf.to_owned(), form, fields, submit: tr(lang, "account.reset_submit"), danger: false, secondary: None })]
}

async fn reset_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<NoticeQuery>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let token = q.token.unwrap_or_default();
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let link = links::peek(&mut tx, Purpose::ResetPassword, &token).await?;
    tx.finish().await?;
    if let Err(p) = link {
        return link_failed(&state, &ctx, lang, paths::RESET_FORM.path(), p, false).await;
    }
    let (csrf, new) = anon_csrf(&headers);
    let r = page(&state, &ctx, lang, paths::RESET_FORM.path(), StatusCode::OK, tr(lang, "account.reset_title"), reset_blocks(lang, &csrf, &token, form_state(&["password", "password_repeat"], &[])))
        .await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn reset(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Checked(_, f): Checked<Anonymous>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let crate::kit::form::LinkPost { csrf, token, password: pw } = crate::kit::form::link_post(&headers, &f);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::ResetPassword, &token).await? {
        Ok(l) => l,
        Err(p) => return link_failed(&state, &ctx, lang, paths::RESET_FORM.path(), p, false).await,
    };
    let account = citizen::get(&mut tx, link.subject_id).await?.ok_or_else(AppError::not_found)?;
    let mut form = form_state(&["password", "password_repeat"], &[]);
    crate::kit::form::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), account.email.as_deref());
    if form.has_errors() {
        return page(&state, &ctx, lang, paths::RESET_FORM.path(), StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "account.reset_title"), reset_blocks(lang, &csrf, &token, form)).await;
    }
    if let Err(p) = links::consume(&mut tx, Purpose::ResetPassword, &token).await? {
        return link_failed(&state, &ctx, lang, paths::RESET_FORM.path(), p, false).await;
    }
    citizen::set_password(&mut tx, link.subject_id, &pw, true).await?;
    // whoever knew the old password is logged out everywhere
    session::end_all(&mut tx, Subject::Citizen(link.subject_id)).await?;
    if let Some(email) = &account.email {
        let base = base_url(&state, &ctx.host, &headers);
        queue(&mut tx, &ctx, &base, lang, email, Mail::PasswordChanged).await?;
    }
    tx.finish().await?;
    Ok(Notice::PasswordChanged.redirect(paths::LOGIN_FORM.path()))
}
