//! The appointment tables. Everything runs in the tenant's transaction (row-level security); the
//! booking functions take a per-location-and-day advisory lock, so that the walk-in share holds
//! under concurrency, and the exclusion constraint is the last word on double bookings.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use portal_db::{DbError, TenantTx};
use portal_domain::civil;
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};
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
    Location { id: r.get(0), name: r.get(1), address: r.get(2), contact: r.get(3), accessibility: r.get(4), display_token: r.get(5), active: r.get(6) }
}

const LOCATION: &str = "select location_id, name, address, contact, accessibility, display_token, active from appointment_location";

pub async fn locations(tx: &mut TenantTx) -> Result<Vec<Location>> {
    Ok(sqlx::query(&format!("{LOCATION} order by name")).fetch_all(tx.conn()).await.map_err(db)?.iter().map(location_row).collect())
}

pub async fn location(tx: &mut TenantTx, id: Uuid) -> Result<Option<Location>> {
    Ok(sqlx::query(&format!("{LOCATION} where location_id = $1")).bind(id).fetch_optional(tx.conn()).await.map_err(db)?.as_ref().map(location_row))
}

/// The location whose call display has this secret (of the transaction's tenant only).
pub async fn location_by_display(tx: &mut TenantTx, token: &str) -> Result<Option<Location>> {
    Ok(sqlx::query(&format!("{LOCATION} where display_token = $1 and active")).bind(token).fetch_optional(tx.conn()).await.map_err(db)?.as_ref().map(location_row))
}

/// A new secret for links (call display, managing a booking): 32 random bytes, base64url.
pub fn secret() -> String {
    use base64::Engine;
    let mut b = [0u8; 32];
    let _ = SystemRandom::new().fill(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn secret_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Creates (`id` None) or updates a location; returns its id.
pub async fn save_location(tx: &mut TenantTx, id: Option<Uuid>, name: &str, address: &str, contact: &str, accessibility: &str, active: bool) -> Result<Uuid> {
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
    sqlx::query("update appointment_location set display_token = $2 where location_id = $1").bind(location).bind(token).execute(tx.conn()).await.map_err(db)?;
    Ok(())
}

/// A new secret for the call display (the old link stops working).
pub async fn renew_display(tx: &mut TenantTx, location: Uuid) -> Result<()> {
    sqlx::query("update appointment_location set display_token = $2 where location_id = $1").bind(location).bind(secret()).execute(tx.conn()).await.map_err(db)?;
    Ok(())
}

fn iso_weekday(w: Weekday) -> i16 {
    i16::from(w.number_from_monday())
}

fn weekday_of(n: i16) -> Weekday {
    [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday, Weekday::Saturday, Weekday::Sunday][usize::try_from(n - 1).unwrap_or(0).min(6)]
}

pub async fn hours(tx: &mut TenantTx, location: Uuid) -> Result<Vec<(Weekday, Time, Time)>> {
    let rows = sqlx::query("select weekday, opens, closes from appointment_hours where location_id = $1 order by weekday, opens").bind(location).fetch_all(tx.conn()).await.map_err(db)?;
    Ok(rows.iter().map(|r| (weekday_of(r.get(0)), r.get(1), r.get(2))).collect())
}

/// Replaces the weekly hours of a location.
pub async fn set_hours(tx: &mut TenantTx, location: Uuid, hours: &[(Weekday, Time, Time)]) -> Result<()> {
    let tenant = tx.tenant_id().0;
    sqlx::query("delete from appointment_hours where location_id = $1").bind(location).execute(tx.conn()).await.map_err(db)?;
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

pub async fn add_special_day(tx: &mut TenantTx, location: Uuid, day: Date, hours: Option<(Time, Time)>, note: &str) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let tenant = tx.tenant_id().0;
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
    Ok(sqlx::query("delete from appointment_special_day where location_id = $1 and special_id = $2").bind(location).bind(id).execute(tx.conn()).await.map_err(db)?.rows_affected() == 1)
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
    Ok(rows.iter().map(|r| CounterRow { id: r.get(0), location: r.get(1), name: r.get(2), services: r.get(3), active: r.get(4) }).collect())
}

pub async fn counter(tx: &mut TenantTx, id: Uuid) -> Result<Option<CounterRow>> {
    let row = sqlx::query("select counter_id, location_id, name, services, active from appointment_counter where counter_id = $1").bind(id).fetch_optional(tx.conn()).await.map_err(db)?;
    Ok(row.map(|r| CounterRow { id: r.get(0), location: r.get(1), name: r.get(2), services: r.get(3), active: r.get(4) }))
}

/// Creates (`id` None) or updates a counter; `false` when the name is taken at the location.
pub async fn save_counter(tx: &mut TenantTx, location: Uuid, id: Option<Uuid>, name: &str, services: &[String], active: bool) -> Result<bool> {
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
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => Ok(false),
        Err(e) => Err(db(e)),
    }
}

/// The booking rules of a service at a location.
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
    let rows =
        sqlx::query("select service_slug, duration_min, buffer_min, min_notice_min, max_days_ahead, max_persons, walkin_share from appointment_service where location_id = $1 order by service_slug")
            .bind(location)
            .fetch_all(tx.conn())
            .await
            .map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| Rule { service: r.get(0), duration_min: r.get(1), buffer_min: r.get(2), min_notice_min: r.get(3), max_days_ahead: r.get(4), max_persons: r.get(5), walkin_share: r.get(6) })
        .collect())
}

