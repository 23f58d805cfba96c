//! The documents on the case pages (holder and office), the office's issuing and revocation.
//! Issuing itself is the flow `crate::flows::documents`.

use axum::http::StatusCode;
use portal_authz::{Action, Resource};
use portal_cases::{self as cases, Case, EventKind, Status};
use portal_db::TenantTx;
use portal_documents::repo;
use portal_documents::{Document, Validity};
use portal_domain::Lang;
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::paths;
use crate::flows::filing::applicant_email;
use crate::kit::dates::{fmt_day, fmt_time};
use crate::kit::mail::{base_url, queue};
use crate::kit::office::audit;
use crate::kit::pipeline::tenant_tx;
use crate::kit::registry::{BoxFuture, CaseActionRequest, Outcome};
use crate::kit::session::Staff;
use crate::shared::cases::{actor, visible_case};

pub fn validity_label(lang: Lang, v: Validity) -> String {
    tr(lang, &format!("documents.validity_{}", v.code()))
}

pub fn validity_badge(v: Validity) -> &'static str {
    match v {
        Validity::Valid => "success",
        Validity::NotYetValid => "info",
        Validity::Expired => "warning",
        Validity::Revoked => "danger",
    }
}

/// The state of a document for its holder and the office: valid, revoked, renewed …
pub fn state_text(lang: Lang, d: &Document, today: time::Date) -> String {
    let mut s = validity_label(lang, d.validity(today));
    if d.superseded_by.is_some() && d.revoked_at.is_none() {
        s = format!("{s} · {}", tr(lang, "documents.renewed"));
    }
    s
}

/// The documents box on the holder's case page: download (A4, and the windscreen card of a
/// parking permit), the state, and "Verlängern" for a permit in the account.
pub fn citizen_case_panel<'a>(
    tx: &'a mut TenantTx,
    lang: Lang,
    case: &'a Case,
    base: &'a str,
) -> BoxFuture<'a, Result<Vec<Block>, AppError>> {
    Box::pin(async move {
        let docs = repo::of_case(tx, case.case_id).await?;
        if docs.is_empty() {
            return Ok(vec![]);
        }
        let today = tx.today();
        let mut blocks = vec![Block::Heading(tr(lang, "documents.heading"))];
        for d in &docs {
            blocks.push(Block::Facts(vec![
                (tr(lang, "documents.number"), d.number.clone(), None),
                (tr(lang, "documents.title"), d.title.get(lang).to_owned(), None),
                (tr(lang, "documents.valid"), format!("{} – {}", fmt_day(d.valid_from), fmt_day(d.valid_until)), None),
                (
                    tr(lang, "documents.state"),
                    String::new(),
                    Some((validity_badge(d.validity(today)), state_text(lang, d, today))),
                ),
            ]));
            if d.revoked_at.is_none() {
                let mut links = vec![(
                    format!("{base}/dokument/{}", d.document_id),
                    tr_with(lang, "documents.download", &[("title", d.title.get(lang))]),
                )];
                if d.kind.has_card() {
                    links.push((
                        format!("{base}/dokument/{}?format=karte", d.document_id),
                        tr(lang, "documents.download_card"),
                    ));
                }
                blocks.push(Block::Links(links));
            } else if let Some(reason) = &d.revoked_reason {
                blocks.push(Block::Notice("danger", tr_with(lang, "documents.revoked_because", &[("reason", reason)])));
            }
        }
        Ok(blocks)
    })
}

/// The documents box on the office's case page: issue (when the service has a document type and
/// none is in force), download, revoke with a reason.
pub fn office_case_panel<'a>(
    state: &'a AppState,
    tx: &'a mut TenantTx,
    lang: Lang,
    s: &'a Staff,
    case: &'a Case,
    form: Option<FormState>,
) -> BoxFuture<'a, Result<Vec<Block>, AppError>> {
    Box::pin(async move {
        let Some(t) = state.documents.catalogue.for_service(&case.service_slug) else { return Ok(vec![]) };
        if !s.may(state, Resource::Documents, Action::Read) {
            return Ok(vec![]);
        }
        let docs = repo::of_case(tx, case.case_id).await?;
        let process = s.may(state, Resource::Documents, Action::Process);
        let today = tx.today();
        let mut blocks = vec![Block::Heading(tr(lang, "documents.heading"))];
        let rows = docs
            .iter()
            .map(|d| {
                let mut cells = vec![
                    Cell::Link(paths::OFFICE_PDF.with(&[&case.case_id, &d.document_id]), d.number.clone()),
                    Cell::Text(format!("{} – {}", fmt_day(d.valid_from), fmt_day(d.valid_until))),
                    Cell::Badge(validity_badge(d.validity(today)), state_text(lang, d, today)),
                    Cell::Text(format!("{} · {}", fmt_time(d.issued_at), d.issued_by)),
                ];
                cells.push(match (&d.revoked_reason, process) {
                    (Some(r), _) => Cell::Text(r.clone()),
                    (None, true) => {
                        let mut f = form
                            .clone()
                            .filter(|f| {
                                f.values.get("revoke_document").is_some_and(|v| v == &d.document_id.to_string())
                            })
                            .unwrap_or_default();
                        f.values.insert("revoke_document".into(), d.document_id.to_string());
                        Cell::Form(Box::new(FormSpec {
                            action: paths::OFFICE_REVOKE.with(&[&case.case_id, &d.document_id]),
                            csrf: s.csrf.clone(),
                            form: f,
                            fields: vec![
                                Field::new("revoke_document", String::new(), FieldKind::Hidden),
                                Field::new(
                                    "revoke_reason",
                                    tr_with(lang, "documents.revoke_reason", &[("number", &d.number)]),
                                    FieldKind::Text,
                                )
                                .hint(tr(lang, "documents.revoke_reason_hint"))
                                .required(),
                            ],
                            submit: tr(lang, "documents.revoke"),
                            danger: true,
                            secondary: None,
                        }))
                    }
                    (None, false) => Cell::Text(String::new()),
                });
                cells
            })
            .collect();
        blocks.push(Block::Table {
            caption: tr_with(lang, "documents.of_case", &[("title", t.title.get(lang))]),
            headers: vec![
                tr(lang, "documents.number"),
                tr(lang, "documents.valid"),
                tr(lang, "documents.state"),
                tr(lang, "documents.issued"),
                tr(lang, "documents.revocation"),
            ],
            rows,
            empty: tr(lang, "documents.none_yet"),
        });
        let live = docs.iter().any(|d| d.revoked_at.is_none());
        if process && !live && matches!(case.status, Status::Approved | Status::Completed) {
            blocks.push(Block::Buttons(vec![Button {
                action: paths::OFFICE_ISSUE.with(&[&case.case_id]),
                csrf: s.csrf.clone(),
                hidden: vec![],
                label: tr_with(lang, "documents.issue", &[("title", t.title.get(lang))]),
                danger: false,
            }]));
        } else if !live && process {
            blocks.push(Block::Text(tr(lang, "documents.issue_after_approval")));
        }
        Ok(blocks)
    })
}

