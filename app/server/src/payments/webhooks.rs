//! Stripe's webhook endpoint, on the platform's own host (`POST /webhooks/stripe` on the console
//! host): Connect events of every tenant's account arrive here. Each event is verified by its
//! signature (timestamp tolerance five minutes: a forged or replayed event is refused with 400),
//! mapped to its tenant by the connected account, stored once per event id (a redelivery is
//! acknowledged and changes nothing) and applied only forwards (events arrive out of order).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use portal_payments::repo;
use portal_payments::webhook::{self, EventError, Subject, VerifiedEvent};
use portal_web::{AppError, AppState};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use crate::flows::payment as payflow;
use crate::payments::paths;

pub fn router() -> Router<AppState> {
    Router::new().route(paths::STRIPE.pattern(), post(stripe))
}

fn answer(status: StatusCode, text: &str) -> Response {
    (status, [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], text.to_owned()).into_response()
}

async fn stripe(State(state): State<AppState>, headers: HeaderMap, body: String) -> Result<Response, AppError> {
    let Some(secret) = state.payment_config.webhook_secret.as_ref().filter(|s| !s.expose_secret().is_empty()) else {
        tracing::error!("a Stripe webhook arrived but no signing secret is configured (APP__PAYMENTS__WEBHOOK_SECRET)");
        return Ok(answer(StatusCode::SERVICE_UNAVAILABLE, "not configured"));
    };
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    // the signature's age is measured against Stripe's clock, the real one, never the platform's
    let event =
        match webhook::verify(&body, signature, secret.expose_secret(), OffsetDateTime::now_utc().unix_timestamp()) {
            Ok(e) => e,
            Err(e) => {
                metrics::counter!("stripe_webhooks_total", "outcome" => "refused").increment(1);
                tracing::warn!(error = %e, "Stripe webhook refused");
                let text = match e {
                    EventError::Signature => "bad signature",
                    EventError::Timestamp => "timestamp outside the tolerance",
                    EventError::Parse(_) => "unreadable event",
                };
                return Ok(answer(StatusCode::BAD_REQUEST, text));
            }
        };
    let outcome = apply(&state, &event, &body).await?;
    metrics::counter!("stripe_webhooks_total", "outcome" => outcome).increment(1);
    tracing::info!(event.id = %event.id, event.kind = %event.event_type, outcome, "Stripe webhook");
    Ok(answer(StatusCode::OK, outcome))
}

/// Stores and applies a verified event; the outcome names what happened.
pub async fn apply(state: &AppState, event: &VerifiedEvent, body: &str) -> Result<&'static str, AppError> {
    let Some(account) = &event.account else { return Ok("ignored: no connected account") };
    let mut platform = state.db.platform().await?;
    let tenant = repo::tenant_of_account(platform.conn(), account).await?;
    platform.commit().await?;
    let Some(tenant) = tenant else { return Ok("ignored: unknown account") };
    let mut tx = state.db.tenant(tenant).await?;
    let mut payload: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    // the log keeps what happened, not the intent's client secret
    if let Some(object) =
        payload.get_mut("data").and_then(|d| d.get_mut("object")).and_then(serde_json::Value::as_object_mut)
    {
        object.remove("client_secret");
    }
    if !repo::record_event(
        &mut tx,
        &event.id,
        &event.event_type,
        event.object_id(),
        event.created,
        &payload,
        "received",
    )
    .await?
    {
        tx.commit().await?;
        return Ok("duplicate");
    }
    let outcome = match &event.subject {
        Subject::Intent(intent) => match repo::payment_by_intent(&mut tx, &intent.id, true).await? {
            // the intent must carry this tenant's payment: metadata written by the platform itself
            Some(p) if intent.metadata.get("tenant_id").map(String::as_str) == Some(tenant.0.to_string().as_str()) => {
                let before = p.status;
                let after = payflow::apply(state, &mut tx, &p, intent, event.created).await?;
                if before == after { "applied: no change" } else { "applied" }
            }
            Some(_) => "ignored: intent of another tenant",
            None => "ignored: unknown intent",
        },
        Subject::Refund(r) => {
            if repo::apply_refund_event(&mut tx, r).await? {
                "applied"
            } else {
                "applied: no change"
            }
        }
        Subject::Account(a) => {
            repo::record_account(&mut tx, a).await?;
            "applied"
        }
        Subject::Other => "ignored: event type",
    };
    repo::set_event_outcome(&mut tx, &event.id, outcome).await?;
    tx.commit().await?;
    Ok(outcome)
}