/// Saves a rule; `false` when the tenant does not offer the service.
pub async fn save_rule(tx: &mut TenantTx, location: Uuid, r: &Rule) -> Result<bool> {
    let tenant = tx.tenant_id().0;
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
    match res {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23503") => Ok(false),
        Err(e) => Err(db(e)),
    }
}

pub async fn delete_rule(tx: &mut TenantTx, location: Uuid, service: &str) -> Result<()> {
    sqlx::query("delete from appointment_service where location_id = $1 and service_slug = $2").bind(location).bind(service).execute(tx.conn()).await.map_err(db)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// free slots

/// What a citizen asks for: services, persons, a location.
#[derive(Debug, Clone)]
pub struct Request {
    pub location: Uuid,
    pub services: Vec<String>,
    pub persons: i32,
}

/// The combined rule of a request: durations add up (times persons), the strictest window applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub minutes: i64,
    pub buffer: i64,
    pub step: i64,
    pub min_notice: Duration,
    pub max_days_ahead: i64,
    pub walkin_share: u8,
}

/// Why a request cannot be booked at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotBookable {
    /// A service is not bookable at this location.
    Service,
    /// More persons than a service allows.
    Persons(i32),
}

pub fn plan(rules: &[Rule], req: &Request) -> Result<Plan, NotBookable> {
    let mut picked = Vec::new();
    for s in &req.services {
        let r = rules.iter().find(|r| &r.service == s).ok_or(NotBookable::Service)?;
        if req.persons > r.max_persons {
            return Err(NotBookable::Persons(r.max_persons));
        }
        picked.push(r);
    }
    let first = picked.first().ok_or(NotBookable::Service)?;
    let persons = i64::from(req.persons.max(1));
    Ok(Plan {
        minutes: picked.iter().map(|r| i64::from(r.duration_min) * persons).sum(),
        buffer: picked.iter().map(|r| i64::from(r.buffer_min)).max().unwrap_or(0),
        step: i64::from(first.duration_min + first.buffer_min).clamp(5, 60),
        min_notice: Duration::minutes(picked.iter().map(|r| i64::from(r.min_notice_min)).max().unwrap_or(0)),
        max_days_ahead: picked.iter().map(|r| i64::from(r.max_days_ahead)).min().unwrap_or(1),
        walkin_share: u8::try_from(picked.iter().map(|r| r.walkin_share).max().unwrap_or(0).clamp(0, 100)).unwrap_or(0),
    })
}

/// The last day a plan may be booked for, counted from `today`.
pub fn last_day(plan: &Plan, today: Date) -> Date {
    today + Duration::days(plan.max_days_ahead)
}

/// Lets go of holds whose time is up (their slots are free again).
pub async fn expire_holds(tx: &mut TenantTx) -> Result<u64> {
    Ok(sqlx::query("update appointment_booking set status = 'expired' where status = 'held' and hold_expires_at < now()").execute(tx.conn()).await.map_err(db)?.rows_affected())
}

/// What blocks the counters of a location between two instants.
pub async fn busy(tx: &mut TenantTx, location: Uuid, from: OffsetDateTime, to: OffsetDateTime, except: Option<Uuid>) -> Result<Vec<Busy>> {
    let rows = sqlx::query(
        "select counter_id, starts_at, blocked_until from appointment_booking
          where location_id = $1 and starts_at < $3 and blocked_until > $2 and booking_id is distinct from $4
            and (status in ('booked', 'checked_in') or (status = 'held' and hold_expires_at >= now()))",
    )
    .bind(location)
    .bind(from)
    .bind(to)
    .bind(except)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    Ok(rows.iter().map(|r| Busy { counter: r.get(0), start: r.get(1), end: r.get(2) }).collect())
}

async fn active_counters(tx: &mut TenantTx, location: Uuid) -> Result<Vec<Counter>> {
    Ok(counters(tx, location).await?.into_iter().filter(|c| c.active).map(|c| Counter { id: c.id, services: c.services.into_iter().collect::<BTreeSet<_>>() }).collect())
}

/// The free slots of a request from `from` to `to` (German dates), never earlier than `now` plus
/// the notice nor later than the window allows.
pub async fn free(tx: &mut TenantTx, land: Land, req: &Request, plan: &Plan, now: OffsetDateTime, from: Date, to: Date, except: Option<Uuid>) -> Result<Vec<Slot>> {
    let today = civil::german(now).date();
    let to = to.min(last_day(plan, today));
    let from = from.max(today);
    if from > to {
        return Ok(vec![]);
    }
    let cal = calendar(tx, land, req.location, from, to).await?;
    let counters = active_counters(tx, req.location).await?;
    let busy = busy(tx, req.location, civil::day_start(from), civil::day_start(to.next_day().unwrap_or(to)), except).await?;
    let ask = Ask { services: req.services.clone(), minutes: plan.minutes, buffer: plan.buffer, step: plan.step, not_before: now + plan.min_notice, from, to, walkin_share: plan.walkin_share };
    Ok(slots::free_slots(&cal, &counters, &busy, &ask))
}

