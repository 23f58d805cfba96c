//! The scheduled payment work, on every server (rows are claimed with SKIP LOCKED, daily exports
//! are stored once per tenant and day): reminders for pay-later fees before their deadline,
//! cancelling abandoned PaymentIntents (a payment page left without paying), and the cash office's
//! daily CSV export of the previous day.

use std::time::Duration;

use portal_db::{Db, TenantTx};
use portal_domain::{Lang, TenantId};
use portal_payments::repo;
use portal_payments::{GatewayError, PaymentGateway, PaymentStatus};
use portal_web::AppState;
use uuid::Uuid;

use crate::flows::payment as payflow;
use crate::kit::dates::money;
use crate::kit::registry::BoxFuture;

/// What one run did across all tenants.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub reminders: u64,
    pub expired: u64,
    pub exports: u64,
}

/// One pass over the tenants that take online payments (a connected account: only they have
/// payments, reminders and exports; the thousands of others cost nothing here).
pub async fn run_once(state: &AppState) -> anyhow::Result<RunReport> {
    let mut platform = state.db.platform().await?;
    let tenants: Vec<Uuid> = sqlx::query_scalar("select tenant_id from stripe_account order by tenant_id")
        .fetch_all(platform.conn())
        .await?;
    platform.commit().await?;
    let mut report = RunReport::default();
    let yesterday = state.db.clock().today().previous_day();
    for id in tenants {
        let tenant = TenantId(id);
        let mut tx = state.db.tenant(tenant).await?;
        check_account(state.payments.as_ref(), &mut tx).await?;
        report.reminders += remind(state, &mut tx).await?;
        report.expired += expire(state, &mut tx).await?;
        if let Some(day) = yesterday
            && repo::export_csv(&mut tx, day).await?.is_none()
        {
            let (csv, rows, total) = portal_payments::export::day_csv(&mut tx, day, None).await?;
            if repo::store_export(&mut tx, day, rows, total, &csv).await? {
                report.exports += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// Keeps the connected account's onboarding state current (also updated by `account.updated`
/// webhooks): unchecked accounts at once, the others every six hours.
async fn check_account(gateway: &dyn PaymentGateway, tx: &mut TenantTx) -> anyhow::Result<()> {
    let setup = repo::setup(tx).await?;
    let stale = setup.checked_at.is_none_or(|t| t < tx.now() - time::Duration::hours(6));
    if let (Some(account), true, true) = (&setup.stripe_account_id, stale, gateway.configured()) {
        match gateway.retrieve_account(account).await {
            Ok(a) => repo::record_account(tx, &a).await?,
            Err(e) => tracing::warn!(error = %e, "checking the connected account failed; next run tries again"),
        }
    }
    Ok(())
}

/// Fetches the onboarding state of every tenant's connected account that was never checked or not
/// for six hours (start-up of a fresh deployment, tests).
pub async fn check_accounts(db: &Db, gateway: &dyn PaymentGateway) -> anyhow::Result<()> {
    let mut platform = db.platform().await?;
    let tenants: Vec<Uuid> =
        sqlx::query_scalar("select tenant_id from stripe_account").fetch_all(platform.conn()).await?;
    platform.commit().await?;
    for id in tenants {
        let mut tx = db.tenant(TenantId(id)).await?;
        check_account(gateway, &mut tx).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn remind(state: &AppState, tx: &mut TenantTx) -> anyhow::Result<u64> {
    let setup = repo::setup(tx).await?;
    let due = repo::reminders_due(tx, setup.reminder_days).await?;
    let mut sent = 0;
    for p in due {
        let Some(case_id) = p.case_id else { continue };
        let Some(case) = portal_cases::get(tx, case_id).await? else { continue };
        let to = crate::flows::filing::applicant_email(tx, &case).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if let (Some(to), Some(ctx)) = (to, payflow::context_for(state, &p.portal_url)) {
            let lang = Lang::from_code(&p.lang).unwrap_or_default();
            let mail = crate::payments::mails::reminder(
                crate::payments::mails::About {
                    service: case.service_name.get(lang).to_owned(),
                    amount: money(p.amount_cents, lang),
                    kassenzeichen: p.kassenzeichen.clone(),
                },
                case.reference.clone(),
                p.due_at.map(crate::kit::dates::fmt_date).unwrap_or_default(),
                payflow::payer_link(&p, Some(&case), crate::kit::links::PAY_SUFFIX),
            );
            crate::kit::mail::queue(tx, &ctx, &p.portal_url, lang, &to, mail)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            sent += 1;
        }
        repo::mark_reminded(tx, p.payment_id).await?;
    }
    Ok(sent)
}

/// Cancels PaymentIntents of drafts nobody paid within the expiry time; the citizen may still pay
/// later (a new attempt starts a new intent). A payment that turns out to be paid is applied.
async fn expire(state: &AppState, tx: &mut TenantTx) -> anyhow::Result<u64> {
    let abandoned = repo::abandoned(tx, state.payment_config.intent_expiry_hours).await?;
    let mut expired = 0;
    for p in abandoned {
        let Some(intent) = p.intent_id.clone() else { continue };
        match state.payments.cancel_intent(&p.stripe_account_id, &intent).await {
            Ok(_) => {
                repo::next_attempt(tx, p.payment_id, PaymentStatus::Expired).await?;
                expired += 1;
            }
            Err(GatewayError::Refused { .. }) => {
                // Stripe will not cancel it: it was paid or is being paid; take its state
                let _ = payflow::refresh(state, tx, &p).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            }
            Err(e) => {
                tracing::warn!(payment = %p.payment_id, error = %e, "cancelling an abandoned PaymentIntent failed; next run tries again")
            }
        }
    }
    Ok(expired)
}

/// Runs [`run_once`] every `every` until shut down.
pub async fn run_loop(state: AppState, every: Duration, shutdown: tokio::sync::watch::Receiver<bool>) {
    crate::kit::schedule::every(every, shutdown, || async {
        match run_once(&state).await {
            Ok(r) => {
                metrics::counter!("payment_reminders_total").increment(r.reminders);
                metrics::counter!("payment_intents_expired_total").increment(r.expired);
                metrics::counter!("payment_exports_total").increment(r.exports);
            }
            Err(e) => tracing::warn!(error = %e, "payment jobs failed"),
        }
    })
    .await;
}

/// The payment jobs as a capability job: started when the settings make this server a payment
/// worker.
pub fn start(
    state: &AppState,
    settings: &portal_settings::Settings,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Option<BoxFuture<'static, ()>> {
    let every = Duration::from_secs(settings.payments.job_interval_secs.max(1));
    settings.payments.worker.then(|| Box::pin(run_loop(state.clone(), every, stop)) as BoxFuture<'static, ()>)
}
