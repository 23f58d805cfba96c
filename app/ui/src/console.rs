//! Pages of the operations console.

use leptos::prelude::*;
use portal_domain::Lang;

use crate::form::{ErrorSummary, FileField, FormState, Notice, SelectField, TextArea, TextField};
use crate::i18n::{tr, tr_with};
use crate::islands::{ColourField, ColourTexts};
use crate::layout::{ConsoleChrome, ConsoleLayout};
use crate::links;

fn csrf_field(token: &Option<String>) -> impl IntoView + use<> {
    view! { <input type="hidden" name="_csrf" value=token.clone().unwrap_or_default()/> }
}

/// The login form.
#[component]
pub fn LoginPage(chrome: ConsoleChrome, form: FormState, message: Option<String>, login_csrf: String) -> impl IntoView {
    let lang = chrome.lang;
    let mut form = form;
    form.labels.insert("email".into(), tr(lang, "console.email"));
    form.labels.insert("password".into(), tr(lang, "console.password"));
    view! {
        <ConsoleLayout chrome=chrome title=tr(lang, "console.login_heading")>
            <div class="narrow">
                <h1 class="kern-heading-x-large">{tr(lang, "console.login_heading")}</h1>
                {message.map(|m| view! { <div class="kern-alert kern-alert--danger" role="alert"><div class="kern-alert__header"><span class="kern-icon kern-icon--danger" aria-hidden="true"></span><p class="kern-title">{m}</p></div></div> })}
                <ErrorSummary lang=lang form=form.clone()/>
                <form method="post" action=links::CONSOLE_LOGIN.path() novalidate="">
                    <input type="hidden" name="_csrf" value=login_csrf/>
                    <TextField form=form.clone() name="email" label=tr(lang, "console.email") input_type="email" autocomplete="username" required=true/>
                    <TextField form=form.clone() name="password" label=tr(lang, "console.password") input_type="password" autocomplete="current-password" required=true/>
                    <button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">{tr(lang, "console.login")}</span></button>
                </form>
            </div>
        </ConsoleLayout>
    }
}

/// A row of the tenant list.
#[derive(Debug, Clone)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
    pub hosts: Vec<String>,
    pub suspended: bool,
}

/// Search and position in the tenant list.
#[derive(Debug, Clone, Default)]
pub struct Paging {
    pub filter: String,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
}

/// Label of a tenant kind.
pub fn kind_label(lang: Lang, kind: &str) -> String {
    tr(lang, &format!("console.kind_{kind}"))
}

