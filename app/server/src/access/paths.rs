//! The routes of the capability access: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

pub const ACCESS_PAGE: RoutePath = crate::kit::links::CONSOLE_TENANT_ACCESS;
pub const PROVIDERS_PAGE: RoutePath = RoutePath("/mandanten/{id}/identitaet");
pub const CONSOLE_DELETE_PROVIDER: RoutePath = RoutePath("/mandanten/{id}/identitaet/{slug}/loeschen");
pub const DASHBOARD: RoutePath = crate::kit::links::STAFF_HOME;
pub const LOGIN_FORM: RoutePath = crate::kit::links::STAFF_LOGIN;
pub const LOGOUT: RoutePath = crate::kit::links::STAFF_LOGOUT;
pub const INVITATION_FORM: RoutePath = RoutePath("/verwaltung/einladung");
pub const STAFF_LIST: RoutePath = RoutePath("/verwaltung/mitarbeitende");
pub const CHANGE_ROLE: RoutePath = RoutePath("/verwaltung/mitarbeitende/{id}/rolle");
pub const REVOKE: RoutePath = RoutePath("/verwaltung/mitarbeitende/{id}/entziehen");
pub const PROVIDERS: RoutePath = RoutePath("/verwaltung/identitaet");
pub const STAFF_DELETE_PROVIDER: RoutePath = RoutePath("/verwaltung/identitaet/{slug}/loeschen");
