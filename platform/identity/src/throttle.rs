//! Failed logins answered with a growing delay instead of a lockout: after `free` failures in a
//! bucket, the next attempt must wait 1 s, then 2 s, 4 s … up to `cap` after the last failure. A
//! success clears the bucket; a day without failures forgets it.
//!
//! Used per account and client address (a long cap: the address guessing slows to a crawl) and per
//! account over all addresses (a short cap: guessing from many addresses is slowed too, while the
//! owner, from anywhere, waits at most the cap and is never locked out).

use portal_db::DbError;
use sqlx::PgConnection;

/// A delay curve.
#[derive(Debug, Clone, Copy)]
pub struct Curve {
    /// Failures without any delay.
    pub free: i32,
    /// The longest delay, in seconds.
    pub cap_secs: i64,
}

/// Per account and client address: five free failures, then up to 15 minutes.
pub const PER_ACCOUNT_AND_ADDRESS: Curve = Curve { free: 5, cap_secs: 15 * 60 };
/// Per account over all addresses: ten free failures, then up to a minute.
pub const PER_ACCOUNT: Curve = Curve { free: 10, cap_secs: 60 };

/// The delay after `failures` failures, in seconds.
pub fn delay_secs(curve: Curve, failures: i32) -> i64 {
    if failures < curve.free {
        return 0;
    }
    let doublings = u32::try_from(failures - curve.free).unwrap_or(0).min(30);
    (1i64 << doublings).min(curve.cap_secs)
}

/// Tries to take the bucket's lock until the transaction ends: attempts on one account are checked
/// one after the other, so that requests sent at once cannot all pass the same free moment. `false`
/// while another attempt holds it (the caller answers "wait a second", without holding a
/// connection in a queue).
pub async fn try_lock(conn: &mut PgConnection, bucket: &str) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar("select pg_try_advisory_xact_lock(hashtextextended('login-throttle:' || $1, 0))")
        .bind(bucket)
        .fetch_one(conn)
        .await?)
}

/// How long the bucket's next attempt must still wait (`None`: it may go ahead now).
pub async fn wait(conn: &mut PgConnection, bucket: &str, curve: Curve) -> Result<Option<std::time::Duration>, DbError> {
    let row: Option<(i32, f64)> =
        sqlx::query_as("select failures, extract(epoch from (app_now() - last_failure_at))::float8 from login_throttle where bucket = $1 and last_failure_at > app_now() - interval '1 day'")
            .bind(bucket)
            .fetch_optional(conn)
            .await?;
    let Some((failures, since)) = row else { return Ok(None) };
    let left = delay_secs(curve, failures) as f64 - since;
    Ok((left > 0.0).then(|| std::time::Duration::from_secs(left.ceil() as u64)))
}

/// Counts a failure.
pub async fn fail(conn: &mut PgConnection, bucket: &str) -> Result<(), DbError> {
    sqlx::query(
        "insert into login_throttle (bucket, failures, last_failure_at) values ($1, 1, app_now())
         on conflict (bucket) do update set
           failures = case when login_throttle.last_failure_at <= app_now() - interval '1 day' then 1 else least(login_throttle.failures + 1, 1000) end,
           last_failure_at = app_now()",
    )
    .bind(bucket)
    .execute(&mut *conn)
    .await?;
    // forgotten buckets go now and then (rows another attempt holds are left for the next time, so
    // that two clean-ups never wait for each other)
    sqlx::query(
        "delete from login_throttle where bucket in
           (select bucket from login_throttle where last_failure_at < app_now() - interval '1 day' limit 100 for update skip locked)",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Clears a bucket (after a successful login).
pub async fn clear(conn: &mut PgConnection, bucket: &str) -> Result<(), DbError> {
    sqlx::query("delete from login_throttle where bucket = $1").bind(bucket).execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_after_the_free_failures_up_to_the_cap() {
        let c = Curve { free: 3, cap_secs: 10 };
        let delays: Vec<i64> = (0..9).map(|f| delay_secs(c, f)).collect();
        assert_eq!(delays, vec![0, 0, 0, 1, 2, 4, 8, 10, 10]);
        assert_eq!(delay_secs(PER_ACCOUNT, 1_000_000), 60, "no overflow, the cap holds");
    }
}
