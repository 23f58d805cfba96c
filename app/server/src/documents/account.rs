//! The holder's documents in the Bürgerkonto, and "Verlängern": a new application of the renewal
//! service, filled from the permit and the account.

use crate::kit::checked::Checked;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use portal_cases::{self as cases, Owner};
use portal_documents::repo;
use portal_forms::answers::Value;
use portal_ui::blocks::{Block, Button, Cell};
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::issue::{state_text, validity_badge};
use super::paths;
use crate::kit::dates::fmt_day;
use crate::kit::frame::plain_page;
use crate::kit::page::{Language, see_other};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Citizen;

/// The holder's documents, newest first, with download and renewal.
pub(super) async fn mine(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    citizen: Citizen,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let docs = repo::of_citizen(&mut tx, citizen.citizen_id).await?;
    // renewal only where the tenant offers the renewal service
    let services: std::collections::BTreeSet<&str> = docs.iter().map(|d| d.service_slug.as_str()).collect();
    let mut renewable_services = std::collections::BTreeSet::new();
    for service in services {
        if let Some(slug) = state.documents.catalogue.for_service(service).and_then(|t| t.renewal.clone())
            && cases::service_form(&mut tx, &slug).await?.is_some()
        {
            renewable_services.insert(service.to_owned());
        }
    }
    let today = state.db.clock().today();
    let rows = docs
        .iter()
        .map(|d| {
            let mut actions = vec![];
            let renewable =
                d.revoked_at.is_none() && d.superseded_by.is_none() && renewable_services.contains(&d.service_slug);
            if renewable {
                actions.push(Button {
                    action: paths::RENEW.with(&[&d.document_id]),
                    csrf: citizen.csrf.clone(),
                    hidden: vec![],
                    label: tr_with(lang, "documents.renew", &[("number", &d.number)]),
                    danger: false,
                });
            }
            vec![
                if d.revoked_at.is_none() {
                    Cell::Link(paths::CITIZEN_PDF.with(&[&d.case_id, &d.document_id]), d.number.clone())
                } else {
                    Cell::Text(d.number.clone())
                },
                Cell::Text(d.title.get(lang).to_owned()),
                Cell::Text(format!("{} – {}", fmt_day(d.valid_from), fmt_day(d.valid_until))),
                Cell::Badge(validity_badge(d.validity(today)), state_text(lang, d, today)),
                Cell::Buttons(actions),
            ]
        })
        .collect();
    let blocks = vec![
        Block::Text(tr(lang, "documents.mine_intro")),
        Block::Table {
            caption: tr(lang, "documents.mine_caption"),
            headers: vec![
                tr(lang, "documents.number"),
                tr(lang, "documents.title"),
                tr(lang, "documents.valid"),
                tr(lang, "documents.state"),
                tr(lang, "documents.actions"),
            ],
            rows,
            empty: tr(lang, "documents.mine_empty"),
        },
    ];
    plain_page(&state, &ctx, tx, lang, paths::MINE.path(), StatusCode::OK, tr(lang, "documents.mine_title"), blocks)
        .await
}

/// Starts the renewal: a draft of the renewal service with the permit's number, plate and zone and
/// the account's name and address; the citizen checks it, pays and submits as any application.
pub(super) async fn renew(
    State(state): State<AppState>,
    ctx: TenantContext,
    Params(id): Params<Uuid>,
    Checked(citizen, _): Checked<Citizen>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let d = repo::get(&mut tx, id)
        .await?
        .filter(|d| d.citizen_id == Some(citizen.citizen_id) && d.revoked_at.is_none())
        .ok_or_else(AppError::not_found)?;
    let slug = state
        .documents
        .catalogue
        .for_service(&d.service_slug)
        .and_then(|t| t.renewal.clone())
        .ok_or_else(AppError::not_found)?;
    let form = cases::service_form(&mut tx, &slug).await?.ok_or_else(AppError::not_found)?;
    let mut answers = crate::shared::drafts::prefilled_answers(&mut tx, &form.schema, citizen.citizen_id).await?;
    if let Some(previous) = d.answers.as_object() {
        for (k, v) in previous {
            // only the permit's own facts (plate, zone); name and address come from the account
            if form.schema.fields().any(|f| &f.id == k && f.prefill.is_none())
                && let Ok(v) = serde_json::from_value::<Value>(v.clone())
            {
                answers.insert(k.clone(), v);
            }
        }
    }
    answers.insert("previous_number".into(), Value::Text(d.number.clone()));
    let draft = cases::create_draft(&mut tx, &form, &Owner::Citizen(citizen.citizen_id), &answers).await?;
    tx.finish().await?;
    Ok(see_other(&crate::kit::links::DRAFT_PAGE.with(&[&draft.draft_id, &form.schema.pages[0].id])))
}
