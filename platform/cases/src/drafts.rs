//! Drafts: an application being filled in, owned by a citizen or a guest's cookie.

use super::*;

/// Who fills in a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Citizen(Uuid),
    /// The hash of the guest's draft cookie.
    Guest(Vec<u8>),
}

/// A form being filled in.
#[derive(Debug, Clone)]
pub struct Draft {
    pub draft_id: Uuid,
    pub service_slug: String,
    pub schema_hash: String,
    pub citizen_id: Option<Uuid>,
    pub answers: Answers,
    pub submission_key: Uuid,
    pub case_id: Option<Uuid>,
    pub updated_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

pub(crate) const DRAFT_COLUMNS: &str =
    "draft_id, service_slug, schema_hash, citizen_id, answers, submission_key, case_id, updated_at, expires_at";

pub(crate) fn draft_from(row: &sqlx::postgres::PgRow) -> Draft {
    Draft {
        draft_id: row.get("draft_id"),
        service_slug: row.get("service_slug"),
        schema_hash: row.get("schema_hash"),
        citizen_id: row.get("citizen_id"),
        answers: serde_json::from_value(row.get("answers")).unwrap_or_default(),
        submission_key: row.get("submission_key"),
        case_id: row.get("case_id"),
        updated_at: row.get("updated_at"),
        expires_at: row.get("expires_at"),
    }
}

/// Starts a draft with the given (prefilled) answers.
pub async fn create_draft(tx: &mut TenantTx, form: &ServiceForm, owner: &Owner, answers: &Answers) -> Result<Draft> {
    remember_form(tx, form).await?;
    let tenant = tx.tenant_id();
    let (citizen, guest) = match owner {
        Owner::Citizen(c) => (Some(*c), None),
        Owner::Guest(h) => (None, Some(h.clone())),
    };
    let row = sqlx::query(&format!(
        "insert into application_draft (tenant_id, draft_id, service_slug, schema_hash, citizen_id, guest_token_hash, answers, submission_key, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, {DRAFT_EXPIRY}) returning {DRAFT_COLUMNS}"
    ))
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(&form.slug)
    .bind(&form.schema_hash)
    .bind(citizen)
    .bind(guest)
    .bind(serde_json::to_value(answers).unwrap_or_default())
    .bind(Uuid::now_v7())
    .fetch_one(tx.conn())
    .await?;
    Ok(draft_from(&row))
}

/// A draft of this owner (none for anyone else). `lock` serialises submissions of one draft.
pub async fn load_draft(tx: &mut TenantTx, draft_id: Uuid, owner: &Owner, lock: bool) -> Result<Option<Draft>> {
    let (citizen, guest) = match owner {
        Owner::Citizen(c) => (Some(*c), None),
        Owner::Guest(h) => (None, Some(h.clone())),
    };
    let row = sqlx::query(&format!(
        "select {DRAFT_COLUMNS} from application_draft
          where draft_id = $1 and expires_at > app_now()
            and (citizen_id = $2 or (citizen_id is null and guest_token_hash = $3)){}",
        if lock { " for update" } else { "" }
    ))
    .bind(draft_id)
    .bind(citizen)
    .bind(guest)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.as_ref().map(draft_from))
}

/// A draft by id, whoever owns it and even past its period: for filing a draft that was paid
/// before filing (the payment confirms it; the owner is in the row).
pub async fn load_draft_any(tx: &mut TenantTx, draft_id: Uuid) -> Result<Option<Draft>> {
    let row = sqlx::query(&format!("select {DRAFT_COLUMNS} from application_draft where draft_id = $1 for update"))
        .bind(draft_id)
        .fetch_optional(tx.conn())
        .await?;
    Ok(row.as_ref().map(draft_from))
}

/// Saves the answers (and extends the draft's life by the draft period).
pub async fn save_draft(tx: &mut TenantTx, draft_id: Uuid, answers: &Answers) -> Result<()> {
    sqlx::query(&format!("update application_draft set answers = $2, expires_at = {DRAFT_EXPIRY} where draft_id = $1"))
        .bind(draft_id)
        .bind(serde_json::to_value(answers).unwrap_or_default())
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn delete_draft(tx: &mut TenantTx, draft_id: Uuid) -> Result<()> {
    sqlx::query("delete from case_file where draft_id = $1 and case_id is null")
        .bind(draft_id)
        .execute(tx.conn())
        .await?;
    sqlx::query("delete from application_draft where draft_id = $1").bind(draft_id).execute(tx.conn()).await?;
    Ok(())
}

/// A citizen's unfinished drafts, newest first, with the service's name.
pub async fn drafts_of(tx: &mut TenantTx, citizen: Uuid) -> Result<Vec<(Draft, Localized)>> {
    let rows = sqlx::query(&format!(
        "select {}, b.name_de, b.name_en from application_draft d join service_entry b using (service_slug)
          where d.citizen_id = $1 and d.case_id is null and d.expires_at > app_now() order by d.updated_at desc",
        DRAFT_COLUMNS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ")
    ))
    .bind(citizen)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.iter().map(|r| (draft_from(r), Localized { de: r.get("name_de"), en: r.get("name_en") })).collect())
}
