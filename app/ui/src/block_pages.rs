//! The page builders: a page of the portal, the staff area or the console made of blocks, in its
//! frame.

use leptos::prelude::*;

use crate::blocks::{Block, blocks_view};
use crate::i18n::tr;
use crate::layout::{ConsoleChrome, ConsoleLayout, PortalChrome, PortalLayout};

/// A page of the citizen portal (or of the staff area, with its navigation) made of blocks.
#[component]
pub fn PortalBlocksPage(
    chrome: PortalChrome,
    title: String,
    #[prop(optional)] nav: Vec<(String, String, bool)>,
    blocks: Vec<Block>,
) -> impl IntoView {
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