// ---------------------------------------------------------------------------------------------
// bookings

/// A booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: Uuid,
    pub location: Uuid,
    pub counter: Uuid,
    pub services: Vec<String>,
    pub persons: i32,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub status: String,
    pub number: String,
    pub citizen: Option<Uuid>,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub lang: String,
    pub portal_url: String,
    pub hold_expires_at: Option<OffsetDateTime>,
    pub sequence: i32,
    pub booked_by_staff: bool,
}

const BOOKING: &str = "select booking_id, location_id, counter_id, services, persons, starts_at, ends_at, status, number, citizen_id, name, email, phone, lang, portal_url,
                              hold_expires_at, sequence, booked_by_staff from appointment_booking";

fn booking_row(r: &PgRow) -> Booking {
    Booking {
        id: r.get(0),
        location: r.get(1),
        counter: r.get(2),
        services: r.get(3),
        persons: r.get(4),
        starts_at: r.get(5),
        ends_at: r.get(6),
        status: r.get(7),
        number: r.get(8),
        citizen: r.get(9),
        name: r.get(10),
        email: r.get(11),
        phone: r.get(12),
        lang: r.get(13),
        portal_url: r.get(14),
        hold_expires_at: r.get(15),
        sequence: r.get(16),
        booked_by_staff: r.get(17),
    }
}

pub async fn booking(tx: &mut TenantTx, id: Uuid) -> Result<Option<Booking>> {
    Ok(sqlx::query(&format!("{BOOKING} where booking_id = $1")).bind(id).fetch_optional(tx.conn()).await.map_err(db)?.as_ref().map(booking_row))
}

/// The booking a secret link manages (the transaction's tenant only: worthless on another host).
pub async fn booking_by_secret(tx: &mut TenantTx, token: &str) -> Result<Option<Booking>> {
    if token.len() < 32 || token.len() > 64 {
        return Ok(None);
    }
    Ok(sqlx::query(&format!("{BOOKING} where manage_hash = $1")).bind(secret_hash(token)).fetch_optional(tx.conn()).await.map_err(db)?.as_ref().map(booking_row))
}

pub async fn booking_by_number(tx: &mut TenantTx, number: &str) -> Result<Option<Booking>> {
    let n = number.trim().to_uppercase();
    Ok(sqlx::query(&format!("{BOOKING} where number = $1")).bind(n).fetch_optional(tx.conn()).await.map_err(db)?.as_ref().map(booking_row))
}

pub async fn bookings_of_citizen(tx: &mut TenantTx, citizen: Uuid) -> Result<Vec<Booking>> {
    Ok(sqlx::query(&format!("{BOOKING} where citizen_id = $1 and status not in ('held', 'expired') order by starts_at desc limit 100"))
        .bind(citizen)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?
        .iter()
        .map(booking_row)
        .collect())
}

/// The bookings of a location on a German day (booked, checked in, done, cancelled).
pub async fn bookings_of_day(tx: &mut TenantTx, location: Uuid, day: Date) -> Result<Vec<Booking>> {
    Ok(sqlx::query(&format!("{BOOKING} where location_id = $1 and starts_at >= $2 and starts_at < $3 and status not in ('held', 'expired') order by starts_at, number"))
        .bind(location)
        .bind(civil::day_start(day))
        .bind(civil::day_start(day.next_day().unwrap_or(day)))
        .fetch_all(tx.conn())
        .await
        .map_err(db)?
        .iter()
        .map(booking_row)
        .collect())
}

/// Why a slot could not be had.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// Someone else was quicker: the slot is gone.
    #[error("the slot was just taken")]
    Taken,
    /// The hold ran out before the data was sent.
    #[error("the hold expired")]
    Expired,
    /// The booking is no longer in a state that allows this.
    #[error("the booking cannot be changed")]
    Closed,
    /// Too many active bookings for this e-mail address.
    #[error("too many bookings for this address")]
    TooMany,
}

impl From<sqlx::Error> for BookError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.code().as_deref() == Some("23P01") => BookError::Taken,
            _ => BookError::Db(DbError::Sqlx(e)),
        }
    }
}

/// Serialises the booking work of one location and day (the walk-in share counts counters across
/// bookings; the exclusion constraint alone would only keep one counter from being double-booked).
async fn lock_day(tx: &mut TenantTx, location: Uuid, day: Date) -> Result<(), BookError> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))").bind(format!("appointment:{location}:{day}")).execute(tx.conn()).await?;
    Ok(())
}

const NUMBER_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A booking number people can read out on the phone: eight characters without 0/O and 1/I.
pub fn booking_number() -> String {
    let mut b = [0u8; 8];
    let _ = SystemRandom::new().fill(&mut b);
    b.iter().map(|x| char::from(NUMBER_ALPHABET[usize::from(*x) % NUMBER_ALPHABET.len()])).collect()
}

/// Who books (a held slot gets its data when confirmed; staff book with data at once).
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub citizen: Option<Uuid>,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub lang: String,
    pub portal_url: String,
}

