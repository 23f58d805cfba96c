//! SMTP delivery with lettre.

use base64::Engine;
use lettre::message::{Attachment, Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::{MailTransport, Message};

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: only for a server on the same host or network (development, tests, a local relay).
    None,
    /// STARTTLS (port 587).
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
}

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The platform's sender address; the display name is the tenant's.
    pub from_address: String,
    pub timeout: std::time::Duration,
}

/// Delivers through an SMTP server.
pub struct SmtpTransport {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from_address: String,
}

impl SmtpTransport {
    pub fn new(s: &SmtpSettings) -> Result<Self, String> {
        let builder = match s.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host).map_err(|e| e.to_string())?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(|e| e.to_string())?,
        };
        let mut builder = builder.port(s.port).timeout(Some(s.timeout));
        if let (Some(user), Some(pass)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.expose_secret().to_owned()));
        }
        Ok(Self { transport: builder.build(), from_address: s.from_address.clone() })
    }
}

#[async_trait::async_trait]
impl MailTransport for SmtpTransport {
    async fn send(&self, m: &Message) -> Result<(), String> {
        let from: Mailbox = format!("{} <{}>", m.from_name.replace(['<', '>', '"', '\r', '\n'], ""), self.from_address)
            .parse()
            .or_else(|_| self.from_address.parse())
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        let mut builder = lettre::Message::builder()
            .from(from)
            .to(m.to.parse().map_err(|e: lettre::address::AddressError| e.to_string())?)
            .subject(&m.subject);
        if let Some(reply) = m.reply_to.as_deref().and_then(|r| r.parse::<Mailbox>().ok()) {
            builder = builder.reply_to(reply);
        }
        if let Some(id) = &m.message_id {
            builder = builder.message_id(Some(format!("<{id}>")));
        }
        let body = MultiPart::alternative_plain_html(m.text.clone(), m.html.clone());
        let email = if m.attachments.is_empty() {
            builder.multipart(body)
        } else {
            // images shown in the HTML travel with it (multipart/related); files beside it (mixed)
            let mut related = MultiPart::related().multipart(body);
            let mut files = vec![];
            for a in &m.attachments {
                let kind = ContentType::parse(&a.content_type).map_err(|e| e.to_string())?;
                let bytes = if a.base64 {
                    base64::engine::general_purpose::STANDARD.decode(&a.content).map_err(|e| e.to_string())?
                } else {
                    a.content.clone().into_bytes()
                };
                match &a.inline_id {
                    Some(id) => related = related.singlepart(Attachment::new_inline(id.clone()).body(bytes, kind)),
                    None => files.push(Attachment::new(a.filename.clone()).body(bytes, kind)),
                }
            }
            let mixed = files.into_iter().fold(MultiPart::mixed().multipart(related), MultiPart::singlepart);
            builder.multipart(mixed)
        }
        .map_err(|e| e.to_string())?;
        self.transport.send(email).await.map(|_| ()).map_err(|e| e.to_string())
    }
}
