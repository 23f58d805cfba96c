//! A tenant's own services: services that are not in the base catalogue, with their texts, fee,
//! responsible office and (once published in the form builder) their form. They are offered on the
//! portal like catalogue services by an activation, and listed and searched through
//! `service_entry`, the base catalogue and the tenant's own services in one relation.

use portal_db::{DbError, TenantTx};
use portal_domain::{Cents, Localized};
use sqlx::Row;
use uuid::Uuid;

/// Every own service's slug starts with this (the base catalogue refuses such slugs).
pub const PREFIX: &str = "eigen-";

/// What an editor enters for an own service.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnServiceInput {
    pub category: String,
    pub name: Localized,
    pub summary: Localized,
    pub description: Localized,
    pub keywords: Localized,
    pub fee: Option<Cents>,
    pub fee_note: Localized,
    pub appointment_required: bool,
    pub fully_online: bool,
    pub office: Option<String>,
}

/// An own service as the office lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnService {
    pub slug: String,
    pub version: i32,
    pub input: OwnServiceInput,
    pub has_form: bool,
    /// Offered on the portal (activated).
    pub offered: bool,
}

/// The slug for a new own service named `name`: `eigen-` and the name's letters and digits, unique
/// among `taken`.
pub fn slug_for(name: &str, taken: &[String]) -> String {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'ä' => word.push_str("ae"),
            'ö' => word.push_str("oe"),
            'ü' => word.push_str("ue"),
            'ß' => word.push_str("ss"),
            c if c.is_ascii_alphanumeric() => word.push(c),
            _ => words.push(std::mem::take(&mut word)),
        }
    }
    words.push(word);
    let mut base = PREFIX.to_owned();
    for w in words.into_iter().filter(|w| !w.is_empty()) {
        if base.len() + w.len() + 1 > 52 {
            break;
        }
        if base.len() > PREFIX.len() {
            base.push('-');
        }
        base.push_str(&w);
    }
    if base.len() == PREFIX.len() {
        base.push_str("leistung");
    }
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
}

const COLUMNS: &str = "o.service_slug, o.version, o.category_slug, o.name_de, o.name_en, o.summary_de, o.summary_en, o.description_de, o.description_en,
    o.keywords_de, o.keywords_en, o.fee_cents, o.fee_note_de, o.fee_note_en, o.appointment_required, o.fully_online, o.office,
    o.form_schema is not null as has_form, a.service_slug is not null as offered";

fn from_row(r: &sqlx::postgres::PgRow) -> OwnService {
    let l = |k: &str| Localized { de: r.get(format!("{k}_de").as_str()), en: r.get(format!("{k}_en").as_str()) };
    OwnService {
        slug: r.get("service_slug"),
        version: r.get("version"),
        input: OwnServiceInput {
            category: r.get("category_slug"),
            name: l("name"),
            summary: l("summary"),
            description: l("description"),
            keywords: l("keywords"),
            fee: r.get::<Option<i64>, _>("fee_cents").and_then(|c| Cents::new(c).ok()),
            fee_note: l("fee_note"),
            appointment_required: r.get("appointment_required"),
            fully_online: r.get("fully_online"),
            office: r.get("office"),
        },
        has_form: r.get("has_form"),
        offered: r.get("offered"),
    }
}

/// The tenant's own services, by German name.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<OwnService>, DbError> {
    let sql = format!(
        "select {COLUMNS} from own_service o left join service_activation a using (tenant_id, service_slug) order by o.name_de"
    );
    Ok(sqlx::query(&sql).fetch_all(tx.conn()).await?.iter().map(from_row).collect())
}

pub async fn get(tx: &mut TenantTx, slug: &str) -> Result<Option<OwnService>, DbError> {
    let sql = format!(
        "select {COLUMNS} from own_service o left join service_activation a using (tenant_id, service_slug) where o.service_slug = $1"
    );
    Ok(sqlx::query(&sql).bind(slug).fetch_optional(tx.conn()).await?.as_ref().map(from_row))
}

/// Creates an own service (not yet offered) for the form whose one-time `key` it carries, and
/// returns its slug and `true`; the same key posted again (a double click, a retried request, at
/// the same moment or later) finds the service the first post made: its slug and `false`.
pub async fn create(
    tx: &mut TenantTx,
    input: &OwnServiceInput,
    by: &str,
    key: Uuid,
) -> Result<(String, bool), DbError> {
    // posts of one key wait for each other; the unique index on the key stands behind this
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('own-service-key:' || $1::text, 0))")
        .bind(key)
        .execute(tx.conn())
        .await?;
    if let Some(slug) = sqlx::query_scalar::<_, String>("select service_slug from own_service where create_key = $1")
        .bind(key)
        .fetch_optional(tx.conn())
        .await?
    {
        return Ok((slug, false));
    }
    let slug = create_slug(tx, input, by).await?;
    sqlx::query("update own_service set create_key = $2 where service_slug = $1")
        .bind(&slug)
        .bind(key)
        .execute(tx.conn())
        .await?;
    Ok((slug, true))
}