/// The office issues the case's document.
pub fn office_issue<'a>(
    state: &'a AppState,
    ctx: &'a TenantContext,
    request: &'a CaseActionRequest,
) -> BoxFuture<'a, Result<Outcome, AppError>> {
    Box::pin(async move {
        let s = &request.staff;
        s.require(state, Resource::Documents, Action::Process)?;
        let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
        let case = visible_case(&mut tx, s, request.case_id).await?;
        if !matches!(case.status, Status::Approved | Status::Completed) || case.anonymised_at.is_some() {
            return Err(AppError::bad_request());
        }
        let base = base_url(state, &ctx.host, &request.headers);
        let Some((doc, created)) =
            crate::flows::documents::issue_for_case(state, &mut tx, ctx, &base, &case, &actor(s)).await?
        else {
            return Err(AppError::not_found());
        };
        if created {
            audit(
                &mut tx,
                s,
                &request.ip,
                "document.issue",
                doc.number.clone(),
                serde_json::json!({ "case": case.reference, "until": doc.valid_until.to_string() }),
            )
            .await?;
        }
        tx.finish().await?;
        Ok(Outcome::Done(None))
    })
}

/// The office revokes a document with a reason; the holder is told by mail.
pub fn office_revoke<'a>(
    state: &'a AppState,
    ctx: &'a TenantContext,
    request: &'a CaseActionRequest,
) -> BoxFuture<'a, Result<Outcome, AppError>> {
    Box::pin(revoke(state, ctx, request))
}

async fn revoke(state: &AppState, ctx: &TenantContext, request: &CaseActionRequest) -> Result<Outcome, AppError> {
    let CaseActionRequest { staff: s, lang, case_id: id, fields: f, .. } = request;
    let (lang, id) = (*lang, *id);
    let doc_id = request.params.first().and_then(|d| Uuid::parse_str(d).ok()).ok_or_else(AppError::not_found)?;
    s.require(state, Resource::Documents, Action::Process)?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let case = visible_case(&mut tx, s, id).await?;
    let doc = repo::get(&mut tx, doc_id).await?.filter(|d| d.case_id == id).ok_or_else(AppError::not_found)?;
    let reason = f.text("revoke_reason");
    let revoked = match repo::revoke(&mut tx, doc.document_id, &reason, &s.user.display_name).await {
        Ok(d) => d,
        Err(portal_documents::DocumentError::Reason) => {
            let mut form = FormState::default();
            form.values.insert("revoke_document".into(), doc_id.to_string());
            form.values.insert("revoke_reason".into(), reason);
            form.errors.insert("revoke_reason".into(), tr(lang, "documents.error_reason"));
            return Ok(Outcome::Again(form, StatusCode::UNPROCESSABLE_ENTITY));
        }
        // revoked already (a second click): nothing more to do
        Err(portal_documents::DocumentError::AlreadyRevoked) => {
            tx.finish().await?;
            return Ok(Outcome::Done(None));
        }
        Err(e) => return Err(e.into()),
    };
    audit(
        &mut tx,
        s,
        &request.ip,
        "document.revoke",
        revoked.number.clone(),
        serde_json::json!({ "case": case.reference, "reason": revoked.revoked_reason }),
    )
    .await?;
    let clang = case.lang;
    let text = tr_with(
        clang,
        "documents.ev_revoked",
        &[("number", &revoked.number), ("reason", revoked.revoked_reason.as_deref().unwrap_or_default())],
    );
    cases::add_event(&mut tx, case.case_id, EventKind::Document, None, &actor(s), &text, false).await?;
    let base = base_url(state, &ctx.host, &request.headers);
    if let (Some(to), Some(link)) =
        (applicant_email(&mut tx, &case).await?, crate::flows::documents::case_link(&base, &case))
    {
        let mail = crate::documents::mails::revoked(
            revoked.title.get(clang).to_owned(),
            revoked.number.clone(),
            revoked.revoked_reason.clone().unwrap_or_default(),
            link,
        );
        queue(&mut tx, ctx, &base, clang, &to, mail).await?;
    }
    tx.finish().await?;
    metrics::counter!("documents_revoked_total").increment(1);
    Ok(Outcome::Done(None))
}
