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

pub mod status;

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

fn hash_of(schema: &FormSchema) -> String {
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
           from service_activation a join base_service b using (service_slug)
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
           from base_service b left join service_activation a using (service_slug) where b.service_slug = $1",
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
    let json: serde_json::Value = sqlx::query_scalar("select schema from form_version where schema_hash = $1").bind(hash).fetch_one(tx.conn()).await?;
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
pub async fn set_service_case_settings(tx: &mut TenantTx, slug: &str, retention_days: i32, processing_days: i32) -> Result<bool> {
    let done = sqlx::query("update service_activation set retention_days = $2, processing_days = $3 where service_slug = $1")
        .bind(slug)
        .bind(retention_days)
        .bind(processing_days)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// When a draft saved now expires: after the tenant's draft period (30 days unless set).
const DRAFT_EXPIRY: &str = "now() + make_interval(days => coalesce((select draft_days from case_setting), 30))";

/// How long drafts are kept (days).
pub async fn draft_days(tx: &mut TenantTx) -> Result<i32> {
    Ok(sqlx::query_scalar("select draft_days from case_setting").fetch_optional(tx.conn()).await?.unwrap_or(30))
}

pub async fn set_draft_days(tx: &mut TenantTx, days: i32) -> Result<()> {
    let tenant = tx.tenant_id();
    sqlx::query("insert into case_setting (tenant_id, draft_days) values ($1, $2) on conflict (tenant_id) do update set draft_days = excluded.draft_days, updated_at = now()")
        .bind(tenant.0)
        .bind(days)
        .execute(tx.conn())
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// drafts

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

const DRAFT_COLUMNS: &str = "draft_id, service_slug, schema_hash, citizen_id, answers, submission_key, case_id, updated_at, expires_at";

fn draft_from(row: &sqlx::postgres::PgRow) -> Draft {
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
          where draft_id = $1 and expires_at > now()
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
    let row = sqlx::query(&format!("select {DRAFT_COLUMNS} from application_draft where draft_id = $1 for update")).bind(draft_id).fetch_optional(tx.conn()).await?;
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
    sqlx::query("delete from case_file where draft_id = $1 and case_id is null").bind(draft_id).execute(tx.conn()).await?;
    sqlx::query("delete from application_draft where draft_id = $1").bind(draft_id).execute(tx.conn()).await?;
    Ok(())
}

/// A citizen's unfinished drafts, newest first, with the service's name.
pub async fn drafts_of(tx: &mut TenantTx, citizen: Uuid) -> Result<Vec<(Draft, Localized)>> {
    let rows = sqlx::query(&format!(
        "select {}, b.name_de, b.name_en from application_draft d join base_service b using (service_slug)
          where d.citizen_id = $1 and d.case_id is null and d.expires_at > now() order by d.updated_at desc",
        DRAFT_COLUMNS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ")
    ))
    .bind(citizen)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.iter().map(|r| (draft_from(r), Localized { de: r.get("name_de"), en: r.get("name_en") })).collect())
}

// ---------------------------------------------------------------------------------------------
// attachments

/// A file to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePurpose {
    /// An answer to a file field of the form.
    Answer,
    /// Attached to a message.
    Message,
    /// A document the office issued.
    Issued,
}

impl FilePurpose {
    fn as_str(self) -> &'static str {
        match self {
            FilePurpose::Answer => "answer",
            FilePurpose::Message => "message",
            FilePurpose::Issued => "issued",
        }
    }
}

/// Metadata of a stored file.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub file_id: Uuid,
    pub draft_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub field_id: Option<String>,
    pub purpose: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: OffsetDateTime,
}

impl StoredFile {
    pub fn file_ref(&self) -> FileRef {
        FileRef { file_id: self.file_id.to_string(), name: self.name.clone(), size: u64::try_from(self.size).unwrap_or(0), content_type: self.content_type.clone() }
    }
}

