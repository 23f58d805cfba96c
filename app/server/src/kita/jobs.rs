//! The scheduled Kita work, on every server: offers not accepted by their deadline expire, so that
//! the next phase can give their places to other children.

use std::time::Duration;

use portal_domain::TenantId;
use portal_web::AppState;

use crate::kit::registry::BoxFuture;

/// One pass over the tenants with a Kita portal; returns how many offers expired.
pub async fn run_once(state: &AppState) -> anyhow::Result<u64> {
    let mut platform = state.db.platform().await?;
    let tenants: Vec<uuid::Uuid> =
        sqlx::query_scalar("select tenant_id from kita_tenant").fetch_all(platform.conn()).await?;
    platform.commit().await?;
    let mut expired = 0;
    for id in tenants {
        let pass = async {
            let mut tx = state.db.tenant(TenantId(id)).await?;
            let n = portal_kita::repo::allocation::expire_due(&mut tx, state.db.now()).await?;
            tx.commit().await?;
            anyhow::Ok(n)
        };
        // one tenant's failure (logged) does not stop the others
        match pass.await {
            Ok(n) => expired += n,
            Err(e) => tracing::warn!(tenant.id = %id, error = %e, "kita jobs of a tenant failed; next run tries again"),
        }
    }
    Ok(expired)
}

/// Every five minutes (deadlines are days).
pub(super) fn job(
    state: &AppState,
    _settings: &portal_settings::Settings,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Option<BoxFuture<'static, ()>> {
    let state = state.clone();
    Some(Box::pin(crate::kit::schedule::every(Duration::from_secs(300), stop, move || {
        let state = state.clone();
        async move {
            match run_once(&state).await {
                Ok(n) if n > 0 => tracing::info!(expired = n, "kita offers expired"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "kita jobs failed; next run tries again"),
            }
        }
    })))
}
