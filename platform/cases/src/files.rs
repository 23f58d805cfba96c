//! Attachments of drafts and cases: stored in the tenant's own table, checked before.

use super::*;

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
        FileRef {
            file_id: self.file_id.to_string(),
            name: self.name.clone(),
            size: u64::try_from(self.size).unwrap_or(0),
            content_type: self.content_type.clone(),
        }
    }
}

pub(crate) fn file_from(r: &sqlx::postgres::PgRow) -> StoredFile {
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

pub(crate) const FILE_COLUMNS: &str =
    "file_id, draft_id, case_id, event_id, field_id, purpose, file_name, content_type, size_bytes, created_at";

/// Where a new file belongs.
#[derive(Debug, Clone, Copy)]
pub enum FileOwner<'a> {
    Draft { draft_id: Uuid, field_id: &'a str },
    Case { case_id: Uuid, event_id: Option<Uuid>, purpose: FilePurpose },
}

/// Stores a file (already checked by content and cleaned of metadata).
pub async fn store_file(
    tx: &mut TenantTx,
    owner: FileOwner<'_>,
    name: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<StoredFile> {
    let tenant = tx.tenant_id();
    let (draft, case, event, field, purpose) = match owner {
        FileOwner::Draft { draft_id, field_id } => {
            (Some(draft_id), None, None, Some(field_id.to_owned()), FilePurpose::Answer)
        }
        FileOwner::Case { case_id, event_id, purpose } => (None, Some(case_id), event_id, None, purpose),
    };
    let sha: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let safe_name: String =
        name.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"')).take(120).collect();
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
    let row = sqlx::query(&format!("select {FILE_COLUMNS}, content from case_file where file_id = $1"))
        .bind(file_id)
        .fetch_optional(tx.conn())
        .await?;
    Ok(row.map(|r| (file_from(&r), r.get("content"))))
}

/// Files of a case (answers, message attachments, issued documents).
pub async fn files_of_case(tx: &mut TenantTx, case_id: Uuid) -> Result<Vec<StoredFile>> {
    let rows = sqlx::query(&format!("select {FILE_COLUMNS} from case_file where case_id = $1 order by created_at"))
        .bind(case_id)
        .fetch_all(tx.conn())
        .await?;
    Ok(rows.iter().map(file_from).collect())
}

/// Removes a draft's uploads that its answers no longer reference.
pub async fn prune_draft_files(tx: &mut TenantTx, draft_id: Uuid, answers: &Answers) -> Result<()> {
    let keep: Vec<Uuid> = referenced_files(answers);
    sqlx::query("delete from case_file where draft_id = $1 and case_id is null and file_id <> all($2)")
        .bind(draft_id)
        .bind(&keep)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub(crate) fn referenced_files(answers: &Answers) -> Vec<Uuid> {
    answers
        .values()
        .flat_map(|v| v.files().iter().filter_map(|f| f.file_id.parse().ok()).collect::<Vec<Uuid>>())
        .collect()
}
