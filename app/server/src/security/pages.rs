//! Each account's security page: whether the second factor is set up, the recovery codes left and
//! a new set (with a current code), the remembered devices; for operators their sessions; for a
//! tenant admin whom the tenant requires a second factor of.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_identity::second_factor::{self as factor, Device, Owner, Verdict};
use portal_identity::staff::{self, SecondFactorPolicy};
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;
use uuid::Uuid;

use super::{back, code_field, enrol_redirect, paths};
use crate::kit::dates::fmt_time;
use crate::kit::form::Fields;
use crate::kit::office::{audit, staff_page};
use crate::kit::operator::{OperatorSession, render, require};
use crate::kit::pipeline::AnyTx;
use crate::kit::second_factor::{self as step, Area};
use crate::kit::session::Staff;
mod staff_area;
pub(super) use staff_area::*;

#[derive(Deserialize, Default)]
pub(super) struct Q {
    #[serde(default)]
    hinweis: Option<String>,
}

/// The notices of the security pages (`?hinweis=`).
fn notice(lang: Lang, code: Option<&str>) -> Option<Block> {
    let key = match code? {
        "geraete" => "twofactor.devices_forgotten",
        "sitzungen" => "twofactor.sessions_ended",
        "entfernt" => "twofactor.removed",
        "richtlinie" => "twofactor.policy_saved",
        _ => return None,
    };
    Some(Block::Notice("success", tr(lang, key)))
}

/// A short name of the browser and system from its user agent ("Firefox · Linux").
pub(super) fn device_label(agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(k, _)| agent.contains(k))
    .map_or("Browser", |(_, n)| n);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(k, _)| agent.contains(k))
    .map_or("", |(_, n)| n);
    if system.is_empty() { browser.to_owned() } else { format!("{browser} · {system}") }
}

/// `page` with the cookies `from` sets (the session started with the set-up's last answer).
pub(super) fn carry_cookies(from: Response, mut page: Response) -> Response {
    for v in from.headers().get_all(header::SET_COOKIE) {
        page.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    page
}

fn button(action: &str, csrf: &str, hidden: Vec<(String, String)>, label: String, danger: bool) -> Button {
    Button { action: action.to_owned(), csrf: csrf.to_owned(), hidden, label, danger }
}

/// The blocks both areas show: status, new recovery codes, remembered devices.
fn factor_blocks(
    lang: Lang,
    csrf: &str,
    status: &factor::Status,
    devices: &[Device],
    new_codes_path: &str,
    forget_path: &str,
) -> Vec<Block> {
    let state_badge = if status.enabled {
        ("success", tr(lang, "twofactor.enabled"))
    } else {
        ("warning", tr(lang, "twofactor.disabled"))
    };
    let mut blocks = vec![Block::Facts(vec![
        (tr(lang, "twofactor.app"), String::new(), Some(state_badge)),
        (
            tr(lang, "twofactor.recovery_left"),
            status.recovery_left.to_string(),
            (status.enabled && status.recovery_left <= 3).then(|| ("danger", tr(lang, "twofactor.recovery_low"))),
        ),
    ])];
    if status.enabled {
        blocks.push(Block::Heading(tr(lang, "twofactor.new_codes_heading")));
        blocks.push(code_form(lang, new_codes_path, csrf, FormState::default(), "twofactor.new_codes_submit", false));
    }
    blocks.push(Block::Heading(tr(lang, "twofactor.devices_heading")));
    let rows: Vec<Vec<Cell>> = devices
        .iter()
        .map(|d| {
            vec![
                Cell::Text(d.label.clone()),
                Cell::Text(fmt_time(d.created_at)),
                Cell::Text(fmt_time(d.last_used_at)),
                Cell::Buttons(vec![button(
                    forget_path,
                    csrf,
                    vec![("device".into(), d.device_id.to_string())],
                    tr_with(lang, "twofactor.forget", &[("device", &d.label)]),
                    true,
                )]),
            ]
        })
        .collect();
    let any = !rows.is_empty();
    blocks.push(Block::Table {
        caption: tr(lang, "twofactor.devices_caption"),
        headers: vec![
            tr(lang, "twofactor.device"),
            tr(lang, "twofactor.since"),
            tr(lang, "twofactor.last_used"),
            tr(lang, "common.actions"),
        ],
        rows,
        empty: tr(lang, "twofactor.no_devices"),
    });
    if any {
        blocks.push(Block::Buttons(vec![button(
            forget_path,
            csrf,
            vec![("device".into(), "alle".into())],
            tr(lang, "twofactor.forget_all"),
            true,
        )]));
    }
    blocks
}

/// A form with the code field alone (a new set of recovery codes, removing the factor).
fn code_form(lang: Lang, action: &str, csrf: &str, mut form: FormState, submit: &str, danger: bool) -> Block {
    form.order = vec!["code".into()];
    Block::Form(FormSpec {
        action: action.to_owned(),
        csrf: csrf.to_owned(),
        form,
        fields: vec![code_field(lang, false)],
        submit: tr(lang, submit),
        danger,
        secondary: None,
    })
}

/// Which device (or all) a forget form names.
fn device_choice(f: &Fields) -> Result<Option<Uuid>, AppError> {
    match f.text("device").as_str() {
        "alle" => Ok(None),
        id => Uuid::parse_str(id).map(Some).map_err(|_| AppError::bad_request()),
    }
}

/// Whose code a security page checks, and from where.
#[derive(Clone, Copy)]
struct Who<'a> {
    area: Area,
    owner: Owner,
    email: &'a str,
    ip: &'a ClientIp,
}

