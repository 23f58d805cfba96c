//! Tickets and calls, waiting times, statistics.

use super::bookings::{BOOKING, fetch_bookings};
use super::*;

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
    Ok(sqlx::query(&format!("{TICKET} where t.ticket_id = $1"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?
        .as_ref()
        .map(ticket_row))
}

/// The tickets of a location's day, in number order.
pub async fn tickets_of_day(tx: &mut TenantTx, location: Uuid, day: Date) -> Result<Vec<Ticket>> {
    Ok(sqlx::query(&format!("{TICKET} where t.location_id = $1 and t.day = $2 order by t.number"))
        .bind(location)
        .bind(day)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?
        .iter()
        .map(ticket_row)
        .collect())
}

async fn lock_queue(tx: &mut TenantTx, location: Uuid) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("queue:{location}"))
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(())
}

async fn new_ticket(
    tx: &mut TenantTx,
    location: Uuid,
    day: Date,
    prefix: char,
    booking: Option<Uuid>,
    services: &[String],
    estimate: i64,
) -> Result<Ticket> {
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
    ticket(tx, id).await?.ok_or(DbError::Sqlx(sqlx::Error::RowNotFound))
}

/// Draws a walk-in ticket (numbers per location and day), with the wait estimated for its service
/// now. The form's one-time `key` makes a double click give the same ticket.
pub async fn draw(
    tx: &mut TenantTx,
    location: Uuid,
    services: &[String],
    now: OffsetDateTime,
    key: Option<&str>,
) -> Result<Ticket> {
    lock_queue(tx, location).await?;
    if let Some(key) = key
        && let Some(t) = sqlx::query(&format!("{TICKET} where t.request_key = $1"))
            .bind(key)
            .fetch_optional(tx.conn())
            .await
            .map_err(db)?
    {
        return Ok(ticket_row(&t));
    }
    let wait = waiting_estimate(tx, location, services.first().map(String::as_str), now).await?;
    let t = new_ticket(tx, location, civil::german(now).date(), 'A', None, services, wait.secs).await?;
    if let Some(key) = key {
        sqlx::query("update appointment_ticket set request_key = $2 where ticket_id = $1")
            .bind(t.id)
            .bind(key)
            .execute(tx.conn())
            .await
            .map_err(db)?;
    }
    Ok(t)
}

/// Checks a booked citizen in (a second check-in, also at the same moment, returns the same
/// ticket; a booking cancelled meanwhile gets none).
pub async fn check_in(tx: &mut TenantTx, b: &Booking, now: OffsetDateTime) -> Result<Option<Ticket>> {
    lock_queue(tx, b.location).await?;
    if let Some(t) = sqlx::query(&format!("{TICKET} where t.booking_id = $1"))
        .bind(b.id)
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?
    {
        return Ok(Some(ticket_row(&t)));
    }
    if civil::german(b.starts_at).date() != civil::german(now).date() {
        return Ok(None);
    }
    let checked =
        sqlx::query("update appointment_booking set status = 'checked_in' where booking_id = $1 and status = 'booked'")
            .bind(b.id)
            .execute(tx.conn())
            .await
            .map_err(db)?;
    if checked.rows_affected() != 1 {
        return Ok(None);
    }
    // an appointment waits until its time, not behind the queue
    let wait = (b.starts_at - now).whole_seconds().max(0);
    Ok(Some(new_ticket(tx, b.location, civil::german(now).date(), 'T', Some(b.id), &b.services, wait).await?))
}

