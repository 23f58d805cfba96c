//! Applying online (citizen side): the start page of a service's form, the form page by page (drafts
//! saved on every post, nothing typed is lost on an error), check your answers, the idempotent
//! submission, the confirmation with reference and PDF receipt, "Meine Anträge" with each case's
//! timeline, messages and documents — for logged-in citizens and, where the service allows it, for
//! guests (who follow their case through a secret link sent by e-mail).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::prelude::view;
use portal_cases::{self as cases, Actor, Case, Draft, EventKind, FileOwner, FilePurpose, Owner, ServiceForm, Status, Submission};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_forms::answers::{dom_id, merge_page, retain_visible};
use portal_forms::display::sections;
use portal_forms::prefill::{ProfileValues, prefill, verified_fields};
use portal_forms::schema::{FormSchema, Kind, PrefillKey};
use portal_forms::validate::{Day, check_page, visible_pages};
use portal_forms::{Answers, Issue, Value};
use portal_identity::ratelimit::Limit;
use portal_identity::secret::{random_token, token_hash};
use portal_mail::Mail;
use portal_ui::blocks::{AnswerSection, AppFormSpec, Block, Button, Cell, MessageFormSpec, PortalBlocksPage, TimelineEntry};
use portal_ui::form_fields::FormFieldsData;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext, cookies};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::{MaybeCitizen, allow_per_address, anon_csrf, check_anon_csrf, mail_allowed, set_anon_csrf};
use crate::mailer::{base_url, queue};
use crate::pages::{html_status, lang_of, portal_chrome, see_other, with_cookie};
use crate::uploads::{FileLimits, GatedPost, MAX_UPLOAD_BODY, Posted, accept};

/// Cookie of a guest's application (its hash owns the draft).
const GUEST_COOKIE: &str = "kp_guest";

/// Drafts a guest may start per source address and hour.
const GUEST_DRAFTS_PER_ADDRESS: Limit = Limit { max: 20, window: time::Duration::hours(1) };
/// Posts with files a guest may make per source address and hour.
const GUEST_UPLOADS_PER_ADDRESS: Limit = Limit { max: 60, window: time::Duration::hours(1) };
/// Messages a guest may send through status links per source address and hour.
const GUEST_REPLIES_PER_ADDRESS: Limit = Limit { max: 30, window: time::Duration::hours(1) };

pub fn router() -> Router<AppState> {
    // only the posts that carry files may be large; the rest keep the server's default limit
    let uploads = DefaultBodyLimit::max(MAX_UPLOAD_BODY);
    Router::new()
        .route("/leistungen/{slug}/antrag", get(start_page).post(start))
        .route("/antrag/{draft}/seite/{page}", get(form_page).post(save_page).layer(uploads.clone()))
        .route("/antrag/{draft}/pruefen", get(check_page_view))
        .route("/antrag/{draft}/absenden", post(submit))
        .route("/antrag/{draft}/fertig", get(done))
        .route("/antrag/{draft}/verwerfen", post(discard))
        .route("/antrag/{draft}/datei/{file}", get(draft_file))
        .route("/konto/antraege", get(my_cases))
        .route("/konto/antraege/{case}", get(citizen_case))
        .route("/konto/antraege/{case}/nachricht", post(citizen_reply).layer(uploads.clone()))
        .route("/konto/antraege/{case}/quittung.pdf", get(citizen_receipt))
        .route("/konto/antraege/{case}/datei/{file}", get(citizen_file))
        .route("/vorgang/{token}", get(guest_case))
        .route("/vorgang/{token}/nachricht", post(guest_reply).layer(uploads))
        .route("/vorgang/{token}/quittung.pdf", get(guest_receipt))
        .route("/vorgang/{token}/datei/{file}", get(guest_file))
}