/// A slot taken: the booking and the secret of its link (only ever in the citizen's hands).
#[derive(Debug, Clone)]
pub struct Taken {
    pub booking: Booking,
    pub secret: String,
}

/// Takes the slot starting at `start` for the request: held for `hold` (a citizen typing), or
/// booked at once with `person` (staff on the phone). Exactly one of concurrent requests for the
/// last slot gets it; the others get [`BookError::Taken`] and nothing changes.
pub async fn take(tx: &mut TenantTx, land: Land, req: &Request, plan: &Plan, start: OffsetDateTime, hold: Option<Duration>, person: &Person, now: OffsetDateTime) -> Result<Taken, BookError> {
    let day = civil::german(start).date();
    lock_day(tx, req.location, day).await?;
    expire_holds(tx).await?;
    let slot = free(tx, land, req, plan, now, day, day, None).await?.into_iter().find(|s| s.start == start).ok_or(BookError::Taken)?;
    let secret = secret();
    let id = Uuid::now_v7();
    let tenant = tx.tenant_id().0;
    let status = if hold.is_some() { "held" } else { "booked" };
    sqlx::query(
        "insert into appointment_booking (tenant_id, booking_id, location_id, counter_id, services, persons, starts_at, ends_at, blocked_until, status, number,
                                          citizen_id, name, email, phone, lang, portal_url, manage_hash, hold_expires_at, booked_by_staff)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(tenant)
    .bind(id)
    .bind(req.location)
    .bind(slot.counter)
    .bind(&req.services)
    .bind(req.persons)
    .bind(slot.start)
    .bind(slot.end)
    .bind(slot.end + Duration::minutes(plan.buffer))
    .bind(status)
    .bind(booking_number())
    .bind(person.citizen)
    .bind(&person.name)
    .bind(&person.email)
    .bind(&person.phone)
    .bind(if person.lang == "en" { "en" } else { "de" })
    .bind(&person.portal_url)
    .bind(secret_hash(&secret))
    .bind(hold.map(|h| now + h))
    .bind(hold.is_none())
    .execute(tx.conn())
    .await?;
    let booking = booking(tx, id).await?.ok_or(BookError::Closed)?;
    Ok(Taken { booking, secret })
}

/// Active (held or booked, not past) bookings of an e-mail address.
pub async fn active_for_email(tx: &mut TenantTx, email: &str, except: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from appointment_booking where lower(email) = lower($1) and status = 'booked' and starts_at > now() and booking_id <> $2")
        .bind(email)
        .bind(except)
        .fetch_one(tx.conn())
        .await
        .map_err(db)?)
}

/// Turns a hold into a booking with the person's data; `true` the first time (a repeated post of
/// the same form finds it booked and changes nothing).
pub async fn confirm(tx: &mut TenantTx, id: Uuid, person: &Person, max_active_per_email: i32) -> Result<(Booking, bool), BookError> {
    let b = sqlx::query(&format!("{BOOKING} where booking_id = $1 for update")).bind(id).fetch_optional(tx.conn()).await?.as_ref().map(booking_row).ok_or(BookError::Closed)?;
    match b.status.as_str() {
        "booked" => return Ok((b, false)),
        "held" if b.hold_expires_at.is_some_and(|t| t >= OffsetDateTime::now_utc()) => {}
        "held" | "expired" => return Err(BookError::Expired),
        _ => return Err(BookError::Closed),
    }
    if !person.email.is_empty() && active_for_email(tx, &person.email, id).await? >= i64::from(max_active_per_email) {
        return Err(BookError::TooMany);
    }
    sqlx::query("update appointment_booking set status = 'booked', hold_expires_at = null, citizen_id = $2, name = $3, email = $4, phone = $5, lang = $6, portal_url = $7 where booking_id = $1")
        .bind(id)
        .bind(person.citizen)
        .bind(&person.name)
        .bind(&person.email)
        .bind(&person.phone)
        .bind(if person.lang == "en" { "en" } else { "de" })
        .bind(&person.portal_url)
        .execute(tx.conn())
        .await?;
    Ok((booking(tx, id).await?.ok_or(BookError::Closed)?, true))
}

/// Cancels a booking (citizen or office); a second cancel changes nothing.
pub async fn cancel(tx: &mut TenantTx, id: Uuid, reason: &str) -> Result<bool> {
    Ok(sqlx::query("update appointment_booking set status = 'cancelled', cancelled_at = now(), cancel_reason = $2, sequence = sequence + 1 where booking_id = $1 and status in ('held', 'booked')")
        .bind(id)
        .bind(reason)
        .execute(tx.conn())
        .await
        .map_err(db)?
        .rows_affected()
        == 1)
}

