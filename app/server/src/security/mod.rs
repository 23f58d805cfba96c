//! Two-factor login (issue 27, finding 18) for the console and the staff area: the code page and
//! the set-up page between the password and the session (`kit::second_factor` decides which one,
//! and seals the pending login), and each account's security page (recovery codes, remembered
//! devices; operators' sessions; a tenant admin's policy for the staff).

use crate::kit::checked::{Anonymous, Checked};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use leptos::prelude::view;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_identity::second_factor::{self as factor, Verdict};
use portal_identity::staff;
use portal_ui::block_pages::ConsoleBlocksPage;
use portal_ui::blocks::{Block, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext, cookies};

use crate::kit::form::Fields;
use crate::kit::office::staff_page;
use crate::kit::page::{html_status, lang_of, see_other, with_cookie};
use crate::kit::pipeline::AnyTx;
use crate::kit::registry::{Capability, NavEntry};
use crate::kit::second_factor::{self as step, Area, Pending};
use crate::kit::session::{anon_csrf, set_anon_csrf};

mod pages;
pub mod paths;

pub const CAPABILITY: Capability = Capability {
    portal: Some(portal_routes),
    console: Some(console_routes),
    // the code and set-up pages lie below the login pages, which are open already
    public: &[],
    staff_nav: &[NavEntry {
        order: 85,
        path: paths::STAFF_SECURITY.path(),
        label: "twofactor.nav",
        resource: Resource::StaffArea,
        action: Action::Read,
    }],
    console_nav: &[NavEntry {
        order: 90,
        path: paths::CONSOLE_SECURITY.path(),
        label: "twofactor.nav",
        resource: Resource::LoginSecurity,
        action: Action::Read,
    }],
    texts,
    ..Capability::named("security")
};

/// The text keys built at run time: the policy's choices.
fn texts() -> Vec<String> {
    staff::SecondFactorPolicy::ALL.iter().map(|p| format!("twofactor.policy_{}", p.as_str())).collect()
}

fn portal_routes() -> Router<AppState> {
    Router::new()
        .route(step::STAFF_CODE.pattern(), get(staff_code_form).post(staff_code))
        .route(step::STAFF_SETUP.pattern(), get(staff_setup_form).post(staff_setup))
        .route(paths::STAFF_SECURITY.pattern(), get(pages::staff_security))
        .route(paths::STAFF_ENROL.pattern(), post(pages::staff_enrol))
        .route(paths::STAFF_NEW_CODES.pattern(), post(pages::staff_new_codes))
        .route(paths::STAFF_FORGET_DEVICES.pattern(), post(pages::staff_forget_devices))
        .route(paths::STAFF_REMOVE.pattern(), post(pages::staff_remove))
        .route(paths::STAFF_POLICY.pattern(), post(pages::staff_policy))
}

fn console_routes() -> Router<AppState> {
    Router::new()
        .route(step::CONSOLE_CODE.pattern(), get(console_code_form).post(console_code))
        .route(step::CONSOLE_SETUP.pattern(), get(console_setup_form).post(console_setup))
        .route(paths::CONSOLE_SECURITY.pattern(), get(pages::console_security))
        .route(paths::CONSOLE_NEW_CODES.pattern(), post(pages::console_new_codes))
        .route(paths::CONSOLE_FORGET_DEVICES.pattern(), post(pages::console_forget_devices))
        .route(paths::CONSOLE_END_SESSIONS.pattern(), post(pages::console_end_sessions))
}

/// The account's e-mail address (what the authenticator app lists), while the account is live.
async fn account_email(tx: &mut AnyTx, account: uuid::Uuid) -> Result<Option<String>, AppError> {
    Ok(match tx {
        AnyTx::Platform(t) => portal_operators::get(t, account).await?.map(|o| o.email),
        AnyTx::Tenant(t) => staff::get(t, account).await?.filter(|u| u.status == "active").map(|u| u.email),
    })
}

