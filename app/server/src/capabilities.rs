//! The capability list: every capability of the web layer, once. A new capability is its folder and
//! one line here (plus its texts and its authorisation lines).

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
