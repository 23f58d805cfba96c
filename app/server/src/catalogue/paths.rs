//! The routes of the capability catalogue: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

pub const HOME: RoutePath = RoutePath("/");
pub const SEARCH: RoutePath = RoutePath("/suche");
pub const SERVICE: RoutePath = RoutePath("/leistungen/{slug}");
pub const IMPRINT: RoutePath = RoutePath("/impressum");
pub const PRIVACY: RoutePath = RoutePath("/datenschutz");
pub const ACCESSIBILITY: RoutePath = RoutePath("/barrierefreiheit");
pub const LOGO: RoutePath = crate::kit::links::TENANT_LOGO;
pub const SERVICES: RoutePath = RoutePath("/verwaltung/leistungen");
pub const SERVER_FN: RoutePath = RoutePath("/verwaltung/api/{*fn_name}");
/// Everything below the server functions' prefix (open: each function checks its caller).
pub const SERVER_FNS: RoutePath = RoutePath("/verwaltung/api/");
