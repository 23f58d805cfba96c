//! The mails of the Kita application; their texts are in `kita.toml` under `[kita.mail]`.

use portal_mail::{Mail, Text};

/// The application was received, with its number and the preferences in order.
pub(super) fn applied(child: String, number: String, preferences: String, link: String) -> Mail {
    Mail::new(Text::new("kita.mail.kita_applied_subject").with("number", number.clone()))
        .line(Text::new("kita.mail.kita_applied_text").with("child", child).with("number", number))
        .line(Text::new("kita.mail.kita_applied_text_2").with("preferences", preferences))
        .button(Text::new("kita.mail.kita_button"), link)
}

/// What an offer names: the child, the facility, the care and the month it starts.
pub(super) struct Offer {
    pub child: String,
    pub facility: String,
    pub care: String,
    pub start: String,
}

/// A place is offered, to be accepted until `until`.
pub(super) fn offer(o: Offer, until: String, link: String) -> Mail {
    Mail::new(Text::new("kita.mail.kita_offer_subject").with("child", o.child.clone()))
        .line(
            Text::new("kita.mail.kita_offer_text")
                .with("child", o.child)
                .with("facility", o.facility)
                .with("care", o.care)
                .with("start", o.start),
        )
        .line(Text::new("kita.mail.kita_offer_text_2").with("until", until))
        .button(Text::new("kita.mail.kita_offer_button"), link)
}
