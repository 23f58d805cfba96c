//! The appointment tables. Everything runs in the tenant's transaction (row-level security); the
//! booking functions take a per-location-and-day advisory lock, so that the walk-in share holds
//! under concurrency, and the exclusion constraint is the last word on double bookings.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use portal_db::{DbError, TenantTx};
use portal_domain::civil;
use sqlx::Row;
use sqlx::postgres::PgRow;
use time::{Date, Duration, OffsetDateTime, Time, Weekday};
use uuid::Uuid;

use crate::estimate;
use crate::holidays::Land;
use crate::queue;
use crate::slots::{self, Ask, Busy, Calendar, Counter, Slot};

type Result<T, E = DbError> = std::result::Result<T, E>;

fn db(e: sqlx::Error) -> DbError {
    DbError::Sqlx(e)
}

// ---------------------------------------------------------------------------------------------
// settings and set-up

/// The tenant's appointment settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub land: Land,
    pub reminder_hours: i32,
    pub hold_minutes: i32,
    pub max_active_per_email: i32,
    pub max_per_address_hour: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Self { land: Land::RP, reminder_hours: 24, hold_minutes: 10, max_active_per_email: 3, max_per_address_hour: 10 }
    }
}

pub async fn settings(tx: &mut TenantTx) -> Result<Option<Settings>> {
    let row = sqlx::query("select land, reminder_hours, hold_minutes, max_active_per_email, max_per_address_hour from appointment_settings").fetch_optional(tx.conn()).await.map_err(db)?;
    Ok(row.map(|r| Settings {
        land: Land::parse(r.get::<String, _>(0).as_str()).unwrap_or(Land::RP),
        reminder_hours: r.get(1),
        hold_minutes: r.get(2),
        max_active_per_email: r.get(3),
        max_per_address_hour: r.get(4),
    }))
}

pub async fn save_settings(tx: &mut TenantTx, s: &Settings) -> Result<()> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into appointment_settings (tenant_id, land, reminder_hours, hold_minutes, max_active_per_email, max_per_address_hour) values ($1, $2, $3, $4, $5, $6)
         on conflict (tenant_id) do update set land = excluded.land, reminder_hours = excluded.reminder_hours, hold_minutes = excluded.hold_minutes,
             max_active_per_email = excluded.max_active_per_email, max_per_address_hour = excluded.max_per_address_hour",
    )
    .bind(tenant)
    .bind(s.land.code())
    .bind(s.reminder_hours)
    .bind(s.hold_minutes)
    .bind(s.max_active_per_email)
    .bind(s.max_per_address_hour)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    Ok(())
}

/// A location (Bürgerbüro, Kfz-Zulassung …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub contact: String,
    pub accessibility: String,
    pub display_token: String,
    pub active: bool,
}

fn location_row(r: &PgRow) -> Location {
    Location {
        id: r.get(0),
        name: r.get(1),
        address: r.get(2),
        contact: r.get(3),
        accessibility: r.get(4),
        display_token: r.get(5),
        active: r.get(6),
    }
}

const LOCATION: &str =
    "select location_id, name, address, contact, accessibility, display_token, active from appointment_location";

pub async fn locations(tx: &mut TenantTx) -> Result<Vec<Location>> {
    Ok(sqlx::query(&format!("{LOCATION} order by name"))
        .fetch_all(tx.conn())
        .await
        .map_err(db)?
        .iter()
        .map(location_row)
        .collect())
}

