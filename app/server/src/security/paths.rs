//! The routes of the capability security: registered by its router, and the links to them. (The
//! code and set-up pages of the login are `kit::second_factor`'s, as the login handlers link them.)

use crate::kit::paths::RoutePath;

pub const STAFF_SECURITY: RoutePath = RoutePath("/verwaltung/sicherheit");
pub const STAFF_ENROL: RoutePath = RoutePath("/verwaltung/sicherheit/einrichten");
pub const STAFF_NEW_CODES: RoutePath = RoutePath("/verwaltung/sicherheit/codes");
pub const STAFF_FORGET_DEVICES: RoutePath = RoutePath("/verwaltung/sicherheit/geraete");
pub const STAFF_REMOVE: RoutePath = RoutePath("/verwaltung/sicherheit/entfernen");
pub const STAFF_POLICY: RoutePath = RoutePath("/verwaltung/sicherheit/richtlinie");
pub const CONSOLE_SECURITY: RoutePath = RoutePath("/sicherheit");
pub const CONSOLE_NEW_CODES: RoutePath = RoutePath("/sicherheit/codes");
pub const CONSOLE_FORGET_DEVICES: RoutePath = RoutePath("/sicherheit/geraete");
pub const CONSOLE_END_SESSIONS: RoutePath = RoutePath("/sicherheit/sitzungen");
