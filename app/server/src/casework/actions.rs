//! What staff do with a case: change its status, write to the applicant, note, issue a document, assign it.

use super::*;
use crate::kit::page::Language;

pub(super) async fn change_status(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff, Posted>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Cases, Action::Process)?;
    let text = f.text("text");
    let Some(to) = Status::parse(&f.text("choice")) else {
        return case_page(
            &state,
            &ctx,
            lang,
            &s,
            id,
            Some(("status", text, tr(lang, "casework.choose_step"))),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if text.chars().count() > 4000 {
        return case_page(
            &state,
            &ctx,
            lang,
            &s,
            id,
            Some(("status", text, tr(lang, "cases.text_too_long"))),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let before = visible_case(&mut tx, &s, id).await?;
    let case = match cases::transition(&mut tx, id, to, &text, &actor(&s)).await {
        Ok(c) => c,
        Err(cases::CaseError::TextRequired) => {
            drop(tx);
            let key = if to == Status::Rejected { "casework.reason_required" } else { "casework.question_required" };
            return case_page(
                &state,
                &ctx,
                lang,
                &s,
                id,
                Some(("status", text, tr(lang, key))),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(cases::CaseError::InvalidTransition { from, to }) => {
            drop(tx);
            let msg = tr_with(
                lang,
                "casework.invalid_transition",
                &[("from", &status_label(lang, from)), ("to", &status_label(lang, to))],
            );
            return case_page(&state, &ctx, lang, &s, id, Some(("top", String::new(), msg)), StatusCode::CONFLICT)
                .await;
        }
        Err(e) => return Err(e.into()),
    };
    audit(
        &mut tx,
        &s,
        &ip,
        "case.status",
        case.reference.clone(),
        serde_json::json!({ "from": before.status.as_str(), "to": to.as_str() }),
    )
    .await?;
    notify(&state, &ctx, &headers, &mut tx, &case, &text).await?;
    if to == Status::Approved {
        crate::flows::documents::issue_if_due(&state, &mut tx, &ctx, &base_url(&state, &ctx.host, &headers), &case)
            .await?;
    }
    tx.finish().await?;
    Ok(see_other(&paths::CASE_VIEW.with(&[&id])))
}

/// What a post on the case page adds: a message to the applicant, an internal note or an issued
/// document (`post_entry::<Message>` and so on in the router).
pub(super) trait Entry {
    /// The form's name on the case page and in the audit log (`case.message`, …).
    const KIND: &'static str;
}

pub(super) struct Message;
impl Entry for Message {
    const KIND: &'static str = "message";
}

pub(super) struct Note;
impl Entry for Note {
    const KIND: &'static str = "note";
}

pub(super) struct IssueDocument;
impl Entry for IssueDocument {
    const KIND: &'static str = "document";
}

/// A message to the applicant, an internal note or an issued document (the post's token checked).
pub(super) async fn post_entry<E: Entry>(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, posted): Checked<Staff, Posted>,
) -> Result<Response, AppError> {
    let kind = E::KIND;
    s.require(&state, Resource::Cases, Action::Process)?;
    let text = posted.text("text");
    let upload = posted.files_for("file").into_iter().next().cloned();
    // a note carries no file; a message may, a document must
    let (file, refused) = match upload.as_ref().filter(|_| kind != "note").map(|u| accept(None, u)) {
        Some(Ok(f)) => (Some(f), None),
        Some(Err(p)) => (None, Some(format!("!{}", p.message(lang, &tr(lang, "casework.file"))))),
        None => (None, None),
    };
    let refused = refused.or_else(|| {
        if kind == "document" && file.is_none() {
            Some(format!("!{}", tr(lang, "casework.document_missing")))
        } else if text.is_empty() && file.is_none() {
            Some(tr(lang, "cases.reply_empty"))
        } else if text.chars().count() > 4000 {
            Some(tr(lang, "cases.text_too_long"))
        } else {
            None
        }
    });
    if let Some(message) = refused {
        let again = Some((kind, text, message));
        return case_page(&state, &ctx, lang, &s, id, again, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = visible_case(&mut tx, &s, id).await?;
    if case.anonymised_at.is_some() {
        return Err(AppError::bad_request());
    }
    let (event_kind, internal) = match kind {
        "note" => (EventKind::Note, true),
        "document" => (EventKind::Document, false),
        _ => (EventKind::Message, false),
    };
    let event = cases::add_event(&mut tx, id, event_kind, None, &actor(&s), &text, internal).await?;
    if let (Some((ft, bytes)), Some(u)) = (file, upload) {
        let purpose = if kind == "document" { FilePurpose::Issued } else { FilePurpose::Message };
        cases::store_file(
            &mut tx,
            FileOwner::Case { case_id: id, event_id: Some(event), purpose },
            &u.file_name,
            ft.mime(),
            &bytes,
        )
        .await?;
    }
    audit(
        &mut tx,
        &s,
        &ip,
        &format!("case.{kind}"),
        case.reference.clone(),
        serde_json::json!({ "chars": text.chars().count() }),
    )
    .await?;
    if !internal {
        notify(&state, &ctx, &headers, &mut tx, &case, &text).await?;
    }
    tx.finish().await?;
    Ok(see_other(&paths::CASE_VIEW.with(&[&id])))
}

pub(super) async fn assign(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Cases, Action::Process)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = visible_case(&mut tx, &s, id).await?;
    let colleagues = assignees(&mut tx, &case.service_slug).await?;
    let to = match f.text("an").as_str() {
        "mich" => Some((s.user.staff_id, s.user.display_name.clone())),
        "niemand" | "" => None,
        other => {
            // only someone who may process this service's cases
            let wanted: Uuid = other.parse().map_err(|_| AppError::bad_request())?;
            Some(colleagues.into_iter().find(|(id, _)| *id == wanted).ok_or_else(AppError::bad_request)?)
        }
    };
    cases::assign(&mut tx, id, to.as_ref().map(|(i, n)| (*i, n.as_str())), &actor(&s)).await?;
    audit(&mut tx, &s, &ip, "case.assign", case.reference.clone(), serde_json::json!({ "to": to.map(|t| t.0) }))
        .await?;
    tx.finish().await?;
    Ok(see_other(&paths::CASE_VIEW.with(&[&id])))
}
