//! Check your answers, submit (filing the case once), the confirmation.

use super::*;
use crate::applications::paths;
use crate::kit::notice::Notice;
use crate::kit::page::Language;
use crate::kit::params::Params;

pub(super) fn answer_sections(
    schema: &FormSchema,
    answers: &Answers,
    lang: Lang,
    change_base: Option<&str>,
) -> Vec<AnswerSection> {
    sections(schema, answers, lang)
        .into_iter()
        .map(|s| {
            let page_id = schema.pages[s.page_index].id.clone();
            AnswerSection {
                title: s.title,
                rows: s
                    .rows
                    .into_iter()
                    .map(|(name, label, value)| {
                        (label, value, change_base.map(|b| format!("{b}/seite/{page_id}#{}", dom_id(&name))))
                    })
                    .collect(),
            }
        })
        .collect()
}

#[expect(clippy::too_many_arguments, reason = "the check page with the problems found on submit")]
pub(super) async fn check_view(
    state: &AppState,
    ctx: &TenantContext,
    mut tx: Tx<TenantTx>,
    lang: Lang,
    a: &Applicant,
    draft: &Draft,
    schema: &FormSchema,
    issues: Vec<Issue>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let base = links::DRAFT_BASE.with(&[&draft.draft_id]);
    let name = service_name(&mut tx, &draft.service_slug, lang).await?;
    let mut blocks = Vec::new();
    if !issues.is_empty() {
        // the problems link to the page of each field
        let links: Vec<(String, String)> = issues
            .iter()
            .map(|i| {
                let top = i.name.split(['.', '[']).next().unwrap_or_default();
                let page =
                    schema.pages.iter().find(|p| p.fields.iter().any(|f| f.id == top)).map_or("", |p| p.id.as_str());
                (format!("{base}/seite/{page}#{}", dom_id(&i.name)), i.message(lang))
            })
            .collect();
        blocks.push(Block::Notice("danger", tr(lang, "cases.check_problems")));
        blocks.push(Block::Links(links));
    }
    blocks.push(Block::Text(tr_with(lang, "cases.check_intro", &[("service", &name)])));
    blocks.push(Block::Answers(answer_sections(schema, &draft.answers, lang, Some(&base))));
    // the fee as the server computes it from these answers, and how it is paid
    let plan = crate::flows::payment::plan(
        state,
        &mut tx,
        &draft.service_slug,
        schema,
        &retain_visible(schema, &draft.answers),
    )
    .await?;
    let mut submit_label = tr(lang, "cases.submit");
    if let crate::flows::payment::Plan::Unpriced(e) = &plan {
        blocks.push(Block::Heading(tr(lang, "payments.heading")));
        blocks.push(Block::Notice("danger", tr(lang, "payments.fee_unavailable")));
        if let portal_payments::FeeError::Answer(field) = e
            && let Some(page) = schema.pages.iter().find(|p| p.fields.iter().any(|f| &f.id == field))
            && let Some(f) = schema.field(field)
        {
            blocks.push(Block::Links(vec![(
                format!("{base}/seite/{}#{}", page.id, dom_id(field)),
                f.label.get(lang).to_owned(),
            )]));
        }
    }
    if let Some(fee) = plan.fee().filter(|f| f.total() > 0) {
        let amount = crate::kit::dates::money(fee.total(), lang);
        blocks.push(Block::Heading(tr(lang, "payments.heading")));
        blocks.push(Block::Facts(vec![(
            tr(lang, "payments.fee"),
            format!("{amount} ({})", fee.lines(lang).join("; ")),
            None,
        )]));
        let text = match &plan {
            crate::flows::payment::Plan::Online { service, .. }
                if service.timing == portal_payments::Timing::Before =>
            {
                submit_label = tr(lang, "payments.submit_and_pay");
                tr(lang, "payments.check_before")
            }
            crate::flows::payment::Plan::Online { service, .. } => {
                tr_with(lang, "payments.check_after", &[("days", &service.pay_days.to_string())])
            }
            crate::flows::payment::Plan::Offline { setup, .. } => {
                let note = lang.pick(&setup.offline_note_de, &setup.offline_note_en);
                format!("{} {note}", tr(lang, "payments.check_offline")).trim().to_owned()
            }
            crate::flows::payment::Plan::Free | crate::flows::payment::Plan::Unpriced(_) => String::new(),
        };
        blocks.push(Block::Text(text));
    }
    blocks.push(Block::Heading(tr(lang, "cases.check_send_heading")));
    blocks.push(Block::Text(tr(lang, "cases.check_send_text")));
    blocks.push(Block::Buttons(vec![Button {
        action: format!("{base}/absenden"),
        csrf: a.csrf.clone(),
        hidden: vec![("submission_key".into(), draft.submission_key.to_string())],
        label: submit_label,
        danger: false,
    }]));
    let r =
        render(state, ctx, tx, lang, &format!("{base}/pruefen"), status, tr(lang, "cases.check_title"), blocks).await?;
    Ok(finish(state, r, a))
}

