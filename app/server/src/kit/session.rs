//! Who is making a request on a tenant's host: citizen and staff sessions (cookies → server-side
//! sessions in the tenant's own table), CSRF tokens, and the staff member's casbin principal.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use portal_authz::{Action, ActorKind, Domain, Principal, Resource, Role};
use portal_identity::secret::{constant_time_eq, random_token};
use portal_identity::session::{self, Subject};
use portal_identity::staff::{self, StaffUser};
use portal_web::{AppError, AppState, TenantContext, cookies};
use uuid::Uuid;

use super::page::{see_other, with_cookie};
use super::pipeline::tenant_tx;

/// Session cookie of citizens.
pub const CITIZEN_COOKIE: cookies::Name = cookies::Name::host("kp_session");
/// Session cookie of staff (a separate session: a staff member may also be a citizen).
pub const STAFF_COOKIE: cookies::Name = cookies::Name::host("kp_staff");
/// CSRF cookie of forms shown before login (double submit).
pub const ANON_CSRF_COOKIE: cookies::Name = cookies::Name::host("kp_csrf");

/// A logged-in citizen.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub citizen_id: Uuid,
    pub token: String,
    pub csrf: String,
}

/// Compares a submitted CSRF token with the expected one.
pub fn check_token(expected: &str, given: Option<&str>) -> Result<(), AppError> {
    match given {
        Some(g) if constant_time_eq(g, expected) => Ok(()),
        _ => Err(AppError::forbidden()),
    }
}

pub(super) fn login_redirect(parts: &Parts, login: &str) -> Response {
    let back = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    see_other(&format!("{login}?weiter={}", urlencoding::encode(back)))
}

async fn load_citizen(parts: &Parts, state: &AppState) -> Result<Option<Citizen>, AppError> {
    let Some(ctx) = parts.extensions.get::<TenantContext>() else { return Ok(None) };
    let Some(token) = cookies::get(&parts.headers, CITIZEN_COOKIE).filter(|t| !t.is_empty()).map(str::to_owned) else {
        return Ok(None);
    };
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let s = session::load(&mut tx, &token, false).await?;
    tx.finish().await?;
    Ok(s.and_then(|s| match s.subject {
        Subject::Citizen(id) => Some(Citizen { citizen_id: id, token, csrf: s.csrf_token }),
        Subject::Staff(_) => None,
    }))
}

impl FromRequestParts<AppState> for Citizen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match load_citizen(parts, state).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(login_redirect(parts, super::links::CITIZEN_LOGIN.path())),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A citizen session if there is one (pages that look different when logged in).
pub struct MaybeCitizen(pub Option<Citizen>);

impl FromRequestParts<AppState> for MaybeCitizen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        load_citizen(parts, state).await.map(MaybeCitizen).map_err(IntoResponse::into_response)
    }
}

/// A logged-in staff member with their roles, as a casbin principal of the tenant's domain.
#[derive(Debug, Clone)]
pub struct Staff {
    pub principal: Principal,
    pub user: StaffUser,
    pub token: String,
    pub csrf: String,
}

impl Staff {
    /// Checks the token a server function carries as an argument (a form's is checked by
    /// [`super::checked::Checked`] before its handler runs).
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), AppError> {
        check_token(&self.csrf, given)
    }

    /// The typed authorisation check; a refusal is a 403 page.
    pub fn require(&self, state: &AppState, resource: Resource, action: Action) -> Result<(), AppError> {
        state.authz.check(&self.principal, resource, action).map_err(|_| AppError::forbidden())
    }

    pub fn may(&self, state: &AppState, resource: Resource, action: Action) -> bool {
        state.authz.allows(&self.principal, resource, action)
    }
}

/// Builds the principal of a staff member of `tenant`.
pub fn staff_principal(tenant: portal_domain::TenantId, user: &StaffUser) -> Principal {
    let roles: Vec<Role> =
        user.roles.iter().filter_map(|r| Role::parse(&r.role)).filter(|r| *r != Role::Operator).collect();
    let scope_services =
        user.roles.iter().find(|r| r.role == "case_worker").map(|r| r.scope_services.clone()).unwrap_or_default();
    Principal {
        domain: Domain::Tenant(tenant),
        actor_kind: ActorKind::Staff,
        actor_id: user.staff_id,
        name: user.display_name.clone(),
        roles,
        scope_services,
    }
}

/// Loads the staff session of a request (None: not logged in, expired, or revoked).
pub async fn load_staff(parts: &Parts, state: &AppState) -> Result<Option<Staff>, AppError> {
    let Some(ctx) = parts.extensions.get::<TenantContext>() else { return Ok(None) };
    let Some(token) = cookies::get(&parts.headers, STAFF_COOKIE).filter(|t| !t.is_empty()).map(str::to_owned) else {
        return Ok(None);
    };
    let tenant = ctx.entry.tenant_id;
    let mut tx = tenant_tx(state, tenant).await?;
    let Some(s) = session::load(&mut tx, &token, true).await? else { return Ok(None) };
    let Subject::Staff(id) = s.subject else { return Ok(None) };
    let user = staff::get(&mut tx, id).await?;
    tx.finish().await?;
    Ok(user.map(|user| Staff { principal: staff_principal(tenant, &user), user, token, csrf: s.csrf_token }))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // the staff area's guard has loaded it already
        if let Some(s) = parts.extensions.get::<Staff>() {
            return Ok(s.clone());
        }
        match load_staff(parts, state).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(login_redirect(parts, super::links::STAFF_LOGIN.path())),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The CSRF token for a form shown before login: the existing cookie's, or a new one (then the
/// response must set it with [`set_anon_csrf`]).
pub fn anon_csrf(headers: &axum::http::HeaderMap) -> (String, bool) {
    match anon_cookie(headers) {
        Some(t) => (t.to_owned(), false),
        None => (random_token(), true),
    }
}

/// The anonymous double-submit token of a page shown before a login, as an extractor: the one the
/// browser holds, or a new one that [`AnonToken::finish`] sets as its cookie on the response.
pub struct AnonToken {
    token: String,
    new: bool,
}

impl AnonToken {
    /// The token the page's forms carry in `_csrf`.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The response with the token's cookie when the token is new.
    pub fn finish(&self, state: &AppState, r: Response) -> Response {
        set_anon_csrf(state, r, &self.token, self.new)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AnonToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (token, new) = anon_csrf(&parts.headers);
        Ok(Self { token, new })
    }
}

/// The anonymous CSRF token the browser holds, if it holds a well-formed one.
pub fn anon_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    cookies::get(headers, ANON_CSRF_COOKIE).filter(|t| t.len() == 43)
}

/// Sets the anonymous CSRF cookie when it was new.
pub fn set_anon_csrf(state: &AppState, r: Response, token: &str, is_new: bool) -> Response {
    if is_new {
        with_cookie(r, &cookies::set(ANON_CSRF_COOKIE, token, state.config.secure_cookies, Some(2 * 3600), true))
    } else {
        r
    }
}
