//! The step between the password and the session, for the console and the staff area: after a
//! right password the login either starts the session (no second factor required, or a remembered
//! device), or hands over to the code page or the set-up page with a *pending login*: a cookie
//! sealed with the platform key for the area (the tenant, or the console), holding the account and
//! its time, valid for [`PENDING_TTL_SECS`]. Without it the code and set-up pages show nothing.
//! The pages themselves belong to the capability `security`; the login handlers of `tenants`
//! (console) and `access` (staff) call in here.

use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portal_domain::TenantId;
use portal_identity::second_factor::{self as factor, Owner};
use portal_identity::session::{self, Subject};
use portal_identity::throttle;
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, cookies};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::limits::ip_key;
use super::page::{see_other, with_cookie};

/// The console's and the staff area's code page and set-up page (open without a session: below
/// their logins).
pub use super::links::{CONSOLE_CODE, CONSOLE_SETUP, STAFF_CODE, STAFF_SETUP};

/// How long a pending login waits for its code.
pub const PENDING_TTL_SECS: i64 = 600;

/// Where the login happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Console,
    Staff(TenantId),
}

impl Area {
    pub fn owner(self, account: Uuid) -> Owner {
        match self {
            Self::Console => Owner::Operator(account),
            Self::Staff(t) => Owner::Staff { tenant: t.0, staff: account },
        }
    }
    pub fn pending_cookie(self) -> cookies::Name {
        match self {
            Self::Console => cookies::Name::host("ops_pending"),
            Self::Staff(_) => cookies::Name::host("kp_pending"),
        }
    }
    pub fn device_cookie(self) -> cookies::Name {
        match self {
            Self::Console => cookies::Name::host("ops_device"),
            Self::Staff(_) => cookies::Name::host("kp_device"),
        }
    }
    /// The tenant whose transactions the area's rows are in (`None`: the console's, the platform's).
    pub fn tenant(self) -> Option<TenantId> {
        match self {
            Self::Console => None,
            Self::Staff(t) => Some(t),
        }
    }
    fn seal_tenant(self) -> Uuid {
        match self {
            Self::Console => Uuid::nil(),
            Self::Staff(t) => t.0,
        }
    }
    pub fn code_path(self) -> &'static str {
        match self {
            Self::Console => CONSOLE_CODE.path(),
            Self::Staff(_) => STAFF_CODE.path(),
        }
    }
    pub fn setup_path(self) -> &'static str {
        match self {
            Self::Console => CONSOLE_SETUP.path(),
            Self::Staff(_) => STAFF_SETUP.path(),
        }
    }
    /// The rate-limit buckets of an account: per account and client address, per account.
    pub fn throttle_buckets(self, account_key: &str, ip: &ClientIp) -> [String; 2] {
        let area = match self {
            Self::Console => "console".to_owned(),
            Self::Staff(t) => format!("staff:{}", t.0),
        };
        [format!("login-delay:{area}:{account_key}:{}", ip_key(ip)), format!("login-delay:{area}:{account_key}")]
    }
}

/// A login whose password was right and whose second factor is due.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The operator's or staff member's id.
    pub account: Uuid,
    /// When the password was checked (Unix seconds).
    pub at: i64,
    /// The second factor must be set up first.
    pub setup: bool,
    /// Where the login goes afterwards (staff: the page that asked for it).
    pub next: String,
    /// The account's key in the delay buckets (a fingerprint of the address typed).
    pub key: String,
    /// The new key while the set-up waits for its first code (sealed in the cookie: nothing
    /// unconfirmed is stored, nobody else can read it).
    #[serde(default)]
    pub secret: Option<String>,
}

const PENDING_PURPOSE: &str = "login-pending";

/// The pending login of this request, if its cookie opens for the area and is young enough.
pub fn pending(state: &AppState, area: Area, headers: &HeaderMap) -> Option<Pending> {
    let raw = cookies::get(headers, area.pending_cookie())?;
    let sealed = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let p: Pending =
        serde_json::from_str(&state.oidc.key().open(area.seal_tenant(), PENDING_PURPOSE, &sealed)?).ok()?;
    let age = state.db.now().unix_timestamp() - p.at;
    (0..=PENDING_TTL_SECS).contains(&age).then_some(p)
}

/// Sends the login on to its second step (the code, or the set-up with a new key) with the
/// pending cookie.
pub fn to_second_step(state: &AppState, area: Area, p: &Pending) -> Response {
    let mut p = p.clone();
    p.secret = match (p.setup, p.secret.take()) {
        (true, Some(s)) => Some(s),
        (true, None) => Some(factor::new_secret()),
        (false, _) => None,
    };
    let json = serde_json::to_string(&p).unwrap_or_default();
    let value = URL_SAFE_NO_PAD.encode(state.oidc.key().seal(area.seal_tenant(), PENDING_PURPOSE, &json));
    let to = if p.setup { area.setup_path() } else { area.code_path() };
    with_cookie(
        see_other(to),
        &cookies::set(area.pending_cookie(), &value, state.config.secure_cookies, Some(PENDING_TTL_SECS), true),
    )
}

/// What follows a right password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPassword {
    /// The session starts now (no second factor required and none set up, or a remembered device).
    Session,
    Code,
    Setup,
}

