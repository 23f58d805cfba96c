//! The job queue for mail: enqueue in the caller's transaction, claim with `FOR UPDATE SKIP LOCKED`,
//! retry with exponential backoff.

use std::sync::Arc;
use std::time::Duration;

use portal_db::{Db, DbError};
use portal_domain::TenantId;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{MailTransport, Message};

/// Kind of a mail job in the `job` table.
pub const KIND: &str = "mail";

/// How long a claimed job is reserved for its worker; after that another worker may take it (the
/// first one died). Jobs are claimed one at a time, so this covers one delivery (the SMTP client
/// gives up after 20 s) and a crashed worker delays its mail by at most this long.
const CLAIM: &str = "60 seconds";

/// Queues a mail in the caller's transaction: it is sent only if that transaction commits.
pub async fn enqueue(conn: &mut PgConnection, tenant: Option<TenantId>, message: &Message) -> Result<Uuid, DbError> {
    let id = Uuid::now_v7();
    let payload = serde_json::to_value(message).unwrap_or_default();
    sqlx::query("insert into job (job_id, tenant_id, kind, payload) values ($1, $2, $3, $4)")
        .bind(id)
        .bind(tenant.map(|t| t.0))
        .bind(KIND)
        .bind(payload)
        .execute(&mut *conn)
        .await?;
    sqlx::query("select pg_notify('job', $1)").bind(KIND).execute(conn).await?;
    Ok(id)
}

/// Delay before attempt `attempts + 1`: 30 s, 1 min, 2 min ... capped at one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    Duration::from_secs((30u64 << exp.min(7)).min(3600))
}

/// A platform transaction for the queue's bookkeeping whose commit does not wait for the disk: a
/// state lost in a database crash only means a mail is tried again, and the short commit keeps
/// the moment between the SMTP server's acceptance and its record (when a killed worker would
/// send the mail again) as short as a round trip.
async fn bookkeeping(db: &Db) -> Result<portal_db::PlatformTx, DbError> {
    let mut tx = db.platform().await?;
    sqlx::query("set local synchronous_commit = off").execute(tx.conn()).await?;
    Ok(tx)
}

