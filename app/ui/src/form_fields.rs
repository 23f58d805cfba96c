//! The fields of one page of an application form, drawn from the form schema.
//!
//! [`FormFields`] renders them on the server: complete, working without JavaScript (every conditional
//! field is shown with a note saying when it is needed). [`FormEnhancer`] is the island: it draws
//! nothing, and in the browser it listens to the form's changes, runs the same validator the server
//! runs on the page's answers, shows or removes each changed field's message and hides the fields
//! whose condition does not hold. Keeping the markup out of the island keeps the wasm small: only the
//! validator and a few DOM calls are shipped.

use leptos::prelude::*;
use portal_domain::Lang;
use portal_forms::schema::Page;
use portal_forms::validate::Day;
use portal_forms::{Answers, Issue};
#[cfg(feature = "ssr")]
use portal_forms::{
    Value,
    answers::{dom_id, input_name},
    schema::{Condition, Field, Kind},
    validate::visible,
};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::i18n::tr;

#[cfg(feature = "ssr")]
mod conditions;
#[cfg(feature = "ssr")]
use conditions::*;

/// What the island needs (serialised into the page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormFieldsData {
    pub page: Page,
    pub answers: Answers,
    /// The server's findings on the last post.
    pub issues: Vec<Issue>,
    pub lang: Lang,
    pub today: Day,
    /// Ids of fields filled from the Bürgerkonto, and of those an identity provider verified.
    pub prefilled: Vec<String>,
    pub verified: Vec<String>,
    pub verified_by: Option<String>,
}

/// The server's findings, by input name.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
struct Ctx<'a> {
    lang: Lang,
    issues: &'a [Issue],
}

#[cfg(feature = "ssr")]
impl Ctx<'_> {
    fn error(&self, name: &str) -> Option<String> {
        self.issues.iter().find(|i| i.name == name).map(|i| i.message(self.lang))
    }
}

#[cfg(feature = "ssr")]
fn error_view(ctx: Ctx<'_>, name: &str) -> impl IntoView + use<> {
    crate::form::field_error(&dom_id(name), ctx.error(name))
}

/// The fields of one page, rendered on the server.
#[cfg(feature = "ssr")]
#[component]
pub fn FormFields(data: FormFieldsData) -> impl IntoView {
    let FormFieldsData { page, answers, issues, lang, today: _, prefilled, verified, verified_by } = data;
    let ctx = Ctx { lang, issues: &issues };
    let notes = Notes { prefilled, verified, verified_by };
    page.fields
        .iter()
        .map(|f| field_view(ctx, &page, None, f, f.id.clone(), answers.get(&f.id).cloned(), &notes, &answers))
        .collect_view()
}

#[cfg(feature = "ssr")]
struct Notes {
    prefilled: Vec<String>,
    verified: Vec<String>,
    verified_by: Option<String>,
}