fn file_from(r: &sqlx::postgres::PgRow) -> StoredFile {
    StoredFile {
        file_id: r.get("file_id"),
        draft_id: r.get("draft_id"),
        case_id: r.get("case_id"),
        event_id: r.get("event_id"),
        field_id: r.get("field_id"),
        purpose: r.get("purpose"),
        name: r.get("file_name"),
        content_type: r.get("content_type"),
        size: r.get("size_bytes"),
        created_at: r.get("created_at"),
    }
}

const FILE_COLUMNS: &str = "file_id, draft_id, case_id, event_id, field_id, purpose, file_name, content_type, size_bytes, created_at";

/// Where a new file belongs.
#[derive(Debug, Clone, Copy)]
pub enum FileOwner<'a> {
    Draft { draft_id: Uuid, field_id: &'a str },
    Case { case_id: Uuid, event_id: Option<Uuid>, purpose: FilePurpose },
}

/// Stores a file (already checked by content and cleaned of metadata).
pub async fn store_file(tx: &mut TenantTx, owner: FileOwner<'_>, name: &str, content_type: &str, bytes: &[u8]) -> Result<StoredFile> {
    let tenant = tx.tenant_id();
    let (draft, case, event, field, purpose) = match owner {
        FileOwner::Draft { draft_id, field_id } => (Some(draft_id), None, None, Some(field_id.to_owned()), FilePurpose::Answer),
        FileOwner::Case { case_id, event_id, purpose } => (None, Some(case_id), event_id, None, purpose),
    };
    let sha: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let safe_name: String = name.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"')).take(120).collect();
    let row = sqlx::query(&format!(
        "insert into case_file (tenant_id, file_id, draft_id, case_id, event_id, field_id, purpose, file_name, content_type, size_bytes, sha256, content)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning {FILE_COLUMNS}"
    ))
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(draft)
    .bind(case)
    .bind(event)
    .bind(field)
    .bind(purpose.as_str())
    .bind(if safe_name.trim().is_empty() { "datei".to_owned() } else { safe_name })
    .bind(content_type)
    .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
    .bind(sha)
    .bind(bytes)
    .fetch_one(tx.conn())
    .await?;
    Ok(file_from(&row))
}

/// A file's metadata and content.
pub async fn file(tx: &mut TenantTx, file_id: Uuid) -> Result<Option<(StoredFile, Vec<u8>)>> {
    let row = sqlx::query(&format!("select {FILE_COLUMNS}, content from case_file where file_id = $1")).bind(file_id).fetch_optional(tx.conn()).await?;
    Ok(row.map(|r| (file_from(&r), r.get("content"))))
}

/// Files of a case (answers, message attachments, issued documents).
pub async fn files_of_case(tx: &mut TenantTx, case_id: Uuid) -> Result<Vec<StoredFile>> {
    let rows = sqlx::query(&format!("select {FILE_COLUMNS} from case_file where case_id = $1 order by created_at")).bind(case_id).fetch_all(tx.conn()).await?;
    Ok(rows.iter().map(file_from).collect())
}

/// Removes a draft's uploads that its answers no longer reference.
pub async fn prune_draft_files(tx: &mut TenantTx, draft_id: Uuid, answers: &Answers) -> Result<()> {
    let keep: Vec<Uuid> = referenced_files(answers);
    sqlx::query("delete from case_file where draft_id = $1 and case_id is null and file_id <> all($2)").bind(draft_id).bind(&keep).execute(tx.conn()).await?;
    Ok(())
}

fn referenced_files(answers: &Answers) -> Vec<Uuid> {
    answers.values().flat_map(|v| v.files().iter().filter_map(|f| f.file_id.parse().ok()).collect::<Vec<Uuid>>()).collect()
}

// ---------------------------------------------------------------------------------------------
// cases

