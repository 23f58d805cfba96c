//! The PDF of a document, for its holder (account or guest link), and for the office within its
//! scope: anyone else gets 404.

use crate::kit::params::Params;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_db::TenantTx;
use portal_documents::pdf::{self, Sheet};
use portal_documents::{Document, Fact};
use portal_domain::Lang;
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;
use uuid::Uuid;

use crate::kit::dates::{fmt_date, fmt_day};
use crate::kit::page::{attachment, lang_of};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::{Citizen, Staff};

#[derive(Debug, Deserialize)]
pub(super) struct Format {
    #[serde(default)]
    format: String,
}

fn colour(hex: &str) -> (f32, f32, f32) {
    let h = hex.trim_start_matches('#');
    let c =
        |i: usize| h.get(i..i + 2).and_then(|x| u8::from_str_radix(x, 16).ok()).map_or(0.2, |v| f32::from(v) / 255.0);
    (c(0), c(2), c(4))
}

/// The document as PDF bytes: A4, or the windscreen card (parking permits).
pub async fn render(
    state: &AppState,
    tx: &mut TenantTx,
    ctx: &TenantContext,
    lang: Lang,
    d: &Document,
    card: bool,
) -> Result<Vec<u8>, AppError> {
    let branding = portal_tenancy::repo::branding_and_logo_hash(tx).await?.map(|(b, _)| b);
    let tenant = branding.as_ref().map_or_else(|| ctx.entry.name.clone(), |b| b.display_name.clone());
    let address: Vec<String> = branding
        .as_ref()
        .and_then(|b| b.address.clone())
        .map(|a| a.split(',').map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect())
        .unwrap_or_default();
    let rgb = branding.as_ref().map_or((0.1, 0.37, 0.71), |b| colour(b.primary_colour.as_str()));
    let mut facts: Vec<(String, String)> =
        d.facts.iter().map(|f| (f.label.get(lang).to_owned(), f.value.get(lang).to_owned())).collect();
    facts.push((tr(lang, "documents.valid_from"), fmt_day(d.valid_from)));
    facts.push((tr(lang, "documents.valid_until"), fmt_day(d.valid_until)));
    let card_lines: Vec<(String, String)> = d
        .facts
        .iter()
        .filter(|f| matches!(f.fact, Fact::Plate | Fact::Zone))
        .map(|f| (f.label.get(lang).to_owned(), f.value.get(lang).to_owned()))
        .chain(std::iter::once((tr(lang, "documents.valid_until"), fmt_day(d.valid_until))))
        .collect();
    let title = d.title.get(lang).to_owned();
    let base = d.portal_url.as_str();
    // an anonymised document has no token left to print (see `respond` and `office_pdf`)
    let check_url = format!("{base}/pruefen/{}", d.token.as_deref().unwrap_or_default());
    let subtitle =
        tr_with(lang, "documents.pdf_subtitle", &[("number", &d.number), ("issued", &fmt_date(d.issued_at))]);
    let qr_alt = tr_with(lang, "documents.pdf_qr_alt", &[("number", &d.number)]);
    let check_hint =
        tr_with(lang, "documents.pdf_check", &[("url", &format!("{base}/pruefen")), ("number", &d.number)]);
    let footer = tr(lang, "documents.pdf_footer");
    let card_hint = tr(lang, "documents.pdf_card_hint");
    let note =
        state.documents.catalogue.for_service(&d.service_slug).map(|t| t.note.get(lang).to_owned()).unwrap_or_default();
    let note = if note.is_empty() { tr(lang, "documents.pdf_note") } else { note };
    let stamp = tr(lang, "documents.pdf_revoked_stamp");
    let revoked = d.revoked_at.map(|at| {
        tr_with(
            lang,
            "documents.pdf_revoked",
            &[
                ("date", &fmt_date(at)),
                ("reason", d.revoked_reason.as_deref().unwrap_or_default().trim_end_matches('.')),
            ],
        )
    });
    let card = card && d.kind.has_card();
    // laying out, compressing and embedding the fonts is CPU work: off the async runtime
    crate::kit::cpu::run("pdf", PDF_BUDGET, move || {
        let sheet = Sheet {
            lang: lang.pick("de-DE", "en-GB"),
            tenant: &tenant,
            address: &address,
            colour: rgb,
            title: &title,
            subtitle: &subtitle,
            facts: &facts,
            note: &note,
            qr: &check_url,
            qr_alt: &qr_alt,
            check_hint: &check_hint,
            footer: &footer,
            card_lines: &card_lines,
            card_hint: &card_hint,
            revoked: revoked.as_deref().map(|r| (stamp.as_str(), r)),
        };
        if card { pdf::card(&sheet) } else { pdf::a4(&sheet) }
    })
    .await
}

