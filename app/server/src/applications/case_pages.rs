//! My applications and the citizen's case page: messages, files, the receipt.

use super::*;
use crate::applications::paths;
use crate::kit::checked::{Checked, Gated};
use crate::kit::notice::Notice;
use crate::kit::page::Language;
use crate::kit::params::Params;

#[derive(Deserialize, Default)]
pub(super) struct NoticeQuery {
    #[serde(default)]
    hinweis: Option<String>,
}

pub(super) async fn my_cases(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    citizen: crate::kit::session::Citizen,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let list = cases::cases_of(&mut tx, citizen.citizen_id).await?;
    let drafts = cases::drafts_of(&mut tx, citizen.citizen_id).await?;
    let mut blocks = match Notice::parse(q.hinweis.as_deref()) {
        Some(Notice::Saved) => vec![Block::Notice("success", tr(lang, "cases.saved_notice"))],
        Some(Notice::Discarded) => vec![Block::Notice("info", tr(lang, "cases.discarded_notice"))],
        _ => vec![],
    };
    let rows = list
        .iter()
        .map(|c| {
            vec![
                Cell::Link(paths::CITIZEN_CASE.with(&[&c.case_id]), c.reference.clone()),
                Cell::Text(c.service_name.get(lang).to_owned()),
                Cell::Text(fmt_date(c.submitted_at)),
                Cell::Badge(c.status.badge(), status_label(lang, c.status)),
            ]
        })
        .collect();
    blocks.push(Block::Table {
        caption: tr(lang, "cases.my_cases"),
        headers: vec![
            tr(lang, "cases.reference"),
            tr(lang, "cases.service"),
            tr(lang, "cases.submitted_at"),
            tr(lang, "cases.status"),
        ],
        rows,
        empty: tr(lang, "cases.no_cases"),
    });
    if !drafts.is_empty() {
        let rows = drafts
            .into_iter()
            .map(|(d, name)| {
                vec![
                    Cell::Text(name.get(lang).to_owned()),
                    Cell::Text(fmt_time(d.updated_at)),
                    Cell::Text(fmt_date(d.expires_at)),
                    Cell::Link(paths::CHECK_PAGE_VIEW.with(&[&d.draft_id]), tr(lang, "cases.resume")),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            caption: tr(lang, "cases.my_drafts"),
            headers: vec![
                tr(lang, "cases.service"),
                tr(lang, "cases.saved_at"),
                tr(lang, "cases.kept_until"),
                String::new(),
            ],
            rows,
            empty: String::new(),
        });
    }
    blocks.push(Block::Links(vec![(links::CITIZEN_ACCOUNT.path().into(), tr(lang, "cases.back_to_account"))]));
    render(&state, &ctx, tx, lang, paths::MY_CASES.path(), StatusCode::OK, tr(lang, "cases.my_title"), blocks).await
}

/// The applicant's view of a case (account or guest link); `base` is the case's URL.
pub(super) async fn case_blocks(
    tx: &mut TenantTx,
    lang: Lang,
    case: &Case,
    base: &str,
    csrf: &str,
    reply_error: Option<(String, Option<String>, Option<String>)>,
) -> Result<Vec<Block>, AppError> {
    let events = cases::events(tx, case.case_id, false).await?;
    let files = cases::files_of_case(tx, case.case_id).await?;
    let schema = cases::form_version(tx, &case.schema_hash).await?;
    let mut blocks = vec![Block::Facts(vec![
        (tr(lang, "cases.reference"), case.reference.clone(), None),
        (tr(lang, "cases.service"), case.service_name.get(lang).to_owned(), None),
        (tr(lang, "cases.submitted_at"), fmt_time(case.submitted_at), None),
        (tr(lang, "cases.status"), status_label(lang, case.status), None),
    ])];
    if case.status == Status::InformationRequested {
        blocks.push(Block::Notice("warning", tr(lang, "cases.info_requested_notice")));
    }
    if let Some(reason) = case.decision_reason.as_ref().filter(|_| case.status == Status::Rejected) {
        blocks.push(Block::Notice("danger", tr_with(lang, "cases.rejected_notice", &[("reason", reason)])));
    }
    // what other capabilities show on the case (its payment ...)
    for panel in registry::panels(|c| c.citizen_case) {
        blocks.extend(panel(tx, lang, case, base).await?);
    }
    let issued: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.purpose == "issued")
        .map(|f| (format!("{base}/datei/{}", f.file_id), f.name.clone()))
        .collect();
    if !issued.is_empty() {
        blocks.push(Block::Heading(tr(lang, "cases.documents")));
        blocks.push(Block::Links(issued));
    }
    blocks.push(Block::Heading(tr(lang, "cases.timeline")));
    blocks.push(Block::Timeline(timeline(lang, &events, &files, base, false)));
    if !matches!(case.status, Status::Completed | Status::Archived) && case.anonymised_at.is_none() {
        let (text, text_error, file_error) = reply_error.unwrap_or_default();
        blocks.push(Block::MessageForm(Box::new(MessageFormSpec {
            action: format!("{base}/nachricht"),
            csrf: csrf.to_owned(),
            heading: tr(
                lang,
                if case.status == Status::InformationRequested {
                    "cases.reply_heading_requested"
                } else {
                    "cases.reply_heading"
                },
            ),
            text_label: tr(lang, "cases.reply_text"),
            text_value: text,
            text_error,
            file_label: Some(tr(lang, "cases.reply_file")),
            file_error,
            hidden: vec![],
            choices: vec![],
            choice_label: String::new(),
            chosen: String::new(),
            submit: tr(lang, "cases.reply_submit"),
        })));
    }
    blocks.push(Block::Heading(tr(lang, "cases.your_answers")));
    blocks.push(Block::Answers(answer_sections(&schema, &case.answers, lang, None)));
    let answer_files: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.purpose == "answer")
        .map(|f| (format!("{base}/datei/{}", f.file_id), f.name.clone()))
        .collect();
    if !answer_files.is_empty() {
        blocks.push(Block::Heading(tr(lang, "cases.attachments")));
        blocks.push(Block::Links(answer_files));
    }
    blocks.push(Block::Links(vec![(format!("{base}/quittung.pdf"), tr(lang, "cases.receipt"))]));
    Ok(blocks)
}

