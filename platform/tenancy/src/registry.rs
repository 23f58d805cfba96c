//! The in-memory registry of tenant host names: how a request's `Host` becomes a tenant without a
//! database round trip.
//!
//! Every app server keeps its own copy. A change made through this server reloads it at once; changes
//! made by other servers arrive through Postgres `NOTIFY tenant_registry` (triggers on `tenant` and
//! `tenant_domain`), and a periodic reload covers notifications lost while disconnected.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use portal_db::{Db, DbError};
use portal_domain::{HostName, TenantId, TenantStatus};
use sqlx::postgres::PgListener;
use uuid::Uuid;

/// What the registry knows about the tenant behind a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    pub tenant_id: TenantId,
    pub slug: String,
    pub name: String,
    pub status: TenantStatus,
    /// The tenant's primary host (for canonical links).
    pub primary_host: String,
}

/// Host name → tenant, shared by all requests of a server.
pub struct TenantRegistry {
    db: Db,
    map: RwLock<Arc<HashMap<String, RegistryEntry>>>,
}

impl std::fmt::Debug for TenantRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantRegistry").field("hosts", &self.snapshot().len()).finish()
    }
}

impl TenantRegistry {
    /// Loads the registry from the database.
    pub async fn load(db: Db) -> Result<Arc<Self>, DbError> {
        let registry = Arc::new(Self { db, map: RwLock::new(Arc::new(HashMap::new())) });
        registry.reload().await?;
        Ok(registry)
    }

    fn snapshot(&self) -> Arc<HashMap<String, RegistryEntry>> {
        match self.map.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The tenant serving `host`, if any.
    pub fn resolve(&self, host: &HostName) -> Option<RegistryEntry> {
        self.snapshot().get(host.as_str()).cloned()
    }

    /// Number of known host names.
    pub fn host_count(&self) -> usize {
        self.snapshot().len()
    }

    /// Re-reads all tenants and hosts and swaps the map in one step. Returns the number of hosts.
    pub async fn reload(&self) -> Result<usize, DbError> {
        let started = std::time::Instant::now();
        let mut tx = self.db.platform().await?;
        let rows: Vec<(String, Uuid, String, String, String, Option<String>)> = sqlx::query_as(
            "select d.host, t.tenant_id, t.slug, t.name, t.status,
                    (select p.host from tenant_domain p where p.tenant_id = t.tenant_id and p.is_primary)
             from tenant_domain d join tenant t on t.tenant_id = d.tenant_id",
        )
        .fetch_all(tx.conn())
        .await?;
        tx.commit().await?;
        let map: HashMap<String, RegistryEntry> = rows
            .into_iter()
            .map(|(host, id, slug, name, status, primary)| {
                let entry = RegistryEntry {
                    tenant_id: TenantId(id),
                    slug,
                    name,
                    // an unknown status fails closed: the portal shows the maintenance page
                    status: TenantStatus::parse(&status).unwrap_or(TenantStatus::Suspended),
                    primary_host: primary.unwrap_or_else(|| host.clone()),
                };
                (host, entry)
            })
            .collect();
        let count = map.len();
        match self.map.write() {
            Ok(mut guard) => *guard = Arc::new(map),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(map),
        }
        metrics::gauge!("portal_tenant_hosts").set(count as f64);
        metrics::histogram!("portal_tenant_registry_reload_seconds").record(started.elapsed().as_secs_f64());
        tracing::debug!(hosts = count, elapsed_ms = started.elapsed().as_millis() as u64, "tenant registry reloaded");
        Ok(count)
    }

    /// Keeps the registry current: listens for `tenant_registry` notifications and reloads every
    /// `period` in any case. Runs until the process ends.
    pub fn spawn_refresh(self: &Arc<Self>, period: Duration) -> tokio::task::JoinHandle<()> {
        let registry = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match PgListener::connect_with(registry.db.platform_pool()).await {
                    Ok(mut listener) => {
                        if let Err(e) = listener.listen("tenant_registry").await {
                            tracing::warn!(error = %e, "cannot listen for tenant registry changes");
                        } else {
                            // changes made while we were not listening
                            let _ = registry.reload().await;
                            loop {
                                match tokio::time::timeout(period, listener.recv()).await {
                                    Ok(Ok(_)) | Err(_) => {
                                        if let Err(e) = registry.reload().await {
                                            tracing::warn!(error = %e, "tenant registry reload failed");
                                        }
                                    }
                                    Ok(Err(e)) => {
                                        tracing::warn!(error = %e, "tenant registry listener lost its connection");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot connect the tenant registry listener"),
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        })
    }
}
