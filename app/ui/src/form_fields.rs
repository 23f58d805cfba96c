//! The fields of one page of an application form, drawn from the form schema. Rendered on the
//! server (complete, works without JavaScript: every conditional field is shown with a note saying
//! when it is needed) and hydrated as an island: then fields whose condition does not hold are
//! hidden, and every changed answer is checked at once by the same validator the server runs.

use std::collections::BTreeSet;

use leptos::prelude::*;
use portal_domain::Lang;
use portal_forms::answers::{Input, apply_input, dom_id, input_name};
use portal_forms::schema::{Condition, Field, Kind, Page};
use portal_forms::validate::{Day, check_page, visible};
use portal_forms::{Answers, Issue, Value};
use serde::{Deserialize, Serialize};

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

fn t(lang: Lang, de: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::De { de } else { en }
}

#[derive(Clone, Copy)]
struct Ctx {
    lang: Lang,
    page: StoredValue<Page>,
    answers: RwSignal<Answers>,
    touched: RwSignal<BTreeSet<String>>,
    client: Memo<Vec<Issue>>,
    server: StoredValue<Vec<Issue>>,
    hydrated: RwSignal<bool>,
}

impl Ctx {
    fn error(&self, name: &str) -> Option<String> {
        let lang = self.lang;
        if self.touched.with(|t| t.contains(name)) {
            self.client.with(|c| c.iter().find(|i| i.name == name).map(|i| i.message(lang)))
        } else {
            self.server.with_value(|s| s.iter().find(|i| i.name == name).map(|i| i.message(lang)))
        }
    }

    /// Applies a change a moment later: the change event of a field fires when the pointer goes down
    /// on the next control, and a message appearing or vanishing at once would move that control
    /// away before the click completes.
    fn change(&self, name: &str, input: Input) {
        let (page, answers, touched, name) = (self.page, self.answers, self.touched, name.to_owned());
        set_timeout(
            move || {
                answers.update(|a| page.with_value(|p| apply_input(p, a, &name, input)));
                touched.update(|t| {
                    t.insert(name);
                });
            },
            std::time::Duration::from_millis(300),
        );
    }

    /// Whether the field is shown now (after hydration; on the server everything on this page is).
    fn shown(&self, field: &Field, item: Option<usize>, group: Option<&str>) -> bool {
        let answers = self.answers.get();
        let entry = match (item, group) {
            (Some(i), Some(g)) => answers.get(g).and_then(|v| v.items().get(i).cloned()),
            _ => None,
        };
        visible(field, &answers, entry.as_ref())
    }
}

fn error_view(ctx: Ctx, name: String) -> impl IntoView {
    let id = format!("{}-error", dom_id(&name));
    move || {
        ctx.error(&name).map(|e| {
            view! {
                <p class="kern-error" id=id.clone()>
                    <span class="kern-icon kern-icon--danger kern-icon--small" aria-hidden="true"></span>
                    <span>{e}</span>
                </p>
            }
        })
    }
}

fn condition_note(page: &Page, group: Option<&Field>, c: &Condition, lang: Lang) -> Option<String> {
    let controller = group.and_then(|g| g.fields.iter().find(|f| f.id == c.field)).or_else(|| page.fields.iter().find(|f| f.id == c.field))?;
    let label = controller.label.get(lang);
    let values = |vs: Vec<&String>| vs.iter().map(|v| format!("„{}“", controller.choice_label(v, lang).unwrap_or_else(|| (*v).clone()))).collect::<Vec<_>>().join(t(lang, " oder ", " or "));
    Some(match (&c.equals, c.any_of.is_empty(), &c.not_equals) {
        (Some(e), _, _) => format!("{} „{label}“: {}", t(lang, "Nur nötig bei", "Only needed if"), values(vec![e])),
        (None, false, _) => format!("{} „{label}“: {}", t(lang, "Nur nötig bei", "Only needed if"), values(c.any_of.iter().collect())),
        (None, true, Some(n)) => format!("{} „{label}“ {} {}", t(lang, "Nur nötig, wenn bei", "Only needed if"), t(lang, "nicht gewählt ist:", "is not"), values(vec![n])),
        _ => return None,
    })
}

