//! The Bürgerkonto on a tenant's portal: registration with e-mail verification, login and logout,
//! forgotten password, profile, password and e-mail change, data export, account deletion, and
//! login through the tenant's identity providers (OpenID Connect).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use leptos::prelude::view;
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_identity::citizen::{self, Login, Profile, Registered};
use portal_identity::links::{self, LinkProblem, Purpose};
use portal_identity::oidc::{self, FlowState, OidcError};
use portal_identity::ratelimit;
use portal_identity::session::{self, Subject};
use portal_identity::{Email, IdentityError, password};
use portal_mail::Mail;
use portal_ui::blocks::{Block, Button, Field, FieldKind, FormSpec, PortalBlocksPage};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext, cookies};
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use crate::auth::{CITIZEN_COOKIE, Citizen, MaybeCitizen, anon_csrf, check_anon_csrf, login_allowed, login_bucket, mail_allowed, set_anon_csrf};
use crate::mailer::{base_url, queue};
use crate::pages::{Fields, html_status, lang_of, portal_chrome, see_other, with_cookie};

/// Cookie carrying an OpenID Connect login in progress (state, nonce, PKCE verifier).
const OIDC_COOKIE: &str = "kp_oidc";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/konto", get(overview))
        .route("/konto/registrieren", get(register_form).post(register))
        .route("/konto/bestaetigen", get(verify_form).post(verify))
        .route("/konto/bestaetigung-erneut", get(resend_form).post(resend))
        .route("/konto/anmelden", get(login_form).post(login))
        .route("/konto/anmelden/idp/{slug}", get(oidc_start))
        .route("/konto/oidc/rueckruf", get(oidc_callback))
        .route("/konto/abmelden", post(logout))
        .route("/konto/passwort-vergessen", get(forgot_form).post(forgot))
        .route("/konto/passwort-neu", get(reset_form).post(reset))
        .route("/konto/profil", get(profile_form).post(save_profile))
        .route("/konto/passwort", get(password_form).post(change_password))
        .route("/konto/email", get(email_form).post(change_email))
        .route("/konto/email-bestaetigen", get(confirm_email))
        .route("/konto/daten", get(export))
        .route("/konto/loeschen", get(delete_form).post(delete))
}

// ---------------------------------------------------------------------------------------------
// shared helpers

/// Renders an account page in the tenant's frame.
async fn page(state: &AppState, ctx: &TenantContext, lang: Lang, path: &str, status: StatusCode, title: String, blocks: Vec<Block>) -> Result<Response, AppError> {
    let tx = state.db.tenant(ctx.entry.tenant_id).await?;
    page_in(state, ctx, tx, lang, path, status, title, blocks).await
}

/// Like [`page`], finishing the handler's own transaction (the frame is read in it, then it commits):
/// one transaction per page instead of two.
#[expect(clippy::too_many_arguments, reason = "page() plus the transaction to finish")]
async fn page_in(state: &AppState, ctx: &TenantContext, mut tx: TenantTx, lang: Lang, path: &str, status: StatusCode, title: String, blocks: Vec<Block>) -> Result<Response, AppError> {
    let chrome = portal_chrome(&mut tx, ctx, state, lang, path.to_owned()).await?;
    tx.commit().await?;
    Ok(html_status(status, portal_ui::render_document(move || view! { <PortalBlocksPage chrome=chrome title=title blocks=blocks/> })))
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
    portal_web::redirect::local_path(next).filter(|p| !p.starts_with("/konto/anmelden")).unwrap_or("/konto").to_owned()
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
            action: "/konto/registrieren".into(),
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
            secondary: Some(("/konto/anmelden".into(), tr(lang, "account.have_account"))),
        }),
    ]
}

async fn register_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let (csrf, new) = anon_csrf(&headers);
    let form = form_state(&["email", "password", "password_repeat", "privacy"], &[]);
    let r = page(&state, &ctx, lang, "/konto/registrieren", StatusCode::OK, tr(lang, "account.register_title"), register_blocks(lang, &csrf, form)).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn register(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    check_anon_csrf(&headers, f.csrf())?;
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
    crate::forms::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), Some(&email_raw));
    if f.text("privacy") != "on" {
        err(&mut form, lang, "privacy", "validation.privacy_consent");
    }
    let title = tr(lang, "account.register_title");
    let Some(email) = email.filter(|_| !form.has_errors()) else {
        return page(&state, &ctx, lang, "/konto/registrieren", StatusCode::UNPROCESSABLE_ENTITY, title, register_blocks(lang, &csrf, form)).await;
    };
    let tenant = ctx.entry.tenant_id;
    if !mail_allowed(&state, &ip, tenant, email.as_str()).await? {
        let mut blocks = vec![Block::Notice("danger", tr(lang, "account.too_many_mails"))];
        blocks.extend(register_blocks(lang, &csrf, form));
        return page(&state, &ctx, lang, "/konto/registrieren", StatusCode::TOO_MANY_REQUESTS, title, blocks).await;
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
        Block::Links(vec![("/konto/bestaetigung-erneut".into(), tr(lang, "account.resend_link"))]),
    ];
    page(&state, &ctx, lang, "/konto/registrieren", StatusCode::OK, tr(lang, "account.check_mail_title"), blocks).await
}