/// A case.
#[derive(Debug, Clone)]
pub struct Case {
    pub case_id: Uuid,
    pub reference: String,
    pub service_slug: String,
    pub service_name: Localized,
    pub service_version: i32,
    pub schema_hash: String,
    pub citizen_id: Option<Uuid>,
    pub guest_email: Option<String>,
    pub guest_token: Option<String>,
    pub applicant_name: String,
    pub answers: Answers,
    pub status: Status,
    pub assigned_to: Option<Uuid>,
    pub assigned_name: Option<String>,
    pub lang: Lang,
    pub submitted_at: OffsetDateTime,
    pub due_at: OffsetDateTime,
    pub status_changed_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
    pub decision_reason: Option<String>,
    pub anonymised_at: Option<OffsetDateTime>,
}

impl Case {
    pub fn overdue(&self, now: OffsetDateTime) -> bool {
        self.status.is_open() && self.due_at < now
    }
}

const CASE_SELECT: &str = "select c.case_id, c.reference, c.service_slug, coalesce(a.name_de, b.name_de, c.service_slug) as name_de,
        coalesce(a.name_en, b.name_en, c.service_slug) as name_en, c.service_version, c.schema_hash, c.citizen_id, c.guest_email, c.guest_token,
        c.applicant_name, c.answers, c.status, c.assigned_to, s.display_name as assigned_name, c.lang, c.submitted_at, c.due_at,
        c.status_changed_at, c.completed_at, c.decision_reason, c.anonymised_at
   from case_record c
   left join service_activation a on a.service_slug = c.service_slug
   left join base_service b on b.service_slug = c.service_slug
   left join staff_user s on s.staff_id = c.assigned_to";

fn case_from(r: &sqlx::postgres::PgRow) -> Case {
    Case {
        case_id: r.get("case_id"),
        reference: r.get("reference"),
        service_slug: r.get("service_slug"),
        service_name: Localized { de: r.get("name_de"), en: r.get("name_en") },
        service_version: r.get("service_version"),
        schema_hash: r.get("schema_hash"),
        citizen_id: r.get("citizen_id"),
        guest_email: r.get("guest_email"),
        guest_token: r.get("guest_token"),
        applicant_name: r.get("applicant_name"),
        answers: serde_json::from_value(r.get("answers")).unwrap_or_default(),
        status: Status::parse(r.get::<&str, _>("status")).unwrap_or(Status::Submitted),
        assigned_to: r.get("assigned_to"),
        assigned_name: r.get("assigned_name"),
        lang: Lang::from_code(r.get::<&str, _>("lang")).unwrap_or_default(),
        submitted_at: r.get("submitted_at"),
        due_at: r.get("due_at"),
        status_changed_at: r.get("status_changed_at"),
        completed_at: r.get("completed_at"),
        decision_reason: r.get("decision_reason"),
        anonymised_at: r.get("anonymised_at"),
    }
}

pub async fn get(tx: &mut TenantTx, case_id: Uuid) -> Result<Option<Case>> {
    let row = sqlx::query(&format!("{CASE_SELECT} where c.case_id = $1")).bind(case_id).fetch_optional(tx.conn()).await?;
    Ok(row.as_ref().map(case_from))
}

/// A guest's case by the secret of the status link (its hash).
pub async fn by_guest_token(tx: &mut TenantTx, token_hash: &[u8]) -> Result<Option<Case>> {
    let row = sqlx::query(&format!("{CASE_SELECT} where c.guest_token_hash = $1")).bind(token_hash).fetch_optional(tx.conn()).await?;
    Ok(row.as_ref().map(case_from))
}

/// A citizen's cases, newest first.
pub async fn cases_of(tx: &mut TenantTx, citizen: Uuid) -> Result<Vec<Case>> {
    let rows = sqlx::query(&format!("{CASE_SELECT} where c.citizen_id = $1 order by c.submitted_at desc")).bind(citizen).fetch_all(tx.conn()).await?;
    Ok(rows.iter().map(case_from).collect())
}

/// Who acts on a case.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub name: String,
}

