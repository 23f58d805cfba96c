//! Who is making a request on a tenant's host: citizen and staff sessions (cookies → server-side
//! sessions in the tenant's own table), CSRF tokens, and the staff member's casbin principal.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use portal_domain::TenantId;
use portal_authz::{ActorKind, Action, Domain, Principal, Resource, Role};
use portal_identity::ratelimit::{self, Limit};
use portal_identity::secret::{constant_time_eq, fingerprint, random_token};
use portal_identity::session::{self, Subject};
use portal_identity::staff::{self, StaffUser};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext, cookies};
use uuid::Uuid;

use crate::pages::{see_other, with_cookie};

/// Session cookie of citizens.
pub const CITIZEN_COOKIE: &str = "kp_session";
/// Session cookie of staff (a separate session: a staff member may also be a citizen).
pub const STAFF_COOKIE: &str = "kp_staff";
/// CSRF cookie of forms shown before login (double submit).
pub const ANON_CSRF_COOKIE: &str = "kp_csrf";

/// A logged-in citizen.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub citizen_id: Uuid,
    pub token: String,
    pub csrf: String,
}

impl Citizen {
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), AppError> {
        check_token(&self.csrf, given)
    }
}

/// Compares a submitted CSRF token with the expected one.
pub fn check_token(expected: &str, given: Option<&str>) -> Result<(), AppError> {
    match given {
        Some(g) if constant_time_eq(g, expected) => Ok(()),
        _ => Err(AppError::forbidden()),
    }
}

fn login_redirect(parts: &Parts, login: &str) -> Response {
    let back = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    see_other(&format!("{login}?weiter={}", urlencoding::encode(back)))
}

async fn load_citizen(parts: &Parts, state: &AppState) -> Result<Option<Citizen>, AppError> {
    let Some(ctx) = parts.extensions.get::<TenantContext>() else { return Ok(None) };
    let Some(token) = cookies::get(&parts.headers, CITIZEN_COOKIE).filter(|t| !t.is_empty()).map(str::to_owned) else { return Ok(None) };
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let s = session::load(&mut tx, &token, false).await?;
    tx.commit().await?;
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
            Ok(None) => Err(login_redirect(parts, "/konto/anmelden")),
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
    let roles: Vec<Role> = user.roles.iter().filter_map(|r| Role::parse(&r.role)).filter(|r| *r != Role::Operator).collect();
    let scope_services = user.roles.iter().find(|r| r.role == "case_worker").map(|r| r.scope_services.clone()).unwrap_or_default();
    Principal { domain: Domain::Tenant(tenant), actor_kind: ActorKind::Staff, actor_id: user.staff_id, name: user.display_name.clone(), roles, scope_services }
}