fn verify_blocks(lang: Lang, csrf: &str, token: &str, form: FormState) -> Vec<Block> {
    let form = with_labels(form, lang, &[("password", "account.password")]);
    let mut form = form;
    form.values.insert("token".into(), token.to_owned());
    vec![
        Block::Text(tr(lang, "account.verify_intro")),
        Block::Form(FormSpec {
            action: "/konto/bestaetigen".into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("token", String::new(), FieldKind::Hidden),
                Field::new("password", tr(lang, "account.password"), FieldKind::Password).autocomplete("current-password").required(),
            ],
            submit: tr(lang, "account.verify_submit"),
            danger: false,
            secondary: None,
        }),
    ]
}

async fn link_failed(state: &AppState, ctx: &TenantContext, lang: Lang, path: &str, problem: LinkProblem, resend: bool) -> Result<Response, AppError> {
    let (status, text) = crate::forms::link_problem(lang, problem);
    let mut blocks = vec![Block::Notice("danger", text)];
    if resend {
        blocks.push(Block::Links(vec![("/konto/bestaetigung-erneut".into(), tr(lang, "account.resend_link"))]));
    } else {
        blocks.push(Block::Links(vec![("/konto/passwort-vergessen".into(), tr(lang, "account.forgot_link"))]));
    }
    page(state, ctx, lang, path, status, tr(lang, "account.link_problem_title"), blocks).await
}

async fn verify_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<NoticeQuery>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let token = q.token.unwrap_or_default();
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let link = links::peek(&mut tx, Purpose::VerifyEmail, &token).await?;
    tx.commit().await?;
    if let Err(p) = link {
        return link_failed(&state, &ctx, lang, "/konto/bestaetigen", p, true).await;
    }
    let (csrf, new) = anon_csrf(&headers);
    let r = page(&state, &ctx, lang, "/konto/bestaetigen", StatusCode::OK, tr(lang, "account.verify_title"), verify_blocks(lang, &csrf, &token, form_state(&["password"], &[]))).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn verify(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let crate::forms::LinkPost { csrf, token, password: pw } = crate::forms::link_post(&headers, &f)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::VerifyEmail, &token).await? {
        Ok(l) => l,
        Err(p) => return link_failed(&state, &ctx, lang, "/konto/bestaetigen", p, true).await,
    };
    // the password chosen at registration must be entered again: only who registered completes it
    let matches = link.secret_hash.as_deref().is_some_and(|h| password::verify(&pw, h));
    if !matches {
        let mut form = form_state(&["password"], &[]);
        err(&mut form, lang, "password", if pw.is_empty() { "validation.required" } else { "account.verify_wrong_password" });
        return page(&state, &ctx, lang, "/konto/bestaetigen", StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "account.verify_title"), verify_blocks(lang, &csrf, &token, form)).await;
    }
    if let Err(p) = links::consume(&mut tx, Purpose::VerifyEmail, &token).await? {
        return link_failed(&state, &ctx, lang, "/konto/bestaetigen", p, true).await;
    }
    let hash = link.secret_hash.unwrap_or_default();
    citizen::complete_registration(&mut tx, link.subject_id, &hash).await?;
    let session = session::start(&mut tx, Subject::Citizen(link.subject_id)).await?;
    tx.commit().await?;
    tracing::info!(citizen.id = %link.subject_id, "citizen account verified");
    Ok(with_cookie(see_other("/konto?hinweis=bestaetigt"), &session_cookie(&state, &session)))
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
            secondary: Some(("/konto/anmelden".into(), tr(lang, "account.back_to_login"))),
        }),
    ]
}

async fn resend_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let (csrf, new) = anon_csrf(&headers);
    let blocks = email_only_blocks(lang, &csrf, RESEND.path, RESEND.intro, RESEND.submit, form_state(&["email"], &[]));
    let r = page(&state, &ctx, lang, "/konto/bestaetigung-erneut", StatusCode::OK, tr(lang, "account.resend_title"), blocks).await?;
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

const RESEND: MailForm = MailForm { path: "/konto/bestaetigung-erneut", intro: "account.resend_intro", submit: "account.resend_submit", title: "account.resend_title", purpose: Purpose::VerifyEmail };
const FORGOT: MailForm = MailForm { path: "/konto/passwort-vergessen", intro: "account.forgot_intro", submit: "account.forgot_submit", title: "account.forgot_title", purpose: Purpose::ResetPassword };

