//! Applying online (citizen side): the start page of a service's form, the form page by page (drafts
//! saved on every post, nothing typed is lost on an error), check your answers, the idempotent
//! submission, the confirmation with reference and PDF receipt, "Meine Anträge" with each case's
//! timeline, messages and documents — for logged-in citizens and, where the service allows it, for
//! guests (who follow their case through a secret link sent by e-mail).

use crate::kit::checked::{Checked, Gated};
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use portal_cases::{self as cases, Actor, Case, Draft, FileOwner, FilePurpose, Owner, Status};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_domain::ServiceSlug;
use portal_forms::answers::{dom_id, merge_page, retain_visible};
use portal_forms::display::sections;
use portal_forms::prefill::verified_fields;
use portal_forms::schema::{FormSchema, Kind};
use portal_forms::validate::{check_page, visible_pages};
use portal_forms::{Answers, Issue, Value};
use portal_identity::ratelimit::Limit;
use portal_identity::secret::{random_token, token_hash};
use portal_ui::blocks::{AnswerSection, AppFormSpec, Block, Button, Cell, MessageFormSpec};
use portal_ui::form_fields::FormFieldsData;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext, cookies};
use serde::Deserialize;
use uuid::Uuid;

use crate::flows::filing::{file_case, guest_email};
use crate::kit::dates::{fmt_date, fmt_time, today};
use crate::kit::frame::plain_page as render;
use crate::kit::limits::{allow_per_address, mail_allowed};
use crate::kit::links;
use crate::kit::mail::base_url;
use crate::kit::page::file_response;
use crate::kit::page::{lang_of, see_other, with_cookie};
use crate::kit::pipeline::{Tx, tenant_tx};
use crate::kit::registry::{self, BoxFuture, Capability};
use crate::kit::session::{MaybeCitizen, anon_csrf, set_anon_csrf};
use crate::kit::uploads::{FileLimits, MAX_UPLOAD_BODY, Posted, accept};
use crate::shared::cases::{
    application_receipt, citizen_case as own_case, citizen_pdf, guest_lookup, guest_pdf, status_label, timeline,
};
use crate::shared::drafts::{
    Applicant, GUEST_COOKIE, applicant, finish, load, prefilled_answers, profile_values, service_name,
};

mod case_pages;
mod guests;
pub mod paths;
mod submit;
use crate::kit::notice::Notice;
use case_pages::*;
use guests::*;
use submit::*;

/// Drafts a guest may start per source address and hour.
const GUEST_DRAFTS_PER_ADDRESS: Limit = Limit { max: 20, window: time::Duration::hours(1) };
/// Posts with files a guest may make per source address and hour.
const GUEST_UPLOADS_PER_ADDRESS: Limit = Limit { max: 60, window: time::Duration::hours(1) };
/// Messages a guest may send through status links per source address and hour.
const GUEST_REPLIES_PER_ADDRESS: Limit = Limit { max: 30, window: time::Duration::hours(1) };

pub const CAPABILITY: Capability = Capability {
    portal: Some(router),
    jobs: &[retention_job],
    texts: || cases::status::ALL.iter().map(|s| format!("cases.status_{}", s.as_str())).collect(),
    ..Capability::named("applications")
};

/// Anonymises cases past their retention period, hourly, on every server (each pass claims its rows).
fn retention_job(
    state: &AppState,
    _: &portal_settings::Settings,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Option<BoxFuture<'static, ()>> {
    Some(Box::pin(crate::flows::retention::run_loop(state.db.clone(), std::time::Duration::from_secs(3600), stop)))
}

fn router() -> Router<AppState> {
    // only the posts that carry files may be large; the rest keep the server's default limit
    let uploads = DefaultBodyLimit::max(MAX_UPLOAD_BODY);
    Router::new()
        .route(paths::START_PAGE.pattern(), get(start_page).post(start))
        .route(paths::FORM_PAGE.pattern(), get(form_page).post(save_page).layer(uploads))
        .route(paths::CHECK_PAGE_VIEW.pattern(), get(check_page_view))
        .route(paths::SUBMIT.pattern(), post(submit))
        .route(paths::DONE.pattern(), get(done))
        .route(paths::DISCARD.pattern(), post(discard))
        .route(paths::DRAFT_FILE.pattern(), get(draft_file))
        .route(paths::MY_CASES.pattern(), get(my_cases))
        .route(paths::CITIZEN_CASE.pattern(), get(citizen_case))
        .route(paths::CITIZEN_REPLY.pattern(), post(citizen_reply).layer(uploads))
        .route(paths::CITIZEN_RECEIPT.pattern(), get(citizen_receipt))
        .route(paths::CITIZEN_FILE.pattern(), get(citizen_file))
        .route(paths::GUEST_CASE.pattern(), get(guest_case))
        .route(paths::GUEST_REPLY.pattern(), post(guest_reply).layer(uploads))
        .route(paths::GUEST_RECEIPT.pattern(), get(guest_receipt))
        .route(paths::GUEST_FILE.pattern(), get(guest_file))
}