/// Checks a current code of the app (recovery codes are not taken here: they are for the login)
/// for a change on the security page, counted in the account's delay buckets like a login; `Some`
/// holds the error for the code field.
async fn check_app_code(
    state: &AppState,
    tx: &mut AnyTx,
    who: &Who<'_>,
    lang: Lang,
    input: &str,
) -> Result<Option<String>, AppError> {
    let Who { area, owner, email, ip } = *who;
    let buckets = area.throttle_buckets(&portal_identity::secret::fingerprint(email), ip);
    if let Some(wait) = step::login_wait(tx.conn(), &buckets, false).await? {
        return Ok(Some(tr_with(lang, "twofactor.wait", &[("seconds", &step::wait_secs(wait))])));
    }
    if input.is_empty() {
        return Ok(Some(tr(lang, "validation.required")));
    }
    let now = tx.now();
    let key = match factor::verify(tx.conn(), state.oidc.key(), owner, input, now, false).await? {
        Verdict::Code => {
            step::login_succeeded(tx.conn(), &buckets).await?;
            return Ok(None);
        }
        Verdict::Reused => "twofactor.code_reused",
        _ => "twofactor.code_wrong",
    };
    step::login_failed(tx.conn(), &buckets, ip).await?;
    Ok(Some(tr(lang, key)))
}

/// New recovery codes after a current code of the app; `Err` holds the form with its error.
async fn renew_codes(
    state: &AppState,
    tx: &mut AnyTx,
    who: &Who<'_>,
    lang: Lang,
    f: &Fields,
) -> Result<Result<Vec<String>, FormState>, AppError> {
    if let Some(error) = check_app_code(state, tx, who, lang, &f.text("code")).await? {
        let mut form = FormState { order: vec!["code".into()], ..FormState::default() };
        form.errors.insert("code".into(), error);
        return Ok(Err(form));
    }
    Ok(Ok(factor::new_recovery_codes(tx.conn(), state.oidc.key(), who.owner).await?))
}

fn codes_blocks(lang: Lang, codes: Vec<String>, back_to: &str) -> Vec<Block> {
    vec![
        Block::Notice("success", tr(lang, "twofactor.new_codes_done")),
        Block::Text(tr(lang, "twofactor.codes_intro")),
        portal_ui::security::codes_block(codes),
        Block::Links(vec![(back_to.to_owned(), tr(lang, "twofactor.back"))]),
    ]
}

// ---------------------------------------------------------------------------------------------
// console