pub(super) async fn check_page_view(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    citizen: MaybeCitizen,
    Params(draft_id): Params<Uuid>,
) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    let (tx, draft, schema) = match open(&state, &ctx, &a, draft_id, false).await? {
        Opened::Draft(tx, d, s) => (tx, d, s),
        Opened::Filed(r) => return Ok(r),
    };
    check_view(&state, &ctx, tx, lang, &a, &draft, &schema, vec![], StatusCode::OK).await
}

pub(super) async fn submit(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Params(draft_id): Params<Uuid>,
    Checked(a, posted): Checked<Applicant, Posted>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    // the row lock makes a second, concurrent submit wait and then find the case
    let (draft, schema) = load(&mut tx, &a, draft_id, true).await?;
    if posted.text("submission_key") != draft.submission_key.to_string() {
        return Err(AppError::bad_request());
    }
    if draft.case_id.is_some() {
        tx.finish().await?;
        return Ok(see_other(&paths::DONE.with(&[&draft_id])));
    }
    let (mut issues, answers, plan) =
        crate::flows::payment::price_draft(&state, &mut tx, &draft, &schema, today(state.db.clock())).await?;
    // an address outside the town, or a parking zone other than the address's (street directory)
    if issues.is_empty() {
        issues =
            crate::flows::directory::check(&mut tx, &schema, None, &mut draft.answers.clone(), &ctx.entry.name).await?;
    }
    // never filed with problems, nor without its fee: the check page says why and where to correct it
    if !issues.is_empty() || matches!(plan, crate::flows::payment::Plan::Unpriced(_)) {
        return check_view(&state, &ctx, tx, lang, &a, &draft, &schema, issues, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let base = base_url(&state, &ctx.host, &headers);
    let name = service_name(&mut tx, &draft.service_slug, lang).await?;
    if let crate::flows::payment::Plan::Online { service, fee, setup, application_fee } = &plan
        && service.timing == portal_payments::Timing::Before
    {
        // the case is filed once paid: the payment belongs to the draft until then
        crate::flows::payment::payment_for_draft(
            &state,
            &mut tx,
            &draft,
            service,
            fee,
            setup,
            *application_fee,
            lang,
            &base,
            &name,
        )
        .await?;
        tx.finish().await?;
        return Ok(see_other(&links::DRAFT_PAY.with(&[&draft_id])));
    }
    // a guest's confirmation goes to the address typed in: limited per sender and per recipient.
    // Over the limit the application is still filed (the confirmation page shows the status
    // link), only the mail is not sent: nobody can block a guest by spending their mails
    let mail = match (draft.citizen_id, guest_email(&schema, &answers)) {
        (None, Some(to)) => mail_allowed(&state, &ip, ctx.entry.tenant_id, &to).await?,
        _ => true,
    };
    let filed = file_case(&mut tx, &ctx, &base, &draft, &schema, &answers, lang, mail).await?;
    if !mail {
        tracing::warn!(tenant.id = %ctx.entry.tenant_id, case.reference = %filed.case.reference, "guest confirmation not mailed: the recipient's or sender's mail limit is reached");
    }
    if filed.created
        && let crate::flows::payment::Plan::Online { service, fee, setup, application_fee } = &plan
    {
        crate::flows::payment::payment_for_case(&mut tx, &filed.case, service, fee, setup, *application_fee, &base)
            .await?;
    }
    tx.finish().await?;
    tracing::info!(case.reference = %filed.case.reference, service = %filed.case.service_slug, created = filed.created, "application filed");
    // a guest sees the confirmation once with the status link; it also comes by e-mail
    let to = match filed.guest_token {
        Some(t) => format!("{}?vorgang={t}", paths::DONE.with(&[&draft_id])),
        None => paths::DONE.with(&[&draft_id]),
    };
    Ok(see_other(&to))
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    vorgang: Option<String>,
}

pub(super) async fn done(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    citizen: MaybeCitizen,
    Params(draft_id): Params<Uuid>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let (draft, _) = load(&mut tx, &a, draft_id, false).await?;
    let case_id = draft.case_id.ok_or_else(AppError::not_found)?;
    let case = cases::get(&mut tx, case_id).await?.ok_or_else(AppError::not_found)?;
    let (case_link, receipt) = match (&a.citizen, q.vorgang.as_deref().filter(|t| t.len() == 43)) {
        (Some(_), _) => (Some(paths::CITIZEN_CASE.with(&[&case_id])), Some(paths::CITIZEN_RECEIPT.with(&[&case_id]))),
        (None, Some(t)) => (Some(paths::GUEST_CASE.with(&[&t])), Some(paths::GUEST_RECEIPT.with(&[&t]))),
        (None, None) => (None, None),
    };
    let mut blocks = vec![
        Block::Notice("success", tr_with(lang, "cases.done_notice", &[("reference", &case.reference)])),
        Block::Facts(vec![
            (tr(lang, "cases.reference"), case.reference.clone(), None),
            (tr(lang, "cases.service"), case.service_name.get(lang).to_owned(), None),
            (tr(lang, "cases.submitted_at"), fmt_time(case.submitted_at), None),
        ]),
        Block::Text(tr(lang, "cases.done_mail")),
    ];
    let mut links = Vec::new();
    if let Some(r) = receipt {
        links.push((r, tr(lang, "cases.receipt")));
    }
    if let Some(c) = case_link {
        links.push((c, tr(lang, if a.citizen.is_some() { "cases.done_follow" } else { "cases.done_follow_guest" })));
    }
    blocks.push(Block::Links(links));
    render(
        &state,
        &ctx,
        tx,
        lang,
        &paths::DONE.with(&[&draft_id]),
        StatusCode::OK,
        tr(lang, "cases.done_title"),
        blocks,
    )
    .await
}

pub(super) async fn discard(
    State(state): State<AppState>,
    ctx: TenantContext,
    Params(draft_id): Params<Uuid>,
    Checked(a, _): Checked<Applicant, Posted>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let (draft, _) = load(&mut tx, &a, draft_id, true).await?;
    if draft.case_id.is_none() {
        // an open payment is withdrawn first: a page still showing it must not take money for a
        // draft that is gone; one under way keeps the draft
        if payment_under_way(&state, &mut tx, draft_id).await? {
            tx.finish().await?;
            return Ok(see_other(&links::DRAFT_PAY.with(&[&draft_id])));
        }
        cases::delete_draft(&mut tx, draft_id).await?;
    }
    tx.finish().await?;
    Ok(if a.citizen.is_some() { Notice::Discarded.redirect(paths::MY_CASES.path()) } else { see_other("/") })
}

pub(super) async fn draft_file(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    citizen: MaybeCitizen,
    Params((draft_id, file_id)): Params<(Uuid, Uuid)>,
) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let _ = load(&mut tx, &a, draft_id, false).await?;
    let (file, bytes) = cases::file(&mut tx, file_id)
        .await?
        .filter(|(f, _)| f.draft_id == Some(draft_id))
        .ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    Ok(file_response(file, bytes))
}
