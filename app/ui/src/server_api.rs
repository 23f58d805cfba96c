//! What server functions call on the server. Implemented by the server crate (which has the
//! database, the sessions and the authorizer) and provided to them as context, so that the UI crate
//! stays free of back-end dependencies.

use std::future::Future;
use std::pin::Pin;

/// A boxed future, for the object-safe trait below.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Staff actions reachable from islands.
pub trait StaffApi: Send + Sync {
    /// Switches a service on or off; returns the new state. Errors are already translated.
    fn set_service_active(&self, csrf: String, slug: String, active: bool) -> BoxFuture<'_, Result<bool, String>>;
}
