//! Mail templates in German and English, in the tenant's branding (name as sender and heading, its
//! colour, its contact address as reply-to).

use portal_domain::Lang;

use crate::Message;

/// The texts of the mails: a key and its placeholders, translated by the caller (the server's
/// translation files: each capability's own for its mails, `app/ui/locales/*/mail.toml` for the
/// frame).
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

/// One text of a mail: a key of the translation files and the values of its placeholders. The
/// tenant's name is always given as `{tenant}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Text {
    pub fn new(key: &'static str) -> Self {
        Self { key, args: vec![] }
    }

    /// The text with the placeholder `name` set to `value`.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }
}

/// A mail as the capability that sends it writes it (its templates live with it, its texts in its
/// own translation file): a subject, paragraphs, an optional button with its link, and notes after
/// it. This crate knows no capability's mails; it lays any of them out in the tenant's branding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: Text,
    pub lines: Vec<Text>,
    pub button: Option<(Text, String)>,
    pub after: Vec<Text>,
}

impl Mail {
    pub fn new(subject: Text) -> Self {
        Self { subject, lines: vec![], button: None, after: vec![] }
    }

    /// A paragraph.
    #[must_use]
    pub fn line(mut self, text: Text) -> Self {
        self.lines.push(text);
        self
    }

    /// A paragraph, when `shown`.
    #[must_use]
    pub fn line_if(self, shown: bool, text: Text) -> Self {
        if shown { self.line(text) } else { self }
    }

    /// The button and the link it leads to (also written out in the text part).
    #[must_use]
    pub fn button(mut self, label: Text, link: impl Into<String>) -> Self {
        self.button = Some((label, link.into()));
        self
    }

    /// A note after the button, in smaller type.
    #[must_use]
    pub fn after(mut self, text: Text) -> Self {
        self.after.push(text);
        self
    }
}

struct Parts {
    subject: String,
    lines: Vec<String>,
    button: Option<(String, String)>,
    after: Vec<String>,
}

fn parts(mail: &Mail, tenant: &str, texts: Texts<'_>) -> Parts {
    let t = |text: &Text| {
        let mut args: Vec<(&str, &str)> = text.args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        args.push(("tenant", tenant));
        texts(text.key, &args)
    };
    Parts {
        subject: t(&mail.subject),
        lines: mail.lines.iter().map(t).collect(),
        button: mail.button.as_ref().map(|(label, link)| (t(label), link.clone())),
        after: mail.after.iter().map(t).collect(),
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

    Message {
        message_id: None,
        attachments: vec![],
        to: to.to_owned(),
        from_name: branding.tenant_name.clone(),
        reply_to: branding.reply_to.clone(),
        subject: p.subject,
        text,
        html,
    }
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
        let b = Branding {
            tenant_name: "Stadt <Test>".into(),
            primary_colour: "#123456".into(),
            reply_to: Some("info@test.de".into()),
            portal_url: "https://test.de".into(),
        };
        let m = render(
            &Mail::new(Text::new("account.mail.verify_email_subject"))
                .line(Text::new("account.mail.verify_email_text"))
                .button(Text::new("account.mail.verify_email_button"), "https://test.de/konto/bestaetigen?token=abc"),
            Lang::En,
            &b,
            "a@b.de",
            &keys,
        );
        assert_eq!(m.subject, "account.mail.verify_email_subject(tenant=Stadt <Test>)");
        assert!(m.text.contains(
            "account.mail.verify_email_button(tenant=Stadt <Test>):\nhttps://test.de/konto/bestaetigen?token=abc"
        ));
        assert!(m.text.contains("https://test.de/konto/bestaetigen?token=abc"));
        assert!(m.html.contains("Stadt &lt;Test&gt;"));
        assert!(m.html.contains("#123456"));
        assert!(m.html.contains("lang=\"en\""));
        assert_eq!(m.from_name, "Stadt <Test>");
        assert!(m.text.contains("mail.footer(tenant=Stadt <Test>,url=https://test.de)"));
    }
}
