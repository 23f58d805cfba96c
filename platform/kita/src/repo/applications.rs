//! Applications (one per child for the whole tenant), their ranked preferences, and the duplicate
//! check's candidates and decisions.

use portal_db::{DbError, TenantTx};
use sqlx::Row;
use sqlx::postgres::PgRow;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{Result, Scope, db};
use crate::duplicates::{self, Person};

/// What a parent (or staff from a paper form) enters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub child_first: String,
    pub child_last: String,
    pub birth_date: Option<Date>,
    pub address: String,
    pub district_id: Option<Uuid>,
    pub care_type: String,
    pub start_month: Option<Date>,
    pub scope_hours: i32,
    pub working_parents: i16,
    pub single_parent: bool,
    pub siblings_at: Vec<Uuid>,
    pub parent_name: String,
    pub email: String,
    pub phone: String,
    /// Ranked facilities, best first.
    pub preferences: Vec<Uuid>,
}

/// Who submits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Citizen(Uuid),
    /// Staff entering a paper form, for a Träger (or the youth office itself: `None`).
    Staff {
        staff: Uuid,
        provider: Option<Uuid>,
    },
    /// Generated demo data.
    Demo,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: Uuid,
    pub number: String,
    pub citizen_id: Option<Uuid>,
    pub entered_by: Option<Uuid>,
    pub entered_for: Option<Uuid>,
    pub status: String,
    pub merged_into: Option<Uuid>,
    pub child_first: String,
    pub child_last: String,
    pub birth_date: Date,
    pub address: String,
    pub district_id: Option<Uuid>,
    pub care_type: String,
    pub start_month: Date,
    pub scope_hours: i32,
    pub working_parents: i16,
    pub single_parent: bool,
    pub social: bool,
    pub siblings_at: Vec<Uuid>,
    pub parent_name: String,
    pub email: String,
    pub phone: String,
    pub lang: String,
    pub portal_url: String,
    pub created_at: OffsetDateTime,
    pub preferences: Vec<Uuid>,
}

impl Application {
    pub fn person(&self) -> Person {
        Person {
            first_name: self.child_first.clone(),
            last_name: self.child_last.clone(),
            birth_date: self.birth_date,
            address: self.address.clone(),
        }
    }
}

const COLUMNS: &str = "a.application_id, a.number, a.citizen_id, a.entered_for, a.status, a.merged_into, a.child_first, a.child_last, a.birth_date, a.address, a.district_id,
     a.care_type, a.start_month, a.scope_hours, a.working_parents, a.single_parent, a.social, a.siblings_at, a.parent_name, a.email, a.phone, a.lang, a.portal_url, a.created_at,
     coalesce((select array_agg(p.facility_id order by p.rank) from kita_preference p where p.tenant_id = a.tenant_id and p.application_id = a.application_id), '{}'), a.entered_by";

fn row(r: &PgRow) -> Application {
    Application {
        id: r.get(0),
        number: r.get(1),
        citizen_id: r.get(2),
        entered_for: r.get(3),
        status: r.get(4),
        merged_into: r.get(5),
        child_first: r.get(6),
        child_last: r.get(7),
        birth_date: r.get(8),
        address: r.get(9),
        district_id: r.get(10),
        care_type: r.get(11),
        start_month: r.get(12),
        scope_hours: r.get(13),
        working_parents: r.get(14),
        single_parent: r.get(15),
        social: r.get(16),
        siblings_at: r.get(17),
        parent_name: r.get(18),
        email: r.get(19),
        phone: r.get(20),
        lang: r.get(21),
        portal_url: r.get(22),
        created_at: r.get(23),
        preferences: r.get(24),
        entered_by: r.get(25),
    }
}

/// The condition that limits applications to a scope (`$1`): entered for one of its Träger, or
/// naming one of its facilities.
const IN_SCOPE: &str = "($1::uuid[] is null or a.entered_for = any($1) or exists (select 1 from kita_preference p join kita_facility f using (tenant_id, facility_id)
     where p.tenant_id = a.tenant_id and p.application_id = a.application_id and f.provider_id = any($1)))";

