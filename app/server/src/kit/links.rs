//! The pages one capability links to on another's behalf, as typed paths. The owning capability
//! registers the route from here (its `paths.rs` names it), every other capability links to it
//! from here, so no capability spells another's URL.

use super::paths::RoutePath;

/// A citizen's login form (account); `?weiter=` names the page to go on to.
pub const CITIZEN_LOGIN: RoutePath = RoutePath("/konto/anmelden");
/// The office's page of one case (casework).
pub const OFFICE_CASE: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}");
/// The office's inbox of cases (casework).
pub const OFFICE_INBOX: RoutePath = RoutePath("/verwaltung/vorgaenge");
/// A citizen's page of one of their cases (applications).
pub const CITIZEN_CASE: RoutePath = RoutePath("/konto/antraege/{case}");
/// A guest's page of a case behind its status link (applications).
pub const GUEST_CASE: RoutePath = RoutePath("/vorgang/{token}");
/// One page of a draft's form (applications).
pub const DRAFT_PAGE: RoutePath = RoutePath("/antrag/{draft}/seite/{page}");
/// The confirmation of a filed draft (applications).
pub const DRAFT_DONE: RoutePath = RoutePath("/antrag/{draft}/fertig");
/// The payment page of a draft that is filed once paid (payments).
pub const DRAFT_PAY: RoutePath = RoutePath("/antrag/{draft}/zahlung");
/// The prefix of a draft's pages (`{draft base}/pruefen`, `{draft base}/zahlung` ...); not a route.
pub const DRAFT_BASE: RoutePath = RoutePath("/antrag/{draft}");
