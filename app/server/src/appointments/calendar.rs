//! The server-rendered calendar of the booking steps: a month with its free days as links, and the
//! form to pick a time of a day (a select: works without script, one tab stop).

use portal_appointments::repo;
use portal_appointments::slots::Slot;
use portal_domain::Lang;
use portal_ui::blocks::{Block, Cell};
use portal_ui::i18n::tr;
use portal_ui::islands::TimeChoice;
use time::{Date, Month};

use super::want::Want;

/// The calendar of a month: weeks as rows, days with free slots as links.
pub(super) fn month_table(lang: Lang, month: Date, free_days: &[Date], link: &dyn Fn(Date) -> String) -> Block {
    let headers: Vec<String> = (0..7)
        .map(|i| super::weekday_name(lang, time::Weekday::Monday.nth_next(i)).chars().take(2).collect())
        .collect();
    let mut rows = vec![];
    let mut week: Vec<Cell> =
        (0..month.weekday().number_days_from_monday()).map(|_| Cell::Text(String::new())).collect();
    let mut d = month;
    while d.month() == month.month() {
        let label = d.day().to_string();
        week.push(if free_days.contains(&d) {
            Cell::Link(link(d), format!("{label} ({})", tr(lang, "appointments.free_short")))
        } else {
            Cell::Text(label)
        });
        if week.len() == 7 {
            rows.push(std::mem::take(&mut week));
        }
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    if !week.is_empty() {
        while week.len() < 7 {
            week.push(Cell::Text(String::new()));
        }
        rows.push(week);
    }
    let caption = format!("{} {}", month_name(lang, month.month()), month.year());
    Block::Table { caption, headers, rows, empty: String::new() }
}

fn month_name(lang: Lang, m: Month) -> &'static str {
    const DE: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let i = usize::from(u8::from(m)) - 1;
    lang.pick(DE[i], EN[i])
}

pub(super) fn month_start(d: Date) -> Date {
    d.replace_day(1).unwrap_or(d)
}

pub(super) fn next_month(d: Date) -> Date {
    let (y, m) =
        if d.month() == Month::December { (d.year() + 1, Month::January) } else { (d.year(), d.month().next()) };
    Date::from_calendar_date(y, m, 1).unwrap_or(d)
}

pub(super) fn month_end(d: Date) -> Date {
    next_month(d).previous_day().unwrap_or(d)
}

/// The form to pick a time of a day (a select: works without script, one tab stop).
pub(super) fn time_form(lang: Lang, want: &Want, times: &[&Slot], action: &str, csrf: &str) -> Block {
    let options: Vec<(String, String)> = times
        .iter()
        .map(|s| {
            (
                s.start.unix_timestamp().to_string(),
                format!("{} – {}", super::clock_text(s.start), super::clock_text(s.end)),
            )
        })
        .collect();
    portal_ui::appointments::time_pick_block(
        action.to_owned(),
        csrf.to_owned(),
        vec![
            // the form's one-time key becomes the booking's secret: posted twice, it holds one slot
            ("key".into(), repo::secret()),
            ("ort".into(), want.location.map(|l| l.to_string()).unwrap_or_default()),
            ("dienst".into(), want.services.join(",")),
            ("personen".into(), want.persons.to_string()),
        ],
        TimeChoice {
            name: "start".into(),
            legend: tr(lang, "appointments.time"),
            selected: options.first().map(|o| o.0.clone()).unwrap_or_default(),
            options,
            submit: tr(lang, "appointments.take_time_at"),
        },
    )
}