/// The one-time key as stored: the submitter's own (a key is 32 hex characters, as the form makes
/// it; anything else gets a fresh one, so it never matches another submission), so that no one can
/// hit another person's submission with it.
fn stored_key(origin: Origin, key: &str) -> String {
    let key = if key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        key.to_ascii_lowercase()
    } else {
        Uuid::new_v4().simple().to_string()
    };
    let owner = match origin {
        Origin::Citizen(c) => format!("c{}", c.simple()),
        Origin::Staff { staff, .. } => format!("s{}", staff.simple()),
        Origin::Demo => "demo".to_owned(),
    };
    format!("{owner}:{key}")
}

/// The child's name as the database compares it for "the same child" (see migration
/// `kita_same_child`): both names normalised, joined by '|'.
pub fn child_key(first: &str, last: &str) -> String {
    format!("{}|{}", crate::names::normalise(first), crate::names::normalise(last))
}

/// What the database refused a new application for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The account has an open application for this child (same birth date and name).
    SameChild,
    /// The account has ten open applications.
    TooMany,
}

impl Refused {
    /// The refusal an error of [`submit`] stands for, if it is one.
    pub fn of(e: &DbError) -> Option<Self> {
        match e.violated()? {
            "kita_application_same_child" => Some(Self::SameChild),
            "kita_application_per_account" => Some(Self::TooMany),
            _ => None,
        }
    }
}

/// Whether the retried submission `key` of `origin` created an application already (its id).
pub async fn submitted_with(tx: &mut TenantTx, origin: Origin, key: &str) -> Result<Option<Uuid>> {
    sqlx::query_scalar("select application_id from kita_application where request_key = $1")
        .bind(stored_key(origin, key))
        .fetch_optional(tx.conn())
        .await
        .map_err(db)
}

/// Saves a new application with its preferences. The form's one-time key makes a retried
/// submission return the application it created (`false`: it existed already).
pub async fn submit(
    tx: &mut TenantTx,
    d: &Draft,
    origin: Origin,
    lang: &str,
    portal_url: &str,
    request_key: &str,
) -> Result<(Uuid, bool)> {
    let tenant = tx.tenant_id().0;
    let request_key = &stored_key(origin, request_key);
    if let Some(id) =
        sqlx::query_scalar::<_, Uuid>("select application_id from kita_application where request_key = $1")
            .bind(request_key)
            .fetch_optional(tx.conn())
            .await
            .map_err(db)?
    {
        return Ok((id, false));
    }
    let id = Uuid::now_v7();
    let number = format!("K-{}", &Uuid::new_v4().simple().to_string()[..8].to_uppercase());
    let (citizen, staff, provider) = match origin {
        Origin::Citizen(c) => (Some(c), None, None),
        Origin::Staff { staff, provider } => (None, Some(staff), provider),
        Origin::Demo => (None, None, None),
    };
    let inserted = sqlx::query(
        "insert into kita_application (tenant_id, application_id, number, citizen_id, entered_by, entered_for, child_first, child_last, birth_date, address, district_id,
             care_type, start_month, scope_hours, working_parents, single_parent, siblings_at, parent_name, email, phone, lang, portal_url, request_key, child_key)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) on conflict (tenant_id, request_key) do nothing",
    )
    .bind(tenant)
    .bind(id)
    .bind(&number)
    .bind(citizen)
    .bind(staff)
    .bind(provider)
    .bind(d.child_first.trim())
    .bind(d.child_last.trim())
    .bind(d.birth_date)
    .bind(d.address.trim())
    .bind(d.district_id)
    .bind(&d.care_type)
    .bind(d.start_month)
    .bind(d.scope_hours)
    .bind(d.working_parents)
    .bind(d.single_parent)
    .bind(&d.siblings_at)
    .bind(d.parent_name.trim())
    .bind(d.email.trim())
    .bind(d.phone.trim())
    .bind(lang)
    .bind(portal_url)
    .bind(request_key)
    .bind(child_key(&d.child_first, &d.child_last))
    .execute(tx.conn())
    .await
    .map_err(db)?;
    if inserted.rows_affected() == 0 {
        // a concurrent retry won: return its application
        let existing = sqlx::query_scalar("select application_id from kita_application where request_key = $1")
            .bind(request_key)
            .fetch_one(tx.conn())
            .await
            .map_err(db)?;
        return Ok((existing, false));
    }
    set_preferences(tx, id, &d.preferences).await?;
    Ok((id, true))
}

