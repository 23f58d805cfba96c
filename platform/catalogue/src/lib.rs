//! The shared base catalogue of municipal services.
//!
//! - [`files`]: the reviewed data files under `tenants/catalogue`, parsed into typed structs.
//! - [`sync`]: upserts them into the platform tables at start-up and prunes what the files dropped.
//! - [`own`]: a tenant's own services, offered and searched like catalogue services.
//! - [`repo`]: what tenants offer (activations with overrides), presets, and the portal search.

pub mod files;
pub mod own;
pub mod repo;
pub mod sync;

pub use files::{Catalogue, CatalogueError};
pub use repo::{ActiveService, CategoryRow, ServiceDetail, ServiceOverride};
