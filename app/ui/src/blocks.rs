//! Pages assembled from blocks: headings, texts, notices, fact lists, tables with row actions and
//! forms. The account pages, the staff area and the console's identity pages are data handed to
//! one of the frames below, so that every such page has the same accessible markup.

use leptos::prelude::*;
use portal_domain::Lang;

pub use crate::filters::{FilterSelect, FilterSpec};
use crate::form::{ErrorSummary, FormState, SelectField, TextField};
use crate::i18n::tr;

/// A field of a [`FormSpec`].
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    pub hint: Option<String>,
    pub autocomplete: Option<&'static str>,
    pub required: bool,
    /// Shown instead of an input: the value is fixed (e.g. verified by an identity provider).
    pub locked: Option<String>,
}

impl Field {
    pub fn new(name: &str, label: String, kind: FieldKind) -> Self {
        Self { name: name.to_owned(), label, kind, hint: None, autocomplete: None, required: false, locked: None }
    }
    pub fn hint(mut self, h: String) -> Self {
        self.hint = Some(h);
        self
    }
    pub fn autocomplete(mut self, a: &'static str) -> Self {
        self.autocomplete = Some(a);
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn locked(mut self, note: String) -> Self {
        self.locked = Some(note);
        self
    }
}

/// Kinds of input.
#[derive(Debug, Clone)]
pub enum FieldKind {
    Text,
    Email,
    Password,
    Date,
    Tel,
    Url,
    /// A single checkbox; checked when the form value is "on".
    Checkbox,
    Select(Vec<(String, String)>),
    /// Several checkboxes with the same name; checked values are the form value split at ','.
    Checkboxes(Vec<(String, String)>),
    Hidden,
    /// Multi-line text (monospace: used for JSON form schemas).
    TextArea,
    /// A file input accepting these types (`.xml,text/xml`); the form is sent as multipart.
    File(&'static str),
}

/// A form: posted to `action` with the CSRF token as `_csrf`.
#[derive(Debug, Clone)]
pub struct FormSpec {
    pub action: String,
    pub csrf: String,
    pub form: FormState,
    pub fields: Vec<Field>,
    pub submit: String,
    pub danger: bool,
    /// A link next to the button (cancel, forgotten password ...).
    pub secondary: Option<(String, String)>,
}

/// A small form inside a table cell or a list (one button).
#[derive(Debug, Clone)]
pub struct Button {
    pub action: String,
    pub csrf: String,
    pub hidden: Vec<(String, String)>,
    pub label: String,
    pub danger: bool,
}

/// A table cell.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Link(String, String),
    Badge(&'static str, String),
    Buttons(Vec<Button>),
    /// A cell holding a compact form (e.g. role change).
    Form(Box<FormSpec>),
}

/// A term, its value and an optional badge (kind and words).
pub type Fact = (String, String, Option<(&'static str, String)>);

/// A building block of a page.
#[derive(Debug, Clone)]
pub enum Block {
    Heading(String),
    Text(String),
    Notice(&'static str, String),
    /// Term, value, optional badge (its kind, e.g. `success` or `danger`, and its words: the
    /// colour never says anything the words do not).
    Facts(Vec<Fact>),
    Table {
        caption: String,
        headers: Vec<String>,
        rows: Vec<Vec<Cell>>,
        empty: String,
    },
    Form(FormSpec),
    Links(Vec<(String, String)>),
    List(Vec<String>),
    Buttons(Vec<Button>),
    /// Services with on/off switches (an island that calls a server function; forms without JS).
    ServiceSwitches(Vec<crate::islands::ServiceSwitchData>),
    /// A page of an application form (multipart, fields drawn from the schema by an island).
    AppForm(Box<AppFormSpec>),
    /// Answers per page of the form, as a summary list, with change links when `change` is set.
    Answers(Vec<AnswerSection>),
    /// A case's timeline, oldest first.
    Timeline(Vec<TimelineEntry>),
    /// A message form with a text and an optional attachment (multipart).
    MessageForm(Box<MessageFormSpec>),
    /// A filter form sent with GET (inbox filters).
    Filters(Box<FilterSpec>),
    /// A widget its capability draws (the payment element, live waiting times, the offline check,
    /// the time picker, a ticket, the map); see [`crate::widget`].
    Widget(crate::widget::Widget),
}

/// A page of an application form.
#[derive(Debug, Clone)]
pub struct AppFormSpec {
    pub action: String,
    pub csrf: String,
    pub step: String,
    pub page_help: Option<String>,
    /// (link target id, message) of each problem, in page order.
    pub summary: Vec<(String, String)>,
    pub fields: crate::form_fields::FormFieldsData,
    /// (value of `_action`, label, primary)
    pub buttons: Vec<(String, String, bool)>,
    pub back: Option<(String, String)>,
}

/// A page of answers.
#[derive(Debug, Clone)]
pub struct AnswerSection {
    pub title: String,
    /// (label, value, change link)
    pub rows: Vec<(String, String, Option<String>)>,
}

/// An entry of a timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub when: String,
    pub title: String,
    pub who: String,
    pub text: String,
    /// (href, label) of attachments.
    pub files: Vec<(String, String)>,
    pub badge: Option<(&'static str, String)>,
    pub internal: bool,
}

/// A message form.
#[derive(Debug, Clone)]
pub struct MessageFormSpec {
    pub action: String,
    pub csrf: String,
    pub heading: String,
    pub text_label: String,
    pub text_value: String,
    pub text_error: Option<String>,
    pub file_label: Option<String>,
    pub file_error: Option<String>,
    pub hidden: Vec<(String, String)>,
    /// Choices shown as radio buttons before the text (e.g. the next status), with the checked one.
    pub choices: Vec<(String, String)>,
    pub choice_label: String,
    pub chosen: String,
    pub submit: String,
}

fn field_view(lang: Lang, form: &FormState, f: Field) -> AnyView {
    if let Some(note) = f.locked {
        let value = form.value(&f.name);
        return view! {
            <div class="kern-form-input locked-field">
                <span class="kern-label">{f.label}</span>
                <p class="kern-body locked-field__value">{if value.is_empty() { "–".to_owned() } else { value }}</p>
                <p class="kern-body kern-body--small"><span class="kern-badge kern-badge--success"><span class="kern-label kern-label--small">{note}</span></span></p>
            </div>
        }
        .into_any();
    }
    let input_type = match f.kind {
        FieldKind::Email => "email",
        FieldKind::Password => "password",
        FieldKind::Date => "date",
        FieldKind::Tel => "tel",
        FieldKind::Url => "url",
        _ => "text",
    };
    match f.kind {
        FieldKind::Hidden => view! { <input type="hidden" name=f.name.clone() value=form.value(&f.name)/> }.into_any(),
        FieldKind::TextArea => {
            let error = form.error(&f.name);
            let error_view = crate::form::field_error(&f.name, error.clone());
            let hint_id = format!("{}-hint", f.name);
            let describedby = match (&f.hint, &error) {
                (Some(_), Some(_)) => Some(format!("{hint_id} {}-error", f.name)),
                (Some(_), None) => Some(hint_id.clone()),
                (None, Some(_)) => Some(format!("{}-error", f.name)),
                (None, None) => None,
            };
            view! {
                <div class=if error.is_some() { "kern-form-input kern-form-input--error" } else { "kern-form-input" }>
                    <label class="kern-label" for=f.name.clone()>{f.label}</label>
                    {f.hint.map(|h| view! { <div class="kern-hint" id=hint_id>{h}</div> })}
                    {error_view}
                    <textarea class="kern-form-input__input code-input" id=f.name.clone() name=f.name.clone() rows="24" spellcheck="false"
                        aria-invalid=error.is_some().then_some("true") aria-describedby=describedby>{form.value(&f.name)}</textarea>
                </div>
            }
            .into_any()
        }
        FieldKind::Select(options) => {
            view! { <SelectField form=form.clone() name=f.name label=f.label options=options required=f.required/> }
                .into_any()
        }
        FieldKind::File(accept) => match f.hint {
            Some(h) => {
                view! { <crate::form::FileField form=form.clone() name=f.name label=f.label hint=h accept=accept/> }
                    .into_any()
            }
            None => {
                view! { <crate::form::FileField form=form.clone() name=f.name label=f.label accept=accept/> }.into_any()
            }
        },
        FieldKind::Checkbox => {
            let checked = form.value(&f.name) == "on";
            let error = form.error(&f.name);
            let error_view = crate::form::field_error(&f.name, error.clone());
            let id = f.name.clone();
            view! {
                <div class=if error.is_some() { "kern-form-check kern-form-check--error" } else { "kern-form-check" }>
                    <input class="kern-form-check__checkbox" type="checkbox" id=id.clone() name=f.name.clone() checked=checked
                        aria-invalid=error.is_some().then_some("true") aria-describedby=error.is_some().then(|| format!("{id}-error"))/>
                    <label class="kern-label" for=id>{f.label}</label>
                    {error_view}
                </div>
            }
            .into_any()
        }
        FieldKind::Checkboxes(options) => {
            let current: Vec<String> = form.value(&f.name).split(',').map(str::to_owned).collect();
            let error = form.error(&f.name);
            let error_view = crate::form::field_error(&f.name, error);
            let name = f.name.clone();
            view! {
                <fieldset class="kern-fieldset" id=name.clone()>
                    <legend class="kern-label">{f.label}</legend>
                    {f.hint.map(|h| view! { <div class="kern-hint">{h}</div> })}
                    {error_view}
                    <div class="checkbox-grid">
                        {options.into_iter().enumerate().map(|(i, (value, text))| {
                            let id = format!("{name}-{i}");
                            let checked = current.contains(&value);
                            view! {
                                <div class="kern-form-check">
                                    <input class="kern-form-check__checkbox" type="checkbox" id=id.clone() name=name.clone() value=value checked=checked/>
                                    <label class="kern-label" for=id>{text}</label>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            }
            .into_any()
        }
        _ => {
            let _ = lang;
            match (f.hint, f.autocomplete) {
                (Some(h), Some(a)) => view! { <TextField form=form.clone() name=f.name label=f.label hint=h input_type=input_type autocomplete=a required=f.required/> }.into_any(),
                (Some(h), None) => view! { <TextField form=form.clone() name=f.name label=f.label hint=h input_type=input_type required=f.required/> }.into_any(),
                (None, Some(a)) => view! { <TextField form=form.clone() name=f.name label=f.label input_type=input_type autocomplete=a required=f.required/> }.into_any(),
                (None, None) => view! { <TextField form=form.clone() name=f.name label=f.label input_type=input_type required=f.required/> }.into_any(),
            }
        }
    }
}

fn form_view(lang: Lang, spec: FormSpec, compact: bool) -> impl IntoView {
    let form = spec.form.clone();
    let button_class = if spec.danger { "kern-btn kern-btn--primary btn-danger" } else { "kern-btn kern-btn--primary" };
    let multipart = spec.fields.iter().any(|f| matches!(f.kind, FieldKind::File(_))).then_some("multipart/form-data");
    let fields = spec.fields.into_iter().map(|f| field_view(lang, &form, f)).collect_view();
    view! {
        <form method="post" action=spec.action enctype=multipart class=if compact { "block-form block-form--compact" } else { "block-form" } novalidate=true>
            {(!compact).then(|| view! { <ErrorSummary lang=lang form=form.clone()/> })}
            <input type="hidden" name="_csrf" value=spec.csrf/>
            {fields}
            <div class="form-actions">
                <button class=button_class type="submit"><span class="kern-label">{spec.submit}</span></button>
                {spec.secondary.map(|(href, label)| view! { <a class="kern-link" href=href>{label}</a> })}
            </div>
        </form>
    }
}

fn button_view(b: Button) -> impl IntoView {
    let class = if b.danger {
        "kern-btn kern-btn--secondary kern-btn--small btn-danger-outline"
    } else {
        "kern-btn kern-btn--secondary kern-btn--small"
    };
    view! {
        <form method="post" action=b.action class="inline-form">
            <input type="hidden" name="_csrf" value=b.csrf/>
            {b.hidden.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
            <button class=class type="submit"><span class="kern-label">{b.label}</span></button>
        </form>
    }
}

fn cell_view(lang: Lang, c: Cell) -> AnyView {
    match c {
        Cell::Text(t) => view! { <span>{t}</span> }.into_any(),
        Cell::Link(href, label) => view! { <a class="kern-link" href=href>{label}</a> }.into_any(),
        Cell::Badge(kind, text) => view! { <span class=format!("kern-badge kern-badge--{kind}")><span class="kern-label kern-label--small">{text}</span></span> }.into_any(),
        Cell::Buttons(bs) => view! { <div class="row-actions">{bs.into_iter().map(button_view).collect_view()}</div> }.into_any(),
        Cell::Form(spec) => form_view(lang, *spec, true).into_any(),
    }
}

/// Renders blocks.
pub fn blocks_view(lang: Lang, blocks: Vec<Block>) -> impl IntoView {
    blocks
        .into_iter()
        .map(|b| match b {
            Block::Heading(t) => view! { <h2 class="kern-heading-medium">{t}</h2> }.into_any(),
            Block::Text(t) => view! { <p class="kern-body">{t}</p> }.into_any(),
            Block::Notice(kind, t) => view! { <crate::form::Notice text=t kind=kind/> }.into_any(),
            Block::Facts(facts) => view! {
                <dl class="facts">
                    {facts.into_iter().map(|(term, value, badge)| view! {
                        <div class="facts__row">
                            <dt class="kern-label">{term}</dt>
                            <dd class="kern-body">{if value.is_empty() && badge.is_none() { "–".to_owned() } else { value }}
                                {badge.map(|(kind, b)| view! { " " <span class=format!("kern-badge kern-badge--{kind}")><span class="kern-label kern-label--small">{b}</span></span> })}
                            </dd>
                        </div>
                    }).collect_view()}
                </dl>
            }
            .into_any(),
            Block::Table { caption, headers, rows, empty } => {
                if rows.is_empty() {
                    view! { <p class="kern-body">{empty}</p> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll">
                            <table class="kern-table data-table">
                                <caption class="kern-title">{caption}</caption>
                                <thead class="kern-table__head"><tr class="kern-table__row">{headers.into_iter().map(|h| view! { <th class="kern-table__header" scope="col">{h}</th> }).collect_view()}</tr></thead>
                                <tbody class="kern-table__body">
                                    {rows.into_iter().map(|r| view! {
                                        <tr class="kern-table__row">{r.into_iter().map(|c| view! { <td class="kern-table__cell">{cell_view(lang, c)}</td> }).collect_view()}</tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                }
            }
            Block::Form(spec) => form_view(lang, spec, false).into_any(),
            Block::Links(links) => view! {
                <ul class="kern-list link-list">{links.into_iter().map(|(href, label)| view! { <li><a class="kern-link" href=href>{label}</a></li> }).collect_view()}</ul>
            }
            .into_any(),
            Block::Widget(w) => w.view(),
            Block::List(items) => view! { <ul class="kern-list">{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul> }.into_any(),
            Block::Buttons(bs) => view! { <div class="row-actions">{bs.into_iter().map(button_view).collect_view()}</div> }.into_any(),
            Block::ServiceSwitches(items) => view! {
                <ul class="switch-list">
                    {items.into_iter().map(|d| view! { <li><crate::islands::ServiceSwitch data=d/></li> }).collect_view()}
                </ul>
            }
            .into_any(),
            Block::AppForm(spec) => app_form_view(lang, *spec).into_any(),
            Block::Answers(sections) => view! {
                <div class="answers">
                    {sections.into_iter().map(|s| view! {
                        <section class="answers__section">
                            <h2 class="kern-heading-small">{s.title}</h2>
                            <dl class="facts answers__list">
                                {s.rows.into_iter().map(|(label, value, change)| view! {
                                    <div class="facts__row">
                                        <dt class="kern-label">{label.clone()}</dt>
                                        <dd class="kern-body">{value}</dd>
                                        {change.map(|href| view! { <dd class="answers__change"><a class="kern-link" href=href>{tr(lang, "cases.change")}<span class="visually-hidden">{format!(" {label}")}</span></a></dd> })}
                                    </div>
                                }).collect_view()}
                            </dl>
                        </section>
                    }).collect_view()}
                </div>
            }
            .into_any(),
            Block::Timeline(entries) => view! {
                <ol class="timeline">
                    {entries.into_iter().map(|e| view! {
                        <li class=if e.internal { "timeline__entry timeline__entry--internal" } else { "timeline__entry" }>
                            <p class="kern-body timeline__head">
                                <strong>{e.title}</strong>
                                {e.badge.map(|(k, t)| view! { " " <span class=format!("kern-badge kern-badge--{k}")><span class="kern-label kern-label--small">{t}</span></span> })}
                            </p>
                            <p class="kern-body kern-body--small timeline__meta">{e.when}{(!e.who.is_empty()).then(|| format!(" · {}", e.who))}</p>
                            {(!e.text.is_empty()).then(|| view! { <p class="kern-body timeline__text">{e.text}</p> })}
                            {(!e.files.is_empty()).then(|| view! {
                                <ul class="kern-list">{e.files.into_iter().map(|(href, label)| view! { <li><a class="kern-link" href=href>{label}</a></li> }).collect_view()}</ul>
                            })}
                        </li>
                    }).collect_view()}
                </ol>
            }
            .into_any(),
            Block::MessageForm(spec) => message_form_view(*spec).into_any(),
            Block::Filters(spec) => crate::filters::filters_view(*spec).into_any(),
        })
        .collect_view()
}

fn app_form_view(lang: Lang, spec: AppFormSpec) -> impl IntoView {
    let has_group = spec.fields.page.fields.iter().any(|f| f.kind == portal_forms::Kind::Group);
    let primary = spec.buttons.iter().find(|b| b.2).cloned();
    let enhancer = crate::form_fields::EnhancerData {
        form_id: "application-form".into(),
        page: spec.fields.page.clone(),
        answers: spec.fields.answers.clone(),
        lang: spec.fields.lang,
        today: spec.fields.today,
    };
    view! {
        <p class="kern-body kern-body--small form-step">{spec.step}</p>
        {(!spec.summary.is_empty()).then(|| crate::form::summary_view(lang, spec.summary))}
        {spec.page_help.map(|h| view! { <p class="kern-body">{h}</p> })}
        <form method="post" action=spec.action enctype="multipart/form-data" class="block-form app-form" id="application-form" novalidate=true>
            // Enter in a field means "continue", not the first "add/remove entry" button of a group
            {(has_group && primary.is_some()).then(|| {
                let (v, l, _) = primary.clone().unwrap_or_default();
                view! { <button class="visually-hidden" type="submit" name="_action" value=v tabindex="-1">{l}</button> }
            })}
            <input type="hidden" name="_csrf" value=spec.csrf/>
            <crate::form_fields::FormEnhancer data=enhancer/>
            <crate::form_fields::FormFields data=spec.fields/>
            <div class="form-actions">
                {spec.buttons.into_iter().map(|(value, label, primary)| view! {
                    <button class=if primary { "kern-btn kern-btn--primary" } else { "kern-btn kern-btn--secondary" } type="submit" name="_action" value=value>
                        <span class="kern-label">{label}</span>
                    </button>
                }).collect_view()}
                {spec.back.map(|(href, label)| view! { <a class="kern-link" href=href>{label}</a> })}
            </div>
        </form>
    }
}

fn message_form_view(spec: MessageFormSpec) -> impl IntoView {
    let text_error = spec.text_error.clone();
    let file_error = spec.file_error.clone();
    view! {
        <form method="post" action=spec.action enctype="multipart/form-data" class="block-form message-form" novalidate=true>
            <h2 class="kern-heading-medium">{spec.heading}</h2>
            <input type="hidden" name="_csrf" value=spec.csrf/>
            {spec.hidden.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
            {(!spec.choices.is_empty()).then(|| {
                let chosen = spec.chosen.clone();
                view! {
                    <fieldset class="kern-fieldset">
                        <legend class="kern-label">{spec.choice_label.clone()}</legend>
                        <div class="kern-fieldset__body">
                            {spec.choices.into_iter().enumerate().map(|(i, (v, l))| {
                                let id = if i == 0 { "msg-choice".to_owned() } else { format!("msg-choice-{i}") };
                                let checked = v == chosen || (chosen.is_empty() && i == 0);
                                view! {
                                    <div class="kern-form-check">
                                        <input class="kern-form-check__radio" type="radio" id=id.clone() name="choice" value=v checked=checked/>
                                        <label class="kern-label" for=id>{l}</label>
                                    </div>
                                }
                            }).collect_view()}
                        </div>
                    </fieldset>
                }
            })}
            <div class=if text_error.is_some() { "kern-form-input kern-form-input--error" } else { "kern-form-input" }>
                <label class="kern-label" for="msg-text">{spec.text_label}</label>
                {crate::form::field_error("msg-text", text_error.clone())}
                <textarea class="kern-form-input__input" id="msg-text" name="text" rows="4" maxlength="4000"
                    aria-invalid=text_error.is_some().then_some("true") aria-describedby=text_error.is_some().then_some("msg-text-error")>{spec.text_value}</textarea>
            </div>
            {spec.file_label.map(|l| view! {
                <div class=if file_error.is_some() { "kern-form-input kern-form-input--error" } else { "kern-form-input" }>
                    <label class="kern-label" for="msg-file">{l}</label>
                    {crate::form::field_error("msg-file", file_error.clone())}
                    <input class="kern-form-input__input file-input" type="file" id="msg-file" name="file" accept=".pdf,.png,.jpg,.jpeg"
                        aria-invalid=file_error.is_some().then_some("true") aria-describedby=file_error.is_some().then_some("msg-file-error")/>
                </div>
            })}
            <div class="form-actions">
                <button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">{spec.submit}</span></button>
            </div>
        </form>
    }
}
