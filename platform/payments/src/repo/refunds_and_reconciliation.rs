//! Refunds, the Stripe event log, and reconciliation (the payments view, totals and daily exports).

use super::*;

/// A refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refund {
    pub refund_id: Uuid,
    pub amount_cents: i64,
    pub reason: String,
    pub status: String,
    pub stripe_refund_id: Option<String>,
    pub staff_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

pub async fn refunds(tx: &mut TenantTx, payment_id: Uuid) -> Result<Vec<Refund>> {
    let rows = sqlx::query("select refund_id, amount_cents, reason, status, stripe_refund_id, staff_name, created_at from payment_refund where payment_id = $1 order by created_at")
        .bind(payment_id)
        .fetch_all(tx.conn())
        .await?;
    Ok(rows
        .iter()
        .map(|r| Refund {
            refund_id: r.get(0),
            amount_cents: r.get(1),
            reason: r.get(2),
            status: r.get(3),
            stripe_refund_id: r.get(4),
            staff_name: r.get(5),
            created_at: r.get(6),
        })
        .collect())
}

/// Refundable amount left: paid minus refunds not failed or cancelled.
pub async fn refundable(tx: &mut TenantTx, p: &Payment) -> Result<i64> {
    let taken: i64 = sqlx::query_scalar("select coalesce(sum(amount_cents), 0)::bigint from payment_refund where payment_id = $1 and status not in ('failed', 'canceled')")
        .bind(p.payment_id)
        .fetch_one(tx.conn())
        .await?;
    Ok(if p.status == PaymentStatus::Succeeded { p.amount_cents - taken } else { 0 })
}

/// Records a refund being asked of Stripe (before the call, so that the idempotency key is stable).
pub async fn add_refund(
    tx: &mut TenantTx,
    payment_id: Uuid,
    amount_cents: i64,
    reason: &str,
    staff: (Uuid, &str),
) -> Result<Uuid> {
    let tenant = tx.tenant_id();
    let id = Uuid::now_v7();
    sqlx::query("insert into payment_refund (tenant_id, refund_id, payment_id, amount_cents, reason, staff_id, staff_name) values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(tenant.0)
        .bind(id)
        .bind(payment_id)
        .bind(amount_cents)
        .bind(reason)
        .bind(staff.0)
        .bind(staff.1)
        .execute(tx.conn())
        .await?;
    Ok(id)
}

pub(super) fn refund_status(s: &str) -> &'static str {
    match s {
        "succeeded" => "succeeded",
        "failed" => "failed",
        "canceled" => "canceled",
        _ => "pending",
    }
}

