//! The routes of the capability audit: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

pub const STAFF_AUDIT_LOG: RoutePath = RoutePath("/verwaltung/protokoll");
pub const CONSOLE_AUDIT_LOG: RoutePath = RoutePath("/protokoll");
pub const JOBS: RoutePath = RoutePath("/auftraege");
