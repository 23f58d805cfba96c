//! The routes of the capability tenants: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

pub const BRANDING_FORM: RoutePath = RoutePath("/verwaltung/darstellung");
pub const TENANT_LIST: RoutePath = RoutePath("/");
pub const LOGIN_FORM: RoutePath = crate::kit::links::CONSOLE_LOGIN;
pub const LOGOUT: RoutePath = crate::kit::links::CONSOLE_LOGOUT;
pub const CREATE_TENANT: RoutePath = crate::kit::links::CONSOLE_TENANTS;
pub const NEW_TENANT_FORM: RoutePath = crate::kit::links::CONSOLE_NEW_TENANT;
pub const EDIT_TENANT_FORM: RoutePath = crate::kit::links::CONSOLE_TENANT;
pub const SET_STATUS: RoutePath = crate::kit::links::CONSOLE_TENANT_STATUS;
pub const TENANT_LOGO: RoutePath = RoutePath("/mandanten/{id}/logo");
pub const SERVICES_PAGE: RoutePath = crate::kit::links::CONSOLE_TENANT_SERVICES;
pub const APPLY_BASIC_INSTALLATION: RoutePath = crate::kit::links::CONSOLE_TENANT_BASIC;
pub const METRICS: RoutePath = RoutePath("/metrics");