/// An open draft of this applicant, or the redirect to the confirmation once it was submitted.
enum Opened {
    Draft(Tx<TenantTx>, Draft, FormSchema),
    Filed(Response),
}

async fn open(
    state: &AppState,
    ctx: &TenantContext,
    a: &Applicant,
    draft_id: Uuid,
    lock: bool,
) -> Result<Opened, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let (draft, schema) = load(&mut tx, a, draft_id, lock).await?;
    if draft.case_id.is_some() {
        return Ok(Opened::Filed(see_other(&paths::DONE.with(&[&draft_id]))));
    }
    // once the money is on its way the answers (and so the fee) stay as they were paid for
    if portal_payments::repo::payment_for_draft(&mut tx, draft_id, false).await?.is_some_and(|p| !p.status.is_payable())
    {
        return Ok(Opened::Filed(see_other(&links::DRAFT_PAY.with(&[&draft_id]))));
    }
    Ok(Opened::Draft(tx, draft, schema))
}

// ---------------------------------------------------------------------------------------------
// start

async fn start_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    citizen: MaybeCitizen,
    Params(slug): Params<ServiceSlug>,
) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let form = cases::service_form(&mut tx, &slug).await?.ok_or_else(AppError::not_found)?;
    let name = form.name.get(lang).to_owned();
    let pages: Vec<String> = form.schema.pages.iter().map(|p| p.title.get(lang).to_owned()).collect();
    let files: Vec<String> =
        form.schema.fields().filter(|f| f.kind == Kind::File).map(|f| f.label.get(lang).to_owned()).collect();
    let days = cases::draft_days(&mut tx).await?;
    let mut blocks = vec![
        Block::Text(tr(lang, "cases.start_intro")),
        Block::Heading(tr(lang, "cases.start_steps")),
        Block::List(pages),
    ];
    if !files.is_empty() {
        blocks.push(Block::Heading(tr(lang, "cases.start_documents")));
        blocks.push(Block::List(files));
    }
    blocks.push(Block::Text(tr_with(lang, "cases.start_drafts", &[("days", &days.to_string())])));
    let action = paths::START_PAGE.with(&[&slug]);
    if a.citizen.is_some() {
        blocks.push(Block::Buttons(vec![Button {
            action,
            csrf: a.csrf.clone(),
            hidden: vec![],
            label: tr(lang, "cases.start_button"),
            danger: false,
        }]));
    } else {
        let login = format!(
            "{}?weiter={}",
            links::CITIZEN_LOGIN.path(),
            urlencoding::encode(&paths::START_PAGE.with(&[&slug]))
        );
        blocks.push(Block::Links(vec![(login, tr(lang, "cases.start_login"))]));
        if form.schema.guest {
            blocks.push(Block::Text(tr(lang, "cases.start_guest_text")));
            blocks.push(Block::Buttons(vec![Button {
                action,
                csrf: a.csrf.clone(),
                hidden: vec![("als".into(), "gast".into())],
                label: tr(lang, "cases.start_guest_button"),
                danger: false,
            }]));
        } else {
            blocks.push(Block::Notice("info", tr(lang, "cases.start_account_needed")));
        }
    }
    let title = tr_with(lang, "cases.start_title", &[("service", &name)]);
    let r = render(&state, &ctx, tx, lang, &paths::START_PAGE.with(&[&slug]), StatusCode::OK, title, blocks).await?;
    Ok(finish(&state, r, &a))
}

