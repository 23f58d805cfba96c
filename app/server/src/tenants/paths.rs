//! The routes of the capability tenants: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

pub const BRANDING_FORM: RoutePath = RoutePath("/verwaltung/darstellung");
pub const TENANT_LIST: RoutePath = RoutePath("/");
pub const LOGIN_FORM: RoutePath = crate::kit::links::CONSOLE_LOGIN;
pub const LOGOUT: RoutePath = RoutePath("/logout");
pub const CREATE_TENANT: RoutePath = RoutePath("/mandanten");
pub const NEW_TENANT_FORM: RoutePath = RoutePath("/mandanten/neu");
pub const EDIT_TENANT_FORM: RoutePath = crate::kit::links::CONSOLE_TENANT;
pub const SET_STATUS: RoutePath = RoutePath("/mandanten/{id}/status");
pub const TENANT_LOGO: RoutePath = RoutePath("/mandanten/{id}/logo");
pub const SERVICES_PAGE: RoutePath = RoutePath("/mandanten/{id}/leistungen");
pub const APPLY_BASIC_INSTALLATION: RoutePath = RoutePath("/mandanten/{id}/leistungen/grundausstattung");
pub const METRICS: RoutePath = RoutePath("/metrics");
