//! The provider's operations team: operator accounts (argon2id passwords) and server-side console
//! sessions stored in Postgres (only a hash of the session id is kept), each with its CSRF token.

use portal_db::{DbError, PlatformTx};
use time::Duration;
use uuid::Uuid;

/// Idle timeout of a console session.
pub const SESSION_IDLE: Duration = Duration::minutes(30);
/// Absolute lifetime of a console session.
pub const SESSION_MAX: Duration = Duration::hours(12);
/// Shortest operator password.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("the e-mail address is not valid")]
    InvalidEmail,
    #[error(
        "the password must have at least {MIN_PASSWORD_CHARS} characters, not be the e-mail address and not be a common password"
    )]
    WeakPassword,
    #[error("an operator with this e-mail address exists already")]
    EmailTaken,
    #[error("password hashing failed")]
    Hash,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for OperatorError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Sqlx(e))
    }
}

/// Hashes a password with argon2id (the platform's one implementation, in `portal-identity`).
pub async fn hash_password(password: &str) -> Result<String, OperatorError> {
    portal_identity::password::hash(password).await.map_err(|_| OperatorError::Hash)
}

pub use portal_identity::password::verify as verify_password;
pub use portal_identity::secret::{constant_time_eq, random_token};

/// Normalises and checks an e-mail address (one `@`, something on both sides, a dot in the domain).
pub fn normalise_email(input: &str) -> Result<String, OperatorError> {
    let e = input.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !e.chars().any(char::is_whitespace);
    if valid { Ok(e) } else { Err(OperatorError::InvalidEmail) }
}

/// Creates an operator account. Used by the `portal operator create` command.
pub async fn create(
    tx: &mut PlatformTx,
    email: &str,
    display_name: &str,
    password: &str,
) -> Result<Uuid, OperatorError> {
    let email = normalise_email(email)?;
    if password.chars().count() < MIN_PASSWORD_CHARS
        || portal_identity::password::check_policy(password, Some(&email)).is_err()
    {
        return Err(OperatorError::WeakPassword);
    }
    let hash = hash_password(password).await?;
    let id = Uuid::now_v7();
    let r =
        sqlx::query("insert into operator (operator_id, email, display_name, password_hash) values ($1, $2, $3, $4)")
            .bind(id)
            .bind(&email)
            .bind(display_name.trim())
            .bind(&hash)
            .execute(tx.conn())
            .await;
    match r {
        Ok(_) => Ok(id),
        Err(e) if portal_db::violated(&e) == Some("operator_email_key") => Err(OperatorError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// A logged-in operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub operator_id: Uuid,
    pub email: String,
    pub display_name: String,
}

/// Checks e-mail and password. The work done is the same whether the account exists or not, so
/// timing does not reveal registered addresses.
pub async fn authenticate(tx: &mut PlatformTx, email: &str, password: &str) -> Result<Option<Operator>, DbError> {
    let email = email.trim().to_lowercase();
    let row: Option<(Uuid, String, String, String)> = sqlx::query_as(
        "select operator_id, email, display_name, password_hash from operator where email = $1 and disabled_at is null",
    )
    .bind(&email)
    .fetch_optional(tx.conn())
    .await?;
    match row {
        Some((id, email, name, hash)) => {
            let ok = verify_password(password, &hash).await;
            Ok(ok.then_some(Operator { operator_id: id, email, display_name: name }))
        }
        None => {
            portal_identity::password::verify_dummy(password).await;
            Ok(None)
        }
    }
}

fn session_hash(token: &str) -> Vec<u8> {
    portal_identity::secret::token_hash(token)
}

/// A console session as loaded for a request.
#[derive(Debug, Clone)]
pub struct Session {
    pub operator: Operator,
    pub csrf_token: String,
    /// The session's public id (the list of sessions names it; the secret id is the cookie's).
    pub session_id: Uuid,
}

/// Where a session was started from, as the operator's list of sessions shows it.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub user_agent: String,
    pub client_ip: String,
}

/// Starts a session and returns its secret id (the cookie value). A fresh id on every login.
pub async fn start_session(tx: &mut PlatformTx, operator: Uuid, origin: &Origin) -> Result<String, DbError> {
    let token = random_token();
    let csrf = random_token();
    let now = tx.now();
    let agent: String = origin.user_agent.chars().filter(|c| !c.is_control()).take(200).collect();
    sqlx::query("insert into operator_session (session_hash, operator_id, csrf_token, expires_at, created_at, last_seen_at, user_agent, client_ip) values ($1, $2, $3, $4, $5, $5, $6, $7)")
        .bind(session_hash(&token))
        .bind(operator)
        .bind(&csrf)
        .bind(now + SESSION_MAX)
        .bind(now)
        .bind(agent)
        .bind(origin.client_ip.chars().take(64).collect::<String>())
        .execute(tx.conn())
        .await?;
    // opportunistic clean-up of expired sessions
    sqlx::query("delete from operator_session where expires_at < app_now() or last_seen_at < app_now() - $1::interval")
        .bind(format!("{} seconds", SESSION_IDLE.whole_seconds()))
        .execute(tx.conn())
        .await?;
    Ok(token)
}

/// Loads a live session (not expired, not idle too long, operator not disabled) and marks it seen,
/// at most once a minute: the idle timeout is measured in minutes, and a console page that does not
/// write is not held up by a WAL flush.
pub async fn load_session(tx: &mut PlatformTx, token: &str) -> Result<Option<Session>, DbError> {
    let hash = session_hash(token);
    let row: Option<(Uuid, String, String, String, bool, Uuid)> = sqlx::query_as(
        "select o.operator_id, o.email, o.display_name, s.csrf_token, s.last_seen_at < app_now() - interval '60 seconds', s.session_id
         from operator_session s join operator o on o.operator_id = s.operator_id
         where s.session_hash = $1 and o.disabled_at is null
           and s.expires_at > app_now() and s.last_seen_at > app_now() - $2::interval",
    )
    .bind(&hash)
    .bind(format!("{} seconds", SESSION_IDLE.whole_seconds()))
    .fetch_optional(tx.conn())
    .await?;
    let Some((id, email, name, csrf, stale, session_id)) = row else { return Ok(None) };
    if stale {
        sqlx::query("update operator_session set last_seen_at = app_now() where session_hash = $1")
            .bind(&hash)
            .execute(tx.conn())
            .await?;
    }
    Ok(Some(Session {
        operator: Operator { operator_id: id, email, display_name: name },
        csrf_token: csrf,
        session_id,
    }))
}

/// A live session as the operator's list shows it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub session_id: Uuid,
    pub created_at: time::OffsetDateTime,
    pub last_seen_at: time::OffsetDateTime,
    pub origin: Origin,
}

