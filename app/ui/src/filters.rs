//! The filter form of list pages (GET): selects, dates, text inputs and checkboxes, each with its
//! label.

use leptos::prelude::*;

/// A select of a filter form: name, label, options (value, text), selected value.
pub type FilterSelect = (String, String, Vec<(String, String)>, String);

/// A GET filter form.
#[derive(Debug, Clone)]
pub struct FilterSpec {
    pub action: String,
    pub selects: Vec<FilterSelect>,
    /// Date inputs: (name, label, value as YYYY-MM-DD).
    pub dates: Vec<(String, String, String)>,
    /// Text inputs: (name, label, value).
    pub texts: Vec<(String, String, String)>,
    /// (name, label, checked)
    pub checks: Vec<(String, String, bool)>,
    pub submit: String,
}

pub fn filters_view(spec: FilterSpec) -> impl IntoView {
    view! {
        <form method="get" action=spec.action class="filters">
            {spec.selects.into_iter().map(|(name, label, options, selected)| {
                let id = format!("filter-{name}");
                view! {
                    <div class="kern-form-input filters__item">
                        <label class="kern-label" for=id.clone()>{label}</label>
                        <select class="kern-form-input__select" id=id name=name>
                            {options.into_iter().map(|(v, t)| { let sel = v == selected; view! { <option value=v selected=sel>{t}</option> } }).collect_view()}
                        </select>
                    </div>
                }
            }).collect_view()}
            {spec.dates.into_iter().map(|(name, label, value)| {
                let id = format!("filter-{name}");
                view! {
                    <div class="kern-form-input filters__item">
                        <label class="kern-label" for=id.clone()>{label}</label>
                        <input class="kern-form-input__input" type="date" id=id name=name value=value/>
                    </div>
                }
            }).collect_view()}
            {spec.texts.into_iter().map(|(name, label, value)| {
                let id = format!("filter-{name}");
                view! {
                    <div class="kern-form-input filters__item">
                        <label class="kern-label" for=id.clone()>{label}</label>
                        <input class="kern-form-input__input" type="text" id=id name=name value=value/>
                    </div>
                }
            }).collect_view()}
            {spec.checks.into_iter().map(|(name, label, checked)| {
                let id = format!("filter-{name}");
                view! {
                    <div class="kern-form-check filters__item">
                        <input class="kern-form-check__checkbox" type="checkbox" id=id.clone() name=name value="1" checked=checked/>
                        <label class="kern-label" for=id>{label}</label>
                    </div>
                }
            }).collect_view()}
            <button class="kern-btn kern-btn--secondary" type="submit"><span class="kern-label">{spec.submit}</span></button>
        </form>
    }
}
