//! The back office (`/verwaltung/vorgaenge`): the inbox with filters, sorting and paging; the case
//! view with answers, attachments, timeline, internal notes and messages; assignment; the status
//! workflow (each change mails the applicant through the job queue and lands on their timeline);
//! documents issued; export. Case workers see only the services of their scope. Every action is a
//! typed casbin check and is audited in the transaction that makes it. Tenant admins also set the
//! draft period, per-service processing time and retention, and their own form per service.

use crate::kit::checked::Checked;
use crate::kit::office::ObjectPage;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use portal_authz::{Action, Resource};
use portal_cases::{self as cases, Case, EventKind, FileOwner, FilePurpose, InboxQuery, Sort, Status};
use portal_catalogue::repo as catalogue;
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_forms::FormSchema;
use portal_mail::{Mail, Text};
use portal_ui::blocks::{AnswerSection, Block, Button, Cell, Field, FieldKind, FilterSpec, FormSpec, MessageFormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;
use uuid::Uuid;

use crate::flows::filing::applicant_email;
use crate::kit::dates::{fmt_date, fmt_time};
use crate::kit::links;
use crate::kit::mail::{base_url, queue};
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::page::file_response;
use crate::kit::page::see_other;
use crate::kit::pipeline::tenant_tx;
use crate::kit::registry::{self, BoxFuture, Capability, NavEntry, OfficeCasePage, PanelForm};
use crate::kit::session::Staff;
use crate::kit::uploads::{MAX_UPLOAD_BODY, Posted, accept};
use crate::shared::cases::{actor, case_scope, receipt_response, status_label, timeline, visible_case};

pub mod paths;
pub const CAPABILITY: Capability = Capability {
    portal: Some(router),
    staff_nav: &[
        NavEntry {
            order: 10,
            path: paths::INBOX.path(),
            label: "staff.nav_cases",
            resource: Resource::Cases,
            action: Action::Read,
        },
        NavEntry {
            order: 50,
            path: paths::SETTINGS.path(),
            label: "staff.nav_case_settings",
            resource: Resource::Services,
            action: Action::Write,
        },
    ],
    dashboard: &[dashboard_panel],
    office_case_page: Some(OfficeCasePage { path: paths::CASE_VIEW, render: office_case_page }),
    texts: || cases::status::ALL.iter().map(|s| format!("casework.action_{}", s.as_str())).collect(),
    ..Capability::named("casework")
};

mod settings;
use settings::*;
mod inbox;
use inbox::*;
mod actions;
use actions::*;

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::INBOX.pattern(), get(inbox))
        .route(paths::CASE_VIEW.pattern(), get(case_view))
        .route(paths::CHANGE_STATUS.pattern(), post(change_status))
        .route(paths::MESSAGE.pattern(), post(post_entry::<Message>))
        .route(paths::NOTE.pattern(), post(post_entry::<Note>))
        .route(paths::ISSUE_DOCUMENT.pattern(), post(post_entry::<IssueDocument>))
        .route(paths::ASSIGN.pattern(), post(assign))
        .route(paths::CASE_FILE.pattern(), get(case_file))
        .route(paths::EXPORT.pattern(), get(export))
        .route(paths::RECEIPT.pattern(), get(receipt))
        .route(paths::SETTINGS.pattern(), get(settings).post(save_settings))
        .route(paths::FORM_OVERRIDE_PAGE.pattern(), get(form_override_page).post(save_form_override))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY))
}

/// Members of staff who may process cases of `service`: active tenant admins, and active case
/// workers whose scope covers it.
async fn assignees(tx: &mut TenantTx, service: &str) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(portal_identity::staff::list(tx)
        .await?
        .into_iter()
        .filter(|u| u.status == "active")
        .filter(|u| {
            u.roles.iter().any(|r| {
                r.role == "tenant_admin"
                    || (r.role == "case_worker"
                        && (r.scope_services.is_empty() || r.scope_services.iter().any(|x| x == service)))
            })
        })
        .map(|u| (u.staff_id, u.display_name))
        .collect())
}

/// Counts for "Meine Arbeit" on the staff home page.
/// The staff dashboard's view of the work: open, own and overdue cases.
fn dashboard_panel<'a>(tx: &'a mut TenantTx, lang: Lang, s: &'a Staff) -> BoxFuture<'a, Result<Vec<Block>, AppError>> {
    Box::pin(work_blocks(tx, lang, s))
}

