//! Stripe's webhooks: the signature (HMAC-SHA256 over `timestamp.payload` with the endpoint's
//! signing secret, five minutes' tolerance on the timestamp, checked by async-stripe's
//! `stripe_webhook`) and what an event tells the platform.

use stripe_webhook::{EventObject, Webhook, WebhookError};

use crate::gateway::{RemoteAccount, RemoteIntent, RemoteRefund};

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the signature does not match")]
    Signature,
    #[error("the signature's timestamp is outside the tolerance (replayed or delayed)")]
    Timestamp,
    #[error("the event could not be read: {0}")]
    Parse(String),
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Intent(RemoteIntent),
    Refund(RemoteRefund),
    Account(RemoteAccount),
    /// An event type the platform does not act on.
    Other,
}

/// A verified event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEvent {
    pub id: String,
    pub event_type: String,
    /// The connected account it happened on (Connect events).
    pub account: Option<String>,
    /// Unix seconds.
    pub created: i64,
    pub subject: Subject,
}

impl VerifiedEvent {
    /// The id of the object the event is about (for the event log).
    pub fn object_id(&self) -> &str {
        match &self.subject {
            Subject::Intent(i) => &i.id,
            Subject::Refund(r) => &r.id,
            Subject::Account(a) => &a.id,
            Subject::Other => "",
        }
    }
}

/// Checks the `Stripe-Signature` header against the payload and reads the event; `now` is Unix
/// seconds (a parameter so that the tolerance can be tested).
pub fn verify(payload: &str, signature: &str, secret: &str, now: i64) -> Result<VerifiedEvent, EventError> {
    let event = Webhook::construct_event_with_timestamp(payload, signature, secret, now).map_err(|e| match e {
        WebhookError::BadSignature | WebhookError::BadKey | WebhookError::BadHeader(_) => EventError::Signature,
        WebhookError::BadTimestamp(_) => EventError::Timestamp,
        WebhookError::BadParse(m) => EventError::Parse(m),
    })?;
    let subject = match event.data.object {
        EventObject::PaymentIntentSucceeded(pi)
        | EventObject::PaymentIntentPaymentFailed(pi)
        | EventObject::PaymentIntentProcessing(pi)
        | EventObject::PaymentIntentCanceled(pi)
        | EventObject::PaymentIntentRequiresAction(pi)
        | EventObject::PaymentIntentCreated(pi) => Subject::Intent((*pi).into()),
        EventObject::RefundCreated(r)
        | EventObject::RefundUpdated(r)
        | EventObject::RefundFailed(r)
        | EventObject::ChargeRefundUpdated(r) => Subject::Refund((*r).into()),
        EventObject::AccountUpdated(a) => Subject::Account((*a).into()),
        _ => Subject::Other,
    };
    Ok(VerifiedEvent {
        id: event.id.as_str().to_owned(),
        event_type: event.type_.as_str().to_owned(),
        account: event.account,
        created: event.created,
        subject,
    })
}

/// A `Stripe-Signature` header for `payload` (tests and the local stand-in sign like Stripe).
pub fn sign(payload: &str, secret: &str, timestamp: i64) -> String {
    Webhook::generate_test_header(payload, secret, Some(timestamp))
}
