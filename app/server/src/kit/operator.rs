//! The operator's side of the office context: the console session, its casbin principal, and the
//! console's page frame with the navigation every capability contributes to.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::view;
use portal_authz::{Action, ActorKind, Domain, Principal, Resource, Role};
use portal_domain::Lang;
use portal_operators as operators;
use portal_ui::block_pages::ConsoleBlocksPage;
use portal_ui::blocks::Block;
use portal_ui::i18n::tr;
use portal_ui::layout::ConsoleChrome;
use portal_web::{AppError, AppState, cookies};

use super::checked::TokenHolder;
use super::page::{assets, html_status, see_other};
use super::registry;

/// The console's session cookie.
pub const SESSION_COOKIE: cookies::Name = cookies::Name::host("ops_session");

/// A logged-in operator, from the session cookie. Without a live session the request is sent to
/// the login page.
#[derive(Clone)]
pub struct OperatorSession {
    pub session: operators::Session,
}

impl FromRequestParts<AppState> for OperatorSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // the console's guard has loaded it already
        if let Some(s) = parts.extensions.get::<OperatorSession>() {
            return Ok(s.clone());
        }
        let Some(token) = cookies::get(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(see_other(super::links::CONSOLE_LOGIN.path()));
        };
        let load = async {
            let mut tx = super::pipeline::platform_tx(state).await?;
            let s = operators::load_session(&mut tx, &token).await?;
            tx.finish().await?;
            Ok::<_, AppError>(s)
        };
        match load.await {
            Ok(Some(session)) => Ok(Self { session }),
            Ok(None) => Err(see_other(&format!("{}?abgelaufen=1", super::links::CONSOLE_LOGIN.path()))),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The console's guard, applied once to its router: every page but the open ones (the login, the
/// Stripe webhook, metrics with their own token) needs an operator's session.
pub async fn console_area(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if registry::is_public(req.uri().path()) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    match OperatorSession::from_request_parts(&mut parts, &state).await {
        Ok(s) => {
            parts.extensions.insert(s);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(r) => r,
    }
}

impl TokenHolder for OperatorSession {
    fn form_token(&self) -> Option<&str> {
        Some(&self.session.csrf_token)
    }
}

pub fn chrome(
    state: &AppState,
    lang: Lang,
    session: Option<&OperatorSession>,
    path: &str,
    islands: bool,
) -> ConsoleChrome {
    ConsoleChrome {
        lang,
        operator_name: session.map(|s| s.session.operator.display_name.clone()),
        csrf_token: session.map(|s| s.session.csrf_token.clone()),
        nav: session.map(|s| console_nav(state, s, lang, path)).unwrap_or_default(),
        current_path: path.to_owned(),
        assets: assets(state, islands),
    }
}

/// The console's navigation: every page a capability lists, the current one marked.
fn console_nav(state: &AppState, s: &OperatorSession, lang: Lang, current: &str) -> Vec<(String, String, bool)> {
    let principal = operator_principal(s);
    registry::nav(|c| c.console_nav)
        .into_iter()
        .filter(|e| state.authz.allows(&principal, e.resource, e.action))
        .map(|e| (e.path.to_owned(), tr(lang, e.label), e.path == current))
        .collect()
}

/// The operator as a casbin principal of the platform domain.
pub fn operator_principal(s: &OperatorSession) -> Principal {
    let o = &s.session.operator;
    Principal {
        domain: Domain::Platform,
        actor_kind: ActorKind::Operator,
        actor_id: o.operator_id,
        name: o.display_name.clone(),
        roles: vec![Role::Operator],
        scope_services: vec![],
    }
}

pub fn require(
    state: &AppState,
    s: &OperatorSession,
    resource: Resource,
    action: Action,
) -> Result<Principal, AppError> {
    let p = operator_principal(s);
    state.authz.check(&p, resource, action).map_err(|_| AppError::forbidden())?;
    Ok(p)
}

pub fn render(
    state: &AppState,
    lang: Lang,
    s: &OperatorSession,
    path: &str,
    status: StatusCode,
    title: String,
    blocks: Vec<Block>,
) -> Response {
    let chrome = chrome(state, lang, Some(s), path, false);
    html_status(
        status,
        portal_ui::render_document(move || view! { <ConsoleBlocksPage chrome=chrome title=title blocks=blocks/> }),
    )
}
