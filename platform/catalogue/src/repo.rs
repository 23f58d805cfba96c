//! Queries on the catalogue: what a tenant offers, service details, presets and the portal search.
//!
//! Tenant-owned data (activations) is reached only through [`TenantTx`]; the reference tables are
//! read on whichever transaction the caller holds.

use portal_db::{Db, DbError, TenantTx};
use portal_domain::{Cents, Lang, Localized, ServiceSlug, TenantId};
use sqlx::{FromRow, PgConnection};

/// A category with its position.
#[derive(Debug, Clone, FromRow)]
pub struct CategoryRow {
    pub category_slug: String,
    pub name_de: String,
    pub name_en: String,
}

impl CategoryRow {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::De => &self.name_de,
            Lang::En => &self.name_en,
        }
    }
}

/// A service as listed on a portal: base texts with the tenant's overrides applied.
#[derive(Debug, Clone, FromRow)]
pub struct ActiveService {
    pub service_slug: String,
    pub category_slug: String,
    pub name_de: String,
    pub name_en: String,
    pub summary_de: String,
    pub summary_en: String,
    pub fee_cents: Option<i64>,
    pub appointment_required: bool,
    /// Fully online in the catalogue, and the tenant offers its online form (its own or the
    /// catalogue's): the badge "Vollständig online" promises only what the portal offers.
    pub fully_online: bool,
}

impl ActiveService {
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_de, &self.name_en)
    }
    pub fn summary(&self, lang: Lang) -> &str {
        lang.pick(&self.summary_de, &self.summary_en)
    }
    pub fn fee(&self) -> Option<Cents> {
        self.fee_cents.and_then(|c| Cents::new(c).ok())
    }
}

/// Everything the service page shows.
#[derive(Debug, Clone, FromRow)]
pub struct ServiceDetail {
    #[sqlx(flatten)]
    pub service: ActiveService,
    pub leika_key: Option<String>,
    pub version: i32,
    /// The tenant offers an online form for it (its own or the catalogue's).
    pub has_form: bool,
    pub description_de: String,
    pub description_en: String,
    pub fee_note_de: String,
    pub fee_note_en: String,
    pub documents: sqlx::types::Json<Vec<Localized>>,
    pub office: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

impl ServiceDetail {
    pub fn description(&self, lang: Lang) -> &str {
        lang.pick(&self.description_de, &self.description_en)
    }
    pub fn fee_note(&self, lang: Lang) -> &str {
        lang.pick(&self.fee_note_de, &self.fee_note_en)
    }
}

/// A tenant's changes to a base service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceOverride {
    pub fee: Option<Cents>,
    pub name: Option<Localized>,
    pub summary: Option<Localized>,
    pub office: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

const ACTIVE_COLUMNS: &str = "
    s.service_slug, s.category_slug,
    coalesce(a.name_de, s.name_de) as name_de, coalesce(a.name_en, s.name_en) as name_en,
    coalesce(a.summary_de, s.summary_de) as summary_de, coalesce(a.summary_en, s.summary_en) as summary_en,
    coalesce(a.fee_cents, s.fee_cents) as fee_cents, s.appointment_required,
    s.fully_online and coalesce(a.form_schema, s.form_schema) is not null as fully_online";

/// Categories in display order.
pub async fn categories(conn: &mut PgConnection) -> Result<Vec<CategoryRow>, DbError> {
    Ok(sqlx::query_as("select category_slug, name_de, name_en from service_category order by position")
        .fetch_all(conn)
        .await?)
}

/// The services a tenant offers, ordered by category and name.
pub async fn active_services(tx: &mut TenantTx, lang: Lang) -> Result<Vec<ActiveService>, DbError> {
    let tenant = tx.tenant_id().0;
    let order = lang.pick("name_de", "name_en");
    let sql = format!(
        "select {ACTIVE_COLUMNS} from service_activation a
         join service_entry s on s.service_slug = a.service_slug
         join service_category c on c.category_slug = s.category_slug
         where a.tenant_id = $1 order by c.position, {order}"
    );
    Ok(sqlx::query_as(&sql).bind(tenant).fetch_all(tx.conn()).await?)
}

/// One active service of the tenant, or `None` if the tenant does not offer it.
pub async fn service_detail(tx: &mut TenantTx, slug: &ServiceSlug) -> Result<Option<ServiceDetail>, DbError> {
    let tenant = tx.tenant_id().0;
    let sql = format!(
        "select {ACTIVE_COLUMNS}, s.leika_key, s.version, coalesce(a.form_schema, s.form_schema) is not null as has_form, s.description_de, s.description_en,
                s.fee_note_de, s.fee_note_en, s.documents, coalesce(a.office, s.office) as office, a.contact_email, a.contact_phone
         from service_activation a join service_entry s on s.service_slug = a.service_slug
         where a.tenant_id = $1 and a.service_slug = $2"
    );
    Ok(sqlx::query_as(&sql).bind(tenant).bind(slug.as_str()).fetch_optional(tx.conn()).await?)
}

/// Splits what a citizen typed into search words: letters and digits only, lower-case, at most 8
/// words of at most 40 characters. Everything else is a separator, so nothing reaches `to_tsquery`
/// that could change its syntax.
pub fn search_words(input: &str) -> Vec<String> {
    input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(40).collect::<String>().to_lowercase())
        .take(8)
        .collect()
}

