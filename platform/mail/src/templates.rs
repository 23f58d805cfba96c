//! Mail templates in German and English, in the tenant's branding (name as sender and heading, its
//! colour, its contact address as reply-to).

use portal_domain::Lang;

use crate::Message;

/// The texts of the mails: a key below `mail.` and its placeholders, translated by the caller (the
/// server's translation files, `app/ui/locales/*/mail.toml`).
pub type Texts<'a> = &'a dyn Fn(&str, &[(&str, &str)]) -> String;

/// What of the tenant a mail shows.
#[derive(Debug, Clone)]
pub struct Branding {
    pub tenant_name: String,
    /// `#rrggbb`
    pub primary_colour: String,
    pub reply_to: Option<String>,
    /// `https://host` of the portal, for the footer.
    pub portal_url: String,
}

/// The mails the platform sends.
#[derive(Debug, Clone)]
pub enum Mail {
    /// Confirm the address of a new Bürgerkonto.
    VerifyEmail {
        link: String,
    },
    /// Someone tried to register an address that has an account: tell its owner, not the requester.
    AlreadyRegistered {
        login_link: String,
        reset_link: String,
    },
    ResetPassword {
        link: String,
    },
    /// Confirm a new address (sent to the new address).
    ConfirmNewEmail {
        link: String,
    },
    /// The address was changed (sent to the old address).
    EmailChanged {
        new_email: String,
    },
    PasswordChanged,
    /// A staff invitation with the link to set a password.
    StaffInvite {
        link: String,
        roles: String,
    },
    /// An application was filed: reference and where to follow it.
    CaseReceived {
        reference: String,
        service: String,
        link: String,
    },
    /// Something happened on a case: a new status (with the office's question or reason) or a
    /// message from the office.
    CaseUpdate {
        reference: String,
        service: String,
        status: String,
        text: String,
        link: String,
    },
    /// A payment was received: the receipt's facts and where to download it.
    PaymentReceived {
        service: String,
        amount: String,
        kassenzeichen: String,
        reference: String,
        tenant_details: String,
        link: String,
    },
    /// A pay-later fee is due soon.
    PaymentReminder {
        service: String,
        amount: String,
        kassenzeichen: String,
        reference: String,
        due: String,
        link: String,
    },
    /// An appointment was booked (the .ics is attached by the caller).
    AppointmentBooked {
        when: String,
        location: String,
        services: String,
        number: String,
        link: String,
    },
    /// An appointment was moved.
    AppointmentMoved {
        when: String,
        location: String,
        number: String,
        link: String,
    },
    /// An appointment was cancelled; `by_office` with the office's reason and a link to book again.
    AppointmentCancelled {
        when: String,
        location: String,
        number: String,
        reason: String,
        by_office: bool,
        link: String,
    },
    /// The reminder before an appointment.
    AppointmentReminder {
        when: String,
        location: String,
        number: String,
        link: String,
    },
    /// A Kita application came in (to the parent, with its number).
    KitaApplied {
        child: String,
        number: String,
        preferences: String,
        link: String,
    },
    /// The coordinated allocation offers a place; the parent answers until the deadline.
    KitaOffer {
        child: String,
        facility: String,
        care: String,
        start: String,
        until: String,
        link: String,
    },
    /// A document was issued: download it from the case.
    DocumentIssued {
        title: String,
        number: String,
        until: String,
        link: String,
    },
    /// A document was revoked, with the reason.
    DocumentRevoked {
        title: String,
        number: String,
        reason: String,
        link: String,
    },
    /// A document ends soon: renew it.
    DocumentExpiring {
        title: String,
        number: String,
        until: String,
        link: String,
    },
    /// A refund was made.
    PaymentRefunded {
        service: String,
        amount: String,
        kassenzeichen: String,
        reason: String,
        link: String,
    },
}

struct Parts {
    subject: String,
    lines: Vec<String>,
    button: Option<(String, String)>,
    after: Vec<String>,
}