/// Replaces the ranked preferences.
pub async fn set_preferences(tx: &mut TenantTx, id: Uuid, preferences: &[Uuid]) -> Result<()> {
    let tenant = tx.tenant_id().0;
    sqlx::query("delete from kita_preference where application_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    for (i, f) in preferences.iter().enumerate() {
        sqlx::query(
            "insert into kita_preference (tenant_id, application_id, rank, facility_id) values ($1, $2, $3, $4)",
        )
        .bind(tenant)
        .bind(id)
        .bind(i16::try_from(i + 1).unwrap_or(i16::MAX))
        .bind(f)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// One application in the scope.
pub async fn get(tx: &mut TenantTx, scope: &Scope, id: Uuid) -> Result<Option<Application>> {
    let r =
        sqlx::query(&format!("select {COLUMNS} from kita_application a where {IN_SCOPE} and a.application_id = $2"))
            .bind(scope.bind())
            .bind(id)
            .fetch_optional(tx.conn())
            .await
            .map_err(db)?;
    Ok(r.as_ref().map(row))
}

/// Applications in the scope, newest first; `status` filters (e.g. "submitted").
pub async fn list(tx: &mut TenantTx, scope: &Scope, status: Option<&str>, limit: i64) -> Result<Vec<Application>> {
    let rows = sqlx::query(&format!("select {COLUMNS} from kita_application a where {IN_SCOPE} and ($2::text is null or a.status = $2) order by a.created_at desc limit $3"))
        .bind(scope.bind())
        .bind(status)
        .bind(limit)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?;
    Ok(rows.iter().map(row).collect())
}

/// A parent's applications (a merged one stays theirs to see, and says where it went).
pub async fn of_citizen(tx: &mut TenantTx, citizen: Uuid) -> Result<Vec<Application>> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from kita_application a where a.citizen_id = $1 order by a.created_at desc"
    ))
    .bind(citizen)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    Ok(rows.iter().map(row).collect())
}

/// One of the parent's own applications.
pub async fn of_citizen_one(tx: &mut TenantTx, citizen: Uuid, id: Uuid) -> Result<Option<Application>> {
    let r = sqlx::query(&format!(
        "select {COLUMNS} from kita_application a where a.citizen_id = $1 and a.application_id = $2"
    ))
    .bind(citizen)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
    .map_err(db)?;
    Ok(r.as_ref().map(row))
}

/// Submitted applications of a parent (the limit per account).
pub async fn count_of_citizen(tx: &mut TenantTx, citizen: Uuid) -> Result<i64> {
    sqlx::query_scalar("select count(*) from kita_application where citizen_id = $1 and status = 'submitted'")
        .bind(citizen)
        .fetch_one(tx.conn())
        .await
        .map_err(db)
}

