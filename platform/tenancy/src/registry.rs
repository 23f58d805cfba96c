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
    map: RwLock<Arc<HashMap<String, Arc<RegistryEntry>>>>,
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

    fn snapshot(&self) -> Arc<HashMap<String, Arc<RegistryEntry>>> {
        match self.map.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The tenant serving `host`, if any (shared, not copied: every request asks).
    pub fn resolve(&self, host: &HostName) -> Option<Arc<RegistryEntry>> {
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
        let map: HashMap<String, Arc<RegistryEntry>> = rows
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
                (host, Arc::new(entry))
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

    /// Loads the registry after it has begun listening for changes (so none falls between the two)
    /// and keeps it current: see [`Self::spawn_refresh`].
    pub async fn start(
        db: Db,
        period: Duration,
        on_content: Arc<dyn Fn(Change) + Send + Sync>,
    ) -> Result<Arc<Self>, DbError> {
        let registry = Arc::new(Self { db, map: RwLock::new(Arc::new(HashMap::new())) });
        let listener = registry.listen(on_content.as_ref()).await;
        if listener.is_none() {
            // the listener could not connect (it keeps trying); the registry must load all the same
            registry.reload().await?;
        }
        registry.follow_from(listener, period, on_content);
        Ok(registry)
    }

    /// Keeps the registry current and tells `on_content` what portal content changed: listens for
    /// `tenant_registry` notifications (see [`Change`]) and reloads every `period` in any case.
    /// Returns once it listens (or its first attempt failed), having reloaded and reported
    /// [`Change::All`]: nothing changed before is missed. After the listening connection was lost
    /// (notifications sent meanwhile are gone), it does the same again. Runs until the process ends.
    pub async fn spawn_refresh(
        self: &Arc<Self>,
        period: Duration,
        on_content: Arc<dyn Fn(Change) + Send + Sync>,
    ) -> tokio::task::JoinHandle<()> {
        let listener = self.listen(on_content.as_ref()).await;
        self.follow_from(listener, period, on_content)
    }

    /// Follows `listener` (if it connected), and connects again whenever it is lost.
    fn follow_from(
        self: &Arc<Self>,
        mut listener: Option<PgListener>,
        period: Duration,
        on_content: Arc<dyn Fn(Change) + Send + Sync>,
    ) -> tokio::task::JoinHandle<()> {
        let registry = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if let Some(mut l) = listener.take() {
                    registry.follow(&mut l, period, on_content.as_ref()).await;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
                listener = registry.listen(on_content.as_ref()).await;
            }
        })
    }

    /// Connects a listener; once it listens, reloads and reports that anything may have changed.
    async fn listen(&self, on_content: &(dyn Fn(Change) + Send + Sync)) -> Option<PgListener> {
        let mut listener = match PgListener::connect_with(self.db.platform_pool()).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot connect the tenant registry listener");
                return None;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "cannot listen for tenant registry changes");
            return None;
        }
        // changes made while we were not listening
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "tenant registry reload failed");
        }
        on_content(Change::All);
        Some(listener)
    }

    /// Handles notifications until the connection is lost.
    async fn follow(&self, listener: &mut PgListener, period: Duration, on_content: &(dyn Fn(Change) + Send + Sync)) {
        loop {
            // `try_recv` (unlike `recv`) says when the connection was lost instead of reconnecting
            // silently past the notifications sent meanwhile
            let change = match tokio::time::timeout(period, listener.try_recv()).await {
                Ok(Ok(Some(n))) => Change::parse(n.payload()),
                Ok(Ok(None)) => {
                    tracing::warn!("tenant registry listener lost its connection");
                    return;
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "tenant registry listener failed");
                    return;
                }
                Err(_) => Change::Hosts,
            };
            metrics::counter!("portal_change_notifications_total", "kind" => change.kind()).increment(1);
            if matches!(change, Change::Hosts | Change::All)
                && let Err(e) = self.reload().await
            {
                tracing::warn!(error = %e, "tenant registry reload failed");
            }
            if change != Change::Hosts {
                on_content(change);
            }
        }
    }
}

/// The notification channel of tenant, host and content changes (migrations: `notify_change`,
/// `notify_tenant_content`).
pub const CHANNEL: &str = "tenant_registry";

/// What a notification on [`CHANNEL`] says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Tenants or host names: the registry reloads.
    Hosts,
    /// The portal content of one tenant (branding, logo, services, overrides, status).
    Tenant(TenantId),
    /// The shared catalogue, or anything not understood: every tenant's content.
    All,
}

impl Change {
    /// Reads a payload. One it does not know (a newer or older server's) counts as everything.
    pub fn parse(payload: &str) -> Self {
        match payload.split_once(':') {
            _ if payload == "hosts" => Self::Hosts,
            Some(("tenant", id)) => Uuid::parse_str(id).map_or(Self::All, |id| Self::Tenant(TenantId(id))),
            _ => Self::All,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Self::Hosts => "hosts",
            Self::Tenant(_) => "tenant",
            Self::All => "all",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads() {
        let id = Uuid::from_u128(7);
        assert_eq!(Change::parse("hosts"), Change::Hosts);
        assert_eq!(Change::parse(&format!("tenant:{id}")), Change::Tenant(TenantId(id)));
        assert_eq!(Change::parse("catalogue"), Change::All);
        assert_eq!(Change::parse("tenant:kaputt"), Change::All);
        // the payload of servers before the content cache: everything
        assert_eq!(Change::parse("tenant_domain"), Change::All);
    }
}