fn parts(mail: &Mail, tenant: &str, texts: Texts<'_>) -> Parts {
    let t = |key: &str, args: &[(&str, &str)]| texts(key, args);
    match mail {
        Mail::VerifyEmail { link } => Parts {
            subject: t("mail.verify_email_subject", &[("tenant", tenant)]),
            lines: vec![t("mail.verify_email_text", &[("tenant", tenant)])],
            button: Some((t("mail.verify_email_button", &[]), link.clone())),
            after: vec![t("mail.verify_email_note", &[])],
        },
        Mail::AlreadyRegistered { login_link, reset_link } => Parts {
            subject: t("mail.already_registered_subject", &[("tenant", tenant)]),
            lines: vec![t("mail.already_registered_text", &[("tenant", tenant), ("login_link", &login_link.to_string())])],
            button: Some((t("mail.already_registered_button", &[]), reset_link.clone())),
            after: vec![t("mail.already_registered_note", &[])],
        },
        Mail::ResetPassword { link } => Parts {
            subject: t("mail.reset_password_subject", &[("tenant", tenant)]),
            lines: vec![t("mail.reset_password_text", &[])],
            button: Some((t("mail.reset_password_button", &[]), link.clone())),
            after: vec![t("mail.reset_password_note", &[])],
        },
        Mail::ConfirmNewEmail { link } => Parts {
            subject: t("mail.confirm_new_email_subject", &[("tenant", tenant)]),
            lines: vec![t("mail.confirm_new_email_text", &[])],
            button: Some((t("mail.confirm_new_email_button", &[]), link.clone())),
            after: vec![t("mail.confirm_new_email_note", &[])],
        },
        Mail::EmailChanged { new_email } => {
            Parts { subject: t("mail.email_changed_subject", &[("tenant", tenant)]), lines: vec![t("mail.email_changed_text", &[("new_email", &new_email.to_string())])], button: None, after: vec![] }
        }
        Mail::PasswordChanged => Parts { subject: t("mail.password_changed_subject", &[("tenant", tenant)]), lines: vec![t("mail.password_changed_text", &[])], button: None, after: vec![] },
        Mail::StaffInvite { link, roles } => Parts {
            subject: t("mail.staff_invite_subject", &[("tenant", tenant)]),
            lines: vec![t("mail.staff_invite_text", &[("tenant", tenant), ("roles", &roles.to_string())])],
            button: Some((t("mail.staff_invite_button", &[]), link.clone())),
            after: vec![t("mail.staff_invite_note", &[])],
        },
        Mail::CaseReceived { reference, service, link } => Parts {
            subject: t("mail.case_received_subject", &[("reference", &reference.to_string()), ("service", &service.to_string())]),
            lines: vec![t("mail.case_received_text", &[("service", &service.to_string()), ("tenant", tenant), ("reference", &reference.to_string())])],
            button: Some((t("mail.case_received_button", &[]), link.clone())),
            after: vec![t("mail.case_received_note", &[])],
        },
        Mail::CaseUpdate { reference, service, status, text, link } => {
            let mut lines = vec![t("mail.case_update_text", &[("service", &service.to_string()), ("reference", &reference.to_string()), ("status", &status.to_string())])];
            if !text.trim().is_empty() {
                lines.push(t("mail.case_update_text_2", &[("text", &text.to_string())]));
            }
            Parts {
                subject: t("mail.case_update_subject", &[("reference", &reference.to_string()), ("status", &status.to_string())]),
                lines,
                button: Some((t("mail.case_update_button", &[]), link.clone())),
                after: vec![],
            }
        }
        Mail::PaymentReceived { service, amount, kassenzeichen, reference, tenant_details, link } => Parts {
            subject: t("mail.payment_received_subject", &[("kassenzeichen", &kassenzeichen.to_string()), ("tenant", tenant)]),
            lines: vec![
                t("mail.payment_received_text", &[("amount", &amount.to_string()), ("service", &service.to_string())]),
                t("mail.payment_received_text_2", &[("kassenzeichen", &kassenzeichen.to_string())]),
                if reference.is_empty() { String::new() } else { t("mail.payment_received_text_3", &[("reference", &reference.to_string())]) },
                t("mail.payment_received_text_4", &[("tenant_details", &tenant_details.to_string())]),
            ]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect(),
            button: Some((t("mail.payment_received_button", &[]), link.clone())),
            after: vec![t("mail.payment_received_note", &[])],
        },
        Mail::PaymentReminder { service, amount, kassenzeichen, reference, due, link } => Parts {
            subject: t("mail.payment_reminder_subject", &[("reference", &reference.to_string()), ("due", &due.to_string())]),
            lines: vec![
                t("mail.payment_reminder_text", &[("service", &service.to_string()), ("reference", &reference.to_string()), ("amount", &amount.to_string())]),
                t("mail.payment_reminder_text_2", &[("due", &due.to_string()), ("kassenzeichen", &kassenzeichen.to_string())]),
            ],
            button: Some((t("mail.payment_reminder_button", &[]), link.clone())),
            after: vec![t("mail.payment_reminder_note", &[])],
        },
        Mail::AppointmentBooked { when, location, services, number, link } => Parts {
            subject: t("mail.appointment_booked_subject", &[("when", when), ("tenant", tenant)]),
            lines: vec![t("mail.appointment_booked_text", &[("when", when), ("location", location), ("services", services)]), t("mail.appointment_number_text", &[("number", number)])],
            button: Some((t("mail.appointment_manage_button", &[]), link.clone())),
            after: vec![t("mail.appointment_booked_note", &[])],
        },
        Mail::AppointmentMoved { when, location, number, link } => Parts {
            subject: t("mail.appointment_moved_subject", &[("when", when)]),
            lines: vec![t("mail.appointment_moved_text", &[("when", when), ("location", location)]), t("mail.appointment_number_text", &[("number", number)])],
            button: Some((t("mail.appointment_manage_button", &[]), link.clone())),
            after: vec![t("mail.appointment_booked_note", &[])],
        },
        Mail::AppointmentCancelled { when, location, number, reason, by_office, link } => {
            let mut lines =
                vec![t(if *by_office { "mail.appointment_cancelled_by_office_text" } else { "mail.appointment_cancelled_text" }, &[("when", when), ("location", location), ("number", number)])];
            if !reason.trim().is_empty() {
                lines.push(t("mail.appointment_cancelled_reason", &[("reason", reason)]));
            }
            Parts { subject: t("mail.appointment_cancelled_subject", &[("when", when)]), lines, button: Some((t("mail.appointment_book_again_button", &[]), link.clone())), after: vec![] }
        }
        Mail::AppointmentReminder { when, location, number, link } => Parts {
            subject: t("mail.appointment_reminder_subject", &[("when", when)]),
            lines: vec![t("mail.appointment_reminder_text", &[("when", when), ("location", location)]), t("mail.appointment_number_text", &[("number", number)])],
            button: Some((t("mail.appointment_manage_button", &[]), link.clone())),
            after: vec![],
        },
        Mail::KitaApplied { child, number, preferences, link } => Parts {
            subject: t("mail.kita_applied_subject", &[("number", number)]),
            lines: vec![t("mail.kita_applied_text", &[("child", child), ("number", number)]), t("mail.kita_applied_text_2", &[("preferences", preferences)])],
            button: Some((t("mail.kita_button", &[]), link.clone())),
            after: vec![],
        },
        Mail::KitaOffer { child, facility, care, start, until, link } => Parts {
            subject: t("mail.kita_offer_subject", &[("child", child)]),
            lines: vec![t("mail.kita_offer_text", &[("child", child), ("facility", facility), ("care", care), ("start", start)]), t("mail.kita_offer_text_2", &[("until", until)])],
            button: Some((t("mail.kita_offer_button", &[]), link.clone())),
            after: vec![],
        },
        Mail::DocumentIssued { title, number, until, link } => Parts {
            subject: t("mail.document_issued_subject", &[("title", title)]),
            lines: vec![t("mail.document_issued_text", &[("title", title), ("number", number), ("until", until)]), t("mail.document_issued_text_2", &[])],
            button: Some((t("mail.document_issued_button", &[]), link.clone())),
            after: vec![],
        },
        Mail::DocumentRevoked { title, number, reason, link } => Parts {
            subject: t("mail.document_revoked_subject", &[("title", title)]),
            lines: vec![t("mail.document_revoked_text", &[("title", title), ("number", number)]), t("mail.document_revoked_text_2", &[("reason", reason)])],
            button: Some((t("mail.document_revoked_button", &[]), link.clone())),
            after: vec![],
        },
        Mail::DocumentExpiring { title, number, until, link } => Parts {
            subject: t("mail.document_expiring_subject", &[("title", title), ("until", until)]),
            lines: vec![t("mail.document_expiring_text", &[("title", title), ("number", number), ("until", until)])],
            button: Some((t("mail.document_expiring_button", &[]), link.clone())),
            after: vec![],
        },
        Mail::PaymentRefunded { service, amount, kassenzeichen, reason, link } => Parts {
            subject: t("mail.payment_refunded_subject", &[("amount", &amount.to_string()), ("kassenzeichen", &kassenzeichen.to_string())]),
            lines: vec![
                t("mail.payment_refunded_text", &[("service", &service.to_string()), ("kassenzeichen", &kassenzeichen.to_string()), ("amount", &amount.to_string())]),
                t("mail.payment_refunded_text_2", &[("reason", &reason.to_string())]),
                t("mail.payment_refunded_text_3", &[]),
            ],
            button: Some((t("mail.payment_refunded_button", &[]), link.clone())),
            after: vec![],
        },
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn safe_colour(c: &str) -> &str {
    if c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) { c } else { "#0b4ea2" }
}

/// Renders a mail for `to` in `lang`.
pub fn render(mail: &Mail, lang: Lang, branding: &Branding, to: &str, texts: Texts<'_>) -> Message {
    let p = parts(mail, &branding.tenant_name, texts);
    let footer = texts("mail.footer", &[("tenant", &branding.tenant_name), ("url", &branding.portal_url)]);
    let mut text = format!("{}\n\n", branding.tenant_name);
    for l in &p.lines {
        text.push_str(l);
        text.push_str("\n\n");
    }
    if let Some((label, link)) = &p.button {
        text.push_str(&format!("{label}:\n{link}\n\n"));
    }
    for l in &p.after {
        text.push_str(l);
        text.push_str("\n\n");
    }
    text.push_str(&format!("-- \n{footer}\n"));

    let colour = safe_colour(&branding.primary_colour);
    let mut html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
         <body style=\"font-family:Arial,sans-serif;color:#1b1b1b;max-width:600px;margin:0 auto\">\
         <div style=\"background:{colour};color:#fff;padding:16px 20px;font-size:20px;font-weight:bold\">{name}</div><div style=\"padding:20px\">",
        lang = lang.code(),
        subject = escape(&p.subject),
        name = escape(&branding.tenant_name),
    );
    for l in &p.lines {
        html.push_str(&format!("<p>{}</p>", escape(l)));
    }
    if let Some((label, link)) = &p.button {
        html.push_str(&format!(
            "<p><a href=\"{href}\" style=\"display:inline-block;background:{colour};color:#fff;padding:12px 20px;text-decoration:none;border-radius:4px\">{label}</a></p>\
             <p style=\"font-size:13px\">{href_text}</p>",
            href = escape(link),
            label = escape(label),
            href_text = escape(link),
        ));
    }
    for l in &p.after {
        html.push_str(&format!("<p style=\"font-size:14px\">{}</p>", escape(l)));
    }
    html.push_str(&format!("<hr><p style=\"font-size:12px;color:#555\">{}</p></div></body></html>", escape(&footer)));

    Message { message_id: None, attachments: vec![], to: to.to_owned(), from_name: branding.tenant_name.clone(), reply_to: branding.reply_to.clone(), subject: p.subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts as `key(name=value,...)`, so that the tests see which text and which values were used.
    fn keys(key: &str, args: &[(&str, &str)]) -> String {
        format!("{key}({})", args.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(","))
    }

    #[test]
    fn a_verification_mail_carries_the_link_in_both_parts_and_the_tenant_as_sender() {
        let b = Branding { tenant_name: "Stadt <Test>".into(), primary_colour: "#123456".into(), reply_to: Some("info@test.de".into()), portal_url: "https://test.de".into() };
        let m = render(&Mail::VerifyEmail { link: "https://test.de/konto/bestaetigen?token=abc".into() }, Lang::En, &b, "a@b.de", &keys);
        assert_eq!(m.subject, "mail.verify_email_subject(tenant=Stadt <Test>)");
        assert!(m.text.contains("https://test.de/konto/bestaetigen?token=abc"));
        assert!(m.html.contains("Stadt &lt;Test&gt;"));
        assert!(m.html.contains("#123456"));
        assert!(m.html.contains("lang=\"en\""));
        assert_eq!(m.from_name, "Stadt <Test>");
        assert!(m.text.contains("mail.footer(tenant=Stadt <Test>,url=https://test.de)"));
    }
}