/// The fields of one page.
#[island]
pub fn FormFields(data: FormFieldsData) -> impl IntoView {
    let FormFieldsData { page, answers, issues, lang, today, prefilled, verified, verified_by } = data;
    let page_store = StoredValue::new(page.clone());
    let answers = RwSignal::new(answers);
    let client = Memo::new(move |_| {
        let mut a = answers.get();
        page_store.with_value(|p| check_page(p, &mut a, today))
    });
    let ctx = Ctx { lang, page: page_store, answers, touched: RwSignal::new(BTreeSet::new()), client, server: StoredValue::new(issues), hydrated: RwSignal::new(false) };
    // runs only in the browser, after hydration
    Effect::new(move |_| ctx.hydrated.set(true));
    let initial = answers.get_untracked();
    let notes = Notes { prefilled, verified, verified_by };
    page.fields.iter().map(|f| field_view(ctx, &page, None, f, f.id.clone(), initial.get(&f.id).cloned(), &notes, &initial)).collect_view()
}

struct Notes {
    prefilled: Vec<String>,
    verified: Vec<String>,
    verified_by: Option<String>,
}

#[expect(clippy::too_many_arguments, reason = "a field needs its page, group, name, value and the prefill notes")]
fn field_view(ctx: Ctx, page: &Page, group: Option<(&Field, usize)>, field: &Field, name: String, value: Option<Value>, notes: &Notes, all: &Answers) -> AnyView {
    let lang = ctx.lang;
    // a condition on a field of another page was settled by the server: render only if it holds
    if let Some(c) = &field.show_if {
        let here = page.fields.iter().any(|f| f.id == c.field) || group.is_some_and(|(g, _)| g.fields.iter().any(|f| f.id == c.field));
        let entry = group.and_then(|(g, i)| all.get(&g.id).and_then(|v| v.items().get(i).cloned()));
        if !here && !visible(field, all, entry.as_ref()) {
            return ().into_any();
        }
    }
    let note = field.show_if.as_ref().and_then(|c| condition_note(page, group.map(|(g, _)| g), c, lang));
    let f = field.clone();
    let gid = group.map(|(g, i)| (g.id.clone(), i));
    let hidden = move || ctx.hydrated.get() && !ctx.shown(&f, gid.as_ref().map(|g| g.1), gid.as_ref().map(|g| g.0.as_str()));
    let optional = (!field.required && !matches!(field.kind, Kind::Group)).then(|| format!(" ({})", t(lang, "optional", "optional")));
    let label = format!("{}{}", field.label.get(lang), optional.unwrap_or_default());
    let mut hints: Vec<String> = Vec::new();
    if let Some(h) = &field.help {
        hints.push(h.get(lang).to_owned());
    }
    if let Some(e) = &field.example {
        hints.push(format!("{} {e}", t(lang, "Beispiel:", "Example:")));
    }
    if field.kind == Kind::Date {
        hints.push(t(lang, "Format: TT.MM.JJJJ, z. B. 27.03.2026", "Format: DD.MM.YYYY, e.g. 27.03.2026").to_owned());
    }
    if field.kind == Kind::File {
        let types: Vec<&str> = field.accepted().iter().map(|t| t.label()).collect();
        hints.push(format!("{} {}, {} {} KB", t(lang, "Erlaubt:", "Allowed:"), types.join(", "), t(lang, "höchstens", "at most"), field.max_bytes() / 1024));
    }
    let is_verified = group.is_none() && notes.verified.contains(&field.id);
    let is_prefilled = group.is_none() && notes.prefilled.contains(&field.id);
    let badge = if is_verified {
        Some(format!("{} {}", t(lang, "Aus Ihrem Bürgerkonto, bestätigt durch", "From your citizen account, verified by"), notes.verified_by.clone().unwrap_or_else(|| "eID".into())))
    } else if is_prefilled {
        Some(t(lang, "Aus Ihrem Bürgerkonto übernommen – bitte prüfen.", "Taken from your citizen account – please check.").to_owned())
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
                {move || (!ctx.hydrated.get()).then(|| note.clone().map(|n| view! { <span class="condition-note">" "{n}</span> }))}
                {badge.clone().map(|b| view! { <span class=if is_verified { "kern-badge kern-badge--success prefill-badge" } else { "kern-badge kern-badge--info prefill-badge" }><span class="kern-label kern-label--small">{b}</span></span> })}
            </div>
        }
    });
    let described = {
        let n = name.clone();
        let hint = has_hint.then(|| hint_id.clone());
        move || {
            let mut ids: Vec<String> = hint.iter().cloned().collect();
            if ctx.error(&n).is_some() {
                ids.push(format!("{}-error", dom_id(&n)));
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let invalid = {
        let n = name.clone();
        move || ctx.error(&n).is_some().then_some("true")
    };
    let wrapper_class = {
        let n = name.clone();
        move || if ctx.error(&n).is_some() { "kern-form-input kern-form-input--error form-field" } else { "kern-form-input form-field" }
    };
    let mut text = value.as_ref().map(|v| v.text().to_owned()).unwrap_or_default();
    if field.kind == Kind::Date
        && let Some((y, m, d)) = portal_forms::validate::parse_date(&text)
    {
        text = format!("{d:02}.{m:02}.{y:04}");
    }
    let on_change = {
        let n = name.clone();
        move |ev: leptos::ev::Event| ctx.change(&n, Input::Text(event_target_value(&ev)))
    };
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
            let input_class = {
                let n = name.clone();
                move || if ctx.error(&n).is_some() { "kern-form-input__input kern-form-input__input--error" } else { "kern-form-input__input" }
            };
            view! {
                <div class=wrapper_class hidden=hidden>
                    <label class="kern-label" for=id.clone()>{label}</label>
                    {hint_view}
                    {error_view(ctx, name.clone())}
                    <input class=input_class type=input_type id=id.clone() name=name.clone() value=text inputmode=inputmode autocomplete=autocomplete
                        maxlength=field.max_len().to_string() aria-invalid=invalid aria-describedby=described on:change=on_change/>
                </div>
            }
            .into_any()
        }
        Kind::Textarea => view! {
            <div class=wrapper_class hidden=hidden>
                <label class="kern-label" for=id.clone()>{label}</label>
                {hint_view}
                {error_view(ctx, name.clone())}
                <textarea class="kern-form-input__input" id=id.clone() name=name.clone() rows="5" maxlength=field.max_len().to_string()
                    aria-invalid=invalid aria-describedby=described on:change=on_change>{text}</textarea>
            </div>
        }
        .into_any(),
        Kind::Select => {
            let options = field.options.iter().map(|o| {
                let selected = o.value == text;
                view! { <option value=o.value.clone() selected=selected>{o.label.get(lang).to_owned()}</option> }
            }).collect_view();
            view! {
                <div class=wrapper_class hidden=hidden>
                    <label class="kern-label" for=id.clone()>{label}</label>
                    {hint_view}
                    {error_view(ctx, name.clone())}
                    <select class="kern-form-input__select" id=id.clone() name=name.clone() aria-invalid=invalid aria-describedby=described on:change=on_change>
                        <option value="">{t(lang, "Bitte wählen", "Please choose")}</option>
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
                let n = name.clone();
                return view! {
                    <div class=wrapper_class hidden=hidden>
                        {error_view(ctx, name.clone())}
                        <div class="kern-form-check">
                            <input class="kern-form-check__checkbox" type="checkbox" id=id.clone() name=name.clone() value="ja" checked=checked
                                aria-invalid=invalid aria-describedby=described
                                on:change=move |ev| ctx.change(&n, Input::Tick { value: "ja".into(), on: event_target_checked(&ev) })/>
                            <label class="kern-label" for=id.clone()>{label}</label>
                        </div>
                        {hint_view}
                    </div>
                }
                .into_any();
            }
            let choices: Vec<(String, String)> = if field.kind == Kind::YesNo {
                vec![("ja".into(), t(lang, "Ja", "Yes").into()), ("nein".into(), t(lang, "Nein", "No").into())]
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
                    let n = name.clone();
                    let value = v.clone();
                    let change = move |ev: leptos::ev::Event| {
                        if multiple {
                            ctx.change(&n, Input::Tick { value: value.clone(), on: event_target_checked(&ev) });
                        } else {
                            ctx.change(&n, Input::Text(value.clone()));
                        }
                    };
                    let class = if multiple { "kern-form-check__checkbox" } else { "kern-form-check__radio" };
                    view! {
                        <div class="kern-form-check">
                            <input class=class type=if multiple { "checkbox" } else { "radio" } id=oid.clone() name=name.clone() value=v checked=checked on:change=change/>
                            <label class="kern-label" for=oid>{l}</label>
                        </div>
                    }
                })
                .collect_view();
            let fs_class = {
                let n = name.clone();
                move || if ctx.error(&n).is_some() { "kern-fieldset kern-fieldset--error form-field" } else { "kern-fieldset form-field" }
            };
            view! {
                <fieldset class=fs_class hidden=hidden aria-describedby=described>
                    <legend class="kern-label">{label}</legend>
                    {hint_view}
                    {error_view(ctx, name.clone())}
                    <div class=if field.kind == Kind::YesNo { "kern-fieldset__body kern-fieldset__body--horizontal" } else { "kern-fieldset__body" }>{items}</div>
                </fieldset>
            }
            .into_any()
        }
        Kind::PostcodeTown | Kind::Address => {
            let parts = field.kind.parts().iter().map(|p| {
                let pname = format!("{name}.{p}");
                let pid = dom_id(&pname);
                let pval = value.as_ref().map(|v| v.part(p).to_owned()).unwrap_or_default();
                let (plabel, autocomplete, width) = match *p {
                    "street" => (t(lang, "Straße und Hausnummer", "Street and house number"), if group.is_none() && field.prefill.is_some() { "street-address" } else { "off" }, "part-street"),
                    "postcode" => (t(lang, "Postleitzahl", "Postcode"), if group.is_none() && field.prefill.is_some() { "postal-code" } else { "off" }, "part-postcode"),
                    _ => (t(lang, "Ort", "Town"), if group.is_none() && field.prefill.is_some() { "address-level2" } else { "off" }, "part-town"),
                };
                let n = pname.clone();
                let n2 = pname.clone();
                let n3 = pname.clone();
                let invalid = move || ctx.error(&n2).is_some().then_some("true");
                let described = {
                    let eid = format!("{pid}-error");
                    move || ctx.error(&n3).is_some().then(|| eid.clone())
                };
                view! {
                    <div class=format!("kern-form-input address-part {width}")>
                        <label class="kern-label" for=pid.clone()>{plabel}</label>
                        {error_view(ctx, pname.clone())}
                        <input class="kern-form-input__input" type="text" id=pid.clone() name=pname.clone() value=pval autocomplete=autocomplete
                            inputmode=(*p == "postcode").then_some("numeric") maxlength=if *p == "postcode" { "5" } else { "120" }
                            aria-invalid=invalid aria-describedby=described
                            on:change=move |ev| ctx.change(&n, Input::Text(event_target_value(&ev)))/>
                    </div>
                }
            }).collect_view();
            view! {
                <fieldset class="kern-fieldset form-field address-field" hidden=hidden aria-describedby=has_hint.then(|| hint_id.clone())>
                    <legend class="kern-label">{label}</legend>
                    {hint_view}
                    <div class="address-parts">{parts}</div>
                </fieldset>
            }
            .into_any()
        }
        Kind::File => {
            let files = value.as_ref().map(|v| v.files().to_vec()).unwrap_or_default();
            let accept = field.accepted().iter().map(|t| match t {
                portal_forms::schema::FileType::Pdf => ".pdf,application/pdf",
                portal_forms::schema::FileType::Png => ".png,image/png",
                portal_forms::schema::FileType::Jpeg => ".jpg,.jpeg,image/jpeg",
            }).collect::<Vec<_>>().join(",");
            let existing = (!files.is_empty()).then(|| {
                let list = files.iter().map(|f| {
                    let rid = format!("{id}-remove-{}", f.file_id);
                    view! {
                        <li class="uploaded-file">
                            <span>{format!("{} ({} KB)", f.name, f.size.div_ceil(1024))}</span>
                            <span class="kern-form-check">
                                <input class="kern-form-check__checkbox" type="checkbox" id=rid.clone() name=format!("{name}.remove") value=f.file_id.clone()/>
                                <label class="kern-label" for=rid>{t(lang, "entfernen", "remove")}</label>
                            </span>
                        </li>
                    }
                }).collect_view();
                view! { <ul class="kern-list uploaded-files" aria-label=t(lang, "Hochgeladene Dateien", "Uploaded files")>{list}</ul> }
            });
            let n = name.clone();
            view! {
                <div class=wrapper_class hidden=hidden>
                    <label class="kern-label" for=id.clone()>{label}</label>
                    {hint_view}
                    {error_view(ctx, name.clone())}
                    {existing}
                    <input class="kern-form-input__input file-input" type="file" id=id.clone() name=name.clone() accept=accept
                        aria-invalid=invalid aria-describedby=described
                        on:change=move |_| ctx.touched.update(|t| { t.insert(format!("{n}#file")); })/>
                </div>
            }
            .into_any()
        }
        Kind::Group => {
            let items: Vec<Answers> = value.as_ref().map(|v| v.items().to_vec()).unwrap_or_default();
            let count = items.len();
            let max = field.max_entries() as usize;
            let entries = items.iter().enumerate().map(|(i, item)| {
                let prefix = format!("{name}[{i}]");
                let children = field.fields.iter().map(|c| field_view(ctx, page, Some((field, i)), c, input_name(&prefix, &c.id), item.get(&c.id).cloned(), notes, all)).collect_view();
                let legend = format!("{} {}", field.label.get(lang), i + 1);
                view! {
                    <fieldset class="kern-fieldset group-entry">
                        <legend class="kern-label">{legend.clone()}</legend>
                        {children}
                        <button class="kern-btn kern-btn--tertiary kern-btn--small" type="submit" name="_action" value=format!("remove:{name}:{i}")
                            aria-label=format!("{} {}", legend, t(lang, "entfernen", "remove"))>
                            <span class="kern-label">{t(lang, "Eintrag entfernen", "Remove entry")}</span>
                        </button>
                    </fieldset>
                }
            }).collect_view();
            view! {
                <div class="form-group-field form-field" id=id.clone() hidden=hidden>
                    {hint_view}
                    {error_view(ctx, name.clone())}
                    <input type="hidden" name=format!("{name}.count") value=count.to_string()/>
                    {entries}
                    {(count < max).then(|| view! {
                        <button class="kern-btn kern-btn--secondary kern-btn--small" type="submit" name="_action" value=format!("add:{name}")>
                            <span class="kern-label">{format!("{} {}", field.label.get(lang), t(lang, "hinzufügen", "– add another"))}</span>
                        </button>
                    })}
                </div>
            }
            .into_any()
        }
    }
}
