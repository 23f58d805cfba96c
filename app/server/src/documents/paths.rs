//! The routes of the capability documents: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

// the holder: on the case page (account or guest link) and in the account
pub const CITIZEN_PDF: RoutePath = RoutePath("/konto/antraege/{case}/dokument/{doc}");
pub const GUEST_PDF: RoutePath = RoutePath("/vorgang/{token}/dokument/{doc}");
pub const MINE: RoutePath = RoutePath("/konto/dokumente");
pub const RENEW: RoutePath = RoutePath("/konto/dokumente/{id}/verlaengern");

// anyone: the check
pub const CHECK: RoutePath = RoutePath("/pruefen");
pub const CHECK_TOKEN: RoutePath = RoutePath("/pruefen/{token}");
pub const OFFLINE: RoutePath = RoutePath("/pruefen/offline");
pub const KEYS: RoutePath = RoutePath("/pruefen/schluessel.json");
pub const REVOKED: RoutePath = RoutePath("/pruefen/widerrufen.json");
pub const MANIFEST: RoutePath = RoutePath("/pruefen/manifest.webmanifest");
pub const WORKER: RoutePath = RoutePath("/pruefen/sw.js");
pub const SCRIPT: RoutePath = crate::kit::links::CHECK_SCRIPT;
pub const ICON: RoutePath = RoutePath("/pruefen/icon.svg");

// the office
pub const OFFICE: RoutePath = RoutePath("/verwaltung/dokumente");
pub const OFFICE_SETTING: RoutePath = RoutePath("/verwaltung/dokumente/einstellungen/{slug}");
pub const OFFICE_ROTATE: RoutePath = RoutePath("/verwaltung/dokumente/schluessel");
pub const OFFICE_WITHDRAW: RoutePath = RoutePath("/verwaltung/dokumente/schluessel/{kid}/zurueckziehen");
pub const OFFICE_PDF: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/dokument/{doc}");
pub const OFFICE_ISSUE: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/dokument-ausstellen");
pub const OFFICE_REVOKE: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/dokument/{doc}/widerrufen");
