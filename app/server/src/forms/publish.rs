//! Publishing: the checks and the difference to the live version, then the new version; the list
//! of versions and the roll back to one of them.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_cases::builder::{self, BuilderError};
use portal_domain::Lang;
use portal_domain::ServiceSlug;
use portal_forms::FormSchema;
use portal_forms::edit;
use portal_ui::blocks::{Block, Button, Cell};
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;

use super::checks::{change_text, problems};
use super::{paths, save_error_text, seen_revision, working};
use crate::kit::dates::fmt_time;
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;

fn empty() -> FormSchema {
    FormSchema { version: 1, guest: false, pages: vec![] }
}

async fn render(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    slug: &str,
    notice: Option<Block>,
    status: StatusCode,
) -> Result<Response, AppError> {
    s.require(state, Resource::Forms, Action::Read)?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let w = working(&mut tx, slug, lang).await?;
    let found = problems(state, &mut tx, lang, slug, &w.schema).await?;
    tx.finish().await?;
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.push(Block::Links(vec![
        (paths::BUILDER.with(&[&w.slug]), tr(lang, "forms.back_to_builder")),
        (paths::VERSIONS.with(&[&w.slug]), tr(lang, "forms.versions")),
    ]));
    let Some(revision) = w.revision else {
        blocks.push(Block::Notice("info", tr(lang, "forms.nothing_to_publish")));
        return staff_page(
            state,
            ctx,
            lang,
            &paths::PUBLISH.with(&[&w.slug]),
            Some(s),
            status,
            tr_with(lang, "forms.publish_title", &[("name", &w.name)]),
            blocks,
        )
        .await;
    };
    blocks.push(Block::Heading(tr(lang, "forms.checks_heading")));
    if found.is_empty() {
        blocks.push(Block::Notice("success", tr(lang, "forms.checks_ok")));
    } else {
        blocks.push(Block::Notice("danger", tr_with(lang, "forms.checks_failed", &[("n", &found.len().to_string())])));
        blocks.push(Block::List(found.clone()));
    }
    let missing = edit::untranslated(&w.schema);
    if !missing.is_empty() {
        blocks
            .push(Block::Notice("warning", tr_with(lang, "forms.untranslated", &[("n", &missing.len().to_string())])));
        blocks.push(Block::List(missing));
    }
    if !w.report.is_empty() {
        blocks
            .push(Block::Notice("warning", tr_with(lang, "forms.report_open", &[("n", &w.report.len().to_string())])));
    }
    blocks.push(Block::Heading(tr(lang, "forms.diff_heading")));
    let changes = edit::diff(w.live.as_ref().unwrap_or(&empty()), &w.schema);
    if changes.is_empty() {
        blocks.push(Block::Text(tr(lang, "forms.diff_none")));
    } else {
        blocks.push(Block::List(changes.iter().map(|c| change_text(lang, c)).collect()));
    }
    if found.is_empty() && s.may(state, Resource::Forms, Action::Write) {
        blocks.push(Block::Buttons(vec![Button {
            action: paths::PUBLISH.with(&[&w.slug]),
            csrf: s.csrf.clone(),
            hidden: vec![("revision".into(), revision.to_string())],
            label: tr(lang, "forms.publish"),
            danger: false,
        }]));
    }
    staff_page(
        state,
        ctx,
        lang,
        &paths::PUBLISH.with(&[&w.slug]),
        Some(s),
        status,
        tr_with(lang, "forms.publish_title", &[("name", &w.name)]),
        blocks,
    )
    .await
}

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(slug): Params<ServiceSlug>,
) -> Result<Response, AppError> {
    render(&state, &ctx, lang, &s, &slug, None, StatusCode::OK).await
}

