//! print@home documents (`/pruefen`, `/konto/dokumente`, `/verwaltung/dokumente`).
//!
//! A case issues the document of its service's type ([`portal_documents::types`]): the office
//! issues it from the case, or it is issued by itself when the case is approved and its fee paid.
//! The holder downloads the PDF (A4, and a parking permit's windscreen card) from the case page,
//! the account or the guest link, and gets a mail. The QR code links to the check on the tenant's
//! host with an Ed25519-signed token ([`portal_documents::token`]): anyone can tell genuine from
//! forged and valid from expired, not yet valid or revoked, online or with the installable offline
//! check that verifies in the browser against the published key set. The office revokes with a
//! reason (audited, the holder told by mail); a permit is renewed from the account, its validity
//! continuing from the old end; a reminder goes out before a document ends.

use axum::Router;
use axum::routing::{get, post};
use portal_authz::{Action, Resource};
use portal_web::AppState;

use crate::kit::registry::{Capability, CaseAction, NavEntry};

mod account;
mod check;
pub mod issue;
mod jobs;
mod mails;
mod office;
pub mod paths;
mod pdfs;

pub use jobs::run_once as run_jobs_once;

/// The offline check script's own texts (`documents.js_<key>`), besides the validity and fact labels.
const SCRIPT_TEXTS: [&str; 13] = [
    "forged",
    "forged_text",
    "genuine",
    "number",
    "valid",
    "what",
    "unsupported",
    "no_sync",
    "no_revocations",
    "synced",
    "unchecked",
    "key_withdrawn",
    "key_withdrawn_text",
];

pub const CAPABILITY: Capability = Capability {
    widgets: &[check::OFFLINE_CHECK],
    portal: Some(router),
    staff_nav: &[NavEntry {
        order: 25,
        path: paths::OFFICE.path(),
        label: "documents.nav",
        resource: Resource::Documents,
        action: Action::Read,
    }],
    office_case: &[issue::office_case_panel],
    citizen_case: &[issue::citizen_case_panel],
    office_case_actions: &[
        CaseAction { path: paths::OFFICE_ISSUE, run: issue::office_issue },
        CaseAction { path: paths::OFFICE_REVOKE, run: issue::office_revoke },
    ],
    jobs: &[jobs::job],
    texts: || {
        let validity =
            ["valid", "not_yet_valid", "expired", "revoked"].iter().map(|v| format!("documents.validity_{v}"));
        let kinds = portal_documents::types::KINDS.iter().map(|k| format!("documents.kind_{}", k.as_str()));
        let facts = portal_documents::types::FACTS.iter().map(|f| format!("documents.fact_{}", f.as_str()));
        let js = SCRIPT_TEXTS.iter().map(|k| format!("documents.js_{k}"));
        validity.chain(kinds).chain(facts).chain(js).collect()
    },
    ..Capability::named("documents")
};

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::CITIZEN_PDF.pattern(), get(pdfs::citizen_pdf))
        .route(paths::GUEST_PDF.pattern(), get(pdfs::guest_pdf))
        .route(paths::MINE.pattern(), get(account::mine))
        .route(paths::RENEW.pattern(), post(account::renew))
        .route(paths::CHECK.pattern(), get(check::check_page))
        .route(paths::CHECK_TOKEN.pattern(), get(check::check_token))
        .route(paths::OFFLINE.pattern(), get(check::offline_page))
        .route(paths::KEYS.pattern(), get(check::key_set))
        .route(paths::REVOKED.pattern(), get(check::revoked))
        .route(paths::MANIFEST.pattern(), get(check::manifest))
        .route(paths::WORKER.pattern(), get(check::worker))
        .route(paths::SCRIPT.pattern(), get(check::script))
        .route(paths::ICON.pattern(), get(check::icon))
        .route(paths::OFFICE.pattern(), get(office::office))
        .route(paths::OFFICE_SETTING.pattern(), post(office::save_setting))
        .route(paths::OFFICE_ROTATE.pattern(), post(office::rotate))
        .route(paths::OFFICE_WITHDRAW.pattern(), post(office::withdraw))
        .route(paths::OFFICE_PDF.pattern(), get(pdfs::office_pdf))
}
