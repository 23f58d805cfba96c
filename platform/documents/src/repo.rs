//! Issued documents in the database: issuing once per case, reading by owner, revocation,
//! renewal and the reminders.

use portal_db::TenantTx;
use portal_domain::Localized;
use portal_identity::sealed::SecretsKey;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::token::{self, Claims, Kid};
use crate::types::{DocumentType, Fact, Kind};
use crate::{DocumentError, Result, keys};

/// A printed fact, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedFact {
    pub fact: Fact,
    pub label: Localized,
    pub value: Localized,
    /// Also in the QR code.
    pub check: bool,
}

/// An issued document.
#[derive(Debug, Clone)]
pub struct Document {
    pub document_id: Uuid,
    pub number: String,
    pub case_id: Uuid,
    pub service_slug: String,
    pub kind: Kind,
    pub title: Localized,
    pub facts: Vec<PrintedFact>,
    pub answers: serde_json::Value,
    pub valid_from: Date,
    pub valid_until: Date,
    pub kid: Vec<u8>,
    /// The signed token of the QR code; `None` once the case was anonymised (the token carried the
    /// holder's facts; the check goes on by [`Self::token_sha256`]).
    pub token: Option<String>,
    /// [`token::fingerprint`] of the token as issued: what the check compares and the revocation
    /// list publishes.
    pub token_sha256: String,
    pub citizen_id: Option<Uuid>,
    pub lang: String,
    pub portal_url: String,
    pub issued_at: OffsetDateTime,
    pub issued_by: String,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_reason: Option<String>,
    pub renews: Option<Uuid>,
    pub superseded_by: Option<Uuid>,
}

impl Document {
    pub fn validity(&self, today: Date) -> token::Validity {
        token::Validity::of(&self.claims(), today, self.revoked_at.is_some())
    }
    pub fn claims(&self) -> Claims {
        Claims {
            kind: self.kind,
            number: self.number.clone(),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            facts: check_facts(&self.facts),
        }
    }
}

/// Longest fact value in a token, in characters (a token's texts are at most 255 bytes).
const TOKEN_FACT_CHARS: usize = 80;

