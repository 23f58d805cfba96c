//! Tenants, their host names (platform tables, [`PlatformTx`]) and their branding and logo
//! (tenant-owned, [`TenantTx`]).

use portal_db::{DbError, PlatformTx, TenantTx};
use portal_domain::{Colour, HostName, Localized, TenantId, TenantKind, TenantSlug, TenantStatus};
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use uuid::Uuid;

use crate::logo::Logo;

/// Why a tenant change was refused.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("the short name `{0}` is already used by another tenant")]
    SlugTaken(String),
    #[error("the host name `{0}` is already used by another tenant")]
    HostTaken(String),
    #[error("a {child} cannot belong to a {parent}")]
    InvalidParent { child: &'static str, parent: &'static str },
    #[error("the parent tenant does not exist")]
    UnknownParent,
    #[error("a tenant cannot be its own ancestor")]
    ParentCycle,
    #[error("no such tenant")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for TenantError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Sqlx(e))
    }
}

/// A tenant as the platform knows it.
#[derive(Debug, Clone, FromRow)]
pub struct Tenant {
    pub tenant_id: Uuid,
    pub slug: String,
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub status: String,
    pub is_demo: bool,
    /// Host names, the primary one first.
    pub hosts: Vec<String>,
    pub parent_name: Option<String>,
}

impl Tenant {
    pub fn id(&self) -> TenantId {
        TenantId(self.tenant_id)
    }
    pub fn kind(&self) -> Option<TenantKind> {
        TenantKind::parse(&self.kind)
    }
    pub fn status(&self) -> TenantStatus {
        TenantStatus::parse(&self.status).unwrap_or(TenantStatus::Suspended)
    }
}

/// What is needed to create or update a tenant, already validated.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: TenantSlug,
    pub kind: TenantKind,
    pub parent: Option<TenantId>,
    pub name: String,
    /// At least one; the first is the primary host.
    pub hosts: Vec<HostName>,
}

const TENANT_SELECT: &str = "
    select t.tenant_id, t.slug, t.kind, t.parent_id, t.name, t.status, t.is_demo,
           coalesce(array_agg(d.host order by d.is_primary desc, d.host) filter (where d.host is not null), '{}') as hosts,
           p.name as parent_name
    from tenant t
    left join tenant_domain d on d.tenant_id = t.tenant_id
    left join tenant p on p.tenant_id = t.parent_id";

