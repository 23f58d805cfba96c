//! Rate limits of anonymous and login requests: per client address, per account, per mail recipient.
//! Counted in a transaction of its own (the counts outlive a failed request): a tenant's request in
//! its own pool, so that a flood of anonymous posts cannot starve the small platform pool (console,
//! workers, webhooks); the console's in the platform's.

use std::time::Duration;

use portal_domain::TenantId;
use portal_identity::ratelimit::{self, Limit};
use portal_identity::secret::fingerprint;
use portal_web::AppError;
use portal_web::AppState;
use portal_web::host::ClientIp;

use super::pipeline::AnyTx;

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
pub async fn login_allowed(
    state: &AppState,
    tenant: Option<TenantId>,
    ip: &ClientIp,
    account_bucket: &str,
) -> Result<bool, AppError> {
    let mut tx = AnyTx::own(state, tenant).await?;
    let ip_ok = ratelimit::hit(tx.conn(), &address_bucket(ip), ratelimit::LOGIN_PER_ADDRESS).await?;
    let account_ok = !ratelimit::exhausted(tx.conn(), account_bucket, ratelimit::LOGIN_PER_ACCOUNT).await?;
    tx.finish().await?;
    Ok(ip_ok && account_ok)
}

/// The rate-limit bucket of login attempts from a client address.
pub fn address_bucket(ip: &ClientIp) -> String {
    format!("login-ip:{}", ip_key(ip))
}

/// Whether the client address may try to log in to the console or the staff area: its failed
/// attempts (counted by `kit::second_factor::login_failed`) within their limit. Logins that go
/// through do not count, so that a town hall whose staff share one address can all log in at eight.
pub async fn login_address_allowed(
    state: &AppState,
    tenant: Option<TenantId>,
    ip: &ClientIp,
) -> Result<bool, AppError> {
    let mut tx = AnyTx::own(state, tenant).await?;
    let exhausted = ratelimit::exhausted(tx.conn(), &address_bucket(ip), ratelimit::LOGIN_PER_ADDRESS).await?;
    tx.finish().await?;
    Ok(!exhausted)
}

/// Per target address: at most 5 mails an hour (no mail bombing through our forms).
const MAIL_PER_RECIPIENT: Limit = Limit { max: 5, window: time::Duration::hours(1) };

/// Counts a mail requested from `ip` to `to`; false when the address or the recipient is over its
/// limit (registration, password reset, a guest's application confirmation ...).
pub async fn mail_allowed(state: &AppState, ip: &ClientIp, tenant: TenantId, to: &str) -> Result<bool, AppError> {
    Ok(mail_wait(state, ip, tenant, to).await?.is_none())
}

/// [`mail_allowed`], saying how long to wait when over the limit.
pub async fn mail_wait(
    state: &AppState,
    ip: &ClientIp,
    tenant: TenantId,
    to: &str,
) -> Result<Option<Duration>, AppError> {
    limits_wait(
        state,
        tenant,
        &[
            (format!("mail-ip:{}", ip_key(ip)), ratelimit::MAIL_PER_ADDRESS),
            (format!("mail-to:{}:{}", tenant.0, fingerprint(&to.trim().to_lowercase())), MAIL_PER_RECIPIENT),
        ],
    )
    .await
}

/// Counts one `what` (e.g. `guest-draft`) from `ip` for the tenant; 429 when the address is over
/// `limit`, with `Retry-After` and a page saying when the window ends.
pub async fn allow_per_address(
    state: &AppState,
    tenant: TenantId,
    ip: &ClientIp,
    what: &str,
    limit: Limit,
) -> Result<(), AppError> {
    match limits_wait(state, tenant, &[(format!("{what}-ip:{}", ip_key(ip)), limit)]).await? {
        None => Ok(()),
        Some(wait) => Err(AppError::too_many_requests_for(wait)),
    }
}

/// Counts one hit on each bucket, in one transaction; `None` while all are within their limits,
/// else how long to wait: until the last full bucket's window ends.
async fn limits_wait(
    state: &AppState,
    tenant: TenantId,
    buckets: &[(String, Limit)],
) -> Result<Option<Duration>, AppError> {
    let mut tx = AnyTx::own(state, Some(tenant)).await?;
    let mut wait: Option<Duration> = None;
    for (bucket, limit) in buckets {
        if let Some(w) = ratelimit::hit_or_wait(tx.conn(), bucket, *limit).await? {
            wait = Some(wait.map_or(w, |v| v.max(w)));
        }
    }
    tx.finish().await?;
    Ok(wait)
}