async fn console_page(
    state: &AppState,
    s: &OperatorSession,
    lang: Lang,
    top: Option<Block>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let owner = Owner::Operator(s.session.operator.operator_id);
    let mut tx = crate::kit::pipeline::platform_tx(state).await?;
    let now = tx.now();
    let st = factor::status(tx.conn(), owner).await?;
    let devices = factor::devices(tx.conn(), owner, now).await?;
    let sessions = portal_operators::sessions(&mut tx, s.session.operator.operator_id).await?;
    tx.finish().await?;
    let csrf = &s.session.csrf_token;
    let mut blocks: Vec<Block> = top.into_iter().collect();
    blocks.extend(factor_blocks(
        lang,
        csrf,
        &st,
        &devices,
        paths::CONSOLE_NEW_CODES.path(),
        paths::CONSOLE_FORGET_DEVICES.path(),
    ));
    blocks.push(Block::Heading(tr(lang, "twofactor.sessions_heading")));
    let end = paths::CONSOLE_END_SESSIONS.path();
    let rows: Vec<Vec<Cell>> = sessions
        .iter()
        .map(|x| {
            let this = x.session_id == s.session.session_id;
            let label = device_label(&x.origin.user_agent);
            vec![
                if this {
                    Cell::Badge("success", format!("{label} ({})", tr(lang, "twofactor.this_session")))
                } else {
                    Cell::Text(label.clone())
                },
                Cell::Text(x.origin.client_ip.clone()),
                Cell::Text(fmt_time(x.created_at)),
                Cell::Text(fmt_time(x.last_seen_at)),
                Cell::Buttons(vec![button(
                    end,
                    csrf,
                    vec![("session".into(), x.session_id.to_string())],
                    tr_with(lang, "twofactor.end_session", &[("device", &label)]),
                    true,
                )]),
            ]
        })
        .collect();
    blocks.push(Block::Table {
        caption: tr(lang, "twofactor.sessions_caption"),
        headers: vec![
            tr(lang, "twofactor.device"),
            tr(lang, "twofactor.address"),
            tr(lang, "twofactor.since"),
            tr(lang, "twofactor.last_used"),
            tr(lang, "common.actions"),
        ],
        rows,
        empty: String::new(),
    });
    if sessions.len() > 1 {
        blocks.push(Block::Buttons(vec![button(
            end,
            csrf,
            vec![("session".into(), "andere".into())],
            tr(lang, "twofactor.end_others"),
            true,
        )]));
    }
    Ok(render(state, lang, s, paths::CONSOLE_SECURITY.path(), status, tr(lang, "twofactor.title"), blocks))
}

pub(super) async fn console_security(
    State(state): State<AppState>,
    s: OperatorSession,
    Language(lang): Language,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    require(&state, &s, Resource::LoginSecurity, Action::Read)?;
    console_page(&state, &s, lang, notice(lang, q.hinweis.as_deref()), StatusCode::OK).await
}

pub(super) async fn console_new_codes(
    State(state): State<AppState>,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    require(&state, &s, Resource::LoginSecurity, Action::Write)?;
    let mut tx = AnyTx::page(&state, None).await?;
    let o = &s.session.operator;
    let result = renew_codes(
        &state,
        &mut tx,
        &Who { area: Area::Console, owner: Owner::Operator(o.operator_id), email: &o.email, ip: &ip },
        lang,
        &f,
    )
    .await?;
    tx.finish().await?;
    match result {
        Ok(codes) => Ok(crate::kit::page::no_store(render(
            &state,
            lang,
            &s,
            paths::CONSOLE_SECURITY.path(),
            StatusCode::OK,
            tr(lang, "twofactor.codes_title"),
            codes_blocks(lang, codes, paths::CONSOLE_SECURITY.path()),
        ))),
        Err(form) => {
            let spec = code_form(
                lang,
                paths::CONSOLE_NEW_CODES.path(),
                &s.session.csrf_token,
                form,
                "twofactor.new_codes_submit",
                false,
            );
            console_page(&state, &s, lang, Some(spec), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub(super) async fn console_forget_devices(
    State(state): State<AppState>,
    Checked(s, f): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    require(&state, &s, Resource::LoginSecurity, Action::Write)?;
    let device = device_choice(&f)?;
    let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
    factor::forget(tx.conn(), Owner::Operator(s.session.operator.operator_id), device).await?;
    tx.finish().await?;
    Ok(back(paths::CONSOLE_SECURITY.path(), "geraete"))
}

pub(super) async fn console_end_sessions(
    State(state): State<AppState>,
    Checked(s, f): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    require(&state, &s, Resource::LoginSecurity, Action::Write)?;
    let which = match f.text("session").as_str() {
        "andere" => None,
        id => Some(Uuid::parse_str(id).map_err(|_| AppError::bad_request())?),
    };
    let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
    let ended =
        portal_operators::end_sessions(&mut tx, s.session.operator.operator_id, which, s.session.session_id).await?;
    tx.finish().await?;
    tracing::info!(operator.id = %s.session.operator.operator_id, ended, "operator ended sessions");
    // ending this very session is a logout
    if which == Some(s.session.session_id) {
        return Ok(crate::kit::page::see_other(crate::kit::links::CONSOLE_LOGIN.path()));
    }
    Ok(back(paths::CONSOLE_SECURITY.path(), "sitzungen"))
}

// ---------------------------------------------------------------------------------------------
// staff
