//! Each tenant's portal content in memory: its branding and logo, the categories and the services it
//! offers with its overrides, and the catalogue's search synonyms. Loaded on a tenant's first request
//! (one load at a time per tenant, however many requests wait for it), kept in a cache bounded in
//! bytes that evicts idle tenants first, and dropped the moment a notification says it changed
//! (`portal_tenancy::Change`, on every server).
//!
//! A load that raced with a change is never kept: every change is stamped from one counter, every
//! load remembers the counter when it began, and a value older than its tenant's last change (or the
//! catalogue's) is thrown away and loaded again. The stamp a value was loaded at is its `version`:
//! rendered pages are keyed by it, so a page made from old content is never found again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use moka::future::Cache;
use portal_catalogue::repo::{self as catalogue, ActiveService, CategoryRow};
use portal_db::{Db, DbError};
use portal_domain::{Lang, TenantId};
use portal_tenancy::{Branding, Change};

/// What the catalogue contributes to every tenant's portal.
#[derive(Debug)]
pub struct CatalogueContent {
    /// Categories in display order.
    pub categories: Vec<CategoryRow>,
    /// Search term → expansions.
    pub synonyms: HashMap<String, Vec<String>>,
    /// The stamp the catalogue was loaded at.
    loaded: u64,
}

/// A tenant's portal content.
#[derive(Debug)]
pub struct TenantContent {
    pub tenant_id: TenantId,
    /// `None` for a tenant without branding yet (the frame falls back to its name).
    pub branding: Option<Branding>,
    pub logo_sha256: Option<String>,
    /// The services it offers, by category position and German name.
    pub services: Vec<ActiveService>,
    /// The same services by category position and English name (indices into `services`).
    services_en: Vec<usize>,
    pub catalogue: Arc<CatalogueContent>,
    /// The stamp this content was loaded at (part of every rendered page's key).
    pub version: u64,
}

impl TenantContent {
    /// The services in the order of `lang`.
    pub fn services_in(&self, lang: Lang) -> Vec<&ActiveService> {
        match lang {
            Lang::De => self.services.iter().collect(),
            Lang::En => self.services_en.iter().filter_map(|&i| self.services.get(i)).collect(),
        }
    }

    /// About how many bytes it holds (the cache's weight).
    fn weight(&self) -> u32 {
        let text = |s: &str| s.len();
        let services: usize = self
            .services
            .iter()
            .map(|s| {
                160 + text(&s.service_slug)
                    + text(&s.category_slug)
                    + text(&s.name_de)
                    + text(&s.name_en)
                    + text(&s.summary_de)
                    + text(&s.summary_en)
            })
            .sum();
        let branding = self.branding.as_ref().map_or(0, |b| {
            200 + text(&b.display_name)
                + [&b.imprint, &b.privacy, &b.accessibility].iter().map(|l| l.de.len() + l.en.len()).sum::<usize>()
                + b.address.as_deref().map_or(0, text)
                + b.contact_email.as_deref().map_or(0, text)
                + b.contact_phone.as_deref().map_or(0, text)
        });
        u32::try_from(256 + services + branding + self.services_en.len() * 8).unwrap_or(u32::MAX)
    }
}

/// Limits of the content cache.
#[derive(Debug, Clone, Copy)]
pub struct ContentLimits {
    /// Bytes of content held at most (all tenants together).
    pub max_bytes: u64,
    /// A tenant not asked for this long is dropped.
    pub idle: Duration,
    /// Content older than this is loaded again even without a notification (a safety net only:
    /// a lost listener connection already empties the cache).
    pub max_age: Duration,
}

impl Default for ContentLimits {
    fn default() -> Self {
        Self { max_bytes: 64 * 1024 * 1024, idle: Duration::from_secs(30 * 60), max_age: Duration::from_secs(15 * 60) }
    }
}

/// Why content could not be loaded (shared by every request that waited for the load).
#[derive(Debug, thiserror::Error)]
#[error("loading the portal content: {0}")]
pub struct ContentError(pub Arc<DbError>);

/// The content of all tenants a server has served lately.
pub struct ContentCache {
    tenants: Cache<TenantId, Arc<TenantContent>>,
    catalogue: RwLock<Option<Arc<CatalogueContent>>>,
    /// The last stamp handed out. A change is stamped when it is heard of; a load that began at a
    /// stamp at least as new has read it.
    clock: AtomicU64,
    /// The stamp of the last change of everything (the catalogue).
    all_changed: AtomicU64,
    /// The stamp of each tenant's last change (at most one entry per tenant).
    changed: RwLock<HashMap<TenantId, u64>>,
}

impl std::fmt::Debug for ContentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentCache")
            .field("tenants", &self.tenants.entry_count())
            .field("bytes", &self.tenants.weighted_size())
            .finish()
    }
}

