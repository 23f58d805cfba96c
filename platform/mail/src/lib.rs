//! Outgoing e-mail. A mail is rendered (German or English, in the tenant's branding) and put into the
//! Postgres job queue in the same transaction as the change that causes it; a worker delivers it over
//! SMTP, retrying with exponential backoff. An SMTP server that is down delays mail, it does not lose
//! it: the job stays queued until delivery succeeds or its attempts are used up (then it is marked
//! failed and shown to operators).

pub mod queue;
pub mod smtp;
pub mod templates;

use serde::{Deserialize, Serialize};

/// A rendered mail, as stored in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub to: String,
    /// Display name of the sender (the tenant's name); the address is the platform's.
    pub from_name: String,
    /// The tenant's contact address, if it has one.
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The Message-ID, set by the queue from the job (a repeated delivery keeps it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Files sent along (an appointment's `.ics`), text only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file sent with a mail: text (an appointment's `.ics`), or binary in base64 (an image).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    /// e.g. `text/calendar; charset=utf-8; method=PUBLISH`
    pub content_type: String,
    pub content: String,
    /// `content` is base64 (binary files).
    #[serde(default)]
    pub base64: bool,
    /// Shown in the HTML part (`<img src="cid:…">`) instead of offered as a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_id: Option<String>,
}

/// Delivers one message. A trait so that tests can point the worker at any server, or a broken one.
#[async_trait::async_trait]
pub trait MailTransport: Send + Sync {
    async fn send(&self, message: &Message) -> Result<(), String>;
}

pub use queue::{JobSummary, enqueue, process_due, run_worker};
pub use smtp::{SmtpSettings, SmtpTls, SmtpTransport};
pub use templates::{Branding, Mail, Text, render};