async fn start(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(a, posted): Checked<Applicant, Posted>,
) -> Result<Response, AppError> {
    if a.citizen.is_none() {
        allow_per_address(&state, ctx.entry.tenant_id, &ip, "guest-draft", GUEST_DRAFTS_PER_ADDRESS).await?;
    }
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let form = cases::service_form(&mut tx, &slug).await?.ok_or_else(AppError::not_found)?;
    let mut cookie = None;
    let (owner, answers) = match &a.citizen {
        Some(c) => (Owner::Citizen(c.citizen_id), prefilled_answers(&mut tx, &form.schema, c.citizen_id).await?),
        None if form.schema.guest && posted.text("als") == "gast" => {
            // one guest cookie per browser; a new application keeps the cookie it has
            let token = cookies::get(&headers, GUEST_COOKIE)
                .filter(|t| t.len() == 43)
                .map(str::to_owned)
                .unwrap_or_else(random_token);
            cookie =
                Some(cookies::set(GUEST_COOKIE, &token, state.config.secure_cookies, Some(60 * 60 * 24 * 90), true));
            (Owner::Guest(token_hash(&token).to_vec()), Answers::new())
        }
        None => {
            return Ok(see_other(&format!(
                "{}?weiter={}",
                links::CITIZEN_LOGIN.path(),
                urlencoding::encode(&paths::START_PAGE.with(&[&slug]))
            )));
        }
    };
    let draft = cases::create_draft(&mut tx, &form, &owner, &answers).await?;
    tx.finish().await?;
    let first = &form.schema.pages[0].id;
    let r = see_other(&paths::FORM_PAGE.with(&[&draft.draft_id, &first]));
    Ok(match cookie {
        Some(c) => with_cookie(r, &c),
        None => r,
    })
}

// ---------------------------------------------------------------------------------------------
// form pages

fn summary(issues: &[Issue], lang: Lang) -> Vec<(String, String)> {
    issues.iter().map(|i| (dom_id(&i.name), i.message(lang))).collect()
}

#[expect(clippy::too_many_arguments, reason = "a form page: draft, schema, page, answers, problems and the applicant")]
async fn page_view(
    state: &AppState,
    ctx: &TenantContext,
    mut tx: Tx<TenantTx>,
    lang: Lang,
    a: &Applicant,
    draft: &Draft,
    schema: &FormSchema,
    page_id: &str,
    answers: Answers,
    issues: Vec<Issue>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (index, page) = schema.page(page_id).ok_or_else(AppError::not_found)?;
    let visible = visible_pages(schema, &answers);
    let position = visible.iter().position(|i| *i == index).unwrap_or(0);
    let name = service_name(&mut tx, &draft.service_slug, lang).await?;
    let (prefilled, verified, verified_by) = match &a.citizen {
        Some(c) => {
            let (profile, by) = profile_values(&mut tx, c.citizen_id).await?;
            let verified: Vec<String> = verified_fields(schema, &profile, &answers).into_iter().collect();
            let prefilled: Vec<String> = schema
                .fields()
                .filter(|f| f.prefill.is_some() && answers.get(&f.id).is_some_and(|v| !v.is_empty()))
                .map(|f| f.id.clone())
                .collect();
            (prefilled, verified, by)
        }
        None => (vec![], vec![], None),
    };
    // a group shows at least as many entries as it needs (one, when required); a parking zone
    // not chosen yet comes from the address (the street directory)
    let mut shown = answers.clone();
    crate::flows::directory::prefill(&mut tx, schema, &mut shown).await?;
    for f in &page.fields {
        if f.kind == Kind::Group {
            let min = f.min_items.unwrap_or(u32::from(f.required)).max(1) as usize;
            let entry = shown.entry(f.id.clone()).or_insert_with(|| Value::Items(vec![]));
            if let Value::Items(items) = entry {
                while items.len() < min {
                    items.push(Answers::new());
                }
            }
        }
    }
    let mut buttons = vec![("weiter".to_owned(), tr(lang, "cases.continue"), true)];
    if position > 0 {
        buttons.push(("zurueck".to_owned(), tr(lang, "cases.back"), false));
    }
    if a.citizen.is_some() {
        buttons.push(("speichern".to_owned(), tr(lang, "cases.save_later"), false));
    }
    let step = tr_with(
        lang,
        "cases.step",
        &[("n", &(position + 1).to_string()), ("total", &visible.len().to_string()), ("service", &name)],
    );
    let spec = AppFormSpec {
        action: paths::FORM_PAGE.with(&[&draft.draft_id, &page.id]),
        csrf: a.csrf.clone(),
        step,
        page_help: page.help.as_ref().map(|h| h.get(lang).to_owned()),
        summary: summary(&issues, lang),
        fields: FormFieldsData {
            page: page.clone(),
            answers: shown,
            issues,
            lang,
            today: today(state.db.clock()),
            prefilled,
            verified,
            verified_by,
        },
        buttons,
        back: None,
    };
    let mut blocks = vec![Block::AppForm(Box::new(spec))];
    blocks.push(Block::Buttons(vec![Button {
        action: paths::DISCARD.with(&[&draft.draft_id]),
        csrf: a.csrf.clone(),
        hidden: vec![],
        label: tr(lang, "cases.discard"),
        danger: true,
    }]));
    let title = page.title.get(lang).to_owned();
    let path = paths::FORM_PAGE.with(&[&draft.draft_id, &page.id]);
    let r = render(state, ctx, tx, lang, &path, status, title, blocks).await?;
    Ok(finish(state, r, a))
}