/// The facts the QR code carries (German values: the code is the same whoever holds it), cut to
/// [`TOKEN_FACT_CHARS`].
pub fn check_facts(facts: &[PrintedFact]) -> Vec<(Fact, String)> {
    facts
        .iter()
        .filter(|f| f.check)
        .map(|f| {
            let v = &f.value.de;
            (
                f.fact,
                if v.chars().count() > TOKEN_FACT_CHARS {
                    format!("{}…", v.chars().take(TOKEN_FACT_CHARS - 1).collect::<String>())
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

const SELECT: &str = "select document_id, number, case_id, service_slug, kind, title_de, title_en, facts, answers, valid_from, valid_until, kid, token,
        token_sha256, citizen_id, lang, portal_url, issued_at, issued_by, revoked_at, revoked_reason, renews, superseded_by from document";

fn from_row(r: &sqlx::postgres::PgRow) -> Document {
    Document {
        document_id: r.get("document_id"),
        number: r.get("number"),
        case_id: r.get("case_id"),
        service_slug: r.get("service_slug"),
        kind: Kind::parse(r.get::<&str, _>("kind")).unwrap_or(Kind::Notice),
        title: Localized { de: r.get("title_de"), en: r.get("title_en") },
        facts: serde_json::from_value(r.get("facts")).unwrap_or_default(),
        answers: r.get("answers"),
        valid_from: r.get("valid_from"),
        valid_until: r.get("valid_until"),
        kid: r.get("kid"),
        token: r.get("token"),
        token_sha256: r.get("token_sha256"),
        citizen_id: r.get("citizen_id"),
        lang: r.get("lang"),
        portal_url: r.get("portal_url"),
        issued_at: r.get("issued_at"),
        issued_by: r.get("issued_by"),
        revoked_at: r.get("revoked_at"),
        revoked_reason: r.get("revoked_reason"),
        renews: r.get("renews"),
        superseded_by: r.get("superseded_by"),
    }
}

async fn many(tx: &mut TenantTx, filter: &str, id: Uuid) -> Result<Vec<Document>> {
    let rows =
        sqlx::query(&format!("{SELECT} where {filter} order by issued_at desc")).bind(id).fetch_all(tx.conn()).await?;
    Ok(rows.iter().map(from_row).collect())
}

pub async fn get(tx: &mut TenantTx, document_id: Uuid) -> Result<Option<Document>> {
    Ok(many(tx, "document_id = $1", document_id).await?.into_iter().next())
}

pub async fn of_case(tx: &mut TenantTx, case_id: Uuid) -> Result<Vec<Document>> {
    many(tx, "case_id = $1", case_id).await
}

pub async fn of_citizen(tx: &mut TenantTx, citizen: Uuid) -> Result<Vec<Document>> {
    many(tx, "citizen_id = $1", citizen).await
}

/// By number as printed; spaces and case do not matter.
pub async fn by_number(tx: &mut TenantTx, number: &str) -> Result<Option<Document>> {
    let wanted: String = number.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if wanted.is_empty() || wanted.len() > 40 {
        return Ok(None);
    }
    let row = sqlx::query(&format!("{SELECT} where number = $1")).bind(&wanted).fetch_optional(tx.conn()).await?;
    Ok(row.as_ref().map(from_row))
}

/// The newest documents, for the office's list (at most `limit`), of the services in `scope`
/// (`None`: all).
pub async fn recent(tx: &mut TenantTx, limit: i64, scope: Option<&[String]>) -> Result<Vec<Document>> {
    let rows = sqlx::query(&format!(
        "{SELECT} where ($2::text[] is null or service_slug = any($2)) order by issued_at desc limit $1"
    ))
    .bind(limit)
    .bind(scope)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// A tenant's settings for a service's document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSetting {
    pub auto_issue: bool,
    pub reminder_days: i32,
}

pub async fn setting(tx: &mut TenantTx, t: &DocumentType) -> Result<ServiceSetting> {
    let row = sqlx::query("select auto_issue, reminder_days from document_setting where service_slug = $1")
        .bind(&t.service)
        .fetch_optional(tx.conn())
        .await?;
    Ok(row.map_or(ServiceSetting { auto_issue: t.auto_issue, reminder_days: t.reminder_days }, |r| ServiceSetting {
        auto_issue: r.get("auto_issue"),
        reminder_days: r.get("reminder_days"),
    }))
}

pub async fn save_setting(tx: &mut TenantTx, slug: &str, s: ServiceSetting) -> Result<()> {
    sqlx::query(
        "insert into document_setting (tenant_id, service_slug, auto_issue, reminder_days) values ($1, $2, $3, $4)
         on conflict (tenant_id, service_slug) do update set auto_issue = excluded.auto_issue, reminder_days = excluded.reminder_days",
    )
    .bind(tx.tenant_id().0)
    .bind(slug)
    .bind(s.auto_issue)
    .bind(s.reminder_days)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What issuing needs.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub doc_type: &'a DocumentType,
    pub case_id: Uuid,
    pub citizen_id: Option<Uuid>,
    pub facts: Vec<PrintedFact>,
    pub answers: serde_json::Value,
    pub valid_from: Date,
    pub lang: &'a str,
    pub portal_url: &'a str,
    pub issued_by: &'a str,
    /// The document this one renews (its holder's, checked by the caller).
    pub renews: Option<Uuid>,
}

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new number: the kind's prefix, the year and 8 random characters (Crockford's base 32).
pub fn new_number(kind: Kind, year: i32) -> String {
    let mut bytes = [0u8; 8];
    SystemRandom::new().fill(&mut bytes).unwrap_or_else(|_| panic!("the system random source failed"));
    let chars: String = bytes.iter().map(|b| ALPHABET[usize::from(b & 31)] as char).collect();
    format!("{}-{year}-{}-{}", kind.prefix(), &chars[..4], &chars[4..])
}

/// The last day of a validity of `months` from `from`.
pub fn valid_until(from: Date, months: u8) -> Date {
    let total = from.year() * 12 + i32::from(from.month() as u8) - 1 + i32::from(months);
    let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let month = time::Month::try_from(month).unwrap_or(time::Month::January);
    let day = from.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).map_or(from, |d| d.previous_day().unwrap_or(d))
}

/// Issues the case's document, once: while the case has a document in force, a second call (a
/// double click, a retried request, the payment and the approval racing) returns that one and
/// `false`. A renewal marks the document it renews as superseded.
pub async fn issue(tx: &mut TenantTx, sealer: &SecretsKey, n: NewDocument<'_>) -> Result<(Document, bool)> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('document:' || $1::text, 0))")
        .bind(n.case_id)
        .execute(tx.conn())
        .await?;
    if let Some(live) = many(tx, "case_id = $1 and revoked_at is null", n.case_id).await?.into_iter().next() {
        return Ok((live, false));
    }
    let key = keys::current(tx, sealer).await?;
    let kid: Kid = token::kid_of(ring::signature::KeyPair::public_key(&key).as_ref());
    let until = valid_until(n.valid_from, n.doc_type.valid_months);
    let check = check_facts(&n.facts);
    let id = Uuid::now_v7();
    for _ in 0..4 {
        let number = new_number(n.doc_type.kind, n.valid_from.year());
        let claims = Claims {
            kind: n.doc_type.kind,
            number: number.clone(),
            valid_from: n.valid_from,
            valid_until: until,
            facts: check.clone(),
        };
        let signed = token::sign(&key, &claims)?;
        let fingerprint = token::fingerprint(&signed).ok_or(DocumentError::Key)?;
        let inserted = sqlx::query(
            "insert into document (tenant_id, document_id, number, case_id, service_slug, kind, title_de, title_en, facts, answers, valid_from, valid_until,
                                   kid, token, citizen_id, lang, portal_url, issued_by, renews, token_sha256)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
             on conflict (tenant_id, number) do nothing",
        )
        .bind(tx.tenant_id().0)
        .bind(id)
        .bind(&number)
        .bind(n.case_id)
        .bind(&n.doc_type.service)
        .bind(n.doc_type.kind.as_str())
        .bind(&n.doc_type.title.de)
        .bind(&n.doc_type.title.en)
        .bind(serde_json::to_value(&n.facts).unwrap_or_default())
        .bind(&n.answers)
        .bind(n.valid_from)
        .bind(until)
        .bind(kid.as_slice())
        .bind(&signed)
        .bind(n.citizen_id)
        .bind(n.lang)
        .bind(n.portal_url)
        .bind(n.issued_by)
        .bind(n.renews)
        .bind(&fingerprint)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if inserted == 1 {
            if let Some(old) = n.renews {
                sqlx::query("update document set superseded_by = $2 where document_id = $1 and superseded_by is null")
                    .bind(old)
                    .bind(id)
                    .execute(tx.conn())
                    .await?;
            }
            let doc =
                get(tx, id).await?.ok_or(DocumentError::Db(portal_db::DbError::Sqlx(sqlx::Error::RowNotFound)))?;
            return Ok((doc, true));
        }
    }
    Err(DocumentError::Key)
}

/// Revokes a document with a reason; a document revoked once stays revoked.
pub async fn revoke(tx: &mut TenantTx, document_id: Uuid, reason: &str, by: &str) -> Result<Document> {
    let reason = reason.trim();
    if !(10..=500).contains(&reason.chars().count()) {
        return Err(DocumentError::Reason);
    }
    let done = sqlx::query("update document set revoked_at = app_now(), revoked_reason = $2, revoked_by = $3 where document_id = $1 and revoked_at is null")
        .bind(document_id)
        .bind(reason)
        .bind(by)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if done == 0 {
        return Err(DocumentError::AlreadyRevoked);
    }
    get(tx, document_id).await?.ok_or(DocumentError::Db(portal_db::DbError::Sqlx(sqlx::Error::RowNotFound)))
}

/// Revoked documents whose validity has not ended, as the fingerprints of their tokens: what an
/// offline check must know. Never the numbers, nor their hashes: a number has 40 random bits, so
/// its hash is turned back into it in a minute, and a number opens the check by number.
pub async fn revocations(tx: &mut TenantTx, today: Date) -> Result<Vec<(String, OffsetDateTime)>> {
    let rows = sqlx::query("select token_sha256, revoked_at from document where revoked_at is not null and valid_until >= $1 order by revoked_at").bind(today).fetch_all(tx.conn()).await?;
    Ok(rows.iter().map(|r| (r.get("token_sha256"), r.get("revoked_at"))).collect())
}

/// Documents of account holders whose end is within their service's reminder time, not yet
/// reminded, in force and not renewed. `reminder_days` gives the days per service.
pub async fn reminders_due(tx: &mut TenantTx, today: Date, reminder_days: &[(String, i32)]) -> Result<Vec<Document>> {
    let mut out = Vec::new();
    for (slug, days) in reminder_days {
        let rows = sqlx::query(&format!(
            "{SELECT} where service_slug = $1 and citizen_id is not null and reminded_at is null and revoked_at is null and superseded_by is null
                and valid_until >= $2 and valid_until <= $2 + $3 order by valid_until limit 500 for update skip locked"
        ))
        .bind(slug)
        .bind(today)
        .bind(*days)
        .fetch_all(tx.conn())
        .await?;
        out.extend(rows.iter().map(from_row));
    }
    Ok(out)
}

/// Documents whose case was anonymised lose what they print about the person (name, address,
/// date of birth), the answers kept for renewal and the signed token (which carries facts of the
/// holder; the check and the revocation list go on by its fingerprint); while still valid they keep what the check
/// compares (a plate, a zone), afterwards that goes too. Returns how many were changed.
pub async fn anonymise(tx: &mut TenantTx, today: Date) -> Result<u64> {
    let rows = sqlx::query(
        "select d.document_id, d.facts, d.valid_until from document d join case_record c on c.case_id = d.case_id
          where c.anonymised_at is not null and (d.anonymised_at is null or (d.anonymised_at is not null and d.valid_until < $1 and d.facts::text <> '[]'))",
    )
    .bind(today)
    .fetch_all(tx.conn())
    .await?;
    let mut n = 0;
    for r in rows {
        let mut facts: Vec<PrintedFact> = serde_json::from_value(r.get("facts")).unwrap_or_default();
        let until: Date = r.get("valid_until");
        let keep_checks = until >= today;
        facts.retain(|f| {
            f.check && keep_checks && matches!(f.fact, Fact::Plate | Fact::Zone | Fact::Subject | Fact::Reference)
        });
        sqlx::query("update document set facts = $2, answers = '{}', citizen_id = null, token = null, anonymised_at = coalesce(anonymised_at, app_now()) where document_id = $1")
            .bind(r.get::<Uuid, _>("document_id"))
            .bind(serde_json::to_value(&facts).unwrap_or_default())
            .execute(tx.conn())
            .await?;
        n += 1;
    }
    Ok(n)
}

pub async fn mark_reminded(tx: &mut TenantTx, document_id: Uuid) -> Result<()> {
    sqlx::query("update document set reminded_at = app_now() where document_id = $1")
        .bind(document_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
