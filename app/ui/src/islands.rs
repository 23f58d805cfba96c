//! Islands: the only parts of a page that are hydrated in the browser.

use leptos::prelude::*;

/// Texts the colour field shows, translated on the server (islands carry no translation tables).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColourTexts {
    pub label: String,
    pub hint: String,
    /// `{ratio}` is replaced by the contrast ratio.
    pub contrast_ok: String,
    pub contrast_low: String,
}

fn contrast_message(value: &str, texts: &ColourTexts) -> String {
    let white = portal_domain::Colour::parse("#ffffff").unwrap_or_default();
    match portal_domain::Colour::parse(value) {
        Ok(c) => {
            let ratio = c.contrast(&white);
            let text = if ratio >= 4.5 { &texts.contrast_ok } else { &texts.contrast_low };
            text.replace("{ratio}", &format!("{ratio:.1}"))
        }
        Err(_) => String::new(),
    }
}

/// A colour input with a live swatch and a WCAG contrast check against white text. Without
/// JavaScript it is a plain text input validated by the server.
#[island]
pub fn ColourField(name: String, value: String, texts: ColourTexts, error: Option<String>) -> impl IntoView {
    let (colour, set_colour) = signal(value.clone());
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let status_id = format!("{name}-status");
    let describedby = if error.is_some() { format!("{hint_id} {error_id} {status_id}") } else { format!("{hint_id} {status_id}") };
    let class = if error.is_some() { "kern-form-input kern-form-input--error" } else { "kern-form-input" };
    let input_class = if error.is_some() { "kern-form-input__input kern-form-input__input--error colour-input" } else { "kern-form-input__input colour-input" };
    let texts_for_status = texts.clone();
    let swatch = move || {
        let v = colour.get();
        let ok = portal_domain::Colour::parse(&v).is_ok();
        if ok { format!("background-color:{v}") } else { "background-color:transparent".to_owned() }
    };
    view! {
        <div class=class>
            <label class="kern-label" for=name.clone()>{texts.label.clone()}</label>
            <div class="kern-hint" id=hint_id>{texts.hint.clone()}</div>
            {error.clone().map(|e| view! { <p class="kern-error" id=error_id.clone() role="alert"><span class="kern-icon kern-icon--danger kern-icon--small" aria-hidden="true"></span><span>{e}</span></p> })}
            <div class="colour-row">
                <input class=input_class type="text" id=name.clone() name=name.clone() value=value maxlength="7"
                    aria-invalid=error.is_some().then_some("true") aria-describedby=describedby
                    on:input=move |ev| set_colour.set(event_target_value(&ev))/>
                <span class="colour-swatch" aria-hidden="true" style=swatch></span>
            </div>
            <p class="kern-body kern-body--small colour-status" id=status_id aria-live="polite">{move || contrast_message(&colour.get(), &texts_for_status)}</p>
        </div>
    }
}