/// Shared by "re-send verification" and "forgotten password": validate the address, limit, then
/// issue the link in a tenant transaction; the answer never tells whether the address is registered.
async fn mail_request(state: &AppState, ctx: &TenantContext, ip: &ClientIp, headers: &HeaderMap, f: &Fields, m: &MailForm) -> Result<Response, AppError> {
    let MailForm { path, intro, submit, title, purpose } = *m;
    let lang = lang_of(headers);
    check_anon_csrf(headers, f.csrf())?;
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
    let blocks = vec![Block::Notice("success", tr_with(lang, "account.mail_sent_if_known", &[("email", email.as_str())])), Block::Links(vec![("/konto/anmelden".into(), tr(lang, "account.back_to_login"))])];
    page(state, ctx, lang, path, StatusCode::OK, tr(lang, title), blocks).await
}

async fn resend(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, f: Fields) -> Result<Response, AppError> {
    mail_request(&state, &ctx, &ip, &headers, &f, &RESEND).await
}

// ---------------------------------------------------------------------------------------------
// login and logout

async fn login_blocks(tx: &mut TenantTx, lang: Lang, csrf: &str, next: &str, form: FormState) -> Result<Vec<Block>, AppError> {
    let providers = oidc::providers(tx, true).await?;
    let mut form = with_labels(form, lang, &[("email", "account.email"), ("password", "account.password")]);
    form.values.insert("weiter".into(), next.to_owned());
    let mut blocks = vec![Block::Form(FormSpec {
        action: "/konto/anmelden".into(),
        csrf: csrf.to_owned(),
        form,
        fields: vec![
            Field::new("weiter", String::new(), FieldKind::Hidden),
            Field::new("email", tr(lang, "account.email"), FieldKind::Email).autocomplete("email").required(),
            Field::new("password", tr(lang, "account.password"), FieldKind::Password).autocomplete("current-password").required(),
        ],
        submit: tr(lang, "account.login_submit"),
        danger: false,
        secondary: Some(("/konto/passwort-vergessen".into(), tr(lang, "account.forgot_link"))),
    })];
    if !providers.is_empty() {
        blocks.push(Block::Heading(tr(lang, "account.login_with_provider")));
        blocks.push(Block::Text(tr(lang, "account.login_with_provider_intro")));
        blocks.push(Block::Links(
            providers.into_iter().map(|p| (format!("/konto/anmelden/idp/{}", p.slug), tr_with(lang, "account.login_with", &[("name", &p.display_name)]))).collect(),
        ));
    }
    blocks.push(Block::Heading(tr(lang, "account.no_account")));
    blocks.push(Block::Links(vec![
        ("/konto/registrieren".into(), tr(lang, "account.register_link")),
        ("/konto/bestaetigung-erneut".into(), tr(lang, "account.resend_link")),
    ]));
    Ok(blocks)
}

/// The login page (with an optional notice above the form), in one transaction.
#[expect(clippy::too_many_arguments, reason = "the login page's parts: frame, notice, form, status")]
async fn login_page(state: &AppState, ctx: &TenantContext, lang: Lang, csrf: &str, next: &str, notice: Option<Block>, form: FormState, status: StatusCode) -> Result<Response, AppError> {
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.extend(login_blocks(&mut tx, lang, csrf, next, form).await?);
    page_in(state, ctx, tx, lang, "/konto/anmelden", status, tr(lang, "account.login_title"), blocks).await
}

