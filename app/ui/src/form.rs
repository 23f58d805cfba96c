//! Form building blocks following the KERN and GOV.UK patterns: a label, an optional hint, the error
//! next to the field, and an error summary at the top that links to each field.

use std::collections::BTreeMap;

use leptos::prelude::*;
use portal_domain::Lang;

use crate::i18n::tr;

/// Values and errors of a submitted form. Values are kept after a failed validation, so nothing the
/// user typed is lost.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub values: BTreeMap<String, String>,
    /// Field name → message, already translated.
    pub errors: BTreeMap<String, String>,
    /// Field names in the order they appear on the page (for the summary).
    pub order: Vec<String>,
    /// Field name → label, so that the summary says which field each message is about.
    pub labels: BTreeMap<String, String>,
}

impl FormState {
    pub fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
    pub fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).cloned()
    }
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// The summary of all errors, with links to the fields.
#[component]
pub fn ErrorSummary(lang: Lang, form: FormState) -> impl IntoView {
    if !form.has_errors() {
        return None;
    }
    let mut items: Vec<(String, String)> = Vec::new();
    let labelled = |f: &String, e: &String| match form.labels.get(f) {
        Some(label) => format!("{label}: {e}"),
        None => e.clone(),
    };
    for f in &form.order {
        if let Some(e) = form.errors.get(f) {
            items.push((f.clone(), labelled(f, e)));
        }
    }
    for (f, e) in &form.errors {
        if !form.order.contains(f) {
            items.push((f.clone(), labelled(f, e)));
        }
    }
    Some(summary_view(lang, items))
}

/// The error summary box: each message links to its field (`#id`).
pub fn summary_view(lang: Lang, items: Vec<(String, String)>) -> impl IntoView {
    view! {
        <div class="kern-alert kern-alert--danger error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
            <div class="kern-alert__header">
                <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                <h2 class="kern-title" id="error-summary-title">{tr(lang, "common.error_summary")}</h2>
            </div>
            <div class="kern-alert__body">
                <ul class="kern-list">
                    {items.into_iter().map(|(field, msg)| view! { <li><a class="kern-link" href=format!("#{field}")>{msg}</a></li> }).collect_view()}
                </ul>
            </div>
        </div>
    }
}

/// An error message under a field, announced with the field through `aria-describedby`.
pub(crate) fn field_error(field: &str, error: Option<String>) -> impl IntoView + use<> {
    let id = format!("{field}-error");
    error.map(|e| {
        view! {
            <p class="kern-error" id=id role="alert">
                <span class="kern-icon kern-icon--danger kern-icon--small" aria-hidden="true"></span>
                <span>{e}</span>
            </p>
        }
    })
}

/// Wrapper and input classes of a field, with KERN's error modifiers when it has an error.
fn field_classes(has_error: bool) -> (&'static str, &'static str) {
    if has_error {
        ("kern-form-input kern-form-input--error", "kern-form-input__input kern-form-input__input--error")
    } else {
        ("kern-form-input", "kern-form-input__input")
    }
}

fn described_by(field: &str, has_hint: bool, has_error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if has_hint {
        ids.push(format!("{field}-hint"));
    }
    if has_error {
        ids.push(format!("{field}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// The frame every field shares: label, optional hint, the error, then the control itself.
#[component]
fn FieldFrame(
    #[prop(into)] name: String,
    label: String,
    hint: Option<String>,
    error: Option<String>,
    children: Children,
) -> impl IntoView {
    let (class, _) = field_classes(error.is_some());
    let hint_id = format!("{name}-hint");
    let error_view = field_error(&name, error);
    view! {
        <div class=class>
            <label class="kern-label" for=name>{label}</label>
            {hint.map(|h| view! { <div class="kern-hint" id=hint_id>{h}</div> })}
            {error_view}
            {children()}
        </div>
    }
}

/// A one-line text input.
#[component]
pub fn TextField(
    form: FormState,
    #[prop(into)] name: String,
    label: String,
    #[prop(optional)] hint: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let error = form.error(&name);
    let (_, input_class) = field_classes(error.is_some());
    let describedby = described_by(&name, hint.is_some(), error.is_some());
    let invalid = error.is_some().then_some("true");
    let value = form.value(&name);
    view! {
        <FieldFrame name=name.clone() label=label hint=hint error=error>
            <input class=input_class type=input_type id=name.clone() name=name value=value
                required=required aria-invalid=invalid aria-describedby=describedby.clone() autocomplete=autocomplete/>
        </FieldFrame>
    }
}

/// A multi-line text input.
#[component]
pub fn TextArea(
    form: FormState,
    #[prop(into)] name: String,
    label: String,
    #[prop(optional)] hint: Option<String>,
    #[prop(default = 4)] rows: u32,
) -> impl IntoView {
    let error = form.error(&name);
    let (_, input_class) = field_classes(error.is_some());
    let describedby = described_by(&name, hint.is_some(), error.is_some());
    let invalid = error.is_some().then_some("true");
    let value = form.value(&name);
    view! {
        <FieldFrame name=name.clone() label=label hint=hint error=error>
            <textarea class=input_class id=name.clone() name=name rows=rows aria-invalid=invalid aria-describedby=describedby.clone()>{value.clone()}</textarea>
        </FieldFrame>
    }
}

/// A select box; `options` are (value, label).
#[component]
pub fn SelectField(
    form: FormState,
    #[prop(into)] name: String,
    label: String,
    options: Vec<(String, String)>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let error = form.error(&name);
    let select_class = if error.is_some() {
        "kern-form-input__select kern-form-input__select--error"
    } else {
        "kern-form-input__select"
    };
    let current = form.value(&name);
    let describedby = described_by(&name, false, error.is_some());
    let invalid = error.is_some().then_some("true");
    let options: Vec<(String, String, bool)> = options
        .into_iter()
        .map(|(v, t)| {
            let selected = v == current;
            (v, t, selected)
        })
        .collect();
    view! {
        <FieldFrame name=name.clone() label=label hint=None error=error>
            <div class="kern-form-input__select-wrapper">
                <select class=select_class id=name.clone() name=name required=required aria-invalid=invalid aria-describedby=describedby.clone()>
                    {options.clone().into_iter().map(|(value, text, selected)| view! { <option value=value selected=selected>{text}</option> }).collect_view()}
                </select>
            </div>
        </FieldFrame>
    }
}

/// A file input.
#[component]
pub fn FileField(
    form: FormState,
    #[prop(into)] name: String,
    label: String,
    #[prop(optional)] hint: Option<String>,
    accept: &'static str,
) -> impl IntoView {
    let error = form.error(&name);
    let (_, input_class) = field_classes(error.is_some());
    let describedby = described_by(&name, hint.is_some(), error.is_some());
    let invalid = error.is_some().then_some("true");
    view! {
        <FieldFrame name=name.clone() label=label hint=hint error=error>
            <input class=input_class type="file" id=name.clone() name=name accept=accept aria-invalid=invalid aria-describedby=describedby.clone()/>
        </FieldFrame>
    }
}

/// A success or information notice.
#[component]
pub fn Notice(text: String, #[prop(default = "success")] kind: &'static str) -> impl IntoView {
    view! {
        <div class=format!("kern-alert kern-alert--{kind}") role="status">
            <div class="kern-alert__header">
                <span class=format!("kern-icon kern-icon--{kind}") aria-hidden="true"></span>
                <p class="kern-title">{text}</p>
            </div>
        </div>
    }
}
