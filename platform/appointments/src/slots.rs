//! Free slots: which start times a location can still offer for a request (services, persons), and
//! on which counter. Pure: the caller loads opening hours, counters and what is already booked.
//!
//! The rules:
//! - A day's hours are its special hours if it has any (a closing day has none), else nothing on a
//!   public holiday of the tenant's Land, else the weekday's hours; breaks are gaps between them.
//! - Start times lie on a grid of `step` minutes from each opening; a slot needs its duration plus
//!   the buffer before the hours end, both as wall-clock and as real time (so nothing is offered
//!   across a change of the clocks).
//! - A counter can take the slot when it serves every requested service and nothing booked or held
//!   on it overlaps the slot and its buffer.
//! - Walk-ins keep a share of the capacity: at any moment at most
//!   `max(1, round(n × (100 − share) / 100))` of the `n` counters that could serve the request may be
//!   booked (none when the share is 100 %).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use portal_domain::civil;
use time::{Date, Duration, OffsetDateTime, Time, Weekday};
use uuid::Uuid;

use crate::holidays::{Land, holiday};

/// Opening hours of a location.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// The Land whose public holidays close the location (none: no holidays).
    pub land: Option<Land>,
    /// Hours per weekday (several per day: the gaps are breaks).
    pub weekly: Vec<(Weekday, Time, Time)>,
    /// Days with their own hours; an empty list closes the day.
    pub special: BTreeMap<Date, Vec<(Time, Time)>>,
}

impl Calendar {
    /// The hours of `date`, ordered.
    pub fn hours(&self, date: Date) -> Vec<(Time, Time)> {
        let mut h = match self.special.get(&date) {
            Some(own) => own.clone(),
            None if self.land.and_then(|l| holiday(l, date)).is_some() => vec![],
            None => self.weekly.iter().filter(|(w, _, _)| *w == date.weekday()).map(|(_, o, c)| (*o, *c)).collect(),
        };
        h.retain(|(o, c)| o < c);
        h.sort();
        h
    }

    /// Whether the location is open at all on `date`.
    pub fn open_on(&self, date: Date) -> bool {
        !self.hours(date).is_empty()
    }
}

/// A counter (workplace) and the services it serves.
#[derive(Debug, Clone)]
pub struct Counter {
    pub id: Uuid,
    pub services: BTreeSet<String>,
}

/// Time taken on a counter by a booking or a hold (its buffer included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub counter: Uuid,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

/// What is asked for.
#[derive(Debug, Clone)]
pub struct Ask {
    pub services: Vec<String>,
    /// Minutes the appointment takes (already scaled by persons or cases).
    pub minutes: i64,
    /// Minutes kept free after it.
    pub buffer: i64,
    /// Grid of start times, in minutes.
    pub step: i64,
    /// No slot starts before this instant (now plus the shortest notice).
    pub not_before: OffsetDateTime,
    pub from: Date,
    pub to: Date,
    /// Percent of the capacity kept free for walk-ins.
    pub walkin_share: u8,
}

/// A free slot: when, until when (without the buffer), and the counter that would take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    pub counter: Uuid,
}

/// How many of `n` counters may be booked at once when `share` percent is kept for walk-ins.
pub fn bookable(n: usize, share: u8) -> usize {
    if n == 0 || share >= 100 {
        return 0;
    }
    let keep = (n * usize::from(100 - share) + 50) / 100;
    keep.max(1)
}

/// Per counter, its busy times ordered by start (they never overlap on one counter).
struct Taken(HashMap<Uuid, Vec<(OffsetDateTime, OffsetDateTime)>>);

impl Taken {
    fn new(busy: &[Busy]) -> Self {
        let mut m: HashMap<Uuid, Vec<(OffsetDateTime, OffsetDateTime)>> = HashMap::new();
        for b in busy {
            m.entry(b.counter).or_default().push((b.start, b.end));
        }
        for v in m.values_mut() {
            v.sort();
        }
        Self(m)
    }

    fn overlaps(&self, counter: Uuid, start: OffsetDateTime, end: OffsetDateTime) -> bool {
        self.0.get(&counter).is_some_and(|v| {
            // busy times sorted by start are sorted by end too; the first ending after `start`
            // is the only one that can overlap without a later one starting before it
            let i = v.partition_point(|(_, e)| *e <= start);
            v[i..].iter().take_while(|(s, _)| *s < end).any(|(s, e)| *s < end && *e > start)
        })
    }
}

fn minute_of(t: Time) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