async fn login_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<NoticeQuery>, MaybeCitizen(c): MaybeCitizen) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    if c.is_some() {
        return Ok(see_other("/konto"));
    }
    let (csrf, new) = anon_csrf(&headers);
    let next = safe_next(q.weiter.as_deref().unwrap_or("/konto"));
    let notice = match q.hinweis.as_deref() {
        Some("abgemeldet") => Some("account.logged_out"),
        Some("passwort") => Some("account.password_reset_done"),
        Some("geloescht") => Some("account.deleted"),
        _ => None,
    }
    .map(|k| Block::Notice("success", tr(lang, k)));
    let r = login_page(&state, &ctx, lang, &csrf, &next, notice, form_state(&["email", "password"], &[]), StatusCode::OK).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn login(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    check_anon_csrf(&headers, f.csrf())?;
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

async fn logout(State(state): State<AppState>, ctx: TenantContext, citizen: Citizen, f: Fields) -> Result<Response, AppError> {
    citizen.check_csrf(f.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    session::end(&mut tx, &citizen.token).await?;
    tx.commit().await?;
    Ok(with_cookie(see_other("/konto/anmelden?hinweis=abgemeldet"), &cookies::set(CITIZEN_COOKIE, "", secure(&state), Some(0), true)))
}

// ---------------------------------------------------------------------------------------------
// forgotten password

async fn forgot_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let (csrf, new) = anon_csrf(&headers);
    let blocks = email_only_blocks(lang, &csrf, FORGOT.path, FORGOT.intro, FORGOT.submit, form_state(&["email"], &[]));
    let r = page(&state, &ctx, lang, "/konto/passwort-vergessen", StatusCode::OK, tr(lang, "account.forgot_title"), blocks).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn forgot(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, headers: HeaderMap, f: Fields) -> Result<Response, AppError> {
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
    vec![Block::Form(FormSpec { action: "/konto/passwort-neu".into(), csrf: csrf.to_owned(), form, fields, submit: tr(lang, "account.reset_submit"), danger: false, secondary: None })]
}

async fn reset_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<NoticeQuery>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let token = q.token.unwrap_or_default();
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let link = links::peek(&mut tx, Purpose::ResetPassword, &token).await?;
    tx.commit().await?;
    if let Err(p) = link {
        return link_failed(&state, &ctx, lang, "/konto/passwort-neu", p, false).await;
    }
    let (csrf, new) = anon_csrf(&headers);
    let r = page(&state, &ctx, lang, "/konto/passwort-neu", StatusCode::OK, tr(lang, "account.reset_title"), reset_blocks(lang, &csrf, &token, form_state(&["password", "password_repeat"], &[]))).await?;
    Ok(set_anon_csrf(&state, r, &csrf, new))
}

async fn reset(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let crate::forms::LinkPost { csrf, token, password: pw } = crate::forms::link_post(&headers, &f)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::ResetPassword, &token).await? {
        Ok(l) => l,
        Err(p) => return link_failed(&state, &ctx, lang, "/konto/passwort-neu", p, false).await,
    };
    let account = citizen::get(&mut tx, link.subject_id).await?.ok_or_else(AppError::not_found)?;
    let mut form = form_state(&["password", "password_repeat"], &[]);
    crate::forms::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), account.email.as_deref());
    if form.has_errors() {
        return page(&state, &ctx, lang, "/konto/passwort-neu", StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "account.reset_title"), reset_blocks(lang, &csrf, &token, form)).await;
    }
    if let Err(p) = links::consume(&mut tx, Purpose::ResetPassword, &token).await? {
        return link_failed(&state, &ctx, lang, "/konto/passwort-neu", p, false).await;
    }
    citizen::set_password(&mut tx, link.subject_id, &pw, true).await?;
    // whoever knew the old password is logged out everywhere
    session::end_all(&mut tx, Subject::Citizen(link.subject_id)).await?;
    if let Some(email) = &account.email {
        let base = base_url(&state, &ctx.host, &headers);
        queue(&mut tx, &ctx, &base, lang, email, Mail::PasswordChanged).await?;
    }
    tx.commit().await?;
    Ok(see_other("/konto/anmelden?hinweis=passwort"))
}

// ---------------------------------------------------------------------------------------------
// the account pages

const PROFILE_LABELS: [(&str, &str); 7] = [
    ("given_name", "account.given_name"),
    ("family_name", "account.family_name"),
    ("birth_date", "account.birth_date"),
    ("street", "account.street"),
    ("postal_code", "account.postal_code"),
    ("city", "account.city"),
    ("phone", "account.phone"),
];

async fn overview(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: Citizen, Query(q): Query<NoticeQuery>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let mut blocks = Vec::new();
    let notice = match q.hinweis.as_deref() {
        Some("bestaetigt") => Some("account.verified_notice"),
        Some("gespeichert") => Some("account.saved"),
        Some("passwort") => Some("account.password_changed"),
        Some("email") => Some("account.email_changed"),
        Some("email-gesendet") => Some("account.email_confirm_sent"),
        Some("idp") => Some("account.provider_login_done"),
        _ => None,
    };
    if let Some(k) = notice {
        blocks.push(Block::Notice("success", tr(lang, k)));
    }
    let verified_badge = acc.verified_by.as_ref().map(|p| tr_with(lang, "account.verified_by", &[("provider", p)]));
    blocks.push(Block::Heading(tr(lang, "account.profile_heading")));
    let mut facts: Vec<(String, String, Option<String>)> = PROFILE_LABELS
        .iter()
        .map(|(f, key)| {
            let badge = acc.verified_fields.iter().any(|v| v == f).then(|| verified_badge.clone()).flatten();
            (tr(lang, key), acc.profile.get(f).unwrap_or_default(), badge)
        })
        .collect();
    facts.push((tr(lang, "account.email"), acc.email.clone().unwrap_or_default(), None));
    if let Some(loa) = &acc.level_of_assurance {
        facts.push((tr(lang, "account.level_of_assurance"), loa_text(lang, loa), verified_badge.clone()));
    }
    blocks.push(Block::Facts(facts));
    let mut links = vec![("/konto/antraege".to_owned(), tr(lang, "cases.my_title")), ("/konto/profil".to_owned(), tr(lang, "account.edit_profile"))];
    if acc.has_password {
        links.push(("/konto/passwort".into(), tr(lang, "account.change_password")));
        links.push(("/konto/email".into(), tr(lang, "account.change_email")));
    }
    blocks.push(Block::Links(links));
    blocks.push(Block::Heading(tr(lang, "account.privacy_heading")));
    blocks.push(Block::Text(tr(lang, "account.privacy_intro")));
    blocks.push(Block::Links(vec![("/konto/daten".into(), tr(lang, "account.download_data")), ("/konto/loeschen".into(), tr(lang, "account.delete_link"))]));
    blocks.push(Block::Buttons(vec![Button { action: "/konto/abmelden".into(), csrf: citizen.csrf.clone(), hidden: vec![], label: tr(lang, "account.logout"), danger: false }]));
    page_in(&state, &ctx, tx, lang, "/konto", StatusCode::OK, tr(lang, "account.title"), blocks).await
}

