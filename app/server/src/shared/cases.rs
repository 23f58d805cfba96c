//! Cases as several capabilities see them: who of the office may see one, a guest's case by its
//! link, the status label and the timeline, and the PDFs of a case for its holder.

use axum::http::HeaderMap;
use axum::response::Response;
use portal_authz::{Principal, Role};
use portal_cases::{self as cases, Actor, Case, EventKind, Status};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_forms::display::sections;
use portal_identity::secret::token_hash;
use portal_ui::blocks::TimelineEntry;
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use crate::kit::dates::fmt_time;
use crate::kit::page::lang_of;
use crate::kit::pipeline::tenant_tx;
use crate::kit::registry::BoxFuture;
use crate::kit::session::{Citizen, Staff};

/// The services a member of staff may see cases of (`None`: all). Admins see all; a case worker
/// limited to services sees those.
pub fn case_scope(p: &Principal) -> Option<Vec<String>> {
    if p.roles.contains(&Role::TenantAdmin) || p.scope_services.is_empty() {
        None
    } else {
        Some(p.scope_services.clone())
    }
}

/// A case of the tenant the member of staff may see (404 otherwise: out of scope looks like absent).
pub async fn visible_case(tx: &mut TenantTx, s: &Staff, case_id: Uuid) -> Result<Case, AppError> {
    let case = cases::get(tx, case_id).await?.ok_or_else(AppError::not_found)?;
    if case_scope(&s.principal).is_some_and(|scope| !scope.contains(&case.service_slug)) {
        return Err(AppError::not_found());
    }
    Ok(case)
}

/// A member of staff as the actor of a case's event.
pub fn actor(s: &Staff) -> Actor {
    Actor::staff(s.user.staff_id, &s.user.display_name)
}

/// A case's status as the citizen and the office read it.
pub fn status_label(lang: Lang, s: Status) -> String {
    tr(lang, &format!("cases.status_{}", s.as_str()))
}

/// A case of this citizen (404 for anyone else's: another's looks like absent).
pub async fn citizen_case(tx: &mut TenantTx, citizen: &Citizen, case_id: Uuid) -> Result<Case, AppError> {
    cases::get(tx, case_id).await?.filter(|c| c.citizen_id == Some(citizen.citizen_id)).ok_or_else(AppError::not_found)
}

/// The case behind a guest's status link (404 for a token of the wrong shape or none).
pub async fn guest_lookup(tx: &mut TenantTx, token: &str) -> Result<Case, AppError> {
    if token.len() != 43 {
        return Err(AppError::not_found());
    }
    cases::by_guest_token(tx, &token_hash(token)).await?.ok_or_else(AppError::not_found)
}

/// Timeline entries; `staff` adds internal notes and assignment entries.
pub fn timeline(
    lang: Lang,
    events: &[cases::Event],
    files: &[cases::StoredFile],
    base: &str,
    staff: bool,
) -> Vec<TimelineEntry> {
    events
        .iter()
        .map(|e| {
            let (title, badge) = match e.kind {
                EventKind::Submitted => (
                    tr(lang, "cases.ev_submitted"),
                    Some((Status::Submitted.badge(), status_label(lang, Status::Submitted))),
                ),
                EventKind::Status => {
                    (tr(lang, "cases.ev_status"), e.status.map(|s| (s.badge(), status_label(lang, s))))
                }
                EventKind::Message if e.actor_kind == "staff" || e.actor_kind == "system" => {
                    (tr(lang, "cases.ev_message_office"), None)
                }
                EventKind::Message => (tr(lang, "cases.ev_message_applicant"), None),
                EventKind::Note => (tr(lang, "cases.ev_note"), None),
                EventKind::Assigned => (tr(lang, "cases.ev_assigned"), None),
                EventKind::Document => (tr(lang, "cases.ev_document"), None),
                EventKind::Anonymised => (tr(lang, "cases.ev_anonymised"), None),
                EventKind::Payment => (tr(lang, "payments.ev_payment"), None),
            };
            let who = if staff || !matches!(e.actor_kind.as_str(), "staff" | "system") {
                e.actor_name.clone()
            } else {
                String::new()
            };
            let text = if e.kind == EventKind::Assigned && e.body.is_empty() {
                tr(lang, "cases.unassigned")
            } else {
                e.body.clone()
            };
            TimelineEntry {
                when: fmt_time(e.at),
                title,
                who,
                text,
                files: files
                    .iter()
                    .filter(|f| f.event_id == Some(e.event_id))
                    .map(|f| (format!("{base}/datei/{}", f.file_id), f.name.clone()))
                    .collect(),
                badge,
                internal: e.internal,
            }
        })
        .filter(|t| staff || !t.internal)
        .collect()
}

/// The PDF receipt of a case.
pub async fn receipt_response(
    tx: &mut TenantTx,
    ctx: &TenantContext,
    lang: Lang,
    case: &Case,
) -> Result<Response, AppError> {
    let schema = cases::form_version(tx, &case.schema_hash).await?;
    let rows = sections(&schema, &case.answers, lang);
    let tenant = portal_tenancy::repo::branding_and_logo_hash(tx)
        .await?
        .map_or_else(|| ctx.entry.name.clone(), |(b, _)| b.display_name);
    let title = tr_with(lang, "cases.receipt_title", &[("service", case.service_name.get(lang))]);
    let pdf = crate::flows::receipt::render(&crate::flows::receipt::Receipt {
        tenant: &tenant,
        title: &title,
        facts: vec![
            (tr(lang, "cases.reference"), case.reference.clone()),
            (tr(lang, "cases.submitted_at"), fmt_time(case.submitted_at)),
            (tr(lang, "cases.applicant"), case.applicant_name.clone()),
            (
                tr(lang, "cases.form_version"),
                format!("{} ({})", schema.version, &case.schema_hash[..12.min(case.schema_hash.len())]),
            ),
        ],
        sections: &rows,
        footer: tr_with(lang, "cases.receipt_footer", &[("created", &fmt_time(tx.now()))]),
    });
    Ok(crate::kit::page::attachment("application/pdf", pdf, &format!("eingangsbestaetigung-{}.pdf", case.reference)))
}

/// Makes one PDF of a case: the receipt of the application, or (from another capability) of its
/// payment.
pub type CasePdf =
    for<'a> fn(&'a mut TenantTx, &'a TenantContext, Lang, &'a Case) -> BoxFuture<'a, Result<Response, AppError>>;

/// The application receipt as a [`CasePdf`].
pub fn application_receipt<'a>(
    tx: &'a mut TenantTx,
    ctx: &'a TenantContext,
    lang: Lang,
    case: &'a Case,
) -> BoxFuture<'a, Result<Response, AppError>> {
    Box::pin(receipt_response(tx, ctx, lang, case))
}

/// A PDF of a citizen's own case.
pub async fn citizen_pdf(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    citizen: &Citizen,
    case_id: Uuid,
    pdf: CasePdf,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let case = citizen_case(&mut tx, citizen, case_id).await?;
    let r = pdf(&mut tx, ctx, lang_of(headers), &case).await?;
    tx.finish().await?;
    Ok(r)
}

/// A PDF of a guest's case, by the status link's token.
pub async fn guest_pdf(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    token: &str,
    pdf: CasePdf,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, token).await?;
    let r = pdf(&mut tx, ctx, lang_of(headers), &case).await?;
    tx.finish().await?;
    Ok(r)
}