/// One page of tenants whose name, slug or a host contains `filter` (case-insensitive), ordered by
/// name, and the number of all matches.
pub async fn search(tx: &mut PlatformTx, filter: &str, limit: i64, offset: i64) -> Result<(Vec<Tenant>, i64), DbError> {
    // LIKE wildcards in the input are matched literally
    let pattern =
        format!("%{}%", filter.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let matching = "select t.tenant_id from tenant t where lower(t.name) like $1 or t.slug like $1
                    or exists (select 1 from tenant_domain d where d.tenant_id = t.tenant_id and d.host like $1)";
    let total: i64 =
        sqlx::query_scalar(&format!("select count(*) from ({matching}) m")).bind(&pattern).fetch_one(tx.conn()).await?;
    let sql = format!(
        "{TENANT_SELECT} where t.tenant_id in ({matching}) group by t.tenant_id, p.name order by t.name limit $2 offset $3"
    );
    let rows = sqlx::query_as(&sql).bind(&pattern).bind(limit).bind(offset).fetch_all(tx.conn()).await?;
    Ok((rows, total))
}

/// Tenants that may be parents (Kreise and Ämter), ordered by name.
pub async fn possible_parents(tx: &mut PlatformTx) -> Result<Vec<(uuid::Uuid, String, String)>, DbError> {
    Ok(sqlx::query_as("select tenant_id, name, kind from tenant where kind in ('kreis', 'amt') order by name")
        .fetch_all(tx.conn())
        .await?)
}

pub async fn get(tx: &mut PlatformTx, id: TenantId) -> Result<Option<Tenant>, DbError> {
    let sql = format!("{TENANT_SELECT} where t.tenant_id = $1 group by t.tenant_id, p.name");
    Ok(sqlx::query_as(&sql).bind(id.0).fetch_optional(tx.conn()).await?)
}

pub async fn get_by_slug(tx: &mut PlatformTx, slug: &str) -> Result<Option<Tenant>, DbError> {
    let sql = format!("{TENANT_SELECT} where t.slug = $1 group by t.tenant_id, p.name");
    Ok(sqlx::query_as(&sql).bind(slug).fetch_optional(tx.conn()).await?)
}

async fn check_parent(
    tx: &mut PlatformTx,
    me: Option<TenantId>,
    kind: TenantKind,
    parent: Option<TenantId>,
) -> Result<(), TenantError> {
    let Some(parent) = parent else { return Ok(()) };
    if Some(parent) == me {
        return Err(TenantError::ParentCycle);
    }
    let parent_kind: Option<String> = sqlx::query_scalar("select kind from tenant where tenant_id = $1")
        .bind(parent.0)
        .fetch_optional(tx.conn())
        .await?;
    let parent_kind = parent_kind.and_then(|k| TenantKind::parse(&k)).ok_or(TenantError::UnknownParent)?;
    if !kind.may_have_parent(parent_kind) {
        return Err(TenantError::InvalidParent { child: kind.as_str(), parent: parent_kind.as_str() });
    }
    if let Some(me) = me {
        // walk up from the parent; meeting `me` would close a cycle
        let cycle: bool = sqlx::query_scalar(
            "with recursive up(id) as (select $1::uuid union select t.parent_id from tenant t join up on t.tenant_id = up.id where t.parent_id is not null)
             select exists (select 1 from up where id = $2)",
        )
        .bind(parent.0)
        .bind(me.0)
        .fetch_one(tx.conn())
        .await?;
        if cycle {
            return Err(TenantError::ParentCycle);
        }
    }
    Ok(())
}

/// Hosts of `hosts` that another tenant than `me` already uses.
pub async fn hosts_taken(
    tx: &mut PlatformTx,
    me: Option<TenantId>,
    hosts: &[HostName],
) -> Result<Vec<String>, DbError> {
    let list: Vec<&str> = hosts.iter().map(HostName::as_str).collect();
    Ok(sqlx::query_scalar(
        "select host from tenant_domain where host = any($1) and tenant_id is distinct from $2 order by host",
    )
    .bind(&list)
    .bind(me.map(|m| m.0))
    .fetch_all(tx.conn())
    .await?)
}

fn map_unique(e: sqlx::Error, new: &NewTenant) -> TenantError {
    match portal_db::violated(&e) {
        Some("tenant_slug_key") => TenantError::SlugTaken(new.slug.to_string()),
        Some("tenant_domain_pkey") => {
            TenantError::HostTaken(new.hosts.first().map(|h| h.to_string()).unwrap_or_default())
        }
        _ => e.into(),
    }
}

/// Creates a tenant with its hosts. Demo tenants are marked so that only they are pruned by the
/// demo sync.
pub async fn create(tx: &mut PlatformTx, new: &NewTenant, is_demo: bool) -> Result<TenantId, TenantError> {
    check_parent(tx, None, new.kind, new.parent).await?;
    if let Some(h) = hosts_taken(tx, None, &new.hosts).await?.into_iter().next() {
        return Err(TenantError::HostTaken(h));
    }
    let id = TenantId(Uuid::now_v7());
    sqlx::query("insert into tenant (tenant_id, slug, kind, parent_id, name, is_demo) values ($1, $2, $3, $4, $5, $6)")
        .bind(id.0)
        .bind(new.slug.as_str())
        .bind(new.kind.as_str())
        .bind(new.parent.map(|p| p.0))
        .bind(&new.name)
        .bind(is_demo)
        .execute(tx.conn())
        .await
        .map_err(|e| map_unique(e, new))?;
    replace_hosts(tx, id, &new.hosts).await.map_err(|e| match e {
        TenantError::Db(DbError::Sqlx(e)) => map_unique(e, new),
        other => other,
    })?;
    Ok(id)
}

/// Updates a tenant's attributes and hosts.
pub async fn update(tx: &mut PlatformTx, id: TenantId, new: &NewTenant) -> Result<(), TenantError> {
    check_parent(tx, Some(id), new.kind, new.parent).await?;
    if let Some(h) = hosts_taken(tx, Some(id), &new.hosts).await?.into_iter().next() {
        return Err(TenantError::HostTaken(h));
    }
    let updated = sqlx::query("update tenant set slug = $2, kind = $3, parent_id = $4, name = $5 where tenant_id = $1")
        .bind(id.0)
        .bind(new.slug.as_str())
        .bind(new.kind.as_str())
        .bind(new.parent.map(|p| p.0))
        .bind(&new.name)
        .execute(tx.conn())
        .await
        .map_err(|e| map_unique(e, new))?;
    if updated.rows_affected() == 0 {
        return Err(TenantError::NotFound);
    }
    replace_hosts(tx, id, &new.hosts).await
}

async fn replace_hosts(tx: &mut PlatformTx, id: TenantId, hosts: &[HostName]) -> Result<(), TenantError> {
    let list: Vec<&str> = hosts.iter().map(HostName::as_str).collect();
    sqlx::query("delete from tenant_domain where tenant_id = $1 and host <> all($2)")
        .bind(id.0)
        .bind(&list)
        .execute(tx.conn())
        .await?;
    // clear the primary flag first: the partial unique index allows one primary per tenant
    sqlx::query("update tenant_domain set is_primary = false where tenant_id = $1")
        .bind(id.0)
        .execute(tx.conn())
        .await?;
    for (i, host) in hosts.iter().enumerate() {
        sqlx::query(
            "insert into tenant_domain (host, tenant_id, is_primary) values ($1, $2, $3)
             on conflict (host) do update set is_primary = excluded.is_primary where tenant_domain.tenant_id = excluded.tenant_id",
        )
        .bind(host.as_str())
        .bind(id.0)
        .bind(i == 0)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// Suspends or re-activates a tenant. Returns false if there is no such tenant.
pub async fn set_status(tx: &mut PlatformTx, id: TenantId, status: TenantStatus) -> Result<bool, DbError> {
    let r = sqlx::query("update tenant set status = $2 where tenant_id = $1")
        .bind(id.0)
        .bind(status.as_str())
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() > 0)
}

/// A tenant's branding: what its portal looks like and the legal pages it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Branding {
    pub display_name: String,
    pub primary_colour: Colour,
    pub secondary_colour: Colour,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub imprint: Localized,
    pub privacy: Localized,
    pub accessibility: Localized,
}

#[derive(FromRow)]
struct BrandingRow {
    display_name: String,
    primary_colour: String,
    secondary_colour: String,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    address: Option<String>,
    imprint_de: String,
    imprint_en: String,
    privacy_de: String,
    privacy_en: String,
    accessibility_de: String,
    accessibility_en: String,
    logo_sha256: Option<String>,
}

/// The tenant's branding and the hash of its logo (if any), in one round trip: what every page's
/// frame needs.
pub async fn branding_and_logo_hash(tx: &mut TenantTx) -> Result<Option<(Branding, Option<String>)>, DbError> {
    let tenant = tx.tenant_id().0;
    let row: Option<BrandingRow> = sqlx::query_as(
        "select b.display_name, b.primary_colour, b.secondary_colour, b.contact_email, b.contact_phone, b.address,
                b.imprint_de, b.imprint_en, b.privacy_de, b.privacy_en, b.accessibility_de, b.accessibility_en,
                l.sha256 as logo_sha256
         from tenant_branding b left join tenant_logo l on l.tenant_id = b.tenant_id
         where b.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| {
        let branding = Branding {
            display_name: r.display_name,
            // the table's check constraint guarantees the format
            primary_colour: Colour::parse(&r.primary_colour).unwrap_or_default(),
            secondary_colour: Colour::parse(&r.secondary_colour).unwrap_or_default(),
            contact_email: r.contact_email,
            contact_phone: r.contact_phone,
            address: r.address,
            imprint: Localized { de: r.imprint_de, en: r.imprint_en },
            privacy: Localized { de: r.privacy_de, en: r.privacy_en },
            accessibility: Localized { de: r.accessibility_de, en: r.accessibility_en },
        };
        (branding, r.logo_sha256)
    }))
}