#[expect(clippy::too_many_arguments, reason = "a field needs its page, group, name, value and the prefill notes")]
#[cfg(feature = "ssr")]
fn field_view(
    ctx: Ctx<'_>,
    page: &Page,
    group: Option<(&Field, usize)>,
    field: &Field,
    name: String,
    value: Option<Value>,
    notes: &Notes,
    all: &Answers,
) -> AnyView {
    let lang = ctx.lang;
    // a condition on a field of another page was settled by the server: render only if it holds
    if let Some(c) = &field.show_if {
        let here = page.fields.iter().any(|f| f.id == c.field)
            || group.is_some_and(|(g, _)| g.fields.iter().any(|f| f.id == c.field));
        let entry = group.and_then(|(g, i)| all.get(&g.id).and_then(|v| v.items().get(i).cloned()));
        if !here && !visible(field, all, entry.as_ref()) {
            return ().into_any();
        }
    }
    let note = field.show_if.as_ref().and_then(|c| condition_note(page, group.map(|(g, _)| g), c, lang));
    // the wrapper's id: the enhancer hides it while the field's condition does not hold
    let field_id = format!("{}-field", dom_id(&name));
    let optional = (!field.required && !matches!(field.kind, Kind::Group))
        .then(|| format!(" ({})", tr(lang, "cases.fields.optional")));
    let label = format!("{}{}", field.label.get(lang), optional.unwrap_or_default());
    let mut hints: Vec<String> = Vec::new();
    if let Some(h) = &field.help {
        hints.push(h.get(lang).to_owned());
    }
    if let Some(e) = &field.example {
        hints.push(format!("{} {e}", tr(lang, "cases.fields.example")));
    }
    if field.kind == Kind::Date {
        hints.push(tr(lang, "cases.fields.date_format"));
    }
    if field.kind == Kind::File {
        let types: Vec<&str> = field.accepted().iter().map(|t| t.label()).collect();
        hints.push(format!(
            "{} {}, {} {} KB",
            tr(lang, "cases.fields.allowed"),
            types.join(", "),
            tr(lang, "cases.fields.at_most"),
            field.max_bytes() / 1024
        ));
    }
    let is_verified = group.is_none() && notes.verified.contains(&field.id);
    let is_prefilled = group.is_none() && notes.prefilled.contains(&field.id);
    let badge = if is_verified {
        Some(format!(
            "{} {}",
            tr(lang, "cases.fields.verified_by"),
            notes.verified_by.clone().unwrap_or_else(|| "eID".into())
        ))
    } else if is_prefilled {
        Some(tr(lang, "cases.fields.prefilled"))
    } else {
        None
    };
    let id = dom_id(&name);
    let hint_id = format!("{id}-hint");
    let has_hint = !hints.is_empty() || note.is_some() || badge.is_some();
    let hint_view = has_hint.then(|| {
        let note = note.clone();
        view! {
            <div class="kern-hint" id=hint_id.clone()>
                {hints.join(" ")}
                {note.map(|n| view! { <span class="condition-note">" "{n}</span> })}
                {badge.clone().map(|b| view! { <span class=if is_verified { "kern-badge kern-badge--success prefill-badge" } else { "kern-badge kern-badge--info prefill-badge" }><span class="kern-label kern-label--small">{b}</span></span> })}
            </div>
        }
    });
    let has_error = ctx.error(&name).is_some();
    let described = {
        let mut ids: Vec<String> = has_hint.then(|| hint_id.clone()).into_iter().collect();
        if has_error {
            ids.push(format!("{}-error", dom_id(&name)));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let invalid = has_error.then_some("true");
    let wrapper_class =
        if has_error { "kern-form-input kern-form-input--error form-field" } else { "kern-form-input form-field" };
    let mut text = value.as_ref().map(|v| v.text().to_owned()).unwrap_or_default();
    if field.kind == Kind::Date
        && let Some((y, m, d)) = portal_forms::validate::parse_date(&text)
    {
        text = format!("{d:02}.{m:02}.{y:04}");
    }
    match field.kind {
        Kind::Text | Kind::Number | Kind::Date | Kind::Email | Kind::Phone | Kind::Iban => {
            let (input_type, inputmode, autocomplete) = match (field.kind, field.prefill) {
                // a text input: a date input would drop a mistyped value instead of showing it back
                (Kind::Date, _) => ("text", None, field.prefill.map(|_| "bday")),
                (Kind::Email, _) => ("email", None, Some("email")),
                (Kind::Phone, _) => ("tel", None, Some("tel")),
                (Kind::Number, _) => ("text", Some(if field.integer { "numeric" } else { "decimal" }), None),
                (Kind::Iban, _) => ("text", None, None),
                (_, Some(portal_forms::schema::PrefillKey::GivenName)) => ("text", None, Some("given-name")),
                (_, Some(portal_forms::schema::PrefillKey::FamilyName)) => ("text", None, Some("family-name")),
                _ => ("text", None, None),
            };
            let input_class = if has_error { "kern-form-input__input kern-form-input__input--error" } else { "kern-form-input__input" };
            view! {
                <div class=wrapper_class id=field_id.clone()>
                    <label class="kern-label" for=id.clone()>{label}</label>
                    {hint_view}
                    {error_view(ctx, &name)}
                    <input class=input_class type=input_type id=id.clone() name=name.clone() value=text inputmode=inputmode autocomplete=autocomplete
                        maxlength=field.max_len().to_string() aria-invalid=invalid aria-describedby=described/>
                </div>
            }
            .into_any()
        }
        Kind::Textarea => view! {
            <div class=wrapper_class id=field_id.clone()>
                <label class="kern-label" for=id.clone()>{label}</label>
                {hint_view}
                {error_view(ctx, &name)}
                <textarea class="kern-form-input__input" id=id.clone() name=name.clone() rows="5" maxlength=field.max_len().to_string()
                    aria-invalid=invalid aria-describedby=described>{text}</textarea>
            </div>
        }
        .into_any(),
        Kind::Select => {
            let options = field
                .options
                .iter()
                .map(|o| {
                    let selected = o.value == text;
                    view! { <option value=o.value.clone() selected=selected>{o.label.get(lang).to_owned()}</option> }
                })
                .collect_view();
            view! {
                <div class=wrapper_class id=field_id.clone()>
                    <label class="kern-label" for=id.clone()>{label}</label>
                    {hint_view}
                    {error_view(ctx, &name)}
                    <select class="kern-form-input__select" id=id.clone() name=name.clone() aria-invalid=invalid aria-describedby=described>
                        <option value="">{tr(lang, "cases.fields.choose")}</option>
                        {options}
                    </select>
                </div>
            }
            .into_any()
        }
        Kind::Radio | Kind::YesNo | Kind::Checkbox => {
            let multiple = field.kind == Kind::Checkbox && !field.options.is_empty();
            if field.kind == Kind::Checkbox && !multiple {
                let checked = text == "ja";
                return view! {
                    <div class=wrapper_class id=field_id.clone()>
                        {error_view(ctx, &name)}
                        <div class="kern-form-check">
                            <input class="kern-form-check__checkbox" type="checkbox" id=id.clone() name=name.clone() value="ja" checked=checked
                                aria-invalid=invalid aria-describedby=described/>
                            <label class="kern-label" for=id.clone()>{label}</label>
                        </div>
                        {hint_view}
                    </div>
                }
                .into_any();
            }
            let choices: Vec<(String, String)> = if field.kind == Kind::YesNo {
                vec![("ja".into(), tr(lang, "cases.fields.yes")), ("nein".into(), tr(lang, "cases.fields.no"))]
            } else {
                field.options.iter().map(|o| (o.value.clone(), o.label.get(lang).to_owned())).collect()
            };
            let current: Vec<String> = value.as_ref().map(|v| v.list().into_iter().map(str::to_owned).collect()).unwrap_or_default();
            let items = choices
                .into_iter()
                .enumerate()
                .map(|(i, (v, l))| {
                    // the first option carries the field's id: the error summary links to it
                    let oid = if i == 0 { id.clone() } else { format!("{id}-{i}") };
                    let checked = current.contains(&v);
                    let class = if multiple { "kern-form-check__checkbox" } else { "kern-form-check__radio" };
                    view! {
                        <div class="kern-form-check">
                            <input class=class type=if multiple { "checkbox" } else { "radio" } id=oid.clone() name=name.clone() value=v checked=checked/>
                            <label class="kern-label" for=oid>{l}</label>
                        </div>
                    }
                })
                .collect_view();
            let fs_class = if has_error { "kern-fieldset kern-fieldset--error form-field" } else { "kern-fieldset form-field" };
            view! {
                <fieldset class=fs_class id=field_id.clone() aria-describedby=described>
                    <legend class="kern-label">{label}</legend>
                    {hint_view}
                    {error_view(ctx, &name)}
                    <div class=if field.kind == Kind::YesNo { "kern-fieldset__body kern-fieldset__body--horizontal" } else { "kern-fieldset__body" }>{items}</div>
                </fieldset>
            }
            .into_any()
        }
        Kind::PostcodeTown | Kind::Address => {
            let parts = field
                .kind
                .parts()
                .iter()
                .map(|p| {
                    let pname = format!("{name}.{p}");
                    let pid = dom_id(&pname);
                    let pval = value.as_ref().map(|v| v.part(p).to_owned()).unwrap_or_default();
                    let (plabel, autocomplete, width) = match *p {
                        "street" => (tr(lang, "cases.fields.street"), if group.is_none() && field.prefill.is_some() { "street-address" } else { "off" }, "part-street"),
                        "postcode" => (tr(lang, "cases.fields.postcode"), if group.is_none() && field.prefill.is_some() { "postal-code" } else { "off" }, "part-postcode"),
                        _ => (tr(lang, "cases.fields.town"), if group.is_none() && field.prefill.is_some() { "address-level2" } else { "off" }, "part-town"),
                    };
                    let part_error = ctx.error(&pname).is_some();
                    let invalid = part_error.then_some("true");
                    let described = part_error.then(|| format!("{pid}-error"));
                    view! {
                        <div class=format!("kern-form-input address-part {width}")>
                            <label class="kern-label" for=pid.clone()>{plabel}</label>
                            {error_view(ctx, &pname)}
                            <input class="kern-form-input__input" type="text" id=pid.clone() name=pname.clone() value=pval autocomplete=autocomplete
                                inputmode=(*p == "postcode").then_some("numeric") maxlength=if *p == "postcode" { "5" } else { "120" }
                                aria-invalid=invalid aria-describedby=described/>
                        </div>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="kern-fieldset form-field address-field" id=field_id.clone() aria-describedby=has_hint.then(|| hint_id.clone())>
                    <legend class="kern-label">{label}</legend>
                    {hint_view}
                    <div class="address-parts">{parts}</div>
                </fieldset>
            }
            .into_any()
        }
        Kind::File => {
            let files = value.as_ref().map(|v| v.files().to_vec()).unwrap_or_default();
            let accept = field
                .accepted()
                .iter()
                .map(|t| match t {
                    portal_forms::schema::FileType::Pdf => ".pdf,application/pdf",
                    portal_forms::schema::FileType::Png => ".png,image/png",
                    portal_forms::schema::FileType::Jpeg => ".jpg,.jpeg,image/jpeg",
                })
                .collect::<Vec<_>>()
                .join(",");
            let existing = (!files.is_empty()).then(|| {
                let list = files
                    .iter()
                    .map(|f| {
                        let rid = format!("{id}-remove-{}", f.file_id);
                        view! {
                            <li class="uploaded-file">
                                <span>{format!("{} ({} KB)", f.name, f.size.div_ceil(1024))}</span>
                                <span class="kern-form-check">
                                    <input class="kern-form-check__checkbox" type="checkbox" id=rid.clone() name=format!("{name}.remove") value=f.file_id.clone()/>
                                    <label class="kern-label" for=rid>{tr(lang, "cases.fields.remove")}</label>
                                </span>
                            </li>
                        }
                    })
                    .collect_view();
                view! { <ul class="kern-list uploaded-files" aria-label=tr(lang, "cases.fields.uploaded")>{list}</ul> }
            });
            view! {
                <div class=wrapper_class id=field_id.clone()>
                    <label class="kern-label" for=id.clone()>{label}</label>
                    {hint_view}
                    {error_view(ctx, &name)}
                    {existing}
                    <input class="kern-form-input__input file-input" type="file" id=id.clone() name=name.clone() accept=accept
                        aria-invalid=invalid aria-describedby=described/>
                </div>
            }
            .into_any()
        }
        Kind::Group => {
            let items: Vec<Answers> = value.as_ref().map(|v| v.items().to_vec()).unwrap_or_default();
            let count = items.len();
            let max = field.max_entries() as usize;
            let entries = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let prefix = format!("{name}[{i}]");
                    let children = field.fields.iter().map(|c| field_view(ctx, page, Some((field, i)), c, input_name(&prefix, &c.id), item.get(&c.id).cloned(), notes, all)).collect_view();
                    let legend = format!("{} {}", field.label.get(lang), i + 1);
                    view! {
                        <fieldset class="kern-fieldset group-entry">
                            <legend class="kern-label">{legend.clone()}</legend>
                            {children}
                            <button class="kern-btn kern-btn--tertiary kern-btn--small" type="submit" name="_action" value=format!("remove:{name}:{i}")
                                aria-label=format!("{} {}", legend, tr(lang, "cases.fields.remove"))>
                                <span class="kern-label">{tr(lang, "cases.fields.remove_entry")}</span>
                            </button>
                        </fieldset>
                    }
                })
                .collect_view();
            view! {
                <div class="form-group-field form-field" id=field_id.clone()>
                    <span id=id.clone()></span>
                    {hint_view}
                    {error_view(ctx, &name)}
                    <input type="hidden" name=format!("{name}.count") value=count.to_string()/>
                    {entries}
                    {(count < max).then(|| view! {
                        <button class="kern-btn kern-btn--secondary kern-btn--small" type="submit" name="_action" value=format!("add:{name}")>
                            <span class="kern-label">{format!("{} {}", field.label.get(lang), tr(lang, "cases.fields.add_another"))}</span>
                        </button>
                    })}
                </div>
            }
            .into_any()
        }
    }
}

/// What the enhancer needs in the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnhancerData {
    pub form_id: String,
    pub page: Page,
    /// The answers as stored (with the files uploaded so far).
    pub answers: Answers,
    pub lang: Lang,
    pub today: Day,
}

/// Instant checks and conditional fields for the form `form_id` (an island that draws nothing).
#[island]
pub fn FormEnhancer(data: EnhancerData) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| enhance::attach(data.clone()));
    #[cfg(not(feature = "hydrate"))]
    let _ = data;
    view! { <span class="form-enhancer"></span> }
}

