//! The application state handed to every handler.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use portal_authz::Authorizer;
use portal_db::Db;
use portal_domain::HostName;
use portal_identity::oidc::Oidc;
use portal_tenancy::TenantRegistry;
use secrecy::SecretString;

/// Settings the web layer needs at request time.
#[derive(Debug, Clone)]
pub struct StateConfig {
    /// Host of the operations console.
    pub ops_host: HostName,
    /// Peers whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Whether cookies get `Secure`.
    pub secure_cookies: bool,
    /// Built front-end assets (`pkg/`, `kern/`).
    pub site_dir: PathBuf,
    /// Bearer token protecting `/metrics`, if set.
    pub metrics_token: Option<SecretString>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Map tiles of the Kita search (URL template; empty: markers without tiles) and their credit.
    pub map_tiles: String,
    pub map_attribution: String,
}

/// What the payment pages and the webhook need besides the gateway.
#[derive(Debug, Clone)]
pub struct PaymentConfig {
    /// Stripe's client library for the payment page.
    pub js_url: String,
    /// Origins the payment page may talk to and frame (its Content-Security-Policy).
    pub page_origins: Vec<String>,
    /// The platform's publishable key (handed to Stripe.js).
    pub publishable_key: String,
    /// The webhook endpoint's signing secret (environment only).
    pub webhook_secret: Option<SecretString>,
    /// A pay-before payment nobody finished is cancelled after this many hours.
    pub intent_expiry_hours: i32,
}

/// The state of the server, handed to every handler: one shared allocation, so that a handler's
/// copy costs one reference count (each request takes several; copying a dozen `Arc`s each time
/// showed in profiles of the portal's hottest pages).
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// What the server's state holds.
pub struct AppParts {
    /// Application-role database pool; tenant work goes through `db.tenant(..)`.
    pub db: Db,
    /// Host name → tenant, kept current by NOTIFY and periodic reloads.
    pub registry: Arc<TenantRegistry>,
    /// Each tenant's portal content (branding, services), kept current by the same notifications.
    pub content: Arc<crate::content::ContentCache>,
    /// Rendered public pages, keyed by the version of the content they were made from.
    pub pages: Arc<crate::shared_pages::PageCache>,
    /// Live state of locations (call displays, waiting times), kept current by notifications.
    pub live: Arc<crate::live::Live>,
    /// Request-time settings.
    pub config: Arc<StateConfig>,
    /// Renders the Prometheus metrics.
    pub metrics: PrometheusHandle,
    /// casbin with the repository's model and policy: every (resource, action) check.
    pub authz: Arc<Authorizer>,
    /// OpenID Connect client side (HTTP client, provider metadata cache).
    pub oidc: Arc<Oidc>,
    /// Stripe (async-stripe against the configured API base; a local compatible server in tests).
    pub payments: Arc<dyn portal_payments::PaymentGateway>,
    /// Payment page and webhook settings.
    pub payment_config: Arc<PaymentConfig>,
    /// print@home documents: their types and the key that seals the tenants' signing keys.
    pub documents: Arc<portal_documents::Documents>,
}
