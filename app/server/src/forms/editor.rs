//! The settings of one field (every rule the schema has), of a field in a repeatable group, and of
//! a page. Each input that cannot be read is refused next to itself; a field the loader would not
//! accept is refused with the loader's reason, the editor's input kept.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::ServiceSlug;
use portal_domain::{Lang, Localized};
use portal_forms::edit::{self, EditError, Op};
use portal_forms::schema::{Choice, Condition, DateRule, Field, FileType, FormSchema, Kind, Pattern};
use portal_ui::blocks::{Block, Button, Cell, Field as FormField, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};

use super::builder_page::{commit, kind_of, new_id};
use super::ops::starter_field;
use super::texts;
use super::{KINDS, PREFILL, kind_label, paths};
use crate::kit::form::Fields;
use crate::kit::notice::Notice;
use crate::kit::office::staff_page;
use crate::kit::session::Staff;
mod read;
pub(super) use read::*;

/// Which field an editor page is about: a field of a page, or a field of a group.
#[derive(Clone, Copy)]
struct Target {
    page: usize,
    field: usize,
    child: Option<usize>,
}

impl Target {
    fn path(self, slug: &str) -> String {
        match self.child {
            Some(c) => paths::CHILD.with(&[&slug, &self.page, &self.field, &c]),
            None => paths::FIELD.with(&[&slug, &self.page, &self.field]),
        }
    }
    fn get(self, schema: &FormSchema) -> Option<&Field> {
        let f = schema.pages.get(self.page)?.fields.get(self.field)?;
        match self.child {
            Some(c) => f.fields.get(c),
            None => Some(f),
        }
    }
}

/// The fields a condition may name: the earlier ones (in a group, its earlier fields too).
fn earlier_fields(schema: &FormSchema, t: Target) -> Vec<(String, String)> {
    let mut out = Vec::new();
    'pages: for (pi, p) in schema.pages.iter().enumerate() {
        for (fi, f) in p.fields.iter().enumerate() {
            if pi == t.page && fi == t.field {
                if let Some(c) = t.child {
                    out.extend(f.fields.iter().take(c).map(|x| (x.id.clone(), x.label.de.clone())));
                }
                break 'pages;
            }
            if !matches!(f.kind, Kind::Group | Kind::File) {
                out.push((f.id.clone(), f.label.de.clone()));
            }
        }
    }
    out
}

pub(super) fn condition_inputs(lang: Lang, fields: Vec<(String, String)>) -> Vec<FormField> {
    let mut choices = vec![(String::new(), tr(lang, "forms.always_shown"))];
    choices.extend(fields.into_iter().map(|(id, label)| (id.clone(), format!("{label} ({id})"))));
    vec![
        FormField::new("show_field", tr(lang, "forms.show_field"), FieldKind::Select(choices)),
        FormField::new(
            "show_op",
            tr(lang, "forms.show_op"),
            FieldKind::Select(vec![
                ("equals".into(), tr(lang, "forms.op_equals")),
                ("not_equals".into(), tr(lang, "forms.op_not_equals")),
                ("any_of".into(), tr(lang, "forms.op_any_of")),
            ]),
        ),
        FormField::new("show_value", tr(lang, "forms.show_value"), FieldKind::Text)
            .hint(tr(lang, "forms.show_value_hint")),
    ]
}