async fn form_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    citizen: MaybeCitizen,
    Params((draft_id, page_id)): Params<(Uuid, String)>,
) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    let (tx, draft, schema) = match open(&state, &ctx, &a, draft_id, false).await? {
        Opened::Draft(tx, d, s) => (tx, d, s),
        Opened::Filed(r) => return Ok(r),
    };
    let answers = draft.answers.clone();
    page_view(&state, &ctx, tx, lang, &a, &draft, &schema, &page_id, answers, vec![], StatusCode::OK).await
}

/// Withdraws the open intent of the draft's payment (see [`crate::flows::payment::withdraw_intent`]);
/// true when the money is already on its way and the draft must stay as it is (the caller sends
/// the applicant to the payment page). Stripe unreachable: nothing may change now.
async fn payment_under_way(state: &AppState, tx: &mut TenantTx, draft_id: Uuid) -> Result<bool, AppError> {
    let Some(p) = portal_payments::repo::payment_for_draft(tx, draft_id, false).await? else { return Ok(false) };
    if p.intent_id.is_none() && p.status.is_payable() {
        return Ok(false);
    }
    match crate::flows::payment::withdraw_intent(state, tx, p.payment_id).await? {
        crate::flows::payment::Withdrawal::Done => Ok(false),
        crate::flows::payment::Withdrawal::UnderWay => Ok(true),
        crate::flows::payment::Withdrawal::Unavailable => Err(AppError::unavailable()),
    }
}

