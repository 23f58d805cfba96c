//! The call display of a waiting room: the ticket called last, large enough to read from five
//! metres, the calls before it and the current waiting time. It updates itself from the server
//! (`/assets/live.js`: server-sent events, else polling, else a refresh every 15 s without script).

use leptos::prelude::*;
use portal_domain::Lang;

use crate::i18n::tr;
use crate::layout::{Assets, Document};

/// What the display shows.
#[derive(Debug, Clone)]
pub struct DisplayData {
    pub lang: Lang,
    pub tenant_name: String,
    pub location: String,
    /// (ticket code, counter), newest first.
    pub calls: Vec<(String, String)>,
    pub wait_text: String,
    /// Where updates come from.
    pub source: String,
    pub template: String,
    pub empty_template: String,
    pub assets: Assets,
}

#[component]
pub fn CallDisplay(data: DisplayData) -> impl IntoView {
    let lang = data.lang;
    let title = format!("{} – {}", data.location, tr(lang, "appointments.display_title"));
    let mut calls = data.calls.into_iter();
    let now = calls.next();
    let rest: Vec<(String, String)> = calls.take(6).collect();
    let (source, live_source) = (data.source.clone(), data.source);
    let assets = data.assets;
    view! {
        <Document lang=lang title=title assets=assets refresh_without_script=15>
            <main class="call-display" data-display=source>
                <header class="call-display__head">
                    <p class="call-display__tenant">{data.tenant_name}</p>
                    <h1 class="call-display__title">{data.location}</h1>
                </header>
                <section class="call-display__now" aria-live="assertive" aria-atomic="true">
                    <h2 class="visually-hidden">{tr(lang, "appointments.display_now")}</h2>
                    <p class="call-display__code" data-now-code="">{now.as_ref().map_or_else(|| "–".to_owned(), |c| c.0.clone())}</p>
                    <p class="call-display__counter" data-now-counter="">{now.map(|c| c.1).unwrap_or_default()}</p>
                </section>
                <section class="call-display__last">
                    <h2 class="call-display__subtitle">{tr(lang, "appointments.display_last")}</h2>
                    <table class="call-display__table">
                        <thead><tr><th scope="col">{tr(lang, "appointments.ticket")}</th><th scope="col">{tr(lang, "appointments.counter")}</th></tr></thead>
                        <tbody data-last-calls="">
                            {rest.into_iter().map(|(code, counter)| view! { <tr><td>{code}</td><td>{counter}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                </section>
                <p class="call-display__wait" data-live=live_source data-template=data.template data-empty=data.empty_template><span data-live-text="">{data.wait_text}</span></p>
            </main>
        </Document>
    }
}

/// A row of the live waiting times ([`live_block`]): the label, the text shown now, and where updates come from. The
/// template turns the update's minutes and people waiting into the text (`{m}`, `{n}`).
#[derive(Debug, Clone)]
pub struct LiveRow {
    pub label: String,
    pub text: String,
    pub source: String,
    pub template: String,
    pub empty_template: String,
}

/// Waiting times that update themselves (`/assets/live.js` listens to each row's source).
pub fn live_view(rows: Vec<LiveRow>) -> impl IntoView {
    view! {
        <dl class="facts live-waits">
            {rows.into_iter().map(|r| view! {
                <div class="facts__row" data-live=r.source data-template=r.template data-empty=r.empty_template>
                    <dt class="kern-label">{r.label}</dt>
                    <dd class="kern-body" aria-live="polite" data-live-text="">{r.text}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
}

/// A ticket number as large as the page allows, with lines under it (the printed ticket).
pub fn ticket_view(code: String, lines: Vec<String>) -> impl IntoView {
    view! {
        <div class="ticket">
            <p class="ticket__code">{code}</p>
            {lines.into_iter().map(|l| view! { <p class="kern-body ticket__line">{l}</p> }).collect_view()}
        </div>
    }
}

/// The form around the time picker island: the token and what the earlier steps chose.
pub fn time_pick_view(
    action: String,
    csrf: String,
    hidden: Vec<(String, String)>,
    choice: crate::islands::TimeChoice,
) -> impl IntoView {
    view! {
        <form method="post" action=action class="block-form" novalidate=true>
            <input type="hidden" name="_csrf" value=csrf/>
            {hidden.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
            <crate::islands::TimePicker data=choice/>
        </form>
    }
}

/// The live waiting times widget (the server adds `/assets/live.js`).
pub const LIVE: &str = "appointments/live";
/// A ticket number as large as the page allows, with lines under it (the printed ticket).
pub const TICKET: &str = "appointments/ticket";
/// The time picker (an island: the server loads the islands).
pub const TIME_PICK: &str = "appointments/time_pick";

/// Waiting times that update themselves, as a block of a page.
pub fn live_block(rows: Vec<LiveRow>) -> crate::blocks::Block {
    crate::blocks::Block::Widget(crate::widget::Widget::new(LIVE, move || live_view(rows.clone())))
}

/// A ticket as a block of a page.
pub fn ticket_block(code: String, lines: Vec<String>) -> crate::blocks::Block {
    crate::blocks::Block::Widget(crate::widget::Widget::new(TICKET, move || ticket_view(code.clone(), lines.clone())))
}

/// The form to pick a time of a day, as a block of a page: hidden fields and the time picker.
pub fn time_pick_block(
    action: String,
    csrf: String,
    hidden: Vec<(String, String)>,
    choice: crate::islands::TimeChoice,
) -> crate::blocks::Block {
    crate::blocks::Block::Widget(crate::widget::Widget::new(TIME_PICK, move || {
        time_pick_view(action.clone(), csrf.clone(), hidden.clone(), choice.clone())
    }))
}