#[expect(
    clippy::too_many_arguments,
    reason = "an editor page: frame, staff, service, field, the failed form, a notice and its status"
)]
async fn field_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    slug: &str,
    t: Target,
    failed: Option<FormState>,
    notice: Option<Block>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let w = super::load(state, ctx, s, slug, lang, Action::Read).await?;
    let field = t.get(&w.schema).ok_or_else(AppError::not_found)?.clone();
    let mut form = failed.unwrap_or_else(|| values_of(&field));
    form.values.insert("revision".into(), w.revision_value());
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.push(Block::Links(vec![
        (paths::BUILDER.with(&[&w.slug]), tr(lang, "forms.back_to_builder")),
        (paths::PREVIEW.with(&[&w.slug, &w.schema.pages[t.page].id]), tr(lang, "forms.preview")),
    ]));
    let notes: Vec<String> = w
        .report
        .iter()
        .filter(|n| n.field.as_deref() == Some(field.id.as_str()))
        .map(|n| n.message.get(lang).to_owned())
        .collect();
    if !notes.is_empty() {
        blocks.push(Block::Notice("warning", tr(lang, "forms.report_field")));
        blocks.push(Block::List(notes));
    }
    if let Some(fim) = &field.fim {
        blocks.push(Block::Facts(vec![(tr(lang, "forms.fim_ref"), format!("{} {}", fim.id, fim.version), None)]));
    }
    let kinds: Vec<(String, String)> = KINDS
        .iter()
        .filter(|(k, _)| t.child.is_none() || !matches!(k, Kind::Group | Kind::File))
        .map(|(k, n)| ((*n).to_owned(), kind_label(lang, *k)))
        .collect();
    let mut prefill = vec![(String::new(), tr(lang, "forms.prefill_none"))];
    prefill.extend(PREFILL.iter().map(|(_, n)| ((*n).to_owned(), tr(lang, &format!("forms.prefill_{n}")))));
    let mut fields = vec![
        FormField::new("revision", String::new(), FieldKind::Hidden),
        FormField::new("label_de", tr(lang, "forms.label_de"), FieldKind::Text).required(),
        FormField::new("label_en", tr(lang, "forms.label_en"), FieldKind::Text).hint(tr(lang, "forms.label_en_hint")),
        FormField::new("kind", tr(lang, "forms.kind"), FieldKind::Select(kinds)),
        FormField::new("id", tr(lang, "forms.id"), FieldKind::Text).hint(tr(lang, "forms.id_hint")).required(),
        FormField::new("required", tr(lang, "forms.required"), FieldKind::Checkbox),
        FormField::new("help_de", tr(lang, "forms.help_de"), FieldKind::Text),
        FormField::new("help_en", tr(lang, "forms.help_en"), FieldKind::Text),
        FormField::new("example", tr(lang, "forms.example"), FieldKind::Text).hint(tr(lang, "forms.example_hint")),
        FormField::new("min_length", tr(lang, "forms.min_length"), FieldKind::Text),
        FormField::new("max_length", tr(lang, "forms.max_length"), FieldKind::Text),
        FormField::new("min", tr(lang, "forms.min"), FieldKind::Text).hint(tr(lang, "forms.number_only")),
        FormField::new("max", tr(lang, "forms.max"), FieldKind::Text).hint(tr(lang, "forms.number_only")),
        FormField::new("integer", tr(lang, "forms.integer"), FieldKind::Checkbox),
        FormField::new(
            "date",
            tr(lang, "forms.date_rule"),
            FieldKind::Select(vec![
                (String::new(), tr(lang, "forms.date_any")),
                ("past".into(), tr(lang, "forms.date_past")),
                ("future".into(), tr(lang, "forms.date_future")),
            ]),
        ),
        FormField::new("pattern", tr(lang, "forms.pattern"), FieldKind::Text).hint(tr(lang, "forms.pattern_hint")),
        FormField::new("pattern_de", tr(lang, "forms.pattern_de"), FieldKind::Text),
        FormField::new("pattern_en", tr(lang, "forms.pattern_en"), FieldKind::Text),
        FormField::new("options", tr(lang, "forms.options"), FieldKind::TextArea).hint(tr(lang, "forms.options_hint")),
        FormField::new(
            "accept",
            tr(lang, "forms.accept"),
            FieldKind::Checkboxes(vec![
                ("pdf".into(), "PDF".into()),
                ("png".into(), "PNG".into()),
                ("jpeg".into(), "JPEG".into()),
            ]),
        ),
        FormField::new("max_kb", tr(lang, "forms.max_kb"), FieldKind::Text).hint(tr(lang, "forms.max_kb_hint")),
        FormField::new("min_items", tr(lang, "forms.min_items"), FieldKind::Text).hint(tr(lang, "forms.items_hint")),
        FormField::new("max_items", tr(lang, "forms.max_items"), FieldKind::Text),
    ];
    if t.child.is_none() {
        fields.push(FormField::new("prefill", tr(lang, "forms.prefill"), FieldKind::Select(prefill)));
    }
    fields.extend(condition_inputs(lang, earlier_fields(&w.schema, t)));
    let write = s.may(state, Resource::Forms, Action::Write);
    if write {
        blocks.push(Block::Form(FormSpec {
            action: t.path(&w.slug),
            csrf: s.csrf.clone(),
            form,
            fields,
            submit: tr(lang, "forms.save_field"),
            danger: false,
            secondary: Some((paths::BUILDER.with(&[&w.slug]), tr(lang, "forms.cancel"))),
        }));
    }
    if field.kind == Kind::Group && t.child.is_none() {
        blocks.push(Block::Heading(tr(lang, "forms.group_fields")));
        let rows = field
            .fields
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let label = c.label.get(lang).to_owned();
                let mut row = vec![
                    Cell::Link(paths::CHILD.with(&[&w.slug, &t.page, &t.field, &ci]), label.clone()),
                    Cell::Text(kind_label(lang, c.kind)),
                    Cell::Text(tr(lang, if c.required { "forms.yes" } else { "forms.no" })),
                ];
                if write {
                    let buttons = ["up", "down", "delete"]
                        .into_iter()
                        .map(|op| Button {
                            action: paths::CHANGE.with(&[&w.slug]),
                            csrf: s.csrf.clone(),
                            hidden: vec![
                                ("op".into(), format!("child_{op}")),
                                ("page".into(), t.page.to_string()),
                                ("field".into(), t.field.to_string()),
                                ("child".into(), ci.to_string()),
                                ("revision".into(), w.revision_value()),
                            ],
                            label: tr_with(lang, &format!("forms.{op}"), &[("name", &label)]),
                            danger: op == "delete",
                        })
                        .collect();
                    row.push(Cell::Buttons(buttons));
                }
                row
            })
            .collect();
        let mut headers = vec![tr(lang, "forms.col_field"), tr(lang, "forms.col_kind"), tr(lang, "forms.col_required")];
        if write {
            headers.push(tr(lang, "forms.col_actions"));
        }
        blocks.push(Block::Table {
            caption: tr(lang, "forms.group_fields"),
            headers,
            rows,
            empty: tr(lang, "forms.no_fields"),
        });
        if write {
            let mut add = FormState::default();
            add.values.insert("revision".into(), w.revision_value());
            let kinds = KINDS
                .iter()
                .filter(|(k, _)| !matches!(k, Kind::Group | Kind::File))
                .map(|(k, n)| ((*n).to_owned(), kind_label(lang, *k)))
                .collect();
            blocks.push(Block::Form(FormSpec {
                action: paths::ADD_CHILD.with(&[&w.slug, &t.page, &t.field]),
                csrf: s.csrf.clone(),
                form: add,
                fields: vec![
                    FormField::new("revision", String::new(), FieldKind::Hidden),
                    FormField::new("child_kind", tr(lang, "forms.kind"), FieldKind::Select(kinds)),
                    FormField::new("child_de", tr(lang, "forms.label_de"), FieldKind::Text).required(),
                    FormField::new("child_en", tr(lang, "forms.label_en"), FieldKind::Text),
                ],
                submit: tr(lang, "forms.add_child"),
                danger: false,
                secondary: None,
            }));
        }
    }
    let title = tr_with(lang, "forms.field_title", &[("name", field.label.get(lang))]);
    staff_page(state, ctx, lang, &t.path(&w.slug), Some(s), status, title, blocks).await
}

