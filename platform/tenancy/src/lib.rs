//! Tenants (Kommunen): the hierarchy, host names, branding and logo, the in-memory host registry,
//! the demo tenants under `tenants/demo`, and each tenant's street directory.

pub mod demo;
pub mod logo;
pub mod registry;
pub mod repo;
pub mod streets;

pub use logo::{Logo, LogoError};
pub use registry::{Change, RegistryEntry, TenantRegistry};
pub use repo::{Branding, NewTenant, Tenant, TenantError};
