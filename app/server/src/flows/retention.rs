//! The scheduled retention run: in every tenant, completed cases older than their service's
//! retention period are anonymised and expired drafts deleted; each run that changed something is
//! recorded in the tenant's audit log. Safe to run on every server at once (rows are claimed with
//! SKIP LOCKED).

use std::time::Duration;

use portal_authz::audit::{self, Event};
use portal_authz::{ActorKind, Domain, Principal};
use portal_db::Db;
use portal_domain::TenantId;
use uuid::Uuid;

/// What one run did across all tenants.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub tenants: u64,
    pub anonymised: u64,
    pub drafts_deleted: u64,
}

/// One pass over all tenants.
pub async fn run_once(db: &Db) -> anyhow::Result<RunReport> {
    let mut platform = db.platform().await?;
    let tenants: Vec<Uuid> =
        sqlx::query_scalar("select tenant_id from tenant order by tenant_id").fetch_all(platform.conn()).await?;
    platform.commit().await?;
    let mut report = RunReport::default();
    for id in tenants {
        let tenant = TenantId(id);
        let mut tx = db.tenant(tenant).await?;
        let r = portal_cases::apply_retention(&mut tx).await?;
        // the documents of anonymised cases keep only what a check of a valid one compares
        let documents =
            portal_documents::repo::anonymise(&mut tx, db.now().date()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if documents > 0 {
            tracing::info!(tenant.id = %id, documents, "documents of anonymised cases anonymised");
        }
        report.tenants += 1;
        if !r.anonymised.is_empty() || r.drafts_deleted > 0 {
            let system = Principal {
                domain: Domain::Tenant(tenant),
                actor_kind: ActorKind::System,
                actor_id: Uuid::nil(),
                name: "Aufbewahrungsfristen".into(),
                roles: vec![],
                scope_services: vec![],
            };
            let detail = serde_json::json!({ "anonymised": r.anonymised, "drafts_deleted": r.drafts_deleted });
            audit::record(
                tx.conn(),
                &system,
                None,
                Event {
                    tenant: Some(tenant),
                    action: "case.retention",
                    object: format!("{} cases", r.anonymised.len()),
                    detail,
                },
            )
            .await?;
            tracing::info!(tenant.id = %id, anonymised = r.anonymised.len(), drafts = r.drafts_deleted, "retention applied");
        }
        report.anonymised += r.anonymised.len() as u64;
        report.drafts_deleted += r.drafts_deleted;
        tx.commit().await?;
    }
    Ok(report)
}

/// Runs [`run_once`] every `every` until shut down.
pub async fn run_loop(db: Db, every: Duration, shutdown: tokio::sync::watch::Receiver<bool>) {
    crate::kit::schedule::every(every, shutdown, || async {
        match run_once(&db).await {
            Ok(r) => metrics::counter!("case_retention_anonymised_total").increment(r.anonymised),
            Err(e) => tracing::warn!(error = %e, "retention run failed"),
        }
    })
    .await;
}