/// A level of assurance in words (eIDAS levels), else as asserted.
fn loa_text(lang: Lang, loa: &str) -> String {
    if loa.ends_with("/high") {
        tr(lang, "account.loa_high")
    } else if loa.ends_with("/substantial") {
        tr(lang, "account.loa_substantial")
    } else if loa.ends_with("/low") {
        tr(lang, "account.loa_low")
    } else {
        loa.to_owned()
    }
}

fn profile_blocks(lang: Lang, csrf: &str, acc: &citizen::Account, mut form: FormState) -> Vec<Block> {
    for (f, key) in PROFILE_LABELS {
        form.labels.insert(f.to_owned(), tr(lang, key));
    }
    let note = acc.verified_by.as_ref().map(|p| tr_with(lang, "account.verified_by", &[("provider", p)])).unwrap_or_default();
    let fields = PROFILE_LABELS
        .iter()
        .map(|(f, key)| {
            let kind = match *f {
                "birth_date" => FieldKind::Date,
                "phone" => FieldKind::Tel,
                _ => FieldKind::Text,
            };
            let auto = match *f {
                "given_name" => "given-name",
                "family_name" => "family-name",
                "birth_date" => "bday",
                "street" => "street-address",
                "postal_code" => "postal-code",
                "city" => "address-level2",
                _ => "tel",
            };
            let field = Field::new(f, tr(lang, key), kind).autocomplete(auto);
            if acc.verified_fields.iter().any(|v| v == f) { field.locked(note.clone()) } else { field }
        })
        .collect();
    let mut blocks = vec![Block::Text(tr(lang, "account.profile_intro"))];
    if acc.verified_by.is_some() {
        blocks.push(Block::Notice("info", tr(lang, "account.verified_fields_locked")));
    }
    blocks.push(Block::Form(FormSpec {
        action: "/konto/profil".into(),
        csrf: csrf.to_owned(),
        form,
        fields,
        submit: tr(lang, "account.save"),
        danger: false,
        secondary: Some(("/konto".into(), tr(lang, "account.cancel"))),
    }));
    blocks
}

async fn profile_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: Citizen) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let values: Vec<(&str, String)> = PROFILE_LABELS.iter().map(|(f, _)| (*f, acc.profile.get(f).unwrap_or_default())).collect();
    let form = form_state(&PROFILE_LABELS.map(|(f, _)| f), &values);
    page_in(&state, &ctx, tx, lang, "/konto/profil", StatusCode::OK, tr(lang, "account.edit_profile"), profile_blocks(lang, &citizen.csrf, &acc, form)).await
}

/// Validates the profile form; `Err` carries the form with its errors.
fn parse_profile(lang: Lang, f: &Fields) -> Result<Profile, FormState> {
    let values: Vec<(&str, String)> = PROFILE_LABELS.iter().map(|(k, _)| (*k, f.text(k))).collect();
    let mut form = form_state(&PROFILE_LABELS.map(|(k, _)| k), &values);
    let opt = |k: &str| Some(f.text(k)).filter(|v| !v.is_empty());
    for (k, max) in [("given_name", 100), ("family_name", 100), ("street", 200), ("city", 100)] {
        if f.text(k).chars().count() > max {
            form.errors.insert(k.into(), tr_with(lang, "validation.too_long", &[("max", &max.to_string())]));
        }
    }
    let postal = f.text("postal_code");
    let postal_ok = postal.is_empty() || (postal.len() == 5 && postal.bytes().all(|b| b.is_ascii_digit()));
    if !postal_ok {
        err(&mut form, lang, "postal_code", "validation.postal_code");
    }
    let phone = f.text("phone");
    let phone_len = phone.chars().count();
    let phone_ok = phone.is_empty() || ((6..=30).contains(&phone_len) && phone.chars().all(|c| c.is_ascii_digit() || " +()/-".contains(c)));
    if !phone_ok {
        err(&mut form, lang, "phone", "validation.phone");
    }
    let birth_raw = f.text("birth_date");
    let birth = if birth_raw.is_empty() {
        None
    } else {
        match Date::parse(&birth_raw, time::macros::format_description!("[year]-[month]-[day]")) {
            Ok(d) if d.year() >= 1900 && d <= OffsetDateTime::now_utc().date() => Some(d),
            _ => {
                err(&mut form, lang, "birth_date", "validation.birth_date");
                None
            }
        }
    };
    if form.has_errors() {
        return Err(form);
    }
    Ok(Profile { given_name: opt("given_name"), family_name: opt("family_name"), birth_date: birth, street: opt("street"), postal_code: opt("postal_code"), city: opt("city"), phone: opt("phone") })
}