/// Builds a `to_tsquery` expression: every word must match, as a prefix, either itself or one of its
/// synonyms.
pub fn build_tsquery(words: &[String], synonyms: &std::collections::HashMap<String, Vec<String>>) -> Option<String> {
    let groups: Vec<String> = words
        .iter()
        .map(|w| {
            let mut alternatives = vec![w.clone()];
            if let Some(expansions) = synonyms.get(w) {
                for e in expansions {
                    // an expansion of several words requires all of them
                    let parts = search_words(e);
                    if !parts.is_empty() {
                        alternatives.push(parts.iter().map(|p| format!("{p}:*")).collect::<Vec<_>>().join(" & "));
                    }
                }
            }
            let alts: Vec<String> = alternatives
                .iter()
                .map(|a| if a.contains(":*") { format!("({a})") } else { format!("{a}:*") })
                .collect();
            format!("({})", alts.join(" | "))
        })
        .collect();
    if groups.is_empty() { None } else { Some(groups.join(" & ")) }
}

/// The search synonyms of the catalogue: term → expansions.
pub async fn synonyms(conn: &mut PgConnection) -> Result<std::collections::HashMap<String, Vec<String>>, DbError> {
    let rows: Vec<(String, Vec<String>)> =
        sqlx::query_as("select term, expansions from search_synonym").fetch_all(conn).await?;
    Ok(rows.into_iter().collect())
}

/// Full-text search over a tenant's active services: German stemming on German texts, English on
/// English ones, synonyms from the catalogue (held in memory by the caller), best matches first, at
/// most 50. One statement outside any transaction, so one round trip: `portal_search` confines
/// itself to the tenant (row-level security as in a tenant transaction).
pub async fn search(
    db: &Db,
    tenant: TenantId,
    input: &str,
    synonyms: &std::collections::HashMap<String, Vec<String>>,
) -> Result<Vec<ActiveService>, DbError> {
    let Some(query) = build_tsquery(&search_words(input), synonyms) else {
        return Ok(Vec::new());
    };
    Ok(sqlx::query_as("select * from portal_search($1, $2, 50)")
        .bind(tenant.0)
        .bind(query)
        .fetch_all(db.statements())
        .await?)
}

/// Slugs of the services the tenant has switched on.
pub async fn activated_slugs(tx: &mut TenantTx) -> Result<Vec<String>, DbError> {
    let tenant = tx.tenant_id().0;
    Ok(sqlx::query_scalar("select service_slug from service_activation where tenant_id = $1 order by service_slug")
        .bind(tenant)
        .fetch_all(tx.conn())
        .await?)
}

/// Switches a base service on (keeping existing overrides) or off. Returns whether anything changed.
pub async fn set_active(tx: &mut TenantTx, slug: &ServiceSlug, active: bool) -> Result<bool, DbError> {
    let tenant = tx.tenant_id().0;
    let result = if active {
        sqlx::query(
            "insert into service_activation (tenant_id, service_slug, seen_version)
             select $1, service_slug, version from base_service where service_slug = $2
             on conflict (tenant_id, service_slug) do nothing",
        )
        .bind(tenant)
        .bind(slug.as_str())
        .execute(tx.conn())
        .await?
    } else {
        sqlx::query("delete from service_activation where tenant_id = $1 and service_slug = $2")
            .bind(tenant)
            .bind(slug.as_str())
            .execute(tx.conn())
            .await?
    };
    Ok(result.rows_affected() > 0)
}

