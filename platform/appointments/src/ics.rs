//! The calendar file of an appointment (RFC 5545): the time in Europe/Berlin with its VTIMEZONE,
//! so that every calendar shows the wall-clock time of the office whatever the reader's zone.

use portal_domain::civil;
use time::OffsetDateTime;

/// What goes into the file.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Unique and stable across changes of the appointment (a moved one replaces the old entry).
    pub uid: String,
    /// Raised on every change; a cancelled event has a higher one than the booked.
    pub sequence: u32,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
    pub url: &'a str,
    pub cancelled: bool,
    pub stamp: OffsetDateTime,
}

const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nX-LIC-LOCATION:Europe/Berlin\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n";

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace("\r\n", "\\n").replace(['\n', '\r'], "\\n")
}

/// Folds a content line at 75 octets, never inside a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut used = 0;
    for ch in line.chars() {
        let w = ch.len_utf8();
        if used + w > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(ch);
        used += w;
    }
    out.push_str("\r\n");
    out
}

fn local(t: OffsetDateTime) -> String {
    let t = civil::german(t);
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second())
}

fn utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The `.ics` file (`text/calendar`).
pub fn calendar(e: &Event<'_>) -> String {
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kommunalportal//Termine//DE\r\nCALSCALE:GREGORIAN\r\n",
    );
    out.push_str(if e.cancelled { "METHOD:CANCEL\r\n" } else { "METHOD:PUBLISH\r\n" });
    out.push_str(VTIMEZONE);
    out.push_str("BEGIN:VEVENT\r\n");
    for line in [
        format!("UID:{}", escape(&e.uid)),
        format!("SEQUENCE:{}", e.sequence),
        format!("DTSTAMP:{}", utc(e.stamp)),
        format!("DTSTART;TZID=Europe/Berlin:{}", local(e.start)),
        format!("DTEND;TZID=Europe/Berlin:{}", local(e.end)),
        format!("SUMMARY:{}", escape(e.summary)),
        format!("LOCATION:{}", escape(e.location)),
        format!("DESCRIPTION:{}", escape(e.description)),
        format!("URL:{}", e.url.replace(['\r', '\n'], "")),
        format!("STATUS:{}", if e.cancelled { "CANCELLED" } else { "CONFIRMED" }),
        "TRANSP:OPAQUE".to_owned(),
    ] {
        out.push_str(&fold(&line));
    }
    if !e.cancelled {
        out.push_str("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Termin\r\nTRIGGER:-PT1H\r\nEND:VALARM\r\n");
    }
    out.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
    use time::macros::datetime;

    fn event(start: OffsetDateTime) -> String {
        calendar(&Event {
            uid: "b1@kaiserslautern.localhost".into(),
            sequence: 0,
            start,
            end: start + time::Duration::minutes(45),
            summary: "Termin: Personalausweis; Reisepass, für 2 Personen",
            location: "Bürgercenter, Willy-Brandt-Platz 1, 67657 Kaiserslautern — barrierefreier Zugang über den Seiteneingang mit Aufzug",
            description: "Buchungsnummer KL-7Q2M\nBitte bringen Sie Ihren alten Ausweis mit.",
            url: "http://kaiserslautern.localhost/termine/verwalten/abc",
            cancelled: false,
            stamp: datetime!(2026-11-30 10:00 UTC),
        })
    }

    #[test]
    fn the_file_parses_with_a_calendar_library_and_carries_berlin_wall_clock_times() {
        for (start, wall) in [
            (datetime!(2026-12-01 8:30 UTC), "20261201T093000"),
            (datetime!(2026-07-01 7:30 UTC), "20260701T093000"),
            (datetime!(2026-10-26 8:00 UTC), "20261026T090000"),
        ] {
            let text = event(start);
            assert!(text.lines().all(|l| l.len() <= 76), "folded at 75 octets");
            assert!(text.split("\r\n").all(|l| !l.contains('\n')), "CRLF only");
            let parsed: Calendar = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
            let ev = parsed
                .components
                .iter()
                .find_map(|c| if let CalendarComponent::Event(e) = c { Some(e.clone()) } else { None })
                .unwrap_or_else(|| panic!("no event"));
            match ev.get_start() {
                Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => {
                    assert_eq!(tzid, "Europe/Berlin");
                    assert_eq!(date_time.format("%Y%m%dT%H%M%S").to_string(), wall);
                }
                other => panic!("start {other:?}"),
            }
            assert_eq!(ev.get_summary(), Some("Termin: Personalausweis; Reisepass, für 2 Personen"));
            assert_eq!(
                ev.get_description(),
                Some("Buchungsnummer KL-7Q2M\nBitte bringen Sie Ihren alten Ausweis mit.")
            );
            assert!(ev.property_value("LOCATION").is_some_and(|l| l.ends_with("mit Aufzug")), "unfolded location");
            assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin"));
        }
    }
}