/// The list of all tenants.
#[component]
pub fn TenantListPage(
    chrome: ConsoleChrome,
    tenants: Vec<TenantRow>,
    notice: Option<String>,
    #[prop(optional)] port_suffix: String,
    #[prop(optional)] paging: Paging,
) -> impl IntoView {
    let lang = chrome.lang;
    let csrf = chrome.csrf_token.clone();
    let empty = tenants.is_empty();
    view! {
        <ConsoleLayout chrome=chrome title=tr(lang, "console.tenants")>
            <h1 class="kern-heading-x-large">{tr(lang, "console.tenants")}</h1>
            {notice.map(|n| view! { <Notice text=n/> })}
            <p><a class="kern-btn kern-btn--primary" href=links::CONSOLE_NEW_TENANT.path()><span class="kern-label">{tr(lang, "console.new_tenant")}</span></a></p>
            <form method="get" action="/" role="search" class="search-form">
                <div class="kern-form-input">
                    <label class="kern-label" for="q">{tr(lang, "console.filter")}</label>
                    <div class="search-form__row">
                        <input class="kern-form-input__input" type="search" id="q" name="q" value=paging.filter.clone() maxlength="100"/>
                        <button class="kern-btn kern-btn--secondary" type="submit"><span class="kern-label">{tr(lang, "portal.search_button")}</span></button>
                    </div>
                </div>
            </form>
            <p class="kern-body kern-body--small">{tr_with(lang, "console.tenant_count", &[("total", &paging.total.to_string()), ("page", &paging.page.to_string()), ("pages", &paging.pages.to_string())])}</p>
            {empty.then(|| view! { <p class="kern-body">{tr(lang, "console.no_tenants")}</p> })}
            <div class="kern-table-responsive">
                <table class="kern-table kern-table--striped">
                    <caption class="kern-sr-only">{tr(lang, "console.tenants")}</caption>
                    <thead class="kern-table__header">
                        <tr class="kern-table__row">
                            <th class="kern-table__header" scope="col">{tr(lang, "console.name")}</th>
                            <th class="kern-table__header" scope="col">{tr(lang, "console.kind")}</th>
                            <th class="kern-table__header" scope="col">{tr(lang, "console.parent")}</th>
                            <th class="kern-table__header" scope="col">{tr(lang, "console.hosts")}</th>
                            <th class="kern-table__header" scope="col">{tr(lang, "console.status")}</th>
                            <th class="kern-table__header" scope="col">{tr(lang, "console.actions")}</th>
                        </tr>
                    </thead>
                    <tbody class="kern-table__body">
                        {tenants.into_iter().map(|t| {
                            let status = if t.suspended { tr(lang, "console.status_suspended") } else { tr(lang, "console.status_active") };
                            let badge = if t.suspended { "kern-badge kern-badge--danger" } else { "kern-badge kern-badge--success" };
                            let toggle_label = if t.suspended { tr(lang, "console.activate") } else { tr(lang, "console.suspend") };
                            let toggle_to = if t.suspended { "active" } else { "suspended" };
                            let services = tr(lang, "console.services");
                            let first_host = t.hosts.first().cloned();
                            view! {
                                <tr class="kern-table__row" data-tenant=t.id.clone()>
                                    <th class="kern-table__cell" scope="row">{t.name.clone()}</th>
                                    <td class="kern-table__cell">{kind_label(lang, &t.kind)}</td>
                                    <td class="kern-table__cell">{t.parent.clone().unwrap_or_default()}</td>
                                    <td class="kern-table__cell">{t.hosts.join(", ")}</td>
                                    <td class="kern-table__cell"><span class=badge><span class="kern-label kern-label--small">{status}</span></span></td>
                                    <td class="kern-table__cell">
                                        <div class="row-actions">
                                            <a class="kern-link" href=links::CONSOLE_TENANT.with(&[&t.id]) aria-label=format!("{}: {}", tr(lang, "console.edit"), t.name)>{tr(lang, "console.edit")}</a>
                                            <a class="kern-link" href=links::CONSOLE_TENANT_SERVICES.with(&[&t.id]) aria-label=format!("{services}: {}", t.name)>{services.clone()}</a>
                                            <a class="kern-link" href=links::CONSOLE_TENANT_ACCESS.with(&[&t.id]) aria-label=format!("{}: {}", tr(lang, "console.nav_access"), t.name)>{tr(lang, "console.nav_access")}</a>
                                            <a class="kern-link" href=links::CONSOLE_TENANT_PAYMENTS.with(&[&t.id]) aria-label=format!("{}: {}", tr(lang, "console.nav_tenant_payments"), t.name)>{tr(lang, "console.nav_tenant_payments")}</a>
                                            {first_host.map(|h| view! { <a class="kern-link" href=format!("//{h}{port_suffix}/") aria-label=format!("{}: {}", tr(lang, "console.open_portal"), t.name)>{tr(lang, "console.open_portal")}</a> })}
                                            <form method="post" action=links::CONSOLE_TENANT_STATUS.with(&[&t.id]) class="inline-form">
                                                {csrf_field(&csrf)}
                                                <input type="hidden" name="status" value=toggle_to/>
                                                <button class="kern-btn kern-btn--secondary kern-btn--x-small" type="submit" aria-label=format!("{toggle_label}: {}", t.name)><span class="kern-label">{toggle_label.clone()}</span></button>
                                            </form>
                                        </div>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {(paging.pages > 1).then(|| {
                let q = crate::layout::urlencode(&paging.filter);
                view! {
                    <nav aria-label=tr(lang, "console.pages") class="pager">
                        {(paging.page > 1).then(|| view! { <a class="kern-link" href=format!("/?q={q}&seite={}", paging.page - 1)>{tr(lang, "console.previous_page")}</a> })}
                        {(paging.page < paging.pages).then(|| view! { <a class="kern-link" href=format!("/?q={q}&seite={}", paging.page + 1)>{tr(lang, "console.next_page")}</a> })}
                    </nav>
                }
            })}
        </ConsoleLayout>
    }
}

/// Data for the create/edit form.
#[derive(Debug, Clone)]
pub struct TenantFormData {
    /// `None` when creating.
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
    pub form: FormState,
    /// (id, label) of tenants that may be parents.
    pub parents: Vec<(String, String)>,
    pub logo_url: Option<String>,
}

/// Field names of the tenant form in page order (used for the error summary).
pub const TENANT_FORM_FIELDS: [&str; 18] = [
    "name",
    "slug",
    "kind",
    "parent",
    "hosts",
    "display_name",
    "primary_colour",
    "secondary_colour",
    "logo",
    "contact_email",
    "contact_phone",
    "address",
    "imprint_de",
    "imprint_en",
    "privacy_de",
    "privacy_en",
    "accessibility_de",
    "accessibility_en",
];

/// Translation keys of the labels of [`TENANT_FORM_FIELDS`], in the same order.
const TENANT_FORM_LABELS: [&str; 18] = [
    "console.name",
    "console.slug",
    "console.kind",
    "console.parent",
    "console.hosts",
    "console.display_name",
    "console.primary_colour",
    "console.secondary_colour",
    "console.logo",
    "console.contact_email",
    "console.contact_phone",
    "console.address",
    "console.imprint_de",
    "console.imprint_en",
    "console.privacy_de",
    "console.privacy_en",
    "console.accessibility_de",
    "console.accessibility_en",
];

/// Create or edit a tenant: identity, hosts, branding, legal texts.
#[component]
pub fn TenantFormPage(chrome: ConsoleChrome, data: TenantFormData) -> impl IntoView {
    let lang = chrome.lang;
    let csrf = chrome.csrf_token.clone();
    let mut form = data.form.clone();
    for (field, key) in TENANT_FORM_FIELDS.iter().zip(TENANT_FORM_LABELS) {
        form.labels.insert((*field).to_owned(), tr(lang, key));
    }
    let is_new = data.tenant_id.is_none();
    let title = match &data.tenant_name {
        Some(n) => tr_with(lang, "console.edit_tenant", &[("name", n)]),
        None => tr(lang, "console.new_tenant"),
    };
    let action = data
        .tenant_id
        .as_ref()
        .map_or_else(|| links::CONSOLE_TENANTS.path().to_owned(), |id| links::CONSOLE_TENANT.with(&[id]));
    let kinds: Vec<(String, String)> = std::iter::once((String::new(), String::from("–")))
        .chain(["kreis", "amt", "stadt", "gemeinde"].iter().map(|k| ((*k).to_owned(), kind_label(lang, k))))
        .collect();
    let parents: Vec<(String, String)> =
        std::iter::once((String::new(), tr(lang, "console.no_parent"))).chain(data.parents).collect();
    let colour_texts = move |label: &str| ColourTexts {
        label: tr(lang, label),
        hint: tr(lang, "console.colour_hint"),
        contrast_ok: tr(lang, "console.contrast_ok"),
        contrast_low: tr(lang, "console.contrast_low"),
    };
    let submit = if is_new { tr(lang, "console.create") } else { tr(lang, "console.save") };
    view! {
        <ConsoleLayout chrome=chrome title=title.clone()>
            <p><a class="kern-link" href="/">{tr(lang, "console.tenants")}</a></p>
            <h1 class="kern-heading-x-large">{title}</h1>
            <ErrorSummary lang=lang form=form.clone()/>
            <form method="post" action=action enctype="multipart/form-data" novalidate="" class="stack-form">
                {csrf_field(&csrf)}
                {view! { <fieldset class="kern-fieldset">
                    <legend class="kern-label kern-label--large">{tr(lang, "console.tenants")}</legend>
                    <div class="kern-fieldset__body">
                        <TextField form=form.clone() name="name" label=tr(lang, "console.name") required=true/>
                        <TextField form=form.clone() name="slug" label=tr(lang, "console.slug") hint=tr(lang, "console.slug_hint") required=true/>
                        <SelectField form=form.clone() name="kind" label=tr(lang, "console.kind") options=kinds required=true/>
                        <SelectField form=form.clone() name="parent" label=tr(lang, "console.parent") options=parents/>
                        <TextArea form=form.clone() name="hosts" label=tr(lang, "console.hosts") hint=tr(lang, "console.hosts_hint") rows=3/>
                    </div>
                </fieldset> }.into_any()}
                {view! { <fieldset class="kern-fieldset">
                    <legend class="kern-label kern-label--large">{tr(lang, "console.branding")}</legend>
                    <div class="kern-fieldset__body">
                        <TextField form=form.clone() name="display_name" label=tr(lang, "console.display_name") required=true/>
                        <ColourField name="primary_colour".to_owned() value=form.value("primary_colour") texts=colour_texts("console.primary_colour") error=form.error("primary_colour")/>
                        <ColourField name="secondary_colour".to_owned() value=form.value("secondary_colour") texts=colour_texts("console.secondary_colour") error=form.error("secondary_colour")/>
                        {data.logo_url.map(|u| view! { <img class="logo-preview" src=u alt=tr(lang, "console.logo") width="64" height="64"/> })}
                        <FileField form=form.clone() name="logo" label=tr(lang, "console.logo") hint=tr(lang, "console.logo_hint") accept="image/png,image/jpeg,image/gif,image/webp,image/svg+xml"/>
                        <TextField form=form.clone() name="contact_email" label=tr(lang, "console.contact_email") input_type="email"/>
                        <TextField form=form.clone() name="contact_phone" label=tr(lang, "console.contact_phone") input_type="tel"/>
                        <TextField form=form.clone() name="address" label=tr(lang, "console.address")/>
                    </div>
                </fieldset> }.into_any()}
                {view! { <fieldset class="kern-fieldset">
                    <legend class="kern-label kern-label--large">{tr(lang, "console.legal")}</legend>
                    <div class="kern-fieldset__body">
                        <TextArea form=form.clone() name="imprint_de" label=tr(lang, "console.imprint_de")/>
                        <TextArea form=form.clone() name="imprint_en" label=tr(lang, "console.imprint_en")/>
                        <TextArea form=form.clone() name="privacy_de" label=tr(lang, "console.privacy_de")/>
                        <TextArea form=form.clone() name="privacy_en" label=tr(lang, "console.privacy_en")/>
                        <TextArea form=form.clone() name="accessibility_de" label=tr(lang, "console.accessibility_de")/>
                        <TextArea form=form.clone() name="accessibility_en" label=tr(lang, "console.accessibility_en")/>
                    </div>
                </fieldset> }.into_any()}
                <div class="kern-btn-wrapper">
                    <button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">{submit}</span></button>
                    <a class="kern-btn kern-btn--secondary" href="/"><span class="kern-label">{tr(lang, "console.cancel")}</span></a>
                </div>
            </form>
        </ConsoleLayout>
    }
}

/// A base service with its state for one tenant.
#[derive(Debug, Clone)]
pub struct ServiceChoice {
    pub slug: String,
    pub name: String,
    pub leika_key: Option<String>,
    pub active: bool,
}

/// Services of a tenant by category: switch on and off, or apply the basic installation.
#[component]
pub fn TenantServicesPage(
    chrome: ConsoleChrome,
    tenant_id: String,
    tenant_name: String,
    groups: Vec<(String, Vec<ServiceChoice>)>,
    notice: Option<String>,
) -> impl IntoView {
    let lang = chrome.lang;
    let csrf = chrome.csrf_token.clone();
    let title = tr_with(lang, "console.services_heading", &[("name", &tenant_name)]);
    view! {
        <ConsoleLayout chrome=chrome title=title.clone()>
            <p><a class="kern-link" href="/">{tr(lang, "console.tenants")}</a></p>
            <h1 class="kern-heading-x-large">{title}</h1>
            {notice.map(|n| view! { <Notice text=n/> })}
            <p class="kern-body">{tr(lang, "console.services_intro")}</p>
            <form method="post" action=links::CONSOLE_TENANT_BASIC.with(&[&tenant_id]) class="preset-form">
                {csrf_field(&csrf)}
                <button class="kern-btn kern-btn--secondary" type="submit"><span class="kern-label">{tr(lang, "console.apply_preset")}</span></button>
            </form>
            <form method="post" action=links::CONSOLE_TENANT_SERVICES.with(&[&tenant_id])>
                {csrf_field(&csrf)}
                {groups.into_iter().enumerate().map(|(i, (category, services))| view! {
                    <fieldset class="kern-fieldset service-choices">
                        <legend class="kern-label kern-label--large">{category}</legend>
                        <div class="kern-fieldset__body">
                            {services.into_iter().map(|s| {
                                let id = format!("svc-{}", s.slug);
                                view! {
                                    <div class="kern-form-check">
                                        <input class="kern-form-check__checkbox" type="checkbox" id=id.clone() name="service" value=s.slug.clone() checked=s.active/>
                                        <label class="kern-label" for=id>{s.name}{s.leika_key.map(|k| view! { <span class="kern-body--small leika">" · LeiKa "{k}</span> })}</label>
                                    </div>
                                }
                            }).collect_view()}
                        </div>
                    </fieldset>
                    {(i % 4 == 3).then(|| view! { <button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">{tr(lang, "console.save_selection")}</span></button> })}
                }).collect_view()}
                <div class="kern-btn-wrapper sticky-actions">
                    <button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">{tr(lang, "console.save_selection")}</span></button>
                </div>
            </form>
        </ConsoleLayout>
    }
}
