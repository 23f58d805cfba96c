//! The Kita tables. Everything runs in the tenant's transaction (row-level security). Staff of a
//! Träger reach the data only through functions that take a [`Scope`]: with `Scope::Providers`
//! every query is limited to those Träger's facilities and to the applications that name one of
//! them (or that the Träger entered), in SQL, so a page cannot forget it.

use portal_db::{DbError, TenantTx};
use sqlx::Row;
use sqlx::postgres::PgRow;
use time::Date;
use uuid::Uuid;

use crate::criteria::{Criterion, Kind};

pub mod allocation;
pub mod applications;
pub mod stats;

type Result<T, E = DbError> = std::result::Result<T, E>;

fn db(e: sqlx::Error) -> DbError {
    DbError::Sqlx(e)
}

/// The allocation's lock of the tenant (transaction-scoped): rounds, sending and merges take it.
pub async fn lock(tx: &mut TenantTx) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('kita-allocation:' || $1::text, 0))")
        .bind(tx.tenant_id().0)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(())
}

/// Whether rounds are running or their result waits to be sent: the ranked lists, places and
/// applications must not change then.
pub async fn rounds_open(tx: &mut TenantTx) -> Result<bool> {
    sqlx::query_scalar("select exists (select 1 from kita_allocation where status in ('running', 'closed'))")
        .fetch_one(tx.conn())
        .await
        .map_err(db)
}

/// What a member of staff may see: everything of the tenant (the youth office) or only some
/// Träger's facilities and the children who applied there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Providers(Vec<Uuid>),
}

impl Scope {
    /// The Träger ids to bind as `$n::uuid[]` (`None`: no limit).
    pub fn bind(&self) -> Option<Vec<Uuid>> {
        match self {
            Scope::All => None,
            Scope::Providers(p) => Some(p.clone()),
        }
    }

    pub fn covers(&self, provider: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Providers(p) => p.contains(&provider),
        }
    }
}

/// The Träger a member of staff works for (empty: none).
pub async fn providers_of_staff(tx: &mut TenantTx, staff: Uuid) -> Result<Vec<Uuid>> {
    sqlx::query_scalar("select provider_id from kita_provider_staff where staff_id = $1 order by provider_id")
        .bind(staff)
        .fetch_all(tx.conn())
        .await
        .map_err(db)
}

pub async fn add_provider_staff(tx: &mut TenantTx, staff: Uuid, provider: Uuid) -> Result<()> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into kita_provider_staff (tenant_id, staff_id, provider_id) values ($1, $2, $3) on conflict do nothing",
    )
    .bind(tenant)
    .bind(staff)
    .bind(provider)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    Ok(())
}

/// Staff of a Träger: (staff id, e-mail, name, status).
pub async fn provider_staff(tx: &mut TenantTx, provider: Uuid) -> Result<Vec<(Uuid, String, String, String)>> {
    let rows = sqlx::query("select u.staff_id, u.email, u.display_name, u.status from kita_provider_staff s join staff_user u using (tenant_id, staff_id) where s.provider_id = $1 order by u.email")
        .bind(provider)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
}

// ---------------------------------------------------------------------------------------------
// settings, districts, criteria

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub year_start: Date,
    pub deadline: Date,
    pub max_preferences: i32,
    pub accept_days: i32,
}

impl Settings {
    /// The twelve start months of the Kita year.
    pub fn months(&self) -> Vec<Date> {
        let mut out = Vec::with_capacity(12);
        let mut d = self.year_start;
        for _ in 0..12 {
            out.push(d);
            let (y, m) = if d.month() == time::Month::December {
                (d.year() + 1, time::Month::January)
            } else {
                (d.year(), d.month().next())
            };
            d = Date::from_calendar_date(y, m, 1).unwrap_or(d);
        }
        out
    }

    pub fn in_year(&self, month: Date) -> bool {
        self.months().contains(&month)
    }
}

