//! German civil time (Europe/Berlin: CET, and CEST from the last Sunday of March 01:00 UTC to the
//! last Sunday of October 01:00 UTC), without a time-zone database: the rule has been the EU's
//! since 1996. Appointments, opening hours and dates on pages are all in this time.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

const CET: UtcOffset = match UtcOffset::from_hms(1, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};
const CEST: UtcOffset = match UtcOffset::from_hms(2, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The last Sunday of `month` in `year` (March and October: the days the clocks change).
pub fn last_sunday(year: i32, month: Month) -> Date {
    let last = Date::from_calendar_date(year, month, month.length(year)).unwrap_or(Date::MIN);
    last - Duration::days(i64::from(last.weekday().number_days_from_sunday()))
}

/// The instant (UTC) summer time starts (`true`) or ends (`false`) in `year`.
pub fn change(year: i32, starts: bool) -> OffsetDateTime {
    let day = last_sunday(year, if starts { Month::March } else { Month::October });
    PrimitiveDateTime::new(day, Time::from_hms(1, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_utc()
}

/// The offset of German civil time at `t`.
pub fn offset_at(t: OffsetDateTime) -> UtcOffset {
    let year = t.to_offset(UtcOffset::UTC).year();
    if t >= change(year, true) && t < change(year, false) { CEST } else { CET }
}

/// `t` in German civil time.
pub fn german(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(offset_at(t))
}

/// The instant of a German wall-clock time. `None` when the time does not exist (02:00–02:59 on
/// the last Sunday of March); of a time that exists twice (02:00–02:59 on the last Sunday of
/// October) the first, still in summer time.
pub fn instant(date: Date, time: Time) -> Option<OffsetDateTime> {
    let local = PrimitiveDateTime::new(date, time);
    [CEST, CET]
        .into_iter()
        .map(|o| local.assume_offset(o))
        .find(|t| offset_at(*t) == t.offset())
        .map(|t| t.to_offset(UtcOffset::UTC))
}

/// The instant a German day starts (its midnight).
pub fn day_start(date: Date) -> OffsetDateTime {
    instant(date, Time::MIDNIGHT).unwrap_or_else(|| PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    #[test]
    fn the_clocks_change_on_the_last_sundays_of_march_and_october_at_one_utc() {
        assert_eq!(offset_at(datetime!(2026-03-29 00:59 UTC)).whole_hours(), 1);
        assert_eq!(offset_at(datetime!(2026-03-29 01:00 UTC)).whole_hours(), 2);
        assert_eq!(offset_at(datetime!(2026-07-01 12:00 UTC)).whole_hours(), 2);
        assert_eq!(offset_at(datetime!(2026-10-25 00:59 UTC)).whole_hours(), 2);
        assert_eq!(offset_at(datetime!(2026-10-25 01:00 UTC)).whole_hours(), 1);
        assert_eq!(offset_at(datetime!(2026-11-22 12:00 UTC)).whole_hours(), 1);
    }

    #[test]
    fn wall_clock_times_map_to_the_right_instants_around_both_changes() {
        assert_eq!(instant(date!(2026 - 03 - 29), time!(01:30)), Some(datetime!(2026-03-29 00:30 UTC)));
        assert_eq!(instant(date!(2026 - 03 - 29), time!(02:30)), None);
        assert_eq!(instant(date!(2026 - 03 - 29), time!(03:00)), Some(datetime!(2026-03-29 01:00 UTC)));
        assert_eq!(instant(date!(2026 - 03 - 29), time!(09:00)), Some(datetime!(2026-03-29 07:00 UTC)));
        assert_eq!(instant(date!(2026 - 10 - 25), time!(02:30)), Some(datetime!(2026-10-25 00:30 UTC)));
        assert_eq!(instant(date!(2026 - 10 - 25), time!(03:00)), Some(datetime!(2026-10-25 02:00 UTC)));
        assert_eq!(instant(date!(2026 - 10 - 25), time!(09:00)), Some(datetime!(2026-10-25 08:00 UTC)));
        assert_eq!(day_start(date!(2026 - 10 - 26)), datetime!(2026-10-25 23:00 UTC));
    }
}
