//! The capability registry: what each capability adds to the shared parts of the site — its routes,
//! its entries in the staff area's and the console's navigation, its panels on pages another
//! capability owns (the staff dashboard, a case seen by the office or by the citizen), the actions
//! of those panels, its demo data and its background jobs. The wiring (`capabilities.rs`) lists the
//! capabilities once and installs them here; the kit reads them without knowing any capability.

use std::future::Future;
use std::pin::Pin;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use portal_authz::{Action, Resource};
use portal_cases::Case;
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_settings::Settings;
use portal_ui::blocks::Block;
use portal_ui::form::FormState;
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use tokio::sync::watch;
use uuid::Uuid;

use super::checked::Checked;
use super::form::Fields;
use super::notice::Notice;
use super::page::{lang_of, see_other};
use super::paths::RoutePath;
use super::session::Staff;
use super::widgets::{StaticAsset, WidgetNeeds};

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
pub type OfficeCasePanel = for<'a> fn(
    &'a AppState,
    &'a mut TenantTx,
    Lang,
    &'a Staff,
    &'a Case,
    Option<FormState>,
) -> BoxFuture<'a, Result<Vec<Block>, AppError>>;

/// What a panel's action did: it is done (back to the page, with a notice to show there), or its
/// form is shown again on the page with these values and errors.
pub enum Outcome {
    Done(Option<Notice>),
    Again(FormState, StatusCode),
}

/// A post to a panel's action on the office's page of a case, its CSRF token already checked.
pub struct CaseActionRequest {
    pub headers: HeaderMap,
    pub ip: ClientIp,
    pub staff: Staff,
    pub lang: Lang,
    pub case_id: Uuid,
    /// The action path's parameters after the case's id (`{doc}` ...), in order, unchecked.
    pub params: Vec<String>,
    pub fields: Fields,
}

/// What an action does; it checks its own permission and the case's visibility.
pub type CaseActionFn =
    for<'a> fn(&'a AppState, &'a TenantContext, &'a CaseActionRequest) -> BoxFuture<'a, Result<Outcome, AppError>>;

/// An action of a capability's panel on the office's page of a case: a post to `path` (whose first
/// parameter is the case's id). The kit routes it, checks its CSRF token, runs it, and has the
/// page's owner show the outcome.
#[derive(Clone, Copy)]
pub struct CaseAction {
    pub path: RoutePath,
    pub run: CaseActionFn,
}

/// One capability's panel form, sent back with its errors to the page that shows the panel.
#[derive(Clone)]
pub struct PanelForm {
    /// The capability whose panel gets the form.
    pub capability: &'static str,
    pub form: FormState,
}

impl PanelForm {
    /// The form for the panel of `capability`, if this is its.
    pub fn of(panel: Option<&PanelForm>, capability: &str) -> Option<FormState> {
        panel.filter(|p| p.capability == capability).map(|p| p.form.clone())
    }
}

/// The office's page of a case, drawn by the capability that owns it: the page at `path` (its
/// parameter the case's id), and how it is shown with one panel's form again.
#[derive(Clone, Copy)]
pub struct OfficeCasePage {
    pub path: RoutePath,
    pub render: OfficeCaseRender,
}

/// Shows the office's page of a case, with one panel's form again.
pub type OfficeCaseRender = for<'a> fn(
    &'a AppState,
    &'a TenantContext,
    Lang,
    &'a Staff,
    Uuid,
    Option<PanelForm>,
    StatusCode,
) -> BoxFuture<'a, Result<Response, AppError>>;

/// A panel on the citizen's (or guest's) page of one case; `base` is the case page's path.
pub type CitizenCasePanel =
    for<'a> fn(&'a mut TenantTx, Lang, &'a Case, &'a str) -> BoxFuture<'a, Result<Vec<Block>, AppError>>;

