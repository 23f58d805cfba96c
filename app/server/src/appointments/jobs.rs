//! The scheduled appointment work, on every server (rows are claimed with SKIP LOCKED): lets go of
//! holds whose time is up, and mails the reminder before each appointment.

use std::time::Duration;

use portal_appointments::repo;
use portal_domain::TenantId;
use portal_web::AppState;

use super::{booking_lang, mail_booking, when_text};
use crate::kit::registry::BoxFuture;

/// What one run did across all tenants.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub expired: u64,
    pub reminders: u64,
}

/// One pass over the tenants that offer appointments.
pub async fn run_once(state: &AppState) -> anyhow::Result<RunReport> {
    let mut platform = state.db.platform().await?;
    let tenants = repo::tenants(platform.conn()).await?;
    platform.commit().await?;
    let mut report = RunReport::default();
    for id in tenants {
        // one tenant's failure (logged) does not stop the others
        match tenant_pass(state, TenantId(id)).await {
            Ok((expired, reminders)) => {
                report.expired += expired;
                report.reminders += reminders;
            }
            Err(e) => {
                tracing::warn!(tenant.id = %id, error = %e, "appointment jobs of a tenant failed; next run tries again")
            }
        }
    }
    Ok(report)
}

async fn tenant_pass(state: &AppState, tenant: TenantId) -> anyhow::Result<(u64, u64)> {
    let mut tx = state.db.tenant(tenant).await?;
    let expired = repo::expire_holds(&mut tx).await?;
    let mut reminders = 0;
    if let Some(settings) = repo::settings(&mut tx).await?
        && settings.reminder_hours > 0
    {
        for b in repo::due_reminders(&mut tx, settings.reminder_hours).await? {
            let Some(loc) = repo::location(&mut tx, b.location).await? else { continue };
            let lang = booking_lang(&b);
            // account bookings link to "Meine Termine"; guests use the link of their confirmation
            let link = match b.citizen {
                Some(_) => format!("{}{}", b.portal_url, super::paths::MINE_ONE.with(&[&b.id])),
                None => format!("{}{}", b.portal_url, super::paths::OVERVIEW.path()),
            };
            let mail = crate::appointments::mails::reminder(crate::appointments::mails::About {
                when: when_text(lang, b.starts_at),
                location: loc.name.clone(),
                number: b.number.clone(),
                link,
            });
            mail_booking(&mut tx, &b, &loc, mail, false, "").await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            repo::mark_reminded(&mut tx, b.id).await?;
            reminders += 1;
        }
    }
    tx.commit().await?;
    Ok((expired, reminders))
}

/// Every minute (holds last a few minutes; reminders go out a day ahead).
pub(super) fn job(
    state: &AppState,
    _settings: &portal_settings::Settings,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Option<BoxFuture<'static, ()>> {
    let state = state.clone();
    Some(Box::pin(crate::kit::schedule::every(Duration::from_secs(60), stop, move || {
        let state = state.clone();
        async move {
            match run_once(&state).await {
                Ok(r) if r.expired + r.reminders > 0 => {
                    tracing::info!(expired = r.expired, reminders = r.reminders, "appointment jobs")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "appointment jobs failed; next run tries again"),
            }
        }
    })))
}