async fn work_blocks(tx: &mut TenantTx, lang: Lang, s: &Staff) -> Result<Vec<Block>, AppError> {
    let scope = case_scope(&s.principal);
    let base = InboxQuery { scope: scope.clone(), open_only: true, per_page: 1, ..InboxQuery::default() };
    let (_, open) = cases::inbox(tx, &base).await?;
    let (_, mine) = cases::inbox(tx, &InboxQuery { assigned_to: Some(s.user.staff_id), ..base.clone() }).await?;
    let (_, overdue) = cases::inbox(tx, &InboxQuery { overdue: true, ..base.clone() }).await?;
    Ok(vec![
        Block::Facts(vec![
            (tr(lang, "casework.open"), open.to_string(), None),
            (tr(lang, "casework.mine"), mine.to_string(), None),
            (tr(lang, "casework.overdue"), overdue.to_string(), None),
        ]),
        Block::Links(vec![
            (paths::INBOX.path().into(), tr(lang, "casework.to_inbox")),
            (format!("{}?meine=1", paths::INBOX.path()), tr(lang, "casework.to_mine")),
            (format!("{}?ueberfaellig=1", paths::INBOX.path()), tr(lang, "casework.to_overdue")),
        ]),
    ])
}

// ---------------------------------------------------------------------------------------------
// inbox

// ---------------------------------------------------------------------------------------------
// the case

/// Problems to show with a form of the case page: (which form, text kept, message).
type FormProblem = (&'static str, String, String);

async fn case_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    case_id: Uuid,
    problem: Option<FormProblem>,
    status: StatusCode,
) -> Result<Response, AppError> {
    case_page_with(
        ObjectPage::new(state, ctx, lang, s, case_id).answer(None, status),
        CaseForms { problem, ..CaseForms::default() },
    )
    .await
}

/// The case view as the registry shows it for another capability's panel action.
fn office_case_page<'a>(
    state: &'a AppState,
    ctx: &'a TenantContext,
    lang: Lang,
    s: &'a Staff,
    case_id: Uuid,
    panel: Option<PanelForm>,
    status: StatusCode,
) -> BoxFuture<'a, Result<Response, AppError>> {
    Box::pin(case_page_with(
        ObjectPage::new(state, ctx, lang, s, case_id).answer(None, status),
        CaseForms { panel, ..CaseForms::default() },
    ))
}

/// What the case view shows besides the case: a form of its own sent back with its problem, another
/// capability's panel form with its errors, a notice.
#[derive(Default)]
struct CaseForms {
    problem: Option<FormProblem>,
    panel: Option<PanelForm>,
    notice: Option<Notice>,
}

