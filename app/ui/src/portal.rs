//! Citizen-facing pages of a tenant portal.

use leptos::prelude::*;
use portal_domain::{Cents, Lang};

use crate::i18n::{tr, tr_with};
use crate::layout::{Assets, PlainLayout, PortalChrome, PortalLayout};
use crate::links;

/// A service in a list.
#[derive(Debug, Clone)]
pub struct ServiceItem {
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub fee: Option<Cents>,
    pub online: bool,
    pub appointment: bool,
}

/// A category with its services.
#[derive(Debug, Clone)]
pub struct CategoryGroup {
    pub slug: String,
    pub name: String,
    pub services: Vec<ServiceItem>,
}

fn fee_text(lang: Lang, fee: Option<Cents>) -> String {
    match fee {
        Some(c) if c.get() > 0 => c.format(lang),
        _ => tr(lang, "portal.free"),
    }
}

fn badges(lang: Lang, online: bool, appointment: bool) -> impl IntoView {
    view! {
        <span class="badges">
            {online.then(|| view! { <span class="kern-badge kern-badge--success"><span class="kern-label kern-label--small">{tr(lang, "portal.online")}</span></span> })}
            {appointment.then(|| view! { <span class="kern-badge kern-badge--info"><span class="kern-label kern-label--small">{tr(lang, "portal.appointment")}</span></span> })}
        </span>
    }
}

fn service_list(lang: Lang, services: Vec<ServiceItem>) -> impl IntoView {
    view! {
        <ul class="service-list">
            {services.into_iter().map(|s| view! {
                <li class="service-list__item">
                    <a class="kern-link service-list__link" href=links::SERVICE.with(&[&s.slug])>{s.name}</a>
                    <p class="kern-body kern-body--small service-list__summary">{s.summary}</p>
                    <p class="kern-body--small service-list__meta">
                        {tr(lang, "portal.fee")}": "{fee_text(lang, s.fee)}" "{badges(lang, s.online, s.appointment)}
                    </p>
                </li>
            }).collect_view()}
        </ul>
    }
}

fn search_form(lang: Lang, query: String, error: Option<String>) -> impl IntoView {
    let wrapper_class = if error.is_some() { "kern-form-input kern-form-input--error" } else { "kern-form-input" };
    let input_class =
        if error.is_some() { "kern-form-input__input kern-form-input__input--error" } else { "kern-form-input__input" };
    let describedby = if error.is_some() { "q-hint q-error" } else { "q-hint" };
    view! {
        <form class="search-form" method="get" action=links::SEARCH.path() role="search">
            <div class=wrapper_class>
                <label class="kern-label" for="q">{tr(lang, "portal.search_label")}</label>
                <div class="kern-hint" id="q-hint">{tr(lang, "portal.search_hint")}</div>
                {error.map(|e| view! { <p class="kern-error" id="q-error" role="alert"><span class="kern-icon kern-icon--danger kern-icon--small" aria-hidden="true"></span><span>{e}</span></p> })}
                <div class="search-form__row">
                    <input class=input_class type="search" id="q" name="q" value=query aria-describedby=describedby maxlength="200"/>
                    <button class="kern-btn kern-btn--primary" type="submit">
                        <span class="kern-icon kern-icon--search" aria-hidden="true"></span>
                        <span class="kern-label">{tr(lang, "portal.search_button")}</span>
                    </button>
                </div>
            </div>
        </form>
    }
}

