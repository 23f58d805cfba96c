//! The routes of the capability appointments: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

// citizens (and guests)
pub const OVERVIEW: RoutePath = RoutePath("/termine");
pub const BOOK: RoutePath = crate::kit::links::BOOK_APPOINTMENT;
pub const HELD: RoutePath = RoutePath("/termine/reservierung/{secret}");
pub const MANAGE: RoutePath = RoutePath("/termine/verwalten/{secret}");
pub const MANAGE_CANCEL: RoutePath = RoutePath("/termine/verwalten/{secret}/absagen");
pub const MANAGE_MOVE: RoutePath = RoutePath("/termine/verwalten/{secret}/verschieben");
pub const MANAGE_ICS: RoutePath = RoutePath("/termine/verwalten/{secret}/termin.ics");
pub const LIVE: RoutePath = RoutePath("/termine/live/{location}");
pub const MINE: RoutePath = crate::kit::links::MY_APPOINTMENTS;
pub const MINE_ONE: RoutePath = RoutePath("/konto/termine/{id}");
pub const MINE_CANCEL: RoutePath = RoutePath("/konto/termine/{id}/absagen");
pub const MINE_MOVE: RoutePath = RoutePath("/konto/termine/{id}/verschieben");
pub const MINE_ICS: RoutePath = RoutePath("/konto/termine/{id}/termin.ics");

// the call display (public, behind its secret)
pub const DISPLAY: RoutePath = RoutePath("/anzeige/{token}");
/// Everything below the call displays (open: each display is reached by its secret token).
pub const DISPLAYS: RoutePath = RoutePath("/anzeige/");
pub const DISPLAY_LIVE: RoutePath = RoutePath("/anzeige/{token}/live");

// staff
pub const SETUP: RoutePath = RoutePath("/verwaltung/termine");
pub const SETUP_SETTINGS: RoutePath = RoutePath("/verwaltung/termine/einstellungen");
pub const SETUP_NEW_LOCATION: RoutePath = RoutePath("/verwaltung/termine/standorte");
pub const LOCATION: RoutePath = RoutePath("/verwaltung/termine/standorte/{id}");
pub const LOCATION_DETAILS: RoutePath = RoutePath("/verwaltung/termine/standorte/{id}/angaben");
pub const LOCATION_HOURS: RoutePath = RoutePath("/verwaltung/termine/standorte/{id}/zeiten");
pub const LOCATION_SPECIAL: RoutePath = RoutePath("/verwaltung/termine/standorte/{id}/sondertage");
pub const LOCATION_SPECIAL_DELETE: RoutePath =
    RoutePath("/verwaltung/termine/standorte/{id}/sondertage/{special}/loeschen");
pub const LOCATION_COUNTER: RoutePath = RoutePath("/verwaltung/termine/standorte/{id}/schalter");
pub const LOCATION_RULE: RoutePath = RoutePath("/verwaltung/termine/standorte/{id}/dienste");
pub const LOCATION_RULE_DELETE: RoutePath = RoutePath("/verwaltung/termine/standorte/{id}/dienste/{slug}/loeschen");
pub const LOCATION_DISPLAY: RoutePath = RoutePath("/verwaltung/termine/standorte/{id}/anzeige");
pub const DESK: RoutePath = RoutePath("/verwaltung/termine/empfang/{id}");
pub const DESK_CHECK_IN: RoutePath = RoutePath("/verwaltung/termine/empfang/{id}/einchecken");
pub const DESK_TICKET: RoutePath = RoutePath("/verwaltung/termine/empfang/{id}/ticket");
pub const DESK_PHONE: RoutePath = RoutePath("/verwaltung/termine/empfang/{id}/telefon");
pub const TICKET: RoutePath = RoutePath("/verwaltung/termine/ticket/{id}");
pub const COUNTER: RoutePath = RoutePath("/verwaltung/termine/schalter/{id}");
pub const COUNTER_ACTION: RoutePath = RoutePath("/verwaltung/termine/schalter/{id}/{action}");
pub const REPORT: RoutePath = RoutePath("/verwaltung/termine/auswertung");
pub const REPORT_CSV: RoutePath = RoutePath("/verwaltung/termine/auswertung.csv");
/// The script of live waiting times and the call display.
pub const LIVE_JS: RoutePath = RoutePath("/assets/live.js");