impl Actor {
    pub fn citizen(id: Uuid, name: &str) -> Self {
        Self { kind: "citizen", id: Some(id), name: name.to_owned() }
    }
    pub fn guest(name: &str) -> Self {
        Self { kind: "guest", id: None, name: name.to_owned() }
    }
    pub fn staff(id: Uuid, name: &str) -> Self {
        Self { kind: "staff", id: Some(id), name: name.to_owned() }
    }
    pub fn system() -> Self {
        Self { kind: "system", id: None, name: String::new() }
    }
    pub fn is_office(&self) -> bool {
        matches!(self.kind, "staff" | "system")
    }
}

/// How a guest follows a case.
#[derive(Debug, Clone)]
pub struct GuestLink<'a> {
    pub email: &'a str,
    pub token: &'a str,
    pub token_hash: Vec<u8>,
}

/// What is filed.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    pub draft: &'a Draft,
    pub form: &'a ServiceForm,
    /// Validated, visible answers only.
    pub answers: &'a Answers,
    pub applicant_name: &'a str,
    /// For guests: where the confirmation and status mails go, the status link's token and its hash.
    pub guest: Option<GuestLink<'a>>,
    pub lang: Lang,
}

/// Files a case for a draft, once: a second call with the same draft (a double click, a retried
/// request) returns the first case and `false`. The draft row is locked by the caller
/// ([`load_draft`] with `lock`), so concurrent submits of one draft run one after the other.
pub async fn submit(tx: &mut TenantTx, s: Submission<'_>, actor: &Actor) -> Result<(Case, bool)> {
    if let Some(existing) = sqlx::query_scalar::<_, Uuid>("select case_id from case_record where submission_key = $1").bind(s.draft.submission_key).fetch_optional(tx.conn()).await? {
        let case = get(tx, existing).await?.ok_or(CaseError::Db(DbError::Sqlx(sqlx::Error::RowNotFound)))?;
        return Ok((case, false));
    }
    let tenant = tx.tenant_id();
    let year: i32 = sqlx::query_scalar("select extract(year from now())::int").fetch_one(tx.conn()).await?;
    let number: i32 = sqlx::query_scalar(
        "insert into case_counter (tenant_id, year, last) values ($1, $2, 1)
         on conflict (tenant_id, year) do update set last = case_counter.last + 1 returning last",
    )
    .bind(tenant.0)
    .bind(year)
    .fetch_one(tx.conn())
    .await?;
    let reference = format!("{year}-{number:06}");
    let case_id = Uuid::now_v7();
    let (guest_email, guest_hash, guest_token) = match &s.guest {
        Some(g) => (Some(g.email.to_owned()), Some(g.token_hash.clone()), Some(g.token.to_owned())),
        None => (None, None, None),
    };
    sqlx::query(
        "insert into case_record (tenant_id, case_id, reference, service_slug, service_version, schema_hash, citizen_id, guest_email,
             guest_token_hash, guest_token, applicant_name, answers, submission_key, lang, due_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now() + make_interval(days => $15))",
    )
    .bind(tenant.0)
    .bind(case_id)
    .bind(&reference)
    .bind(&s.form.slug)
    .bind(s.form.service_version)
    .bind(&s.draft.schema_hash)
    .bind(s.draft.citizen_id)
    .bind(guest_email)
    .bind(guest_hash)
    .bind(guest_token)
    .bind(s.applicant_name)
    .bind(serde_json::to_value(s.answers).unwrap_or_default())
    .bind(s.draft.submission_key)
    .bind(s.lang.code())
    .bind(s.form.processing_days)
    .execute(tx.conn())
    .await?;
    // the draft's uploads that the answers use become the case's; the rest go
    let used = referenced_files(s.answers);
    sqlx::query("update case_file set case_id = $2 where draft_id = $1 and file_id = any($3)").bind(s.draft.draft_id).bind(case_id).bind(&used).execute(tx.conn()).await?;
    sqlx::query("delete from case_file where draft_id = $1 and case_id is null").bind(s.draft.draft_id).execute(tx.conn()).await?;
    sqlx::query("update application_draft set case_id = $2 where draft_id = $1").bind(s.draft.draft_id).bind(case_id).execute(tx.conn()).await?;
    add_event(tx, case_id, EventKind::Submitted, Some(Status::Submitted), actor, "", false).await?;
    let case = get(tx, case_id).await?.ok_or(CaseError::Db(DbError::Sqlx(sqlx::Error::RowNotFound)))?;
    Ok((case, true))
}

