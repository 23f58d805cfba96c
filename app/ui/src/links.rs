//! Route paths, defined once for the server and the UI: [`RoutePath`], and the pages one part links
//! to on another's behalf — one capability's page linked from another, the kit's logins and assets,
//! and the links the UI's frames and pages draw. The server's router registers each from its
//! owner's `paths.rs`, which names the same constant; nothing else spells a route.

use std::fmt::Display;

/// The path of a route, as axum matches it (`/verwaltung/vorgaenge/{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutePath(pub &'static str);

impl RoutePath {
    /// The pattern the router matches.
    pub const fn pattern(self) -> &'static str {
        self.0
    }

    /// The path of a route without parameters. A route with some needs [`RoutePath::with`]: asking
    /// for its bare path panics (at compile time where it is used in a constant, like a navigation
    /// entry).
    pub const fn path(self) -> &'static str {
        let bytes = self.0.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            assert!(bytes[i] != b'{', "a route with parameters is linked with RoutePath::with");
            i += 1;
        }
        self.0
    }

    /// The path with its `{…}` segments filled in order (a parameter too few leaves the segment
    /// empty, which no route matches).
    pub fn with(self, args: &[&(dyn Display + Sync)]) -> String {
        let mut out = String::with_capacity(self.0.len() + 16);
        let mut args = args.iter();
        let mut rest = self.0;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
            if let Some(a) = args.next() {
                out.push_str(&a.to_string());
            }
            rest = &rest[close..];
        }
        out.push_str(rest);
        out
    }
}

/// The language switch (the router); `?zurueck=` names the page to go back to.
pub const LANGUAGE: RoutePath = RoutePath("/sprache");
/// The health check (the router).
pub const HEALTH: RoutePath = RoutePath("/health");
/// Static assets the router serves: the KERN design system, the app's style, the island, payment,
/// live-update and map scripts, Leaflet.
pub const ASSETS_KERN: RoutePath = RoutePath("/assets/kern");
pub const ASSET_APP_CSS: RoutePath = RoutePath("/assets/app.css");
pub const ASSET_ISLANDS_JS: RoutePath = RoutePath("/assets/islands.js");
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

/// The console's list of tenants, a new tenant's form, and a tenant's services, access, payments,
/// status and basic installation (tenants, access, payments), and the operators' logout.
pub const CONSOLE_TENANTS: RoutePath = RoutePath("/mandanten");
pub const CONSOLE_NEW_TENANT: RoutePath = RoutePath("/mandanten/neu");
pub const CONSOLE_TENANT_SERVICES: RoutePath = RoutePath("/mandanten/{id}/leistungen");
pub const CONSOLE_TENANT_BASIC: RoutePath = RoutePath("/mandanten/{id}/leistungen/grundausstattung");
pub const CONSOLE_TENANT_ACCESS: RoutePath = RoutePath("/mandanten/{id}/zugang");
pub const CONSOLE_TENANT_PAYMENTS: RoutePath = RoutePath("/mandanten/{id}/zahlungen");
pub const CONSOLE_TENANT_STATUS: RoutePath = RoutePath("/mandanten/{id}/status");
pub const CONSOLE_LOGOUT: RoutePath = RoutePath("/logout");
/// The portal's legal pages, its search and a service's page (catalogue).
pub const IMPRINT: RoutePath = RoutePath("/impressum");
pub const PRIVACY: RoutePath = RoutePath("/datenschutz");
pub const ACCESSIBILITY: RoutePath = RoutePath("/barrierefreiheit");
pub const SEARCH: RoutePath = RoutePath("/suche");
pub const SERVICE: RoutePath = RoutePath("/leistungen/{slug}");
/// The staff area's list of services with their switches (catalogue).
pub const STAFF_SERVICES: RoutePath = RoutePath("/verwaltung/leistungen");
/// The start of an application for a service (applications).
pub const START_APPLICATION: RoutePath = RoutePath("/leistungen/{slug}/antrag");
/// Booking an appointment (appointments); `?dienst=` names the service.
pub const BOOK_APPOINTMENT: RoutePath = RoutePath("/termine/buchen");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_fill_the_segments_in_order() {
        let p = RoutePath("/konto/antraege/{case}/datei/{file}");
        assert_eq!(p.with(&[&"c1", &42]), "/konto/antraege/c1/datei/42");
        assert_eq!(RoutePath("/verwaltung").with(&[]), "/verwaltung");
        assert_eq!(p.pattern(), "/konto/antraege/{case}/datei/{file}");
    }

    #[test]
    #[should_panic(expected = "RoutePath::with")]
    fn a_route_with_parameters_has_no_bare_path() {
        let _ = RoutePath("/konto/antraege/{case}").path();
    }
}