/// A capability's demo data, synced from the demo folder (`tenants/demo`) after the demo tenants:
/// at start-up in demo mode, and into the tests' template database.
pub type DemoSync = for<'a> fn(&'a portal_db::Db, &'a std::path::Path) -> BoxFuture<'a, anyhow::Result<()>>;

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
    /// The actions of the capability's panel on the office's page of a case.
    pub office_case_actions: &'static [CaseAction],
    /// The office's page of a case, from the capability that owns it (one capability does).
    pub office_case_page: Option<OfficeCasePage>,
    pub jobs: &'static [Job],
    pub demo: Option<DemoSync>,
    /// What a page needs when one of the capability's widgets is on it (scripts, islands, CSP).
    pub widgets: &'static [WidgetNeeds],
    /// Files the capability serves from memory (scripts), each at its path with its content type.
    pub assets: &'static [StaticAsset],
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
        Self {
            name,
            portal: None,
            console: None,
            public: &[],
            staff_nav: &[],
            console_nav: &[],
            dashboard: &[],
            office_case: &[],
            citizen_case: &[],
            office_case_actions: &[],
            office_case_page: None,
            jobs: &[],
            demo: None,
            widgets: &[],
            assets: &[],
            texts: no_texts,
        }
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
    path == super::links::LANGUAGE.path() || capabilities().iter().flat_map(|c| c.public.iter()).any(|p| below(path, p))
}

/// Whether `path` is `entry` or lies below it as whole segments (an entry ending in `/`: anything
/// below it).
pub fn below(path: &str, entry: &str) -> bool {
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

/// Every panel of one kind with the name of its capability, in capability order.
pub fn named_panels<T: Copy + 'static>(pick: impl Fn(&Capability) -> &'static [T]) -> Vec<(&'static str, T)> {
    capabilities().iter().flat_map(|c| pick(c).iter().map(|p| (c.name, *p))).collect()
}

/// Syncs the demo data of every capability of `list`, in its order.
pub async fn sync_demo(list: &[Capability], db: &portal_db::Db, demo_dir: &std::path::Path) -> anyhow::Result<()> {
    for sync in list.iter().filter_map(|c| c.demo) {
        sync(db, demo_dir).await?;
    }
    Ok(())
}

