//! The office's documents page: the documents issued lately, per service whether it issues by
//! itself and when holders are reminded, and the tenant's signing keys with their rotation and
//! withdrawal.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_documents::keys::KeyState;
use portal_documents::token::{Kid, kid_hex};
use portal_documents::{ServiceSetting, keys, repo};
use portal_domain::Lang;
use portal_domain::ServiceSlug;
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};

use super::issue::{state_text, validity_badge};
use super::paths;
use crate::kit::dates::{fmt_day, fmt_time};
use crate::kit::office::{audit, staff_page};
use crate::kit::page::see_other;
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;

/// The settings form's field names, one pair per service (ids stay unique on the page).
fn setting_names(service: &str) -> (String, String) {
    (format!("{service}-auto"), format!("{service}-reminder"))
}

async fn page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    failed: Option<(String, FormState)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    s.require(state, Resource::Documents, Action::Read)?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    // a case worker sees the documents of the services in their scope only
    let scope = crate::shared::cases::case_scope(&s.principal);
    let recent = repo::recent(&mut tx, 100, scope.as_deref()).await?;
    let keys = keys::public_keys(&mut tx).await?;
    let mut settings = Vec::new();
    for t in state.documents.catalogue.all() {
        if portal_cases::service_form(&mut tx, &t.service).await?.is_some() {
            settings.push((t.clone(), repo::setting(&mut tx, t).await?));
        }
    }
    tx.finish().await?;
    let write = s.may(state, Resource::Documents, Action::Write);
    let today = state.db.clock().today();
    let mut blocks = vec![Block::Text(tr(lang, "documents.office_intro"))];
    blocks.push(Block::Table {
        caption: tr(lang, "documents.office_recent"),
        headers: vec![
            tr(lang, "documents.number"),
            tr(lang, "documents.title"),
            tr(lang, "documents.valid"),
            tr(lang, "documents.state"),
            tr(lang, "documents.issued"),
        ],
        rows: recent
            .iter()
            .map(|d| {
                vec![
                    Cell::Link(paths::OFFICE_PDF.with(&[&d.case_id, &d.document_id]), d.number.clone()),
                    Cell::Link(crate::kit::links::OFFICE_CASE.with(&[&d.case_id]), d.title.get(lang).to_owned()),
                    Cell::Text(format!("{} – {}", fmt_day(d.valid_from), fmt_day(d.valid_until))),
                    Cell::Badge(validity_badge(d.validity(today)), state_text(lang, d, today)),
                    Cell::Text(format!("{} · {}", fmt_time(d.issued_at), d.issued_by)),
                ]
            })
            .collect(),
        empty: tr(lang, "documents.office_none"),
    });
    blocks.push(Block::Heading(tr(lang, "documents.settings_heading")));
    for (t, setting) in settings {
        let mut form = match &failed {
            Some((slug, f)) if slug == &t.service => f.clone(),
            _ => FormState::default(),
        };
        let (auto_name, reminder_name) = setting_names(&t.service);
        form.values.entry(reminder_name.clone()).or_insert_with(|| setting.reminder_days.to_string());
        if failed.as_ref().is_none_or(|(slug, _)| slug != &t.service) && setting.auto_issue {
            form.values.insert(auto_name.clone(), "on".into());
        }
        blocks.push(Block::Heading(t.title.get(lang).to_owned()));
        if write {
            blocks.push(Block::Form(FormSpec {
                action: paths::OFFICE_SETTING.with(&[&t.service]),
                csrf: s.csrf.clone(),
                form,
                fields: vec![
                    Field::new(&auto_name, tr(lang, "documents.auto_issue"), FieldKind::Checkbox),
                    Field::new(&reminder_name, tr(lang, "documents.reminder_days"), FieldKind::Text)
                        .hint(tr(lang, "documents.reminder_days_hint"))
                        .required(),
                ],
                submit: tr_with(lang, "documents.save_setting", &[("title", t.title.get(lang))]),
                danger: false,
                secondary: None,
            }));
        } else {
            blocks.push(Block::Facts(vec![
                (
                    tr(lang, "documents.auto_issue"),
                    tr(lang, if setting.auto_issue { "documents.yes" } else { "documents.no" }),
                    None,
                ),
                (tr(lang, "documents.reminder_days"), setting.reminder_days.to_string(), None),
            ]));
        }
    }
    blocks.push(Block::Heading(tr(lang, "documents.keys_heading")));
    let mut headers =
        vec![tr(lang, "documents.kid"), tr(lang, "documents.key_created"), tr(lang, "documents.key_state")];
    if write {
        headers.push(tr(lang, "documents.key_withdrawal"));
    }
    blocks.push(Block::Table {
        caption: tr(lang, "documents.keys_caption"),
        headers,
        rows: keys
            .iter()
            .map(|k| {
                let kid = kid_hex(&k.kid);
                let state = match (k.state(), k.retired_at, k.withdrawn_at) {
                    (KeyState::Withdrawn, _, Some(at)) => {
                        tr_with(lang, "documents.key_withdrawn", &[("at", &fmt_time(at))])
                    }
                    (KeyState::Retired, Some(at), _) => {
                        tr_with(lang, "documents.key_retired", &[("at", &fmt_time(at))])
                    }
                    _ => tr(lang, "documents.key_current"),
                };
                let mut cells = vec![Cell::Text(kid.clone()), Cell::Text(fmt_time(k.created_at)), Cell::Text(state)];
                if write {
                    cells.push(if k.state() == KeyState::Withdrawn {
                        Cell::Text(String::new())
                    } else {
                        let label = tr_with(lang, "documents.withdraw", &[("kid", &kid)]);
                        Cell::Buttons(vec![Button {
                            action: paths::OFFICE_WITHDRAW.with(&[&kid]),
                            csrf: s.csrf.clone(),
                            hidden: vec![],
                            label,
                            danger: true,
                        }])
                    });
                }
                cells
            })
            .collect(),
        empty: tr(lang, "documents.keys_none"),
    });
    if write {
        blocks.push(Block::Text(tr(lang, "documents.rotate_text")));
        blocks.push(Block::Buttons(vec![Button {
            action: paths::OFFICE_ROTATE.path().to_owned(),
            csrf: s.csrf.clone(),
            hidden: vec![],
            label: tr(lang, "documents.rotate"),
            danger: true,
        }]));
        if !keys.is_empty() {
            blocks.push(Block::Text(tr(lang, "documents.withdraw_text")));
        }
    }
    staff_page(state, ctx, lang, paths::OFFICE.path(), Some(s), status, tr(lang, "documents.office_title"), blocks)
        .await
}

