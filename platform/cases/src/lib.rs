//! Online applications ("medienbruchfrei" from first contact to archive).
//!
//! - [`service_form`]: the form a tenant offers for a service (its own override, else the base
//!   catalogue's), remembered by content hash in `form_version` so that drafts and cases keep it.
//! - Drafts: answers saved page by page, owned by a citizen or by a guest's cookie, expiring after
//!   the tenant's draft period; each carries the submission key issued with the form.
//! - Cases: filed once per submission key (a retry finds the first case), with a per-tenant
//!   reference, a status workflow ([`Status`]), a timeline of events (status changes, messages,
//!   internal notes, assignments, documents), attachments and retention.
//!
//! Every function takes a [`TenantTx`]: row-level security confines it to one tenant.

pub mod builder;
mod case;
mod drafts;
mod files;
mod retention;
pub mod status;

pub use case::*;
pub use drafts::*;
pub use files::*;
pub use retention::*;

use portal_db::{DbError, TenantTx};
use portal_domain::{Lang, Localized};
use portal_forms::{Answers, FileRef, FormSchema};
use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

pub use status::Status;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("a case cannot move from {from:?} to {to:?}")]
    InvalidTransition { from: Status, to: Status },
    #[error("this step needs a text")]
    TextRequired,
    #[error("the stored form is invalid: {0}")]
    BadForm(String),
}

impl From<sqlx::Error> for CaseError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Sqlx(e))
    }
}

type Result<T> = std::result::Result<T, CaseError>;

pub fn hash_of(schema: &FormSchema) -> String {
    Sha256::digest(schema.to_json().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The form of a service as a tenant offers it.
#[derive(Debug, Clone)]
pub struct ServiceForm {
    pub slug: String,
    pub name: Localized,
    pub service_version: i32,
    pub schema: FormSchema,
    pub schema_hash: String,
    pub processing_days: i32,
    pub retention_days: i32,
    /// Whether the tenant uses its own form instead of the catalogue's.
    pub overridden: bool,
}

/// The form of an active service of the tenant, or `None` when the service is not active or has
/// no online form.
pub async fn service_form(tx: &mut TenantTx, slug: &str) -> Result<Option<ServiceForm>> {
    let row = sqlx::query(
        "select b.version, coalesce(a.form_schema, b.form_schema) as form, a.form_schema is not null as overridden,
                coalesce(a.name_de, b.name_de) as name_de, coalesce(a.name_en, b.name_en) as name_en,
                a.processing_days, a.retention_days
           from service_activation a join service_entry b using (service_slug)
          where a.service_slug = $1",
    )
    .bind(slug)
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let Some(json) = row.get::<Option<serde_json::Value>, _>("form") else { return Ok(None) };
    let schema: FormSchema = serde_json::from_value(json).map_err(|e| CaseError::BadForm(e.to_string()))?;
    schema.check().map_err(|e| CaseError::BadForm(e.to_string()))?;
    Ok(Some(ServiceForm {
        slug: slug.to_owned(),
        name: Localized { de: row.get("name_de"), en: row.get("name_en") },
        service_version: row.get("version"),
        schema_hash: hash_of(&schema),
        schema,
        processing_days: row.get("processing_days"),
        retention_days: row.get("retention_days"),
        overridden: row.get("overridden"),
    }))
}

/// The name of a service as the tenant shows it (its own name, else the catalogue's).
pub async fn service_name(tx: &mut TenantTx, slug: &str) -> Result<Option<Localized>> {
    let row: Option<(String, String)> = sqlx::query_as(
        "select coalesce(a.name_de, b.name_de), coalesce(a.name_en, b.name_en)
           from service_entry b left join service_activation a using (service_slug) where b.service_slug = $1",
    )
    .bind(slug)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|(de, en)| Localized { de, en }))
}

/// Records the schema under its hash (once per tenant).
pub async fn remember_form(tx: &mut TenantTx, form: &ServiceForm) -> Result<()> {
    let tenant = tx.tenant_id();
    sqlx::query("insert into form_version (tenant_id, schema_hash, service_slug, schema) values ($1, $2, $3, $4) on conflict do nothing")
        .bind(tenant.0)
        .bind(&form.schema_hash)
        .bind(&form.slug)
        .bind(serde_json::to_value(&form.schema).unwrap_or_default())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The schema a draft or case was filled in under.
pub async fn form_version(tx: &mut TenantTx, hash: &str) -> Result<FormSchema> {
    let json: serde_json::Value = sqlx::query_scalar("select schema from form_version where schema_hash = $1")
        .bind(hash)
        .fetch_one(tx.conn())
        .await?;
    serde_json::from_value(json).map_err(|e| CaseError::BadForm(e.to_string()))
}

/// Sets (or with `None` removes) a tenant's own form for a service. The schema must be valid.
pub async fn set_form_override(tx: &mut TenantTx, slug: &str, schema: Option<&FormSchema>) -> Result<bool> {
    let done = sqlx::query("update service_activation set form_schema = $2 where service_slug = $1")
        .bind(slug)
        .bind(schema.map(|s| serde_json::to_value(s).unwrap_or_default()))
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets how long completed cases of a service are kept and when open ones are overdue.
pub async fn set_service_case_settings(
    tx: &mut TenantTx,
    slug: &str,
    retention_days: i32,
    processing_days: i32,
) -> Result<bool> {
    let done =
        sqlx::query("update service_activation set retention_days = $2, processing_days = $3 where service_slug = $1")
            .bind(slug)
            .bind(retention_days)
            .bind(processing_days)
            .execute(tx.conn())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// When a draft saved now expires: after the tenant's draft period (30 days unless set).
const DRAFT_EXPIRY: &str = "app_now() + make_interval(days => coalesce((select draft_days from case_setting), 30))";

/// How long drafts are kept (days).
pub async fn draft_days(tx: &mut TenantTx) -> Result<i32> {
    Ok(sqlx::query_scalar("select draft_days from case_setting").fetch_optional(tx.conn()).await?.unwrap_or(30))
}

pub async fn set_draft_days(tx: &mut TenantTx, days: i32) -> Result<()> {
    let tenant = tx.tenant_id();
    sqlx::query("insert into case_setting (tenant_id, draft_days) values ($1, $2) on conflict (tenant_id) do update set draft_days = excluded.draft_days, updated_at = app_now()")
        .bind(tenant.0)
        .bind(days)
        .execute(tx.conn())
        .await?;
    Ok(())
}