/// The portal home: welcome, search box and the services by category.
#[component]
pub fn HomePage(chrome: PortalChrome, categories: Vec<CategoryGroup>) -> impl IntoView {
    let lang = chrome.lang;
    let name = chrome.tenant_name.clone();
    let empty = categories.is_empty();
    view! {
        <PortalLayout chrome=chrome title=tr(lang, "common.home")>
            <div class="hero">
                <h1 class="kern-heading-x-large">{tr(lang, "portal.welcome")}" – "{name}</h1>
                <p class="kern-body kern-body--large">{tr(lang, "portal.intro")}</p>
                {search_form(lang, String::new(), None)}
            </div>
            <h2 class="kern-heading-large">{tr(lang, "portal.services_heading")}</h2>
            {empty.then(|| view! { <p class="kern-body">{tr(lang, "portal.no_services")}</p> })}
            <div class="category-grid">
                {categories.into_iter().map(|c| view! {
                    <section class="kern-card category-card" aria-labelledby=format!("cat-{}", c.slug)>
                        <div class="kern-card__container">
                            <div class="kern-card__header">
                                <h3 class="kern-heading-medium" id=format!("cat-{}", c.slug)>{c.name}</h3>
                            </div>
                            <div class="kern-card__body">{service_list(lang, c.services)}</div>
                        </div>
                    </section>
                }).collect_view()}
            </div>
        </PortalLayout>
    }
}

/// Search results.
#[component]
pub fn SearchPage(chrome: PortalChrome, query: String, results: Vec<ServiceItem>, empty_query: bool) -> impl IntoView {
    let lang = chrome.lang;
    let count = results.len().to_string();
    let error = empty_query.then(|| tr(lang, "portal.empty_query"));
    let none = results.is_empty() && !empty_query;
    let summary = (!empty_query && !results.is_empty())
        .then(|| tr_with(lang, "portal.results_for", &[("count", &count), ("query", &query)]));
    let no_results = tr_with(lang, "portal.no_results", &[("query", &query)]);
    view! {
        <PortalLayout chrome=chrome title=tr(lang, "portal.results_heading")>
            <p><a class="kern-link" href="/">{tr(lang, "common.back_to_home")}</a></p>
            <h1 class="kern-heading-x-large">{tr(lang, "portal.results_heading")}</h1>
            {search_form(lang, query.clone(), error)}
            <div aria-live="polite">
                {summary.map(|s| view! { <p class="kern-body kern-body--bold search-summary">{s}</p> })}
                {none.then(|| view! { <p class="kern-body search-summary">{no_results}</p> })}
            </div>
            {service_list(lang, results)}
        </PortalLayout>
    }
}

/// Everything shown on a service page.
#[derive(Debug, Clone)]
pub struct ServicePageData {
    pub item: ServiceItem,
    pub description: String,
    pub fee_note: String,
    pub documents: Vec<String>,
    pub office: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub leika_key: Option<String>,
    /// The tenant offers an online form for it.
    pub apply_online: bool,
    /// The service needs an appointment: link to the booking.
    pub book_appointment: bool,
}

/// A service's detail page.
#[component]
pub fn ServicePage(chrome: PortalChrome, data: ServicePageData) -> impl IntoView {
    let lang = chrome.lang;
    let d = data;
    let title = d.item.name.clone();
    let fee = fee_text(lang, d.item.fee);
    let no_docs = d.documents.is_empty();
    view! {
        <PortalLayout chrome=chrome title=title.clone()>
            <p><a class="kern-link" href="/">{tr(lang, "common.back_to_home")}</a></p>
            <h1 class="kern-heading-x-large">{title}</h1>
            <p class="kern-body kern-body--large">{d.item.summary.clone()}</p>
            {badges(lang, d.item.online, d.item.appointment)}
            <p class="kern-body">{d.description}</p>
            {d.apply_online.then(|| view! {
                <p class="apply-online"><a class="kern-btn kern-btn--primary" href=links::START_APPLICATION.with(&[&d.item.slug])><span class="kern-label">{tr(lang, "cases.apply_online")}</span></a></p>
            })}
            {d.book_appointment.then(|| view! {
                <p class="apply-online"><a class="kern-btn kern-btn--secondary" href=format!("{}?dienst={}", links::BOOK_APPOINTMENT.path(), d.item.slug)><span class="kern-label">{tr(lang, "portal.book_appointment")}</span></a></p>
            })}
            <dl class="kern-description-list">
                <div class="kern-description-list-item">
                    <dt class="kern-description-list-item__key">{tr(lang, "portal.fee")}</dt>
                    <dd class="kern-description-list-item__value">{fee}{(!d.fee_note.is_empty()).then(|| format!(" ({})", d.fee_note))}</dd>
                </div>
                {d.office.map(|o| view! {
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{tr(lang, "portal.office")}</dt>
                        <dd class="kern-description-list-item__value">{o}</dd>
                    </div>
                })}
                {d.contact_phone.map(|p| view! {
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{tr(lang, "common.phone")}</dt>
                        <dd class="kern-description-list-item__value">{p}</dd>
                    </div>
                })}
                {d.contact_email.map(|e| view! {
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{tr(lang, "common.email")}</dt>
                        <dd class="kern-description-list-item__value"><a class="kern-link" href=format!("mailto:{e}")>{e.clone()}</a></dd>
                    </div>
                })}
                {d.leika_key.map(|k| view! {
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{tr(lang, "portal.leika")}</dt>
                        <dd class="kern-description-list-item__value">{k}</dd>
                    </div>
                })}
            </dl>
            <h2 class="kern-heading-medium">{tr(lang, "portal.documents")}</h2>
            {if no_docs {
                view! { <p class="kern-body">{tr(lang, "portal.no_documents")}</p> }.into_any()
            } else {
                view! { <ul class="kern-list kern-list--bullet">{d.documents.into_iter().map(|doc| view! { <li>{doc}</li> }).collect_view()}</ul> }.into_any()
            }}
        </PortalLayout>
    }
}

