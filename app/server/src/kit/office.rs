//! The office context: pages of the staff area in the tenant's frame, with the navigation every
//! capability contributes to, and the audit record of a staff member's change.

use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::audit::{self, Event};
use portal_domain::Lang;
use portal_ui::blocks::{Block, Button};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};

use super::frame::blocks_page;
use super::links;
use super::pipeline::tenant_tx;
use super::registry;
use super::session::{Staff, load_staff, login_redirect};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::IntoResponse;

/// The staff area's guard, applied once to the tenant site's router: a request under
/// `/verwaltung` (other than the open paths) needs a staff session, which the guard loads for the
/// handler; without one it goes to the login and back.
pub async fn staff_area(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !registry::below(path, links::STAFF_HOME.path()) || registry::is_public(path) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    match load_staff(&parts, &state).await {
        Ok(Some(s)) => {
            parts.extensions.insert(s);
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(None) => login_redirect(&parts, links::STAFF_LOGIN.path()),
        Err(e) => e.into_response(),
    }
}

/// The staff area's navigation for this member of staff: the entries they may open, the current one marked.
pub fn staff_nav(state: &AppState, lang: Lang, s: &Staff, current: &str) -> Vec<(String, String, bool)> {
    registry::nav(|c| c.staff_nav)
        .into_iter()
        .filter(|e| s.may(state, e.resource, e.action))
        .map(|e| (e.path.to_owned(), tr(lang, e.label), e.path == current))
        .collect()
}

#[expect(clippy::too_many_arguments, reason = "a page of the staff area: frame, navigation, status, title and content")]
pub async fn staff_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    path: &str,
    staff: Option<&Staff>,
    status: StatusCode,
    title: String,
    mut blocks: Vec<Block>,
) -> Result<Response, AppError> {
    let tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let nav = staff.map(|s| staff_nav(state, lang, s, path)).unwrap_or_default();
    if let Some(s) = staff {
        blocks.push(Block::Buttons(vec![Button {
            action: links::STAFF_LOGOUT.path().into(),
            csrf: s.csrf.clone(),
            hidden: vec![],
            label: tr_with(lang, "staff.logout", &[("name", &s.user.display_name)]),
            danger: false,
        }]));
    }
    blocks_page(state, ctx, tx, lang, path, status, title, nav, blocks).await
}

/// A staff page about one object (`key`: an id, a programme, or `()` for the capability's one
/// settings page), drawn by its capability for a GET, or again after a refused post with the form
/// that was refused (`again`, its errors next to the fields) and the status to answer with. The
/// frame (state, tenant, language, member of staff) travels as one value instead of one argument
/// each.
pub struct ObjectPage<'a, K, F = FormState> {
    pub state: &'a AppState,
    pub ctx: &'a TenantContext,
    pub lang: Lang,
    pub staff: &'a Staff,
    pub key: K,
    pub again: Option<F>,
    pub status: StatusCode,
}

impl<'a, K, F> ObjectPage<'a, K, F> {
    /// The page as a GET shows it.
    pub fn new(state: &'a AppState, ctx: &'a TenantContext, lang: Lang, staff: &'a Staff, key: K) -> Self {
        Self { state, ctx, lang, staff, key, again: None, status: StatusCode::OK }
    }

    /// The page as the answer to a post: the refused form, if any, and the status.
    #[must_use]
    pub fn answer(mut self, again: Option<F>, status: StatusCode) -> Self {
        self.again = again;
        self.status = status;
        self
    }
}

pub async fn audit(
    tx: &mut portal_db::TenantTx,
    s: &Staff,
    ip: &ClientIp,
    action: &str,
    object: String,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let tenant = tx.tenant_id();
    audit::record(tx.conn(), &s.principal, ip.0, Event { tenant: Some(tenant), action, object, detail }).await?;
    Ok(())
}
