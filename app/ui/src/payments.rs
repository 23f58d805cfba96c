//! The payment widget: Stripe's payment element mounts into the form (the page loads Stripe.js and
//! `/assets/payment.js`); without JavaScript a note says how else to pay.

use leptos::prelude::*;

use crate::blocks::Block;
use crate::widget::Widget;

/// What the payment form hands to Stripe.js.
#[derive(Debug, Clone)]
pub struct PaymentSpec {
    pub publishable_key: String,
    pub account: String,
    pub client_secret: String,
    pub return_url: String,
    pub locale: String,
    pub button: String,
    pub noscript: String,
    /// Shown when Stripe.js could not be loaded.
    pub unavailable: String,
}

/// The name of the payment widget (the server adds Stripe.js, the glue, and Stripe's origins to the
/// page's CSP).
pub const PAYMENT: &str = "payments/payment";

/// The payment form as a block of a page.
pub fn payment_block(spec: PaymentSpec) -> Block {
    Block::Widget(Widget::new(PAYMENT, move || payment_view(spec.clone())))
}

fn payment_view(p: PaymentSpec) -> impl IntoView {
    view! {
        <form id="payment-form" class="payment-form" data-stripe-key=p.publishable_key data-stripe-account=p.account
            data-client-secret=p.client_secret data-return-url=p.return_url data-locale=p.locale data-unavailable=p.unavailable>
            <div id="payment-element"></div>
            <div id="payment-message" class="kern-alert kern-alert--danger" role="alert" hidden=true>
                <div class="kern-alert__body"><p class="kern-body" id="payment-message-text"></p></div>
            </div>
            <div class="form-actions">
                <button class="kern-btn kern-btn--primary" type="submit" id="payment-submit"><span class="kern-label">{p.button}</span></button>
            </div>
            <noscript><p class="kern-body">{p.noscript}</p></noscript>
        </form>
    }
}