/// The youth office confirms (or removes) the social criteria.
pub async fn set_social(tx: &mut TenantTx, id: Uuid, social: bool) -> Result<bool> {
    let r = sqlx::query("update kita_application set social = $2 where application_id = $1")
        .bind(id)
        .bind(social)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(r.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------------
// duplicates

/// A candidate pair as the youth office sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub first: Application,
    pub second: Application,
    pub score: f32,
    pub reasons: Vec<String>,
    pub decision: String,
}

/// Runs the duplicate check over every submitted application and stores new candidate pairs
/// (decisions already taken stay). Returns (new pairs, pairs merged because they are sure).
pub async fn scan(tx: &mut TenantTx, max_preferences: usize) -> Result<(usize, usize)> {
    let apps = list(tx, &Scope::All, Some("submitted"), i64::MAX).await?;
    let people: Vec<Person> = apps.iter().map(Application::person).collect();
    let (mut new, mut merged) = (0, 0);
    for (i, j, m) in duplicates::candidates(&people) {
        let (n, g) = record_pair(tx, &apps[i], &apps[j], &m, max_preferences).await?;
        new += n;
        merged += g;
    }
    Ok((new, merged))
}

/// The duplicate check of one new application against every other submitted one that could be
/// the same child (born in the same year: every block of [`duplicates::candidates`] lies within a
/// year), run when it is submitted, online or on paper, in the submitting transaction. Returns
/// (new pairs, pairs merged).
pub async fn check_new(tx: &mut TenantTx, id: Uuid, max_preferences: usize) -> Result<(usize, usize)> {
    // one check at a time per tenant, held until the submission commits: of two applications
    // submitted at the same moment, the one checked second sees the first (read committed)
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('kita-duplicates:' || $1::text, 0))")
        .bind(tx.tenant_id().0)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    let Some(me) = get(tx, &Scope::All, id).await?.filter(|a| a.status == "submitted") else { return Ok((0, 0)) };
    let year = me.birth_date.year();
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from kita_application a where a.status = 'submitted' and a.application_id <> $1
            and a.birth_date between make_date($2, 1, 1) and make_date($2, 12, 31)"
    ))
    .bind(id)
    .bind(year)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    let others: Vec<Application> = rows.iter().map(row).collect();
    let mine = duplicates::Prepared::new(&me.person());
    let (mut new, mut merged) = (0, 0);
    for other in &others {
        if let Some(m) = duplicates::compare(&mine, &duplicates::Prepared::new(&other.person())) {
            let (n, g) = record_pair(tx, &me, other, &m, max_preferences).await?;
            new += n;
            merged += g;
            if g > 0 {
                // merged into an older application: nothing left to compare
                break;
            }
        }
    }
    Ok((new, merged))
}

/// Stores a candidate pair unless it is known; merges it at once when the check is sure and one
/// submitter sent both. Returns (1 when new, 1 when merged).
async fn record_pair(
    tx: &mut TenantTx,
    a: &Application,
    b: &Application,
    m: &duplicates::Match,
    max_preferences: usize,
) -> Result<(usize, usize)> {
    let tenant = tx.tenant_id().0;
    let (first, second) = if a.id < b.id { (a.id, b.id) } else { (b.id, a.id) };
    let reasons: Vec<&str> = m.reasons.iter().map(|r| r.code()).collect();
    let r = sqlx::query("insert into kita_duplicate (tenant_id, first_id, second_id, score, reasons) values ($1, $2, $3, $4, $5) on conflict do nothing")
        .bind(tenant)
        .bind(first)
        .bind(second)
        .bind(m.score as f32)
        .bind(&reasons)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    if r.rows_affected() == 0 {
        return Ok((0, 0));
    }
    // merged by the check itself only when sure and sent twice by the same person (a retry
    // with a new form); across accounts or from staff the youth office decides
    let same_submitter = (a.citizen_id.is_some() && a.citizen_id == b.citizen_id)
        || (a.entered_by.is_some() && a.entered_by == b.entered_by);
    if m.score >= duplicates::SURE && same_submitter {
        // the older application stays (the parent's own before a later paper copy)
        let (keep, drop) = if a.created_at <= b.created_at { (a.id, b.id) } else { (b.id, a.id) };
        if merge(tx, keep, drop, None, max_preferences).await?.is_ok() {
            return Ok((1, 1));
        }
    }
    Ok((1, 0))
}

/// Candidate pairs the youth office has not decided whose applications are both still open: the
/// allocation does not start while there are any (one child must not hold two places).
pub async fn open_pairs(tx: &mut TenantTx) -> Result<i64> {
    sqlx::query_scalar(
        "select count(*) from kita_duplicate d
           join kita_application a on a.application_id = d.first_id and a.status = 'submitted'
           join kita_application b on b.application_id = d.second_id and b.status = 'submitted'
          where d.decision = 'open'",
    )
    .fetch_one(tx.conn())
    .await
    .map_err(db)
}

/// Candidate pairs (`open_only`: still undecided), best first, limited to the scope.
pub async fn candidates(tx: &mut TenantTx, scope: &Scope, open_only: bool) -> Result<Vec<Candidate>> {
    let rows = sqlx::query("select first_id, second_id, score, reasons, decision from kita_duplicate where (not $1 or decision = 'open') order by decision = 'open' desc, score desc, found_at")
        .bind(open_only)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?;
    let mut out = Vec::new();
    for r in rows {
        let (Some(first), Some(second)) = (get(tx, scope, r.get(0)).await?, get(tx, scope, r.get(1)).await?) else {
            continue;
        };
        out.push(Candidate { first, second, score: r.get(2), reasons: r.get(3), decision: r.get(4) });
    }
    Ok(out)
}

