//! The settings of one field (every rule the schema has), of a field in a repeatable group, and of
//! a page. Each input that cannot be read is refused next to itself; a field the loader would not
//! accept is refused with the loader's reason, the editor's input kept.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
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

fn opt(v: &Option<impl ToString>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The editor's values of a field.
fn values_of(f: &Field) -> FormState {
    let mut form = FormState::default();
    let mut set = |k: &str, v: String| {
        form.values.insert(k.to_owned(), v);
    };
    set("id", f.id.clone());
    set("kind", super::kind_name(f.kind).to_owned());
    set("label_de", f.label.de.clone());
    set("label_en", f.label.en.clone());
    set("help_de", f.help.as_ref().map(|h| h.de.clone()).unwrap_or_default());
    set("help_en", f.help.as_ref().map(|h| h.en.clone()).unwrap_or_default());
    set("example", opt(&f.example));
    set("required", if f.required { "on".into() } else { String::new() });
    set("min_length", opt(&f.min_length));
    set("max_length", opt(&f.max_length));
    set("min", opt(&f.min));
    set("max", opt(&f.max));
    set("integer", if f.integer { "on".into() } else { String::new() });
    set(
        "date",
        match f.date {
            Some(DateRule::Past) => "past".into(),
            Some(DateRule::Future) => "future".into(),
            None => String::new(),
        },
    );
    set("pattern", f.pattern.as_ref().map(|p| p.regex.clone()).unwrap_or_default());
    set("pattern_de", f.pattern.as_ref().map(|p| p.message.de.clone()).unwrap_or_default());
    set("pattern_en", f.pattern.as_ref().map(|p| p.message.en.clone()).unwrap_or_default());
    set("options", f.options.iter().map(|o| format!("{} | {} | {}", o.value, o.label.de, o.label.en)).collect::<Vec<_>>().join("\n"));
    set("accept", f.accept.iter().map(|t| t.label().to_lowercase()).collect::<Vec<_>>().join(","));
    set("max_kb", opt(&f.max_kb));
    set("min_items", opt(&f.min_items));
    set("max_items", opt(&f.max_items));
    set("prefill", f.prefill.and_then(|k| PREFILL.iter().find(|(x, _)| *x == k)).map(|(_, n)| (*n).to_owned()).unwrap_or_default());
    condition_values(&mut form, f.show_if.as_ref());
    form
}

pub(super) fn condition_values(form: &mut FormState, c: Option<&Condition>) {
    let (field, op, value) = match c {
        Some(c) => match (&c.equals, c.any_of.is_empty(), &c.not_equals) {
            (Some(v), _, _) => (c.field.clone(), "equals", v.clone()),
            (None, false, _) => (c.field.clone(), "any_of", c.any_of.join(", ")),
            (None, true, Some(v)) => (c.field.clone(), "not_equals", v.clone()),
            _ => (c.field.clone(), "equals", String::new()),
        },
        None => (String::new(), "equals", String::new()),
    };
    form.values.insert("show_field".into(), field);
    form.values.insert("show_op".into(), op.into());
    form.values.insert("show_value".into(), value);
}

/// Reads a condition: none when no field is chosen.
pub(super) fn read_condition(lang: Lang, f: &Fields, form: &mut FormState) -> Option<Option<Condition>> {
    let field = f.text("show_field");
    if field.is_empty() {
        return Some(None);
    }
    let value = f.text("show_value");
    if value.is_empty() {
        form.errors.insert("show_value".into(), tr(lang, "forms.error_condition_value"));
        return None;
    }
    let mut c = Condition { field, equals: None, any_of: vec![], not_equals: None };
    match f.text("show_op").as_str() {
        "not_equals" => c.not_equals = Some(value),
        "any_of" => c.any_of = value.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect(),
        _ => c.equals = Some(value),
    }
    Some(Some(c))
}

fn number<T: std::str::FromStr>(lang: Lang, f: &Fields, name: &str, form: &mut FormState) -> Option<Option<T>> {
    let raw = f.text(name).replace(',', ".");
    if raw.is_empty() {
        return Some(None);
    }
    // plain decimal numbers only: no NaN, no infinity, no exponents
    let plain = raw.strip_prefix('-').unwrap_or(&raw);
    let parsed = (!plain.is_empty() && plain.len() <= 15 && plain.chars().all(|c| c.is_ascii_digit() || c == '.') && plain.matches('.').count() <= 1).then(|| raw.parse::<T>().ok()).flatten();
    match parsed.ok_or(()) {
        Ok(v) => Some(Some(v)),
        Err(_) => {
            form.errors.insert(name.to_owned(), tr(lang, "forms.error_number"));
            None
        }
    }
}

/// Reads the editor's form into a field; errors next to the inputs.
fn read_field(lang: Lang, f: &Fields, original: &Field) -> Result<Field, FormState> {
    let mut form = super::posted_state(f, &["accept"]);
    let kind = kind_of(&f.text("kind"));
    if kind.is_none() {
        form.errors.insert("kind".into(), tr(lang, "forms.error_kind"));
    }
    let id = f.text("id");
    if !(1..=40).contains(&id.len()) || !id.starts_with(|c: char| c.is_ascii_lowercase()) || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        form.errors.insert("id".into(), tr(lang, "forms.error_id"));
    }
    let label = texts(lang, f, "label_de", "label_en", &mut form);
    let help = if f.text("help_de").is_empty() { Some(None) } else { texts(lang, f, "help_de", "help_en", &mut form).map(Some) };
    let (min_length, max_length) = (number::<u32>(lang, f, "min_length", &mut form), number::<u32>(lang, f, "max_length", &mut form));
    let (min, max) = (number::<f64>(lang, f, "min", &mut form), number::<f64>(lang, f, "max", &mut form));
    let (max_kb, min_items, max_items) = (number::<u32>(lang, f, "max_kb", &mut form), number::<u32>(lang, f, "min_items", &mut form), number::<u32>(lang, f, "max_items", &mut form));
    let pattern = match f.text("pattern") {
        p if p.is_empty() => Some(None),
        p => {
            if f.text("pattern_de").is_empty() {
                form.errors.insert("pattern_de".into(), tr(lang, "forms.error_pattern_message"));
                None
            } else {
                texts(lang, f, "pattern_de", "pattern_en", &mut form).map(|message| Some(Pattern { regex: p, message }))
            }
        }
    };
    let mut options = Vec::new();
    for line in f.text("options").lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        match parts.as_slice() {
            [value, de, rest @ ..] if !value.is_empty() && !de.is_empty() && rest.len() <= 1 => {
                let en = rest.first().filter(|e| !e.is_empty()).unwrap_or(de);
                options.push(Choice { value: (*value).to_owned(), label: Localized { de: (*de).to_owned(), en: (*en).to_owned() } });
            }
            _ => {
                form.errors.insert("options".into(), tr_with(lang, "forms.error_option_line", &[("line", line)]));
                break;
            }
        }
    }
    let accept: Vec<FileType> = f.all("accept").iter().filter_map(|a| [FileType::Pdf, FileType::Png, FileType::Jpeg].into_iter().find(|t| t.label().eq_ignore_ascii_case(a))).collect();
    let prefill = match f.text("prefill").as_str() {
        "" => Some(None),
        p => match PREFILL.iter().find(|(_, n)| *n == p) {
            Some((k, _)) => Some(Some(*k)),
            None => {
                form.errors.insert("prefill".into(), tr(lang, "forms.error_prefill"));
                None
            }
        },
    };
    let date = match f.text("date").as_str() {
        "past" => Some(DateRule::Past),
        "future" => Some(DateRule::Future),
        _ => None,
    };
    let show_if = read_condition(lang, f, &mut form);
    if form.has_errors() {
        return Err(form);
    }
    let (Some(kind), Some(label), Some(help), Some(min_length), Some(max_length), Some(min), Some(max), Some(max_kb), Some(min_items), Some(max_items), Some(pattern), Some(prefill), Some(show_if)) =
        (kind, label, help, min_length, max_length, min, max, max_kb, min_items, max_items, pattern, prefill, show_if)
    else {
        return Err(form);
    };
    let example = Some(f.text("example")).filter(|e| !e.is_empty());
    Ok(Field {
        id,
        kind,
        label,
        help,
        required: f.text("required") == "on",
        min_length,
        max_length,
        min,
        max,
        integer: f.text("integer") == "on",
        date,
        pattern,
        options,
        prefill,
        show_if,
        example,
        max_kb,
        accept,
        // a group keeps its fields (edited on their own pages); the FIM reference stays with the field
        fields: if kind == Kind::Group { original.fields.clone() } else { vec![] },
        min_items,
        max_items,
        fim: original.fim.clone(),
        // the street directory's rule stays with the field (set in the catalogue's forms)
        directory: original.directory,
    })
}

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
            FieldKind::Select(vec![("equals".into(), tr(lang, "forms.op_equals")), ("not_equals".into(), tr(lang, "forms.op_not_equals")), ("any_of".into(), tr(lang, "forms.op_any_of"))]),
        ),
        FormField::new("show_value", tr(lang, "forms.show_value"), FieldKind::Text).hint(tr(lang, "forms.show_value_hint")),
    ]
}

