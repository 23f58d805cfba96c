//! The builder's main page: the draft's pages and fields with their buttons (edit, up, down,
//! duplicate, delete), the forms to add a page or a field, the FIM import, and what is missing
//! (English texts, the import's notes next to their fields).

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use portal_domain::ServiceSlug;
use std::collections::HashSet;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::{Lang, Localized};
use portal_forms::edit::{self, Op};
use portal_forms::schema::Kind;
use portal_ui::blocks::{Block, Button, Cell, Field as FormField, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;

use super::{KINDS, Working, kind_label, paths, save, save_error_text, texts, working};
use crate::kit::form::Fields;
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;
mod adding;
pub(super) use adding::*;

/// A form of the page that came back with errors: which one, and its state.
pub(super) struct Failed {
    pub which: String,
    pub form: FormState,
}

#[derive(Deserialize)]
pub(super) struct Q {
    hinweis: Option<String>,
}

fn kind_options(lang: Lang) -> Vec<(String, String)> {
    KINDS.iter().map(|(k, n)| ((*n).to_owned(), kind_label(lang, *k))).collect()
}

pub(super) fn kind_of(name: &str) -> Option<Kind> {
    KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
}

fn hidden(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

/// The buttons of a page or field: up, down, duplicate, delete, each naming what it acts on.
fn op_buttons(lang: Lang, s: &Staff, w: &Working, what: &str, name: &str, at: &[(&str, String)]) -> Vec<Button> {
    let action = paths::CHANGE.with(&[&w.slug]);
    ["up", "down", "copy", "delete"]
        .into_iter()
        .map(|op| {
            let mut h = hidden(at);
            h.push(("op".into(), format!("{what}_{op}")));
            h.push(("revision".into(), w.revision_value()));
            Button {
                action: action.clone(),
                csrf: s.csrf.clone(),
                hidden: h,
                label: tr_with(lang, &format!("forms.{op}"), &[("name", name)]),
                danger: op == "delete",
            }
        })
        .collect()
}

/// The English text of a field, or that it is missing.
fn english(t: &Localized) -> Cell {
    let missing = t.en.trim().is_empty() || (t.en.trim() == t.de.trim() && t.de.chars().any(char::is_alphabetic));
    if missing { Cell::Badge("warning", String::new()) } else { Cell::Text(t.en.clone()) }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the builder page: frame, staff, working form, blocks, the failed form and its status"
)]
pub(super) async fn render(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    w: &Working,
    mut blocks: Vec<Block>,
    failed: Option<Failed>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let write = s.may(state, Resource::Forms, Action::Write);
    let form_of =
        |which: &str| failed.as_ref().filter(|f| f.which == which).map(|f| f.form.clone()).unwrap_or_default();
    blocks.push(Block::Text(match (&w.revision, &w.draft_by) {
        (Some(r), Some(by)) => tr_with(lang, "forms.draft_state", &[("revision", &r.to_string()), ("by", by)]),
        _ if w.live.is_some() => tr(lang, "forms.no_draft"),
        _ => tr(lang, "forms.no_form"),
    }));
    let first = w.schema.pages.first().map(|p| p.id.clone()).unwrap_or_default();
    let mut links = vec![
        (paths::PREVIEW.with(&[&w.slug, &first]), tr(lang, "forms.preview")),
        (paths::PUBLISH.with(&[&w.slug]), tr(lang, "forms.check_publish")),
        (paths::VERSIONS.with(&[&w.slug]), tr(lang, "forms.versions")),
    ];
    if w.own {
        links.push((paths::OWN_EDIT.with(&[&w.slug]), tr(lang, "forms.own_edit")));
    }
    links.push((paths::LIST.path().to_owned(), tr(lang, "forms.back_to_list")));
    blocks.push(Block::Links(links));
    let general: Vec<String> =
        w.report.iter().filter(|n| n.field.is_none()).map(|n| n.message.get(lang).to_owned()).collect();
    if !w.report.is_empty() {
        blocks.push(Block::Heading(tr(lang, "forms.report_heading")));
        blocks.push(Block::Text(tr_with(lang, "forms.report_intro", &[("n", &w.report.len().to_string())])));
        if !general.is_empty() {
            blocks.push(Block::List(general));
        }
    }
    let missing = edit::untranslated(&w.schema);
    if !missing.is_empty() {
        blocks
            .push(Block::Notice("warning", tr_with(lang, "forms.untranslated", &[("n", &missing.len().to_string())])));
    }
    for (pi, page) in w.schema.pages.iter().enumerate() {
        let title = page.title.get(lang).to_owned();
        blocks.push(Block::Heading(tr_with(
            lang,
            "forms.page_heading",
            &[("n", &(pi + 1).to_string()), ("title", &title)],
        )));
        let mut facts = vec![(tr(lang, "forms.page_id"), page.id.clone(), None)];
        if page.title.en.trim().is_empty() || page.title.en == page.title.de {
            facts.push((tr(lang, "forms.english"), tr(lang, "forms.translation_missing"), None));
        }
        if let Some(c) = &page.show_if {
            facts.push((tr(lang, "forms.shown_if"), condition_text(lang, c), None));
        }
        blocks.push(Block::Facts(facts));
        blocks.push(Block::Links(vec![
            (paths::PAGE.with(&[&w.slug, &pi]), tr_with(lang, "forms.edit_page", &[("name", &title)])),
            (paths::PREVIEW.with(&[&w.slug, &page.id]), tr_with(lang, "forms.preview_page", &[("name", &title)])),
        ]));
        if write {
            blocks.push(Block::Buttons(op_buttons(lang, s, w, "page", &title, &[("page", pi.to_string())])));
        }
        let rows = page
            .fields
            .iter()
            .enumerate()
            .map(|(fi, f)| {
                let label = f.label.get(lang).to_owned();
                let notes: Vec<String> = w
                    .report
                    .iter()
                    .filter(|n| n.field.as_deref() == Some(f.id.as_str()))
                    .map(|n| n.message.get(lang).to_owned())
                    .collect();
                let mut kind = kind_label(lang, f.kind);
                if f.kind == Kind::Group {
                    kind = tr_with(lang, "forms.group_of", &[("kind", &kind), ("n", &f.fields.len().to_string())]);
                }
                let mut row = vec![
                    Cell::Link(paths::FIELD.with(&[&w.slug, &pi, &fi]), label.clone()),
                    match english(&f.label) {
                        Cell::Badge(k, _) => Cell::Badge(k, tr(lang, "forms.translation_missing")),
                        c => c,
                    },
                    Cell::Text(kind),
                    Cell::Text(tr(lang, if f.required { "forms.yes" } else { "forms.no" })),
                    if notes.is_empty() {
                        Cell::Text(String::new())
                    } else {
                        Cell::Badge("warning", notes.join(" · "))
                    },
                ];
                if write {
                    row.push(Cell::Buttons(op_buttons(
                        lang,
                        s,
                        w,
                        "field",
                        &label,
                        &[("page", pi.to_string()), ("field", fi.to_string())],
                    )));
                }
                row
            })
            .collect();
        let mut headers = vec![
            tr(lang, "forms.col_field"),
            tr(lang, "forms.col_english"),
            tr(lang, "forms.col_kind"),
            tr(lang, "forms.col_required"),
            tr(lang, "forms.col_notes"),
        ];
        if write {
            headers.push(tr(lang, "forms.col_actions"));
        }
        blocks.push(Block::Table {
            caption: tr_with(lang, "forms.fields_of", &[("title", &title)]),
            headers,
            rows,
            empty: tr(lang, "forms.no_fields"),
        });
        if write {
            let which = format!("field-{pi}");
            let mut form = form_of(&which);
            form.values.insert("revision".into(), w.revision_value());
            blocks.push(Block::Form(FormSpec {
                action: paths::ADD_FIELD.with(&[&w.slug, &pi]),
                csrf: s.csrf.clone(),
                form,
                fields: vec![
                    FormField::new("revision", String::new(), FieldKind::Hidden),
                    FormField::new(
                        &format!("kind-{pi}"),
                        tr_with(lang, "forms.new_field_kind", &[("title", &title)]),
                        FieldKind::Select(kind_options(lang)),
                    ),
                    FormField::new(&format!("label_de-{pi}"), tr(lang, "forms.label_de"), FieldKind::Text).required(),
                    FormField::new(&format!("label_en-{pi}"), tr(lang, "forms.label_en"), FieldKind::Text)
                        .hint(tr(lang, "forms.label_en_hint")),
                ],
                submit: tr_with(lang, "forms.add_field", &[("title", &title)]),
                danger: false,
                secondary: None,
            }));
        }
    }
    if write {
        blocks.push(Block::Heading(tr(lang, "forms.add_page_heading")));
        let mut form = form_of("page");
        form.values.insert("revision".into(), w.revision_value());
        blocks.push(Block::Form(FormSpec {
            action: paths::ADD_PAGE.with(&[&w.slug]),
            csrf: s.csrf.clone(),
            form,
            fields: vec![
                FormField::new("revision", String::new(), FieldKind::Hidden),
                FormField::new("title_de", tr(lang, "forms.page_title_de"), FieldKind::Text).required(),
                FormField::new("title_en", tr(lang, "forms.page_title_en"), FieldKind::Text)
                    .hint(tr(lang, "forms.label_en_hint")),
                FormField::new("first_kind", tr(lang, "forms.first_field_kind"), FieldKind::Select(kind_options(lang))),
                FormField::new("first_de", tr(lang, "forms.first_field_de"), FieldKind::Text).required(),
                FormField::new("first_en", tr(lang, "forms.first_field_en"), FieldKind::Text),
            ],
            submit: tr(lang, "forms.add_page"),
            danger: false,
            secondary: None,
        }));
        blocks.push(Block::Heading(tr(lang, "forms.import_heading")));
        blocks.push(Block::Text(tr(lang, "forms.import_intro")));
        let mut form = form_of("import");
        form.values.insert("revision".into(), w.revision_value());
        blocks.push(Block::Form(FormSpec {
            action: paths::IMPORT.with(&[&w.slug]),
            csrf: s.csrf.clone(),
            form,
            fields: vec![
                FormField::new("revision", String::new(), FieldKind::Hidden),
                FormField::new(
                    "fim",
                    tr(lang, "forms.import_file"),
                    FieldKind::File(".xml,.xdf,application/xml,text/xml"),
                )
                .hint(tr(lang, "forms.import_hint")),
            ],
            submit: tr(lang, "forms.import"),
            danger: false,
            secondary: None,
        }));
        if w.revision.is_some() {
            blocks.push(Block::Buttons(vec![Button {
                action: paths::DISCARD.with(&[&w.slug]),
                csrf: s.csrf.clone(),
                hidden: hidden(&[("revision", w.revision_value())]),
                label: tr(lang, "forms.discard"),
                danger: true,
            }]));
        }
    }
    let title = tr_with(lang, "forms.builder_title", &[("name", &w.name)]);
    staff_page(state, ctx, lang, &paths::BUILDER.with(&[&w.slug]), Some(s), status, title, blocks).await
}

pub(super) fn condition_text(lang: Lang, c: &portal_forms::schema::Condition) -> String {
    let (op, value) = match (&c.equals, c.any_of.is_empty(), &c.not_equals) {
        (Some(v), _, _) => ("forms.cond_equals", v.clone()),
        (None, false, _) => ("forms.cond_any_of", c.any_of.join(", ")),
        (None, true, Some(v)) => ("forms.cond_not_equals", v.clone()),
        _ => ("forms.cond_equals", String::new()),
    };
    tr_with(lang, op, &[("field", &c.field), ("value", &value)])
}

/// The builder page as it is now, with a notice or the error of a refused change.
#[expect(
    clippy::too_many_arguments,
    reason = "a builder page: frame, staff, service, notice, the failed form and its status"
)]
pub(super) async fn again(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    slug: &str,
    notice: Option<Block>,
    failed: Option<Failed>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let w = super::load(state, ctx, s, slug, lang, Action::Read).await?;
    render(state, ctx, lang, s, &w, notice.into_iter().collect(), failed, status).await
}

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(slug): Params<ServiceSlug>,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Read)?;
    let notice = Notice::parse(q.hinweis.as_deref()).and_then(|n| match n {
        Notice::Saved => Some(Block::Notice("success", tr(lang, "forms.notice_saved"))),
        Notice::Imported => Some(Block::Notice("success", tr(lang, "forms.notice_imported"))),
        Notice::Discarded => Some(Block::Notice("success", tr(lang, "forms.notice_discarded"))),
        _ => None,
    });
    again(&state, &ctx, lang, &s, &slug, notice, None, StatusCode::OK).await
}

