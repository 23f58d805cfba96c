//! Route paths, defined once: each capability's `paths.rs` names its routes as [`RoutePath`]s, which
//! the router registers ([`RoutePath::pattern`]) and links are built from ([`RoutePath::with`] for
//! the ones with parameters, [`RoutePath::path`] for the others). The type lives in the UI crate
//! (`portal_ui::links`) so that the UI's links are typed paths too.

pub use portal_ui::links::RoutePath;
