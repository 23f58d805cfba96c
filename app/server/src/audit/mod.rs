//! The audit log: every change staff and operators make, as the tenant's admins (their tenant) and
//! the operations team (every tenant) read it, and the console's view of the job queue.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use portal_authz::audit;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_ui::blocks::{Block, Cell};
use portal_ui::i18n::tr;
use portal_web::{AppError, AppState, TenantContext};

use crate::kit::office::staff_page;
use crate::kit::operator::{OperatorSession, render, require};
use crate::kit::page::Language;
use crate::kit::pipeline::tenant_tx;
use crate::kit::registry::{Capability, NavEntry};
use crate::kit::session::Staff;

pub mod paths;
pub const CAPABILITY: Capability = Capability {
    portal: Some(|| Router::new().route(paths::STAFF_AUDIT_LOG.pattern(), get(staff_audit_log))),
    console: Some(|| {
        Router::new()
            .route(paths::CONSOLE_AUDIT_LOG.pattern(), get(console_audit_log))
            .route(paths::JOBS.pattern(), get(jobs))
    }),
    staff_nav: &[NavEntry {
        order: 90,
        path: paths::STAFF_AUDIT_LOG.path(),
        label: "staff.nav_audit",
        resource: Resource::AuditLog,
        action: Action::Read,
    }],
    console_nav: &[
        NavEntry {
            order: 80,
            path: paths::CONSOLE_AUDIT_LOG.path(),
            label: "console.nav_audit",
            resource: Resource::AuditLog,
            action: Action::Read,
        },
        NavEntry {
            order: 90,
            path: paths::JOBS.path(),
            label: "console.nav_jobs",
            resource: Resource::Jobs,
            action: Action::Read,
        },
    ],
    texts: || JOB_STATES.iter().map(|s| format!("jobs.status_{s}")).collect(),
    ..Capability::named("audit")
};

/// The states of a queued job (`jobs.status_{status}`).
pub const JOB_STATES: [&str; 4] = ["pending", "running", "done", "failed"];

/// Rows of an audit table.
pub fn audit_rows(lang: Lang, entries: Vec<audit::Entry>, with_tenant: bool) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut headers = vec![tr(lang, "audit.time")];
    if with_tenant {
        headers.push(tr(lang, "audit.tenant"));
    }
    headers.extend([
        tr(lang, "audit.actor"),
        tr(lang, "audit.action"),
        tr(lang, "audit.object"),
        tr(lang, "audit.source"),
    ]);
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    let rows = entries
        .into_iter()
        .map(|e| {
            let mut row = vec![Cell::Text(e.at.format(&fmt).unwrap_or_default())];
            if with_tenant {
                row.push(Cell::Text(e.tenant_name.unwrap_or_else(|| "–".into())));
            }
            row.extend([
                Cell::Text(format!("{} ({})", e.actor_name, e.actor_kind)),
                Cell::Text(e.action),
                Cell::Text(e.object),
                Cell::Text(e.source_ip.unwrap_or_else(|| "–".into())),
            ]);
            row
        })
        .collect();
    (headers, rows)
}

async fn staff_audit_log(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
) -> Result<Response, AppError> {
    s.require(&state, Resource::AuditLog, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let tenant = tx.tenant_id();
    let entries = audit::list(tx.conn(), Some(tenant), 200, 0).await?;
    tx.finish().await?;
    let (headers_row, rows) = audit_rows(lang, entries, false);
    let blocks = vec![
        Block::Text(tr(lang, "audit.intro")),
        Block::Table { caption: tr(lang, "audit.caption"), headers: headers_row, rows, empty: tr(lang, "audit.none") },
    ];
    staff_page(
        &state,
        &ctx,
        lang,
        paths::STAFF_AUDIT_LOG.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "staff.nav_audit"),
        blocks,
    )
    .await
}

async fn console_audit_log(
    State(state): State<AppState>,
    s: OperatorSession,
    Language(lang): Language,
) -> Result<Response, AppError> {
    require(&state, &s, Resource::AuditLog, Action::Read)?;
    let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
    let entries = audit::list(tx.conn(), None, 300, 0).await?;
    tx.finish().await?;
    let (headers_row, rows) = audit_rows(lang, entries, true);
    let blocks = vec![
        Block::Text(tr(lang, "audit.intro_all")),
        Block::Table { caption: tr(lang, "audit.caption"), headers: headers_row, rows, empty: tr(lang, "audit.none") },
    ];
    Ok(render(&state, lang, &s, paths::CONSOLE_AUDIT_LOG.path(), StatusCode::OK, tr(lang, "audit.title"), blocks))
}

async fn jobs(
    State(state): State<AppState>,
    s: OperatorSession,
    Language(lang): Language,
) -> Result<Response, AppError> {
    require(&state, &s, Resource::Jobs, Action::Read)?;
    let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
    let list = portal_mail::queue::recent(tx.conn(), 200).await?;
    tx.finish().await?;
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let rows = list
        .into_iter()
        .map(|j| {
            let kind = match j.status.as_str() {
                "failed" => "danger",
                "done" => "success",
                _ => "info",
            };
            vec![
                Cell::Text(j.created_at.format(&fmt).unwrap_or_default()),
                Cell::Text(j.tenant_name.unwrap_or_else(|| "–".into())),
                Cell::Text(j.subject.unwrap_or_default()),
                Cell::Text(j.recipient.unwrap_or_default()),
                Cell::Badge(kind, tr(lang, &format!("jobs.status_{}", j.status))),
                Cell::Text(j.attempts.to_string()),
                Cell::Text(j.run_at.format(&fmt).unwrap_or_default()),
                Cell::Text(j.last_error.unwrap_or_default()),
            ]
        })
        .collect();
    let headers_row = [
        "jobs.created",
        "audit.tenant",
        "jobs.subject",
        "jobs.recipient",
        "jobs.status",
        "jobs.attempts",
        "jobs.next_run",
        "jobs.last_error",
    ]
    .iter()
    .map(|k| tr(lang, k))
    .collect();
    let blocks = vec![
        Block::Text(tr(lang, "jobs.intro")),
        Block::Table { caption: tr(lang, "jobs.caption"), headers: headers_row, rows, empty: tr(lang, "jobs.none") },
    ];
    Ok(render(&state, lang, &s, paths::JOBS.path(), StatusCode::OK, tr(lang, "jobs.title"), blocks))
}