/// Applies a change and saves the draft; a refused change or a conflict shows the page again with
/// its reason. `fixed`: fields whose import notes the change settles.
#[expect(
    clippy::too_many_arguments,
    reason = "one change: frame, staff, address, service, the posted form and the change"
)]
pub(super) async fn commit(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    ip: &ClientIp,
    slug: &str,
    f: &Fields,
    change: impl FnOnce(&Working) -> Result<(portal_forms::FormSchema, Vec<String>, serde_json::Value), String>,
) -> Result<Result<String, (String, StatusCode)>, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let w = working(&mut tx, slug, lang).await?;
    let seen = w.revision;
    if !w.fresh(f) {
        let by = w.draft_by.clone().unwrap_or_default();
        return Ok(Err((
            tr_with(lang, "forms.error_conflict", &[("revision", &w.revision_value()), ("by", &by)]),
            StatusCode::CONFLICT,
        )));
    }
    let (schema, fixed, detail) = match change(&w) {
        Ok(x) => x,
        Err(message) => return Ok(Err((message, StatusCode::UNPROCESSABLE_ENTITY))),
    };
    let fixed: Vec<&str> = fixed.iter().map(String::as_str).collect();
    match save(&mut tx, &w, &schema, &fixed, seen, &s.user.display_name).await {
        Ok(revision) => {
            audit(
                &mut tx,
                s,
                ip,
                "form.change",
                slug.to_owned(),
                serde_json::json!({ "revision": revision, "change": detail }),
            )
            .await?;
            tx.finish().await?;
            Ok(Ok(w.slug))
        }
        Err(e) => match save_error_text(lang, &e) {
            Some(message) => Ok(Err((message, StatusCode::CONFLICT))),
            None => Err(e.into()),
        },
    }
}