async fn save_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params((draft_id, page_id)): Params<(Uuid, String)>,
    Checked(a, body): Checked<Applicant, Gated>,
) -> Result<Response, AppError> {
    // before any file is read: the token (checked by the read), the draft's owner, a guest's
    // upload allowance, and the page's file inputs with their limits
    let (a_ref, state_ref, ip_ref, page_ref) = (&a, &state, &ip, &page_id);
    let tenant = ctx.entry.tenant_id;
    let posted = body
        .read(move |_| async move {
            let mut tx = state_ref.db.tenant(tenant).await?;
            let (_, schema) = load(&mut tx, a_ref, draft_id, false).await?;
            tx.commit().await?;
            if a_ref.citizen.is_none() {
                allow_per_address(state_ref, tenant, ip_ref, "guest-upload", GUEST_UPLOADS_PER_ADDRESS).await?;
            }
            let (_, page) = schema.page(page_ref).ok_or_else(AppError::not_found)?;
            Ok(FileLimits::inputs(
                page.fields
                    .iter()
                    .filter(|f| f.kind == Kind::File)
                    .map(|f| (f.id.clone(), f.max_bytes(), f.max_files())),
            ))
        })
        .await?;
    let (mut tx, draft, schema) = match open(&state, &ctx, &a, draft_id, true).await? {
        Opened::Draft(tx, d, s) => (tx, d, s),
        Opened::Filed(r) => return Ok(r),
    };
    let (index, page) = schema.page(&page_id).ok_or_else(AppError::not_found)?;
    let page = page.clone();
    // a payment page may be open in another tab: its intent is withdrawn before the answers (and
    // so the fee) change, so it cannot pay for answers that no longer hold
    if payment_under_way(&state, &mut tx, draft_id).await? {
        tx.finish().await?;
        return Ok(see_other(&links::DRAFT_PAY.with(&[&draft_id])));
    }
    let mut answers = draft.answers.clone();
    merge_page(&page, &posted.0, &mut answers);

    // attachments: removals, then new files (checked by content, cleaned, stored with the draft)
    let mut file_issues = Vec::new();
    for field in page.fields.iter().filter(|f| f.kind == Kind::File) {
        let remove = posted.all(&format!("{}.remove", field.id));
        let mut files: Vec<portal_forms::FileRef> =
            answers.get(&field.id).map(|v| v.files().to_vec()).unwrap_or_default();
        files.retain(|f| !remove.contains(&f.file_id));
        for upload in posted.files_for(&field.id) {
            match accept(Some(field), upload) {
                Ok((kind, bytes)) => {
                    let stored = cases::store_file(
                        &mut tx,
                        FileOwner::Draft { draft_id, field_id: &field.id },
                        &upload.file_name,
                        kind.mime(),
                        &bytes,
                    )
                    .await?;
                    // a single-file field replaces its file
                    if field.max_files() == 1 {
                        files.clear();
                    }
                    files.push(stored.file_ref());
                }
                Err(problem) => file_issues.push(Issue { name: field.id.clone(), label: field.label.clone(), problem }),
            }
        }
        answers.insert(field.id.clone(), Value::Files(files));
    }

    let action = posted.text("_action");
    // "add another" and "remove entry" of repeatable groups: change the page, no errors yet
    if let Some(group) = action.strip_prefix("add:") {
        if let (Some(field), Some(Value::Items(items))) =
            (page.fields.iter().find(|f| f.id == group && f.kind == Kind::Group), answers.get_mut(group))
            && items.len() < field.max_entries() as usize
        {
            items.push(Answers::new());
        }
    } else if let Some(rest) = action.strip_prefix("remove:")
        && let Some((group, i)) = rest.rsplit_once(':')
        && let (Ok(i), Some(Value::Items(items))) = (i.parse::<usize>(), answers.get_mut(group))
        && i < items.len()
    {
        items.remove(i);
    }
    if action.starts_with("add:") || action.starts_with("remove:") {
        cases::save_draft(&mut tx, draft_id, &answers).await?;
        cases::prune_draft_files(&mut tx, draft_id, &answers).await?;
        return page_view(&state, &ctx, tx, lang, &a, &draft, &schema, &page_id, answers, file_issues, StatusCode::OK)
            .await;
    }

    // the street directory first: it may set the parking zone the page's own check requires
    let directory_issues =
        crate::flows::directory::check(&mut tx, &schema, Some(&page), &mut answers, &ctx.entry.name).await?;
    let mut issues = check_page(&page, &mut answers, today(state.db.clock()));
    issues
        .extend(directory_issues.into_iter().filter(|d| !issues.iter().any(|i| i.name == d.name)).collect::<Vec<_>>());
    issues.extend(file_issues);
    // saved whatever the outcome: nothing typed is lost
    cases::save_draft(&mut tx, draft_id, &answers).await?;
    cases::prune_draft_files(&mut tx, draft_id, &answers).await?;

    let visible = visible_pages(&schema, &answers);
    let position = visible.iter().position(|i| *i == index);
    match action.as_str() {
        "speichern" => {
            tx.finish().await?;
            return Ok(Notice::Saved.redirect(paths::MY_CASES.path()));
        }
        "zurueck" => {
            let prev = position
                .and_then(|p| p.checked_sub(1))
                .and_then(|p| visible.get(p))
                .map_or(page_id.clone(), |i| schema.pages[*i].id.clone());
            tx.finish().await?;
            return Ok(see_other(&paths::FORM_PAGE.with(&[&draft_id, &prev])));
        }
        _ => {}
    }
    if !issues.is_empty() {
        return page_view(
            &state,
            &ctx,
            tx,
            lang,
            &a,
            &draft,
            &schema,
            &page_id,
            answers,
            issues,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    tx.finish().await?;
    let next = position.and_then(|p| visible.get(p + 1)).map(|i| schema.pages[*i].id.clone());
    Ok(match next {
        Some(n) => see_other(&paths::FORM_PAGE.with(&[&draft_id, &n])),
        None => see_other(&paths::CHECK_PAGE_VIEW.with(&[&draft_id])),
    })
}