pub(super) async fn office(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
) -> Result<Response, AppError> {
    page(&state, &ctx, lang, &s, None, StatusCode::OK).await
}

pub(super) async fn save_setting(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Documents, Action::Write)?;
    let t = state.documents.catalogue.for_service(&slug).ok_or_else(AppError::not_found)?;
    let (auto_name, reminder_name) = setting_names(&t.service);
    let auto_issue = f.text(&auto_name) == "on";
    let raw = f.text(&reminder_name);
    let Some(days) = raw.parse::<i32>().ok().filter(|d| (1..=365).contains(d)) else {
        let mut form = FormState::default();
        form.values.insert(reminder_name.clone(), raw);
        if auto_issue {
            form.values.insert(auto_name, "on".into());
        }
        form.errors.insert(reminder_name, tr(lang, "documents.error_reminder_days"));
        return page(&state, &ctx, lang, &s, Some((t.service.clone(), form)), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    repo::save_setting(&mut tx, &t.service, ServiceSetting { auto_issue, reminder_days: days }).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "document.settings",
        t.service.clone(),
        serde_json::json!({ "auto_issue": auto_issue, "reminder_days": days }),
    )
    .await?;
    tx.finish().await?;
    Ok(see_other(paths::OFFICE.path()))
}

/// A new signing key; the old one retires and keeps verifying what it signed.
pub(super) async fn rotate(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Documents, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let kid = keys::rotate(&mut tx, &state.documents.sealer).await?;
    audit(&mut tx, &s, &ip, "document.key_rotate", kid_hex(&kid), serde_json::json!({})).await?;
    tx.finish().await?;
    Ok(see_other(paths::OFFICE.path()))
}

/// Withdraws a signing key thought known to others (a current one is replaced first): offline
/// checks stop trusting it at their next sync.
pub(super) async fn withdraw(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(kid): Params<String>,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Documents, Action::Write)?;
    let bytes: Vec<u8> = (0..kid.len())
        .step_by(2)
        .filter_map(|i| kid.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    let kid: Kid = bytes.try_into().ok().filter(|k: &Kid| kid_hex(k) == kid).ok_or_else(AppError::not_found)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    if !keys::withdraw(&mut tx, &state.documents.sealer, &kid).await? {
        // unknown, or withdrawn already (a second click): nothing more to do
        tx.finish().await?;
        return Ok(see_other(paths::OFFICE.path()));
    }
    audit(&mut tx, &s, &ip, "document.key_withdraw", kid_hex(&kid), serde_json::json!({})).await?;
    tx.finish().await?;
    Ok(see_other(paths::OFFICE.path()))
}
