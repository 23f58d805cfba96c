//! The payment widget's needs: Stripe.js from its configured URL and the glue, and Stripe's origins
//! in the page's CSP (the payment page itself is never stored: `payments::render`).

use portal_web::AppState;

use crate::kit::widgets::{StaticAsset, WidgetNeeds};
use crate::payments::paths;

/// The payment page's glue between the form and Stripe.js (served from memory).
pub(super) const PAYMENT_JS: StaticAsset = StaticAsset {
    path: paths::PAYMENT_JS,
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../../../assets/payment.js"),
};

pub(super) const PAYMENT: WidgetNeeds =
    WidgetNeeds { widget: portal_ui::payments::PAYMENT, islands: false, scripts, csp };

fn scripts(state: &AppState) -> Vec<String> {
    vec![state.payment_config.js_url.clone(), PAYMENT_JS.url()]
}

fn csp(state: &AppState) -> Option<String> {
    Some(payment_csp(&state.payment_config.page_origins))
}

/// The Content-Security-Policy of the payment page: Stripe.js and what it talks to and frames.
pub(super) fn payment_csp(origins: &[String]) -> String {
    let o = origins.join(" ");
    format!(
        "default-src 'self'; script-src 'self' {o}; style-src 'self' 'unsafe-inline'; img-src 'self' data: {o}; font-src 'self'; connect-src 'self' {o}; frame-src {o}; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}
