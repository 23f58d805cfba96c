//! Pages assembled from blocks: headings, texts, notices, fact lists, tables with row actions and
//! forms. The account pages, the staff area and the console's identity pages are data handed to
//! one of the frames below, so that every such page has the same accessible markup.

use leptos::prelude::*;
use portal_domain::Lang;

use crate::form::{ErrorSummary, FormState, SelectField, TextField};
use crate::i18n::tr;
use crate::layout::{ConsoleChrome, ConsoleLayout, PortalChrome, PortalLayout};

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

/// A building block of a page.
#[derive(Debug, Clone)]
pub enum Block {
    Heading(String),
    Text(String),
    Notice(&'static str, String),
    /// Term, value, optional badge.
    Facts(Vec<(String, String, Option<String>)>),
    Table { caption: String, headers: Vec<String>, rows: Vec<Vec<Cell>>, empty: String },
    Form(FormSpec),
    Links(Vec<(String, String)>),
    List(Vec<String>),
    Buttons(Vec<Button>),
    /// Services with on/off switches (an island that calls a server function; forms without JS).
    ServiceSwitches(Vec<crate::islands::ServiceSwitchData>),
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
        FieldKind::Select(options) => view! { <SelectField form=form.clone() name=f.name label=f.label options=options required=f.required/> }.into_any(),
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
    let fields = spec.fields.into_iter().map(|f| field_view(lang, &form, f)).collect_view();
    view! {
        <form method="post" action=spec.action class=if compact { "block-form block-form--compact" } else { "block-form" } novalidate=true>
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
    let class = if b.danger { "kern-btn kern-btn--secondary kern-btn--small btn-danger-outline" } else { "kern-btn kern-btn--secondary kern-btn--small" };
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
                            <dd class="kern-body">{if value.is_empty() { "–".to_owned() } else { value }}
                                {badge.map(|b| view! { " " <span class="kern-badge kern-badge--success"><span class="kern-label kern-label--small">{b}</span></span> })}
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
            Block::List(items) => view! { <ul class="kern-list">{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul> }.into_any(),
            Block::Buttons(bs) => view! { <div class="row-actions">{bs.into_iter().map(button_view).collect_view()}</div> }.into_any(),
            Block::ServiceSwitches(items) => view! {
                <ul class="switch-list">
                    {items.into_iter().map(|d| view! { <li><crate::islands::ServiceSwitch data=d/></li> }).collect_view()}
                </ul>
            }
            .into_any(),
        })
        .collect_view()
}

/// A page of the citizen portal (or of the staff area, with its navigation) made of blocks.
#[component]
pub fn PortalBlocksPage(chrome: PortalChrome, title: String, #[prop(optional)] nav: Vec<(String, String, bool)>, blocks: Vec<Block>) -> impl IntoView {
    let lang = chrome.lang;
    let t = title.clone();
    view! {
        <PortalLayout chrome=chrome title=title>
            {(!nav.is_empty()).then(|| view! {
                <nav class="area-nav" aria-label=tr(lang, "staff.nav_label")>
                    <ul>{nav.into_iter().map(|(href, label, current)| view! {
                        <li><a class="kern-link" href=href aria-current=current.then_some("page")>{label}</a></li>
                    }).collect_view()}</ul>
                </nav>
            })}
            <h1 class="kern-heading-large">{t}</h1>
            {blocks_view(lang, blocks)}
        </PortalLayout>
    }
}

/// A console page made of blocks.
#[component]
pub fn ConsoleBlocksPage(chrome: ConsoleChrome, title: String, blocks: Vec<Block>) -> impl IntoView {
    let lang = chrome.lang;
    let t = title.clone();
    view! {
        <ConsoleLayout chrome=chrome title=title>
            <h1 class="kern-heading-large">{t}</h1>
            {blocks_view(lang, blocks)}
        </ConsoleLayout>
    }
}
