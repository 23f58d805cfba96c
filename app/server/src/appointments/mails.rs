//! The mails about a booking; their texts are in `appointments.toml` under `[appointments.mail]`.

use portal_mail::{Mail, Text};

/// What every mail about a booking names: when, where, its number, and the link to it.
pub(super) struct About {
    pub when: String,
    pub location: String,
    pub number: String,
    pub link: String,
}

fn number(a: &About) -> Text {
    Text::new("appointments.mail.appointment_number_text").with("number", a.number.clone())
}

/// A booking was made (the calendar file goes along).
pub(super) fn booked(a: About, services: String) -> Mail {
    Mail::new(Text::new("appointments.mail.appointment_booked_subject").with("when", a.when.clone()))
        .line(
            Text::new("appointments.mail.appointment_booked_text")
                .with("when", a.when.clone())
                .with("location", a.location.clone())
                .with("services", services),
        )
        .line(number(&a))
        .button(Text::new("appointments.mail.appointment_manage_button"), a.link)
        .after(Text::new("appointments.mail.appointment_booked_note"))
}

/// A booking was moved to another time.
pub(super) fn moved(a: About) -> Mail {
    Mail::new(Text::new("appointments.mail.appointment_moved_subject").with("when", a.when.clone()))
        .line(
            Text::new("appointments.mail.appointment_moved_text")
                .with("when", a.when.clone())
                .with("location", a.location.clone()),
        )
        .line(number(&a))
        .button(Text::new("appointments.mail.appointment_manage_button"), a.link)
        .after(Text::new("appointments.mail.appointment_booked_note"))
}

/// A booking was cancelled, by the citizen or by the office (then with its reason); the button
/// books again.
pub(super) fn cancelled(a: About, reason: String, by_office: bool) -> Mail {
    let text = if by_office {
        "appointments.mail.appointment_cancelled_by_office_text"
    } else {
        "appointments.mail.appointment_cancelled_text"
    };
    Mail::new(Text::new("appointments.mail.appointment_cancelled_subject").with("when", a.when.clone()))
        .line(
            Text::new(text)
                .with("when", a.when.clone())
                .with("location", a.location.clone())
                .with("number", a.number.clone()),
        )
        .line_if(
            !reason.trim().is_empty(),
            Text::new("appointments.mail.appointment_cancelled_reason").with("reason", reason),
        )
        .button(Text::new("appointments.mail.appointment_book_again_button"), a.link)
}

/// The day before.
pub(super) fn reminder(a: About) -> Mail {
    Mail::new(Text::new("appointments.mail.appointment_reminder_subject").with("when", a.when.clone()))
        .line(
            Text::new("appointments.mail.appointment_reminder_text")
                .with("when", a.when.clone())
                .with("location", a.location.clone()),
        )
        .line(number(&a))
        .button(Text::new("appointments.mail.appointment_manage_button"), a.link)
}
