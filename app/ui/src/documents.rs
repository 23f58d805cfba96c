//! The offline check of print@home documents: a form and a result region that
//! `/pruefen/check.js` drives (Ed25519 in the browser's Web Crypto against the tenant's published
//! key set; the page, the script, the keys and the revocations are kept by a service worker, so the
//! check works without a network). Without script the page says to use the online check.

use leptos::prelude::*;

/// What the offline check page hands to its script.
#[derive(Debug, Clone)]
pub struct OfflineCheckSpec {
    pub keys_url: String,
    pub revoked_url: String,
    pub worker_url: String,
    pub manifest_url: String,
    pub label: String,
    pub hint: String,
    pub submit: String,
    pub noscript: String,
    /// The script's texts (verdicts, validity, fact labels) as JSON.
    pub texts: String,
}

pub fn offline_check_view(spec: OfflineCheckSpec) -> impl IntoView {
    let OfflineCheckSpec { keys_url, revoked_url, worker_url, manifest_url, label, hint, submit, noscript, texts } =
        spec;
    view! {
        <div class="offline-check" id="offline-check" data-keys=keys_url data-revoked=revoked_url data-worker=worker_url data-manifest=manifest_url data-texts=texts>
            <noscript><p class="kern-body">{noscript}</p></noscript>
            <form id="check-form" class="kern-form" novalidate="">
                <div class="kern-form-input">
                    <label class="kern-label" for="token">{label}</label>
                    <div class="kern-hint" id="token-hint">{hint}</div>
                    <textarea class="kern-form-input__input" id="token" name="token" rows="3" aria-describedby="token-hint" autocomplete="off" spellcheck="false"></textarea>
                </div>
                <button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">{submit}</span></button>
            </form>
            <div id="check-result" class="offline-check__result" role="status" aria-live="polite"></div>
            <p id="check-sync" class="kern-body kern-body--small"></p>
        </div>
    }
}

/// The offline check widget (the server adds `/pruefen/check.js`).
pub const OFFLINE_CHECK: &str = "documents/offline_check";

/// The offline check as a block of a page.
pub fn offline_check_block(spec: OfflineCheckSpec) -> crate::blocks::Block {
    crate::blocks::Block::Widget(crate::widget::Widget::new(OFFLINE_CHECK, move || offline_check_view(spec.clone())))
}
