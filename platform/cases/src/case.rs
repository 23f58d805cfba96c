//! Cases: filing a draft once, the status workflow, the timeline, assignment and the inbox.

use super::*;

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

pub(crate) const CASE_SELECT: &str = "select c.case_id, c.reference, c.service_slug, coalesce(a.name_de, b.name_de, c.service_slug) as name_de,
        coalesce(a.name_en, b.name_en, c.service_slug) as name_en, c.service_version, c.schema_hash, c.citizen_id, c.guest_email, c.guest_token,
        c.applicant_name, c.answers, c.status, c.assigned_to, s.display_name as assigned_name, c.lang, c.submitted_at, c.due_at,
        c.status_changed_at, c.completed_at, c.decision_reason, c.anonymised_at
   from case_record c
   left join service_activation a on a.service_slug = c.service_slug
   left join service_entry b on b.service_slug = c.service_slug
   left join staff_user s on s.staff_id = c.assigned_to";

pub(crate) fn case_from(r: &sqlx::postgres::PgRow) -> Case {
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
    let row =
        sqlx::query(&format!("{CASE_SELECT} where c.case_id = $1")).bind(case_id).fetch_optional(tx.conn()).await?;
    Ok(row.as_ref().map(case_from))
}

/// A guest's case by the secret of the status link (its hash).
pub async fn by_guest_token(tx: &mut TenantTx, token_hash: &[u8]) -> Result<Option<Case>> {
    let row = sqlx::query(&format!("{CASE_SELECT} where c.guest_token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(tx.conn())
        .await?;
    Ok(row.as_ref().map(case_from))
}

/// A citizen's cases, newest first.
pub async fn cases_of(tx: &mut TenantTx, citizen: Uuid) -> Result<Vec<Case>> {
    let rows = sqlx::query(&format!("{CASE_SELECT} where c.citizen_id = $1 order by c.submitted_at desc"))
        .bind(citizen)
        .fetch_all(tx.conn())
        .await?;
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
    if let Some(existing) = sqlx::query_scalar::<_, Uuid>("select case_id from case_record where submission_key = $1")
        .bind(s.draft.submission_key)
        .fetch_optional(tx.conn())
        .await?
    {
        let case = get(tx, existing).await?.ok_or(CaseError::Db(DbError::Sqlx(sqlx::Error::RowNotFound)))?;
        return Ok((case, false));
    }
    let tenant = tx.tenant_id();
    let year: i32 = sqlx::query_scalar("select extract(year from app_now())::int").fetch_one(tx.conn()).await?;
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
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, app_now() + make_interval(days => $15))",
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
    sqlx::query("update case_file set case_id = $2 where draft_id = $1 and file_id = any($3)")
        .bind(s.draft.draft_id)
        .bind(case_id)
        .bind(&used)
        .execute(tx.conn())
        .await?;
    sqlx::query("delete from case_file where draft_id = $1 and case_id is null")
        .bind(s.draft.draft_id)
        .execute(tx.conn())
        .await?;
    sqlx::query("update application_draft set case_id = $2 where draft_id = $1")
        .bind(s.draft.draft_id)
        .bind(case_id)
        .execute(tx.conn())
        .await?;
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

pub async fn add_event(
    tx: &mut TenantTx,
    case_id: Uuid,
    kind: EventKind,
    status: Option<Status>,
    actor: &Actor,
    body: &str,
    internal: bool,
) -> Result<Uuid> {
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
    let rows =
        sqlx::query("select event_id, kind, status, actor_kind, actor_name, body, internal, created_at from case_event where case_id = $1 and (internal = false or $2) order by created_at, event_id")
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
    let current: Option<String> = sqlx::query_scalar("select status from case_record where case_id = $1 for update")
        .bind(case_id)
        .fetch_optional(tx.conn())
        .await?;
    let from =
        current.as_deref().and_then(Status::parse).ok_or(CaseError::Db(DbError::Sqlx(sqlx::Error::RowNotFound)))?;
    if !from.can_move_to(to) {
        return Err(CaseError::InvalidTransition { from, to });
    }
    let text = text.trim();
    if to.needs_text() && text.is_empty() {
        return Err(CaseError::TextRequired);
    }
    sqlx::query(
        "update case_record set status = $2, status_changed_at = app_now(),
                completed_at = case when $2 = 'completed' then app_now() else completed_at end,
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
    let status: Option<String> = sqlx::query_scalar("select status from case_record where case_id = $1 for update")
        .bind(case_id)
        .fetch_optional(tx.conn())
        .await?;
    let event = add_event(tx, case_id, EventKind::Message, None, actor, body, false).await?;
    if status.as_deref() == Some(Status::InformationRequested.as_str()) {
        transition(tx, case_id, Status::InReview, "", &Actor::system()).await?;
    }
    Ok(event)
}

/// Assigns a case to a member of staff (or nobody).
pub async fn assign(tx: &mut TenantTx, case_id: Uuid, staff: Option<(Uuid, &str)>, actor: &Actor) -> Result<()> {
    sqlx::query("update case_record set assigned_to = $2 where case_id = $1")
        .bind(case_id)
        .bind(staff.map(|s| s.0))
        .execute(tx.conn())
        .await?;
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
                   and (not $6 or (c.due_at < app_now() and c.status in ('submitted', 'in_review', 'information_requested')))";
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
