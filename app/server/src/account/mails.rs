//! The mails of the Bürgerkonto; their texts are in `account.toml` under `[account.mail]`.

use portal_mail::{Mail, Text};

/// Confirm the address of a new Bürgerkonto.
pub(super) fn verify_email(link: String) -> Mail {
    Mail::new(Text::new("account.mail.verify_email_subject"))
        .line(Text::new("account.mail.verify_email_text"))
        .button(Text::new("account.mail.verify_email_button"), link)
        .after(Text::new("account.mail.verify_email_note"))
}

/// Someone tried to register an address that has an account: tell its owner, not the requester.
pub(super) fn already_registered(login_link: String, reset_link: String) -> Mail {
    Mail::new(Text::new("account.mail.already_registered_subject"))
        .line(Text::new("account.mail.already_registered_text").with("login_link", login_link))
        .button(Text::new("account.mail.already_registered_button"), reset_link)
        .after(Text::new("account.mail.already_registered_note"))
}

/// A link to set a new password.
pub(super) fn reset_password(link: String) -> Mail {
    Mail::new(Text::new("account.mail.reset_password_subject"))
        .line(Text::new("account.mail.reset_password_text"))
        .button(Text::new("account.mail.reset_password_button"), link)
        .after(Text::new("account.mail.reset_password_note"))
}

/// Confirm a new address (sent to the new one).
pub(super) fn confirm_new_email(link: String) -> Mail {
    Mail::new(Text::new("account.mail.confirm_new_email_subject"))
        .line(Text::new("account.mail.confirm_new_email_text"))
        .button(Text::new("account.mail.confirm_new_email_button"), link)
        .after(Text::new("account.mail.confirm_new_email_note"))
}

/// The address was changed (sent to the old one).
pub(super) fn email_changed(new_email: String) -> Mail {
    Mail::new(Text::new("account.mail.email_changed_subject"))
        .line(Text::new("account.mail.email_changed_text").with("new_email", new_email))
}

/// The password was changed.
pub(super) fn password_changed() -> Mail {
    Mail::new(Text::new("account.mail.password_changed_subject")).line(Text::new("account.mail.password_changed_text"))
}
