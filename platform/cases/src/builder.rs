//! The form builder's store: the draft of a service's form (one per service, saved with optimistic
//! locking), publishing it (checked as the loader checks, recorded as a numbered version, written
//! as the tenant's form), the versions and the roll back to one of them.

use portal_db::TenantTx;
use portal_forms::FormSchema;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{CaseError, Result, set_form_override};

/// A draft.
#[derive(Debug, Clone, PartialEq)]
pub struct FormDraft {
    pub schema: FormSchema,
    pub revision: i32,
    pub based_on: Option<i32>,
    pub updated_by: String,
    pub updated_at: OffsetDateTime,
    /// What an import could not take over as it was, until the editor fixes the field.
    pub report: Vec<ReportNote>,
}

/// A line of a FIM import's report, kept with the draft next to the field it belongs to.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReportNote {
    pub fim_id: String,
    pub fim_version: String,
    pub field: Option<String>,
    /// Not taken over at all (else: taken over in another form).
    pub unmapped: bool,
    pub message: portal_domain::Localized,
}

/// A published version.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub number: i32,
    pub schema: FormSchema,
    pub schema_hash: String,
    pub published_by: String,
    pub published_at: OffsetDateTime,
    pub restores: Option<i32>,
}

/// What a save or a publication ran into.
#[derive(Debug, thiserror::Error)]
pub enum BuilderError {
    /// Another editor saved since: their revision, by whom.
    #[error("the draft was changed meanwhile (revision {revision} by {by})")]
    Conflict { revision: i32, by: String },
    #[error("no draft to publish")]
    NoDraft,
    #[error("no such version")]
    NoVersion,
    #[error("the service is not active")]
    NotActive,
    #[error(transparent)]
    Invalid(#[from] portal_forms::SchemaError),
    #[error(transparent)]
    Case(#[from] CaseError),
}

impl From<sqlx::Error> for BuilderError {
    fn from(e: sqlx::Error) -> Self {
        BuilderError::Case(CaseError::from(e))
    }
}

fn schema_of(v: serde_json::Value) -> std::result::Result<FormSchema, BuilderError> {
    serde_json::from_value(v).map_err(|e| BuilderError::Invalid(portal_forms::SchemaError::Syntax(e.to_string())))
}

pub async fn draft(tx: &mut TenantTx, slug: &str) -> std::result::Result<Option<FormDraft>, BuilderError> {
    let Some(r) = sqlx::query(
        "select schema, revision, based_on, updated_by, updated_at, report from form_draft where service_slug = $1",
    )
    .bind(slug)
    .fetch_optional(tx.conn())
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(FormDraft {
        schema: schema_of(r.get("schema"))?,
        revision: r.get("revision"),
        based_on: r.get("based_on"),
        updated_by: r.get("updated_by"),
        updated_at: r.get("updated_at"),
        report: serde_json::from_value(r.get("report")).unwrap_or_default(),
    }))
}

/// Saves the draft if nobody saved since `seen` (the revision the editor's page showed; `None` for
/// a new draft). The schema must pass the loader's checks (the builder's operations keep it so).
/// The report is saved with it (an import's, less what was fixed). Returns the new revision.
pub async fn save_draft(
    tx: &mut TenantTx,
    slug: &str,
    schema: &FormSchema,
    report: &[ReportNote],
    seen: Option<i32>,
    by: &str,
) -> std::result::Result<i32, BuilderError> {
    schema.check()?;
    let json = serde_json::to_value(schema).unwrap_or_default();
    let report = serde_json::to_value(report).unwrap_or_default();
    let current: Option<(i32, String)> =
        sqlx::query_as("select revision, updated_by from form_draft where service_slug = $1 for update")
            .bind(slug)
            .fetch_optional(tx.conn())
            .await?;
    match (current, seen) {
        // the draft the editor saw is gone (published or discarded meanwhile)
        (None, Some(_)) => Err(BuilderError::Conflict { revision: 0, by: String::new() }),
        (None, None) => {
            let based_on: Option<i32> =
                sqlx::query_scalar("select max(number) from form_publication where service_slug = $1")
                    .bind(slug)
                    .fetch_one(tx.conn())
                    .await?;
            // two first saves at once: the second finds the first's draft and is refused
            let inserted = sqlx::query("insert into form_draft (tenant_id, service_slug, schema, based_on, updated_by, report) values ($1, $2, $3, $4, $5, $6) on conflict do nothing")
                .bind(tx.tenant_id().0)
                .bind(slug)
                .bind(&json)
                .bind(based_on)
                .bind(by)
                .bind(&report)
                .execute(tx.conn())
                .await?
                .rows_affected();
            if inserted == 0 {
                let by: String = sqlx::query_scalar("select updated_by from form_draft where service_slug = $1")
                    .bind(slug)
                    .fetch_one(tx.conn())
                    .await?;
                return Err(BuilderError::Conflict { revision: 1, by });
            }
            Ok(1)
        }
        (Some((revision, _)), Some(s)) if s == revision => {
            sqlx::query("update form_draft set schema = $2, revision = revision + 1, updated_by = $3, updated_at = app_now(), report = $4 where service_slug = $1")
                .bind(slug)
                .bind(&json)
                .bind(by)
                .bind(&report)
                .execute(tx.conn())
                .await?;
            Ok(revision + 1)
        }
        (Some((revision, who)), _) => Err(BuilderError::Conflict { revision, by: who }),
    }
}

pub async fn discard_draft(tx: &mut TenantTx, slug: &str) -> Result<()> {
    sqlx::query("delete from form_draft where service_slug = $1").bind(slug).execute(tx.conn()).await?;
    Ok(())
}

async fn record(
    tx: &mut TenantTx,
    slug: &str,
    schema: &FormSchema,
    by: &str,
    restores: Option<i32>,
) -> std::result::Result<i32, BuilderError> {
    schema.check()?;
    // an own service's form is its own (kept while it is not offered); a catalogue service's is
    // the tenant's override of the catalogue's form
    let own = sqlx::query("update own_service set version = version + 1, form_schema = $2 where service_slug = $1")
        .bind(slug)
        .bind(serde_json::to_value(schema).unwrap_or_default())
        .execute(tx.conn())
        .await?
        .rows_affected()
        == 1;
    let written = own || set_form_override(tx, slug, Some(schema)).await?;
    if !written {
        return Err(BuilderError::NotActive);
    }
    let number: i32 =
        sqlx::query_scalar("select coalesce(max(number), 0) + 1 from form_publication where service_slug = $1")
            .bind(slug)
            .fetch_one(tx.conn())
            .await?;
    sqlx::query("insert into form_publication (tenant_id, service_slug, number, schema, schema_hash, published_by, restores) values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(tx.tenant_id().0)
        .bind(slug)
        .bind(number)
        .bind(serde_json::to_value(schema).unwrap_or_default())
        .bind(crate::hash_of(schema))
        .bind(by)
        .bind(restores)
        .execute(tx.conn())
        .await?;
    Ok(number)
}

/// Publishes the draft if it is still the revision the editor checked: the tenant's form from now
/// on, recorded as the next version; the draft is gone. Returns the version's number.
pub async fn publish(tx: &mut TenantTx, slug: &str, seen: i32, by: &str) -> std::result::Result<i32, BuilderError> {
    // one locked read: what is checked is what is published
    let row: Option<(serde_json::Value, i32, String)> =
        sqlx::query_as("select schema, revision, updated_by from form_draft where service_slug = $1 for update")
            .bind(slug)
            .fetch_optional(tx.conn())
            .await?;
    let (schema, locked, who) = row.ok_or(BuilderError::NoDraft)?;
    if locked != seen {
        return Err(BuilderError::Conflict { revision: locked, by: who });
    }
    let number = record(tx, slug, &schema_of(schema)?, by, None).await?;
    discard_draft(tx, slug).await?;
    Ok(number)
}

/// The published versions, newest first.
pub async fn publications(tx: &mut TenantTx, slug: &str) -> std::result::Result<Vec<Publication>, BuilderError> {
    let rows = sqlx::query("select number, schema, schema_hash, published_by, published_at, restores from form_publication where service_slug = $1 order by number desc")
        .bind(slug)
        .fetch_all(tx.conn())
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Publication {
                number: r.get("number"),
                schema: schema_of(r.get("schema"))?,
                schema_hash: r.get("schema_hash"),
                published_by: r.get("published_by"),
                published_at: r.get("published_at"),
                restores: r.get("restores"),
            })
        })
        .collect()
}

/// The schema of one published version.
pub async fn publication(tx: &mut TenantTx, slug: &str, number: i32) -> std::result::Result<FormSchema, BuilderError> {
    let json: serde_json::Value =
        sqlx::query_scalar("select schema from form_publication where service_slug = $1 and number = $2")
            .bind(slug)
            .bind(number)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(BuilderError::NoVersion)?;
    schema_of(json)
}

/// Publishes an earlier version again (as a new version that says which it restores).
pub async fn roll_back(tx: &mut TenantTx, slug: &str, number: i32, by: &str) -> std::result::Result<i32, BuilderError> {
    let schema = publication(tx, slug, number).await?;
    record(tx, slug, &schema, by, Some(number)).await
}
