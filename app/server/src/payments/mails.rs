//! The mails of payments after the first one; their texts are in `payments.toml` under
//! `[payments.mail]` (the confirmation of a payment is sent by `flows::payment`).

use portal_mail::{Mail, Text};

/// What a mail about a payment names: the service, the amount and the Kassenzeichen.
pub(crate) struct About {
    pub service: String,
    pub amount: String,
    pub kassenzeichen: String,
}

/// A payment is due: the reference of the case and the day it is due.
pub(crate) fn reminder(p: About, reference: String, due: String, link: String) -> Mail {
    Mail::new(
        Text::new("payments.mail.payment_reminder_subject")
            .with("reference", reference.clone())
            .with("due", due.clone()),
    )
    .line(
        Text::new("payments.mail.payment_reminder_text")
            .with("service", p.service)
            .with("reference", reference)
            .with("amount", p.amount),
    )
    .line(Text::new("payments.mail.payment_reminder_text_2").with("due", due).with("kassenzeichen", p.kassenzeichen))
    .button(Text::new("payments.mail.payment_reminder_button"), link)
    .after(Text::new("payments.mail.payment_reminder_note"))
}

/// A refund was made, with the reason.
pub(crate) fn refunded(p: About, reason: String, link: String) -> Mail {
    Mail::new(
        Text::new("payments.mail.payment_refunded_subject")
            .with("amount", p.amount.clone())
            .with("kassenzeichen", p.kassenzeichen.clone()),
    )
    .line(
        Text::new("payments.mail.payment_refunded_text")
            .with("service", p.service)
            .with("kassenzeichen", p.kassenzeichen)
            .with("amount", p.amount),
    )
    .line(Text::new("payments.mail.payment_refunded_text_2").with("reason", reason))
    .line(Text::new("payments.mail.payment_refunded_text_3"))
    .button(Text::new("payments.mail.payment_refunded_button"), link)
}