/// Moves a booking to the slot at `start`: one update of the same row, so the old slot is free in
/// the same transaction and the exclusion constraint checks the new one.
pub async fn move_to(tx: &mut TenantTx, land: Land, b: &Booking, plan: &Plan, start: OffsetDateTime, now: OffsetDateTime) -> Result<Booking, BookError> {
    if b.status != "booked" {
        return Err(BookError::Closed);
    }
    let day = civil::german(start).date();
    lock_day(tx, b.location, day).await?;
    expire_holds(tx).await?;
    let req = Request { location: b.location, services: b.services.clone(), persons: b.persons };
    let slot = free(tx, land, &req, plan, now, day, day, Some(b.id)).await?.into_iter().find(|s| s.start == start).ok_or(BookError::Taken)?;
    sqlx::query(
        "update appointment_booking set counter_id = $2, starts_at = $3, ends_at = $4, blocked_until = $5, sequence = sequence + 1, reminded_at = null
          where booking_id = $1 and status = 'booked'",
    )
    .bind(b.id)
    .bind(slot.counter)
    .bind(slot.start)
    .bind(slot.end)
    .bind(slot.end + Duration::minutes(plan.buffer))
    .execute(tx.conn())
    .await?;
    booking(tx, b.id).await?.ok_or(BookError::Closed)
}

/// Booked appointments that no longer fit: outside the hours a calendar gives, on a counter that
/// is gone or inactive, or no longer serving the services.
pub async fn misfits(tx: &mut TenantTx, land: Land, location: Uuid, cal_override: Option<&Calendar>, now: OffsetDateTime) -> Result<Vec<Booking>> {
    let list: Vec<Booking> = sqlx::query(&format!("{BOOKING} where location_id = $1 and status = 'booked' and starts_at > $2 order by starts_at"))
        .bind(location)
        .bind(now)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?
        .iter()
        .map(booking_row)
        .collect();
    let Some(last) = list.last().map(|b| civil::german(b.starts_at).date()) else { return Ok(vec![]) };
    let cal = match cal_override {
        Some(c) => c.clone(),
        None => calendar(tx, land, location, civil::german(now).date(), last).await?,
    };
    let counters: HashMap<Uuid, CounterRow> = counters(tx, location).await?.into_iter().map(|c| (c.id, c)).collect();
    Ok(list
        .into_iter()
        .filter(|b| {
            let (s, e) = (civil::german(b.starts_at), civil::german(b.ends_at));
            let in_hours = s.date() == e.date() && cal.hours(s.date()).iter().any(|(o, c)| s.time() >= *o && e.time() <= *c);
            let counter_ok = counters.get(&b.counter).is_some_and(|c| c.active && b.services.iter().all(|x| c.services.contains(x)));
            !(in_hours && counter_ok)
        })
        .collect())
}

/// Bookings due for their reminder (booked, starting within `hours`, not reminded).
pub async fn due_reminders(tx: &mut TenantTx, hours: i32) -> Result<Vec<Booking>> {
    Ok(sqlx::query(&format!(
        "{BOOKING} where status = 'booked' and reminded_at is null and email <> '' and starts_at > now() and starts_at <= now() + make_interval(hours => $1) order by starts_at limit 500 for update skip locked"
    ))
    .bind(hours)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?
    .iter()
    .map(booking_row)
    .collect())
}

pub async fn mark_reminded(tx: &mut TenantTx, id: Uuid) -> Result<()> {
    sqlx::query("update appointment_booking set reminded_at = now() where booking_id = $1").bind(id).execute(tx.conn()).await.map_err(db)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// tickets and calls

/// A ticket of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: Uuid,
    pub location: Uuid,
    pub day: Date,
    pub number: i32,
    pub code: String,
    pub booking: Option<Uuid>,
    pub services: Vec<String>,
    pub status: String,
    pub counter: Option<Uuid>,
    pub passed_to: Option<Uuid>,
    pub arrived_at: OffsetDateTime,
    pub called_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    pub estimate_secs: Option<i32>,
    /// The appointment's time (checked-in bookings).
    pub appointment: Option<OffsetDateTime>,
}

const TICKET: &str = "select t.ticket_id, t.location_id, t.day, t.number, t.code, t.booking_id, t.services, t.status, t.counter_id, t.passed_to, t.arrived_at, t.called_at,
                             t.finished_at, t.estimate_secs, b.starts_at
                        from appointment_ticket t left join appointment_booking b on b.tenant_id = t.tenant_id and b.booking_id = t.booking_id";

fn ticket_row(r: &PgRow) -> Ticket {
    Ticket {
        id: r.get(0),
        location: r.get(1),
        day: r.get(2),
        number: r.get(3),
        code: r.get(4),
        booking: r.get(5),
        services: r.get(6),
        status: r.get(7),
        counter: r.get(8),
        passed_to: r.get(9),
        arrived_at: r.get(10),
        called_at: r.get(11),
        finished_at: r.get(12),
        estimate_secs: r.get(13),
        appointment: r.get(14),
    }
}

pub async fn ticket(tx: &mut TenantTx, id: Uuid) -> Result<Option<Ticket>> {
    Ok(sqlx::query(&format!("{TICKET} where t.ticket_id = $1")).bind(id).fetch_optional(tx.conn()).await.map_err(db)?.as_ref().map(ticket_row))
}

/// The tickets of a location's day, in number order.
pub async fn tickets_of_day(tx: &mut TenantTx, location: Uuid, day: Date) -> Result<Vec<Ticket>> {
    Ok(sqlx::query(&format!("{TICKET} where t.location_id = $1 and t.day = $2 order by t.number")).bind(location).bind(day).fetch_all(tx.conn()).await.map_err(db)?.iter().map(ticket_row).collect())
}