/// The ticket a counter is serving (called, not finished).
pub async fn current(tx: &mut TenantTx, counter: Uuid) -> Result<Option<Ticket>> {
    Ok(sqlx::query(&format!(
        "{TICKET} where t.counter_id = $1 and t.status = 'called' order by t.called_at desc limit 1"
    ))
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
    let waiting: Vec<Ticket> =
        tickets_of_day(tx, counter.location, day).await?.into_iter().filter(|t| t.status == "waiting").collect();
    let list: Vec<queue::Waiting> = waiting
        .iter()
        .map(|t| queue::Waiting {
            id: t.id,
            appointment: t.appointment,
            arrived_at: t.arrived_at,
            number: t.number,
            services: t.services.clone(),
            passed_to: t.passed_to,
        })
        .collect();
    let serves: BTreeSet<String> = counter.services.iter().cloned().collect();
    let Some(id) = queue::next(&list, counter.id, &serves, now) else { return Ok(None) };
    sqlx::query("update appointment_ticket set status = 'called', counter_id = $2, called_at = $3, shown_at = $3, passed_to = null where ticket_id = $1")
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
    // a recall comes to the top of the display (shown_at); the wait keeps the first call's time
    sqlx::query("update appointment_ticket set recalls = recalls + 1, shown_at = app_now() where ticket_id = $1")
        .bind(t.id)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(Some(t))
}

/// Finishes a called ticket as served or as a no-show; its booking is done.
pub async fn finish(tx: &mut TenantTx, ticket: Uuid, served: bool) -> Result<bool> {
    let done = sqlx::query("update appointment_ticket set status = $2, finished_at = app_now() where ticket_id = $1 and status = 'called' returning booking_id")
        .bind(ticket)
        .bind(if served { "served" } else { "no_show" })
        .fetch_optional(tx.conn())
        .await
        .map_err(db)?;
    if let Some(row) = &done
        && let Some(b) = row.get::<Option<Uuid>, _>(0)
    {
        sqlx::query("update appointment_booking set status = 'done' where booking_id = $1")
            .bind(b)
            .execute(tx.conn())
            .await
            .map_err(db)?;
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
    let sql = format!(
        "{BOOKING} where location_id = $1 and status = 'booked' and starts_at < $2 and starts_at >= $3 order by starts_at"
    );
    fetch_bookings(
        tx,
        sqlx::query(&sql)
            .bind(location)
            .bind(now - Duration::minutes(30))
            .bind(civil::day_start(civil::german(now).date())),
    )
    .await
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

/// What the waiting-time estimates of a location are computed from (read once, asked per service).
pub struct WaitInputs {
    tickets: Vec<Ticket>,
    expected: HashMap<String, i64>,
    default: i64,
    counters: Vec<CounterRow>,
    now: OffsetDateTime,
}

impl WaitInputs {
    /// Today's tickets, the recent service times and the counters of a location.
    pub async fn load(tx: &mut TenantTx, location: Uuid, now: OffsetDateTime) -> Result<Self> {
        let tickets = tickets_of_day(tx, location, civil::german(now).date()).await?;
        let history: Vec<(String, i64)> = sqlx::query_as(
            "select services[1], extract(epoch from finished_at - called_at)::bigint from appointment_ticket
              where location_id = $1 and status = 'served' and finished_at > app_now() - interval '28 days' order by finished_at desc limit 400",
        )
        .bind(location)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?;
        let mut recent: HashMap<String, Vec<i64>> = HashMap::new();
        for (s, secs) in history {
            recent.entry(s).or_default().push(secs);
        }
        let defaults: HashMap<String, i64> =
            rules(tx, location).await?.into_iter().map(|r| (r.service, i64::from(r.duration_min) * 60)).collect();
        let default = defaults.values().copied().min().unwrap_or(600);
        let expected = defaults
            .keys()
            .chain(recent.keys())
            .map(|s| {
                (
                    s.clone(),
                    estimate::expected_secs(
                        recent.get(s).map_or(&[][..], Vec::as_slice),
                        defaults.get(s).copied().unwrap_or(default),
                    ),
                )
            })
            .collect();
        Ok(Self { tickets, expected, default, counters: counters(tx, location).await?, now })
    }

    /// The estimated wait of a walk-in drawing a ticket now, for `service` (the counters serving it
    /// and the tickets for it) or for any.
    pub fn wait(&self, service: Option<&str>) -> Wait {
        let now = self.now;
        let able: Vec<&CounterRow> = self
            .counters
            .iter()
            .filter(|c| c.active && service.is_none_or(|s| c.services.iter().any(|x| x == s)))
            .collect();
        let recent_cutoff = now - Duration::minutes(30);
        let at_work = able
            .iter()
            .filter(|c| {
                self.tickets
                    .iter()
                    .any(|t| t.counter == Some(c.id) && t.called_at.is_some_and(|at| at >= recent_cutoff))
            })
            .count();
        let relevant = |t: &&Ticket| service.is_none_or(|s| t.services.iter().any(|x| x == s));
        let q = estimate::Queue {
            // appointments not yet due wait for their time, not in the walk-in queue
            waiting: self
                .tickets
                .iter()
                .filter(relevant)
                .filter(|t| t.status == "waiting" && t.appointment.is_none_or(|a| a <= now + queue::DUE_EARLY))
                .map(|t| t.services.first().cloned().unwrap_or_default())
                .collect(),
            serving: self
                .tickets
                .iter()
                .filter(relevant)
                .filter(|t| t.status == "called")
                .map(|t| {
                    (
                        t.services.first().cloned().unwrap_or_default(),
                        t.called_at.map_or(0, |c| (now - c).whole_seconds()),
                    )
                })
                .collect(),
            counters: if at_work > 0 { at_work } else { able.len() },
        };
        let waiting = q.waiting.len() as i64;
        Wait { secs: estimate::wait_secs(&q, &self.expected, self.default), waiting, counters: q.counters as i64 }
    }
}

/// The estimated wait of a walk-in drawing a ticket now (for `service`, or any), from the queue,
/// what is being served and the recent service times at the location ([`estimate`]).
pub async fn waiting_estimate(
    tx: &mut TenantTx,
    location: Uuid,
    service: Option<&str>,
    now: OffsetDateTime,
) -> Result<Wait> {
    Ok(WaitInputs::load(tx, location, now).await?.wait(service))
}

/// The last calls of a location today, newest first: (ticket code, counter name, called at, recalls).
pub async fn last_calls(
    tx: &mut TenantTx,
    location: Uuid,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<(String, String, OffsetDateTime, i32)>> {
    sqlx::query_as(
        "select t.code, c.name, t.called_at, t.recalls from appointment_ticket t join appointment_counter c on c.tenant_id = t.tenant_id and c.counter_id = t.counter_id
          where t.location_id = $1 and t.day = $2 and t.called_at is not null and t.status in ('called', 'served') order by coalesce(t.shown_at, t.called_at) desc limit $3",
    )
    .bind(location)
    .bind(civil::german(now).date())
    .bind(limit)
    .fetch_all(tx.conn())
    .await
    .map_err(db)
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
                   count(*) filter (where status <> 'cancelled') as bookings, count(*) filter (where status = 'cancelled') as cancellations,
                   count(*) filter (where status = 'booked' and starts_at < app_now() - interval '30 minutes') as never_came
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
         select coalesce(b.day, t.day), coalesce(b.service, t.service), coalesce(b.bookings, 0), coalesce(b.cancellations, 0), coalesce(t.no_shows, 0) + coalesce(b.never_came, 0),
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
pub async fn estimate_quality(
    tx: &mut TenantTx,
    location: Uuid,
    from: Date,
    to: Date,
) -> Result<Vec<(Date, estimate::Quality)>> {
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
    sqlx::query_as(
        "select extract(isodow from arrived_at at time zone 'Europe/Berlin')::int, extract(hour from arrived_at at time zone 'Europe/Berlin')::int,
                avg(extract(epoch from called_at - arrived_at))::float8, count(*)
           from appointment_ticket where location_id = $1 and booking_id is null and called_at is not null and arrived_at > app_now() - interval '56 days'
          group by 1, 2 order by 1, 2",
    )
    .bind(location)
    .fetch_all(tx.conn())
    .await
    .map_err(db)
}

/// Tenants that offer appointments (platform transaction: for the reminder job).
pub async fn tenants(conn: &mut sqlx::PgConnection) -> Result<Vec<Uuid>> {
    sqlx::query_scalar("select tenant_id from appointment_tenant order by tenant_id").fetch_all(conn).await.map_err(db)
}
