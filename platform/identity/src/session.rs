//! Server-side sessions of citizens and staff on a tenant's portal.
//!
//! The cookie holds a random id; the database keeps its hash in a tenant-owned table, so a session
//! id presented on another tenant's host finds nothing there (row-level security). A new id is
//! issued at every login and privilege change; sessions end after [`IDLE`] without a request and
//! after [`MAX_AGE`] in any case.

use portal_db::{DbError, TenantTx};
use time::Duration;
use uuid::Uuid;

use crate::secret::{random_token, token_hash};

/// Idle timeout.
pub const IDLE: Duration = Duration::minutes(30);
/// Absolute lifetime.
pub const MAX_AGE: Duration = Duration::hours(12);

/// Whose session it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Citizen(Uuid),
    Staff(Uuid),
}

/// A live session as loaded for a request.
#[derive(Debug, Clone)]
pub struct Session {
    pub subject: Subject,
    pub csrf_token: String,
}

fn idle_interval() -> String {
    format!("{} seconds", IDLE.whole_seconds())
}

/// Starts a session and returns its secret id (the cookie value).
pub async fn start(tx: &mut TenantTx, subject: Subject) -> Result<String, DbError> {
    let token = random_token();
    let (citizen, staff) = match subject {
        Subject::Citizen(id) => (Some(id), None),
        Subject::Staff(id) => (None, Some(id)),
    };
    let tenant = tx.tenant_id().0;
    sqlx::query("insert into user_session (tenant_id, session_hash, citizen_id, staff_id, csrf_token, expires_at) values ($1, $2, $3, $4, $5, $6)")
        .bind(tenant)
        .bind(token_hash(&token))
        .bind(citizen)
        .bind(staff)
        .bind(random_token())
        .bind(tx.now() + MAX_AGE)
        .execute(tx.conn())
        .await?;
    // opportunistic clean-up of this tenant's dead sessions
    sqlx::query("delete from user_session where tenant_id = $1 and (expires_at < app_now() or last_seen_at < app_now() - $2::interval)").bind(tenant).bind(idle_interval()).execute(tx.conn()).await?;
    Ok(token)
}

/// How stale `last_seen_at` may get before a request writes it again: the idle timeout is measured
/// in minutes, and not writing on every request keeps page views read-only (no WAL flush each).
const SEEN_GRANULARITY: &str = "60 seconds";

/// Loads a live session of the wanted kind and marks it seen (at most once a minute). Staff
/// sessions of users who are no longer active do not load.
pub async fn load(tx: &mut TenantTx, token: &str, staff: bool) -> Result<Option<Session>, DbError> {
    let tenant = tx.tenant_id().0;
    let hash = token_hash(token);
    let row: Option<(Option<Uuid>, Option<Uuid>, String, bool)> = sqlx::query_as(&format!(
        "select s.citizen_id, s.staff_id, s.csrf_token, s.last_seen_at < app_now() - interval '{SEEN_GRANULARITY}'
         from user_session s
         where s.tenant_id = $1 and s.session_hash = $2 and s.expires_at > app_now() and s.last_seen_at > app_now() - $3::interval
           and (case when $4 then s.staff_id is not null and exists (select 1 from staff_user u where u.tenant_id = s.tenant_id and u.staff_id = s.staff_id and u.status = 'active')
                     else s.citizen_id is not null end)"
    ))
    .bind(tenant)
    .bind(&hash)
    .bind(idle_interval())
    .bind(staff)
    .fetch_optional(tx.conn())
    .await?;
    let Some((citizen, staff_id, csrf_token, stale)) = row else { return Ok(None) };
    if stale {
        sqlx::query("update user_session set last_seen_at = app_now() where tenant_id = $1 and session_hash = $2")
            .bind(tenant)
            .bind(&hash)
            .execute(tx.conn())
            .await?;
    }
    let subject = match (citizen, staff_id) {
        (Some(c), None) => Subject::Citizen(c),
        (None, Some(s)) => Subject::Staff(s),
        _ => return Ok(None),
    };
    Ok(Some(Session { subject, csrf_token }))
}

/// Ends one session (logout).
pub async fn end(tx: &mut TenantTx, token: &str) -> Result<(), DbError> {
    let tenant = tx.tenant_id().0;
    sqlx::query("delete from user_session where tenant_id = $1 and session_hash = $2")
        .bind(tenant)
        .bind(token_hash(token))
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Ends every session of a subject (password change elsewhere, revocation, deletion).
pub async fn end_all(tx: &mut TenantTx, subject: Subject) -> Result<u64, DbError> {
    let tenant = tx.tenant_id().0;
    let r = match subject {
        Subject::Citizen(id) => {
            sqlx::query("delete from user_session where tenant_id = $1 and citizen_id = $2")
                .bind(tenant)
                .bind(id)
                .execute(tx.conn())
                .await?
        }
        Subject::Staff(id) => {
            sqlx::query("delete from user_session where tenant_id = $1 and staff_id = $2")
                .bind(tenant)
                .bind(id)
                .execute(tx.conn())
                .await?
        }
    };
    Ok(r.rows_affected())
}