async fn save_profile(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: Citizen, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    citizen.check_csrf(f.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    match parse_profile(lang, &f) {
        Ok(p) => {
            citizen::update_profile(&mut tx, citizen.citizen_id, &p).await?;
            tx.commit().await?;
            Ok(see_other("/konto?hinweis=gespeichert"))
        }
        Err(mut form) => {
            tx.commit().await?;
            // verified fields show their stored values
            for v in &acc.verified_fields {
                form.values.insert(v.clone(), acc.profile.get(v).unwrap_or_default());
            }
            page(&state, &ctx, lang, "/konto/profil", StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "account.edit_profile"), profile_blocks(lang, &citizen.csrf, &acc, form)).await
        }
    }
}

fn password_blocks(lang: Lang, csrf: &str, form: FormState) -> Vec<Block> {
    let form = with_labels(form, lang, &[("current_password", "account.current_password"), ("password", "account.new_password"), ("password_repeat", "account.password_repeat")]);
    let mut fields = vec![Field::new("current_password", tr(lang, "account.current_password"), FieldKind::Password).autocomplete("current-password").required()];
    fields.extend(new_password_fields(lang));
    vec![Block::Form(FormSpec { action: "/konto/passwort".into(), csrf: csrf.to_owned(), form, fields, submit: tr(lang, "account.save"), danger: false, secondary: Some(("/konto".into(), tr(lang, "account.cancel"))) })]
}

async fn password_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: Citizen) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let form = form_state(&["current_password", "password", "password_repeat"], &[]);
    page(&state, &ctx, lang, "/konto/passwort", StatusCode::OK, tr(lang, "account.change_password"), password_blocks(lang, &citizen.csrf, form)).await
}

async fn change_password(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: Citizen, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    citizen.check_csrf(f.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let mut form = form_state(&["current_password", "password", "password_repeat"], &[]);
    let pw = f.raw("password");
    if !citizen::check_password(&mut tx, citizen.citizen_id, &f.raw("current_password")).await? {
        err(&mut form, lang, "current_password", "validation.current_password");
    }
    crate::forms::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), acc.email.as_deref());
    if form.has_errors() {
                return page_in(&state, &ctx, tx, lang, "/konto/passwort", StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "account.change_password"), password_blocks(lang, &citizen.csrf, form)).await;
    }
    citizen::set_password(&mut tx, citizen.citizen_id, &pw, false).await?;
    // other sessions end; this one gets a new id
    session::end_all(&mut tx, Subject::Citizen(citizen.citizen_id)).await?;
    let token = session::start(&mut tx, Subject::Citizen(citizen.citizen_id)).await?;
    if let Some(email) = &acc.email {
        let base = base_url(&state, &ctx.host, &headers);
        queue(&mut tx, &ctx, &base, lang, email, Mail::PasswordChanged).await?;
    }
    tx.commit().await?;
    Ok(with_cookie(see_other("/konto?hinweis=passwort"), &session_cookie(&state, &token)))
}

fn email_change_blocks(lang: Lang, csrf: &str, current: &str, form: FormState) -> Vec<Block> {
    let form = with_labels(form, lang, &[("email", "account.new_email"), ("current_password", "account.current_password")]);
    vec![
        Block::Text(tr_with(lang, "account.change_email_intro", &[("email", current)])),
        Block::Form(FormSpec {
            action: "/konto/email".into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("email", tr(lang, "account.new_email"), FieldKind::Email).autocomplete("email").required(),
                Field::new("current_password", tr(lang, "account.current_password"), FieldKind::Password).autocomplete("current-password").required(),
            ],
            submit: tr(lang, "account.change_email_submit"),
            danger: false,
            secondary: Some(("/konto".into(), tr(lang, "account.cancel"))),
        }),
    ]
}

async fn email_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: Citizen) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let form = form_state(&["email", "current_password"], &[]);
    page_in(&state, &ctx, tx, lang, "/konto/email", StatusCode::OK, tr(lang, "account.change_email"), email_change_blocks(lang, &citizen.csrf, acc.email.as_deref().unwrap_or("–"), form)).await
}