impl ContentCache {
    pub fn new(limits: ContentLimits) -> Self {
        let tenants = Cache::builder()
            .name("tenant_content")
            .max_capacity(limits.max_bytes)
            .weigher(|_, v: &Arc<TenantContent>| v.weight())
            .time_to_idle(limits.idle)
            .time_to_live(limits.max_age)
            .build();
        Self {
            tenants,
            catalogue: RwLock::new(None),
            clock: AtomicU64::new(1),
            all_changed: AtomicU64::new(0),
            changed: RwLock::new(HashMap::new()),
        }
    }

    /// The tenant's current content: from memory, or loaded (once, for all who ask meanwhile).
    pub async fn get(&self, db: &Db, tenant: TenantId) -> Result<Arc<TenantContent>, ContentError> {
        for _ in 0..3 {
            let content = self
                .tenants
                .try_get_with(tenant, async { self.load(db, tenant).await.map(Arc::new) })
                .await
                .map_err(ContentError)?;
            if self.is_current(&content) {
                return Ok(content);
            }
            // loaded while it changed: never kept
            self.tenants.invalidate(&tenant).await;
        }
        // changing faster than it loads: this request gets a fresh load, nobody keeps it
        Ok(Arc::new(self.load(db, tenant).await.map_err(|e| ContentError(Arc::new(e)))?))
    }

    /// Whether no change has been reported since `content` began loading.
    pub fn is_current(&self, content: &TenantContent) -> bool {
        let tenant_changed = read(&self.changed).get(&content.tenant_id).copied().unwrap_or(0);
        let all_changed = self.all_changed.load(Ordering::Acquire);
        content.version >= tenant_changed && content.version >= all_changed && content.catalogue.loaded >= all_changed
    }

    /// Forgets what `change` says is out of date (the host registry has its own reload).
    pub fn apply(&self, change: Change) {
        match change {
            Change::Hosts => {}
            Change::Tenant(t) => self.invalidate(t),
            Change::All => self.invalidate_all(),
        }
    }

    /// Forgets one tenant's content (after this server changed it; other servers hear of it by
    /// notification).
    pub fn invalidate(&self, tenant: TenantId) {
        let stamp = self.tick();
        // what is held stays until asked for, and then fails `is_current` and is loaded again
        write(&self.changed).insert(tenant, stamp);
    }

    /// Forgets every tenant's content and the catalogue's.
    pub fn invalidate_all(&self) {
        let stamp = self.tick();
        self.all_changed.store(stamp, Ordering::Release);
        // per-tenant stamps older than this one say nothing more
        write(&self.changed).clear();
        *write(&self.catalogue) = None;
        self.tenants.invalidate_all();
    }

    /// Tenants held and their weight in bytes (for `/health` and the benchmarks).
    pub async fn usage(&self) -> (u64, u64) {
        self.tenants.run_pending_tasks().await;
        (self.tenants.entry_count(), self.tenants.weighted_size())
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::AcqRel) + 1
    }

    async fn load(&self, db: &Db, tenant: TenantId) -> Result<TenantContent, DbError> {
        let started = std::time::Instant::now();
        // the stamp before the first read: a change stamped later may not be in what is read
        let version = self.clock.load(Ordering::Acquire);
        let mut tx = db.tenant(tenant).await?;
        let held = read(&self.catalogue).clone();
        let catalogue = match held.filter(|c| c.loaded >= self.all_changed.load(Ordering::Acquire)) {
            Some(c) => c,
            None => {
                let c = Arc::new(CatalogueContent {
                    categories: catalogue::categories(tx.conn()).await?,
                    synonyms: catalogue::synonyms(tx.conn()).await?,
                    loaded: version,
                });
                *write(&self.catalogue) = Some(Arc::clone(&c));
                c
            }
        };
        let (branding, logo_sha256) = match portal_tenancy::repo::branding_and_logo_hash(&mut tx).await? {
            Some((b, logo)) => (Some(b), logo),
            None => (None, None),
        };
        let services = catalogue::active_services(&mut tx, Lang::De).await?;
        tx.commit().await?;
        let position: HashMap<&str, usize> =
            catalogue.categories.iter().enumerate().map(|(i, c)| (c.category_slug.as_str(), i)).collect();
        let mut services_en: Vec<usize> = (0..services.len()).collect();
        services_en.sort_by(|&a, &b| {
            let (a, b) = (&services[a], &services[b]);
            position
                .get(a.category_slug.as_str())
                .cmp(&position.get(b.category_slug.as_str()))
                .then_with(|| a.name_en.cmp(&b.name_en))
        });
        metrics::histogram!("portal_content_load_seconds").record(started.elapsed().as_secs_f64());
        Ok(TenantContent { tenant_id: tenant, branding, logo_sha256, services, services_en, catalogue, version })
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}