#[cfg(feature = "hydrate")]
mod enhance {
    use std::cell::RefCell;
    use std::collections::BTreeSet;
    use std::rc::Rc;

    use portal_forms::Answers;
    use portal_forms::answers::{dom_id, merge_page};
    use portal_forms::schema::Kind;
    use portal_forms::validate::{check_page, visible};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{Document, Element, Event, FormData, HtmlFormElement};

    use super::EnhancerData;

    struct State {
        data: EnhancerData,
        touched: BTreeSet<String>,
    }

    pub fn attach(data: EnhancerData) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let Some(form) = document.get_element_by_id(&data.form_id).and_then(|e| e.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        // with JavaScript the fields themselves appear and disappear: the notes are not needed
        if let Ok(notes) = form.query_selector_all(".condition-note") {
            for i in 0..notes.length() {
                if let Some(n) = notes.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    let _ = n.set_attribute("hidden", "");
                }
            }
        }
        let state = Rc::new(RefCell::new(State { data, touched: BTreeSet::new() }));
        refresh(&document, &form, &state, None);
        let target = form.clone();
        let handler = Closure::<dyn FnMut(Event)>::new(move |ev: Event| {
            let Some(name) =
                ev.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|e| e.get_attribute("name"))
            else {
                return;
            };
            let (document, form, state) = (document.clone(), form.clone(), state.clone());
            // a moment later: the change event fires when the pointer goes down on the next control,
            // and a message appearing or vanishing at once would move that control away from it
            let later = Closure::once_into_js(move || refresh(&document, &form, &state, Some(name)));
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(later.unchecked_ref(), 300);
            }
        });
        let _ = target.add_event_listener_with_callback("change", handler.as_ref().unchecked_ref());
        // the listener lives as long as the page
        handler.forget();
    }

    /// The form's current text values (files are not read here; uploaded ones stay in the answers).
    fn pairs(form: &HtmlFormElement) -> Vec<(String, String)> {
        let Ok(data) = FormData::new_with_form(form) else { return vec![] };
        let Ok(Some(entries)) = js_sys::try_iter(&data) else { return vec![] };
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let pair = js_sys::Array::from(&entry);
                Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
            })
            .collect()
    }

    fn refresh(document: &Document, form: &HtmlFormElement, state: &Rc<RefCell<State>>, changed: Option<String>) {
        let mut st = state.borrow_mut();
        if let Some(name) = changed {
            st.touched.insert(name);
        }
        let mut answers: Answers = st.data.answers.clone();
        merge_page(&st.data.page, &pairs(form), &mut answers);
        let mut checked = answers.clone();
        let issues = check_page(&st.data.page, &mut checked, st.data.today);
        let lang = st.data.lang;
        for name in &st.touched {
            let message = issues.iter().find(|i| &i.name == name).map(|i| i.message(lang));
            show_error(document, name, message.as_deref());
        }
        for field in &st.data.page.fields {
            set_hidden(document, &field.id, !visible(field, &answers, None));
            if field.kind == Kind::Group {
                for (i, item) in
                    answers.get(&field.id).map(|v| v.items().to_vec()).unwrap_or_default().iter().enumerate()
                {
                    for child in &field.fields {
                        set_hidden(
                            document,
                            &format!("{}[{i}].{}", field.id, child.id),
                            !visible(child, &answers, Some(item)),
                        );
                    }
                }
            }
        }
    }

    fn set_hidden(document: &Document, name: &str, hidden: bool) {
        if let Some(el) = document.get_element_by_id(&format!("{}-field", dom_id(name))) {
            let _ = if hidden { el.set_attribute("hidden", "") } else { el.remove_attribute("hidden") };
        }
    }

    /// Shows, changes or removes the message of an input, with `aria-invalid` and the error style.
    fn show_error(document: &Document, name: &str, message: Option<&str>) {
        let id = dom_id(name);
        let error_id = format!("{id}-error");
        let existing = document.get_element_by_id(&error_id);
        let input = document.get_element_by_id(&id);
        match (existing, message) {
            (Some(el), Some(m)) => {
                if let Ok(Some(text)) = el.query_selector("span:last-child") {
                    text.set_text_content(Some(m));
                }
            }
            (None, Some(m)) => {
                let Some(input) = input.as_ref() else { return };
                let Ok(p) = document.create_element("p") else { return };
                p.set_id(&error_id);
                p.set_class_name("kern-error");
                if let (Ok(icon), Ok(text)) = (document.create_element("span"), document.create_element("span")) {
                    icon.set_class_name("kern-icon kern-icon--danger kern-icon--small");
                    let _ = icon.set_attribute("aria-hidden", "true");
                    text.set_text_content(Some(m));
                    let _ = p.append_child(&icon);
                    let _ = p.append_child(&text);
                }
                // before the control (or, for radios and checkboxes, before their group)
                let anchor = input.closest(".kern-fieldset__body").ok().flatten().unwrap_or_else(|| input.clone());
                if let Some(parent) = anchor.parent_node() {
                    let _ = parent.insert_before(&p, Some(&anchor));
                }
            }
            (Some(el), None) => el.remove(),
            (None, None) => {}
        }
        if let Some(input) = input {
            let described = input.get_attribute("aria-describedby").unwrap_or_default();
            let mut ids: Vec<&str> = described.split_whitespace().filter(|d| *d != error_id).collect();
            if message.is_some() {
                ids.push(&error_id);
                let _ = input.set_attribute("aria-invalid", "true");
            } else {
                let _ = input.remove_attribute("aria-invalid");
            }
            let _ = if ids.is_empty() {
                input.remove_attribute("aria-describedby")
            } else {
                input.set_attribute("aria-describedby", &ids.join(" "))
            };
            if let Ok(Some(wrapper)) = input.closest(".kern-form-input, .kern-fieldset") {
                let class = if wrapper.class_list().contains("kern-fieldset") {
                    "kern-fieldset--error"
                } else {
                    "kern-form-input--error"
                };
                let _ = if message.is_some() {
                    wrapper.class_list().add_1(class)
                } else {
                    wrapper.class_list().remove_1(class)
                };
            }
        }
    }
}
