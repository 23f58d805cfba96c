//! The capability registry: what each capability adds to the shared parts of the site — its routes,
//! its entries in the staff area's and the console's navigation, its panels on pages another
//! capability owns (the staff dashboard, a case seen by the office or by the citizen) and its
//! background jobs. The wiring (`capabilities.rs`) lists the capabilities once and installs them
//! here; the kit reads them without knowing any capability.

use std::future::Future;
use std::pin::Pin;

use axum::Router;
use portal_authz::{Action, Resource};
use portal_cases::Case;
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_settings::Settings;
use portal_ui::blocks::Block;
use portal_ui::form::FormState;
use portal_web::{AppError, AppState};
use tokio::sync::watch;

use super::session::Staff;

/// A boxed future, as the panels and jobs of a capability return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An entry in a navigation: its path, the text key of its label, and (staff area) the permission
/// that shows it. `order` places it among the entries of other capabilities.
#[derive(Debug, Clone, Copy)]
pub struct NavEntry {
    pub order: u16,
    pub path: &'static str,
    pub label: &'static str,
    pub resource: Resource,
    pub action: Action,
}

/// A panel on the staff dashboard.
pub type DashboardPanel = for<'a> fn(&'a mut TenantTx, Lang, &'a Staff) -> BoxFuture<'a, Result<Vec<Block>, AppError>>;

/// A panel on the office's page of one case; the form state is that of the panel's own form when it
/// is shown again with errors.
pub type OfficeCasePanel = for<'a> fn(&'a AppState, &'a mut TenantTx, Lang, &'a Staff, &'a Case, Option<FormState>) -> BoxFuture<'a, Result<Vec<Block>, AppError>>;

/// A panel on the citizen's (or guest's) page of one case; `base` is the case page's path.
pub type CitizenCasePanel = for<'a> fn(&'a mut TenantTx, Lang, &'a Case, &'a str) -> BoxFuture<'a, Result<Vec<Block>, AppError>>;

/// A background job: started with the server when the settings ask for it, stopped when the flag
/// turns true.
pub type Job = fn(&AppState, &Settings, watch::Receiver<bool>) -> Option<BoxFuture<'static, ()>>;

/// What one capability adds to the site.
#[derive(Clone, Copy)]
pub struct Capability {
    pub name: &'static str,
    /// Routes on a tenant's host (citizen portal and staff area).
    pub portal: Option<fn() -> Router<AppState>>,
    /// Routes on the console's host.
    pub console: Option<fn() -> Router<AppState>>,
    /// Paths (prefixes) of the staff area or the console that are open without a session: the
    /// login, an invitation link, a webhook. Everything else there is behind the area's guard.
    pub public: &'static [&'static str],
    pub staff_nav: &'static [NavEntry],
    pub console_nav: &'static [NavEntry],
    pub dashboard: &'static [DashboardPanel],
    pub office_case: &'static [OfficeCasePanel],
    pub citizen_case: &'static [CitizenCasePanel],
    pub jobs: &'static [Job],
    /// The text keys the capability builds at run time (`payments.status_{code}` ...), so that a
    /// test can check each exists in every language.
    pub texts: fn() -> Vec<String>,
}

fn no_texts() -> Vec<String> {
    Vec::new()
}

impl Capability {
    /// A capability that adds nothing yet; fill in what it has with `..Capability::named("x")`.
    pub const fn named(name: &'static str) -> Self {
        Self { name, portal: None, console: None, public: &[], staff_nav: &[], console_nav: &[], dashboard: &[], office_case: &[], citizen_case: &[], jobs: &[], texts: no_texts }
    }
}

tokio::task_local! {
    static SERVING: &'static [Capability];
}

/// Serves one request with `list` as the capability list the kit reads (the router does this for
/// every request, so that a router built with another list, e.g. in a test, sees its own).
pub async fn serving<F: Future>(list: &'static [Capability], request: F) -> F::Output {
    SERVING.scope(list, request).await
}

/// The capabilities of the request being served (none outside [`serving`]).
pub fn capabilities() -> &'static [Capability] {
    SERVING.try_with(|list| *list).unwrap_or(&[])
}

/// Whether `path` is open without a session: the language switch, or a path a capability lists.
/// An entry matches itself and what lies below it as whole segments (`/login` opens `/login` and
/// `/login/…`, never `/loginx`); an entry ending in `/` opens everything below it.
pub fn is_public(path: &str) -> bool {
    path == "/sprache" || capabilities().iter().flat_map(|c| c.public.iter()).any(|p| below(path, p))
}

fn below(path: &str, entry: &str) -> bool {
    match path.strip_prefix(entry) {
        Some(rest) => entry.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// The entries of a navigation, in their order.
pub fn nav(pick: impl Fn(&Capability) -> &'static [NavEntry]) -> Vec<NavEntry> {
    let mut all: Vec<NavEntry> = capabilities().iter().flat_map(|c| pick(c).iter().copied()).collect();
    all.sort_by_key(|e| e.order);
    all
}

/// Every panel of one kind, in capability order.
pub fn panels<T: Copy + 'static>(pick: impl Fn(&Capability) -> &'static [T]) -> Vec<T> {
    capabilities().iter().flat_map(|c| pick(c).iter().copied()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_open_entry_opens_whole_segments_only() {
        assert!(super::below("/login", "/login"));
        assert!(super::below("/login/x", "/login"));
        assert!(!super::below("/loginx", "/login"));
        assert!(!super::below("/verwaltung/einladungen", "/verwaltung/einladung"));
        assert!(super::below("/webhooks/stripe", "/webhooks/"));
        assert!(!super::below("/webhook", "/webhooks/"));
    }
}