async fn lock_queue(tx: &mut TenantTx, location: Uuid) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))").bind(format!("queue:{location}")).execute(tx.conn()).await.map_err(db)?;
    Ok(())
}

async fn new_ticket(tx: &mut TenantTx, location: Uuid, day: Date, prefix: char, booking: Option<Uuid>, services: &[String], estimate: i64) -> Result<Ticket> {
    let tenant = tx.tenant_id().0;
    let number: i32 = sqlx::query_scalar(
        "insert into appointment_ticket_seq (tenant_id, location_id, day, last) values ($1, $2, $3, 1)
         on conflict (tenant_id, location_id, day) do update set last = appointment_ticket_seq.last + 1 returning last",
    )
    .bind(tenant)
    .bind(location)
    .bind(day)
    .fetch_one(tx.conn())
    .await
    .map_err(db)?;
    let id = Uuid::now_v7();
    sqlx::query("insert into appointment_ticket (tenant_id, ticket_id, location_id, day, number, code, booking_id, services, estimate_secs) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(tenant)
        .bind(id)
        .bind(location)
        .bind(day)
        .bind(number)
        .bind(format!("{prefix}{}", number % 10_000))
        .bind(booking)
        .bind(services)
        .bind(i32::try_from(estimate).unwrap_or(i32::MAX))
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(ticket(tx, id).await?.ok_or(DbError::Sqlx(sqlx::Error::RowNotFound))?)
}

/// Draws a walk-in ticket (numbers per location and day), with the wait estimated for it now.
pub async fn draw(tx: &mut TenantTx, location: Uuid, services: &[String], now: OffsetDateTime) -> Result<Ticket> {
    lock_queue(tx, location).await?;
    let wait = waiting_estimate(tx, location, None, now).await?;
    new_ticket(tx, location, civil::german(now).date(), 'A', None, services, wait.secs).await
}

/// Checks a booked citizen in (a second check-in returns the same ticket).
pub async fn check_in(tx: &mut TenantTx, b: &Booking, now: OffsetDateTime) -> Result<Option<Ticket>> {
    if let Some(t) = sqlx::query(&format!("{TICKET} where t.booking_id = $1")).bind(b.id).fetch_optional(tx.conn()).await.map_err(db)? {
        return Ok(Some(ticket_row(&t)));
    }
    if b.status != "booked" || civil::german(b.starts_at).date() != civil::german(now).date() {
        return Ok(None);
    }
    lock_queue(tx, b.location).await?;
    sqlx::query("update appointment_booking set status = 'checked_in' where booking_id = $1").bind(b.id).execute(tx.conn()).await.map_err(db)?;
    // an appointment waits until its time, not behind the queue
    let wait = (b.starts_at - now).whole_seconds().max(0);
    Ok(Some(new_ticket(tx, b.location, civil::german(now).date(), 'T', Some(b.id), &b.services, wait).await?))
}

/// The ticket a counter is serving (called, not finished).
pub async fn current(tx: &mut TenantTx, counter: Uuid) -> Result<Option<Ticket>> {
    Ok(sqlx::query(&format!("{TICKET} where t.counter_id = $1 and t.status = 'called' order by t.called_at desc limit 1"))
        .bind(counter)
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?
        .as_ref()
        .map(ticket_row))
}

/// Calls the next ticket at `counter` ([`queue::next`]); the one it was serving is finished as
/// served first. `None` when nobody waits.
pub async fn call_next(tx: &mut TenantTx, counter: &CounterRow, now: OffsetDateTime) -> Result<Option<Ticket>> {
    lock_queue(tx, counter.location).await?;
    if let Some(t) = current(tx, counter.id).await? {
        finish(tx, t.id, true).await?;
    }
    let day = civil::german(now).date();
    let waiting: Vec<Ticket> = tickets_of_day(tx, counter.location, day).await?.into_iter().filter(|t| t.status == "waiting").collect();
    let list: Vec<queue::Waiting> =
        waiting.iter().map(|t| queue::Waiting { id: t.id, appointment: t.appointment, arrived_at: t.arrived_at, number: t.number, services: t.services.clone(), passed_to: t.passed_to }).collect();
    let serves: BTreeSet<String> = counter.services.iter().cloned().collect();
    let Some(id) = queue::next(&list, counter.id, &serves, now) else { return Ok(None) };
    sqlx::query("update appointment_ticket set status = 'called', counter_id = $2, called_at = $3, passed_to = null where ticket_id = $1")
        .bind(id)
        .bind(counter.id)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    ticket(tx, id).await
}

/// Calls the counter's current ticket again (shown again on the display).
pub async fn recall(tx: &mut TenantTx, counter: Uuid) -> Result<Option<Ticket>> {
    let Some(t) = current(tx, counter).await? else { return Ok(None) };
    // the display orders by the call's time: a recall comes to the top; the wait keeps the first call
    sqlx::query("update appointment_ticket set recalls = recalls + 1 where ticket_id = $1").bind(t.id).execute(tx.conn()).await.map_err(db)?;
    Ok(Some(t))
}

/// Finishes a called ticket as served or as a no-show; its booking is done.
pub async fn finish(tx: &mut TenantTx, ticket: Uuid, served: bool) -> Result<bool> {
    let done = sqlx::query("update appointment_ticket set status = $2, finished_at = now() where ticket_id = $1 and status = 'called' returning booking_id")
        .bind(ticket)
        .bind(if served { "served" } else { "no_show" })
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?;
    if let Some(row) = &done
        && let Some(b) = row.get::<Option<Uuid>, _>(0)
    {
        sqlx::query("update appointment_booking set status = 'done' where booking_id = $1").bind(b).execute(tx.conn()).await.map_err(db)?;
    }
    Ok(done.is_some())
}

/// Passes a called ticket on to another counter of the same location: it waits again, first in
/// line there.
pub async fn pass(tx: &mut TenantTx, ticket: Uuid, to: &CounterRow) -> Result<bool> {
    Ok(sqlx::query("update appointment_ticket set status = 'waiting', passed_to = $2, counter_id = null, called_at = null where ticket_id = $1 and status = 'called' and location_id = $3")
        .bind(ticket)
        .bind(to.id)
        .bind(to.location)
        .execute(tx.conn())
        .await
        .map_err(db)?
        .rows_affected()
        == 1)
}

/// Booked appointments of the day not checked in half an hour after their time: no-shows.
pub async fn no_shows(tx: &mut TenantTx, location: Uuid, now: OffsetDateTime) -> Result<Vec<Booking>> {
    Ok(sqlx::query(&format!("{BOOKING} where location_id = $1 and status = 'booked' and starts_at < $2 and starts_at >= $3 order by starts_at"))
        .bind(location)
        .bind(now - Duration::minutes(30))
        .bind(civil::day_start(civil::german(now).date()))
        .fetch_all(tx.conn())
        .await
        .map_err(db)?
        .iter()
        .map(booking_row)
        .collect())
}

// ---------------------------------------------------------------------------------------------
// waiting times

/// An estimate of the wait at a location right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub secs: i64,
    pub waiting: i64,
    pub counters: i64,
}