/// The operator's live sessions, the most recently used first.
pub async fn sessions(tx: &mut PlatformTx, operator: Uuid) -> Result<Vec<SessionInfo>, DbError> {
    let rows: Vec<(Uuid, time::OffsetDateTime, time::OffsetDateTime, String, String)> = sqlx::query_as(
        "select session_id, created_at, last_seen_at, user_agent, client_ip from operator_session
         where operator_id = $1 and expires_at > app_now() and last_seen_at > app_now() - $2::interval
         order by last_seen_at desc limit 100",
    )
    .bind(operator)
    .bind(format!("{} seconds", SESSION_IDLE.whole_seconds()))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(session_id, created_at, last_seen_at, user_agent, client_ip)| SessionInfo {
            session_id,
            created_at,
            last_seen_at,
            origin: Origin { user_agent, client_ip },
        })
        .collect())
}

/// Ends one of the operator's sessions by its public id (`None`: every one but `keep`); how many
/// ended. Another operator's session id ends nothing.
pub async fn end_sessions(
    tx: &mut PlatformTx,
    operator: Uuid,
    session: Option<Uuid>,
    keep: Uuid,
) -> Result<u64, DbError> {
    let r = sqlx::query("delete from operator_session where operator_id = $1 and (session_id = $2 or ($2::uuid is null and session_id <> $3))")
        .bind(operator)
        .bind(session)
        .bind(keep)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected())
}

/// An operator by id (the second step of the login).
pub async fn get(tx: &mut PlatformTx, operator: Uuid) -> Result<Option<Operator>, DbError> {
    let row: Option<(Uuid, String, String)> = sqlx::query_as(
        "select operator_id, email, display_name from operator where operator_id = $1 and disabled_at is null",
    )
    .bind(operator)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|(operator_id, email, display_name)| Operator { operator_id, email, display_name }))
}

/// Ends a session (logout).
pub async fn end_session(tx: &mut PlatformTx, token: &str) -> Result<(), DbError> {
    sqlx::query("delete from operator_session where session_hash = $1")
        .bind(session_hash(token))
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_round_trip() {
        let h = hash_password("correct horse battery").await.unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h).await);
        assert!(!verify_password("wrong", &h).await);
        assert!(!verify_password("x", "not a hash").await);
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalise_email(" Ops@Example.DE ").ok().as_deref(), Some("ops@example.de"));
        assert!(normalise_email("no-at.example").is_err());
        assert!(normalise_email("a@b").is_err());
    }
}
