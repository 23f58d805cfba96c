//! The web layer shared by the portal and the console: application state, tenant resolution from the
//! `Host` header, client addresses behind trusted proxies, the error type at the HTTP edge, cookies
//! and CSRF checks, request metrics, `/health` and `/metrics`, and the in-memory caches of tenants'
//! portal content and of rendered public pages.

pub mod compression;
pub mod content;
pub mod cookies;
pub mod error;
pub mod host;
pub mod live;
pub mod observe;
pub mod redirect;
pub mod shared_pages;
pub mod state;

pub use error::{AppError, ErrorKind};
pub use host::{Site, TenantContext};
pub use state::{AppParts, AppState, PaymentConfig, StateConfig};
