//! Mail templates in German and English, in the tenant's branding (name as sender and heading, its
//! colour, its contact address as reply-to).

use portal_domain::Lang;

use crate::Message;

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

fn parts(mail: &Mail, lang: Lang, tenant: &str) -> Parts {
    let de = lang == Lang::De;
    let t = |d: &str, e: &str| if de { d.to_owned() } else { e.to_owned() };
    match mail {
        Mail::VerifyEmail { link } => Parts {
            subject: t(&format!("Bitte bestätigen Sie Ihre E-Mail-Adresse – {tenant}"), &format!("Please confirm your e-mail address – {tenant}")),
            lines: vec![t(
                &format!("Sie haben ein Bürgerkonto im Serviceportal {tenant} angelegt. Bitte bestätigen Sie Ihre E-Mail-Adresse; danach melden Sie sich mit Ihrem Passwort an."),
                &format!("You created a citizen account on the {tenant} service portal. Please confirm your e-mail address; then log in with your password."),
            )],
            button: Some((t("E-Mail-Adresse bestätigen", "Confirm e-mail address"), link.clone())),
            after: vec![t(
                "Der Link ist 24 Stunden gültig und kann einmal verwendet werden. Wenn Sie kein Konto angelegt haben, ignorieren Sie diese E-Mail.",
                "The link is valid for 24 hours and can be used once. If you did not create an account, ignore this e-mail.",
            )],
        },
        Mail::AlreadyRegistered { login_link, reset_link } => Parts {
            subject: t(&format!("Ihr Bürgerkonto – {tenant}"), &format!("Your citizen account – {tenant}")),
            lines: vec![t(
                &format!("Jemand hat versucht, mit Ihrer E-Mail-Adresse ein Bürgerkonto im Serviceportal {tenant} anzulegen. Sie haben dort bereits ein Konto. Melden Sie sich an: {login_link}"),
                &format!("Someone tried to create a citizen account on the {tenant} service portal with your e-mail address. You already have an account there. Log in: {login_link}"),
            )],
            button: Some((t("Passwort zurücksetzen", "Reset password"), reset_link.clone())),
            after: vec![t("Wenn Sie das nicht waren, müssen Sie nichts tun.", "If this was not you, there is nothing to do.")],
        },
        Mail::ResetPassword { link } => Parts {
            subject: t(&format!("Passwort zurücksetzen – {tenant}"), &format!("Reset your password – {tenant}")),
            lines: vec![t("Sie haben ein neues Passwort für Ihr Bürgerkonto angefordert.", "You asked for a new password for your citizen account.")],
            button: Some((t("Neues Passwort festlegen", "Set a new password"), link.clone())),
            after: vec![t(
                "Der Link ist eine Stunde gültig und kann einmal verwendet werden. Wenn Sie nichts angefordert haben, ignorieren Sie diese E-Mail; Ihr Passwort bleibt unverändert.",
                "The link is valid for one hour and can be used once. If you did not ask for it, ignore this e-mail; your password stays as it is.",
            )],
        },
        Mail::ConfirmNewEmail { link } => Parts {
            subject: t(&format!("Neue E-Mail-Adresse bestätigen – {tenant}"), &format!("Confirm your new e-mail address – {tenant}")),
            lines: vec![t(
                "Bitte bestätigen Sie, dass diese Adresse künftig für Ihr Bürgerkonto verwendet werden soll.",
                "Please confirm that this address is to be used for your citizen account from now on.",
            )],
            button: Some((t("Neue Adresse bestätigen", "Confirm new address"), link.clone())),
            after: vec![t("Der Link ist 24 Stunden gültig.", "The link is valid for 24 hours.")],
        },
        Mail::EmailChanged { new_email } => Parts {
            subject: t(&format!("E-Mail-Adresse geändert – {tenant}"), &format!("E-mail address changed – {tenant}")),
            lines: vec![t(
                &format!("Die E-Mail-Adresse Ihres Bürgerkontos wurde in {new_email} geändert. Wenn Sie das nicht waren, wenden Sie sich bitte an die Verwaltung."),
                &format!("The e-mail address of your citizen account was changed to {new_email}. If this was not you, please contact the administration."),
            )],
            button: None,
            after: vec![],
        },
        Mail::PasswordChanged => Parts {
            subject: t(&format!("Passwort geändert – {tenant}"), &format!("Password changed – {tenant}")),
            lines: vec![t(
                "Das Passwort Ihres Bürgerkontos wurde geändert. Wenn Sie das nicht waren, setzen Sie es bitte sofort zurück.",
                "The password of your citizen account was changed. If this was not you, please reset it at once.",
            )],
            button: None,
            after: vec![],
        },
        Mail::StaffInvite { link, roles } => Parts {
            subject: t(&format!("Einladung in den Verwaltungsbereich – {tenant}"), &format!("Invitation to the staff area – {tenant}")),
            lines: vec![t(
                &format!("Sie wurden in den Verwaltungsbereich des Serviceportals {tenant} eingeladen (Rolle: {roles}). Legen Sie Ihr Passwort fest, um die Einladung anzunehmen."),
                &format!("You have been invited to the staff area of the {tenant} service portal (role: {roles}). Set your password to accept the invitation."),
            )],
            button: Some((t("Einladung annehmen", "Accept invitation"), link.clone())),
            after: vec![t("Der Link ist 7 Tage gültig und kann einmal verwendet werden.", "The link is valid for 7 days and can be used once.")],
        },
        Mail::CaseReceived { reference, service, link } => Parts {
            subject: t(&format!("Ihr Antrag {reference} ist eingegangen – {service}"), &format!("Your application {reference} has been received – {service}")),
            lines: vec![t(
                &format!("vielen Dank, Ihr Antrag „{service}“ ist bei {tenant} eingegangen. Ihr Aktenzeichen: {reference}. Bitte geben Sie es bei Rückfragen an."),
                &format!("Thank you, your application “{service}” has reached {tenant}. Your reference: {reference}. Please quote it in any enquiry."),
            )],
            button: Some((t("Antrag ansehen", "View application"), link.clone())),
            after: vec![t("Über jeden weiteren Schritt informieren wir Sie per E-Mail.", "We will tell you about every further step by e-mail.")],
        },
        Mail::CaseUpdate { reference, service, status, text, link } => {
            let mut lines = vec![t(
                &format!("zu Ihrem Antrag „{service}“ (Aktenzeichen {reference}) gibt es Neuigkeiten. Stand: {status}."),
                &format!("There is news on your application “{service}” (reference {reference}). Status: {status}."),
            )];
            if !text.trim().is_empty() {
                lines.push(t(&format!("Nachricht der Verwaltung: {text}"), &format!("Message from the office: {text}")));
            }
            Parts {
                subject: t(&format!("Neuigkeiten zu Ihrem Antrag {reference} – {status}"), &format!("News on your application {reference} – {status}")),
                lines,
                button: Some((t("Antrag ansehen und antworten", "View and reply"), link.clone())),
                after: vec![],
            }
        }
        Mail::PaymentReceived { service, amount, kassenzeichen, reference, tenant_details, link } => Parts {
            subject: t(&format!("Zahlungsbestätigung {kassenzeichen} – {tenant}"), &format!("Payment receipt {kassenzeichen} – {tenant}")),
            lines: vec![
                t(&format!("vielen Dank: Ihre Zahlung von {amount} für „{service}“ ist eingegangen."), &format!("thank you: your payment of {amount} for “{service}” has been received.")),
                t(&format!("Kassenzeichen: {kassenzeichen}"), &format!("Payment reference (Kassenzeichen): {kassenzeichen}")),
                if reference.is_empty() { String::new() } else { t(&format!("Aktenzeichen Ihres Antrags: {reference}"), &format!("Reference of your application: {reference}")) },
                t(&format!("Zahlungsempfänger: {tenant_details}"), &format!("Payee: {tenant_details}")),
            ]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect(),
            button: Some((t("Zahlungsbeleg (PDF) herunterladen", "Download the receipt (PDF)"), link.clone())),
            after: vec![t("Bitte bewahren Sie diese Bestätigung für Ihre Unterlagen auf.", "Please keep this confirmation for your records.")],
        },
        Mail::PaymentReminder { service, amount, kassenzeichen, reference, due, link } => Parts {
            subject: t(&format!("Erinnerung: Gebühr für Antrag {reference} bis {due} bezahlen"), &format!("Reminder: please pay the fee for application {reference} by {due}")),
            lines: vec![
                t(
                    &format!("für Ihren Antrag „{service}“ (Aktenzeichen {reference}) ist noch die Gebühr von {amount} offen."),
                    &format!("the fee of {amount} for your application “{service}” (reference {reference}) is still open."),
                ),
                t(&format!("Bitte bezahlen Sie bis {due}. Kassenzeichen: {kassenzeichen}"), &format!("Please pay by {due}. Payment reference (Kassenzeichen): {kassenzeichen}")),
            ],
            button: Some((t("Jetzt bezahlen", "Pay now"), link.clone())),
            after: vec![t("Wenn Sie bereits bezahlt haben, ist diese E-Mail gegenstandslos.", "If you have already paid, please ignore this e-mail.")],
        },
        Mail::PaymentRefunded { service, amount, kassenzeichen, reason, link } => Parts {
            subject: t(&format!("Erstattung {amount} – {kassenzeichen}"), &format!("Refund of {amount} – {kassenzeichen}")),
            lines: vec![
                t(
                    &format!("für „{service}“ (Kassenzeichen {kassenzeichen}) erstatten wir Ihnen {amount}."),
                    &format!("we are refunding {amount} for “{service}” (payment reference {kassenzeichen})."),
                ),
                t(&format!("Grund: {reason}"), &format!("Reason: {reason}")),
                t("Der Betrag wird auf das Zahlungsmittel zurückgebucht, mit dem Sie bezahlt haben.", "The amount goes back to the means of payment you used."),
            ],
            button: Some((t("Antrag ansehen", "View the application"), link.clone())),
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
pub fn render(mail: &Mail, lang: Lang, branding: &Branding, to: &str) -> Message {
    let p = parts(mail, lang, &branding.tenant_name);
    let footer =
        if lang == Lang::De { format!("Serviceportal {} · {}", branding.tenant_name, branding.portal_url) } else { format!("{} service portal · {}", branding.tenant_name, branding.portal_url) };
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

    Message { message_id: None, to: to.to_owned(), from_name: branding.tenant_name.clone(), reply_to: branding.reply_to.clone(), subject: p.subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_mail_carries_the_link_in_both_parts_and_the_tenant_as_sender() {
        let b = Branding { tenant_name: "Stadt <Test>".into(), primary_colour: "#123456".into(), reply_to: Some("info@test.de".into()), portal_url: "https://test.de".into() };
        let m = render(&Mail::VerifyEmail { link: "https://test.de/konto/bestaetigen?token=abc".into() }, Lang::En, &b, "a@b.de");
        assert!(m.subject.starts_with("Please confirm"));
        assert!(m.text.contains("https://test.de/konto/bestaetigen?token=abc"));
        assert!(m.html.contains("Stadt &lt;Test&gt;"));
        assert!(m.html.contains("#123456"));
        assert_eq!(m.from_name, "Stadt <Test>");
        let de = render(&Mail::VerifyEmail { link: "x".into() }, Lang::De, &b, "a@b.de");
        assert!(de.subject.starts_with("Bitte bestätigen"));
    }
}