async fn change_email(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: Citizen, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    citizen.check_csrf(f.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let raw = f.text("email");
    let mut form = form_state(&["email", "current_password"], &[("email", raw.clone())]);
    let email = Email::parse(&raw);
    match &email {
        None => err(&mut form, lang, "email", if raw.is_empty() { "validation.required" } else { "validation.email" }),
        Some(e) if acc.email.as_deref() == Some(e.as_str()) => err(&mut form, lang, "email", "validation.email_unchanged"),
        Some(e) if citizen::email_in_use(&mut tx, e).await? => err(&mut form, lang, "email", "validation.email_taken"),
        Some(_) => {}
    }
    if !citizen::check_password(&mut tx, citizen.citizen_id, &f.raw("current_password")).await? {
        err(&mut form, lang, "current_password", "validation.current_password");
    }
    let Some(email) = email.filter(|_| !form.has_errors()) else {
                return page_in(&state, &ctx, tx, lang, "/konto/email", StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "account.change_email"), email_change_blocks(lang, &citizen.csrf, acc.email.as_deref().unwrap_or("–"), form)).await;
    };
    let base = base_url(&state, &ctx.host, &headers);
    let token = links::issue(&mut tx, Purpose::ChangeEmail, citizen.citizen_id, Some(email.as_str()), None).await?;
    queue(&mut tx, &ctx, &base, lang, email.as_str(), Mail::ConfirmNewEmail { link: format!("{base}/konto/email-bestaetigen?token={token}") }).await?;
    tx.commit().await?;
    Ok(see_other("/konto?hinweis=email-gesendet"))
}