/// The routes of every capability's actions on the office's page of a case. The page's owner is
/// found once, here: actions need exactly one, and each action's path lies below the page's.
pub fn case_action_routes(list: &'static [Capability]) -> Router<AppState> {
    let actions: Vec<(&'static str, CaseAction)> =
        list.iter().flat_map(|c| c.office_case_actions.iter().map(move |a| (c.name, *a))).collect();
    if actions.is_empty() {
        return Router::new();
    }
    let owners: Vec<OfficeCasePage> = list.iter().filter_map(|c| c.office_case_page).collect();
    let [page] = owners[..] else {
        panic!(
            "actions on the office's case page need exactly one capability that owns the page, found {}",
            owners.len()
        )
    };
    actions.into_iter().fold(Router::new(), |router, (name, action)| {
        let below = action.path.pattern().strip_prefix(page.path.pattern()).is_some_and(|rest| rest.starts_with('/'));
        assert!(
            below,
            "{name}: the action {} does not lie below the case page {}",
            action.path.pattern(),
            page.path.pattern()
        );
        router.route(
            action.path.pattern(),
            post(
                move |State(state): State<AppState>,
                      ctx: TenantContext,
                      headers: HeaderMap,
                      ip: ClientIp,
                      Path(params): Path<Vec<(String, String)>>,
                      Checked(staff, fields): Checked<Staff>| async move {
                    // the case page's id, then the action's own parameters; a malformed id names no case
                    let mut params = params.into_iter().map(|(_, v)| v);
                    let case_id =
                        params.next().and_then(|id| Uuid::parse_str(&id).ok()).ok_or_else(AppError::not_found)?;
                    let request = CaseActionRequest {
                        lang: lang_of(&headers),
                        headers,
                        ip,
                        staff,
                        case_id,
                        params: params.collect(),
                        fields,
                    };
                    match (action.run)(&state, &ctx, &request).await? {
                        Outcome::Done(None) => Ok(see_other(&page.path.with(&[&case_id]))),
                        Outcome::Done(Some(notice)) => Ok(notice.redirect(&page.path.with(&[&case_id]))),
                        Outcome::Again(form, status) => {
                            (page.render)(
                                &state,
                                &ctx,
                                request.lang,
                                &request.staff,
                                case_id,
                                Some(PanelForm { capability: name, form }),
                                status,
                            )
                            .await
                        }
                    }
                },
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use axum::response::Response;
    use portal_domain::Lang;
    use portal_web::{AppError, AppState, TenantContext};
    use uuid::Uuid;

    use super::{BoxFuture, Capability, CaseAction, CaseActionRequest, OfficeCasePage, Outcome, PanelForm};
    use crate::kit::paths::RoutePath;
    use crate::kit::session::Staff;

    fn done<'a>(
        _: &'a AppState,
        _: &'a TenantContext,
        _: &'a CaseActionRequest,
    ) -> BoxFuture<'a, Result<Outcome, AppError>> {
        Box::pin(async { Ok(Outcome::Done(None)) })
    }

    fn page<'a>(
        _: &'a AppState,
        _: &'a TenantContext,
        _: Lang,
        _: &'a Staff,
        _: Uuid,
        _: Option<PanelForm>,
        _: StatusCode,
    ) -> BoxFuture<'a, Result<Response, AppError>> {
        Box::pin(async { Err(AppError::not_found()) })
    }

    const OWNER: Capability = Capability {
        office_case_page: Some(OfficeCasePage { path: RoutePath("/verwaltung/vorgaenge/{id}"), render: page }),
        ..Capability::named("owner")
    };
    static STRAY: &[Capability] = &[
        OWNER,
        Capability {
            office_case_actions: &[CaseAction { path: RoutePath("/verwaltung/zahlungen/{id}/erstattung"), run: done }],
            ..Capability::named("stray")
        },
    ];
    static ORPHAN: &[Capability] = &[Capability {
        office_case_actions: &[CaseAction { path: RoutePath("/verwaltung/vorgaenge/{id}/x"), run: done }],
        ..Capability::named("orphan")
    }];
    static TWO_OWNERS: &[Capability] = &[
        OWNER,
        OWNER,
        Capability {
            office_case_actions: &[CaseAction { path: RoutePath("/verwaltung/vorgaenge/{id}/x"), run: done }],
            ..Capability::named("acting")
        },
    ];
    static FINE: &[Capability] = &[
        OWNER,
        Capability {
            office_case_actions: &[CaseAction { path: RoutePath("/verwaltung/vorgaenge/{id}/x/{doc}"), run: done }],
            ..Capability::named("acting")
        },
    ];

    #[test]
    #[should_panic(
        expected = "stray: the action /verwaltung/zahlungen/{id}/erstattung does not lie below the case page /verwaltung/vorgaenge/{id}"
    )]
    fn an_action_outside_the_case_page_is_refused_when_the_routes_are_built() {
        let _ = super::case_action_routes(STRAY);
    }

    #[test]
    #[should_panic(expected = "exactly one capability that owns the page, found 0")]
    fn an_action_without_an_owner_of_the_page_is_refused_when_the_routes_are_built() {
        let _ = super::case_action_routes(ORPHAN);
    }

    #[test]
    #[should_panic(expected = "exactly one capability that owns the page, found 2")]
    fn an_action_with_two_owners_of_the_page_is_refused_when_the_routes_are_built() {
        let _ = super::case_action_routes(TWO_OWNERS);
    }

    #[test]
    fn actions_below_the_one_owners_page_are_routed_and_no_actions_route_nothing() {
        assert!(super::case_action_routes(FINE).has_routes());
        static NONE: &[Capability] = &[OWNER];
        assert!(!super::case_action_routes(NONE).has_routes());
    }

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