/// The wall-clock time `m` minutes after midnight (`None` from midnight on: a slot never runs past
/// the end of its day).
fn clock(m: i64) -> Option<Time> {
    if !(0..24 * 60).contains(&m) {
        return None;
    }
    Time::from_hms(u8::try_from(m / 60).ok()?, u8::try_from(m % 60).ok()?, 0).ok()
}

/// "08:00-12:00, 13:00-16:00" → the intervals (ordered, not overlapping), or `None`.
pub fn parse_hours(s: &str) -> Option<Vec<(Time, Time)>> {
    let clock = |t: &str| {
        let (h, m) = t.trim().split_once(':').unwrap_or((t.trim(), "0"));
        Time::from_hms(h.trim().parse().ok()?, m.trim().parse().ok()?, 0).ok()
    };
    let mut out = vec![];
    for part in s.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once(['-', '–'])?;
        let (o, c) = (clock(a)?, clock(b)?);
        if o >= c {
            return None;
        }
        out.push((o, c));
    }
    out.sort();
    if out.windows(2).any(|w| w[0].1 > w[1].0) {
        return None;
    }
    Some(out)
}

/// Every free slot of the request, one per start time (the first counter that can take it).
pub fn free_slots(cal: &Calendar, counters: &[Counter], busy: &[Busy], ask: &Ask) -> Vec<Slot> {
    let able: Vec<Uuid> =
        counters.iter().filter(|c| ask.services.iter().all(|s| c.services.contains(s))).map(|c| c.id).collect();
    let cap = bookable(able.len(), ask.walkin_share);
    if cap == 0 || ask.minutes <= 0 || ask.step <= 0 {
        return vec![];
    }
    let taken = Taken::new(busy);
    let length = Duration::minutes(ask.minutes + ask.buffer.max(0));
    let mut out = Vec::new();
    let mut date = ask.from;
    while date <= ask.to {
        for (opens, closes) in cal.hours(date) {
            let (open, close) = (minute_of(opens), minute_of(closes));
            let mut m = open;
            while m + length.whole_minutes() <= close {
                if let (Some(t), Some(end_clock)) = (clock(m), clock(m + length.whole_minutes()))
                    && let (Some(start), Some(end)) = (civil::instant(date, t), civil::instant(date, end_clock))
                    && end - start == length
                    && start >= ask.not_before
                {
                    let in_use = able.iter().filter(|c| taken.overlaps(**c, start, end)).count();
                    if in_use < cap
                        && let Some(c) = able.iter().find(|c| !taken.overlaps(**c, start, end))
                    {
                        out.push(Slot { start, end: start + Duration::minutes(ask.minutes), counter: *c });
                    }
                }
                m += ask.step;
            }
        }
        match date.next_day() {
            Some(d) => date = d,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime, time};

    fn weekdays(hours: &[(Time, Time)]) -> Vec<(Weekday, Time, Time)> {
        [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday]
            .into_iter()
            .flat_map(|w| hours.iter().map(move |(o, c)| (w, *o, *c)))
            .collect()
    }

    fn counters(n: usize, services: &[&str]) -> Vec<Counter> {
        (0..n)
            .map(|i| Counter {
                id: Uuid::from_u128(i as u128 + 1),
                services: services.iter().map(|s| (*s).to_owned()).collect(),
            })
            .collect()
    }

    fn ask(from: Date, to: Date, minutes: i64) -> Ask {
        Ask {
            services: vec!["pass".into()],
            minutes,
            buffer: 0,
            step: 15,
            not_before: datetime!(2000-01-01 0:00 UTC),
            from,
            to,
            walkin_share: 0,
        }
    }

    #[test]
    fn breaks_holidays_and_closing_days_have_no_slots() {
        let mut cal = Calendar {
            land: Some(Land::RP),
            weekly: weekdays(&[(time!(8:00), time!(12:00)), (time!(13:00), time!(16:00))]),
            special: BTreeMap::new(),
        };
        cal.special.insert(date!(2026 - 06 - 02), vec![]);
        cal.special.insert(date!(2026 - 06 - 03), vec![(time!(14:00), time!(15:00))]);
        let slots =
            free_slots(&cal, &counters(1, &["pass"]), &[], &ask(date!(2026 - 06 - 01), date!(2026 - 06 - 07), 30));
        let on = |d: Date| slots.iter().filter(|s| civil::german(s.start).date() == d).count();
        // Monday: 8–12 (15 starts of 30 min on a 15-min grid), 13–16 (11)
        assert_eq!(on(date!(2026 - 06 - 01)), 15 + 11);
        assert_eq!(on(date!(2026 - 06 - 02)), 0, "closing day");
        assert_eq!(on(date!(2026 - 06 - 03)), 3, "own hours 14–15");
        assert_eq!(on(date!(2026 - 06 - 04)), 0, "Fronleichnam in Rhineland-Palatinate");
        assert_eq!(on(date!(2026 - 06 - 06)), 0, "Saturday");
        assert!(
            slots.iter().all(|s| {
                let t = civil::german(s.start).time();
                !(t > time!(11:30) && t < time!(13:00))
            }),
            "nothing runs into the break"
        );
    }

    #[test]
    fn a_booking_for_three_persons_takes_three_times_as_long_and_needs_the_room() {
        let cal = Calendar { land: None, weekly: weekdays(&[(time!(8:00), time!(9:00))]), special: BTreeMap::new() };
        let slots =
            free_slots(&cal, &counters(1, &["pass"]), &[], &ask(date!(2026 - 06 - 01), date!(2026 - 06 - 01), 45));
        assert_eq!(
            slots.iter().map(|s| civil::german(s.start).time()).collect::<Vec<_>>(),
            vec![time!(8:00), time!(8:15)]
        );
        assert_eq!(slots[0].end - slots[0].start, Duration::minutes(45));
    }

    #[test]
    fn several_counters_and_services_the_walk_in_share_and_a_counter_that_lacks_a_service() {
        let cal = Calendar { land: None, weekly: weekdays(&[(time!(8:00), time!(8:30))]), special: BTreeMap::new() };
        let mut cs = counters(3, &["pass", "kfz"]);
        cs.push(Counter { id: Uuid::from_u128(99), services: ["pass".to_owned()].into() });
        let day = date!(2026 - 06 - 01);
        let start = civil::instant(day, time!(8:00)).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let busy: Vec<Busy> =
            (1..=2).map(|i| Busy { counter: Uuid::from_u128(i), start, end: start + Duration::minutes(15) }).collect();
        let mut a = ask(day, day, 15);
        a.services = vec!["pass".into(), "kfz".into()];
        // counters 1–3 serve both; 1 and 2 are busy at 8:00; 3 is free
        let slots = free_slots(&cal, &cs, &busy, &a);
        assert_eq!(slots[0].counter, Uuid::from_u128(3));
        // with a third kept for walk-ins only 2 of 3 may be booked: 8:00 is full
        a.walkin_share = 34;
        let slots = free_slots(&cal, &cs, &busy, &a);
        assert_eq!(slots.first().map(|s| civil::german(s.start).time()), Some(time!(8:15)));
        assert_eq!(bookable(1, 30), 1);
        assert_eq!(bookable(3, 30), 2);
        assert_eq!(bookable(10, 30), 7);
        assert_eq!(bookable(4, 100), 0);
    }

    #[test]
    fn the_days_the_clocks_change_keep_wall_clock_hours() {
        // a location open on Sundays 01:00–04:00 and 09:00–10:00 (nobody does this, the test does)
        let cal = Calendar {
            land: None,
            weekly: vec![(Weekday::Sunday, time!(1:00), time!(4:00)), (Weekday::Sunday, time!(9:00), time!(10:00))],
            special: BTreeMap::new(),
        };
        let mut a = ask(date!(2026 - 03 - 29), date!(2026 - 03 - 29), 30);
        a.step = 30;
        let spring: Vec<OffsetDateTime> =
            free_slots(&cal, &counters(1, &["pass"]), &[], &a).into_iter().map(|s| s.start).collect();
        // 01:00 CET; 01:30 would end at 02:00, which does not exist; 02:xx does not exist; then 03:00 CEST
        assert_eq!(
            spring,
            vec![
                datetime!(2026-03-29 0:00 UTC),
                datetime!(2026-03-29 1:00 UTC),
                datetime!(2026-03-29 1:30 UTC),
                datetime!(2026-03-29 7:00 UTC),
                datetime!(2026-03-29 7:30 UTC)
            ]
        );
        a.from = date!(2026 - 10 - 25);
        a.to = a.from;
        let autumn: Vec<OffsetDateTime> =
            free_slots(&cal, &counters(1, &["pass"]), &[], &a).into_iter().map(|s| s.start).collect();
        // 02:30 → 03:00 is 90 real minutes (the hour repeats): not offered; 09:00 is CET
        assert_eq!(autumn.last(), Some(&datetime!(2026-10-25 8:30 UTC)));
        assert!(autumn.contains(&datetime!(2026-10-24 23:00 UTC)));
        assert!(autumn.iter().all(|s| civil::german(*s).time().minute().is_multiple_of(30)));
        assert!(
            !autumn.contains(&datetime!(2026-10-25 0:30 UTC)),
            "02:30 CEST ends at 03:00 CET, an hour later than on the clock"
        );
    }

    #[test]
    fn hours_read_as_people_write_them() {
        assert_eq!(
            parse_hours("08:00-12:00, 13:00–16:30"),
            Some(vec![(time!(8:00), time!(12:00)), (time!(13:00), time!(16:30))])
        );
        assert_eq!(parse_hours(""), Some(vec![]));
        assert_eq!(parse_hours("8-12"), Some(vec![(time!(8:00), time!(12:00))]));
        assert_eq!(parse_hours("12:00-08:00"), None);
        assert_eq!(parse_hours("08:00-12:00, 11:00-13:00"), None, "overlapping");
        assert_eq!(parse_hours("25:00-26:00"), None);
        assert_eq!(parse_hours("morgens"), None);
    }

    fn arb_hours() -> impl Strategy<Value = Vec<(Time, Time)>> {
        proptest::collection::vec((6u8..18, 0u8..4, 1u8..9), 1..3).prop_map(|v| {
            v.into_iter()
                .filter_map(|(h, q, len)| {
                    Time::from_hms(h, q * 15, 0).ok().map(|o| (o, o + Duration::minutes(i64::from(len) * 30)))
                })
                .filter(|(o, c)| c > o)
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn slots_are_inside_the_hours_never_overlap_what_is_taken_and_respect_the_walk_in_share(
            hours in arb_hours(),
            n in 1usize..5,
            share in 0u8..80,
            minutes in 10i64..60,
            buffer in 0i64..10,
            persons in 1i64..4,
            booked in proptest::collection::vec((0usize..5, 0i64..20, 0u32..600), 0..20),
            first in 0i64..400,
        ) {
            let cal = Calendar { land: Some(Land::NW), weekly: weekdays(&hours), special: BTreeMap::new() };
            let from = date!(2026 - 03 - 23) + Duration::days(first % 240);
            let to = from + Duration::days(13);
            let cs = counters(n, &["pass"]);
            let busy: Vec<Busy> = booked.iter().filter_map(|(c, d, m)| {
                let day = from + Duration::days(*d % 14);
                let start = civil::instant(day, Time::MIDNIGHT)? + Duration::hours(6) + Duration::minutes(i64::from(*m));
                Some(Busy { counter: Uuid::from_u128((*c % n) as u128 + 1), start, end: start + Duration::minutes(25) })
            }).fold(Vec::new(), |mut acc: Vec<Busy>, b| {
                if !acc.iter().any(|o| o.counter == b.counter && o.start < b.end && b.start < o.end) { acc.push(b); }
                acc
            });
            let a = Ask { services: vec!["pass".into()], minutes: minutes * persons, buffer, step: 15, not_before: datetime!(2000-01-01 0:00 UTC), from, to, walkin_share: share };
            let slots = free_slots(&cal, &cs, &busy, &a);
            for s in &slots {
                let local = civil::german(s.start);
                let end_local = civil::german(s.end + Duration::minutes(buffer));
                prop_assert_eq!(s.end - s.start, Duration::minutes(minutes * persons));
                prop_assert!(cal.hours(local.date()).iter().any(|(o, c)| local.time() >= *o && end_local.time() <= *c && end_local.date() == local.date()), "outside the hours: {local}");
                prop_assert!(portal_domain::civil::german(s.start).date().weekday() != Weekday::Saturday);
                prop_assert!(holiday(Land::NW, local.date()).is_none());
                let block_end = s.end + Duration::minutes(buffer);
                prop_assert!(!busy.iter().any(|b| b.counter == s.counter && b.start < block_end && s.start < b.end), "overlaps a booking");
                let in_use = cs.iter().filter(|c| busy.iter().any(|b| b.counter == c.id && b.start < block_end && s.start < b.end)).count();
                prop_assert!(in_use < bookable(n, share));
            }
            // booking every offered slot one after the other never double-books a counter
            let mut all = busy.clone();
            for s in &slots {
                let again = free_slots(&cal, &cs, &all, &Ask { from: civil::german(s.start).date(), to: civil::german(s.start).date(), ..a.clone() });
                if let Some(free) = again.iter().find(|x| x.start == s.start) {
                    let b = Busy { counter: free.counter, start: free.start, end: free.end + Duration::minutes(buffer) };
                    prop_assert!(!all.iter().any(|o| o.counter == b.counter && o.start < b.end && b.start < o.end));
                    all.push(b);
                }
            }
        }
    }
}