/// The case view with the state of its forms.
async fn case_page_with(p: ObjectPage<'_, Uuid, FormState>, forms: CaseForms) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, key: case_id, status, .. } = p;
    let CaseForms { problem, panel, notice } = forms;
    s.require(state, Resource::Cases, Action::Read)?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let case = visible_case(&mut tx, s, case_id).await?;
    let events = cases::events(&mut tx, case_id, true).await?;
    let files = cases::files_of_case(&mut tx, case_id).await?;
    let schema = cases::form_version(&mut tx, &case.schema_hash).await?;
    let colleagues = assignees(&mut tx, &case.service_slug).await?;
    let email = applicant_email(&mut tx, &case).await?;
    // what other capabilities show on the case (its payment, its documents ...)
    let mut panel_blocks = Vec::new();
    for (capability, show) in registry::named_panels(|c| c.office_case) {
        panel_blocks.extend(show(state, &mut tx, lang, s, &case, PanelForm::of(panel.as_ref(), capability)).await?);
    }
    tx.finish().await?;
    let base = paths::CASE_VIEW.with(&[&case_id]);
    let may_process = s.may(state, Resource::Cases, Action::Process);
    let now = state.db.now();
    let mut blocks: Vec<Block> = notice.and_then(|n| n.block(lang)).into_iter().collect();
    if let Some((_, _, msg)) = problem.as_ref().filter(|p| p.0 == "top") {
        blocks.push(Block::Notice("danger", msg.clone()));
    }
    blocks.push(Block::Facts(vec![
        (tr(lang, "cases.reference"), case.reference.clone(), None),
        (tr(lang, "casework.service"), case.service_name.get(lang).to_owned(), None),
        (
            tr(lang, "cases.applicant"),
            format!(
                "{} ({})",
                case.applicant_name,
                if case.citizen_id.is_some() { tr(lang, "casework.with_account") } else { tr(lang, "casework.guest") }
            ),
            None,
        ),
        (tr(lang, "casework.email"), email.unwrap_or_else(|| "–".into()), None),
        (tr(lang, "cases.submitted_at"), fmt_time(case.submitted_at), None),
        (
            tr(lang, "casework.due"),
            if case.overdue(now) {
                format!("{} – {}", fmt_date(case.due_at), tr(lang, "casework.overdue_badge"))
            } else {
                fmt_date(case.due_at)
            },
            None,
        ),
        (tr(lang, "casework.status"), status_label(lang, case.status), None),
        (tr(lang, "casework.assigned"), case.assigned_name.clone().unwrap_or_else(|| "–".into()), None),
        (
            tr(lang, "cases.form_version"),
            format!("{} ({})", schema.version, &case.schema_hash[..12.min(case.schema_hash.len())]),
            None,
        ),
    ]));
    blocks.extend(panel_blocks);
    if may_process {
        let mut buttons = Vec::new();
        if case.assigned_to != Some(s.user.staff_id) {
            buttons.push(Button {
                action: format!("{base}/zuweisen"),
                csrf: s.csrf.clone(),
                hidden: vec![("an".into(), "mich".into())],
                label: tr(lang, "casework.assign_me"),
                danger: false,
            });
        }
        if case.assigned_to.is_some() {
            buttons.push(Button {
                action: format!("{base}/zuweisen"),
                csrf: s.csrf.clone(),
                hidden: vec![("an".into(), "niemand".into())],
                label: tr(lang, "casework.unassign"),
                danger: false,
            });
        }
        blocks.push(Block::Buttons(buttons));
        let mut assign_form = FormState::default();
        assign_form.values.insert("an".into(), case.assigned_to.map(|a| a.to_string()).unwrap_or_default());
        let mut options = vec![("niemand".to_owned(), tr(lang, "casework.nobody"))];
        options.extend(colleagues.iter().map(|(id, name)| (id.to_string(), name.clone())));
        blocks.push(Block::Form(FormSpec {
            action: format!("{base}/zuweisen"),
            csrf: s.csrf.clone(),
            form: assign_form,
            fields: vec![Field::new("an", tr(lang, "casework.assign_to"), FieldKind::Select(options))],
            submit: tr(lang, "casework.assign"),
            danger: false,
            secondary: None,
        }));
        let next = case.status.next();
        if !next.is_empty() && case.anonymised_at.is_none() {
            let (text, err) = match problem.as_ref().filter(|p| p.0 == "status") {
                Some((_, t, m)) => (t.clone(), Some(m.clone())),
                None => (String::new(), None),
            };
            blocks.push(Block::MessageForm(Box::new(MessageFormSpec {
                action: format!("{base}/status"),
                csrf: s.csrf.clone(),
                heading: tr(lang, "casework.status_heading"),
                text_label: tr(lang, "casework.status_text"),
                text_value: text,
                text_error: err,
                file_label: None,
                file_error: None,
                hidden: vec![],
                choices: next
                    .iter()
                    .map(|st| (st.as_str().to_owned(), tr(lang, &format!("casework.action_{}", st.as_str()))))
                    .collect(),
                choice_label: tr(lang, "casework.next_step"),
                chosen: String::new(),
                submit: tr(lang, "casework.status_submit"),
            })));
        }
    }
    blocks.push(Block::Heading(tr(lang, "cases.timeline")));
    blocks.push(Block::Timeline(timeline(lang, &events, &files, &base, true)));
    if may_process && case.anonymised_at.is_none() {
        for (kind, heading, label, file, submit) in [
            (
                "message",
                "casework.message_heading",
                "casework.message_text",
                Some("casework.message_file"),
                "casework.message_submit",
            ),
            ("note", "casework.note_heading", "casework.note_text", None, "casework.note_submit"),
            (
                "document",
                "casework.document_heading",
                "casework.document_text",
                Some("casework.document_file"),
                "casework.document_submit",
            ),
        ] {
            let (text, text_error, file_error) = match problem.as_ref().filter(|p| p.0 == kind) {
                Some((_, t, m)) if m.starts_with('!') => (t.clone(), None, Some(m[1..].to_owned())),
                Some((_, t, m)) => (t.clone(), Some(m.clone()), None),
                None => (String::new(), None, None),
            };
            let path = match kind {
                "message" => "nachricht",
                "note" => "notiz",
                _ => "dokument",
            };
            blocks.push(Block::MessageForm(Box::new(MessageFormSpec {
                action: format!("{base}/{path}"),
                csrf: s.csrf.clone(),
                heading: tr(lang, heading),
                text_label: tr(lang, label),
                text_value: text,
                text_error,
                file_label: file.map(|f| tr(lang, f)),
                file_error,
                hidden: vec![],
                choices: vec![],
                choice_label: String::new(),
                chosen: String::new(),
                submit: tr(lang, submit),
            })));
        }
    }
    blocks.push(Block::Heading(tr(lang, "casework.answers")));
    let sections = portal_forms::display::sections(&schema, &case.answers, lang);
    blocks.push(Block::Answers(
        sections
            .into_iter()
            .map(|s| AnswerSection { title: s.title, rows: s.rows.into_iter().map(|(_, l, v)| (l, v, None)).collect() })
            .collect(),
    ));
    let attachments: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.purpose == "answer")
        .map(|f| {
            (
                format!("{base}/datei/{}", f.file_id),
                format!("{} ({}, {} KB)", f.name, f.content_type, (f.size + 1023) / 1024),
            )
        })
        .collect();
    if !attachments.is_empty() {
        blocks.push(Block::Heading(tr(lang, "cases.attachments")));
        blocks.push(Block::Links(attachments));
    }
    blocks.push(Block::Links(vec![
        (format!("{base}/export.json"), tr(lang, "casework.export")),
        (format!("{base}/quittung.pdf"), tr(lang, "cases.receipt")),
        (paths::INBOX.path().into(), tr(lang, "casework.back_to_inbox")),
    ]));
    let title = tr_with(lang, "cases.case_title", &[("reference", &case.reference)]);
    staff_page(state, ctx, lang, &base, Some(s), status, title, blocks).await
}