/// Kinds of timeline event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Submitted,
    Status,
    Message,
    Note,
    Assigned,
    Document,
    Anonymised,
    /// A payment received, failed or refunded (the body says which, with the Kassenzeichen).
    Payment,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Submitted => "submitted",
            EventKind::Status => "status",
            EventKind::Message => "message",
            EventKind::Note => "note",
            EventKind::Assigned => "assigned",
            EventKind::Document => "document",
            EventKind::Anonymised => "anonymised",
            EventKind::Payment => "payment",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "submitted" => EventKind::Submitted,
            "status" => EventKind::Status,
            "message" => EventKind::Message,
            "note" => EventKind::Note,
            "assigned" => EventKind::Assigned,
            "document" => EventKind::Document,
            "payment" => EventKind::Payment,
            _ => EventKind::Anonymised,
        }
    }
}

/// An entry of a case's timeline.
#[derive(Debug, Clone)]
pub struct Event {
    pub event_id: Uuid,
    pub kind: EventKind,
    pub status: Option<Status>,
    pub actor_kind: String,
    pub actor_name: String,
    pub body: String,
    pub internal: bool,
    pub at: OffsetDateTime,
}

pub async fn add_event(tx: &mut TenantTx, case_id: Uuid, kind: EventKind, status: Option<Status>, actor: &Actor, body: &str, internal: bool) -> Result<Uuid> {
    let tenant = tx.tenant_id();
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into case_event (tenant_id, event_id, case_id, kind, status, actor_kind, actor_id, actor_name, body, internal)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(case_id)
    .bind(kind.as_str())
    .bind(status.map(Status::as_str))
    .bind(actor.kind)
    .bind(actor.id)
    .bind(&actor.name)
    .bind(body)
    .bind(internal)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// The timeline, oldest first. The applicant's view leaves out internal notes.
pub async fn events(tx: &mut TenantTx, case_id: Uuid, with_internal: bool) -> Result<Vec<Event>> {
    let rows = sqlx::query("select event_id, kind, status, actor_kind, actor_name, body, internal, created_at from case_event where case_id = $1 and (internal = false or $2) order by created_at, event_id")
        .bind(case_id)
        .bind(with_internal)
        .fetch_all(tx.conn())
        .await?;
    Ok(rows
        .iter()
        .map(|r| Event {
            event_id: r.get("event_id"),
            kind: EventKind::parse(r.get::<&str, _>("kind")),
            status: r.get::<Option<&str>, _>("status").and_then(Status::parse),
            actor_kind: r.get("actor_kind"),
            actor_name: r.get("actor_name"),
            body: r.get("body"),
            internal: r.get("internal"),
            at: r.get("created_at"),
        })
        .collect())
}

/// Moves a case along the workflow (locking it), with the question or reason where one is needed.
pub async fn transition(tx: &mut TenantTx, case_id: Uuid, to: Status, text: &str, actor: &Actor) -> Result<Case> {
    let current: Option<String> = sqlx::query_scalar("select status from case_record where case_id = $1 for update").bind(case_id).fetch_optional(tx.conn()).await?;
    let from = current.as_deref().and_then(Status::parse).ok_or(CaseError::Db(DbError::Sqlx(sqlx::Error::RowNotFound)))?;
    if !from.can_move_to(to) {
        return Err(CaseError::InvalidTransition { from, to });
    }
    let text = text.trim();
    if to.needs_text() && text.is_empty() {
        return Err(CaseError::TextRequired);
    }
    sqlx::query(
        "update case_record set status = $2, status_changed_at = now(),
                completed_at = case when $2 = 'completed' then now() else completed_at end,
                decision_reason = case when $2 in ('approved', 'rejected') then nullif($3, '') else decision_reason end
          where case_id = $1",
    )
    .bind(case_id)
    .bind(to.as_str())
    .bind(text)
    .execute(tx.conn())
    .await?;
    add_event(tx, case_id, EventKind::Status, Some(to), actor, text, false).await?;
    get(tx, case_id).await?.ok_or(CaseError::Db(DbError::Sqlx(sqlx::Error::RowNotFound)))
}

/// The applicant answers (a message, maybe with files): a case waiting for information returns to
/// review. Returns the message's event (attachments hang on it).
pub async fn applicant_reply(tx: &mut TenantTx, case_id: Uuid, body: &str, actor: &Actor) -> Result<Uuid> {
    let status: Option<String> = sqlx::query_scalar("select status from case_record where case_id = $1 for update").bind(case_id).fetch_optional(tx.conn()).await?;
    let event = add_event(tx, case_id, EventKind::Message, None, actor, body, false).await?;
    if status.as_deref() == Some(Status::InformationRequested.as_str()) {
        transition(tx, case_id, Status::InReview, "", &Actor::system()).await?;
    }
    Ok(event)
}

/// Assigns a case to a member of staff (or nobody).
pub async fn assign(tx: &mut TenantTx, case_id: Uuid, staff: Option<(Uuid, &str)>, actor: &Actor) -> Result<()> {
    sqlx::query("update case_record set assigned_to = $2 where case_id = $1").bind(case_id).bind(staff.map(|s| s.0)).execute(tx.conn()).await?;
    add_event(tx, case_id, EventKind::Assigned, None, actor, staff.map_or("", |s| s.1), true).await?;
    Ok(())
}

/// Filters of the staff inbox.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    /// The services the member of staff may see (`None`: all).
    pub scope: Option<Vec<String>>,
    pub service: Option<String>,
    pub status: Option<Status>,
    /// Only open cases (submitted, in review, information requested) when no status is chosen.
    pub open_only: bool,
    pub assigned_to: Option<Uuid>,
    pub overdue: bool,
    pub sort: Sort,
    pub page: u32,
    pub per_page: u32,
}

