//! The routes of the capability casework: registered by its router, and the links to them.

use crate::kit::links;
use crate::kit::paths::RoutePath;

pub const INBOX: RoutePath = links::OFFICE_INBOX;
pub const CASE_VIEW: RoutePath = links::OFFICE_CASE;
pub const CHANGE_STATUS: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/status");
pub const MESSAGE: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/nachricht");
pub const NOTE: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/notiz");
pub const ISSUE_DOCUMENT: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/dokument");
pub const ASSIGN: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/zuweisen");
pub const CASE_FILE: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/datei/{file}");
pub const EXPORT: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/export.json");
pub const RECEIPT: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/quittung.pdf");
pub const SETTINGS: RoutePath = RoutePath("/verwaltung/antragseinstellungen");
pub const FORM_OVERRIDE_PAGE: RoutePath = RoutePath("/verwaltung/antragseinstellungen/formular/{slug}");
