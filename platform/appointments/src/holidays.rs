//! Public holidays (gesetzliche Feiertage) per Land, computed for any year: the fixed days, the
//! days that move with Easter, and Buß- und Bettag. Holidays that only some municipalities of a
//! Land keep (Fronleichnam in parts of Saxony and Thuringia, Mariä Himmelfahrt in Catholic Bavaria,
//! the Augsburger Friedensfest) are left to the tenant's own closing days.

use time::{Date, Duration, Month};

/// A German Land, by its ISO 3166-2 code without the `DE-` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Land {
    BW,
    BY,
    BE,
    BB,
    HB,
    HH,
    HE,
    MV,
    NI,
    NW,
    RP,
    SL,
    SN,
    ST,
    SH,
    TH,
}

impl Land {
    pub const ALL: [Land; 16] = [
        Land::BW,
        Land::BY,
        Land::BE,
        Land::BB,
        Land::HB,
        Land::HH,
        Land::HE,
        Land::MV,
        Land::NI,
        Land::NW,
        Land::RP,
        Land::SL,
        Land::SN,
        Land::ST,
        Land::SH,
        Land::TH,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Land::BW => "BW",
            Land::BY => "BY",
            Land::BE => "BE",
            Land::BB => "BB",
            Land::HB => "HB",
            Land::HH => "HH",
            Land::HE => "HE",
            Land::MV => "MV",
            Land::NI => "NI",
            Land::NW => "NW",
            Land::RP => "RP",
            Land::SL => "SL",
            Land::SN => "SN",
            Land::ST => "ST",
            Land::SH => "SH",
            Land::TH => "TH",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// Easter Sunday of `year` (Gregorian calendar; the anonymous algorithm of 1876).
pub fn easter(year: i32) -> Date {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_calendar_date(year, if month == 3 { Month::March } else { Month::April }, day as u8).unwrap_or(Date::MIN)
}

fn on(year: i32, month: Month, day: u8) -> Date {
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MIN)
}

/// The public holidays of `land` in `year`, with their German names, in date order.
pub fn holidays(land: Land, year: i32) -> Vec<(Date, &'static str)> {
    use Land::*;
    let e = easter(year);
    let mut days = vec![
        (on(year, Month::January, 1), "Neujahr"),
        (e - Duration::days(2), "Karfreitag"),
        (e + Duration::days(1), "Ostermontag"),
        (on(year, Month::May, 1), "Tag der Arbeit"),
        (e + Duration::days(39), "Christi Himmelfahrt"),
        (e + Duration::days(50), "Pfingstmontag"),
        (on(year, Month::October, 3), "Tag der Deutschen Einheit"),
        (on(year, Month::December, 25), "1. Weihnachtsfeiertag"),
        (on(year, Month::December, 26), "2. Weihnachtsfeiertag"),
    ];
    let mut add = |lands: &[Land], day: Date, name: &'static str| {
        if lands.contains(&land) {
            days.push((day, name));
        }
    };
    add(&[BW, BY, ST], on(year, Month::January, 6), "Heilige Drei Könige");
    if year >= 2019 {
        add(if year >= 2023 { &[BE, MV] } else { &[BE] }, on(year, Month::March, 8), "Internationaler Frauentag");
        add(&[TH], on(year, Month::September, 20), "Weltkindertag");
    }
    add(&[BW, BY, HE, NW, RP, SL], e + Duration::days(60), "Fronleichnam");
    add(&[SL], on(year, Month::August, 15), "Mariä Himmelfahrt");
    let reformation: &[Land] = if year >= 2018 { &[BB, HB, HH, MV, NI, SN, ST, SH, TH] } else { &[BB, MV, SN, ST, TH] };
    add(reformation, on(year, Month::October, 31), "Reformationstag");
    add(&[BW, BY, NW, RP, SL], on(year, Month::November, 1), "Allerheiligen");
    // the Wednesday before 23 November
    let nov23 = on(year, Month::November, 23);
    let back = (i64::from(nov23.weekday().number_days_from_monday()) + 7 - 2) % 7;
    add(&[SN], nov23 - Duration::days(if back == 0 { 7 } else { back }), "Buß- und Bettag");
    days.sort_by_key(|(d, _)| *d);
    days
}

/// The name of the public holiday on `day` in `land`, if it is one.
pub fn holiday(land: Land, day: Date) -> Option<&'static str> {
    holidays(land, day.year()).into_iter().find(|(d, _)| *d == day).map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn easter_falls_on_the_known_sundays() {
        assert_eq!(easter(2024), date!(2024 - 03 - 31));
        assert_eq!(easter(2025), date!(2025 - 04 - 20));
        assert_eq!(easter(2026), date!(2026 - 04 - 05));
        assert_eq!(easter(2027), date!(2027 - 03 - 28));
        assert_eq!(easter(2038), date!(2038 - 04 - 25));
    }

    #[test]
    fn each_land_keeps_its_own_days_in_2026() {
        assert_eq!(holiday(Land::RP, date!(2026 - 06 - 04)), Some("Fronleichnam"));
        assert_eq!(holiday(Land::MV, date!(2026 - 06 - 04)), None);
        assert_eq!(holiday(Land::MV, date!(2026 - 03 - 08)), Some("Internationaler Frauentag"));
        assert_eq!(holiday(Land::NW, date!(2026 - 11 - 01)), Some("Allerheiligen"));
        assert_eq!(holiday(Land::MV, date!(2026 - 10 - 31)), Some("Reformationstag"));
        assert_eq!(holiday(Land::SN, date!(2026 - 11 - 18)), Some("Buß- und Bettag"));
        assert_eq!(holiday(Land::RP, date!(2026 - 05 - 14)), Some("Christi Himmelfahrt"));
        assert_eq!(holiday(Land::RP, date!(2026 - 05 - 25)), Some("Pfingstmontag"));
        assert_eq!(holiday(Land::BY, date!(2026 - 01 - 06)), Some("Heilige Drei Könige"));
        assert_eq!(holiday(Land::TH, date!(2026 - 09 - 20)), Some("Weltkindertag"));
        assert_eq!(holiday(Land::RP, date!(2026 - 12 - 24)), None);
        // nine days everywhere; Rhineland-Palatinate adds Fronleichnam and Allerheiligen
        assert_eq!(holidays(Land::RP, 2026).len(), 11);
        assert_eq!(holidays(Land::HB, 2026).len(), 10);
        assert_eq!(holidays(Land::BY, 2026).len(), 12);
    }

    #[test]
    fn buss_und_bettag_is_the_wednesday_before_the_23rd_of_november() {
        for year in 2000..2100 {
            let (d, _) =
                holidays(Land::SN, year).into_iter().find(|(_, n)| *n == "Buß- und Bettag").unwrap_or((Date::MIN, ""));
            assert_eq!(d.weekday(), time::Weekday::Wednesday, "{year}");
            assert!(d >= on(year, Month::November, 16) && d <= on(year, Month::November, 22), "{year}: {d}");
        }
    }
}
