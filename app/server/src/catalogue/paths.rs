//! The routes of the capability catalogue: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

pub const HOME: RoutePath = RoutePath("/");
pub const SEARCH: RoutePath = crate::kit::links::SEARCH;
pub const SERVICE: RoutePath = crate::kit::links::SERVICE;
pub const IMPRINT: RoutePath = crate::kit::links::IMPRINT;
pub const PRIVACY: RoutePath = crate::kit::links::PRIVACY;
pub const ACCESSIBILITY: RoutePath = crate::kit::links::ACCESSIBILITY;
pub const LOGO: RoutePath = crate::kit::links::TENANT_LOGO;
pub const SERVICES: RoutePath = crate::kit::links::STAFF_SERVICES;
pub const SERVER_FN: RoutePath = RoutePath("/verwaltung/api/{*fn_name}");
/// Everything below the server functions' prefix (open: each function checks its caller).
pub const SERVER_FNS: RoutePath = RoutePath("/verwaltung/api/");