pub async fn settings(tx: &mut TenantTx) -> Result<Option<Settings>> {
    let row = sqlx::query("select year_start, deadline, max_preferences, accept_days from kita_settings")
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?;
    Ok(row.map(|r| Settings {
        year_start: r.get(0),
        deadline: r.get(1),
        max_preferences: r.get(2),
        accept_days: r.get(3),
    }))
}

/// Saves the settings; a new tenant also gets the criteria at their default weights.
pub async fn save_settings(tx: &mut TenantTx, s: &Settings) -> Result<()> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into kita_settings (tenant_id, year_start, deadline, max_preferences, accept_days) values ($1, $2, $3, $4, $5)
         on conflict (tenant_id) do update set year_start = excluded.year_start, deadline = excluded.deadline, max_preferences = excluded.max_preferences, accept_days = excluded.accept_days",
    )
    .bind(tenant)
    .bind(s.year_start)
    .bind(s.deadline)
    .bind(s.max_preferences)
    .bind(s.accept_days)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    for k in Kind::ALL {
        sqlx::query("insert into kita_criterion (tenant_id, kind, weight) values ($1, $2, $3) on conflict do nothing")
            .bind(tenant)
            .bind(k.code())
            .bind(k.default_weight())
            .execute(tx.conn())
            .await
            .map_err(db)?;
    }
    Ok(())
}

pub async fn criteria(tx: &mut TenantTx) -> Result<Vec<Criterion>> {
    let rows = sqlx::query("select kind, weight from kita_criterion").fetch_all(tx.conn()).await.map_err(db)?;
    let mut out: Vec<Criterion> = rows
        .iter()
        .filter_map(|r| Kind::parse(r.get::<String, _>(0).as_str()).map(|kind| Criterion { kind, weight: r.get(1) }))
        .collect();
    out.sort_by_key(|c| Kind::ALL.iter().position(|k| *k == c.kind));
    Ok(out)
}

pub async fn save_criteria(tx: &mut TenantTx, criteria: &[Criterion]) -> Result<()> {
    let tenant = tx.tenant_id().0;
    for c in criteria {
        sqlx::query("insert into kita_criterion (tenant_id, kind, weight) values ($1, $2, $3) on conflict (tenant_id, kind) do update set weight = excluded.weight")
            .bind(tenant)
            .bind(c.kind.code())
            .bind(c.weight)
            .execute(tx.conn())
            .await
            .map_err(db)?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct District {
    pub id: Uuid,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// Its streets, normalised ([`street_key`]).
    pub streets: Vec<String>,
}

/// A street name as the directory compares it: normalised, "Straße"/"Str." alike, without the
/// house number and what follows it ("Pariser Str. 12, 67655 …" → "pariser str").
pub fn street_key(address: &str) -> String {
    let first = address.split(',').next().unwrap_or("");
    let key = crate::duplicates::address_key(first);
    key.split(' ').take_while(|t| !t.starts_with(|c: char| c.is_ascii_digit())).collect::<Vec<_>>().join(" ")
}

/// The district whose street directory has the address's street.
pub fn district_of_address<'a>(districts: &'a [District], address: &str) -> Option<&'a District> {
    let key = street_key(address);
    if key.is_empty() {
        return None;
    }
    districts.iter().find(|d| d.streets.contains(&key))
}

pub async fn districts(tx: &mut TenantTx) -> Result<Vec<District>> {
    let rows = sqlx::query("select district_id, name, lat, lon, streets from kita_district order by name")
        .fetch_all(tx.conn())
        .await
        .map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| District { id: r.get(0), name: r.get(1), lat: r.get(2), lon: r.get(3), streets: r.get(4) })
        .collect())
}

