//! Per service: the fee rule, booking data and timing of a service's payments.

use super::*;

/// When the case is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Timing {
    /// Only once paid.
    Before,
    /// At once; the fee is due within the service's days.
    After,
}

impl Timing {
    pub fn code(self) -> &'static str {
        match self {
            Timing::Before => "before",
            Timing::After => "after",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "before" => Some(Timing::Before),
            "after" => Some(Timing::After),
            _ => None,
        }
    }
}

/// A service's fee rule and booking data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePayment {
    pub service_slug: String,
    pub rule: FeeRule,
    pub booking_text: BookingText,
    pub assignment: AccountAssignment,
    pub timing: Timing,
    pub pay_days: i32,
}

pub(super) fn service_payment_from(r: &PgRow) -> Option<ServicePayment> {
    Some(ServicePayment {
        service_slug: r.get("service_slug"),
        rule: serde_json::from_value(r.get("fee_rule")).ok()?,
        booking_text: BookingText::parse(r.get("booking_text")).ok()?,
        assignment: AccountAssignment {
            cost_centre: r.get("cost_centre"),
            account: r.get("account"),
            cost_unit: r.get("cost_unit"),
        },
        timing: Timing::parse(r.get("timing"))?,
        pay_days: r.get("pay_days"),
    })
}

pub(super) const SERVICE_PAYMENT_COLUMNS: &str =
    "service_slug, fee_rule, booking_text, cost_centre, account, cost_unit, timing, pay_days";

pub async fn service_payment(tx: &mut TenantTx, slug: &str) -> Result<Option<ServicePayment>> {
    let row = sqlx::query(&format!("select {SERVICE_PAYMENT_COLUMNS} from service_payment where service_slug = $1"))
        .bind(slug)
        .fetch_optional(tx.conn())
        .await?;
    Ok(row.as_ref().and_then(service_payment_from))
}

pub async fn service_payments(tx: &mut TenantTx) -> Result<Vec<ServicePayment>> {
    let rows = sqlx::query(&format!("select {SERVICE_PAYMENT_COLUMNS} from service_payment order by service_slug"))
        .fetch_all(tx.conn())
        .await?;
    Ok(rows.iter().filter_map(service_payment_from).collect())
}

/// Saves a service's payment settings; false if the tenant does not offer the service.
pub async fn save_service_payment(tx: &mut TenantTx, p: &ServicePayment) -> Result<bool> {
    let tenant = tx.tenant_id();
    let offered: bool = sqlx::query_scalar("select exists (select 1 from service_activation where service_slug = $1)")
        .bind(&p.service_slug)
        .fetch_one(tx.conn())
        .await?;
    if !offered {
        return Ok(false);
    }
    sqlx::query(
        "insert into service_payment (tenant_id, service_slug, fee_rule, booking_text, cost_centre, account, cost_unit, timing, pay_days)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (tenant_id, service_slug) do update set fee_rule = excluded.fee_rule, booking_text = excluded.booking_text,
             cost_centre = excluded.cost_centre, account = excluded.account, cost_unit = excluded.cost_unit, timing = excluded.timing, pay_days = excluded.pay_days",
    )
    .bind(tenant.0)
    .bind(&p.service_slug)
    .bind(serde_json::to_value(&p.rule).unwrap_or_default())
    .bind(p.booking_text.as_str())
    .bind(&p.assignment.cost_centre)
    .bind(&p.assignment.account)
    .bind(&p.assignment.cost_unit)
    .bind(p.timing.code())
    .bind(p.pay_days)
    .execute(tx.conn())
    .await?;
    Ok(true)
}

pub async fn delete_service_payment(tx: &mut TenantTx, slug: &str) -> Result<()> {
    sqlx::query("delete from service_payment where service_slug = $1").bind(slug).execute(tx.conn()).await?;
    Ok(())
}
