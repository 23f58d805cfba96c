//! Page frames: the HTML document, the portal chrome (tenant branding, language switch, footer) and
//! the console chrome.

use leptos::prelude::*;
use portal_domain::Lang;

use crate::i18n::{tr, tr_with};
use crate::links;

/// Asset URLs shared by all pages. Versioned query strings let browsers cache them for a year.
#[derive(Debug, Clone)]
pub struct Assets {
    pub kern_css: String,
    pub app_css: String,
    /// The island loader; `None` on pages without islands (they ship no JavaScript at all).
    pub islands_js: Option<String>,
    /// Further scripts of a page (the payment page: Stripe.js and its glue), loaded in order.
    pub scripts: Vec<String>,
}

/// What the portal frame shows of the tenant.
#[derive(Debug, Clone)]
pub struct PortalChrome {
    pub lang: Lang,
    pub tenant_name: String,
    pub logo_url: Option<String>,
    pub primary_colour: String,
    pub secondary_colour: String,
    /// Path and query of the current page, kept by the language switch.
    pub current_path: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub assets: Assets,
}

/// The `<html>` document with head and body.
#[component]
pub fn Document(
    lang: Lang,
    title: String,
    assets: Assets,
    #[prop(optional)] theme_css: Option<String>,
    #[prop(optional)] refresh_without_script: Option<u32>,
    children: Children,
) -> impl IntoView {
    view! {
        <html lang=lang.code() data-kern-theme="light">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <title>{title}</title>
                {refresh_without_script.map(|secs| view! { <noscript><meta http-equiv="refresh" content=secs.to_string()/></noscript> })}
                <link rel="stylesheet" href=assets.kern_css/>
                <link rel="stylesheet" href=assets.app_css/>
                {theme_css.map(|css| view! { <style inner_html=css></style> })}
                {assets.islands_js.map(|src| view! { <script type="module" src=src></script> })}
                {assets.scripts.into_iter().map(|src| view! { <script src=src defer=true></script> }).collect_view()}
            </head>
            <body class="kern-body">{children()}</body>
        </html>
    }
}

/// Theme overrides for a tenant: its colour becomes KERN's action colour.
pub fn theme_css(primary: &str, secondary: &str) -> String {
    // Only #rrggbb values reach here (validated domain type, checked again by a DB constraint).
    let safe = |c: &str| {
        if c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) {
            c.to_owned()
        } else {
            "#0b4ea2".to_owned()
        }
    };
    let (p, s) = (safe(primary), safe(secondary));
    format!(
        "html[data-kern-theme=light]{{--kern-color-action-default:{p};--kern-color-action-visited:{p};--kern-color-decorative-brand-default:{p};--tenant-primary:{p};--tenant-secondary:{s}}}"
    )
}

fn lang_switch_href(lang: Lang, current_path: &str) -> String {
    let other = lang.pick(Lang::En, Lang::De);
    format!("{}?lang={}&back={}", links::LANGUAGE.path(), other.code(), urlencode(current_path))
}