pub(super) async fn citizen_case_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    citizen: &crate::kit::session::Citizen,
    case_id: Uuid,
    reply: Option<(String, Option<String>, Option<String>)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let case = own_case(&mut tx, citizen, case_id).await?;
    let base = paths::CITIZEN_CASE.with(&[&case_id]);
    let mut blocks = case_blocks(&mut tx, lang, &case, &base, &citizen.csrf, reply).await?;
    blocks.push(Block::Links(vec![(paths::MY_CASES.path().into(), tr(lang, "cases.back_to_list"))]));
    let title = tr_with(lang, "cases.case_title", &[("reference", &case.reference)]);
    render(state, ctx, tx, lang, &base, status, title, blocks).await
}

pub(super) async fn citizen_case(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    citizen: crate::kit::session::Citizen,
    Params(case_id): Params<Uuid>,
) -> Result<Response, AppError> {
    citizen_case_page(&state, &ctx, lang, &citizen, case_id, None, StatusCode::OK).await
}

/// A reply of the applicant: text and/or a file; a case waiting for information returns to review.
/// Returns the problems (text, file) when the reply is not acceptable.
pub(super) async fn reply(
    tx: &mut TenantTx,
    lang: Lang,
    case: &Case,
    actor: &Actor,
    posted: &Posted,
) -> Result<Option<(String, Option<String>, Option<String>)>, AppError> {
    let text = posted.text("text");
    let upload = posted.files_for("file").into_iter().next().cloned();
    let label = portal_domain::Localized { de: "Datei".into(), en: "File".into() };
    let file = match &upload {
        Some(u) => match accept(None, u) {
            Ok(f) => Some(f),
            Err(p) => return Ok(Some((text, None, Some(p.message(lang, label.get(lang)))))),
        },
        None => None,
    };
    if text.is_empty() && file.is_none() {
        return Ok(Some((text, Some(tr(lang, "cases.reply_empty")), None)));
    }
    if text.chars().count() > 4000 {
        return Ok(Some((text, Some(tr(lang, "cases.text_too_long")), None)));
    }
    let event = cases::applicant_reply(tx, case.case_id, &text, actor).await?;
    if let (Some((kind, bytes)), Some(u)) = (file, upload) {
        cases::store_file(
            tx,
            FileOwner::Case { case_id: case.case_id, event_id: Some(event), purpose: FilePurpose::Message },
            &u.file_name,
            kind.mime(),
            &bytes,
        )
        .await?;
    }
    Ok(None)
}

pub(super) async fn citizen_reply(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Params(case_id): Params<Uuid>,
    Checked(citizen, body): Checked<crate::kit::session::Citizen, Gated>,
) -> Result<Response, AppError> {
    let posted = body.read(|_| async { Ok(FileLimits::message_attachment()) }).await?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = own_case(&mut tx, &citizen, case_id).await?;
    let name = case.applicant_name.clone();
    if let Some(problem) = reply(&mut tx, lang, &case, &Actor::citizen(citizen.citizen_id, &name), &posted).await? {
        drop(tx);
        return citizen_case_page(
            &state,
            &ctx,
            lang,
            &citizen,
            case_id,
            Some(problem),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    tx.finish().await?;
    Ok(see_other(&paths::CITIZEN_CASE.with(&[&case_id])))
}

pub(super) async fn citizen_receipt(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    citizen: crate::kit::session::Citizen,
    Params(case_id): Params<Uuid>,
) -> Result<Response, AppError> {
    citizen_pdf(&state, &ctx, &headers, &citizen, case_id, application_receipt).await
}

pub(super) async fn citizen_file(
    State(state): State<AppState>,
    ctx: TenantContext,
    citizen: crate::kit::session::Citizen,
    Params((case_id, file_id)): Params<(Uuid, Uuid)>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    own_case(&mut tx, &citizen, case_id).await?;
    let (file, bytes) = cases::file(&mut tx, file_id)
        .await?
        .filter(|(f, _)| f.case_id == Some(case_id))
        .ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    Ok(file_response(file, bytes))
}