async fn create_slug(tx: &mut TenantTx, input: &OwnServiceInput, by: &str) -> Result<String, DbError> {
    let taken: Vec<String> =
        sqlx::query_scalar("select service_slug from own_service where service_slug like $1 || '%' for update")
            .bind(slug_for(&input.name.de, &[]))
            .fetch_all(tx.conn())
            .await?;
    let mut taken = taken;
    // another editor may take the same slug at the same moment: the next free one then
    for _ in 0..5 {
        let slug = slug_for(&input.name.de, &taken);
        if insert(tx, &slug, input, by).await? {
            return Ok(slug);
        }
        taken.push(slug);
    }
    Err(DbError::Sqlx(sqlx::Error::Protocol("no free slug for the own service".into())))
}

/// Binds an input's values in the order of the column lists below.
fn bind_input<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    i: &'q OwnServiceInput,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    q.bind(&i.category)
        .bind(&i.name.de)
        .bind(&i.name.en)
        .bind(&i.summary.de)
        .bind(&i.summary.en)
        .bind(&i.description.de)
        .bind(&i.description.en)
        .bind(&i.keywords.de)
        .bind(&i.keywords.en)
        .bind(i.fee.map(Cents::get))
        .bind(&i.fee_note.de)
        .bind(&i.fee_note.en)
        .bind(i.appointment_required)
        .bind(i.fully_online)
        .bind(i.office.as_deref())
}

/// Adds an own service under `slug` unless the tenant has one of that slug (demo data); true when
/// it was added.
pub async fn insert(tx: &mut TenantTx, slug: &str, input: &OwnServiceInput, by: &str) -> Result<bool, DbError> {
    let tenant = tx.tenant_id().0;
    let q = sqlx::query(
        "insert into own_service (tenant_id, service_slug, created_by, category_slug, name_de, name_en, summary_de, summary_en, description_de, description_en,
             keywords_de, keywords_en, fee_cents, fee_note_de, fee_note_en, appointment_required, fully_online, office)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         on conflict (tenant_id, service_slug) do nothing",
    )
    .bind(tenant)
    .bind(slug)
    .bind(by);
    Ok(bind_input(q, input).execute(tx.conn()).await?.rows_affected() == 1)
}

/// Changes an own service's texts and settings (a new version of it). False: no such service.
pub async fn update(tx: &mut TenantTx, slug: &str, input: &OwnServiceInput) -> Result<bool, DbError> {
    let q = sqlx::query(
        "update own_service set version = version + 1, category_slug = $2, name_de = $3, name_en = $4, summary_de = $5, summary_en = $6,
             description_de = $7, description_en = $8, keywords_de = $9, keywords_en = $10, fee_cents = $11, fee_note_de = $12, fee_note_en = $13,
             appointment_required = $14, fully_online = $15, office = $16
         where service_slug = $1",
    )
    .bind(slug);
    Ok(bind_input(q, input).execute(tx.conn()).await?.rows_affected() == 1)
}

/// Offers an own service on the portal or withdraws it (its texts and form stay). Returns whether
/// anything changed.
pub async fn set_offered(tx: &mut TenantTx, slug: &str, offered: bool) -> Result<bool, DbError> {
    let r = if offered {
        sqlx::query(
            "insert into service_activation (tenant_id, service_slug, seen_version)
             select tenant_id, service_slug, version from own_service where service_slug = $1
             on conflict (tenant_id, service_slug) do nothing",
        )
        .bind(slug)
        .execute(tx.conn())
        .await?
    } else {
        sqlx::query("delete from service_activation where service_slug = $1 and own_slug is not null")
            .bind(slug)
            .execute(tx.conn())
            .await?
    };
    Ok(r.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_prefixed_ascii_and_unique() {
        assert_eq!(slug_for("Hundekotbeutel-Spender beantragen", &[]), "eigen-hundekotbeutel-spender-beantragen");
        assert_eq!(slug_for("Straßenfest (Anmeldung)", &[]), "eigen-strassenfest-anmeldung");
        assert_eq!(slug_for("!!!", &[]), "eigen-leistung");
        assert_eq!(slug_for("Fest", &["eigen-fest".into(), "eigen-fest-2".into()]), "eigen-fest-3");
        let long = slug_for(&"Wort ".repeat(40), &[]);
        assert!(long.len() <= 52 && portal_domain::ServiceSlug::parse(&long).is_ok(), "{long}");
        assert!(portal_domain::ServiceSlug::parse(&slug_for("Ölwechsel", &[])).is_ok());
    }
}