/// Sort orders of the inbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Due,
}

impl Sort {
    pub fn parse(s: &str) -> Self {
        match s {
            "alt" => Sort::Oldest,
            "frist" => Sort::Due,
            _ => Sort::Newest,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Sort::Newest => "neu",
            Sort::Oldest => "alt",
            Sort::Due => "frist",
        }
    }
}

/// One page of the inbox and the number of matching cases.
pub async fn inbox(tx: &mut TenantTx, q: &InboxQuery) -> Result<(Vec<Case>, i64)> {
    let order = match q.sort {
        Sort::Newest => "c.submitted_at desc, c.case_id desc",
        Sort::Oldest => "c.submitted_at, c.case_id",
        Sort::Due => "c.due_at, c.case_id",
    };
    let filter = "where ($1::text[] is null or c.service_slug = any($1))
                   and ($2::text is null or c.service_slug = $2)
                   and (case when $3::text is not null then c.status = $3
                             when $4 then c.status in ('submitted', 'in_review', 'information_requested')
                             else true end)
                   and ($5::uuid is null or c.assigned_to = $5)
                   and (not $6 or (c.due_at < now() and c.status in ('submitted', 'in_review', 'information_requested')))";
    let per_page = q.per_page.clamp(1, 200);
    let rows = sqlx::query(&format!("{CASE_SELECT} {filter} order by {order} limit $7 offset $8"))
        .bind(q.scope.as_ref())
        .bind(q.service.as_ref())
        .bind(q.status.map(Status::as_str))
        .bind(q.open_only)
        .bind(q.assigned_to)
        .bind(q.overdue)
        .bind(i64::from(per_page))
        .bind(i64::from(q.page) * i64::from(per_page))
        .fetch_all(tx.conn())
        .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from case_record c {filter}"))
        .bind(q.scope.as_ref())
        .bind(q.service.as_ref())
        .bind(q.status.map(Status::as_str))
        .bind(q.open_only)
        .bind(q.assigned_to)
        .bind(q.overdue)
        .fetch_one(tx.conn())
        .await?;
    Ok((rows.iter().map(case_from).collect(), total))
}