/// Makes the tenant's selection of base services exactly `slugs` (unknown slugs are ignored);
/// overrides of services that stay on are kept, and the tenant's own services are not touched.
pub async fn set_selection(tx: &mut TenantTx, slugs: &[String]) -> Result<(), DbError> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "delete from service_activation where tenant_id = $1 and base_slug is not null and service_slug <> all($2)",
    )
    .bind(tenant)
    .bind(slugs)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into service_activation (tenant_id, service_slug, seen_version)
         select $1, service_slug, version from base_service where service_slug = any($2)
         on conflict (tenant_id, service_slug) do nothing",
    )
    .bind(tenant)
    .bind(slugs)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Switches on every service of a preset (adds to what is on). Returns how many were added, or
/// `None` if there is no such preset.
pub async fn apply_preset(tx: &mut TenantTx, preset: &str) -> Result<Option<u64>, DbError> {
    let exists: bool = sqlx::query_scalar("select exists (select 1 from catalogue_preset where preset_slug = $1)")
        .bind(preset)
        .fetch_one(tx.conn())
        .await?;
    if !exists {
        return Ok(None);
    }
    let tenant = tx.tenant_id().0;
    let added = sqlx::query(
        "insert into service_activation (tenant_id, service_slug, seen_version)
         select $1, s.service_slug, s.version from catalogue_preset_service p
         join base_service s on s.service_slug = p.service_slug where p.preset_slug = $2
         on conflict (tenant_id, service_slug) do nothing",
    )
    .bind(tenant)
    .bind(preset)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(Some(added))
}

/// Sets (or clears, with `ServiceOverride::default()`) the tenant's overrides of an active service.
pub async fn set_override(tx: &mut TenantTx, slug: &ServiceSlug, o: &ServiceOverride) -> Result<bool, DbError> {
    let tenant = tx.tenant_id().0;
    let r = sqlx::query(
        "update service_activation set fee_cents = $3, name_de = $4, name_en = $5, summary_de = $6, summary_en = $7,
             office = $8, contact_email = $9, contact_phone = $10
         where tenant_id = $1 and service_slug = $2",
    )
    .bind(tenant)
    .bind(slug.as_str())
    .bind(o.fee.map(Cents::get))
    .bind(o.name.as_ref().map(|n| n.de.as_str()))
    .bind(o.name.as_ref().map(|n| n.en.as_str()))
    .bind(o.summary.as_ref().map(|n| n.de.as_str()))
    .bind(o.summary.as_ref().map(|n| n.en.as_str()))
    .bind(o.office.as_deref())
    .bind(o.contact_email.as_deref())
    .bind(o.contact_phone.as_deref())
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() > 0)
}

/// A base service as the console lists it.
#[derive(Debug, Clone, FromRow)]
pub struct BaseServiceRow {
    pub service_slug: String,
    pub category_slug: String,
    pub name_de: String,
    pub name_en: String,
    pub leika_key: Option<String>,
    pub version: i32,
}

impl BaseServiceRow {
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_de, &self.name_en)
    }
}

/// The whole base catalogue, by category and name.
pub async fn base_services(conn: &mut PgConnection) -> Result<Vec<BaseServiceRow>, DbError> {
    Ok(sqlx::query_as(
        "select s.service_slug, s.category_slug, s.name_de, s.name_en, s.leika_key, s.version
         from base_service s join service_category c using (category_slug) order by c.position, s.name_de",
    )
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_strip_syntax() {
        assert_eq!(search_words("Perso & !(ab:*)"), vec!["perso", "ab"]);
        assert_eq!(search_words("  "), Vec::<String>::new());
        assert_eq!(search_words("Müll-Tonne"), vec!["müll", "tonne"]);
    }

    #[test]
    fn tsquery_expands_synonyms() {
        let mut syn = std::collections::HashMap::new();
        syn.insert("perso".to_owned(), vec!["personalausweis".to_owned()]);
        let q = build_tsquery(&["perso".into(), "neu".into()], &syn);
        assert_eq!(q.as_deref(), Some("(perso:* | (personalausweis:*)) & (neu:*)"));
    }
}