/// Where a page of the second step is drawn: the console's frame or the tenant's staff area.
enum Frame<'a> {
    Console,
    Staff(&'a TenantContext),
}

impl Frame<'_> {
    fn area(&self) -> Area {
        match self {
            Self::Console => Area::Console,
            Self::Staff(ctx) => Area::Staff(ctx.entry.tenant_id),
        }
    }
    fn issuer(&self) -> String {
        match self {
            Self::Console => "Kommunalportal Betrieb".to_owned(),
            Self::Staff(ctx) => ctx.entry.name.clone(),
        }
    }
    fn login_path(&self) -> &'static str {
        match self {
            Self::Console => crate::kit::links::CONSOLE_LOGIN.path(),
            Self::Staff(_) => crate::kit::links::STAFF_LOGIN.path(),
        }
    }
    async fn page(
        &self,
        state: &AppState,
        lang: Lang,
        path: &str,
        status: StatusCode,
        title: String,
        blocks: Vec<Block>,
    ) -> Result<Response, AppError> {
        match self {
            Self::Console => {
                let chrome = crate::kit::operator::chrome(state, lang, None, path, false);
                Ok(html_status(
                    status,
                    portal_ui::render_document(
                        move || view! { <ConsoleBlocksPage chrome=chrome title=title blocks=blocks/> },
                    ),
                ))
            }
            Self::Staff(ctx) => staff_page(state, ctx, lang, path, None, status, title, blocks).await,
        }
    }
}

/// The code field of the second step and of the security page's forms.
pub(crate) fn code_field(lang: Lang, recovery: bool) -> Field {
    let hint = if recovery { tr(lang, "twofactor.code_or_recovery_hint") } else { tr(lang, "twofactor.code_hint") };
    Field::new("code", tr(lang, "twofactor.code"), FieldKind::Text).hint(hint).autocomplete("one-time-code").required()
}

/// The page a second step shows when its pending login is gone (expired, another host, none).
async fn expired(state: &AppState, frame: &Frame<'_>, lang: Lang, path: &str) -> Result<Response, AppError> {
    let blocks = vec![
        Block::Notice("warning", tr(lang, "twofactor.pending_expired")),
        Block::Links(vec![(frame.login_path().to_owned(), tr(lang, "twofactor.back_to_login"))]),
    ];
    frame.page(state, lang, path, StatusCode::UNAUTHORIZED, tr(lang, "twofactor.code_title"), blocks).await
}

fn code_form(lang: Lang, csrf: &str, area: Area, form: FormState) -> Block {
    let mut form = form;
    form.order = vec!["code".into(), "remember".into()];
    Block::Form(FormSpec {
        action: area.code_path().into(),
        csrf: csrf.to_owned(),
        form,
        fields: vec![
            code_field(lang, true),
            Field::new(
                "remember",
                tr_with(lang, "twofactor.remember", &[("days", &factor::DEVICE_DAYS.to_string())]),
                FieldKind::Checkbox,
            )
            .hint(tr(lang, "twofactor.remember_hint")),
        ],
        submit: tr(lang, "twofactor.code_submit"),
        danger: false,
        secondary: None,
    })
}

async fn code_page(
    state: &AppState,
    frame: Frame<'_>,
    headers: &HeaderMap,
    form: FormState,
    message: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let lang = lang_of(headers);
    let area = frame.area();
    if step::pending(state, area, headers).is_none_or(|p| p.setup) {
        return expired(state, &frame, lang, area.code_path()).await;
    }
    let (csrf, new) = anon_csrf(headers);
    let mut blocks: Vec<Block> = message.map(|m| Block::Notice("danger", m)).into_iter().collect();
    blocks.push(Block::Text(tr(lang, "twofactor.code_intro")));
    blocks.push(code_form(lang, &csrf, area, form));
    let r = frame.page(state, lang, area.code_path(), status, tr(lang, "twofactor.code_title"), blocks).await?;
    Ok(set_anon_csrf(state, r, &csrf, new))
}