pub async fn location(tx: &mut TenantTx, id: Uuid) -> Result<Option<Location>> {
    Ok(sqlx::query(&format!("{LOCATION} where location_id = $1"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?
        .as_ref()
        .map(location_row))
}

/// The location whose call display has this secret (of the transaction's tenant only).
pub async fn location_by_display(tx: &mut TenantTx, token: &str) -> Result<Option<Location>> {
    Ok(sqlx::query(&format!("{LOCATION} where display_token = $1 and active"))
        .bind(token)
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?
        .as_ref()
        .map(location_row))
}

/// A new secret for links (call display, managing a booking) and what is stored of it: the
/// identity crate's tokens, as for every other link of the platform.
pub use portal_identity::secret::{random_token as secret, token_hash as secret_hash};

/// Creates (`id` None) or updates a location; returns its id.
pub async fn save_location(
    tx: &mut TenantTx,
    id: Option<Uuid>,
    name: &str,
    address: &str,
    contact: &str,
    accessibility: &str,
    active: bool,
) -> Result<Uuid> {
    let tenant = tx.tenant_id().0;
    match id {
        Some(id) => {
            sqlx::query("update appointment_location set name = $2, address = $3, contact = $4, accessibility = $5, active = $6 where location_id = $1")
                .bind(id)
                .bind(name)
                .bind(address)
                .bind(contact)
                .bind(accessibility)
                .bind(active)
                .execute(tx.conn())
                .await
                .map_err(db)?;
            Ok(id)
        }
        None => {
            let id = Uuid::now_v7();
            sqlx::query("insert into appointment_location (tenant_id, location_id, name, address, contact, accessibility, display_token, active) values ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(tenant)
                .bind(id)
                .bind(name)
                .bind(address)
                .bind(contact)
                .bind(accessibility)
                .bind(secret())
                .bind(active)
                .execute(tx.conn())
                .await
                .map_err(db)?;
            Ok(id)
        }
    }
}

/// Sets the call display's secret (demo data: a link that stays the same).
pub async fn set_display_token(tx: &mut TenantTx, location: Uuid, token: &str) -> Result<()> {
    sqlx::query("update appointment_location set display_token = $2 where location_id = $1")
        .bind(location)
        .bind(token)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(())
}

/// A new secret for the call display (the old link stops working).
pub async fn renew_display(tx: &mut TenantTx, location: Uuid) -> Result<()> {
    sqlx::query("update appointment_location set display_token = $2 where location_id = $1")
        .bind(location)
        .bind(secret())
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(())
}

fn iso_weekday(w: Weekday) -> i16 {
    i16::from(w.number_from_monday())
}

fn weekday_of(n: i16) -> Weekday {
    [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ][usize::try_from(n - 1).unwrap_or(0).min(6)]
}

pub async fn hours(tx: &mut TenantTx, location: Uuid) -> Result<Vec<(Weekday, Time, Time)>> {
    let rows = sqlx::query(
        "select weekday, opens, closes from appointment_hours where location_id = $1 order by weekday, opens",
    )
    .bind(location)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    Ok(rows.iter().map(|r| (weekday_of(r.get(0)), r.get(1), r.get(2))).collect())
}

/// Replaces the weekly hours of a location.
pub async fn set_hours(tx: &mut TenantTx, location: Uuid, hours: &[(Weekday, Time, Time)]) -> Result<()> {
    let tenant = tx.tenant_id().0;
    sqlx::query("delete from appointment_hours where location_id = $1")
        .bind(location)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    for (w, o, c) in hours {
        sqlx::query("insert into appointment_hours (tenant_id, location_id, weekday, opens, closes) values ($1, $2, $3, $4, $5)")
            .bind(tenant)
            .bind(location)
            .bind(iso_weekday(*w))
            .bind(*o)
            .bind(*c)
            .execute(tx.conn())
            .await
            .map_err(db)?;
    }
    Ok(())
}

/// A special day: closed (`hours` None) or open with its own hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDay {
    pub id: Uuid,
    pub day: Date,
    pub hours: Option<(Time, Time)>,
    pub note: String,
}

pub async fn special_days(tx: &mut TenantTx, location: Uuid, from: Date, to: Date) -> Result<Vec<SpecialDay>> {
    let rows = sqlx::query("select special_id, day, opens, closes, note from appointment_special_day where location_id = $1 and day between $2 and $3 order by day, opens nulls first")
        .bind(location)
        .bind(from)
        .bind(to)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| {
            let (o, c): (Option<Time>, Option<Time>) = (r.get(2), r.get(3));
            SpecialDay { id: r.get(0), day: r.get(1), hours: o.zip(c), note: r.get(4) }
        })
        .collect())
}

/// Sets a special day (closed, or open with its own hours), replacing what the day had.
pub async fn add_special_day(
    tx: &mut TenantTx,
    location: Uuid,
    day: Date,
    hours: Option<(Time, Time)>,
    note: &str,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let tenant = tx.tenant_id().0;
    sqlx::query("delete from appointment_special_day where location_id = $1 and day = $2")
        .bind(location)
        .bind(day)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    sqlx::query("insert into appointment_special_day (tenant_id, special_id, location_id, day, opens, closes, note) values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(tenant)
        .bind(id)
        .bind(location)
        .bind(day)
        .bind(hours.map(|h| h.0))
        .bind(hours.map(|h| h.1))
        .bind(note)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(id)
}

pub async fn delete_special_day(tx: &mut TenantTx, location: Uuid, id: Uuid) -> Result<bool> {
    Ok(sqlx::query("delete from appointment_special_day where location_id = $1 and special_id = $2")
        .bind(location)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(db)?
        .rows_affected()
        == 1)
}

/// The opening calendar of a location for `from`..=`to`.
pub async fn calendar(tx: &mut TenantTx, land: Land, location: Uuid, from: Date, to: Date) -> Result<Calendar> {
    let weekly = hours(tx, location).await?;
    let mut special: BTreeMap<Date, Vec<(Time, Time)>> = BTreeMap::new();
    for d in special_days(tx, location, from, to).await? {
        let e = special.entry(d.day).or_default();
        if let Some(h) = d.hours {
            e.push(h);
        }
    }
    Ok(Calendar { land: Some(land), weekly, special })
}

/// A counter of a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRow {
    pub id: Uuid,
    pub location: Uuid,
    pub name: String,
    pub services: Vec<String>,
    pub active: bool,
}

