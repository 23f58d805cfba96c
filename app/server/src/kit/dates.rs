//! Dates and money as people in Germany read them: German civil time (CET/CEST), dd.mm.yyyy, euros.

use portal_domain::Cents;
use portal_domain::Lang;
use portal_forms::validate::Day;
use time::OffsetDateTime;

/// The offset of German civil time at `t`.
pub use portal_domain::civil::offset_at as german_offset;

use portal_domain::civil::german;

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