/// Checks the code of a pending login; the session starts when it is right.
async fn check_code(
    state: &AppState,
    frame: Frame<'_>,
    headers: &HeaderMap,
    ip: &ClientIp,
    f: &Fields,
) -> Result<Response, AppError> {
    let lang = lang_of(headers);
    let area = frame.area();
    let Some(p) = step::pending(state, area, headers).filter(|p| !p.setup) else {
        return expired(state, &frame, lang, area.code_path()).await;
    };
    let input = f.text("code");
    let mut form = FormState::default();
    if f.text("remember") == "on" {
        form.values.insert("remember".into(), "on".into());
    }
    if input.is_empty() {
        form.errors.insert("code".into(), tr(lang, "validation.required"));
        return code_page(state, frame, headers, form, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if !crate::kit::limits::login_address_allowed(state, area.tenant(), ip).await? {
        return code_page(
            state,
            frame,
            headers,
            form,
            Some(tr(lang, "account.too_many_attempts")),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    let buckets = area.throttle_buckets(&p.key, ip);
    let mut tx = AnyTx::page(state, area.tenant()).await?;
    if let Some(wait) = step::login_wait(tx.conn(), &buckets, false).await? {
        tx.finish().await?;
        let message = tr_with(lang, "twofactor.wait", &[("seconds", &step::wait_secs(wait))]);
        return Ok(crate::kit::page::retry_after(
            code_page(state, frame, headers, form, Some(message), StatusCode::TOO_MANY_REQUESTS).await?,
            wait,
        ));
    }
    // the account may have been revoked or disabled since the password step
    if account_email(&mut tx, p.account).await?.is_none() {
        tx.finish().await?;
        return expired(state, &frame, lang, area.code_path()).await;
    }
    let now = tx.now();
    let verdict = factor::verify(tx.conn(), state.oidc.key(), area.owner(p.account), &input, now, true).await?;
    let problem = match verdict {
        Verdict::Code | Verdict::Recovery { .. } => None,
        Verdict::Reused => Some("twofactor.code_reused"),
        Verdict::Wrong => Some("twofactor.code_wrong"),
    };
    if let Some(key) = problem {
        step::login_failed(tx.conn(), &buckets, ip).await?;
        tx.finish().await?;
        metrics::counter!("second_factor_total", "result" => if verdict == Verdict::Reused { "reused" } else { "wrong" }).increment(1);
        form.errors.insert("code".into(), tr(lang, key));
        return code_page(state, frame, headers, form, None, StatusCode::UNAUTHORIZED).await;
    }
    metrics::counter!("second_factor_total", "result" => if verdict == Verdict::Code { "code" } else { "recovery" })
        .increment(1);
    step::login_succeeded(tx.conn(), &buckets).await?;
    let device = if f.text("remember") == "on" {
        let agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
        Some(factor::remember(tx.conn(), area.owner(p.account), &pages::device_label(agent), now).await?)
    } else {
        None
    };
    let r = start_session(state, tx, headers, ip, &p, verdict).await?;
    Ok(match device {
        Some(token) => with_cookie(
            r,
            &cookies::set(
                area.device_cookie(),
                &token,
                state.config.secure_cookies,
                Some(factor::DEVICE_DAYS * 86_400),
                true,
            ),
        ),
        None => r,
    })
}

/// Starts the session of a login whose second step passed, in the step's transaction.
async fn start_session(
    state: &AppState,
    tx: AnyTx,
    headers: &HeaderMap,
    ip: &ClientIp,
    p: &Pending,
    verdict: Verdict,
) -> Result<Response, AppError> {
    // after a recovery code the security page says how many are left
    let next = match verdict {
        Verdict::Recovery { .. } => match tx {
            AnyTx::Platform(_) => paths::CONSOLE_SECURITY.path().to_owned(),
            AnyTx::Tenant(_) => paths::STAFF_SECURITY.path().to_owned(),
        },
        _ => p.next.clone(),
    };
    match tx {
        AnyTx::Platform(mut t) => {
            let r = step::start_console_session(state, &mut t, headers, ip, p.account, &next).await?;
            t.finish().await?;
            tracing::info!(operator.id = %p.account, "operator logged in with a second factor");
            Ok(r)
        }
        AnyTx::Tenant(mut t) => {
            let r = step::start_staff_session(state, &mut t, headers, p.account, &next).await?;
            tracing::info!(tenant.id = %t.tenant_id(), staff.id = %p.account, "staff logged in with a second factor");
            t.finish().await?;
            Ok(r)
        }
    }
}

async fn setup_page(
    state: &AppState,
    frame: Frame<'_>,
    headers: &HeaderMap,
    form: FormState,
    status: StatusCode,
) -> Result<Response, AppError> {
    let lang = lang_of(headers);
    let area = frame.area();
    let Some(p) = step::pending(state, area, headers).filter(|p| p.setup) else {
        return expired(state, &frame, lang, area.setup_path()).await;
    };
    let Some(secret) = p.secret.clone() else { return expired(state, &frame, lang, area.setup_path()).await };
    let mut tx = AnyTx::page(state, area.tenant()).await?;
    let Some(email) = account_email(&mut tx, p.account).await? else {
        return expired(state, &frame, lang, area.setup_path()).await;
    };
    let enabled = factor::enabled(tx.conn(), area.owner(p.account)).await?;
    tx.finish().await?;
    // set up already (in another browser): the code page follows
    if enabled {
        return Ok(step::to_second_step(state, area, &Pending { setup: false, ..p }));
    }
    let e = factor::enrolment(&secret, &frame.issuer(), &email)
        .ok_or_else(|| AppError::internal(std::io::Error::other("the enrolment of a fresh secret failed")))?;
    let (csrf, new) = anon_csrf(headers);
    let mut form = form;
    form.order = vec!["code".into()];
    let blocks = vec![
        Block::Text(tr(lang, "twofactor.setup_intro")),
        portal_ui::security::qr_block(e.qr_path, e.qr_side, tr(lang, "twofactor.qr_label")),
        Block::Facts(vec![
            (tr(lang, "twofactor.secret"), e.secret_grouped, None),
            (tr(lang, "twofactor.account"), email, None),
        ]),
        Block::Text(tr(lang, "twofactor.setup_confirm")),
        Block::Form(FormSpec {
            action: area.setup_path().into(),
            csrf: csrf.clone(),
            form,
            fields: vec![code_field(lang, false)],
            submit: tr(lang, "twofactor.setup_submit"),
            danger: false,
            secondary: None,
        }),
    ];
    let r = frame.page(state, lang, area.setup_path(), status, tr(lang, "twofactor.setup_title"), blocks).await?;
    Ok(crate::kit::page::no_store(set_anon_csrf(state, r, &csrf, new)))
}

/// Confirms the set-up with a first code; the session starts and the recovery codes are shown once.
async fn confirm_setup(
    state: &AppState,
    frame: Frame<'_>,
    headers: &HeaderMap,
    ip: &ClientIp,
    f: &Fields,
) -> Result<Response, AppError> {
    let lang = lang_of(headers);
    let area = frame.area();
    let Some(p) = step::pending(state, area, headers).filter(|p| p.setup) else {
        return expired(state, &frame, lang, area.setup_path()).await;
    };
    let Some(secret) = p.secret.clone() else { return expired(state, &frame, lang, area.setup_path()).await };
    let input = f.text("code");
    if input.is_empty() {
        let mut form = FormState::default();
        form.errors.insert("code".into(), tr(lang, "validation.required"));
        return setup_page(state, frame, headers, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if !crate::kit::limits::login_address_allowed(state, area.tenant(), ip).await? {
        let mut form = FormState::default();
        form.errors.insert("code".into(), tr(lang, "account.too_many_attempts"));
        return setup_page(state, frame, headers, form, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let buckets = area.throttle_buckets(&p.key, ip);
    let mut tx = AnyTx::page(state, area.tenant()).await?;
    if let Some(wait) = step::login_wait(tx.conn(), &buckets, false).await? {
        tx.finish().await?;
        let mut form = FormState::default();
        form.errors.insert("code".into(), tr_with(lang, "twofactor.wait", &[("seconds", &step::wait_secs(wait))]));
        return Ok(crate::kit::page::retry_after(
            setup_page(state, frame, headers, form, StatusCode::TOO_MANY_REQUESTS).await?,
            wait,
        ));
    }
    if account_email(&mut tx, p.account).await?.is_none() {
        tx.finish().await?;
        return expired(state, &frame, lang, area.setup_path()).await;
    }
    let now = tx.now();
    let codes = match factor::confirm(tx.conn(), state.oidc.key(), area.owner(p.account), &secret, &input, now).await? {
        Ok(codes) => codes,
        Err(factor::NotConfirmed::SetUpAlready) => {
            tx.finish().await?;
            return Ok(step::to_second_step(state, area, &Pending { setup: false, ..p }));
        }
        Err(factor::NotConfirmed::WrongCode) => {
            step::login_failed(tx.conn(), &buckets, ip).await?;
            tx.finish().await?;
            let mut form = FormState::default();
            form.errors.insert("code".into(), tr(lang, "twofactor.code_wrong"));
            return setup_page(state, frame, headers, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    step::login_succeeded(tx.conn(), &buckets).await?;
    let next = p.next.clone();
    let started = start_session(state, tx, headers, ip, &p, Verdict::Code).await?;
    tracing::info!(account = %p.account, "second factor set up");
    // the codes are shown on this answer, once; the session's cookies come with it
    let blocks = vec![
        Block::Notice("success", tr(lang, "twofactor.setup_done")),
        Block::Text(tr(lang, "twofactor.codes_intro")),
        portal_ui::security::codes_block(codes),
        Block::Links(vec![(next, tr(lang, "twofactor.continue"))]),
    ];
    let page =
        frame.page(state, lang, area.setup_path(), StatusCode::OK, tr(lang, "twofactor.codes_title"), blocks).await?;
    Ok(crate::kit::page::no_store(pages::carry_cookies(started, page)))
}

// ---------------------------------------------------------------------------------------------
// the handlers of both areas

async fn console_code_form(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    code_page(&state, Frame::Console, &headers, FormState::default(), None, StatusCode::OK).await
}

async fn console_code(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ip: ClientIp,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    check_code(&state, Frame::Console, &headers, &ip, &f).await
}

async fn console_setup_form(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    setup_page(&state, Frame::Console, &headers, FormState::default(), StatusCode::OK).await
}

async fn console_setup(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    ip: ClientIp,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    confirm_setup(&state, Frame::Console, &headers, &ip, &f).await
}

async fn staff_code_form(
    axum::extract::State(state): axum::extract::State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    code_page(&state, Frame::Staff(&ctx), &headers, FormState::default(), None, StatusCode::OK).await
}

async fn staff_code(
    axum::extract::State(state): axum::extract::State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    check_code(&state, Frame::Staff(&ctx), &headers, &ip, &f).await
}

async fn staff_setup_form(
    axum::extract::State(state): axum::extract::State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    setup_page(&state, Frame::Staff(&ctx), &headers, FormState::default(), StatusCode::OK).await
}

async fn staff_setup(
    axum::extract::State(state): axum::extract::State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    confirm_setup(&state, Frame::Staff(&ctx), &headers, &ip, &f).await
}

/// Sends a logged-in member to the set-up (their own choice, or after a reset).
pub(crate) fn enrol_redirect(
    state: &AppState,
    area: Area,
    account: uuid::Uuid,
    key: String,
    next: &str,
    now: time::OffsetDateTime,
) -> Response {
    step::to_second_step(
        state,
        area,
        &Pending { account, at: now.unix_timestamp(), setup: true, next: next.to_owned(), key, secret: None },
    )
}

/// The redirect after a change on a security page.
pub(crate) fn back(path: &str, notice: &str) -> Response {
    see_other(&format!("{path}?hinweis={notice}"))
}