/// Adds or updates a district by name with its streets (as typed; stored normalised); returns
/// its id.
pub async fn save_district(tx: &mut TenantTx, name: &str, lat: f64, lon: f64, streets: &[String]) -> Result<Uuid> {
    let tenant = tx.tenant_id().0;
    let mut keys: Vec<String> = streets.iter().map(|s| street_key(s)).filter(|s| !s.is_empty()).collect();
    keys.sort();
    keys.dedup();
    sqlx::query_scalar(
        "insert into kita_district (tenant_id, district_id, name, lat, lon, streets) values ($1, $2, $3, $4, $5, $6)
         on conflict (tenant_id, name) do update set lat = excluded.lat, lon = excluded.lon, streets = excluded.streets returning district_id",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(name)
    .bind(lat)
    .bind(lon)
    .bind(&keys)
    .fetch_one(tx.conn())
    .await
    .map_err(db)
}

/// Records the district the parents chose on an application (its `district_id` is the one its
/// points are computed from: the address's where the street directory knows it).
pub async fn set_chosen_district(tx: &mut TenantTx, application: Uuid, chosen: Option<Uuid>) -> Result<()> {
    sqlx::query("update kita_application set chosen_district_id = $2 where application_id = $1")
        .bind(application)
        .bind(chosen)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(())
}

/// The district the parents chose on an application (none: they chose none).
pub async fn chosen_district(tx: &mut TenantTx, application: Uuid) -> Result<Option<Uuid>> {
    let row: Option<Option<Uuid>> =
        sqlx::query_scalar("select chosen_district_id from kita_application where application_id = $1")
            .bind(application)
            .fetch_optional(tx.conn())
            .await
            .map_err(db)?;
    Ok(row.flatten())
}

// ---------------------------------------------------------------------------------------------
// Träger and facilities

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub contact: String,
}

pub const PROVIDER_KINDS: [&str; 4] = ["municipal", "church", "free", "company"];

pub async fn providers(tx: &mut TenantTx, scope: &Scope) -> Result<Vec<Provider>> {
    let rows = sqlx::query("select provider_id, name, kind, contact from kita_provider where ($1::uuid[] is null or provider_id = any($1)) order by name")
        .bind(scope.bind())
        .fetch_all(tx.conn())
        .await
        .map_err(db)?;
    Ok(rows.iter().map(|r| Provider { id: r.get(0), name: r.get(1), kind: r.get(2), contact: r.get(3) }).collect())
}

/// Adds a Träger, or updates the one with this id.
pub async fn save_provider(tx: &mut TenantTx, p: &Provider) -> Result<()> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into kita_provider (tenant_id, provider_id, name, kind, contact) values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, provider_id) do update set name = excluded.name, kind = excluded.kind, contact = excluded.contact",
    )
    .bind(tenant)
    .bind(p.id)
    .bind(&p.name)
    .bind(&p.kind)
    .bind(&p.contact)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub provider_kind: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub district_id: Option<Uuid>,
    pub position: Option<(f64, f64)>,
    pub opening_hours: String,
    pub scopes: Vec<i32>,
    pub concept: String,
    pub languages: Vec<String>,
    pub meals: String,
    pub accessible: bool,
    pub active: bool,
}

impl Facility {
    /// The care types it offers places of.
    pub fn care_types(&self) -> &'static [&'static str] {
        if self.kind == "tagespflege" { &["tagespflege"] } else { &["krippe", "kita", "hort"] }
    }
}

const FACILITY_COLUMNS: &str = "f.facility_id, f.provider_id, p.name, p.kind, f.name, f.kind, f.address, f.district_id, f.lat, f.lon, f.opening_hours, f.scopes, f.concept, f.languages, f.meals, f.accessible, f.active";

fn facility_row(r: &PgRow) -> Facility {
    let lat: Option<f64> = r.get(8);
    let lon: Option<f64> = r.get(9);
    Facility {
        id: r.get(0),
        provider_id: r.get(1),
        provider_name: r.get(2),
        provider_kind: r.get(3),
        name: r.get(4),
        kind: r.get(5),
        address: r.get(6),
        district_id: r.get(7),
        position: lat.zip(lon),
        opening_hours: r.get(10),
        scopes: r.get(11),
        concept: r.get(12),
        languages: r.get(13),
        meals: r.get(14),
        accessible: r.get(15),
        active: r.get(16),
    }
}

