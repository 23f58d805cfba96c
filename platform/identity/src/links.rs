//! Single-use links sent by e-mail: address verification, password reset, confirmation of a new
//! address, staff invitation. Only a hash of the token is stored; a link works once, until it expires.

use portal_db::{DbError, TenantTx};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::secret::{random_token, token_hash};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
    StaffInvite,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
            Purpose::StaffInvite => "staff_invite",
        }
    }

    /// How long a link stays valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail | Purpose::ChangeEmail => Duration::hours(24),
            Purpose::ResetPassword => Duration::hours(1),
            Purpose::StaffInvite => Duration::days(7),
        }
    }
}

/// Why a link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// No such link (mistyped, or of another tenant).
    Unknown,
    /// Used before.
    Used,
    /// Too old.
    Expired,
}

/// A link's content once it has been accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub subject_id: Uuid,
    pub new_email: Option<String>,
    pub secret_hash: Option<String>,
}

/// Issues a link token. Earlier unused links of the same purpose for the subject stop working.
pub async fn issue(
    tx: &mut TenantTx,
    purpose: Purpose,
    subject: Uuid,
    new_email: Option<&str>,
    secret_hash: Option<&str>,
) -> Result<String, DbError> {
    let tenant = tx.tenant_id().0;
    sqlx::query("update one_time_token set used_at = app_now() where tenant_id = $1 and subject_id = $2 and purpose = $3 and used_at is null")
        .bind(tenant)
        .bind(subject)
        .bind(purpose.as_str())
        .execute(tx.conn())
        .await?;
    // links of this tenant that can no longer be used go after a while
    sqlx::query("delete from one_time_token where tenant_id = $1 and expires_at < app_now() - interval '30 days'")
        .bind(tenant)
        .execute(tx.conn())
        .await?;
    let token = random_token();
    sqlx::query("insert into one_time_token (tenant_id, token_hash, purpose, subject_id, new_email, secret_hash, expires_at) values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(tenant)
        .bind(token_hash(&token))
        .bind(purpose.as_str())
        .bind(subject)
        .bind(new_email)
        .bind(secret_hash)
        .bind(tx.now() + purpose.lifetime())
        .execute(tx.conn())
        .await?;
    Ok(token)
}

/// Checks a link without using it up (to show the form behind it).
pub async fn peek(tx: &mut TenantTx, purpose: Purpose, token: &str) -> Result<Result<Accepted, LinkProblem>, DbError> {
    lookup(tx, purpose, token, false).await
}

/// Uses a link up: it works exactly once.
pub async fn consume(
    tx: &mut TenantTx,
    purpose: Purpose,
    token: &str,
) -> Result<Result<Accepted, LinkProblem>, DbError> {
    lookup(tx, purpose, token, true).await
}

async fn lookup(
    tx: &mut TenantTx,
    purpose: Purpose,
    token: &str,
    consume: bool,
) -> Result<Result<Accepted, LinkProblem>, DbError> {
    let tenant = tx.tenant_id().0;
    type Row = (Uuid, Option<String>, Option<String>, OffsetDateTime, Option<OffsetDateTime>);
    let row: Option<Row> = sqlx::query_as("select subject_id, new_email, secret_hash, expires_at, used_at from one_time_token where tenant_id = $1 and token_hash = $2 and purpose = $3 for update")
        .bind(tenant)
        .bind(token_hash(token))
        .bind(purpose.as_str())
        .fetch_optional(tx.conn())
        .await?;
    let Some((subject_id, new_email, secret_hash, expires_at, used_at)) = row else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if used_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if expires_at <= tx.now() {
        return Ok(Err(LinkProblem::Expired));
    }
    if consume {
        sqlx::query("update one_time_token set used_at = app_now() where tenant_id = $1 and token_hash = $2")
            .bind(tenant)
            .bind(token_hash(token))
            .execute(tx.conn())
            .await?;
    }
    Ok(Ok(Accepted { subject_id, new_email, secret_hash }))
}

/// The secret of the latest link of a purpose for a subject, used or not (to re-send a registration
/// link with the password chosen at registration).
pub async fn latest_secret(tx: &mut TenantTx, purpose: Purpose, subject: Uuid) -> Result<Option<String>, DbError> {
    let tenant = tx.tenant_id().0;
    let s: Option<Option<String>> = sqlx::query_scalar("select secret_hash from one_time_token where tenant_id = $1 and subject_id = $2 and purpose = $3 order by created_at desc limit 1")
        .bind(tenant)
        .bind(subject)
        .bind(purpose.as_str())
        .fetch_optional(tx.conn())
        .await?;
    Ok(s.flatten())
}