/// Replaces the target field in the schema: a page's field by the builder's edit operation, a
/// group's field inside its group.
fn replace(schema: &FormSchema, t: Target, new: Field) -> Result<FormSchema, EditError> {
    match t.child {
        None => edit::apply(schema, &Op::EditField { page: t.page, field: t.field, new }),
        Some(c) => {
            let mut group =
                schema.pages.get(t.page).and_then(|p| p.fields.get(t.field)).ok_or(EditError::NotFound)?.clone();
            *group.fields.get_mut(c).ok_or(EditError::NotFound)? = new;
            edit::apply(schema, &Op::EditField { page: t.page, field: t.field, new: group })
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a field's save: frame, staff, address, service, field and the posted form"
)]
async fn save_target(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    ip: &ClientIp,
    slug: &str,
    t: Target,
    f: Fields,
) -> Result<Response, AppError> {
    let w = super::load(state, ctx, s, slug, lang, Action::Write).await?;
    let original = t.get(&w.schema).ok_or_else(AppError::not_found)?.clone();
    let new = match read_field(lang, &f, &original) {
        Ok(n) => n,
        Err(form) => {
            return field_page(state, ctx, lang, s, slug, t, Some(form), None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let fixed = vec![original.id.clone(), new.id.clone()];
    let done = commit(state, ctx, lang, s, ip, slug, &f, |w| {
        let schema = replace(&w.schema, t, new.clone()).map_err(|e| super::edit_error_text(lang, &e))?;
        Ok((
            schema,
            fixed,
            serde_json::json!({ "op": "field_edit", "page": t.page, "field": t.field, "child": t.child, "id": new.id }),
        ))
    })
    .await?;
    match done {
        Ok(slug) => Ok(Notice::Saved.redirect(&paths::BUILDER.with(&[&slug]))),
        Err((message, status)) => {
            let form = super::posted_state(&f, &["accept"]);
            field_page(state, ctx, lang, s, slug, t, Some(form), Some(Block::Notice("danger", message)), status).await
        }
    }
}

pub(super) async fn field_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params((slug, page, field)): Params<(ServiceSlug, usize, usize)>,
) -> Result<Response, AppError> {
    field_page(&state, &ctx, lang, &s, &slug, Target { page, field, child: None }, None, None, StatusCode::OK).await
}

pub(super) async fn save_field(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params((slug, page, field)): Params<(ServiceSlug, usize, usize)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    save_target(&state, &ctx, lang, &s, &ip, &slug, Target { page, field, child: None }, f).await
}

pub(super) async fn child_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params((slug, page, field, child)): Params<(ServiceSlug, usize, usize, usize)>,
) -> Result<Response, AppError> {
    field_page(&state, &ctx, lang, &s, &slug, Target { page, field, child: Some(child) }, None, None, StatusCode::OK)
        .await
}

pub(super) async fn save_child(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params((slug, page, field, child)): Params<(ServiceSlug, usize, usize, usize)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    save_target(&state, &ctx, lang, &s, &ip, &slug, Target { page, field, child: Some(child) }, f).await
}

pub(super) async fn add_child(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params((slug, page, field)): Params<(ServiceSlug, usize, usize)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let t = Target { page, field, child: None };
    let mut form = FormState::default();
    let kind = kind_of(&f.text("child_kind")).filter(|k| !matches!(k, Kind::Group | Kind::File));
    let label = texts(lang, &f, "child_de", "child_en", &mut form);
    let (Some(kind), Some(label)) = (kind, label) else {
        let message = form.errors.values().next().cloned().unwrap_or_else(|| tr(lang, "forms.error_kind"));
        return field_page(
            &state,
            &ctx,
            lang,
            &s,
            &slug,
            t,
            None,
            Some(Block::Notice("danger", message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let done = commit(&state, &ctx, lang, &s, &ip, &slug, &f, |w| {
        let mut group = t
            .get(&w.schema)
            .filter(|g| g.kind == Kind::Group)
            .ok_or_else(|| tr(lang, "forms.error_not_found"))?
            .clone();
        let taken = group.fields.iter().map(|c| c.id.clone()).collect();
        let child = starter_field(new_id(&label.de, &taken), kind, label.clone());
        let id = child.id.clone();
        group.fields.push(child);
        let schema = edit::apply(&w.schema, &Op::EditField { page, field, new: group })
            .map_err(|e| super::edit_error_text(lang, &e))?;
        Ok((schema, vec![], serde_json::json!({ "op": "child_add", "page": page, "field": field, "id": id })))
    })
    .await?;
    match done {
        Ok(slug) => Ok(Notice::Saved.redirect(&paths::FIELD.with(&[&slug, &page, &field]))),
        Err((message, status)) => {
            field_page(&state, &ctx, lang, &s, &slug, t, None, Some(Block::Notice("danger", message)), status).await
        }
    }
}
