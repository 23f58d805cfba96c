//! The pages one capability links to on another's behalf, the kit's own links and the UI's, as typed
//! paths: defined in `portal_ui::links` (the UI draws some of them), used from here by the server.
//! The owning capability registers the route (its `paths.rs` names the constant), every other part
//! links to it from here, so nothing spells another's URL.

pub use portal_ui::links::*;