// ---------------------------------------------------------------------------------------------
// retention

/// What a retention run did in one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// References of cases anonymised.
    pub anonymised: Vec<String>,
    pub drafts_deleted: u64,
}

/// Anonymises completed or archived cases kept longer than their service's retention period: the
/// answers, applicant, messages, notes and files are deleted; reference, service, status and dates
/// stay for statistics. Deletes expired drafts. Runs in the tenant's transaction.
pub async fn apply_retention(tx: &mut TenantTx) -> Result<RetentionReport> {
    let due: Vec<(Uuid, String)> = sqlx::query_as(
        "select c.case_id, c.reference from case_record c
           left join service_activation a on a.service_slug = c.service_slug
          where c.anonymised_at is null and c.status in ('completed', 'archived') and c.completed_at is not null
            and c.completed_at < now() - make_interval(days => coalesce(a.retention_days, 730))
          order by c.completed_at limit 1000 for update of c skip locked",
    )
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<Uuid> = due.iter().map(|(id, _)| *id).collect();
    if !ids.is_empty() {
        sqlx::query("delete from case_file where case_id = any($1)").bind(&ids).execute(tx.conn()).await?;
        sqlx::query("delete from case_event where case_id = any($1) and kind in ('message', 'note', 'document', 'assigned')").bind(&ids).execute(tx.conn()).await?;
        sqlx::query("update case_event set body = '', actor_name = '' where case_id = any($1)").bind(&ids).execute(tx.conn()).await?;
        sqlx::query(
            "update case_record set answers = '{}', applicant_name = '', guest_email = null, guest_token_hash = null, guest_token = null, citizen_id = null,
                    decision_reason = null, assigned_to = null, anonymised_at = now()
              where case_id = any($1)",
        )
        .bind(&ids)
        .execute(tx.conn())
        .await?;
        for id in &ids {
            add_event(tx, *id, EventKind::Anonymised, None, &Actor::system(), "", false).await?;
        }
    }
    sqlx::query("delete from case_file where draft_id in (select draft_id from application_draft where expires_at < now()) and case_id is null").execute(tx.conn()).await?;
    // a draft whose payment is under way or done stays until the payment files its case
    let drafts = sqlx::query(
        "delete from application_draft d where d.expires_at < now()
            and not exists (select 1 from payment p where p.draft_id = d.draft_id and p.status in ('processing', 'succeeded'))",
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(RetentionReport { anonymised: due.into_iter().map(|(_, r)| r).collect(), drafts_deleted: drafts })
}

/// Everything about a citizen's cases, for the account's data export.
pub async fn export_for(tx: &mut TenantTx, citizen: Uuid) -> Result<serde_json::Value> {
    let mut out = Vec::new();
    for case in cases_of(tx, citizen).await? {
        let events = events(tx, case.case_id, false).await?;
        let files = files_of_case(tx, case.case_id).await?;
        out.push(serde_json::json!({
            "reference": case.reference,
            "service": case.service_slug,
            "status": case.status.as_str(),
            "submitted_at": case.submitted_at.to_string(),
            "form": { "schema_hash": case.schema_hash, "answers": case.answers },
            "timeline": events.iter().map(|e| serde_json::json!({"kind": e.kind.as_str(), "status": e.status.map(Status::as_str), "text": e.body, "at": e.at.to_string()})).collect::<Vec<_>>(),
            "files": files.iter().map(|f| serde_json::json!({"name": f.name, "type": f.content_type, "size": f.size})).collect::<Vec<_>>(),
        }));
    }
    let drafts: Vec<serde_json::Value> = drafts_of(tx, citizen).await?.into_iter().map(|(d, _)| serde_json::json!({"service": d.service_slug, "answers": d.answers, "expires_at": d.expires_at.to_string()})).collect();
    Ok(serde_json::json!({ "cases": out, "drafts": drafts }))
}
