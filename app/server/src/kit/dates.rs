//! Dates and money as people in Germany read them: German civil time (CET/CEST), dd.mm.yyyy, euros.

use portal_domain::Cents;
use portal_domain::Lang;
use portal_forms::validate::Day;
use time::OffsetDateTime;

/// The offset of German civil time at `t`: CEST (+2) from the last Sunday of March 01:00 UTC to
/// the last Sunday of October 01:00 UTC, CET (+1) otherwise.
pub fn german_offset(t: OffsetDateTime) -> time::UtcOffset {
    let last_sunday = |month: time::Month| {
        let last = time::Date::from_calendar_date(t.year(), month, 31).unwrap_or(t.date());
        let back = i64::from(last.weekday().number_days_from_sunday());
        last.checked_sub(time::Duration::days(back)).unwrap_or(last).with_hms(1, 0, 0).map(|d| d.assume_utc())
    };
    let summer = match (last_sunday(time::Month::March), last_sunday(time::Month::October)) {
        (Ok(start), Ok(end)) => t >= start && t < end,
        _ => false,
    };
    time::UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

fn german(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(german_offset(t))
}

/// Today's date in Germany.
pub fn today_date() -> time::Date {
    german(OffsetDateTime::now_utc()).date()
}

/// Today in Germany (for date rules such as "not in the future").
pub fn today() -> Day {
    day_of(OffsetDateTime::now_utc())
}

/// The German civil date of `t` as the form rules read it.
pub fn day_of(t: OffsetDateTime) -> Day {
    let d = german(t).date();
    (d.year(), u32::from(u8::from(d.month())), u32::from(d.day()))
}

pub fn fmt_time(t: OffsetDateTime) -> String {
    let t = german(t);
    format!("{:02}.{:02}.{:04} {:02}:{:02}", t.day(), u8::from(t.month()), t.year(), t.hour(), t.minute())
}

pub fn fmt_date(t: OffsetDateTime) -> String {
    let t = german(t);
    format!("{:02}.{:02}.{:04}", t.day(), u8::from(t.month()), t.year())
}

/// An amount in cents as the language writes it (amounts are never negative).
pub fn money(cents: i64, lang: Lang) -> String {
    let c = Cents::new(cents).unwrap_or_default();
    if lang == Lang::En { c.format_en() } else { c.format_de() }
}
