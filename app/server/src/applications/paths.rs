//! The routes of the capability applications: registered by its router, and the links to them.

use crate::kit::links;
use crate::kit::paths::RoutePath;

pub const START_PAGE: RoutePath = links::START_APPLICATION;
pub const FORM_PAGE: RoutePath = links::DRAFT_PAGE;
pub const CHECK_PAGE_VIEW: RoutePath = RoutePath("/antrag/{draft}/pruefen");
pub const SUBMIT: RoutePath = RoutePath("/antrag/{draft}/absenden");
pub const DONE: RoutePath = links::DRAFT_DONE;
pub const DISCARD: RoutePath = RoutePath("/antrag/{draft}/verwerfen");
pub const DRAFT_FILE: RoutePath = RoutePath("/antrag/{draft}/datei/{file}");
pub const MY_CASES: RoutePath = links::MY_CASES;
pub const CITIZEN_CASE: RoutePath = links::CITIZEN_CASE;
pub const CITIZEN_REPLY: RoutePath = RoutePath("/konto/antraege/{case}/nachricht");
pub const CITIZEN_RECEIPT: RoutePath = RoutePath("/konto/antraege/{case}/quittung.pdf");
pub const CITIZEN_FILE: RoutePath = RoutePath("/konto/antraege/{case}/datei/{file}");
pub const GUEST_CASE: RoutePath = links::GUEST_CASE;
pub const GUEST_REPLY: RoutePath = RoutePath("/vorgang/{token}/nachricht");
pub const GUEST_RECEIPT: RoutePath = RoutePath("/vorgang/{token}/quittung.pdf");
pub const GUEST_FILE: RoutePath = RoutePath("/vorgang/{token}/datei/{file}");
