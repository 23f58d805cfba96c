//! The reminder before a document ends: once per document, a configurable number of days before
//! (per service and tenant), to holders with an account, with the link that renews it.

use std::time::Duration;

use portal_documents::repo;
use portal_domain::{Lang, TenantId};
use portal_web::AppState;

use super::paths;
use crate::kit::dates::fmt_day;
use crate::kit::registry::BoxFuture;

/// One pass over the tenants that issue documents; returns how many reminders were queued.
pub async fn run_once(state: &AppState) -> anyhow::Result<u64> {
    let mut platform = state.db.platform().await?;
    let tenants: Vec<uuid::Uuid> =
        sqlx::query_scalar("select tenant_id from document_tenant").fetch_all(platform.conn()).await?;
    platform.commit().await?;
    let mut sent = 0;
    for id in tenants {
        let pass = async {
            let mut tx = state.db.tenant(TenantId(id)).await?;
            let mut days = Vec::new();
            for t in state.documents.catalogue.all() {
                days.push((t.service.clone(), repo::setting(&mut tx, t).await?.reminder_days));
            }
            let due = repo::reminders_due(&mut tx, state.db.clock().today(), &days).await?;
            let mut n = 0;
            for d in due {
                let Some(ctx) = crate::flows::payment::context_for(state, &d.portal_url) else {
                    // the portal's address is no longer the tenant's: no link to send, and the row
                    // must not come back every hour
                    tracing::warn!(document = %d.document_id, url = %d.portal_url, "no tenant host for a document's portal; reminder skipped");
                    repo::mark_reminded(&mut tx, d.document_id).await?;
                    continue;
                };
                let email = match d.citizen_id {
                    Some(c) => portal_identity::citizen::get(&mut tx, c).await?.and_then(|a| a.email),
                    None => None,
                };
                let lang = Lang::from_code(&d.lang).unwrap_or_default();
                if let Some(to) = email {
                    let renewal =
                        match state.documents.catalogue.for_service(&d.service_slug).and_then(|t| t.renewal.as_ref()) {
                            Some(slug) => portal_cases::service_form(&mut tx, slug).await?.is_some(),
                            None => false,
                        };
                    let link = if renewal {
                        format!("{}{}", d.portal_url, paths::MINE.path())
                    } else {
                        format!("{}/konto/antraege/{}", d.portal_url, d.case_id)
                    };
                    let mail = crate::documents::mails::expiring(
                        d.title.get(lang).to_owned(),
                        d.number.clone(),
                        fmt_day(d.valid_until),
                        link,
                    );
                    crate::kit::mail::queue(&mut tx, &ctx, &d.portal_url, lang, &to, mail)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                    n += 1;
                }
                repo::mark_reminded(&mut tx, d.document_id).await?;
            }
            tx.commit().await?;
            anyhow::Ok(n)
        };
        // one tenant's failure (logged) does not stop the others
        match pass.await {
            Ok(n) => sent += n,
            Err(e) => {
                tracing::warn!(tenant.id = %id, error = %e, "document reminders of a tenant failed; next run tries again")
            }
        }
    }
    Ok(sent)
}

/// Every hour (reminders are days ahead).
pub(super) fn job(
    state: &AppState,
    _settings: &portal_settings::Settings,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Option<BoxFuture<'static, ()>> {
    let state = state.clone();
    Some(Box::pin(crate::kit::schedule::every(Duration::from_secs(3600), stop, move || {
        let state = state.clone();
        async move {
            match run_once(&state).await {
                Ok(n) if n > 0 => tracing::info!(reminders = n, "document reminders queued"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "document reminders failed; next run tries again"),
            }
        }
    })))
}