/// The offset of German civil time at `t`: CEST (+2) from the last Sunday of March 01:00 UTC to
/// the last Sunday of October 01:00 UTC, CET (+1) otherwise.
pub fn german_offset(t: OffsetDateTime) -> time::UtcOffset {
    let last_sunday = |month: time::Month| {
        let last = time::Date::from_calendar_date(t.year(), month, 31).unwrap_or(t.date());
        let back = i64::from(last.weekday().number_days_from_sunday());
        last.checked_sub(time::Duration::days(back)).unwrap_or(last).with_hms(1, 0, 0).map(|d| d.assume_utc())
    };
    let summer = match (last_sunday(time::Month::March), last_sunday(time::Month::October)) {
        (Ok(start), Ok(end)) => t >= start && t < end,
        _ => false,
    };
    time::UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

fn german(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(german_offset(t))
}

/// Today's date in Germany.
pub fn today_date() -> time::Date {
    german(OffsetDateTime::now_utc()).date()
}

/// Today in Germany (for date rules such as "not in the future").
pub fn today() -> Day {
    day_of(OffsetDateTime::now_utc())
}

/// The German civil date of `t` as the form rules read it.
pub fn day_of(t: OffsetDateTime) -> Day {
    let d = german(t).date();
    (d.year(), u32::from(u8::from(d.month())), u32::from(d.day()))
}

pub fn fmt_time(t: OffsetDateTime) -> String {
    let t = german(t);
    format!("{:02}.{:02}.{:04} {:02}:{:02}", t.day(), u8::from(t.month()), t.year(), t.hour(), t.minute())
}

pub fn fmt_date(t: OffsetDateTime) -> String {
    let t = german(t);
    format!("{:02}.{:02}.{:04}", t.day(), u8::from(t.month()), t.year())
}

#[expect(clippy::too_many_arguments, reason = "a page: frame, transaction to finish, status, title and blocks")]
pub(crate) async fn render(state: &AppState, ctx: &TenantContext, mut tx: TenantTx, lang: Lang, path: &str, status: StatusCode, title: String, blocks: Vec<Block>) -> Result<Response, AppError> {
    let mut chrome = portal_chrome(&mut tx, ctx, state, lang, path.to_owned()).await?;
    tx.commit().await?;
    if blocks.iter().any(|b| matches!(b, Block::AppForm(_))) {
        chrome.assets = crate::pages::assets(state, true);
    }
    Ok(html_status(status, portal_ui::render_document(move || view! { <PortalBlocksPage chrome=chrome title=title blocks=blocks/> })))
}

/// Who is applying: a logged-in citizen, or a guest identified by the draft cookie.
pub(crate) struct Applicant {
    pub owner: Option<Owner>,
    pub citizen: Option<crate::auth::Citizen>,
    /// The CSRF token forms carry (the session's, or the anonymous double-submit token).
    pub csrf: String,
    pub new_anon: bool,
}

pub(crate) fn applicant(citizen: MaybeCitizen, headers: &HeaderMap) -> Applicant {
    match citizen.0 {
        Some(c) => Applicant { owner: Some(Owner::Citizen(c.citizen_id)), csrf: c.csrf.clone(), citizen: Some(c), new_anon: false },
        None => {
            let (csrf, new_anon) = anon_csrf(headers);
            let owner = cookies::get(headers, GUEST_COOKIE).filter(|t| t.len() == 43).map(|t| Owner::Guest(token_hash(t).to_vec()));
            Applicant { owner, citizen: None, csrf, new_anon }
        }
    }
}

impl Applicant {
    fn check_csrf(&self, headers: &HeaderMap, given: Option<&str>) -> Result<(), AppError> {
        match &self.citizen {
            Some(c) => c.check_csrf(given),
            None => check_anon_csrf(headers, given),
        }
    }
}

pub(crate) fn finish(state: &AppState, r: Response, a: &Applicant) -> Response {
    if a.citizen.is_none() { set_anon_csrf(state, r, &a.csrf, a.new_anon) } else { r }
}

/// The draft of this applicant, with the schema it is filled in under.
pub(crate) async fn load(tx: &mut TenantTx, a: &Applicant, draft_id: Uuid, lock: bool) -> Result<(Draft, FormSchema), AppError> {
    let owner = a.owner.as_ref().ok_or_else(AppError::not_found)?;
    let draft = cases::load_draft(tx, draft_id, owner, lock).await?.ok_or_else(AppError::not_found)?;
    let schema = cases::form_version(tx, &draft.schema_hash).await?;
    Ok((draft, schema))
}

/// An open draft of this applicant, or the redirect to the confirmation once it was submitted.
enum Opened {
    Draft(TenantTx, Draft, FormSchema),
    Filed(Response),
}

async fn open(state: &AppState, ctx: &TenantContext, a: &Applicant, draft_id: Uuid, lock: bool) -> Result<Opened, AppError> {
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let (draft, schema) = load(&mut tx, a, draft_id, lock).await?;
    if draft.case_id.is_some() {
        return Ok(Opened::Filed(see_other(&format!("/antrag/{draft_id}/fertig"))));
    }
    // once the money is on its way the answers (and so the fee) stay as they were paid for
    if portal_payments::repo::payment_for_draft(&mut tx, draft_id, false).await?.is_some_and(|p| !p.status.is_payable()) {
        return Ok(Opened::Filed(see_other(&format!("/antrag/{draft_id}/zahlung"))));
    }
    Ok(Opened::Draft(tx, draft, schema))
}

pub(crate) async fn service_name(tx: &mut TenantTx, slug: &str, lang: Lang) -> Result<String, AppError> {
    Ok(cases::service_name(tx, slug).await?.map_or_else(|| slug.to_owned(), |n| n.get(lang).to_owned()))
}

// ---------------------------------------------------------------------------------------------
// start

async fn start_page(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: MaybeCitizen, Path(slug): Path<String>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let a = applicant(citizen, &headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let form = cases::service_form(&mut tx, &slug).await?.ok_or_else(AppError::not_found)?;
    let name = form.name.get(lang).to_owned();
    let pages: Vec<String> = form.schema.pages.iter().map(|p| p.title.get(lang).to_owned()).collect();
    let files: Vec<String> = form.schema.fields().filter(|f| f.kind == Kind::File).map(|f| f.label.get(lang).to_owned()).collect();
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
    let action = format!("/leistungen/{slug}/antrag");
    if a.citizen.is_some() {
        blocks.push(Block::Buttons(vec![Button { action, csrf: a.csrf.clone(), hidden: vec![], label: tr(lang, "cases.start_button"), danger: false }]));
    } else {
        let login = format!("/konto/anmelden?weiter={}", urlencoding::encode(&format!("/leistungen/{slug}/antrag")));
        blocks.push(Block::Links(vec![(login, tr(lang, "cases.start_login"))]));
        if form.schema.guest {
            blocks.push(Block::Text(tr(lang, "cases.start_guest_text")));
            blocks.push(Block::Buttons(vec![Button { action, csrf: a.csrf.clone(), hidden: vec![("als".into(), "gast".into())], label: tr(lang, "cases.start_guest_button"), danger: false }]));
        } else {
            blocks.push(Block::Notice("info", tr(lang, "cases.start_account_needed")));
        }
    }
    let title = tr_with(lang, "cases.start_title", &[("service", &name)]);
    let r = render(&state, &ctx, tx, lang, &format!("/leistungen/{slug}/antrag"), StatusCode::OK, title, blocks).await?;
    Ok(finish(&state, r, &a))
}

/// The profile values a form may prefill, and which the identity provider verified.
async fn profile_values(tx: &mut TenantTx, citizen: Uuid) -> Result<(ProfileValues, Option<String>), AppError> {
    let Some(account) = portal_identity::citizen::get(tx, citizen).await? else { return Ok((ProfileValues::default(), None)) };
    let mut v = ProfileValues::default();
    let p = &account.profile;
    let map = [
        (PrefillKey::GivenName, p.get("given_name"), "given_name"),
        (PrefillKey::FamilyName, p.get("family_name"), "family_name"),
        (PrefillKey::BirthDate, p.get("birth_date"), "birth_date"),
        (PrefillKey::Street, p.get("street"), "street"),
        (PrefillKey::Postcode, p.get("postal_code"), "postal_code"),
        (PrefillKey::Town, p.get("city"), "city"),
        (PrefillKey::Phone, p.get("phone"), "phone"),
        (PrefillKey::Email, account.email.clone(), "email"),
    ];
    for (key, value, profile_field) in map {
        if let Some(value) = value {
            v.values.insert(key, value);
            if account.verified_fields.iter().any(|f| f == profile_field) {
                v.verified.insert(key);
            }
        }
    }
    Ok((v, account.verified_by))
}

async fn start(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, ip: ClientIp, citizen: MaybeCitizen, Path(slug): Path<String>, posted: Posted) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    a.check_csrf(&headers, posted.csrf())?;
    if a.citizen.is_none() {
        allow_per_address(&state, ctx.entry.tenant_id, &ip, "guest-draft", GUEST_DRAFTS_PER_ADDRESS).await?;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let form = cases::service_form(&mut tx, &slug).await?.ok_or_else(AppError::not_found)?;
    let mut cookie = None;
    let (owner, answers) = match &a.citizen {
        Some(c) => {
            let (profile, _) = profile_values(&mut tx, c.citizen_id).await?;
            let mut answers = Answers::new();
            prefill(&form.schema, &profile, &mut answers);
            (Owner::Citizen(c.citizen_id), answers)
        }
        None if form.schema.guest && posted.text("als") == "gast" => {
            // one guest cookie per browser; a new application keeps the cookie it has
            let token = cookies::get(&headers, GUEST_COOKIE).filter(|t| t.len() == 43).map(str::to_owned).unwrap_or_else(random_token);
            cookie = Some(cookies::set(GUEST_COOKIE, &token, state.config.secure_cookies, Some(60 * 60 * 24 * 90), true));
            (Owner::Guest(token_hash(&token).to_vec()), Answers::new())
        }
        None => return Ok(see_other(&format!("/konto/anmelden?weiter={}", urlencoding::encode(&format!("/leistungen/{slug}/antrag"))))),
    };
    let draft = cases::create_draft(&mut tx, &form, &owner, &answers).await?;
    tx.commit().await?;
    let first = &form.schema.pages[0].id;
    let r = see_other(&format!("/antrag/{}/seite/{first}", draft.draft_id));
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
async fn page_view(state: &AppState, ctx: &TenantContext, mut tx: TenantTx, lang: Lang, a: &Applicant, draft: &Draft, schema: &FormSchema, page_id: &str, answers: Answers, issues: Vec<Issue>, status: StatusCode) -> Result<Response, AppError> {
    let (index, page) = schema.page(page_id).ok_or_else(AppError::not_found)?;
    let visible = visible_pages(schema, &answers);
    let position = visible.iter().position(|i| *i == index).unwrap_or(0);
    let name = service_name(&mut tx, &draft.service_slug, lang).await?;
    let (prefilled, verified, verified_by) = match &a.citizen {
        Some(c) => {
            let (profile, by) = profile_values(&mut tx, c.citizen_id).await?;
            let verified: Vec<String> = verified_fields(schema, &profile, &answers).into_iter().collect();
            let prefilled: Vec<String> = schema.fields().filter(|f| f.prefill.is_some() && answers.get(&f.id).is_some_and(|v| !v.is_empty())).map(|f| f.id.clone()).collect();
            (prefilled, verified, by)
        }
        None => (vec![], vec![], None),
    };
    // a group shows at least as many entries as it needs (one, when required)
    let mut shown = answers.clone();
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
    let step = tr_with(lang, "cases.step", &[("n", &(position + 1).to_string()), ("total", &visible.len().to_string()), ("service", &name)]);
    let spec = AppFormSpec {
        action: format!("/antrag/{}/seite/{}", draft.draft_id, page.id),
        csrf: a.csrf.clone(),
        step,
        page_help: page.help.as_ref().map(|h| h.get(lang).to_owned()),
        summary: summary(&issues, lang),
        fields: FormFieldsData { page: page.clone(), answers: shown, issues, lang, today: today(), prefilled, verified, verified_by },
        buttons,
        back: None,
    };
    let mut blocks = vec![Block::AppForm(Box::new(spec))];
    blocks.push(Block::Buttons(vec![Button { action: format!("/antrag/{}/verwerfen", draft.draft_id), csrf: a.csrf.clone(), hidden: vec![], label: tr(lang, "cases.discard"), danger: true }]));
    let title = page.title.get(lang).to_owned();
    let path = format!("/antrag/{}/seite/{}", draft.draft_id, page.id);
    let r = render(state, ctx, tx, lang, &path, status, title, blocks).await?;
    Ok(finish(state, r, a))
}

async fn form_page(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: MaybeCitizen, Path((draft_id, page_id)): Path<(Uuid, String)>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let a = applicant(citizen, &headers);
    let (tx, draft, schema) = match open(&state, &ctx, &a, draft_id, false).await? {
        Opened::Draft(tx, d, s) => (tx, d, s),
        Opened::Filed(r) => return Ok(r),
    };
    let answers = draft.answers.clone();
    page_view(&state, &ctx, tx, lang, &a, &draft, &schema, &page_id, answers, vec![], StatusCode::OK).await
}

/// Withdraws the open intent of the draft's payment (see [`crate::payflow::withdraw_intent`]);
/// true when the money is already on its way and the draft must stay as it is (the caller sends
/// the applicant to the payment page). Stripe unreachable: nothing may change now.
async fn payment_under_way(state: &AppState, tx: &mut TenantTx, draft_id: Uuid) -> Result<bool, AppError> {
    let Some(p) = portal_payments::repo::payment_for_draft(tx, draft_id, false).await? else { return Ok(false) };
    if p.intent_id.is_none() && p.status.is_payable() {
        return Ok(false);
    }
    match crate::payflow::withdraw_intent(state, tx, p.payment_id).await? {
        crate::payflow::Withdrawal::Done => Ok(false),
        crate::payflow::Withdrawal::UnderWay => Ok(true),
        crate::payflow::Withdrawal::Unavailable => Err(AppError::unavailable()),
    }
}

async fn save_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    citizen: MaybeCitizen,
    Path((draft_id, page_id)): Path<(Uuid, String)>,
    body: GatedPost,
) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let a = applicant(citizen, &headers);
    // before any file is read: the token, the draft's owner, a guest's upload allowance, and the
    // page's file inputs with their limits
    let (a_ref, headers_ref, state_ref, ip_ref, page_ref) = (&a, &headers, &state, &ip, &page_id);
    let tenant = ctx.entry.tenant_id;
    let posted = body
        .read(move |fields| async move {
            a_ref.check_csrf(headers_ref, fields.csrf())?;
            let mut tx = state_ref.db.tenant(tenant).await?;
            let (_, schema) = load(&mut tx, a_ref, draft_id, false).await?;
            tx.commit().await?;
            if a_ref.citizen.is_none() {
                allow_per_address(state_ref, tenant, ip_ref, "guest-upload", GUEST_UPLOADS_PER_ADDRESS).await?;
            }
            let (_, page) = schema.page(page_ref).ok_or_else(AppError::not_found)?;
            Ok(FileLimits::inputs(page.fields.iter().filter(|f| f.kind == Kind::File).map(|f| (f.id.clone(), f.max_bytes(), f.max_files()))))
        })
        .await?;
    a.check_csrf(&headers, posted.csrf())?;
    let (mut tx, draft, schema) = match open(&state, &ctx, &a, draft_id, true).await? {
        Opened::Draft(tx, d, s) => (tx, d, s),
        Opened::Filed(r) => return Ok(r),
    };
    let (index, page) = schema.page(&page_id).ok_or_else(AppError::not_found)?;
    let page = page.clone();
    // a payment page may be open in another tab: its intent is withdrawn before the answers (and
    // so the fee) change, so it cannot pay for answers that no longer hold
    if payment_under_way(&state, &mut tx, draft_id).await? {
        tx.commit().await?;
        return Ok(see_other(&format!("/antrag/{draft_id}/zahlung")));
    }
    let mut answers = draft.answers.clone();
    merge_page(&page, &posted.0, &mut answers);

    // attachments: removals, then new files (checked by content, cleaned, stored with the draft)
    let mut file_issues = Vec::new();
    for field in page.fields.iter().filter(|f| f.kind == Kind::File) {
        let remove = posted.all(&format!("{}.remove", field.id));
        let mut files: Vec<portal_forms::FileRef> = answers.get(&field.id).map(|v| v.files().to_vec()).unwrap_or_default();
        files.retain(|f| !remove.contains(&f.file_id));
        for upload in posted.files_for(&field.id) {
            match accept(Some(field), upload) {
                Ok((kind, bytes)) => {
                    let stored = cases::store_file(&mut tx, FileOwner::Draft { draft_id, field_id: &field.id }, &upload.file_name, kind.mime(), &bytes).await?;
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
        if let (Some(field), Some(Value::Items(items))) = (page.fields.iter().find(|f| f.id == group && f.kind == Kind::Group), answers.get_mut(group))
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
        return page_view(&state, &ctx, tx, lang, &a, &draft, &schema, &page_id, answers, file_issues, StatusCode::OK).await;
    }

    let mut issues = check_page(&page, &mut answers, today());
    issues.extend(file_issues);
    // saved whatever the outcome: nothing typed is lost
    cases::save_draft(&mut tx, draft_id, &answers).await?;
    cases::prune_draft_files(&mut tx, draft_id, &answers).await?;

    let visible = visible_pages(&schema, &answers);
    let position = visible.iter().position(|i| *i == index);
    match action.as_str() {
        "speichern" => {
            tx.commit().await?;
            return Ok(see_other("/konto/antraege?hinweis=gespeichert"));
        }
        "zurueck" => {
            let prev = position.and_then(|p| p.checked_sub(1)).and_then(|p| visible.get(p)).map_or(page_id.clone(), |i| schema.pages[*i].id.clone());
            tx.commit().await?;
            return Ok(see_other(&format!("/antrag/{draft_id}/seite/{prev}")));
        }
        _ => {}
    }
    if !issues.is_empty() {
        return page_view(&state, &ctx, tx, lang, &a, &draft, &schema, &page_id, answers, issues, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    tx.commit().await?;
    let next = position.and_then(|p| visible.get(p + 1)).map(|i| schema.pages[*i].id.clone());
    Ok(match next {
        Some(n) => see_other(&format!("/antrag/{draft_id}/seite/{n}")),
        None => see_other(&format!("/antrag/{draft_id}/pruefen")),
    })
}

// ---------------------------------------------------------------------------------------------
// check your answers, submit, confirmation

fn answer_sections(schema: &FormSchema, answers: &Answers, lang: Lang, change_base: Option<&str>) -> Vec<AnswerSection> {
    sections(schema, answers, lang)
        .into_iter()
        .map(|s| {
            let page_id = schema.pages[s.page_index].id.clone();
            AnswerSection {
                title: s.title,
                rows: s.rows.into_iter().map(|(name, label, value)| (label, value, change_base.map(|b| format!("{b}/seite/{page_id}#{}", dom_id(&name))))).collect(),
            }
        })
        .collect()
}

#[expect(clippy::too_many_arguments, reason = "the check page with the problems found on submit")]
async fn check_view(state: &AppState, ctx: &TenantContext, mut tx: TenantTx, lang: Lang, a: &Applicant, draft: &Draft, schema: &FormSchema, issues: Vec<Issue>, status: StatusCode) -> Result<Response, AppError> {
    let base = format!("/antrag/{}", draft.draft_id);
    let name = service_name(&mut tx, &draft.service_slug, lang).await?;
    let mut blocks = Vec::new();
    if !issues.is_empty() {
        // the problems link to the page of each field
        let links: Vec<(String, String)> = issues
            .iter()
            .map(|i| {
                let top = i.name.split(['.', '[']).next().unwrap_or_default();
                let page = schema.pages.iter().find(|p| p.fields.iter().any(|f| f.id == top)).map_or("", |p| p.id.as_str());
                (format!("{base}/seite/{page}#{}", dom_id(&i.name)), i.message(lang))
            })
            .collect();
        blocks.push(Block::Notice("danger", tr(lang, "cases.check_problems")));
        blocks.push(Block::Links(links));
    }
    blocks.push(Block::Text(tr_with(lang, "cases.check_intro", &[("service", &name)])));
    blocks.push(Block::Answers(answer_sections(schema, &draft.answers, lang, Some(&base))));
    // the fee as the server computes it from these answers, and how it is paid
    let plan = crate::payflow::plan(state, &mut tx, &draft.service_slug, schema, &retain_visible(schema, &draft.answers)).await?;
    let mut submit_label = tr(lang, "cases.submit");
    if let crate::payflow::Plan::Unpriced(e) = &plan {
        blocks.push(Block::Heading(tr(lang, "payments.heading")));
        blocks.push(Block::Notice("danger", tr(lang, "payments.fee_unavailable")));
        if let portal_payments::FeeError::Answer(field) = e
            && let Some(page) = schema.pages.iter().find(|p| p.fields.iter().any(|f| &f.id == field))
            && let Some(f) = schema.field(field)
        {
            blocks.push(Block::Links(vec![(format!("{base}/seite/{}#{}", page.id, dom_id(field)), f.label.get(lang).to_owned())]));
        }
    }
    if let Some(fee) = plan.fee().filter(|f| f.total() > 0) {
        let amount = crate::payflow::money(fee.total(), lang);
        blocks.push(Block::Heading(tr(lang, "payments.heading")));
        blocks.push(Block::Facts(vec![(tr(lang, "payments.fee"), format!("{amount} ({})", fee.lines(lang).join("; ")), None)]));
        let text = match &plan {
            crate::payflow::Plan::Online { service, .. } if service.timing == portal_payments::Timing::Before => {
                submit_label = tr(lang, "payments.submit_and_pay");
                tr(lang, "payments.check_before")
            }
            crate::payflow::Plan::Online { service, .. } => tr_with(lang, "payments.check_after", &[("days", &service.pay_days.to_string())]),
            crate::payflow::Plan::Offline { setup, .. } => {
                let note = if lang == Lang::En { &setup.offline_note_en } else { &setup.offline_note_de };
                format!("{} {note}", tr(lang, "payments.check_offline")).trim().to_owned()
            }
            crate::payflow::Plan::Free | crate::payflow::Plan::Unpriced(_) => String::new(),
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
    let r = render(state, ctx, tx, lang, &format!("{base}/pruefen"), status, tr(lang, "cases.check_title"), blocks).await?;
    Ok(finish(state, r, a))
}

async fn check_page_view(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: MaybeCitizen, Path(draft_id): Path<Uuid>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let a = applicant(citizen, &headers);
    let (tx, draft, schema) = match open(&state, &ctx, &a, draft_id, false).await? {
        Opened::Draft(tx, d, s) => (tx, d, s),
        Opened::Filed(r) => return Ok(r),
    };
    check_view(&state, &ctx, tx, lang, &a, &draft, &schema, vec![], StatusCode::OK).await
}

/// The applicant's name from the answers (given + family name, or a name field).
fn applicant_name(schema: &FormSchema, answers: &Answers) -> String {
    let by_prefill = |key: PrefillKey| schema.fields().find(|f| f.prefill == Some(key)).and_then(|f| answers.get(&f.id)).map(|v| v.text().to_owned()).unwrap_or_default();
    let full = format!("{} {}", by_prefill(PrefillKey::GivenName), by_prefill(PrefillKey::FamilyName)).trim().to_owned();
    if !full.is_empty() {
        return full;
    }
    answers.get("name").map(|v| v.text().to_owned()).unwrap_or_default()
}

/// The e-mail address a guest gave (the form's e-mail field prefilled from accounts).
fn guest_email(schema: &FormSchema, answers: &Answers) -> Option<String> {
    schema.fields().find(|f| f.kind == Kind::Email && f.prefill == Some(PrefillKey::Email)).and_then(|f| answers.get(&f.id)).map(|v| v.text().to_owned()).filter(|e| !e.is_empty())
}

async fn submit(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, ip: ClientIp, citizen: MaybeCitizen, Path(draft_id): Path<Uuid>, posted: Posted) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let a = applicant(citizen, &headers);
    a.check_csrf(&headers, posted.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    // the row lock makes a second, concurrent submit wait and then find the case
    let (draft, schema) = load(&mut tx, &a, draft_id, true).await?;
    if posted.text("submission_key") != draft.submission_key.to_string() {
        return Err(AppError::bad_request());
    }
    if draft.case_id.is_some() {
        tx.commit().await?;
        return Ok(see_other(&format!("/antrag/{draft_id}/fertig")));
    }
    let (issues, answers, plan) = crate::payflow::price_draft(&state, &mut tx, &draft, &schema, today()).await?;
    // never filed with problems, nor without its fee: the check page says why and where to correct it
    if !issues.is_empty() || matches!(plan, crate::payflow::Plan::Unpriced(_)) {
        return check_view(&state, &ctx, tx, lang, &a, &draft, &schema, issues, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let base = base_url(&state, &ctx.host, &headers);
    let name = service_name(&mut tx, &draft.service_slug, lang).await?;
    if let crate::payflow::Plan::Online { service, fee, setup, application_fee } = &plan
        && service.timing == portal_payments::Timing::Before
    {
        // the case is filed once paid: the payment belongs to the draft until then
        crate::payflow::payment_for_draft(&state, &mut tx, &draft, service, fee, setup, *application_fee, lang, &base, &name).await?;
        tx.commit().await?;
        return Ok(see_other(&format!("/antrag/{draft_id}/zahlung")));
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
        && let crate::payflow::Plan::Online { service, fee, setup, application_fee } = &plan
    {
        crate::payflow::payment_for_case(&mut tx, &filed.case, service, fee, setup, *application_fee, &base).await?;
    }
    tx.commit().await?;
    tracing::info!(case.reference = %filed.case.reference, service = %filed.case.service_slug, created = filed.created, "application filed");
    // a guest sees the confirmation once with the status link; it also comes by e-mail
    let to = match filed.guest_token {
        Some(t) => format!("/antrag/{draft_id}/fertig?vorgang={t}"),
        None => format!("/antrag/{draft_id}/fertig"),
    };
    Ok(see_other(&to))
}

/// A filed case, whether this call filed it, and a guest's status link token.
pub struct Filed {
    pub case: Case,
    pub created: bool,
    pub guest_token: Option<String>,
}

/// Files the case of a complete draft (validated, visible answers) once, and queues the
/// confirmation mail. Used by the submit button and, for services paid before filing, by the
/// payment's confirmation (the citizen's return or Stripe's webhook, whichever comes first).
#[expect(clippy::too_many_arguments, reason = "the draft, its form and answers, where it was filed, and whether to mail")]
pub async fn file_case(tx: &mut TenantTx, ctx: &TenantContext, base: &str, draft: &Draft, schema: &FormSchema, answers: &Answers, lang: Lang, mail: bool) -> Result<Filed, AppError> {
    let form = cases::service_form(tx, &draft.service_slug).await?.ok_or_else(AppError::not_found)?;
    // the case keeps the schema the draft was filled in under
    let form = ServiceForm { schema: schema.clone(), schema_hash: draft.schema_hash.clone(), ..form };
    let name = applicant_name(schema, answers);
    let (guest, guest_token, actor, mail_to) = match draft.citizen_id {
        Some(citizen_id) => {
            let email = portal_identity::citizen::get(tx, citizen_id).await?.and_then(|acc| acc.email);
            (None, None, Actor::citizen(citizen_id, &name), email)
        }
        None => {
            let email = guest_email(schema, answers).ok_or_else(AppError::bad_request)?;
            let token = random_token();
            (Some(email.clone()), Some(token), Actor::guest(&name), Some(email))
        }
    };
    let guest = match (&guest, &guest_token) {
        (Some(email), Some(token)) => Some(cases::GuestLink { email, token, token_hash: token_hash(token).to_vec() }),
        _ => None,
    };
    let sub = Submission { draft, form: &form, answers, applicant_name: &name, guest, lang };
    let (case, created) = cases::submit(tx, sub, &actor).await?;
    if created
        && mail
        && let Some(to) = mail_to
    {
        let link = match &guest_token {
            Some(t) => format!("{base}/vorgang/{t}"),
            None => format!("{base}/konto/antraege/{}", case.case_id),
        };
        queue(tx, ctx, base, lang, &to, Mail::CaseReceived { reference: case.reference.clone(), service: case.service_name.get(lang).to_owned(), link }).await?;
    }
    // a second call finds the case; the guest's link is the one stored with it
    let guest_token = if created { guest_token } else { case.guest_token.clone() };
    Ok(Filed { case, created, guest_token })
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    vorgang: Option<String>,
}

async fn done(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: MaybeCitizen, Path(draft_id): Path<Uuid>, Query(q): Query<DoneQuery>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let a = applicant(citizen, &headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let (draft, _) = load(&mut tx, &a, draft_id, false).await?;
    let case_id = draft.case_id.ok_or_else(AppError::not_found)?;
    let case = cases::get(&mut tx, case_id).await?.ok_or_else(AppError::not_found)?;
    let (case_link, receipt) = match (&a.citizen, q.vorgang.as_deref().filter(|t| t.len() == 43)) {
        (Some(_), _) => (Some(format!("/konto/antraege/{case_id}")), Some(format!("/konto/antraege/{case_id}/quittung.pdf"))),
        (None, Some(t)) => (Some(format!("/vorgang/{t}")), Some(format!("/vorgang/{t}/quittung.pdf"))),
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
    render(&state, &ctx, tx, lang, &format!("/antrag/{draft_id}/fertig"), StatusCode::OK, tr(lang, "cases.done_title"), blocks).await
}

async fn discard(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: MaybeCitizen, Path(draft_id): Path<Uuid>, posted: Posted) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    a.check_csrf(&headers, posted.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let (draft, _) = load(&mut tx, &a, draft_id, true).await?;
    if draft.case_id.is_none() {
        // an open payment is withdrawn first: a page still showing it must not take money for a
        // draft that is gone; one under way keeps the draft
        if payment_under_way(&state, &mut tx, draft_id).await? {
            tx.commit().await?;
            return Ok(see_other(&format!("/antrag/{draft_id}/zahlung")));
        }
        cases::delete_draft(&mut tx, draft_id).await?;
    }
    tx.commit().await?;
    Ok(see_other(if a.citizen.is_some() { "/konto/antraege?hinweis=verworfen" } else { "/" }))
}

/// Serves a stored file as a download (never inline: no content sniffing, no script in a PDF
/// opened in our origin).
pub fn file_response(file: cases::StoredFile, bytes: Vec<u8>) -> Response {
    let mut r = ([(header::CONTENT_TYPE, file.content_type.clone()), (header::CACHE_CONTROL, "private, no-store".to_owned())], bytes).into_response();
    let ascii: String = file.name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", urlencoding::encode(&file.name));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    r
}

async fn draft_file(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: MaybeCitizen, Path((draft_id, file_id)): Path<(Uuid, Uuid)>) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let _ = load(&mut tx, &a, draft_id, false).await?;
    let (file, bytes) = cases::file(&mut tx, file_id).await?.filter(|(f, _)| f.draft_id == Some(draft_id)).ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(file_response(file, bytes))
}

// ---------------------------------------------------------------------------------------------
// my applications and the case page

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    hinweis: Option<String>,
}

async fn my_cases(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: crate::auth::Citizen, Query(q): Query<Notice>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let list = cases::cases_of(&mut tx, citizen.citizen_id).await?;
    let drafts = cases::drafts_of(&mut tx, citizen.citizen_id).await?;
    let mut blocks = match q.hinweis.as_deref() {
        Some("gespeichert") => vec![Block::Notice("success", tr(lang, "cases.saved_notice"))],
        Some("verworfen") => vec![Block::Notice("info", tr(lang, "cases.discarded_notice"))],
        _ => vec![],
    };
    let rows = list
        .iter()
        .map(|c| {
            vec![
                Cell::Link(format!("/konto/antraege/{}", c.case_id), c.reference.clone()),
                Cell::Text(c.service_name.get(lang).to_owned()),
                Cell::Text(fmt_date(c.submitted_at)),
                Cell::Badge(c.status.badge(), c.status.label(lang).to_owned()),
            ]
        })
        .collect();
    blocks.push(Block::Table {
        caption: tr(lang, "cases.my_cases"),
        headers: vec![tr(lang, "cases.reference"), tr(lang, "cases.service"), tr(lang, "cases.submitted_at"), tr(lang, "cases.status")],
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
                    Cell::Link(format!("/antrag/{}/pruefen", d.draft_id), tr(lang, "cases.resume")),
                ]
            })
            .collect();
        blocks.push(Block::Table { caption: tr(lang, "cases.my_drafts"), headers: vec![tr(lang, "cases.service"), tr(lang, "cases.saved_at"), tr(lang, "cases.kept_until"), String::new()], rows, empty: String::new() });
    }
    blocks.push(Block::Links(vec![("/konto".into(), tr(lang, "cases.back_to_account"))]));
    render(&state, &ctx, tx, lang, "/konto/antraege", StatusCode::OK, tr(lang, "cases.my_title"), blocks).await
}

/// The applicant's view of a case (account or guest link); `base` is the case's URL.
async fn case_blocks(tx: &mut TenantTx, lang: Lang, case: &Case, base: &str, csrf: &str, reply_error: Option<(String, Option<String>, Option<String>)>) -> Result<Vec<Block>, AppError> {
    let events = cases::events(tx, case.case_id, false).await?;
    let files = cases::files_of_case(tx, case.case_id).await?;
    let schema = cases::form_version(tx, &case.schema_hash).await?;
    let mut blocks = vec![Block::Facts(vec![
        (tr(lang, "cases.reference"), case.reference.clone(), None),
        (tr(lang, "cases.service"), case.service_name.get(lang).to_owned(), None),
        (tr(lang, "cases.submitted_at"), fmt_time(case.submitted_at), None),
        (tr(lang, "cases.status"), case.status.label(lang).to_owned(), None),
    ])];
    if case.status == Status::InformationRequested {
        blocks.push(Block::Notice("warning", tr(lang, "cases.info_requested_notice")));
    }
    if let Some(reason) = case.decision_reason.as_ref().filter(|_| case.status == Status::Rejected) {
        blocks.push(Block::Notice("danger", tr_with(lang, "cases.rejected_notice", &[("reason", reason)])));
    }
    if let Some(p) = portal_payments::repo::payment_for_case(tx, case.case_id, false).await? {
        blocks.extend(crate::routes::payments::case_payment_blocks(lang, &p, base));
    }
    let issued: Vec<(String, String)> = files.iter().filter(|f| f.purpose == "issued").map(|f| (format!("{base}/datei/{}", f.file_id), f.name.clone())).collect();
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
            heading: tr(lang, if case.status == Status::InformationRequested { "cases.reply_heading_requested" } else { "cases.reply_heading" }),
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
    let answer_files: Vec<(String, String)> = files.iter().filter(|f| f.purpose == "answer").map(|f| (format!("{base}/datei/{}", f.file_id), f.name.clone())).collect();
    if !answer_files.is_empty() {
        blocks.push(Block::Heading(tr(lang, "cases.attachments")));
        blocks.push(Block::Links(answer_files));
    }
    blocks.push(Block::Links(vec![(format!("{base}/quittung.pdf"), tr(lang, "cases.receipt"))]));
    Ok(blocks)
}

/// Timeline entries; `staff` adds internal notes and assignment entries.
pub fn timeline(lang: Lang, events: &[cases::Event], files: &[cases::StoredFile], base: &str, staff: bool) -> Vec<TimelineEntry> {
    events
        .iter()
        .map(|e| {
            let (title, badge) = match e.kind {
                EventKind::Submitted => (tr(lang, "cases.ev_submitted"), Some((Status::Submitted.badge(), Status::Submitted.label(lang).to_owned()))),
                EventKind::Status => (tr(lang, "cases.ev_status"), e.status.map(|s| (s.badge(), s.label(lang).to_owned()))),
                EventKind::Message if e.actor_kind == "staff" || e.actor_kind == "system" => (tr(lang, "cases.ev_message_office"), None),
                EventKind::Message => (tr(lang, "cases.ev_message_applicant"), None),
                EventKind::Note => (tr(lang, "cases.ev_note"), None),
                EventKind::Assigned => (tr(lang, "cases.ev_assigned"), None),
                EventKind::Document => (tr(lang, "cases.ev_document"), None),
                EventKind::Anonymised => (tr(lang, "cases.ev_anonymised"), None),
                EventKind::Payment => (tr(lang, "payments.ev_payment"), None),
            };
            let who = if staff || !matches!(e.actor_kind.as_str(), "staff" | "system") { e.actor_name.clone() } else { String::new() };
            let text = if e.kind == EventKind::Assigned && e.body.is_empty() { tr(lang, "cases.unassigned") } else { e.body.clone() };
            TimelineEntry {
                when: fmt_time(e.at),
                title,
                who,
                text,
                files: files.iter().filter(|f| f.event_id == Some(e.event_id)).map(|f| (format!("{base}/datei/{}", f.file_id), f.name.clone())).collect(),
                badge,
                internal: e.internal,
            }
        })
        .filter(|t| staff || !t.internal)
        .collect()
}

async fn citizen_case_page(state: &AppState, ctx: &TenantContext, lang: Lang, citizen: &crate::auth::Citizen, case_id: Uuid, reply: Option<(String, Option<String>, Option<String>)>, status: StatusCode) -> Result<Response, AppError> {
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let case = cases::get(&mut tx, case_id).await?.filter(|c| c.citizen_id == Some(citizen.citizen_id)).ok_or_else(AppError::not_found)?;
    let base = format!("/konto/antraege/{case_id}");
    let mut blocks = case_blocks(&mut tx, lang, &case, &base, &citizen.csrf, reply).await?;
    blocks.push(Block::Links(vec![("/konto/antraege".into(), tr(lang, "cases.back_to_list"))]));
    let title = tr_with(lang, "cases.case_title", &[("reference", &case.reference)]);
    render(state, ctx, tx, lang, &base, status, title, blocks).await
}

async fn citizen_case(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: crate::auth::Citizen, Path(case_id): Path<Uuid>) -> Result<Response, AppError> {
    citizen_case_page(&state, &ctx, lang_of(&headers), &citizen, case_id, None, StatusCode::OK).await
}

/// A reply of the applicant: text and/or a file; a case waiting for information returns to review.
/// Returns the problems (text, file) when the reply is not acceptable.
async fn reply(tx: &mut TenantTx, lang: Lang, case: &Case, actor: &Actor, posted: &Posted) -> Result<Option<(String, Option<String>, Option<String>)>, AppError> {
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
        cases::store_file(tx, FileOwner::Case { case_id: case.case_id, event_id: Some(event), purpose: FilePurpose::Message }, &u.file_name, kind.mime(), &bytes).await?;
    }
    Ok(None)
}

async fn citizen_reply(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: crate::auth::Citizen, Path(case_id): Path<Uuid>, body: GatedPost) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    let c = &citizen;
    let posted = body
        .read(move |fields| async move {
            c.check_csrf(fields.csrf())?;
            Ok(FileLimits::message_attachment())
        })
        .await?;
    citizen.check_csrf(posted.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let case = cases::get(&mut tx, case_id).await?.filter(|c| c.citizen_id == Some(citizen.citizen_id)).ok_or_else(AppError::not_found)?;
    let name = case.applicant_name.clone();
    if let Some(problem) = reply(&mut tx, lang, &case, &Actor::citizen(citizen.citizen_id, &name), &posted).await? {
        drop(tx);
        return citizen_case_page(&state, &ctx, lang, &citizen, case_id, Some(problem), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    tx.commit().await?;
    Ok(see_other(&format!("/konto/antraege/{case_id}")))
}

/// The PDF receipt of a case.
pub async fn receipt_response(tx: &mut TenantTx, ctx: &TenantContext, lang: Lang, case: &Case) -> Result<Response, AppError> {
    let schema = cases::form_version(tx, &case.schema_hash).await?;
    let rows = sections(&schema, &case.answers, lang);
    let tenant = portal_tenancy::repo::branding_and_logo_hash(tx).await?.map_or_else(|| ctx.entry.name.clone(), |(b, _)| b.display_name);
    let title = tr_with(lang, "cases.receipt_title", &[("service", case.service_name.get(lang))]);
    let pdf = crate::receipt::render(&crate::receipt::Receipt {
        tenant: &tenant,
        title: &title,
        facts: vec![
            (tr(lang, "cases.reference"), case.reference.clone()),
            (tr(lang, "cases.submitted_at"), fmt_time(case.submitted_at)),
            (tr(lang, "cases.applicant"), case.applicant_name.clone()),
            (tr(lang, "cases.form_version"), format!("{} ({})", schema.version, &case.schema_hash[..12.min(case.schema_hash.len())])),
        ],
        sections: &rows,
        footer: tr_with(lang, "cases.receipt_footer", &[("created", &fmt_time(OffsetDateTime::now_utc()))]),
    });
    Ok(crate::pages::attachment("application/pdf", pdf, &format!("eingangsbestaetigung-{}.pdf", case.reference)))
}

/// The PDFs of a case: the receipt of the application, or of its payment.
#[derive(Debug, Clone, Copy)]
pub enum CasePdf {
    Application,
    Payment,
}

async fn case_pdf(tx: &mut TenantTx, ctx: &TenantContext, lang: Lang, case: &Case, pdf: CasePdf) -> Result<Response, AppError> {
    match pdf {
        CasePdf::Application => receipt_response(tx, ctx, lang, case).await,
        CasePdf::Payment => super::payments::receipt_response(tx, ctx, lang, case).await,
    }
}

/// A PDF of a citizen's own case.
pub async fn citizen_pdf(state: &AppState, ctx: &TenantContext, headers: &HeaderMap, citizen: &crate::auth::Citizen, case_id: Uuid, pdf: CasePdf) -> Result<Response, AppError> {
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let case = cases::get(&mut tx, case_id).await?.filter(|c| c.citizen_id == Some(citizen.citizen_id)).ok_or_else(AppError::not_found)?;
    let r = case_pdf(&mut tx, ctx, lang_of(headers), &case, pdf).await?;
    tx.commit().await?;
    Ok(r)
}

/// A PDF of a guest's case, by the status link's token.
pub async fn guest_pdf(state: &AppState, ctx: &TenantContext, headers: &HeaderMap, token: &str, pdf: CasePdf) -> Result<Response, AppError> {
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, token).await?;
    let r = case_pdf(&mut tx, ctx, lang_of(headers), &case, pdf).await?;
    tx.commit().await?;
    Ok(r)
}

async fn citizen_receipt(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, citizen: crate::auth::Citizen, Path(case_id): Path<Uuid>) -> Result<Response, AppError> {
    citizen_pdf(&state, &ctx, &headers, &citizen, case_id, CasePdf::Application).await
}

async fn citizen_file(State(state): State<AppState>, ctx: TenantContext, citizen: crate::auth::Citizen, Path((case_id, file_id)): Path<(Uuid, Uuid)>) -> Result<Response, AppError> {
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    cases::get(&mut tx, case_id).await?.filter(|c| c.citizen_id == Some(citizen.citizen_id)).ok_or_else(AppError::not_found)?;
    let (file, bytes) = cases::file(&mut tx, file_id).await?.filter(|(f, _)| f.case_id == Some(case_id)).ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(file_response(file, bytes))
}

// ---------------------------------------------------------------------------------------------
// guests: the case behind the secret link

pub(crate) async fn guest_lookup(tx: &mut TenantTx, token: &str) -> Result<Case, AppError> {
    if token.len() != 43 {
        return Err(AppError::not_found());
    }
    cases::by_guest_token(tx, &token_hash(token)).await?.ok_or_else(AppError::not_found)
}

async fn guest_case_page(state: &AppState, ctx: &TenantContext, headers: &HeaderMap, lang: Lang, token: &str, reply: Option<(String, Option<String>, Option<String>)>, status: StatusCode) -> Result<Response, AppError> {
    let (csrf, new) = anon_csrf(headers);
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, token).await?;
    let base = format!("/vorgang/{token}");
    let blocks = case_blocks(&mut tx, lang, &case, &base, &csrf, reply).await?;
    let title = tr_with(lang, "cases.case_title", &[("reference", &case.reference)]);
    let mut r = render(state, ctx, tx, lang, &base, status, title, blocks).await?;
    // the link is a secret: keep it out of other sites' logs
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(set_anon_csrf(state, r, &csrf, new))
}

async fn guest_case(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Path(token): Path<String>) -> Result<Response, AppError> {
    guest_case_page(&state, &ctx, &headers, lang_of(&headers), &token, None, StatusCode::OK).await
}

async fn guest_reply(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, ip: ClientIp, Path(token): Path<String>, body: GatedPost) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    // counted per source address before anything is read; with a file, the token and the status
    // link are checked before the file is
    allow_per_address(&state, ctx.entry.tenant_id, &ip, "guest-reply", GUEST_REPLIES_PER_ADDRESS).await?;
    let (h, st, token_ref, tenant) = (&headers, &state, &token, ctx.entry.tenant_id);
    let posted = body
        .read(move |fields| async move {
            check_anon_csrf(h, fields.csrf())?;
            let mut tx = st.db.tenant(tenant).await?;
            guest_lookup(&mut tx, token_ref).await?;
            tx.commit().await?;
            Ok(FileLimits::message_attachment())
        })
        .await?;
    check_anon_csrf(&headers, posted.csrf())?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, &token).await?;
    let name = case.applicant_name.clone();
    if let Some(problem) = reply(&mut tx, lang, &case, &Actor::guest(&name), &posted).await? {
        drop(tx);
        return guest_case_page(&state, &ctx, &headers, lang, &token, Some(problem), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    tx.commit().await?;
    Ok(see_other(&format!("/vorgang/{token}")))
}

async fn guest_receipt(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, Path(token): Path<String>) -> Result<Response, AppError> {
    guest_pdf(&state, &ctx, &headers, &token, CasePdf::Application).await
}

async fn guest_file(State(state): State<AppState>, ctx: TenantContext, Path((token, file_id)): Path<(String, Uuid)>) -> Result<Response, AppError> {
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, &token).await?;
    let (file, bytes) = cases::file(&mut tx, file_id).await?.filter(|(f, _)| f.case_id == Some(case.case_id)).ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(file_response(file, bytes))
}

#[cfg(test)]
mod tests {
    use super::german_offset;
    use time::macros::datetime;

    #[test]
    fn german_time_switches_on_the_last_sundays_of_march_and_october() {
        assert_eq!(german_offset(datetime!(2026-03-29 00:59 UTC)).whole_hours(), 1);
        assert_eq!(german_offset(datetime!(2026-03-29 01:00 UTC)).whole_hours(), 2);
        assert_eq!(german_offset(datetime!(2026-07-01 12:00 UTC)).whole_hours(), 2);
        assert_eq!(german_offset(datetime!(2026-10-25 00:59 UTC)).whole_hours(), 2);
        assert_eq!(german_offset(datetime!(2026-10-25 01:00 UTC)).whole_hours(), 1);
        assert_eq!(german_offset(datetime!(2026-11-22 12:00 UTC)).whole_hours(), 1);
    }
}