/// Publishes the draft the editor checked (the checks run again here, on the draft as saved).
pub(super) async fn publish(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let Some(seen) = seen_revision(&f) else { return Err(AppError::bad_request()) };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let w = working(&mut tx, &slug, lang).await?;
    if w.revision != Some(seen) {
        drop(tx);
        let message = tr_with(
            lang,
            "forms.error_conflict",
            &[("revision", &w.revision_value()), ("by", &w.draft_by.clone().unwrap_or_default())],
        );
        return render(&state, &ctx, lang, &s, &slug, Some(Block::Notice("danger", message)), StatusCode::CONFLICT)
            .await;
    }
    if !problems(&state, &mut tx, lang, &slug, &w.schema).await?.is_empty() {
        drop(tx);
        return render(
            &state,
            &ctx,
            lang,
            &s,
            &slug,
            Some(Block::Notice("danger", tr(lang, "forms.error_publish_checks"))),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match builder::publish(&mut tx, &slug, seen, &s.user.display_name).await {
        Ok(number) => {
            audit(&mut tx, &s, &ip, "form.publish", slug.to_string(), serde_json::json!({ "version": number, "revision": seen, "schema_hash": portal_cases::hash_of(&w.schema) })).await?;
            tx.finish().await?;
            state.content.invalidate(ctx.entry.tenant_id);
            Ok(Notice::Published.redirect(&paths::VERSIONS.with(&[&slug])))
        }
        Err(
            e @ (BuilderError::Conflict { .. }
            | BuilderError::NoDraft
            | BuilderError::Invalid(_)
            | BuilderError::NotActive),
        ) => {
            drop(tx);
            let message = save_error_text(lang, &e).unwrap_or_default();
            render(&state, &ctx, lang, &s, &slug, Some(Block::Notice("danger", message)), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct Q {
    hinweis: Option<String>,
}

async fn versions_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    slug: &str,
    notice: Option<Block>,
    status: StatusCode,
) -> Result<Response, AppError> {
    s.require(state, Resource::Forms, Action::Read)?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let w = working(&mut tx, slug, lang).await?;
    let list = builder::publications(&mut tx, slug).await?;
    tx.finish().await?;
    let write = s.may(state, Resource::Forms, Action::Write);
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.push(Block::Links(vec![(paths::BUILDER.with(&[&w.slug]), tr(lang, "forms.back_to_builder"))]));
    blocks.push(Block::Text(tr(lang, "forms.versions_intro")));
    let live = w.live.clone().unwrap_or_else(empty);
    let rows = list
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let changes = edit::diff(&p.schema, &live);
            let mut row = vec![
                Cell::Text(p.number.to_string()),
                Cell::Text(format!("{} · {}", fmt_time(p.published_at), p.published_by)),
                Cell::Text(
                    p.restores.map(|n| tr_with(lang, "forms.restores", &[("n", &n.to_string())])).unwrap_or_default(),
                ),
                if i == 0 {
                    Cell::Badge("success", tr(lang, "forms.live"))
                } else {
                    Cell::Text(tr_with(lang, "forms.changes_to_live", &[("n", &changes.len().to_string())]))
                },
            ];
            if write && i > 0 {
                row.push(Cell::Buttons(vec![Button {
                    action: paths::ROLL_BACK.with(&[&w.slug, &p.number]),
                    csrf: s.csrf.clone(),
                    // the version live when the page was shown: a retried or stale roll back is refused
                    hidden: vec![("live".into(), w.live_version.to_string())],
                    label: tr_with(lang, "forms.roll_back", &[("n", &p.number.to_string())]),
                    danger: false,
                }]));
            } else if write {
                row.push(Cell::Text(String::new()));
            }
            row
        })
        .collect();
    let mut headers = vec![
        tr(lang, "forms.col_version"),
        tr(lang, "forms.col_published"),
        tr(lang, "forms.col_restores"),
        tr(lang, "forms.col_state"),
    ];
    if write {
        headers.push(tr(lang, "forms.col_actions"));
    }
    blocks.push(Block::Table {
        caption: tr(lang, "forms.versions"),
        headers,
        rows,
        empty: tr(lang, "forms.no_versions"),
    });
    staff_page(
        state,
        ctx,
        lang,
        &paths::VERSIONS.with(&[&w.slug]),
        Some(s),
        status,
        tr_with(lang, "forms.versions_title", &[("name", &w.name)]),
        blocks,
    )
    .await
}

pub(super) async fn versions(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(slug): Params<ServiceSlug>,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    let notice = Notice::parse(q.hinweis.as_deref()).and_then(|n| match n {
        Notice::Published => Some(Block::Notice("success", tr(lang, "forms.notice_published"))),
        _ => None,
    });
    versions_page(&state, &ctx, lang, &s, &slug, notice, StatusCode::OK).await
}

/// Publishes an earlier version again, if it still fits what depends on the form.
pub(super) async fn roll_back(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params((slug, number)): Params<(ServiceSlug, i32)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let w = working(&mut tx, &slug, lang).await?;
    if f.text("live") != w.live_version.to_string() || number >= w.live_version {
        drop(tx);
        let message = tr_with(lang, "forms.error_roll_back_stale", &[("n", &w.live_version.to_string())]);
        return versions_page(
            &state,
            &ctx,
            lang,
            &s,
            &slug,
            Some(Block::Notice("danger", message)),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let old = builder::publication(&mut tx, &slug, number).await?;
    let found = problems(&state, &mut tx, lang, &slug, &old).await?;
    if !found.is_empty() {
        drop(tx);
        let message =
            tr_with(lang, "forms.error_roll_back", &[("n", &number.to_string()), ("problems", &found.join(" · "))]);
        return versions_page(
            &state,
            &ctx,
            lang,
            &s,
            &slug,
            Some(Block::Notice("danger", message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let new = match builder::roll_back(&mut tx, &slug, number, &s.user.display_name).await {
        Ok(n) => n,
        Err(BuilderError::NotActive) => {
            drop(tx);
            return versions_page(
                &state,
                &ctx,
                lang,
                &s,
                &slug,
                Some(Block::Notice("danger", tr(lang, "forms.error_not_active"))),
                StatusCode::CONFLICT,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    audit(
        &mut tx,
        &s,
        &ip,
        "form.roll_back",
        slug.to_string(),
        serde_json::json!({ "version": new, "restores": number }),
    )
    .await?;
    tx.finish().await?;
    state.content.invalidate(ctx.entry.tenant_id);
    Ok(Notice::Published.redirect(&paths::VERSIONS.with(&[&slug])))
}