/// The estimated wait of a walk-in drawing a ticket now (for `service`, or any), from the queue,
/// what is being served and the recent service times at the location ([`estimate`]).
pub async fn waiting_estimate(tx: &mut TenantTx, location: Uuid, service: Option<&str>, now: OffsetDateTime) -> Result<Wait> {
    let day = civil::german(now).date();
    let tickets = tickets_of_day(tx, location, day).await?;
    let history: Vec<(String, i64)> = sqlx::query_as(
        "select services[1], extract(epoch from finished_at - called_at)::bigint from appointment_ticket
          where location_id = $1 and status = 'served' and finished_at > now() - interval '28 days' order by finished_at desc limit 400",
    )
    .bind(location)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    let mut recent: HashMap<String, Vec<i64>> = HashMap::new();
    for (s, secs) in history {
        recent.entry(s).or_default().push(secs);
    }
    let defaults: HashMap<String, i64> = rules(tx, location).await?.into_iter().map(|r| (r.service, i64::from(r.duration_min) * 60)).collect();
    let default = defaults.values().copied().min().unwrap_or(600);
    let expected: HashMap<String, i64> =
        defaults.keys().chain(recent.keys()).map(|s| (s.clone(), estimate::expected_secs(recent.get(s).map_or(&[][..], Vec::as_slice), defaults.get(s).copied().unwrap_or(default)))).collect();
    let counters = counters(tx, location).await?;
    let able: Vec<&CounterRow> = counters.iter().filter(|c| c.active && service.is_none_or(|s| c.services.iter().any(|x| x == s))).collect();
    let recent_cutoff = now - Duration::minutes(30);
    let at_work = able.iter().filter(|c| tickets.iter().any(|t| t.counter == Some(c.id) && t.called_at.is_some_and(|at| at >= recent_cutoff))).count();
    let relevant = |t: &&Ticket| service.is_none_or(|s| t.services.iter().any(|x| x == s));
    let q = estimate::Queue {
        // appointments not yet due wait for their time, not in the walk-in queue
        waiting: tickets
            .iter()
            .filter(relevant)
            .filter(|t| t.status == "waiting" && t.appointment.is_none_or(|a| a <= now + queue::DUE_EARLY))
            .map(|t| t.services.first().cloned().unwrap_or_default())
            .collect(),
        serving: tickets
            .iter()
            .filter(relevant)
            .filter(|t| t.status == "called")
            .map(|t| (t.services.first().cloned().unwrap_or_default(), t.called_at.map_or(0, |c| (now - c).whole_seconds())))
            .collect(),
        counters: if at_work > 0 { at_work } else { able.len() },
    };
    let waiting = q.waiting.len() as i64;
    Ok(Wait { secs: estimate::wait_secs(&q, &expected, default), waiting, counters: q.counters as i64 })
}