pub async fn counters(tx: &mut TenantTx, location: Uuid) -> Result<Vec<CounterRow>> {
    let rows =
        sqlx::query("select counter_id, location_id, name, services, active from appointment_counter where location_id = $1 order by name").bind(location).fetch_all(tx.conn()).await.map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| CounterRow { id: r.get(0), location: r.get(1), name: r.get(2), services: r.get(3), active: r.get(4) })
        .collect())
}

pub async fn counter(tx: &mut TenantTx, id: Uuid) -> Result<Option<CounterRow>> {
    let row = sqlx::query(
        "select counter_id, location_id, name, services, active from appointment_counter where counter_id = $1",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await
    .map_err(db)?;
    Ok(row.map(|r| CounterRow {
        id: r.get(0),
        location: r.get(1),
        name: r.get(2),
        services: r.get(3),
        active: r.get(4),
    }))
}

/// Creates (`id` None) or updates a counter; `false` when the name is taken at the location.
pub async fn save_counter(
    tx: &mut TenantTx,
    location: Uuid,
    id: Option<Uuid>,
    name: &str,
    services: &[String],
    active: bool,
) -> Result<bool> {
    let tenant = tx.tenant_id().0;
    let r = match id {
        Some(id) => {
            sqlx::query("update appointment_counter set name = $3, services = $4, active = $5 where counter_id = $1 and location_id = $2")
                .bind(id)
                .bind(location)
                .bind(name)
                .bind(services)
                .bind(active)
                .execute(tx.conn())
                .await
        }
        None => {
            sqlx::query("insert into appointment_counter (tenant_id, counter_id, location_id, name, services, active) values ($1, $2, $3, $4, $5, $6)")
                .bind(tenant)
                .bind(Uuid::now_v7())
                .bind(location)
                .bind(name)
                .bind(services)
                .bind(active)
                .execute(tx.conn())
                .await
        }
    };
    match r {
        Ok(_) => Ok(true),
        Err(e) if portal_db::violated(&e) == Some("appointment_counter_name_key") => Ok(false),
        Err(e) => Err(db(e)),
    }
}

/// The booking rules of a service at a location (read: only of the services the tenant offers now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub service: String,
    pub duration_min: i32,
    pub buffer_min: i32,
    pub min_notice_min: i32,
    pub max_days_ahead: i32,
    pub max_persons: i32,
    pub walkin_share: i32,
}

pub async fn rules(tx: &mut TenantTx, location: Uuid) -> Result<Vec<Rule>> {
    let rows = sqlx::query(
        "select r.service_slug, r.duration_min, r.buffer_min, r.min_notice_min, r.max_days_ahead, r.max_persons, r.walkin_share
           from appointment_service r join service_activation a on a.tenant_id = r.tenant_id and a.service_slug = r.service_slug
          where r.location_id = $1 order by r.service_slug",
    )
    .bind(location)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| Rule {
            service: r.get(0),
            duration_min: r.get(1),
            buffer_min: r.get(2),
            min_notice_min: r.get(3),
            max_days_ahead: r.get(4),
            max_persons: r.get(5),
            walkin_share: r.get(6),
        })
        .collect())
}

/// Saves a rule; `false` when the tenant does not offer the service.
pub async fn save_rule(tx: &mut TenantTx, location: Uuid, r: &Rule) -> Result<bool> {
    let tenant = tx.tenant_id().0;
    let offered: bool = sqlx::query_scalar("select exists (select 1 from service_activation where service_slug = $1)")
        .bind(&r.service)
        .fetch_one(tx.conn())
        .await
        .map_err(db)?;
    if !offered {
        return Ok(false);
    }
    let res = sqlx::query(
        "insert into appointment_service (tenant_id, location_id, service_slug, duration_min, buffer_min, min_notice_min, max_days_ahead, max_persons, walkin_share)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (tenant_id, location_id, service_slug) do update set duration_min = excluded.duration_min, buffer_min = excluded.buffer_min,
             min_notice_min = excluded.min_notice_min, max_days_ahead = excluded.max_days_ahead, max_persons = excluded.max_persons, walkin_share = excluded.walkin_share",
    )
    .bind(tenant)
    .bind(location)
    .bind(&r.service)
    .bind(r.duration_min)
    .bind(r.buffer_min)
    .bind(r.min_notice_min)
    .bind(r.max_days_ahead)
    .bind(r.max_persons)
    .bind(r.walkin_share)
    .execute(tx.conn())
    .await;
    res.map(|_| true).map_err(db)
}

pub async fn delete_rule(tx: &mut TenantTx, location: Uuid, service: &str) -> Result<()> {
    sqlx::query("delete from appointment_service where location_id = $1 and service_slug = $2")
        .bind(location)
        .bind(service)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// free slots

mod availability;
mod bookings;
mod tickets;
pub use availability::*;

pub use bookings::*;
pub use tickets::*;
