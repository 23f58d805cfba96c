//! Which slots are free: the plan a service's rule makes for a request, the counters busy at a time, the free slots of a day and the first one ahead; holds that ran out.

use super::*;

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
    Ok(sqlx::query("update appointment_booking set status = 'expired' where status = 'held' and hold_expires_at < app_now() and tenant_id = current_tenant_id()")
        .execute(tx.conn())
        .await
        .map_err(db)?
        .rows_affected())
}

/// What blocks the counters of a location between two instants (an appointment fits in its day, so
/// the index on the start is read from a day before `from` only).
pub async fn busy(
    tx: &mut TenantTx,
    location: Uuid,
    from: OffsetDateTime,
    to: OffsetDateTime,
    except: Option<Uuid>,
) -> Result<Vec<Busy>> {
    let rows = sqlx::query(
        "select counter_id, starts_at, blocked_until from appointment_booking
          where location_id = $1 and starts_at < $3 and starts_at >= $2 - interval '1 day' and blocked_until > $2 and booking_id is distinct from $4
            and (status in ('booked', 'checked_in') or (status = 'held' and hold_expires_at >= app_now()))",
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

pub(super) async fn active_counters(tx: &mut TenantTx, location: Uuid) -> Result<Vec<Counter>> {
    Ok(counters(tx, location)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| Counter { id: c.id, services: c.services.into_iter().collect::<BTreeSet<_>>() })
        .collect())
}

/// The free slots of a request from `from` to `to` (German dates), never earlier than `now` plus
/// the notice nor later than the window allows.
#[expect(clippy::too_many_arguments, reason = "the request, its plan, the window and the booking being moved")]
pub async fn free(
    tx: &mut TenantTx,
    land: Land,
    req: &Request,
    plan: &Plan,
    now: OffsetDateTime,
    from: Date,
    to: Date,
    except: Option<Uuid>,
) -> Result<Vec<Slot>> {
    let today = civil::german(now).date();
    let to = to.min(last_day(plan, today));
    let from = from.max(today);
    if from > to {
        return Ok(vec![]);
    }
    let cal = calendar(tx, land, req.location, from, to).await?;
    let counters = active_counters(tx, req.location).await?;
    // the walk-in share of every service the able counters serve is kept: a service without a
    // share must not fill the counters that others keep for their walk-ins
    let able: BTreeSet<&String> = counters
        .iter()
        .filter(|c| req.services.iter().all(|s| c.services.contains(s)))
        .flat_map(|c| c.services.iter())
        .collect();
    let share = rules(tx, req.location)
        .await?
        .iter()
        .filter(|r| able.contains(&r.service))
        .map(|r| u8::try_from(r.walkin_share.clamp(0, 100)).unwrap_or(0))
        .max()
        .unwrap_or(0)
        .max(plan.walkin_share);
    let busy =
        busy(tx, req.location, civil::day_start(from), civil::day_start(to.next_day().unwrap_or(to)), except).await?;
    let ask = Ask {
        services: req.services.clone(),
        minutes: plan.minutes,
        buffer: plan.buffer,
        step: plan.step,
        not_before: now + plan.min_notice,
        from,
        to,
        walkin_share: share,
    };
    Ok(slots::free_slots(&cal, &counters, &busy, &ask))
}

/// The first free slot of the window, looked for a fortnight at a time (a busy location's answer
/// costs the first weeks, not the whole window).
pub async fn first_free(
    tx: &mut TenantTx,
    land: Land,
    req: &Request,
    plan: &Plan,
    now: OffsetDateTime,
    except: Option<Uuid>,
) -> Result<Option<Slot>> {
    let today = civil::german(now).date();
    let last = last_day(plan, today);
    let mut from = today;
    while from <= last {
        let to = (from + Duration::days(13)).min(last);
        if let Some(first) = free(tx, land, req, plan, now, from, to, except).await?.into_iter().next() {
            return Ok(Some(first));
        }
        from = to + Duration::days(1);
    }
    Ok(None)
}