pub(super) async fn recompute_refunded(tx: &mut TenantTx, payment_id: Uuid) -> Result<()> {
    sqlx::query(
        "update payment set refunded_cents = least(amount_cents, (select coalesce(sum(amount_cents), 0) from payment_refund r
             where r.payment_id = payment.payment_id and r.status = 'succeeded')) where payment_id = $1",
    )
    .bind(payment_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records Stripe's answer for a refund asked by the platform.
pub async fn set_refund_remote(tx: &mut TenantTx, refund_id: Uuid, payment_id: Uuid, r: &RemoteRefund) -> Result<()> {
    sqlx::query("update payment_refund set stripe_refund_id = $2, status = $3 where refund_id = $1")
        .bind(refund_id)
        .bind(&r.id)
        .bind(refund_status(&r.status))
        .execute(tx.conn())
        .await?;
    recompute_refunded(tx, payment_id).await
}

/// A refund asked of Stripe failed before Stripe took it.
pub async fn fail_refund(tx: &mut TenantTx, refund_id: Uuid) -> Result<()> {
    sqlx::query("update payment_refund set status = 'failed' where refund_id = $1")
        .bind(refund_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Applies a refund event: its state for a refund we know (by Stripe id). Returns whether it changed.
pub async fn apply_refund_event(tx: &mut TenantTx, r: &RemoteRefund) -> Result<bool> {
    let row: Option<(Uuid, String)> =
        sqlx::query_as("select payment_id, status from payment_refund where stripe_refund_id = $1 for update")
            .bind(&r.id)
            .fetch_optional(tx.conn())
            .await?;
    let Some((payment_id, status)) = row else { return Ok(false) };
    let new = refund_status(&r.status);
    // a final refund state stays
    if status == new || matches!(status.as_str(), "succeeded" | "failed" | "canceled") {
        return Ok(false);
    }
    sqlx::query("update payment_refund set status = $2 where stripe_refund_id = $1")
        .bind(&r.id)
        .bind(new)
        .execute(tx.conn())
        .await?;
    recompute_refunded(tx, payment_id).await?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Stripe events

/// Stores an event once. False if it was already received (a redelivery): nothing is to be done.
pub async fn record_event(
    tx: &mut TenantTx,
    id: &str,
    event_type: &str,
    object_id: &str,
    created: i64,
    payload: &serde_json::Value,
    outcome: &str,
) -> Result<bool> {
    let tenant = tx.tenant_id();
    let n = sqlx::query(
        "insert into payment_event (tenant_id, event_id, event_type, object_id, stripe_created, payload, outcome) values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (tenant_id, event_id) do nothing",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(event_type)
    .bind(object_id)
    .bind(ts(created))
    .bind(payload)
    .bind(outcome)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn set_event_outcome(tx: &mut TenantTx, id: &str, outcome: &str) -> Result<()> {
    sqlx::query("update payment_event set outcome = $2 where event_id = $1")
        .bind(id)
        .bind(outcome)
        .execute(tx.conn())
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// reconciliation

/// Filters of the payments view.
#[derive(Debug, Clone, Default)]
pub struct PaymentQuery {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub service: Option<String>,
    pub status: Option<PaymentStatus>,
    /// The services a case worker is limited to (`None`: all, for admins and unscoped staff).
    pub scope: Option<Vec<String>>,
    pub limit: i64,
    pub offset: i64,
}

pub(super) const LOCAL_DAY: &str = "(p.created_at at time zone 'Europe/Berlin')::date";

pub(super) fn where_of() -> String {
    format!(
        "where ($1::date is null or {LOCAL_DAY} >= $1) and ($2::date is null or {LOCAL_DAY} <= $2)
           and ($3::text is null or p.service_slug = $3) and ($4::text is null or p.status = $4)
           and ($5::text[] is null or p.service_slug = any($5))"
    )
}

/// Payments matching the filters, newest first, and how many match.
pub async fn list(tx: &mut TenantTx, q: &PaymentQuery) -> Result<(Vec<Payment>, i64)> {
    let w = where_of();
    let rows = sqlx::query(&format!("{PAYMENT_SELECT} {w} order by p.created_at desc limit $6 offset $7"))
        .bind(q.from)
        .bind(q.to)
        .bind(&q.service)
        .bind(q.status.map(PaymentStatus::code))
        .bind(&q.scope)
        .bind(q.limit)
        .bind(q.offset)
        .fetch_all(tx.conn())
        .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from payment p {w}"))
        .bind(q.from)
        .bind(q.to)
        .bind(&q.service)
        .bind(q.status.map(PaymentStatus::code))
        .bind(&q.scope)
        .fetch_one(tx.conn())
        .await?;
    Ok((rows.iter().map(payment_from).collect(), total))
}

/// Totals per day and service of what was paid (succeeded), for the filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayTotal {
    pub day: Date,
    pub service_slug: String,
    pub count: i64,
    pub amount_cents: i64,
    pub fee_cents: i64,
    pub refunded_cents: i64,
}

pub async fn totals(tx: &mut TenantTx, q: &PaymentQuery) -> Result<Vec<DayTotal>> {
    let w = where_of();
    let rows = sqlx::query(&format!(
        "select {LOCAL_DAY} as day, p.service_slug, count(*), sum(p.amount_cents)::bigint, sum(p.application_fee_cents)::bigint, sum(p.refunded_cents)::bigint
           from payment p {w} and p.status = 'succeeded' group by 1, 2 order by 1 desc, 2"
    ))
    .bind(q.from)
    .bind(q.to)
    .bind(&q.service)
    .bind(q.status.map(PaymentStatus::code))
    .bind(&q.scope)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .iter()
        .map(|r| DayTotal {
            day: r.get(0),
            service_slug: r.get(1),
            count: r.get(2),
            amount_cents: r.get(3),
            fee_cents: r.get(4),
            refunded_cents: r.get(5),
        })
        .collect())
}

/// A stored daily export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportInfo {
    pub date: Date,
    pub rows: i32,
    pub total_cents: i64,
}

pub async fn exports(tx: &mut TenantTx, limit: i64) -> Result<Vec<ExportInfo>> {
    let rows = sqlx::query(
        "select export_date, row_count, total_cents from payment_export order by export_date desc limit $1",
    )
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.iter().map(|r| ExportInfo { date: r.get(0), rows: r.get(1), total_cents: r.get(2) }).collect())
}

pub async fn export_csv(tx: &mut TenantTx, date: Date) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("select csv from payment_export where export_date = $1")
        .bind(date)
        .fetch_optional(tx.conn())
        .await?)
}

/// Stores the day's export once (a second server or run finds it there).
pub async fn store_export(tx: &mut TenantTx, date: Date, rows: i32, total_cents: i64, csv: &str) -> Result<bool> {
    let tenant = tx.tenant_id();
    let n = sqlx::query("insert into payment_export (tenant_id, export_date, row_count, total_cents, csv) values ($1, $2, $3, $4, $5) on conflict do nothing")
        .bind(tenant.0)
        .bind(date)
        .bind(rows)
        .bind(total_cents)
        .bind(csv)
        .execute(tx.conn())
        .await?
        .rows_affected();
    Ok(n == 1)
}