/// Facilities in the scope (with `active_only`, only those open to applications), by name.
pub async fn facilities(tx: &mut TenantTx, scope: &Scope, active_only: bool) -> Result<Vec<Facility>> {
    let rows = sqlx::query(&format!(
        "select {FACILITY_COLUMNS} from kita_facility f join kita_provider p using (tenant_id, provider_id)
         where ($1::uuid[] is null or f.provider_id = any($1)) and (not $2 or f.active) order by f.name"
    ))
    .bind(scope.bind())
    .bind(active_only)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    Ok(rows.iter().map(facility_row).collect())
}

/// One facility, if it is in the scope.
pub async fn facility(tx: &mut TenantTx, scope: &Scope, id: Uuid) -> Result<Option<Facility>> {
    let row = sqlx::query(&format!(
        "select {FACILITY_COLUMNS} from kita_facility f join kita_provider p using (tenant_id, provider_id) where f.facility_id = $1 and ($2::uuid[] is null or f.provider_id = any($2))"
    ))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(tx.conn())
    .await
    .map_err(db)?;
    Ok(row.as_ref().map(facility_row))
}

pub async fn save_facility(tx: &mut TenantTx, f: &Facility) -> Result<()> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into kita_facility (tenant_id, facility_id, provider_id, name, kind, address, district_id, lat, lon, opening_hours, scopes, concept, languages, meals, accessible, active)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         on conflict (tenant_id, facility_id) do update set provider_id = excluded.provider_id, name = excluded.name, kind = excluded.kind, address = excluded.address,
             district_id = excluded.district_id, lat = excluded.lat, lon = excluded.lon, opening_hours = excluded.opening_hours, scopes = excluded.scopes,
             concept = excluded.concept, languages = excluded.languages, meals = excluded.meals, accessible = excluded.accessible, active = excluded.active",
    )
    .bind(tenant)
    .bind(f.id)
    .bind(f.provider_id)
    .bind(&f.name)
    .bind(&f.kind)
    .bind(&f.address)
    .bind(f.district_id)
    .bind(f.position.map(|p| p.0))
    .bind(f.position.map(|p| p.1))
    .bind(&f.opening_hours)
    .bind(&f.scopes)
    .bind(&f.concept)
    .bind(&f.languages)
    .bind(&f.meals)
    .bind(f.accessible)
    .bind(f.active)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    Ok(())
}

/// Places of a program (a facility's places of one care type from one start month).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Program {
    pub facility: Uuid,
    pub care_type: String,
    pub start_month: Date,
}

/// Places per program of the facilities in the scope.
pub async fn places(tx: &mut TenantTx, scope: &Scope) -> Result<Vec<(Program, i32)>> {
    let rows = sqlx::query(
        "select pl.facility_id, pl.care_type, pl.start_month, pl.places from kita_places pl join kita_facility f using (tenant_id, facility_id)
         where ($1::uuid[] is null or f.provider_id = any($1)) order by pl.facility_id, pl.care_type, pl.start_month",
    )
    .bind(scope.bind())
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| (Program { facility: r.get(0), care_type: r.get(1), start_month: r.get(2) }, r.get(3)))
        .collect())
}

/// Sets the places of a program (0 removes it).
pub async fn set_places(tx: &mut TenantTx, p: &Program, places: i32) -> Result<()> {
    let tenant = tx.tenant_id().0;
    if places == 0 {
        sqlx::query("delete from kita_places where facility_id = $1 and care_type = $2 and start_month = $3")
            .bind(p.facility)
            .bind(&p.care_type)
            .bind(p.start_month)
            .execute(tx.conn())
            .await
            .map_err(db)?;
        return Ok(());
    }
    sqlx::query(
        "insert into kita_places (tenant_id, facility_id, care_type, start_month, places) values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, facility_id, care_type, start_month) do update set places = excluded.places",
    )
    .bind(tenant)
    .bind(p.facility)
    .bind(&p.care_type)
    .bind(p.start_month)
    .bind(places)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    Ok(())
}
