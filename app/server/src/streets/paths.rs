//! The routes of the capability streets: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

// the office: the directory and its import
pub const OFFICE: RoutePath = RoutePath("/verwaltung/strassen");
pub const IMPORT: RoutePath = RoutePath("/verwaltung/strassen/import");