/// Claims one due mail job (the one due longest).
async fn claim(db: &Db) -> Result<Option<(Uuid, serde_json::Value, i32, i32)>, DbError> {
    let mut tx = bookkeeping(db).await?;
    let claimed = sqlx::query_as(&format!(
        "update job set status = 'running', attempts = attempts + 1, locked_until = app_now() + interval '{CLAIM}'
         where job_id = (
            select job_id from job
            where kind = $1 and run_at <= app_now() and (status = 'pending' or (status = 'running' and locked_until < app_now()))
            order by run_at limit 1 for update skip locked)
         returning job_id, payload, attempts, max_attempts"
    ))
    .bind(KIND)
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Claims due mail jobs one by one (up to `batch`) and delivers them. Returns how many were
/// delivered. Each job is marked done in its own commit right after the SMTP server accepted it:
/// only a worker killed between those two moments sends a mail twice (at-least-once delivery; the
/// repeat carries the same Message-ID, so mail systems can tell).
pub async fn process_due(db: &Db, transport: &dyn MailTransport, batch: i64) -> Result<usize, DbError> {
    let mut delivered = 0;
    for _ in 0..batch {
        let Some((id, payload, attempts, max_attempts)) = claim(db).await? else { break };
        // the transaction that records the outcome is open before the send, so that only the
        // update and the commit stand between the SMTP server's acceptance and the record of it
        let tx = bookkeeping(db).await?;
        let outcome = match serde_json::from_value::<Message>(payload) {
            Ok(m) => transport.send(&Message { message_id: Some(format!("{id}@kommunalportal")), ..m }).await,
            Err(e) => Err(format!("unreadable payload: {e}")),
        };
        // a database that drops the connection just now (a restart) must not make the mail go
        // twice: the record is tried again for a while, well within the claim
        let mut result = record(tx, id, attempts, max_attempts, &outcome).await;
        for delay_ms in [250, 500, 1000, 2000, 4000, 8000, 15000] {
            let Err(e) = &result else { break };
            tracing::warn!(job.id = %id, error = %e, "recording a mail's outcome failed; trying again");
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            result = match bookkeeping(db).await {
                Ok(tx) => record(tx, id, attempts, max_attempts, &outcome).await,
                Err(e) => Err(e),
            };
        }
        if result? {
            delivered += 1;
        }
    }
    Ok(delivered)
}

/// Records a delivery's outcome (delivered, given up, or due again after the backoff) and commits;
/// whether it was delivered.
async fn record(
    mut tx: portal_db::PlatformTx,
    id: Uuid,
    attempts: i32,
    max_attempts: i32,
    outcome: &Result<(), String>,
) -> Result<bool, DbError> {
    let result = match outcome {
        Ok(()) => {
            // the body (with its link) is not kept once delivered
            sqlx::query("update job set status = 'done', done_at = app_now(), locked_until = null, last_error = null, payload = payload - 'text' - 'html' where job_id = $1")
                .bind(id)
                .execute(tx.conn())
                .await?;
            tracing::info!(job.id = %id, attempts, "mail delivered");
            "ok"
        }
        Err(error) if attempts >= max_attempts => {
            sqlx::query("update job set status = 'failed', locked_until = null, last_error = $2 where job_id = $1")
                .bind(id)
                .bind(error)
                .execute(tx.conn())
                .await?;
            tracing::error!(job.id = %id, attempts, error, "mail given up");
            "failed"
        }
        Err(error) => {
            let delay = backoff(attempts);
            sqlx::query("update job set status = 'pending', locked_until = null, last_error = $2, run_at = app_now() + $3::interval where job_id = $1")
                .bind(id)
                .bind(error)
                .bind(format!("{} seconds", delay.as_secs()))
                .execute(tx.conn())
                .await?;
            tracing::warn!(job.id = %id, attempts, retry_in_s = delay.as_secs(), error, "mail delivery failed; will retry");
            "retry"
        }
    };
    tx.commit().await?;
    metrics::counter!("mail_sent_total", "result" => result).increment(1);
    Ok(result == "ok")
}

/// Delivers queued mail until `shutdown` fires: woken by `NOTIFY job` and at least every `poll`.
pub async fn run_worker(
    db: Db,
    transport: Arc<dyn MailTransport>,
    poll: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut listener = match sqlx::postgres::PgListener::connect_with(db.platform_pool()).await {
        Ok(mut l) => match l.listen("job").await {
            Ok(()) => Some(l),
            Err(_) => None,
        },
        Err(e) => {
            tracing::warn!(error = %e, "mail worker: no NOTIFY listener, polling only");
            None
        }
    };
    let mut last_housekeeping: Option<std::time::Instant> = None;
    loop {
        match process_due(&db, transport.as_ref(), 20).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "mail worker: queue not reachable"),
        }
        if last_housekeeping.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
            last_housekeeping = Some(std::time::Instant::now());
            if let Err(e) = housekeeping(&db).await {
                tracing::warn!(error = %e, "mail worker: housekeeping failed");
            }
        }
        let notified = async {
            match listener.as_mut() {
                Some(l) => {
                    let _ = l.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = notified => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// Reports the queue's depth as metrics and forgets delivered jobs after 30 days (failed ones stay
/// until an operator has looked at them).
async fn housekeeping(db: &Db) -> Result<(), DbError> {
    let mut tx = db.platform().await?;
    let counts: Vec<(String, i64)> = sqlx::query_as("select status, count(*) from job where kind = $1 group by status")
        .bind(KIND)
        .fetch_all(tx.conn())
        .await?;
    for status in ["pending", "running", "done", "failed"] {
        let n = counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
        metrics::gauge!("mail_queue_jobs", "status" => status).set(n as f64);
    }
    sqlx::query("delete from job where status = 'done' and done_at < app_now() - interval '30 days'")
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A job as shown to operators.
#[derive(Debug, Clone)]
pub struct JobSummary {
    pub job_id: Uuid,
    pub tenant_name: Option<String>,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub recipient: Option<String>,
    pub subject: Option<String>,
    pub last_error: Option<String>,
    pub run_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

/// Recent jobs, failed and waiting first.
pub async fn recent(conn: &mut PgConnection, limit: i64) -> Result<Vec<JobSummary>, DbError> {
    type Row = (
        Uuid,
        Option<String>,
        String,
        String,
        i32,
        Option<String>,
        Option<String>,
        Option<String>,
        OffsetDateTime,
        OffsetDateTime,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "select j.job_id, t.name, j.kind, j.status, j.attempts, j.payload->>'to', j.payload->>'subject', j.last_error, j.run_at, j.created_at
         from job j left join tenant t on t.tenant_id = j.tenant_id
         order by case j.status when 'failed' then 0 when 'pending' then 1 when 'running' then 2 else 3 end, j.created_at desc limit $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| JobSummary {
            job_id: r.0,
            tenant_name: r.1,
            kind: r.2,
            status: r.3,
            attempts: r.4,
            recipient: r.5,
            subject: r.6,
            last_error: r.7,
            run_at: r.8,
            created_at: r.9,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(4), Duration::from_secs(240));
        assert_eq!(backoff(12), Duration::from_secs(3600));
    }
}