/// Why a merge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeRefused {
    NotFound,
    NotSubmitted,
    /// The application to drop already has an offer: the allocation has started for it.
    HasOffer,
    /// Rounds are running (or their result waits to be sent): the lists must not change now.
    RoundsOpen,
}

/// Merges `drop` into `keep`: `keep`'s preferences first, then `drop`'s that it lacks, up to the
/// maximum; `drop` points to `keep`, its deviations move over, the pair is decided.
pub async fn merge(
    tx: &mut TenantTx,
    keep: Uuid,
    drop: Uuid,
    staff: Option<Uuid>,
    max_preferences: usize,
) -> Result<std::result::Result<(), MergeRefused>> {
    // under the allocation's lock: no round runs while applications merge
    super::lock(tx).await?;
    if super::rounds_open(tx).await? {
        return Ok(Err(MergeRefused::RoundsOpen));
    }
    let (Some(k), Some(d)) = (get(tx, &Scope::All, keep).await?, get(tx, &Scope::All, drop).await?) else {
        return Ok(Err(MergeRefused::NotFound));
    };
    if k.id == d.id || k.status != "submitted" || d.status != "submitted" {
        return Ok(Err(MergeRefused::NotSubmitted));
    }
    let offers: i64 = sqlx::query_scalar(
        "select count(*) from kita_offer where application_id = $1 and status in ('held', 'accepted')",
    )
    .bind(drop)
    .fetch_one(tx.conn())
    .await
    .map_err(db)?;
    if offers > 0 {
        return Ok(Err(MergeRefused::HasOffer));
    }
    let mut prefs = k.preferences.clone();
    for f in &d.preferences {
        if !prefs.contains(f) && prefs.len() < max_preferences {
            prefs.push(*f);
        }
    }
    set_preferences(tx, keep, &prefs).await?;
    // the dropped one is merged first: for a moment both would be the same child's open
    // applications of one account, which the database does not allow (migration kita_same_child)
    sqlx::query("update kita_application set status = 'merged', merged_into = $2 where application_id = $1")
        .bind(drop)
        .bind(keep)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    // the kept application's criteria stay as they are (a copy cannot add points); the parent of
    // the dropped one becomes the kept one's when it has none (a paper copy kept over the online one)
    sqlx::query(
        "update kita_application set citizen_id = coalesce(citizen_id, $2), email = case when email = '' then $3 else email end, phone = case when phone = '' then $4 else phone end,
             portal_url = case when portal_url = '' then $5 else portal_url end where application_id = $1",
    )
    .bind(keep)
    .bind(d.citizen_id)
    .bind(&d.email)
    .bind(&d.phone)
    .bind(&d.portal_url)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    sqlx::query("update kita_application set merged_into = $2 where merged_into = $1")
        .bind(drop)
        .bind(keep)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    sqlx::query(
        "update kita_deviation d set application_id = $2 where application_id = $1
            and not exists (select 1 from kita_deviation x where x.tenant_id = d.tenant_id and x.facility_id = d.facility_id and x.care_type = d.care_type
                            and x.start_month = d.start_month and x.application_id = $2)",
    )
    .bind(drop)
    .bind(keep)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    decide(tx, keep, drop, "merged", staff).await?;
    // other open pairs with the dropped application are pairs with `keep` now, or found again by the next check
    sqlx::query("delete from kita_duplicate where decision = 'open' and (first_id = $1 or second_id = $1)")
        .bind(drop)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(Ok(()))
}

/// Records the decision on a pair (either order).
pub async fn decide(tx: &mut TenantTx, a: Uuid, b: Uuid, decision: &str, staff: Option<Uuid>) -> Result<bool> {
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    let r = sqlx::query("update kita_duplicate set decision = $3, decided_by = $4, decided_at = app_now() where first_id = $1 and second_id = $2 and decision = 'open'")
        .bind(first)
        .bind(second)
        .bind(decision)
        .bind(staff)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(r.rows_affected() == 1)
}
