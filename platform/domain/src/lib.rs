//! Domain types shared by every bounded context and by the UI.
//!
//! Each type here can only be constructed valid (`parse`/`TryFrom` return an error otherwise), so
//! code downstream never re-checks. This crate has no server dependencies: it also compiles to wasm.

pub mod civil;
mod clock;
mod host;
mod lang;
mod money;
mod tenant;
mod text;
pub mod xml;

pub use clock::Clock;
pub use host::{HostName, HostNameError};
pub use lang::{Lang, Localized};
pub use money::{Cents, CentsError, decimal_de};
pub use tenant::{
    Colour, ColourError, LeikaKey, LeikaKeyError, ServiceSlug, SlugError, TenantId, TenantKind, TenantSlug,
    TenantStatus,
};
pub use text::{BoundedText, TextError, line_of};