/// Creates or replaces the tenant's branding.
pub async fn save_branding(tx: &mut TenantTx, b: &Branding) -> Result<(), DbError> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into tenant_branding (tenant_id, display_name, primary_colour, secondary_colour, contact_email, contact_phone,
             address, imprint_de, imprint_en, privacy_de, privacy_en, accessibility_de, accessibility_en)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         on conflict (tenant_id) do update set display_name = excluded.display_name, primary_colour = excluded.primary_colour,
             secondary_colour = excluded.secondary_colour, contact_email = excluded.contact_email,
             contact_phone = excluded.contact_phone, address = excluded.address, imprint_de = excluded.imprint_de,
             imprint_en = excluded.imprint_en, privacy_de = excluded.privacy_de, privacy_en = excluded.privacy_en,
             accessibility_de = excluded.accessibility_de, accessibility_en = excluded.accessibility_en",
    )
    .bind(tenant)
    .bind(&b.display_name)
    .bind(b.primary_colour.as_str())
    .bind(b.secondary_colour.as_str())
    .bind(b.contact_email.as_deref())
    .bind(b.contact_phone.as_deref())
    .bind(b.address.as_deref())
    .bind(&b.imprint.de)
    .bind(&b.imprint.en)
    .bind(&b.privacy.de)
    .bind(&b.privacy.en)
    .bind(&b.accessibility.de)
    .bind(&b.accessibility.en)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The stored logo: content type, bytes and hex sha-256.
pub async fn logo(tx: &mut TenantTx) -> Result<Option<(String, Vec<u8>, String)>, DbError> {
    let tenant = tx.tenant_id().0;
    Ok(sqlx::query_as("select content_type, bytes, sha256 from tenant_logo where tenant_id = $1")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await?)
}

/// Stores (or replaces) the tenant's logo; returns its hash.
pub async fn save_logo(tx: &mut TenantTx, logo: &Logo) -> Result<String, DbError> {
    let tenant = tx.tenant_id().0;
    let sha: String = Sha256::digest(&logo.bytes).iter().map(|b| format!("{b:02x}")).collect();
    sqlx::query(
        "insert into tenant_logo (tenant_id, content_type, bytes, sha256) values ($1, $2, $3, $4)
         on conflict (tenant_id) do update set content_type = excluded.content_type, bytes = excluded.bytes,
             sha256 = excluded.sha256, updated_at = app_now()
         where tenant_logo.sha256 <> excluded.sha256",
    )
    .bind(tenant)
    .bind(logo.content_type)
    .bind(&logo.bytes)
    .bind(&sha)
    .execute(tx.conn())
    .await?;
    Ok(sha)
}
