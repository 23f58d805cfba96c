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
    let describedby =
        if error.is_some() { format!("{hint_id} {error_id} {status_id}") } else { format!("{hint_id} {status_id}") };
    let class = if error.is_some() { "kern-form-input kern-form-input--error" } else { "kern-form-input" };
    let input_class = if error.is_some() {
        "kern-form-input__input kern-form-input__input--error colour-input"
    } else {
        "kern-form-input__input colour-input"
    };
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

/// One service with its switch in the staff area.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ServiceSwitchData {
    pub slug: String,
    pub name: String,
    pub active: bool,
    /// The session's CSRF token, sent with every change.
    pub csrf: String,
    /// Texts, translated on the server: button when off / on, status when on / off, failure.
    pub switch_on: String,
    pub switch_off: String,
    pub status_on: String,
    pub status_off: String,
    pub failed: String,
}

/// Switches a service of the staff member's tenant on or off. Checked like every staff action: a
/// live staff session on this host, its CSRF token, and casbin's answer for (services, write).
#[server(prefix = "/verwaltung/api", endpoint = "leistung-schalten")]
pub async fn set_service_active(csrf: String, slug: String, active: bool) -> Result<bool, ServerFnError> {
    let api = expect_context::<std::sync::Arc<dyn crate::server_api::StaffApi>>();
    api.set_service_active(csrf, slug, active).await.map_err(ServerFnError::new)
}

/// A service's on/off switch. Without JavaScript it is a plain form posting to the staff area.
#[island]
pub fn ServiceSwitch(data: ServiceSwitchData) -> impl IntoView {
    let (active, set_active) = signal(data.active);
    let (error, set_error) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    let d = data.clone();
    let toggle = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (csrf, slug, failed) = (d.csrf.clone(), d.slug.clone(), d.failed.clone());
        let next = !active.get_untracked();
        set_busy.set(true);
        leptos::task::spawn_local(async move {
            match set_service_active(csrf, slug, next).await {
                Ok(now) => {
                    set_active.set(now);
                    set_error.set(None);
                }
                Err(_) => set_error.set(Some(failed)),
            }
            set_busy.set(false);
        });
    };
    let status_id = format!("switch-{}-status", data.slug);
    let texts = data.clone();
    let texts2 = data.clone();
    view! {
        <form method="post" action=crate::links::STAFF_SERVICES.path() class="service-switch" on:submit=toggle>
            <input type="hidden" name="_csrf" value=data.csrf.clone()/>
            <input type="hidden" name="slug" value=data.slug.clone()/>
            <input type="hidden" name="active" value=move || if active.get() { "false" } else { "true" }/>
            <span class="service-switch__name">{data.name.clone()}</span>
            <span class=move || if active.get() { "kern-badge kern-badge--success" } else { "kern-badge" } id=status_id.clone() aria-live="polite">
                <span class="kern-label kern-label--small">{move || if active.get() { texts.status_on.clone() } else { texts.status_off.clone() }}</span>
            </span>
            <button class="kern-btn kern-btn--secondary kern-btn--small" type="submit" disabled=move || busy.get() aria-describedby=status_id.clone()>
                <span class="kern-label">{move || if active.get() { texts2.switch_off.clone() } else { texts2.switch_on.clone() }}</span>
            </button>
            {move || error.get().map(|e| view! { <span class="kern-error" role="alert">{e}</span> })}
        </form>
    }
}

/// The times of a day to choose from, and the words of the button (translated on the server).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimeChoice {
    pub name: String,
    pub legend: String,
    /// (value, label) of each free time.
    pub options: Vec<(String, String)>,
    pub selected: String,
    /// The button's words; `{time}` is replaced by the chosen time's label.
    pub submit: String,
}

/// The free times of a day as a group of radio buttons (one tab stop, arrow keys move): without
/// JavaScript a plain form; hydrated, the button names the time chosen before it is sent.
#[island]
pub fn TimePicker(data: TimeChoice) -> impl IntoView {
    let label_of = {
        let options = data.options.clone();
        move |v: &str| options.iter().find(|(value, _)| value == v).map(|(_, l)| l.clone()).unwrap_or_default()
    };
    let (chosen, set_chosen) = signal(data.selected.clone());
    let submit = data.submit.clone();
    let button = move || submit.replace("{time}", &label_of(&chosen.get()));
    let name = data.name.clone();
    view! {
        <fieldset class="kern-fieldset time-picker">
            <legend class="kern-label">{data.legend.clone()}</legend>
            <div class="time-grid">
                {data.options.iter().enumerate().map(|(i, (value, label))| {
                    let id = format!("{name}-{i}");
                    let checked = *value == data.selected;
                    let v = value.clone();
                    view! {
                        <div class="kern-form-check time-choice">
                            <input class="kern-form-check__radio" type="radio" id=id.clone() name=name.clone() value=value.clone() checked=checked
                                on:change=move |_| set_chosen.set(v.clone())/>
                            <label class="kern-label" for=id>{label.clone()}</label>
                        </div>
                    }
                }).collect_view()}
            </div>
        </fieldset>
        <div class="form-actions">
            <button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">{button}</span></button>
        </div>
    }
}
