//! The mails about a document after it was issued; their texts are in `documents.toml` under
//! `[documents.mail]` (the mail of the issue itself is sent by `flows::documents`).

use portal_mail::{Mail, Text};

/// A document was revoked, with the reason.
pub(super) fn revoked(title: String, number: String, reason: String, link: String) -> Mail {
    Mail::new(Text::new("documents.mail.document_revoked_subject").with("title", title.clone()))
        .line(Text::new("documents.mail.document_revoked_text").with("title", title).with("number", number))
        .line(Text::new("documents.mail.document_revoked_text_2").with("reason", reason))
        .button(Text::new("documents.mail.document_revoked_button"), link)
}

/// A document runs out soon.
pub(super) fn expiring(title: String, number: String, until: String, link: String) -> Mail {
    Mail::new(
        Text::new("documents.mail.document_expiring_subject").with("title", title.clone()).with("until", until.clone()),
    )
    .line(
        Text::new("documents.mail.document_expiring_text")
            .with("title", title)
            .with("number", number)
            .with("until", until),
    )
    .button(Text::new("documents.mail.document_expiring_button"), link)
}
