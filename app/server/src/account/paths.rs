//! The routes of the capability account: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

pub const OVERVIEW: RoutePath = crate::kit::links::CITIZEN_ACCOUNT;
pub const REGISTER_FORM: RoutePath = RoutePath("/konto/registrieren");
pub const VERIFY_FORM: RoutePath = RoutePath("/konto/bestaetigen");
pub const RESEND_FORM: RoutePath = RoutePath("/konto/bestaetigung-erneut");
pub const LOGIN_FORM: RoutePath = crate::kit::links::CITIZEN_LOGIN;
pub const OIDC_START: RoutePath = RoutePath("/konto/anmelden/idp/{slug}");
pub const OIDC_CALLBACK: RoutePath = RoutePath("/konto/oidc/rueckruf");
pub const LOGOUT: RoutePath = RoutePath("/konto/abmelden");
pub const FORGOT_FORM: RoutePath = RoutePath("/konto/passwort-vergessen");
pub const RESET_FORM: RoutePath = RoutePath("/konto/passwort-neu");
pub const PROFILE_FORM: RoutePath = RoutePath("/konto/profil");
pub const PASSWORD_FORM: RoutePath = RoutePath("/konto/passwort");
pub const EMAIL_FORM: RoutePath = RoutePath("/konto/email");
pub const CONFIRM_EMAIL: RoutePath = RoutePath("/konto/email-bestaetigen");
pub const EXPORT: RoutePath = RoutePath("/konto/daten");
pub const DELETE_FORM: RoutePath = RoutePath("/konto/loeschen");