/// Percent-encodes a value for a query string.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The frame of every portal page.
#[component]
pub fn PortalLayout(chrome: PortalChrome, title: String, children: Children) -> impl IntoView {
    let lang = chrome.lang;
    let full_title = format!("{title} – {}", chrome.tenant_name);
    let theme = theme_css(&chrome.primary_colour, &chrome.secondary_colour);
    let switch = lang_switch_href(lang, &chrome.current_path);
    let logo_alt = tr_with(lang, "common.logo_alt", &[("name", &chrome.tenant_name)]);
    let name = chrome.tenant_name.clone();
    view! {
        <Document lang=lang title=full_title assets=chrome.assets.clone() theme_css=theme>
            <a class="skip-link" href="#inhalt">{tr(lang, "common.skip_to_content")}</a>
            <header class="site-header">
                <div class="kern-container site-header__inner">
                    <a class="site-brand" href="/">
                        {chrome.logo_url.clone().map(|src| view! { <img class="site-brand__logo" src=src alt=logo_alt.clone() width="56" height="56"/> })}
                        <span class="site-brand__text">
                            <span class="site-brand__kicker">{tr(lang, "common.portal_of")}</span>
                            <span class="site-brand__name">{name}</span>
                        </span>
                    </a>
                    <nav class="site-header__nav" aria-label=tr(lang, "common.language")>
                        <a class="kern-link" href=links::CITIZEN_ACCOUNT.path()>{tr(lang, "common.account")}</a>
                        <a class="kern-link" href=switch hreflang=lang.pick("en", "de") lang=lang.pick("en", "de") aria-label=tr(lang, "common.switch_language_label")>
                            {tr(lang, "common.switch_language")}
                        </a>
                    </nav>
                </div>
            </header>
            <main id="inhalt" class="kern-container site-main" tabindex="-1">{children()}</main>
            <footer class="site-footer">
                <div class="kern-container site-footer__inner">
                    <div>
                        <h2 class="kern-heading-small">{tr(lang, "common.contact")}</h2>
                        <p class="kern-body">
                            {chrome.tenant_name.clone()}
                            {chrome.address.clone().map(|a| view! { <br/>{a} })}
                            {chrome.contact_phone.clone().map(|p| view! { <br/>{tr(lang, "common.phone")}": "{p} })}
                            {chrome.contact_email.clone().map(|e| view! { <br/>{tr(lang, "common.email")}": "<a class="kern-link" href=format!("mailto:{e}")>{e.clone()}</a> })}
                        </p>
                    </div>
                    <nav aria-label=tr(lang, "common.imprint")>
                        <ul class="kern-list footer-links">
                            <li><a class="kern-link" href=links::IMPRINT.path()>{tr(lang, "common.imprint")}</a></li>
                            <li><a class="kern-link" href=links::PRIVACY.path()>{tr(lang, "common.privacy")}</a></li>
                            <li><a class="kern-link" href=links::ACCESSIBILITY.path()>{tr(lang, "common.accessibility")}</a></li>
                        </ul>
                    </nav>
                </div>
            </footer>
        </Document>
    }
}

/// A minimal frame for pages outside any tenant (unknown host) and for error pages.
#[component]
pub fn PlainLayout(lang: Lang, title: String, assets: Assets, children: Children) -> impl IntoView {
    view! {
        <Document lang=lang title=title assets=assets>
            <main id="inhalt" class="kern-container site-main">{children()}</main>
        </Document>
    }
}

/// What the console frame needs.
#[derive(Debug, Clone)]
pub struct ConsoleChrome {
    pub lang: Lang,
    pub operator_name: Option<String>,
    pub csrf_token: Option<String>,
    /// The console's pages for a logged-in operator: path, label, whether it is the current one.
    pub nav: Vec<(String, String, bool)>,
    pub current_path: String,
    pub assets: Assets,
}

/// The frame of the operations console.
#[component]
pub fn ConsoleLayout(chrome: ConsoleChrome, title: String, children: Children) -> impl IntoView {
    let lang = chrome.lang;
    let full_title = format!("{title} – {}", tr(lang, "console.title"));
    let switch = lang_switch_href(lang, &chrome.current_path);
    view! {
        <Document lang=lang title=full_title assets=chrome.assets.clone()>
            <a class="skip-link" href="#inhalt">{tr(lang, "common.skip_to_content")}</a>
            <header class="site-header site-header--console">
                <div class="kern-container site-header__inner">
                    <a class="site-brand" href="/">
                        <span class="site-brand__text">
                            <span class="site-brand__kicker">"Kommunalportal"</span>
                            <span class="site-brand__name">{tr(lang, "console.title")}</span>
                        </span>
                    </a>
                    <nav class="site-header__nav" aria-label=tr(lang, "console.title")>
                        {chrome.operator_name.clone().map(|n| view! {
                            {chrome.nav.clone().into_iter().map(|(href, label, current)| view! {
                                <a class="kern-link" href=href aria-current=current.then_some("page")>{label}</a>
                            }).collect::<Vec<_>>()}
                            <span class="kern-body--small">{tr_with(lang, "console.signed_in_as", &[("name", &n)])}</span>
                            <form method="post" action=links::CONSOLE_LOGOUT.path() class="inline-form">
                                <input type="hidden" name="_csrf" value=chrome.csrf_token.clone().unwrap_or_default()/>
                                <button class="kern-btn kern-btn--tertiary kern-btn--x-small" type="submit">
                                    <span class="kern-label">{tr(lang, "console.logout")}</span>
                                </button>
                            </form>
                        })}
                        <a class="kern-link" href=switch lang=lang.pick("en", "de") aria-label=tr(lang, "common.switch_language_label")>{tr(lang, "common.switch_language")}</a>
                    </nav>
                </div>
            </header>
            <main id="inhalt" class="kern-container site-main" tabindex="-1">{children()}</main>
        </Document>
    }
}
