//! Dates and money as people in Germany read them: German civil time (CET/CEST), dd.mm.yyyy, euros.

use portal_domain::Lang;
use portal_domain::{Cents, Clock};
use portal_forms::validate::Day;
use time::OffsetDateTime;

/// The offset of German civil time at `t`.
pub use portal_domain::civil::offset_at as german_offset;

use portal_domain::civil::german;

/// Today in Germany (for date rules such as "not in the future"), by the platform's clock.
pub fn today(clock: &Clock) -> Day {
    day_of(clock.now())
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
    fmt_day(german(t).date())
}

/// A date as people read it: "17.03.2024".
pub fn fmt_day(d: time::Date) -> String {
    format!("{:02}.{:02}.{:04}", d.day(), u8::from(d.month()), d.year())
}

/// A date as forms and links carry it: "2024-03-17".
pub fn iso_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// "2024-03-17" (years 1900 to 2100) to a date.
pub fn parse_date(s: &str) -> Option<time::Date> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m = time::Month::try_from(it.next()?.parse::<u8>().ok()?).ok()?;
    let d = it.next()?.parse().ok()?;
    if !(1900..=2100).contains(&y) {
        return None;
    }
    time::Date::from_calendar_date(y, m, d).ok()
}

/// An amount in cents as the language writes it (amounts are never negative).
pub fn money(cents: i64, lang: Lang) -> String {
    let c = Cents::new(cents).unwrap_or_default();
    c.format(lang)
}