async fn case_view(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(id): Params<Uuid>,
    uri: axum::http::Uri,
) -> Result<Response, AppError> {
    let forms = CaseForms { notice: Notice::from_query(uri.query()), ..CaseForms::default() };
    case_page_with(ObjectPage::new(&state, &ctx, lang, &s, id), forms).await
}

/// Mails the applicant about the case (status change or message), in the language they applied in.
async fn notify(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    tx: &mut TenantTx,
    case: &Case,
    text: &str,
) -> Result<(), AppError> {
    let base = base_url(state, &ctx.host, headers);
    let link = match (case.citizen_id, &case.guest_token) {
        (Some(_), _) => format!("{base}{}", links::CITIZEN_CASE.with(&[&case.case_id])),
        (None, Some(t)) => format!("{base}{}", links::GUEST_CASE.with(&[t])),
        (None, None) => return Ok(()),
    };
    let Some(to) = applicant_email(tx, case).await? else { return Ok(()) };
    let lang = case.lang;
    let mail = Mail::new(
        Text::new("casework.mail.case_update_subject")
            .with("reference", case.reference.clone())
            .with("status", status_label(lang, case.status)),
    )
    .line(
        Text::new("casework.mail.case_update_text")
            .with("service", case.service_name.get(lang))
            .with("reference", case.reference.clone())
            .with("status", status_label(lang, case.status)),
    )
    .line_if(!text.trim().is_empty(), Text::new("casework.mail.case_update_text_2").with("text", text))
    .button(Text::new("casework.mail.case_update_button"), link);
    queue(tx, ctx, &base, lang, &to, mail).await
}

async fn case_file(
    State(state): State<AppState>,
    ctx: TenantContext,
    s: Staff,
    Params((id, file_id)): Params<(Uuid, Uuid)>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Cases, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    visible_case(&mut tx, &s, id).await?;
    let (file, bytes) =
        cases::file(&mut tx, file_id).await?.filter(|(f, _)| f.case_id == Some(id)).ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    Ok(file_response(file, bytes))
}

/// The case for back-office systems: answers with the schema's version and hash, status, timeline
/// (without internal notes) and the attachments' metadata.
async fn export(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    s: Staff,
    Params(id): Params<Uuid>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Cases, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = visible_case(&mut tx, &s, id).await?;
    let schema = cases::form_version(&mut tx, &case.schema_hash).await?;
    let events = cases::events(&mut tx, id, false).await?;
    let files = cases::files_of_case(&mut tx, id).await?;
    audit(&mut tx, &s, &ip, "case.export", case.reference.clone(), serde_json::json!({})).await?;
    tx.finish().await?;
    let mut body = portal_forms::answers::export(&schema, &case.schema_hash, &case.answers);
    if let Some(o) = body.as_object_mut() {
        o.insert("reference".into(), case.reference.clone().into());
        o.insert("service".into(), case.service_slug.clone().into());
        o.insert("service_version".into(), case.service_version.into());
        o.insert("status".into(), case.status.as_str().into());
        o.insert("submitted_at".into(), case.submitted_at.to_string().into());
        o.insert("applicant".into(), case.applicant_name.clone().into());
        o.insert("timeline".into(), events.iter().map(|e| serde_json::json!({"kind": e.kind.as_str(), "status": e.status.map(Status::as_str), "text": e.body, "at": e.at.to_string()})).collect());
        o.insert("files".into(), files.iter().map(|f| serde_json::json!({"file_id": f.file_id, "name": f.name, "type": f.content_type, "size": f.size, "purpose": f.purpose})).collect());
    }
    let mut r = (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8"), (header::CACHE_CONTROL, "private, no-store")],
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"vorgang-{}.json\"", case.reference)) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

async fn receipt(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(id): Params<Uuid>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Cases, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = visible_case(&mut tx, &s, id).await?;
    let r = receipt_response(&mut tx, &ctx, lang, &case).await?;
    tx.finish().await?;
    Ok(r)
}
