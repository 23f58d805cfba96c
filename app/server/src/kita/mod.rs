//! The Kita portal (`/kita`, `/konto/kita`, `/verwaltung/kita`).
//!
//! Parents search and compare the facilities of every Träger (list and map, filters for the
//! child's age, care type, scope, start month, distance, Träger and language) and send one
//! application per child with ranked preferences, which they can change until the deadline. The
//! youth office sets up Träger, facilities, places, districts and the weighted criteria, checks
//! duplicates (merging keeps the preferences), and runs the coordinated allocation in rounds
//! ([`portal_kita::matching`]); parents accept or decline their offer in the Bürgerkonto. Staff of
//! a Träger see only its facilities, their ranked lists and the children who applied there
//! ([`portal_kita::repo::Scope`]), and may put a child ahead only with a recorded reason.

use axum::Router;
use axum::routing::{get, post};
use portal_authz::{Action, Resource, Role};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_kita::repo::{self, Scope, Settings};
use portal_ui::i18n::tr;
use portal_web::{AppError, AppState};
use time::Date;

use crate::kit::dates::{fmt_day as date_text, iso_date, parse_date};
use crate::kit::registry::{Capability, NavEntry};
use crate::kit::session::Staff;

mod allocation;
mod apply;
mod demo;
mod facilities;
mod form;
mod jobs;
mod mails;
mod office;
pub mod paths;
mod search;
mod setup;

pub use jobs::run_once as run_jobs_once;

/// The catalogue's service of the Kita application: a case worker limited to services needs it.
const KITA_SERVICE: &str = "kita-anmeldung";

pub const CARE_TYPES: [&str; 4] = ["krippe", "kita", "hort", "tagespflege"];
const OFFER_STATUSES: [&str; 5] = ["held", "declined", "accepted", "refused", "expired"];

pub const CAPABILITY: Capability = Capability {
    demo: Some(demo::demo),
    portal: Some(router),
    staff_nav: &[
        NavEntry {
            order: 30,
            path: paths::SETUP.path(),
            label: "kita.nav",
            resource: Resource::Kita,
            action: Action::Read,
        },
        NavEntry {
            order: 31,
            path: paths::APPLICATIONS.path(),
            label: "kita.nav_applications",
            resource: Resource::Kita,
            action: Action::Read,
        },
        NavEntry {
            order: 32,
            path: paths::ALLOCATION.path(),
            label: "kita.nav_allocation",
            resource: Resource::Kita,
            action: Action::Read,
        },
    ],
    jobs: &[jobs::job],
    texts: || {
        let care = CARE_TYPES.iter().map(|c| format!("kita.care_{c}"));
        let providers = repo::PROVIDER_KINDS.iter().map(|k| format!("kita.provider_{k}"));
        let criteria = portal_kita::criteria::Kind::ALL.iter().map(|k| format!("kita.criterion_{}", k.code()));
        let offers = OFFER_STATUSES.iter().map(|s| format!("kita.offer_{s}"));
        let reasons = portal_kita::duplicates::Reason::ALL.iter().map(|r| format!("kita.reason_{}", r.code()));
        let phases = ["running", "closed", "offered", "done"].iter().map(|s| format!("kita.phase_{s}"));
        let refused =
            ["phase_open", "wrong_state", "nothing_to_do", "not_open"].iter().map(|s| format!("kita.refused_{s}"));
        let apps = ["submitted", "merged", "withdrawn"].iter().map(|s| format!("kita.app_{s}"));
        let decisions = ["open", "merged", "distinct"].iter().map(|s| format!("kita.decision_{s}"));
        let working = (0..=2).map(|n| format!("kita.working_{n}"));
        care.chain(providers)
            .chain(criteria)
            .chain(offers)
            .chain(reasons)
            .chain(phases)
            .chain(refused)
            .chain(apps)
            .chain(decisions)
            .chain(working)
            .collect()
    },
    ..Capability::named("kita")
};

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::SEARCH.pattern(), get(search::search))
        .route(paths::FACILITY.pattern(), get(search::facility_page))
        .route(paths::APPLY.pattern(), get(apply::apply_page).post(apply::apply))
        .route(paths::MINE.pattern(), get(apply::mine))
        .route(paths::MINE_ONE.pattern(), get(apply::mine_one))
        .route(paths::MINE_PREFERENCES.pattern(), post(apply::change_preferences))
        .route(paths::MINE_ANSWER.pattern(), post(apply::answer))
        .route(paths::SETUP.pattern(), get(setup::setup_page))
        .route(paths::SETUP_SETTINGS.pattern(), post(setup::save_settings))
        .route(paths::SETUP_CRITERIA.pattern(), post(setup::save_criteria))
        .route(paths::SETUP_DISTRICT.pattern(), post(setup::save_district))
        .route(paths::SETUP_PROVIDER.pattern(), post(setup::new_provider))
        .route(paths::PROVIDER.pattern(), get(facilities::provider_page).post(facilities::save_provider))
        .route(paths::PROVIDER_STAFF.pattern(), post(facilities::invite_provider_staff))
        .route(paths::PROVIDER_FACILITY.pattern(), post(facilities::new_facility))
        .route(paths::STAFF_FACILITY.pattern(), get(facilities::facility_page).post(facilities::save_facility))
        .route(paths::STAFF_FACILITY_PLACES.pattern(), post(facilities::save_places))
        .route(paths::RANKED.pattern(), get(office::ranked_page).post(office::deviate))
        .route(paths::APPLICATIONS.pattern(), get(office::applications))
        .route(paths::PAPER.pattern(), get(office::paper_page).post(office::paper))
        .route(paths::APPLICATION.pattern(), get(office::application_page))
        .route(paths::APPLICATION_SOCIAL.pattern(), post(office::set_social))
        .route(paths::DUPLICATES.pattern(), get(office::duplicates))
        .route(paths::DUPLICATES_SCAN.pattern(), post(office::scan))
        .route(paths::DUPLICATE_DECIDE.pattern(), post(office::decide))
        .route(paths::ALLOCATION.pattern(), get(allocation::page))
        .route(paths::ALLOCATION_ACTION.pattern(), post(allocation::action))
        .route(paths::STATISTICS.pattern(), get(allocation::statistics))
}