/// Imprint, privacy notice or accessibility statement.
#[component]
pub fn LegalPage(chrome: PortalChrome, title: String, text: String, only_german: bool) -> impl IntoView {
    let lang = chrome.lang;
    let paragraphs: Vec<String> = text.split("\n\n").map(str::to_owned).filter(|p| !p.trim().is_empty()).collect();
    view! {
        <PortalLayout chrome=chrome title=title.clone()>
            <h1 class="kern-heading-x-large">{title}</h1>
            {only_german.then(|| view! { <p class="kern-body kern-body--muted">{tr(lang, "common.only_german")}</p> })}
            {paragraphs.into_iter().map(|p| view! { <p class="kern-body">{p}</p> }).collect_view()}
        </PortalLayout>
    }
}

/// An error inside a tenant portal (404, 500, …), in the tenant's frame.
#[component]
pub fn PortalErrorPage(
    chrome: PortalChrome,
    title: String,
    text: String,
    #[prop(default = None)] reference: Option<String>,
) -> impl IntoView {
    let lang = chrome.lang;
    view! {
        <PortalLayout chrome=chrome title=title.clone()>
            <h1 class="kern-heading-x-large">{title}</h1>
            <p class="kern-body">{text}</p>
            <ErrorReference lang=lang reference=reference/>
            <p><a class="kern-link" href="/">{tr(lang, "common.back_to_home")}</a></p>
        </PortalLayout>
    }
}

/// The request's id on an error page, so that a citizen's report can be found in the logs.
#[component]
fn ErrorReference(lang: Lang, reference: Option<String>) -> impl IntoView {
    reference.map(|r| {
        let label = format!("{}: ", tr(lang, "errors.reference"));
        view! { <p class="kern-body kern-body--muted">{label}<code class="request-id">{r}</code><br/>{tr(lang, "errors.reference_hint")}</p> }
    })
}

/// A page without tenant frame: unknown host, maintenance, errors before a tenant is known.
#[component]
pub fn PlainErrorPage(
    lang: Lang,
    assets: Assets,
    title: String,
    text: String,
    #[prop(optional)] tenant_name: Option<String>,
    #[prop(default = None)] reference: Option<String>,
) -> impl IntoView {
    view! {
        <PlainLayout lang=lang title=title.clone() assets=assets>
            {tenant_name.map(|n| view! { <p class="kern-preline">{n}</p> })}
            <h1 class="kern-heading-x-large">{title}</h1>
            <p class="kern-body">{text}</p>
            <ErrorReference lang=lang reference=reference/>
        </PlainLayout>
    }
}
