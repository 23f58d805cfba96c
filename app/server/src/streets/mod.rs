//! The tenant's street directory (`/verwaltung/strassen`): which streets lie in the town, with
//! their Kita district and residents' parking zone ([`portal_tenancy::streets`]).
//!
//! Forms whose address field says `directory = "in_town"` refuse an address the directory does not
//! know (where the tenant has one), and a select with `directory = "parking_zone"` follows from the
//! address: preselected, and a different choice refused ([`crate::flows::directory`]). The office's page of such a
//! case says what the directory finds, before anyone approves. The office sees the directory and
//! replaces it by a CSV import; demo tenants get theirs from `tenants/demo/streets/` ([`demo`]).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use portal_authz::{Action, Resource};
use portal_web::AppState;

use crate::kit::registry::{Capability, NavEntry};

mod admin;
mod demo;
pub mod paths;

pub const CAPABILITY: Capability = Capability {
    demo: Some(demo::demo),
    portal: Some(router),
    staff_nav: &[NavEntry {
        order: 55,
        path: paths::OFFICE.path(),
        label: "streets.nav",
        resource: Resource::Streets,
        action: Action::Read,
    }],
    office_case: &[crate::flows::directory::office_case_panel],
    texts: || {
        let problems = [
            "name",
            "postcode",
            "numbers",
            "zone",
            "columns",
            "district",
            "too_many",
            "too_large",
            "encoding",
            "twice",
        ];
        problems.iter().map(|p| format!("streets.error_{p}")).collect()
    },
    ..Capability::named("streets")
};

fn router() -> Router<AppState> {
    // the import's file is bounded by the parser; the body a little above it
    let import = DefaultBodyLimit::max(portal_tenancy::streets::MAX_CSV_BYTES + 64 * 1024);
    Router::new()
        .route(paths::OFFICE.pattern(), get(admin::page))
        .route(paths::IMPORT.pattern(), post(admin::import).layer(import))
}
