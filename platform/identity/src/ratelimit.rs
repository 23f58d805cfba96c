//! Attempt counters in fixed windows, kept in Postgres so that every server sees the same counts.

use portal_db::DbError;
use sqlx::PgConnection;
use time::Duration;

/// A limit: at most `max` hits per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i32,
    pub window: Duration,
}

/// Failed logins per account (tenant + e-mail) in 15 minutes.
pub const LOGIN_PER_ACCOUNT: Limit = Limit { max: 5, window: Duration::minutes(15) };
/// Login attempts per source address in 15 minutes.
pub const LOGIN_PER_ADDRESS: Limit = Limit { max: 30, window: Duration::minutes(15) };
/// Mails a source address may trigger (registration, reset, re-send) per hour.
pub const MAIL_PER_ADDRESS: Limit = Limit { max: 20, window: Duration::hours(1) };

fn interval(limit: Limit) -> String {
    format!("{} seconds", limit.window.whole_seconds())
}

/// Whether the bucket has reached its limit, without counting.
pub async fn exhausted(conn: &mut PgConnection, bucket: &str, limit: Limit) -> Result<bool, DbError> {
    let hits: Option<i32> =
        sqlx::query_scalar("select hits from rate_limit where bucket = $1 and window_start > app_now() - $2::interval")
            .bind(bucket)
            .bind(interval(limit))
            .fetch_optional(conn)
            .await?;
    Ok(hits.is_some_and(|h| h >= limit.max))
}

/// Counts a hit and returns whether the bucket was within its limit before it.
pub async fn hit(conn: &mut PgConnection, bucket: &str, limit: Limit) -> Result<bool, DbError> {
    Ok(hit_or_wait(conn, bucket, limit).await?.is_none())
}

/// [`hit`], saying how long the caller must wait when over the limit: until the bucket's window
/// ends (at least a second). `None` while within the limit.
pub async fn hit_or_wait(
    conn: &mut PgConnection,
    bucket: &str,
    limit: Limit,
) -> Result<Option<std::time::Duration>, DbError> {
    let (hits, left): (i32, f64) = sqlx::query_as(
        "insert into rate_limit (bucket, window_start, hits) values ($1, app_now(), 1)
         on conflict (bucket) do update set
           hits = case when rate_limit.window_start <= app_now() - $2::interval then 1 else rate_limit.hits + 1 end,
           window_start = case when rate_limit.window_start <= app_now() - $2::interval then app_now() else rate_limit.window_start end
         returning hits, extract(epoch from (window_start + $2::interval - app_now()))::float8",
    )
    .bind(bucket)
    .bind(interval(limit))
    .fetch_one(&mut *conn)
    .await?;
    // old buckets go now and then
    if hits == 1 {
        sqlx::query("delete from rate_limit where window_start < app_now() - interval '1 day'").execute(conn).await?;
    }
    Ok((hits > limit.max).then(|| std::time::Duration::from_secs(left.ceil().max(1.0) as u64)))
}

/// Clears a bucket (after a successful login).
pub async fn clear(conn: &mut PgConnection, bucket: &str) -> Result<(), DbError> {
    sqlx::query("delete from rate_limit where bucket = $1").bind(bucket).execute(conn).await?;
    Ok(())
}
