//! Bookings: holding and booking a slot, confirming, cancelling, moving, what a change strands,
//! reminders.

use super::*;
use ring::rand::{SecureRandom, SystemRandom};

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

pub(super) const BOOKING: &str = "select booking_id, location_id, counter_id, services, persons, starts_at, ends_at, status, number, citizen_id, name, email, phone, lang, portal_url,
                              hold_expires_at, sequence, booked_by_staff from appointment_booking";

pub(super) fn booking_row(r: &PgRow) -> Booking {
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

/// The bookings a query selects (`BOOKING` with its conditions and arguments).
pub(super) async fn fetch_bookings<'q>(
    tx: &mut TenantTx,
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
) -> Result<Vec<Booking>> {
    Ok(q.fetch_all(tx.conn()).await.map_err(db)?.iter().map(booking_row).collect())
}

pub async fn booking(tx: &mut TenantTx, id: Uuid) -> Result<Option<Booking>> {
    Ok(sqlx::query(&format!("{BOOKING} where booking_id = $1"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?
        .as_ref()
        .map(booking_row))
}

/// The booking a secret link manages (the transaction's tenant only: worthless on another host).
pub async fn booking_by_secret(tx: &mut TenantTx, token: &str) -> Result<Option<Booking>> {
    if token.len() < 32 || token.len() > 64 {
        return Ok(None);
    }
    Ok(sqlx::query(&format!("{BOOKING} where manage_hash = $1"))
        .bind(secret_hash(token))
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?
        .as_ref()
        .map(booking_row))
}

pub async fn booking_by_number(tx: &mut TenantTx, number: &str) -> Result<Option<Booking>> {
    let n = number.trim().to_uppercase();
    Ok(sqlx::query(&format!("{BOOKING} where number = $1"))
        .bind(n)
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?
        .as_ref()
        .map(booking_row))
}

pub async fn bookings_of_citizen(tx: &mut TenantTx, citizen: Uuid) -> Result<Vec<Booking>> {
    let sql = format!(
        "{BOOKING} where citizen_id = $1 and status not in ('held', 'expired') order by starts_at desc limit 100"
    );
    fetch_bookings(tx, sqlx::query(&sql).bind(citizen)).await
}

/// The bookings of a location on a German day (booked, checked in, done, cancelled).
pub async fn bookings_of_day(tx: &mut TenantTx, location: Uuid, day: Date) -> Result<Vec<Booking>> {
    let sql = format!(
        "{BOOKING} where location_id = $1 and starts_at >= $2 and starts_at < $3 and status not in ('held', 'expired') order by starts_at, number"
    );
    fetch_bookings(
        tx,
        sqlx::query(&sql)
            .bind(location)
            .bind(civil::day_start(day))
            .bind(civil::day_start(day.next_day().unwrap_or(day))),
    )
    .await
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
    // shared with other bookings, exclusive against a change of the location's set-up
    sqlx::query(
        "select pg_advisory_xact_lock_shared(hashtextextended($1, 0)), pg_advisory_xact_lock(hashtextextended($2, 0))",
    )
    .bind(format!("appointment-setup:{location}"))
    .bind(format!("appointment:{location}:{day}"))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Waits for the bookings of a location in flight and keeps new ones waiting until the caller's
/// transaction ends: a change of hours, counters or rules then sees every booking it could strand,
/// and no booking is made against the set-up it replaces.
pub async fn lock_setup(tx: &mut TenantTx, location: Uuid) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("appointment-setup:{location}"))
        .execute(tx.conn())
        .await
        .map_err(db)?;
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
    /// `false` when the form's key found the booking an earlier post of it made.
    pub new: bool,
}

/// Takes the slot starting at `start` for the request: held for `hold` (a citizen typing), or
/// booked at once with `person` (staff on the phone). Exactly one of concurrent requests for the
/// last slot gets it; the others get [`BookError::Taken`] and nothing changes.
#[expect(clippy::too_many_arguments, reason = "the request, its plan, the slot, the hold and who books")]
pub async fn take(
    tx: &mut TenantTx,
    land: Land,
    req: &Request,
    plan: &Plan,
    start: OffsetDateTime,
    hold: Option<Duration>,
    person: &Person,
    now: OffsetDateTime,
) -> Result<Taken, BookError> {
    take_once(tx, land, req, plan, start, hold, person, now, None).await
}

/// Whether a key sent with a form can serve as a booking's secret (as long and as random as the
/// ones made here; the form got it from [`secret`]).
pub fn is_key(key: &str) -> bool {
    key.len() == 43 && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// [`take`] with the form's one-time key as the booking's secret: the same form posted again (a
/// double click, a retried request) finds the booking it made instead of taking a second slot.
#[expect(clippy::too_many_arguments, reason = "take and the form's key")]
pub async fn take_once(
    tx: &mut TenantTx,
    land: Land,
    req: &Request,
    plan: &Plan,
    start: OffsetDateTime,
    hold: Option<Duration>,
    person: &Person,
    now: OffsetDateTime,
    key: Option<&str>,
) -> Result<Taken, BookError> {
    let day = civil::german(start).date();
    // a key this server did not make counts as none
    let key = key.filter(|k| is_key(k));
    if let Some(key) = key {
        // one post of a form's key at a time, whatever day each names: a retry or replay waits for
        // the first and then finds its booking (the day's lock alone let two days race to insert
        // the same key). Taken before the day's lock, always in this order.
        sqlx::query("select pg_advisory_xact_lock(hashtextextended('appointment-key:' || encode($1, 'hex'), 0))")
            .bind(secret_hash(key))
            .execute(tx.conn())
            .await?;
    }
    lock_day(tx, req.location, day).await?;
    if let Some(key) = key
        && let Some(b) = booking_by_secret(tx, key).await?
    {
        return Ok(Taken { booking: b, secret: key.to_owned(), new: false });
    }
    expire_holds(tx).await?;
    let slot = free(tx, land, req, plan, now, day, day, None)
        .await?
        .into_iter()
        .find(|s| s.start == start)
        .ok_or(BookError::Taken)?;
    let secret = key.map_or_else(secret, str::to_owned);
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
    Ok(Taken { booking, secret, new: true })
}

/// Active (held or booked, not past) bookings of an e-mail address.
pub async fn active_for_email(tx: &mut TenantTx, email: &str, except: Uuid) -> Result<i64> {
    sqlx::query_scalar("select count(*) from appointment_booking where lower(email) = lower($1) and status = 'booked' and starts_at > app_now() and booking_id <> $2")
        .bind(email)
        .bind(except)
        .fetch_one(tx.conn())
        .await
        .map_err(db)
}

/// Turns a hold into a booking with the person's data; `true` the first time (a repeated post of
/// the same form finds it booked and changes nothing).
pub async fn confirm(
    tx: &mut TenantTx,
    id: Uuid,
    person: &Person,
    max_active_per_email: i32,
) -> Result<(Booking, bool), BookError> {
    let b = sqlx::query(&format!("{BOOKING} where booking_id = $1 for update"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        .as_ref()
        .map(booking_row)
        .ok_or(BookError::Closed)?;
    match b.status.as_str() {
        "booked" => return Ok((b, false)),
        "held" if b.hold_expires_at.is_some_and(|t| t >= tx.now()) => {}
        "held" | "expired" => return Err(BookError::Expired),
        _ => return Err(BookError::Closed),
    }
    // two confirmations for one address at once must not both pass the limit
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("appointment-email:{}", person.email.to_lowercase()))
        .execute(tx.conn())
        .await?;
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

/// Books a hold that ran out while the citizen typed, if its time is still free (on whichever
/// counter is free then): what they typed is not lost to a slow hand.
pub async fn revive(
    tx: &mut TenantTx,
    land: Land,
    b: &Booking,
    plan: &Plan,
    now: OffsetDateTime,
) -> Result<Booking, BookError> {
    if b.status != "held" && b.status != "expired" {
        return Err(BookError::Closed);
    }
    lock_day(tx, b.location, civil::german(b.starts_at).date()).await?;
    expire_holds(tx).await?;
    let day = civil::german(b.starts_at).date();
    let req = Request { location: b.location, services: b.services.clone(), persons: b.persons };
    let slot = free(tx, land, &req, plan, now, day, day, Some(b.id))
        .await?
        .into_iter()
        .find(|s| s.start == b.starts_at)
        .ok_or(BookError::Taken)?;
    let revived = sqlx::query("update appointment_booking set status = 'held', counter_id = $2, hold_expires_at = $3 where booking_id = $1 and status in ('held', 'expired')")
        .bind(b.id)
        .bind(slot.counter)
        .bind(now + Duration::minutes(1))
        .execute(tx.conn())
        .await?;
    if revived.rows_affected() != 1 {
        return Err(BookError::Closed);
    }
    booking(tx, b.id).await?.ok_or(BookError::Closed)
}

/// Cancels a booking (citizen or office); a second cancel changes nothing.
pub async fn cancel(tx: &mut TenantTx, id: Uuid, reason: &str) -> Result<bool> {
    Ok(sqlx::query("update appointment_booking set status = 'cancelled', cancelled_at = app_now(), cancel_reason = $2, sequence = sequence + 1 where booking_id = $1 and status in ('held', 'booked')")
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
pub async fn move_to(
    tx: &mut TenantTx,
    land: Land,
    b: &Booking,
    plan: &Plan,
    start: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Booking, BookError> {
    if b.status != "booked" {
        return Err(BookError::Closed);
    }
    // the same move posted again changes nothing
    if b.starts_at == start {
        return Ok(b.clone());
    }
    let day = civil::german(start).date();
    lock_day(tx, b.location, day).await?;
    expire_holds(tx).await?;
    let req = Request { location: b.location, services: b.services.clone(), persons: b.persons };
    let slot = free(tx, land, &req, plan, now, day, day, Some(b.id))
        .await?
        .into_iter()
        .find(|s| s.start == start)
        .ok_or(BookError::Taken)?;
    let moved = sqlx::query(
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
    // cancelled meanwhile: nothing moved
    if moved.rows_affected() != 1 {
        return Err(BookError::Closed);
    }
    booking(tx, b.id).await?.ok_or(BookError::Closed)
}

/// Booked appointments that no longer fit: outside the hours a calendar gives, on a counter that
/// is gone or inactive, or no longer serving the services.
pub async fn misfits(
    tx: &mut TenantTx,
    land: Land,
    location: Uuid,
    cal_override: Option<&Calendar>,
    now: OffsetDateTime,
) -> Result<Vec<Booking>> {
    let sql = format!("{BOOKING} where location_id = $1 and status = 'booked' and starts_at > $2 order by starts_at");
    let list = fetch_bookings(tx, sqlx::query(&sql).bind(location).bind(now)).await?;
    let Some(last) = list.last().map(|b| civil::german(b.starts_at).date()) else { return Ok(vec![]) };
    let cal = match cal_override {
        Some(c) => c.clone(),
        None => calendar(tx, land, location, civil::german(now).date(), last).await?,
    };
    let counters: HashMap<Uuid, CounterRow> = counters(tx, location).await?.into_iter().map(|c| (c.id, c)).collect();
    let open = super::location(tx, location).await?.is_some_and(|l| l.active);
    let bookable: BTreeSet<String> = rules(tx, location).await?.into_iter().map(|r| r.service).collect();
    Ok(list
        .into_iter()
        .filter(|b| {
            let (s, e) = (civil::german(b.starts_at), civil::german(b.ends_at));
            let in_hours =
                s.date() == e.date() && cal.hours(s.date()).iter().any(|(o, c)| s.time() >= *o && e.time() <= *c);
            let counter_ok =
                counters.get(&b.counter).is_some_and(|c| c.active && b.services.iter().all(|x| c.services.contains(x)));
            let services_ok = b.services.iter().all(|x| bookable.contains(x));
            !(open && in_hours && counter_ok && services_ok)
        })
        .collect())
}

/// Bookings due for their reminder (booked, starting within `hours`, not reminded).
pub async fn due_reminders(tx: &mut TenantTx, hours: i32) -> Result<Vec<Booking>> {
    let sql = format!(
        "{BOOKING} where status = 'booked' and reminded_at is null and email <> '' and starts_at > app_now() and starts_at <= app_now() + make_interval(hours => $1)
           and created_at < starts_at - make_interval(hours => $1) order by starts_at limit 500 for update skip locked"
    );
    fetch_bookings(tx, sqlx::query(&sql).bind(hours)).await
}

pub async fn mark_reminded(tx: &mut TenantTx, id: Uuid) -> Result<()> {
    sqlx::query("update appointment_booking set reminded_at = app_now() where booking_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(())
}
