//! The server: start-up (migrations, catalogue and demo sync, tenant registry), the HTTP router that
//! serves every tenant portal and the operations console, and the capabilities behind it.
//!
//! Layers, bottom up (enforced by `tests/architecture`): `kit` (page frame, sessions, CSRF, forms,
//! uploads, responses, mail, rate limits, the capability registry) knows no capability; `flows`
//! (filing a case, the payment workflow, receipts, retention: no HTTP) uses only the kit; `shared`
//! (what several capabilities need of cases and drafts) uses the kit and the flows; each capability
//! folder uses those three and never another capability; the wiring (`capabilities`, `router`,
//! `startup`) puts them together.

pub mod flows;
pub mod kit;
pub mod shared;

// The capabilities: a new one is its folder, a `mod` line here and a line in `capabilities::ALL`.
pub mod access;
pub mod account;
pub mod applications;
pub mod appointments;
pub mod audit;
pub mod casework;
pub mod catalogue;
pub mod documents;
pub mod forms;
pub mod kita;
pub mod payments;
pub mod security;
pub mod streets;
pub mod tenants;

/// The capability list: every capability of the web layer, once.
pub mod capabilities {
    use crate::kit::registry::Capability;

    /// Every capability, in the order their routes are merged.
    pub static ALL: &[Capability] = &[
        crate::catalogue::CAPABILITY,
        crate::tenants::CAPABILITY,
        crate::access::CAPABILITY,
        crate::audit::CAPABILITY,
        crate::account::CAPABILITY,
        crate::applications::CAPABILITY,
        crate::casework::CAPABILITY,
        crate::payments::CAPABILITY,
        crate::appointments::CAPABILITY,
        crate::kita::CAPABILITY,
        crate::documents::CAPABILITY,
        crate::forms::CAPABILITY,
        crate::streets::CAPABILITY,
        crate::security::CAPABILITY,
    ];
}

pub mod router;
pub mod seed;
pub mod startup;

pub use router::{build_router, build_router_with};
pub use startup::{Application, build_state};
