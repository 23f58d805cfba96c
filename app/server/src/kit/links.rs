//! The pages one capability links to on another's behalf, as typed paths. The owning capability
//! registers the route from here (its `paths.rs` names it), every other capability links to it
//! from here, so no capability spells another's URL.

use super::paths::RoutePath;

/// The language switch (the router); `?zurueck=` names the page to go back to.
pub const LANGUAGE: RoutePath = RoutePath("/sprache");
/// The health check (the router).
pub const HEALTH: RoutePath = RoutePath("/health");
/// Static assets the router serves: the KERN design system, the app's style, the island, payment,
/// live-update and map scripts, Leaflet.
pub const ASSETS_KERN: RoutePath = RoutePath("/assets/kern");
pub const ASSET_APP_CSS: RoutePath = RoutePath("/assets/app.css");
pub const ASSET_ISLANDS_JS: RoutePath = RoutePath("/assets/islands.js");
pub const ASSET_PAYMENT_JS: RoutePath = RoutePath("/assets/payment.js");
pub const ASSET_LIVE_JS: RoutePath = RoutePath("/assets/live.js");
pub const ASSET_MAP_JS: RoutePath = RoutePath("/assets/map.js");
pub const ASSETS_LEAFLET: RoutePath = RoutePath("/assets/leaflet");
/// The built islands (wasm and their loader) under the router's static files.
pub const ASSETS_PKG: RoutePath = RoutePath("/pkg");
/// The tenant's logo (catalogue), `?v=` its hash.
pub const TENANT_LOGO: RoutePath = RoutePath("/logo");
/// The payment page and the payment receipt of a case or draft, below its page (payments).
pub const PAY_SUFFIX: &str = "/zahlung";
pub const PAYMENT_RECEIPT_SUFFIX: &str = "/zahlungsbeleg.pdf";
/// The document check's script (documents), which the check page's frame loads.
pub const CHECK_SCRIPT: RoutePath = RoutePath("/pruefen/check.js");
/// The operators' login (access, on the console's host).
pub const CONSOLE_LOGIN: RoutePath = RoutePath("/login");
/// The staff area's home, login and logout (access).
pub const STAFF_HOME: RoutePath = RoutePath("/verwaltung");
pub const STAFF_LOGIN: RoutePath = RoutePath("/verwaltung/anmelden");
pub const STAFF_LOGOUT: RoutePath = RoutePath("/verwaltung/abmelden");
/// The second step of a login: the code, or the set-up of the second factor (security).
pub const CONSOLE_CODE: RoutePath = RoutePath("/login/code");
pub const CONSOLE_SETUP: RoutePath = RoutePath("/login/einrichten");
pub const STAFF_CODE: RoutePath = RoutePath("/verwaltung/anmelden/code");
pub const STAFF_SETUP: RoutePath = RoutePath("/verwaltung/anmelden/einrichten");
/// A tenant's page in the console (tenants).
pub const CONSOLE_TENANT: RoutePath = RoutePath("/mandanten/{id}");
/// The Bürgerkonto's overview (account).
pub const CITIZEN_ACCOUNT: RoutePath = RoutePath("/konto");
/// A citizen's applications (applications) and appointments (appointments) in the Bürgerkonto.
pub const MY_CASES: RoutePath = RoutePath("/konto/antraege");
pub const MY_APPOINTMENTS: RoutePath = RoutePath("/konto/termine");
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