/// The tenant's Kita settings, or 404 when it runs no Kita portal.
async fn settings_of(tx: &mut TenantTx) -> Result<Settings, AppError> {
    repo::settings(tx).await?.ok_or_else(AppError::not_found)
}

/// What a member of staff sees: the youth office everything, staff of a Träger only its part.
async fn scope_of(tx: &mut TenantTx, s: &Staff) -> Result<Scope, AppError> {
    // a case worker limited to some services works on the Kita portal only when the Kita
    // application is one of them
    let scoped_elsewhere =
        !s.principal.scope_services.is_empty() && !s.principal.scope_services.iter().any(|x| x == KITA_SERVICE);
    let office = s.principal.roles.iter().any(|r| match r {
        Role::TenantAdmin | Role::Viewer => true,
        Role::CaseWorker => !scoped_elsewhere,
        _ => false,
    });
    if office {
        return Ok(Scope::All);
    }
    if s.principal.roles.iter().all(|r| *r != Role::KitaProvider) {
        return Err(AppError::forbidden());
    }
    Ok(Scope::Providers(repo::providers_of_staff(tx, s.principal.actor_id).await?))
}

fn care_label(lang: Lang, care: &str) -> String {
    tr(lang, &format!("kita.care_{care}"))
}

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "August 2027".
fn month_text(lang: Lang, d: Date) -> String {
    let names = lang.pick(MONTHS_DE, MONTHS_EN);
    format!("{} {}", names[usize::from(u8::from(d.month())) - 1], d.year())
}

/// "2027-08".
fn month_value(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

/// A month as "2027-08" (or a date in it) to its first day.
fn parse_month(s: &str) -> Option<Date> {
    let s = s.trim();
    let mut it = s.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m = time::Month::try_from(it.next()?.parse::<u8>().ok()?).ok()?;
    if !(2000..=2100).contains(&y) {
        return None;
    }
    Date::from_calendar_date(y, m, 1).ok()
}

/// The month options of the Kita year for a select.
fn month_options(lang: Lang, settings: &Settings) -> Vec<(String, String)> {
    settings.months().into_iter().map(|m| (month_value(m), month_text(lang, m))).collect()
}

fn care_options(lang: Lang) -> Vec<(String, String)> {
    CARE_TYPES.iter().map(|c| ((*c).to_owned(), care_label(lang, c))).collect()
}