/// Loads the staff session of a request (None: not logged in, expired, or revoked).
pub async fn load_staff(parts: &Parts, state: &AppState) -> Result<Option<Staff>, AppError> {
    let Some(ctx) = parts.extensions.get::<TenantContext>() else { return Ok(None) };
    let Some(token) = cookies::get(&parts.headers, STAFF_COOKIE).filter(|t| !t.is_empty()).map(str::to_owned) else { return Ok(None) };
    let tenant = ctx.entry.tenant_id;
    let mut tx = state.db.tenant(tenant).await?;
    let Some(s) = session::load(&mut tx, &token, true).await? else { return Ok(None) };
    let Subject::Staff(id) = s.subject else { return Ok(None) };
    let user = staff::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(user.map(|user| Staff { principal: staff_principal(tenant, &user), user, token, csrf: s.csrf_token }))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match load_staff(parts, state).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(login_redirect(parts, "/verwaltung/anmelden")),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The CSRF token for a form shown before login: the existing cookie's, or a new one (then the
/// response must set it with [`set_anon_csrf`]).
pub fn anon_csrf(headers: &axum::http::HeaderMap) -> (String, bool) {
    match cookies::get(headers, ANON_CSRF_COOKIE).filter(|t| t.len() == 43) {
        Some(t) => (t.to_owned(), false),
        None => (random_token(), true),
    }
}

/// Sets the anonymous CSRF cookie when it was new.
pub fn set_anon_csrf(state: &AppState, r: Response, token: &str, is_new: bool) -> Response {
    if is_new { with_cookie(r, &cookies::set(ANON_CSRF_COOKIE, token, state.config.secure_cookies, Some(2 * 3600), true)) } else { r }
}

/// Checks a form posted before login: its `_csrf` must equal the cookie (double submit).
pub fn check_anon_csrf(headers: &axum::http::HeaderMap, given: Option<&str>) -> Result<(), AppError> {
    match cookies::get(headers, ANON_CSRF_COOKIE) {
        Some(c) => check_token(c, given),
        None => Err(AppError::forbidden()),
    }
}

/// The rate-limit key of a client address.
pub fn ip_key(ip: &ClientIp) -> String {
    match ip.0 {
        // an IPv6 client commonly holds a whole /64: counted as one
        Some(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(std::net::IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        Some(ip) => ip.to_string(),
        None => "unknown".to_owned(),
    }
}

/// The rate-limit bucket of failed logins to one account (`kind` separates citizens from staff).
pub fn login_bucket(kind: &str, tenant: TenantId, email: &str) -> String {
    format!("{kind}:{}:{}", tenant.0, fingerprint(&email.trim().to_lowercase()))
}

/// Counts a login attempt from `ip` and tells whether it may go ahead: the address within its limit
/// and the account's failures not exhausted. Whether the account exists plays no part, so the answer
/// reveals nothing. One transaction: the tenant's (`None`: the console's, on the platform path).
pub async fn login_allowed(state: &AppState, tenant: Option<TenantId>, ip: &ClientIp, account_bucket: &str) -> Result<bool, AppError> {
    let mut tx = limits_tx(state, tenant).await?;
    let ip_ok = ratelimit::hit(tx.conn(), &format!("login-ip:{}", ip_key(ip)), ratelimit::LOGIN_PER_ADDRESS).await?;
    let account_ok = !ratelimit::exhausted(tx.conn(), account_bucket, ratelimit::LOGIN_PER_ACCOUNT).await?;
    tx.commit().await?;
    Ok(ip_ok && account_ok)
}

/// The transaction rate limits are counted in: a tenant's request uses its own pool, so that a
/// flood of anonymous posts cannot starve the small platform pool (console, workers, webhooks).
enum LimitsTx {
    Tenant(portal_db::TenantTx),
    Platform(portal_db::PlatformTx),
}

impl LimitsTx {
    fn conn(&mut self) -> &mut sqlx::PgConnection {
        match self {
            Self::Tenant(t) => t.conn(),
            Self::Platform(p) => p.conn(),
        }
    }
    async fn commit(self) -> Result<(), portal_db::DbError> {
        match self {
            Self::Tenant(t) => t.commit().await,
            Self::Platform(p) => p.commit().await,
        }
    }
}

async fn limits_tx(state: &AppState, tenant: Option<TenantId>) -> Result<LimitsTx, AppError> {
    Ok(match tenant {
        Some(t) => LimitsTx::Tenant(state.db.tenant(t).await?),
        None => LimitsTx::Platform(state.db.platform().await?),
    })
}

/// Per target address: at most 5 mails an hour (no mail bombing through our forms).
const MAIL_PER_RECIPIENT: Limit = Limit { max: 5, window: time::Duration::hours(1) };

/// Counts a mail requested from `ip` to `to`; false when the address or the recipient is over its
/// limit (registration, password reset, a guest's application confirmation ...).
pub async fn mail_allowed(state: &AppState, ip: &ClientIp, tenant: TenantId, to: &str) -> Result<bool, AppError> {
    within_limits(
        state,
        tenant,
        &[(format!("mail-ip:{}", ip_key(ip)), ratelimit::MAIL_PER_ADDRESS), (format!("mail-to:{}:{}", tenant.0, fingerprint(&to.trim().to_lowercase())), MAIL_PER_RECIPIENT)],
    )
    .await
}

/// Counts one `what` (e.g. `guest-draft`) from `ip` for the tenant; 429 when the address is over
/// `limit`.
pub async fn allow_per_address(state: &AppState, tenant: TenantId, ip: &ClientIp, what: &str, limit: Limit) -> Result<(), AppError> {
    if within_limits(state, tenant, &[(format!("{what}-ip:{}", ip_key(ip)), limit)]).await? { Ok(()) } else { Err(AppError::too_many_requests()) }
}

/// Counts one hit on each bucket, in one transaction; false when any is over its limit.
pub async fn within_limits(state: &AppState, tenant: TenantId, buckets: &[(String, Limit)]) -> Result<bool, AppError> {
    let mut tx = limits_tx(state, Some(tenant)).await?;
    let mut ok = true;
    for (bucket, limit) in buckets {
        ok &= ratelimit::hit(tx.conn(), bucket, *limit).await?;
    }
    tx.commit().await?;
    Ok(ok)
}
