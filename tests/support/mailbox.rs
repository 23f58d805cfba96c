//! The test mailbox: its SMTP port and HTTP API, the mails received for an address, and unique addresses.

use super::*;

/// The HTTP API of the test mailbox (a real SMTP server started by the test command).
pub fn mailbox_url() -> String {
    ensure_services();
    std::env::var("MAILBOX_URL").unwrap_or_else(|_| "http://127.0.0.1:2580".to_owned())
}

/// The SMTP port of the test mailbox.
pub fn mailbox_smtp_port() -> u16 {
    std::env::var("APP__MAIL__SMTP_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(2525)
}

/// An SMTP transport to the test mailbox (or to `port`).
pub fn smtp_to(port: u16) -> portal_mail::SmtpTransport {
    portal_mail::SmtpTransport::new(&portal_mail::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: portal_mail::SmtpTls::None,
        username: None,
        password: None,
        from_address: "noreply@kommunalportal.example".into(),
        timeout: std::time::Duration::from_secs(5),
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A mail as the mailbox shows it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReceivedMail {
    pub to: String,
    pub from: String,
    #[serde(rename = "replyTo")]
    pub reply_to: String,
    pub subject: String,
    pub text: String,
    pub links: Vec<String>,
    #[serde(default)]
    pub attachments: Vec<ReceivedAttachment>,
}

/// A file attached to a received mail.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReceivedAttachment {
    pub filename: String,
    #[serde(rename = "contentType")]
    pub content_type: String,
    pub content: String,
}

/// The mails the mailbox received for `to`, oldest first.
pub async fn mails_for(to: &str) -> Vec<ReceivedMail> {
    let url = format!("{}/messages?to={}", mailbox_url(), urlencoding::encode(to));
    let r = reqwest::get(&url).await.unwrap_or_else(|e| {
        panic!("the test mailbox at {url} is not reachable (see infra/scripts/test-services.sh): {e}")
    });
    r.json().await.unwrap_or_else(|e| panic!("{e}"))
}

/// A unique address for one test.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.org", uuid::Uuid::now_v7().simple())
}
