//! Tenants (Kommunen): the hierarchy, host names, branding and logo, the in-memory host registry,
//! and the demo tenants under `tenants/demo`.

pub mod demo;
pub mod logo;
pub mod registry;
pub mod repo;

pub use logo::{Logo, LogoError};
pub use registry::{Change, RegistryEntry, TenantRegistry};
pub use repo::{Branding, NewTenant, Tenant, TenantError};