async fn confirm_email(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<NoticeQuery>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let token = q.token.unwrap_or_default();
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let link = match links::consume(&mut tx, Purpose::ChangeEmail, &token).await? {
        Ok(l) => l,
        Err(p) => return link_failed(&state, &ctx, lang, "/konto/email-bestaetigen", p, false).await,
    };
    let old = citizen::get(&mut tx, link.subject_id).await?.and_then(|a| a.email);
    let new_email = link.new_email.unwrap_or_default();
    match citizen::set_email(&mut tx, link.subject_id, &new_email).await {
        Ok(()) => {}
        Err(IdentityError::EmailTaken) => {
            return page(&state, &ctx, lang, "/konto/email-bestaetigen", StatusCode::CONFLICT, tr(lang, "account.link_problem_title"), vec![Block::Notice("danger", tr(lang, "validation.email_taken"))]).await;
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(old) = old {
        let base = base_url(&state, &ctx.host, &headers);
        queue(&mut tx, &ctx, &base, lang, &old, Mail::EmailChanged { new_email: new_email.clone() }).await?;
    }
    tx.commit().await?;
    Ok(see_other("/konto?hinweis=email"))
}

// ---------------------------------------------------------------------------------------------
// data protection

async fn export(State(state): State<AppState>, ctx: TenantContext, citizen: Citizen) -> Result<Response, AppError> {
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let mut data = citizen::export(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let applications = portal_cases::export_for(&mut tx, citizen.citizen_id).await?;
    let payments = portal_payments::repo::export_for(&mut tx, citizen.citizen_id).await?;
    if let Some(o) = data.as_object_mut() {
        o.insert("applications".into(), applications);
        o.insert("payments".into(), payments);
    }
    tx.commit().await?;
    let body = serde_json::to_string_pretty(&data).unwrap_or_default();
    let date = OffsetDateTime::now_utc().date();
    Ok(crate::pages::attachment("application/json; charset=utf-8", body, &format!("buergerkonto-{}-{date}.json", ctx.entry.slug)))
}

fn delete_blocks(lang: Lang, csrf: &str, has_password: bool, form: FormState) -> Vec<Block> {
    let form = with_labels(form, lang, &[("confirm", "account.delete_confirm"), ("current_password", "account.current_password")]);
    let mut fields = vec![Field::new("confirm", tr(lang, "account.delete_confirm"), FieldKind::Checkbox).required()];
    if has_password {
        fields.push(Field::new("current_password", tr(lang, "account.current_password"), FieldKind::Password).autocomplete("current-password").required());
    }
    vec![
        Block::Text(tr(lang, "account.delete_intro")),
        Block::Heading(tr(lang, "account.delete_removed_heading")),
        Block::List(vec![tr(lang, "account.delete_removed_1"), tr(lang, "account.delete_removed_2"), tr(lang, "account.delete_removed_3")]),
        Block::Heading(tr(lang, "account.delete_kept_heading")),
        Block::List(vec![tr(lang, "account.delete_kept_1"), tr(lang, "account.delete_kept_2"), tr(lang, "account.delete_kept_3")]),
        Block::Form(FormSpec { action: "/konto/loeschen".into(), csrf: csrf.to_owned(), form, fields, submit: tr(lang, "account.delete_submit"), danger: true, secondary: Some(("/konto".into(), tr(lang, "account.cancel"))) }),
    ]
}

async fn delete_form(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: Citizen) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let form = form_state(&["confirm", "current_password"], &[]);
    page_in(&state, &ctx, tx, lang, "/konto/loeschen", StatusCode::OK, tr(lang, "account.delete_title"), delete_blocks(lang, &citizen.csrf, acc.has_password, form)).await
}

async fn delete(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: Citizen, f: Fields) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    citizen.check_csrf(f.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let mut form = form_state(&["confirm", "current_password"], &[("confirm", f.text("confirm"))]);
    if f.text("confirm") != "on" {
        err(&mut form, lang, "confirm", "validation.delete_confirm");
    }
    if acc.has_password && !citizen::check_password(&mut tx, citizen.citizen_id, &f.raw("current_password")).await? {
        err(&mut form, lang, "current_password", "validation.current_password");
    }
    if form.has_errors() {
                return page_in(&state, &ctx, tx, lang, "/konto/loeschen", StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "account.delete_title"), delete_blocks(lang, &citizen.csrf, acc.has_password, form)).await;
    }
    citizen::delete(&mut tx, citizen.citizen_id).await?;
    tx.commit().await?;
    tracing::info!(citizen.id = %citizen.citizen_id, "citizen account deleted");
    Ok(with_cookie(see_other("/konto/anmelden?hinweis=geloescht"), &cookies::set(CITIZEN_COOKIE, "", secure(&state), Some(0), true)))
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect

fn redirect_uri(state: &AppState, ctx: &TenantContext, headers: &HeaderMap) -> String {
    format!("{}/konto/oidc/rueckruf", base_url(state, &ctx.host, headers))
}

async fn oidc_failed(state: &AppState, ctx: &TenantContext, lang: Lang, status: StatusCode, key: &str) -> Result<Response, AppError> {
    let blocks = vec![Block::Notice("danger", tr(lang, key)), Block::Links(vec![("/konto/anmelden".into(), tr(lang, "account.back_to_login"))])];
    let r = page(state, ctx, lang, "/konto/oidc/rueckruf", status, tr(lang, "account.provider_failed_title"), blocks).await?;
    Ok(with_cookie(r, &cookies::set(OIDC_COOKIE, "", secure(state), Some(0), true)))
}

async fn oidc_start(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Path(slug): Path<String>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let provider = oidc::provider(&mut tx, &slug).await?.filter(|p| p.enabled).ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    match state.oidc.start(ctx.entry.tenant_id.0, &provider, &redirect_uri(&state, &ctx, &headers)).await {
        Ok((url, flow)) => {
            let value = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&flow).unwrap_or_default());
            let cookie = cookies::set(OIDC_COOKIE, &value, secure(&state), Some(600), true);
            Ok(with_cookie(see_other(&url), &cookie))
        }
        Err(e) => {
            tracing::error!(tenant.id = %ctx.entry.tenant_id, provider = %slug, error = %e, "identity provider login could not start");
            oidc_failed(&state, &ctx, lang, StatusCode::BAD_GATEWAY, "account.provider_unavailable").await
        }
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

async fn oidc_callback(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Query(q): Query<CallbackQuery>, MaybeCitizen(current): MaybeCitizen) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let tenant = ctx.entry.tenant_id;
    let flow: Option<FlowState> = cookies::get(&headers, OIDC_COOKIE).and_then(|v| URL_SAFE_NO_PAD.decode(v).ok()).and_then(|b| serde_json::from_slice(&b).ok());
    let (Some(flow), Some(code), Some(returned_state)) = (flow, q.code, q.state) else {
        let key = if q.error.is_some() { "account.provider_cancelled" } else { "account.provider_state_invalid" };
        tracing::warn!(tenant.id = %tenant, error = q.error.as_deref().unwrap_or(""), "identity provider callback without a login in progress");
        return oidc_failed(&state, &ctx, lang, StatusCode::BAD_REQUEST, key).await;
    };
    let mut tx = state.db.tenant(tenant).await?;
    let Some(provider) = oidc::provider(&mut tx, &flow.provider).await?.filter(|p| p.enabled) else {
        return oidc_failed(&state, &ctx, lang, StatusCode::BAD_REQUEST, "account.provider_state_invalid").await;
    };
    tx.commit().await?;
    let claims = match state.oidc.finish(tenant.0, &provider, &redirect_uri(&state, &ctx, &headers), &flow, &code, &returned_state).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(tenant.id = %tenant, provider = %provider.slug, error = %e, "identity provider login refused");
            let (status, key) = match e {
                OidcError::StateMismatch => (StatusCode::BAD_REQUEST, "account.provider_state_invalid"),
                OidcError::IdToken(_) => (StatusCode::UNAUTHORIZED, "account.provider_token_invalid"),
                _ => (StatusCode::BAD_GATEWAY, "account.provider_unavailable"),
            };
            return oidc_failed(&state, &ctx, lang, status, key).await;
        }
    };
    let mut tx = state.db.tenant(tenant).await?;
    let citizen = citizen::login_with_identity(&mut tx, &provider.slug, &provider.display_name, &claims, current.as_ref().map(|c| c.citizen_id)).await?;
    if let Some(c) = &current {
        session::end(&mut tx, &c.token).await?;
    }
    let token = session::start(&mut tx, Subject::Citizen(citizen)).await?;
    tx.commit().await?;
    metrics::counter!("portal_logins_total", "result" => "provider").increment(1);
    tracing::info!(citizen.id = %citizen, provider = %provider.slug, "citizen logged in through identity provider");
    let r = with_cookie(see_other("/konto?hinweis=idp"), &session_cookie(&state, &token));
    Ok(with_cookie(r, &cookies::set(OIDC_COOKIE, "", secure(&state), Some(0), true)))
}