/// Decides what follows a right password: a code when the account has a second factor (unless
/// this device is remembered), the set-up when one is required and missing, else the session.
pub async fn after_password(
    conn: &mut sqlx::PgConnection,
    area: Area,
    headers: &HeaderMap,
    account: Uuid,
    required: bool,
    now: time::OffsetDateTime,
) -> Result<AfterPassword, AppError> {
    let owner = area.owner(account);
    if factor::enabled(conn, owner).await? {
        let remembered = match cookies::get(headers, area.device_cookie()) {
            Some(token) if !token.is_empty() => factor::known_device(conn, owner, token, now).await?,
            _ => false,
        };
        return Ok(if remembered { AfterPassword::Session } else { AfterPassword::Code });
    }
    Ok(if required { AfterPassword::Setup } else { AfterPassword::Session })
}

/// Whether the account's next attempt must wait (the growing delay after failures), and how long.
/// Takes the account's lock first (held until the transaction ends): the attempts of one account
/// are checked and counted one after the other; one sent while another is being checked waits a
/// second. A browser the account has remembered is spared the
/// delay over all addresses, so that nobody who knows the address can keep its owner out.
pub async fn login_wait(
    conn: &mut sqlx::PgConnection,
    buckets: &[String; 2],
    remembered: bool,
) -> Result<Option<std::time::Duration>, AppError> {
    if !throttle::try_lock(conn, &buckets[1]).await? {
        return Ok(Some(std::time::Duration::from_secs(1)));
    }
    let a = throttle::wait(conn, &buckets[0], throttle::PER_ACCOUNT_AND_ADDRESS).await?;
    let b = if remembered { None } else { throttle::wait(conn, &buckets[1], throttle::PER_ACCOUNT).await? };
    Ok(a.max(b))
}

/// Whether this browser carries a remembered device of the account whose delay key is `key`.
pub async fn remembered_device(
    conn: &mut sqlx::PgConnection,
    area: Area,
    headers: &HeaderMap,
    key: &str,
    now: time::OffsetDateTime,
) -> Result<bool, AppError> {
    let Some(token) = cookies::get(headers, area.device_cookie()).filter(|t| !t.is_empty()) else { return Ok(false) };
    let email = factor::device_email(conn, area.tenant().map(|t| t.0), token, now).await?;
    Ok(email.is_some_and(|e| portal_identity::secret::fingerprint(&e) == key))
}

/// Counts a failed attempt (password or code) in both buckets, and against the client address's
/// limit of failed logins.
pub async fn login_failed(conn: &mut sqlx::PgConnection, buckets: &[String; 2], ip: &ClientIp) -> Result<(), AppError> {
    for b in buckets {
        throttle::fail(conn, b).await?;
    }
    portal_identity::ratelimit::hit(
        conn,
        &super::limits::address_bucket(ip),
        portal_identity::ratelimit::LOGIN_PER_ADDRESS,
    )
    .await?;
    Ok(())
}

/// Clears both buckets after a login that went through.
pub async fn login_succeeded(conn: &mut sqlx::PgConnection, buckets: &[String; 2]) -> Result<(), AppError> {
    for b in buckets {
        throttle::clear(conn, b).await?;
    }
    Ok(())
}

/// The last words of a delay's message: the seconds to wait.
pub fn wait_secs(wait: std::time::Duration) -> String {
    wait.as_secs().max(1).to_string()
}

/// Starts the staff session (a fresh id; the old one ends) and sends the member on to `next`,
/// clearing the pending login.
pub async fn start_staff_session(
    state: &AppState,
    tx: &mut portal_db::TenantTx,
    headers: &HeaderMap,
    staff: Uuid,
    next: &str,
) -> Result<Response, AppError> {
    if let Some(old) = cookies::get(headers, super::session::STAFF_COOKIE) {
        session::end(tx, old).await?;
    }
    let token = session::start(tx, Subject::Staff(staff)).await?;
    let secure = state.config.secure_cookies;
    let r = with_cookie(see_other(next), &cookies::set(super::session::STAFF_COOKIE, &token, secure, None, true));
    Ok(with_cookie(r, &cookies::set(Area::Staff(tx.tenant_id()).pending_cookie(), "", secure, Some(0), true)))
}

/// Starts the console session (a fresh id; the old one ends) and sends the operator on to `next`
/// (the tenant list, or the security page after a recovery code), clearing the pending login and
/// the login form's token.
pub async fn start_console_session(
    state: &AppState,
    tx: &mut portal_db::PlatformTx,
    headers: &HeaderMap,
    ip: &ClientIp,
    operator: Uuid,
    next: &str,
) -> Result<Response, AppError> {
    use super::operator::SESSION_COOKIE;
    if let Some(old) = cookies::get(headers, SESSION_COOKIE) {
        portal_operators::end_session(tx, old).await?;
    }
    let origin = portal_operators::Origin {
        user_agent: headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned(),
        client_ip: ip.0.map(|a| a.to_string()).unwrap_or_default(),
    };
    let token = portal_operators::start_session(tx, operator, &origin).await?;
    let secure = state.config.secure_cookies;
    let r = with_cookie(see_other(next), &cookies::set(SESSION_COOKIE, &token, secure, None, true));
    let r = with_cookie(r, &cookies::set(Area::Console.pending_cookie(), "", secure, Some(0), true));
    Ok(with_cookie(r, &cookies::set(super::session::ANON_CSRF_COOKIE, "", secure, Some(0), true)))
}