/// How long rendering a document may take (it takes milliseconds).
const PDF_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

async fn respond(
    state: &AppState,
    tx: &mut TenantTx,
    ctx: &TenantContext,
    headers: &HeaderMap,
    d: &Document,
    format: &Format,
) -> Result<Response, AppError> {
    if d.revoked_at.is_some() || d.token.is_none() {
        // a revoked document is not handed out again, nor one whose case was anonymised
        return Err(AppError::not_found());
    }
    let card = format.format == "karte";
    let bytes = render(state, tx, ctx, lang_of(headers), d, card).await?;
    let name =
        format!("{}{}.pdf", d.number.to_ascii_lowercase(), if card && d.kind.has_card() { "-karte" } else { "" });
    Ok(attachment("application/pdf", bytes, &name))
}

/// The holder's download from the account.
pub(super) async fn citizen_pdf(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    citizen: Citizen,
    Params((case_id, doc_id)): Params<(Uuid, Uuid)>,
    Query(f): Query<Format>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let d = portal_documents::repo::get(&mut tx, doc_id)
        .await?
        .filter(|d| d.case_id == case_id && d.citizen_id == Some(citizen.citizen_id))
        .ok_or_else(AppError::not_found)?;
    let r = respond(&state, &mut tx, &ctx, &headers, &d, &f).await?;
    tx.finish().await?;
    Ok(r)
}

/// A guest's download through the status link.
pub(super) async fn guest_pdf(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Params((token, doc_id)): Params<(String, Uuid)>,
    Query(f): Query<Format>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = crate::shared::cases::guest_lookup(&mut tx, &token).await?;
    let d = portal_documents::repo::get(&mut tx, doc_id)
        .await?
        .filter(|d| d.case_id == case.case_id)
        .ok_or_else(AppError::not_found)?;
    let r = respond(&state, &mut tx, &ctx, &headers, &d, &f).await?;
    tx.finish().await?;
    Ok(r)
}

/// The office's download, for cases in the staff member's scope.
pub(super) async fn office_pdf(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    s: Staff,
    Params((case_id, doc_id)): Params<(Uuid, Uuid)>,
    Query(f): Query<Format>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Documents, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    crate::shared::cases::visible_case(&mut tx, &s, case_id).await?;
    let d = portal_documents::repo::get(&mut tx, doc_id)
        .await?
        .filter(|d| d.case_id == case_id)
        .ok_or_else(AppError::not_found)?;
    if d.token.is_none() {
        // anonymised: what it printed about the holder is gone, and so is its token
        return Err(AppError::not_found());
    }
    if d.revoked_at.is_some() {
        // the office may still look at what it revoked: the sheet says so across the page
        let bytes = render(&state, &mut tx, &ctx, lang_of(&headers), &d, false).await?;
        tx.finish().await?;
        return Ok(attachment("application/pdf", bytes, &format!("{}-widerrufen.pdf", d.number.to_ascii_lowercase())));
    }
    let r = respond(&state, &mut tx, &ctx, &headers, &d, &f).await?;
    tx.finish().await?;
    Ok(r)
}