#[expect(clippy::too_many_arguments, reason = "an editor page: frame, staff, service, field, the failed form, a notice and its status")]
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
    blocks.push(Block::Links(vec![(paths::BUILDER.with(&[&w.slug]), tr(lang, "forms.back_to_builder")), (paths::PREVIEW.with(&[&w.slug, &w.schema.pages[t.page].id]), tr(lang, "forms.preview"))]));
    let notes: Vec<String> = w.report.iter().filter(|n| n.field.as_deref() == Some(field.id.as_str())).map(|n| n.message.get(lang).to_owned()).collect();
    if !notes.is_empty() {
        blocks.push(Block::Notice("warning", tr(lang, "forms.report_field")));
        blocks.push(Block::List(notes));
    }
    if let Some(fim) = &field.fim {
        blocks.push(Block::Facts(vec![(tr(lang, "forms.fim_ref"), format!("{} {}", fim.id, fim.version), None)]));
    }
    let kinds: Vec<(String, String)> = KINDS.iter().filter(|(k, _)| t.child.is_none() || !matches!(k, Kind::Group | Kind::File)).map(|(k, n)| ((*n).to_owned(), kind_label(lang, *k))).collect();
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
            FieldKind::Select(vec![(String::new(), tr(lang, "forms.date_any")), ("past".into(), tr(lang, "forms.date_past")), ("future".into(), tr(lang, "forms.date_future"))]),
        ),
        FormField::new("pattern", tr(lang, "forms.pattern"), FieldKind::Text).hint(tr(lang, "forms.pattern_hint")),
        FormField::new("pattern_de", tr(lang, "forms.pattern_de"), FieldKind::Text),
        FormField::new("pattern_en", tr(lang, "forms.pattern_en"), FieldKind::Text),
        FormField::new("options", tr(lang, "forms.options"), FieldKind::TextArea).hint(tr(lang, "forms.options_hint")),
        FormField::new("accept", tr(lang, "forms.accept"), FieldKind::Checkboxes(vec![("pdf".into(), "PDF".into()), ("png".into(), "PNG".into()), ("jpeg".into(), "JPEG".into())])),
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
        blocks.push(Block::Table { caption: tr(lang, "forms.group_fields"), headers, rows, empty: tr(lang, "forms.no_fields") });
        if write {
            let mut add = FormState::default();
            add.values.insert("revision".into(), w.revision_value());
            let kinds = KINDS.iter().filter(|(k, _)| !matches!(k, Kind::Group | Kind::File)).map(|(k, n)| ((*n).to_owned(), kind_label(lang, *k))).collect();
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
            let mut group = schema.pages.get(t.page).and_then(|p| p.fields.get(t.field)).ok_or(EditError::NotFound)?.clone();
            *group.fields.get_mut(c).ok_or(EditError::NotFound)? = new;
            edit::apply(schema, &Op::EditField { page: t.page, field: t.field, new: group })
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "a field's save: frame, staff, address, service, field and the posted form")]
async fn save_target(state: &AppState, ctx: &TenantContext, lang: Lang, s: &Staff, ip: &ClientIp, slug: &str, t: Target, f: Fields) -> Result<Response, AppError> {
    let w = super::load(state, ctx, s, slug, lang, Action::Write).await?;
    let original = t.get(&w.schema).ok_or_else(AppError::not_found)?.clone();
    let new = match read_field(lang, &f, &original) {
        Ok(n) => n,
        Err(form) => return field_page(state, ctx, lang, s, slug, t, Some(form), None, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let fixed = vec![original.id.clone(), new.id.clone()];
    let done = commit(state, ctx, lang, s, ip, slug, &f, |w| {
        let schema = replace(&w.schema, t, new.clone()).map_err(|e| super::edit_error_text(lang, &e))?;
        Ok((schema, fixed, serde_json::json!({ "op": "field_edit", "page": t.page, "field": t.field, "child": t.child, "id": new.id })))
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
    Path((slug, page, field)): Path<(String, usize, usize)>,
) -> Result<Response, AppError> {
    field_page(&state, &ctx, lang, &s, &slug, Target { page, field, child: None }, None, None, StatusCode::OK).await
}

pub(super) async fn save_field(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Path((slug, page, field)): Path<(String, usize, usize)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    save_target(&state, &ctx, lang, &s, &ip, &slug, Target { page, field, child: None }, f).await
}

pub(super) async fn child_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Path((slug, page, field, child)): Path<(String, usize, usize, usize)>,
) -> Result<Response, AppError> {
    field_page(&state, &ctx, lang, &s, &slug, Target { page, field, child: Some(child) }, None, None, StatusCode::OK).await
}

pub(super) async fn save_child(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Path((slug, page, field, child)): Path<(String, usize, usize, usize)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    save_target(&state, &ctx, lang, &s, &ip, &slug, Target { page, field, child: Some(child) }, f).await
}

pub(super) async fn add_child(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Path((slug, page, field)): Path<(String, usize, usize)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let t = Target { page, field, child: None };
    let mut form = FormState::default();
    let kind = kind_of(&f.text("child_kind")).filter(|k| !matches!(k, Kind::Group | Kind::File));
    let label = texts(lang, &f, "child_de", "child_en", &mut form);
    let (Some(kind), Some(label)) = (kind, label) else {
        let message = form.errors.values().next().cloned().unwrap_or_else(|| tr(lang, "forms.error_kind"));
        return field_page(&state, &ctx, lang, &s, &slug, t, None, Some(Block::Notice("danger", message)), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let done = commit(&state, &ctx, lang, &s, &ip, &slug, &f, |w| {
        let mut group = t.get(&w.schema).filter(|g| g.kind == Kind::Group).ok_or_else(|| tr(lang, "forms.error_not_found"))?.clone();
        let taken = group.fields.iter().map(|c| c.id.clone()).collect();
        let child = starter_field(new_id(&label.de, &taken), kind, label.clone());
        let id = child.id.clone();
        group.fields.push(child);
        let schema = edit::apply(&w.schema, &Op::EditField { page, field, new: group }).map_err(|e| super::edit_error_text(lang, &e))?;
        Ok((schema, vec![], serde_json::json!({ "op": "child_add", "page": page, "field": field, "id": id })))
    })
    .await?;
    match done {
        Ok(slug) => Ok(Notice::Saved.redirect(&paths::FIELD.with(&[&slug, &page, &field]))),
        Err((message, status)) => field_page(&state, &ctx, lang, &s, &slug, t, None, Some(Block::Notice("danger", message)), status).await,
    }
}