/// The last calls of a location today, newest first: (ticket code, counter name, called at, recalls).
pub async fn last_calls(tx: &mut TenantTx, location: Uuid, now: OffsetDateTime, limit: i64) -> Result<Vec<(String, String, OffsetDateTime, i32)>> {
    Ok(sqlx::query_as(
        "select t.code, c.name, t.called_at, t.recalls from appointment_ticket t join appointment_counter c on c.tenant_id = t.tenant_id and c.counter_id = t.counter_id
          where t.location_id = $1 and t.day = $2 and t.called_at is not null and t.status in ('called', 'served') order by t.called_at desc, t.recalls desc limit $3",
    )
    .bind(location)
    .bind(civil::german(now).date())
    .bind(limit)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?)
}

// ---------------------------------------------------------------------------------------------
// statistics

/// Figures of one location, day and service.
#[derive(Debug, Clone, PartialEq)]
pub struct DayStats {
    pub day: Date,
    pub service: String,
    pub bookings: i64,
    pub cancellations: i64,
    pub no_shows: i64,
    pub walk_ins: i64,
    pub served: i64,
    pub wait_avg_secs: Option<f64>,
    pub wait_p90_secs: Option<f64>,
    pub service_avg_secs: Option<f64>,
    pub service_p90_secs: Option<f64>,
}

pub async fn stats(tx: &mut TenantTx, location: Uuid, from: Date, to: Date) -> Result<Vec<DayStats>> {
    let rows = sqlx::query(
        "with b as (
            select (starts_at at time zone 'Europe/Berlin')::date as day, services[1] as service,
                   count(*) filter (where status <> 'cancelled') as bookings, count(*) filter (where status = 'cancelled') as cancellations
              from appointment_booking where location_id = $1 and status not in ('held', 'expired')
               and (starts_at at time zone 'Europe/Berlin')::date between $2 and $3 group by 1, 2),
         t as (
            select day, services[1] as service,
                   count(*) filter (where status = 'no_show') as no_shows,
                   count(*) filter (where booking_id is null) as walk_ins,
                   count(*) filter (where status = 'served') as served,
                   avg(extract(epoch from called_at - arrived_at)) filter (where called_at is not null) as wait_avg,
                   percentile_cont(0.9) within group (order by extract(epoch from called_at - arrived_at)) filter (where called_at is not null) as wait_p90,
                   avg(extract(epoch from finished_at - called_at)) filter (where status = 'served') as service_avg,
                   percentile_cont(0.9) within group (order by extract(epoch from finished_at - called_at)) filter (where status = 'served') as service_p90
              from appointment_ticket where location_id = $1 and day between $2 and $3 group by 1, 2)
         select coalesce(b.day, t.day), coalesce(b.service, t.service), coalesce(b.bookings, 0), coalesce(b.cancellations, 0), coalesce(t.no_shows, 0),
                coalesce(t.walk_ins, 0), coalesce(t.served, 0), t.wait_avg::float8, t.wait_p90, t.service_avg::float8, t.service_p90
           from b full join t on t.day = b.day and t.service = b.service order by 1, 2",
    )
    .bind(location)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| DayStats {
            day: r.get(0),
            service: r.get(1),
            bookings: r.get(2),
            cancellations: r.get(3),
            no_shows: r.get(4),
            walk_ins: r.get(5),
            served: r.get(6),
            wait_avg_secs: r.get(7),
            wait_p90_secs: r.get(8),
            service_avg_secs: r.get(9),
            service_p90_secs: r.get(10),
        })
        .collect())
}

/// Estimated against actual waits of walk-ins, per day.
pub async fn estimate_quality(tx: &mut TenantTx, location: Uuid, from: Date, to: Date) -> Result<Vec<(Date, estimate::Quality)>> {
    let rows: Vec<(Date, i32, i64)> = sqlx::query_as(
        "select day, estimate_secs, extract(epoch from called_at - arrived_at)::bigint from appointment_ticket
          where location_id = $1 and day between $2 and $3 and booking_id is null and called_at is not null and estimate_secs is not null order by day",
    )
    .bind(location)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    let mut by_day: BTreeMap<Date, Vec<(i64, i64)>> = BTreeMap::new();
    for (d, e, a) in rows {
        by_day.entry(d).or_default().push((i64::from(e), a));
    }
    Ok(by_day.into_iter().map(|(d, p)| (d, estimate::quality(&p))).collect())
}

/// The average wait of walk-ins by weekday (1 Monday) and hour over the last eight weeks: when to come.
pub async fn forecast(tx: &mut TenantTx, location: Uuid) -> Result<Vec<(i32, i32, f64, i64)>> {
    Ok(sqlx::query_as(
        "select extract(isodow from arrived_at at time zone 'Europe/Berlin')::int, extract(hour from arrived_at at time zone 'Europe/Berlin')::int,
                avg(extract(epoch from called_at - arrived_at))::float8, count(*)
           from appointment_ticket where location_id = $1 and booking_id is null and called_at is not null and arrived_at > now() - interval '56 days'
          group by 1, 2 order by 1, 2",
    )
    .bind(location)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?)
}

/// Tenants that offer appointments (platform transaction: for the reminder job).
pub async fn tenants(conn: &mut sqlx::PgConnection) -> Result<Vec<Uuid>> {
    sqlx::query_scalar("select tenant_id from appointment_tenant order by tenant_id").fetch_all(conn).await.map_err(db)
}