fn index(f: &Fields, name: &str) -> Result<usize, AppError> {
    f.text(name).parse().map_err(|_| AppError::bad_request())
}

/// The structural buttons: up, down, duplicate and delete of pages and fields.
pub(super) async fn change(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let page = index(&f, "page")?;
    let field = if f.text("op").starts_with("page_") { 0 } else { index(&f, "field")? };
    if f.text("op").starts_with("child_") {
        let child = index(&f, "child")?;
        let name = f.text("op");
        let done = commit(&state, &ctx, lang, &s, &ip, &slug, &f, |w| {
            let removed = w
                .schema
                .pages
                .get(page)
                .and_then(|p| p.fields.get(field))
                .and_then(|g| g.fields.get(child))
                .filter(|_| name == "child_delete")
                .map(|c| vec![c.id.clone()])
                .unwrap_or_default();
            let schema = super::ops::child_op(&w.schema, page, field, child, &name)
                .map_err(|e| super::edit_error_text(lang, &e))?;
            Ok((schema, removed, serde_json::json!({ "op": name, "page": page, "field": field, "child": child })))
        })
        .await?;
        return match done {
            Ok(slug) => Ok(Notice::Saved.redirect(&paths::FIELD.with(&[&slug, &page, &field]))),
            Err((message, status)) => {
                again(&state, &ctx, lang, &s, &slug, Some(Block::Notice("danger", message)), None, status).await
            }
        };
    }
    let op = match f.text("op").as_str() {
        "page_up" => Op::MovePage { page, by: -1 },
        "page_down" => Op::MovePage { page, by: 1 },
        "page_copy" => Op::DuplicatePage { page },
        "page_delete" => Op::RemovePage { page },
        "field_up" => Op::MoveField { page, field, by: -1 },
        "field_down" => Op::MoveField { page, field, by: 1 },
        "field_copy" => Op::DuplicateField { page, field },
        "field_delete" => Op::RemoveField { page, field },
        _ => return Err(AppError::bad_request()),
    };
    let name = f.text("op");
    let done = commit(&state, &ctx, lang, &s, &ip, &slug, &f, |w| {
        let removed: Vec<String> = match &op {
            Op::RemoveField { page, field } => w
                .schema
                .pages
                .get(*page)
                .and_then(|p| p.fields.get(*field))
                .map(|x| vec![x.id.clone()])
                .unwrap_or_default(),
            Op::RemovePage { page } => {
                w.schema.pages.get(*page).map(|p| p.fields.iter().map(|x| x.id.clone()).collect()).unwrap_or_default()
            }
            _ => vec![],
        };
        let schema = edit::apply(&w.schema, &op).map_err(|e| super::edit_error_text(lang, &e))?;
        Ok((schema, removed, serde_json::json!({ "op": name, "page": page, "field": field })))
    })
    .await?;
    match done {
        Ok(slug) => Ok(Notice::Saved.redirect(&paths::BUILDER.with(&[&slug]))),
        Err((message, status)) => {
            again(&state, &ctx, lang, &s, &slug, Some(Block::Notice("danger", message)), None, status).await
        }
    }
}
