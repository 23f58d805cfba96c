//! Payment data in PostgreSQL. Tenant data through [`TenantTx`] (row-level security); plans and the
//! account → tenant map are platform reference tables.

use portal_db::{DbError, TenantTx};
use portal_domain::TenantId;
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::booking::{AccountAssignment, BookingText, KassenzeichenScheme, Method};
use crate::fee::{Fee, FeeRule, PlanFee};
use crate::gateway::{RemoteAccount, RemoteIntent, RemoteRefund};
use crate::state::{self, PaymentStatus};

mod refunds_and_reconciliation;
mod service;
pub use refunds_and_reconciliation::*;
pub use service::*;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The connected account is already another tenant's.
    #[error("the Stripe account is connected to another portal")]
    AccountTaken,
}

impl From<sqlx::Error> for RepoError {
    fn from(e: sqlx::Error) -> Self {
        RepoError::Db(DbError::Sqlx(e))
    }
}

type Result<T, E = RepoError> = std::result::Result<T, E>;

fn ts(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

// ---------------------------------------------------------------------------------------------
// plans (platform)

/// A plan with its application fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub slug: String,
    pub name: String,
    pub fee_fixed_cents: i64,
    pub fee_basis_points: i32,
    pub tenants: i64,
}

impl Plan {
    pub fn fee(&self) -> PlanFee {
        PlanFee { fixed_cents: self.fee_fixed_cents, basis_points: i64::from(self.fee_basis_points) }
    }
}

pub async fn plans(conn: &mut PgConnection) -> Result<Vec<Plan>> {
    let rows = sqlx::query(
        "select p.plan_slug, p.name, p.fee_fixed_cents, p.fee_basis_points, count(t.tenant_id) as tenants
           from plan p left join tenant t on t.plan_slug = p.plan_slug group by p.plan_slug order by p.fee_fixed_cents, p.plan_slug",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Plan {
            slug: r.get(0),
            name: r.get(1),
            fee_fixed_cents: r.get(2),
            fee_basis_points: r.get(3),
            tenants: r.get(4),
        })
        .collect())
}

/// Sets a plan's application fee; false if there is no such plan.
pub async fn set_plan_fee(conn: &mut PgConnection, slug: &str, fixed_cents: i64, basis_points: i32) -> Result<bool> {
    let n = sqlx::query("update plan set fee_fixed_cents = $2, fee_basis_points = $3 where plan_slug = $1")
        .bind(slug)
        .bind(fixed_cents)
        .bind(basis_points)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Moves a tenant to another plan; false if the plan does not exist.
pub async fn set_tenant_plan(conn: &mut PgConnection, tenant: TenantId, slug: &str) -> Result<bool> {
    let exists: bool = sqlx::query_scalar("select exists (select 1 from plan where plan_slug = $1)")
        .bind(slug)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(false);
    }
    sqlx::query("update tenant set plan_slug = $2 where tenant_id = $1")
        .bind(tenant.0)
        .bind(slug)
        .execute(conn)
        .await?;
    Ok(true)
}

/// The plan of the transaction's tenant.
pub async fn plan_of(tx: &mut TenantTx) -> Result<Plan> {
    let tenant = tx.tenant_id();
    let r =
        sqlx::query("select p.plan_slug, p.name, p.fee_fixed_cents, p.fee_basis_points from plan p join tenant t using (plan_slug) where t.tenant_id = $1").bind(tenant.0).fetch_one(tx.conn()).await?;
    Ok(Plan { slug: r.get(0), name: r.get(1), fee_fixed_cents: r.get(2), fee_basis_points: r.get(3), tenants: 1 })
}

/// The tenant a connected account belongs to.
pub async fn tenant_of_account(conn: &mut PgConnection, account: &str) -> Result<Option<TenantId>> {
    let id: Option<Uuid> = sqlx::query_scalar("select tenant_id from stripe_account where account_id = $1")
        .bind(account)
        .fetch_optional(conn)
        .await?;
    Ok(id.map(TenantId))
}

// ---------------------------------------------------------------------------------------------
// the tenant's setup

/// A tenant's payment setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentSetup {
    pub online: bool,
    pub stripe_account_id: Option<String>,
    pub charges_enabled: bool,
    pub details_submitted: bool,
    pub requirements_due: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub checked_at: Option<OffsetDateTime>,
    pub methods: Vec<Method>,
    pub offline_note_de: String,
    pub offline_note_en: String,
    pub kassenzeichen: KassenzeichenScheme,
    pub reminder_days: i32,
    pub cash_office_email: Option<String>,
}

impl Default for PaymentSetup {
    fn default() -> Self {
        Self {
            online: false,
            stripe_account_id: None,
            charges_enabled: false,
            details_submitted: false,
            requirements_due: 0,
            checked_at: None,
            methods: vec![Method::Card],
            offline_note_de: String::new(),
            offline_note_en: String::new(),
            kassenzeichen: KassenzeichenScheme::default(),
            reminder_days: 3,
            cash_office_email: None,
        }
    }
}

impl PaymentSetup {
    /// Online payment can be taken now: switched on, account connected and able to charge.
    pub fn takes_payments(&self) -> bool {
        self.online && self.stripe_account_id.is_some() && self.charges_enabled
    }
}

pub async fn setup(tx: &mut TenantTx) -> Result<PaymentSetup> {
    let row = sqlx::query(
        "select mode, stripe_account_id, account_charges_enabled, account_details_submitted, account_requirements_due, account_checked_at,
                methods, offline_note_de, offline_note_en, kassenzeichen_prefix, kassenzeichen_digits, reminder_days, cash_office_email
           from payment_setup",
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(r) = row else { return Ok(PaymentSetup::default()) };
    let methods: Vec<String> = r.get("methods");
    let prefix: String = r.get("kassenzeichen_prefix");
    let digits: i32 = r.get("kassenzeichen_digits");
    Ok(PaymentSetup {
        online: r.get::<&str, _>("mode") == "online",
        stripe_account_id: r.get("stripe_account_id"),
        charges_enabled: r.get("account_charges_enabled"),
        details_submitted: r.get("account_details_submitted"),
        requirements_due: r.get("account_requirements_due"),
        checked_at: r.get("account_checked_at"),
        methods: methods.iter().filter_map(|m| Method::parse(m).ok()).collect(),
        offline_note_de: r.get("offline_note_de"),
        offline_note_en: r.get("offline_note_en"),
        kassenzeichen: KassenzeichenScheme::parse(&prefix, &digits.to_string()).unwrap_or_default(),
        reminder_days: r.get("reminder_days"),
        cash_office_email: r.get("cash_office_email"),
    })
}

/// Saves the setup (already validated). A changed account starts unchecked; the account → tenant
/// map is kept in the same transaction, and refuses an account another tenant has.
pub async fn save_setup(tx: &mut TenantTx, s: &PaymentSetup) -> Result<()> {
    let tenant = tx.tenant_id();
    let previous: Option<String> =
        sqlx::query_scalar("select stripe_account_id from payment_setup").fetch_optional(tx.conn()).await?.flatten();
    if previous != s.stripe_account_id {
        sqlx::query("delete from stripe_account where tenant_id = $1").bind(tenant.0).execute(tx.conn()).await?;
        if let Some(acct) = &s.stripe_account_id {
            let inserted = sqlx::query("insert into stripe_account (account_id, tenant_id) values ($1, $2) on conflict (account_id) do nothing")
                .bind(acct)
                .bind(tenant.0)
                .execute(tx.conn())
                .await?
                .rows_affected();
            if inserted == 0 {
                return Err(RepoError::AccountTaken);
            }
        }
    }
    let methods: Vec<&str> = s.methods.iter().map(|m| m.code()).collect();
    sqlx::query(
        "insert into payment_setup (tenant_id, mode, stripe_account_id, methods, offline_note_de, offline_note_en, kassenzeichen_prefix,
             kassenzeichen_digits, reminder_days, cash_office_email)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (tenant_id) do update set mode = excluded.mode, stripe_account_id = excluded.stripe_account_id, methods = excluded.methods,
             offline_note_de = excluded.offline_note_de, offline_note_en = excluded.offline_note_en,
             kassenzeichen_prefix = excluded.kassenzeichen_prefix, kassenzeichen_digits = excluded.kassenzeichen_digits,
             reminder_days = excluded.reminder_days, cash_office_email = excluded.cash_office_email,
             account_charges_enabled = case when payment_setup.stripe_account_id is distinct from excluded.stripe_account_id then false else payment_setup.account_charges_enabled end,
             account_details_submitted = case when payment_setup.stripe_account_id is distinct from excluded.stripe_account_id then false else payment_setup.account_details_submitted end,
             account_checked_at = case when payment_setup.stripe_account_id is distinct from excluded.stripe_account_id then null else payment_setup.account_checked_at end",
    )
    .bind(tenant.0)
    .bind(if s.online { "online" } else { "offline" })
    .bind(&s.stripe_account_id)
    .bind(&methods)
    .bind(&s.offline_note_de)
    .bind(&s.offline_note_en)
    .bind(s.kassenzeichen.prefix())
    .bind(i32::from(s.kassenzeichen.digits()))
    .bind(s.reminder_days)
    .bind(&s.cash_office_email)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records what Stripe says about the connected account (if it is still the tenant's).
pub async fn record_account(tx: &mut TenantTx, a: &RemoteAccount) -> Result<()> {
    sqlx::query(
        "update payment_setup set account_charges_enabled = $2, account_details_submitted = $3, account_requirements_due = $4, account_checked_at = app_now()
          where stripe_account_id = $1",
    )
    .bind(&a.id)
    .bind(a.charges_enabled)
    .bind(a.details_submitted)
    .bind(a.requirements_due)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The next Kassenzeichen of the tenant (gap-free while transactions commit: the counter row is
/// locked until the payment's transaction ends).
pub async fn next_kassenzeichen(tx: &mut TenantTx) -> Result<String> {
    let tenant = tx.tenant_id();
    let r = sqlx::query(
        "insert into payment_setup (tenant_id, kassenzeichen_next) values ($1, 2)
         on conflict (tenant_id) do update set kassenzeichen_next = payment_setup.kassenzeichen_next + 1
         returning kassenzeichen_next - 1, kassenzeichen_prefix, kassenzeichen_digits",
    )
    .bind(tenant.0)
    .fetch_one(tx.conn())
    .await?;
    let (number, prefix, digits): (i64, String, i32) = (r.get(0), r.get(1), r.get(2));
    let scheme = KassenzeichenScheme::parse(&prefix, &digits.to_string()).unwrap_or_default();
    Ok(scheme.format(number))
}

// ---------------------------------------------------------------------------------------------
// payments

/// A payment record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub payment_id: Uuid,
    pub kassenzeichen: String,
    pub service_slug: String,
    pub draft_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub case_reference: Option<String>,
    pub citizen_id: Option<Uuid>,
    pub lang: String,
    pub portal_url: String,
    pub description: String,
    pub fee: Fee,
    pub amount_cents: i64,
    pub application_fee_cents: i64,
    pub status: PaymentStatus,
    pub refunded_cents: i64,
    pub booking_text: String,
    pub cost_centre: String,
    pub account: String,
    pub cost_unit: String,
    pub stripe_account_id: String,
    pub intent_id: Option<String>,
    #[serde(skip)]
    pub client_secret: Option<String>,
    pub attempt: i32,
    pub method: Option<String>,
    pub failure_message: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub state_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Payment {
    /// Amount left after refunds.
    pub fn net_cents(&self) -> i64 {
        self.amount_cents - self.refunded_cents
    }
    /// A pay-later payment past its deadline.
    pub fn overdue(&self, now: OffsetDateTime) -> bool {
        self.status.is_payable() && self.due_at.is_some_and(|d| d < now)
    }
}

const PAYMENT_SELECT: &str = "select p.payment_id, p.kassenzeichen, p.service_slug, p.draft_id, p.case_id, c.reference as case_reference, p.citizen_id, p.lang,
        p.portal_url, p.description, p.items, p.amount_cents, p.application_fee_cents, p.status, p.refunded_cents, p.booking_text, p.cost_centre,
        p.account, p.cost_unit, p.stripe_account_id, p.intent_id, p.client_secret, p.attempt, p.method, p.failure_message, p.state_at, p.due_at,
        p.paid_at, p.created_at
   from payment p left join case_record c on c.case_id = p.case_id";

fn payment_from(r: &PgRow) -> Payment {
    Payment {
        payment_id: r.get("payment_id"),
        kassenzeichen: r.get("kassenzeichen"),
        service_slug: r.get("service_slug"),
        draft_id: r.get("draft_id"),
        case_id: r.get("case_id"),
        case_reference: r.get("case_reference"),
        citizen_id: r.get("citizen_id"),
        lang: r.get("lang"),
        portal_url: r.get("portal_url"),
        description: r.get("description"),
        fee: Fee { items: serde_json::from_value(r.get("items")).unwrap_or_default() },
        amount_cents: r.get("amount_cents"),
        application_fee_cents: r.get("application_fee_cents"),
        status: PaymentStatus::parse(r.get("status")).unwrap_or(PaymentStatus::Open),
        refunded_cents: r.get("refunded_cents"),
        booking_text: r.get("booking_text"),
        cost_centre: r.get("cost_centre"),
        account: r.get("account"),
        cost_unit: r.get("cost_unit"),
        stripe_account_id: r.get("stripe_account_id"),
        intent_id: r.get("intent_id"),
        client_secret: r.get("client_secret"),
        attempt: r.get("attempt"),
        method: r.get("method"),
        failure_message: r.get("failure_message"),
        state_at: r.get("state_at"),
        due_at: r.get("due_at"),
        paid_at: r.get("paid_at"),
        created_at: r.get("created_at"),
    }
}

/// The payment matching `filter` (with `$1` bound to `id`).
async fn one<T>(tx: &mut TenantTx, filter: &str, id: T, lock: bool) -> Result<Option<Payment>>
where
    T: Send + for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let sql = format!("{PAYMENT_SELECT} where {filter}{}", if lock { " for update of p" } else { "" });
    let row = sqlx::query(&sql).bind(id).fetch_optional(tx.conn()).await?;
    Ok(row.as_ref().map(payment_from))
}

pub async fn payment(tx: &mut TenantTx, payment_id: Uuid, lock: bool) -> Result<Option<Payment>> {
    one(tx, "p.payment_id = $1", payment_id, lock).await
}
pub async fn payment_for_draft(tx: &mut TenantTx, draft_id: Uuid, lock: bool) -> Result<Option<Payment>> {
    one(tx, "p.draft_id = $1", draft_id, lock).await
}
pub async fn payment_for_case(tx: &mut TenantTx, case_id: Uuid, lock: bool) -> Result<Option<Payment>> {
    one(tx, "p.case_id = $1", case_id, lock).await
}
pub async fn payment_by_intent(tx: &mut TenantTx, intent_id: &str, lock: bool) -> Result<Option<Payment>> {
    one(tx, "p.intent_id = $1", intent_id, lock).await
}

/// A citizen's payments with their refunds, for the account's data export.
pub async fn export_for(tx: &mut TenantTx, citizen: Uuid) -> Result<serde_json::Value> {
    let rows = sqlx::query(&format!("{PAYMENT_SELECT} where p.citizen_id = $1 order by p.created_at"))
        .bind(citizen)
        .fetch_all(tx.conn())
        .await?;
    let mut out = Vec::new();
    for p in rows.iter().map(payment_from) {
        let refunds = refunds(tx, p.payment_id).await?;
        let mut v = serde_json::to_value(&p).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("refunds".into(), serde_json::to_value(&refunds).unwrap_or_default());
        }
        out.push(v);
    }
    Ok(serde_json::Value::Array(out))
}

/// What a new payment records.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub service: &'a ServicePayment,
    pub draft_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub citizen_id: Option<Uuid>,
    pub lang: &'a str,
    pub portal_url: &'a str,
    pub description: &'a str,
    pub fee: &'a Fee,
    pub application_fee_cents: i64,
    pub stripe_account_id: &'a str,
    pub due_at: Option<OffsetDateTime>,
}

/// Creates a payment with the next Kassenzeichen and the service's booking data as of now.
pub async fn create_payment(tx: &mut TenantTx, n: NewPayment<'_>) -> Result<Payment> {
    let tenant = tx.tenant_id();
    let kassenzeichen = next_kassenzeichen(tx).await?;
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into payment (tenant_id, payment_id, kassenzeichen, service_slug, draft_id, case_id, citizen_id, lang, portal_url, description, items,
             amount_cents, application_fee_cents, booking_text, cost_centre, account, cost_unit, stripe_account_id, due_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(&kassenzeichen)
    .bind(&n.service.service_slug)
    .bind(n.draft_id)
    .bind(n.case_id)
    .bind(n.citizen_id)
    .bind(n.lang)
    .bind(n.portal_url)
    .bind(n.description)
    .bind(serde_json::to_value(&n.fee.items).unwrap_or_default())
    .bind(n.fee.total())
    .bind(n.application_fee_cents)
    .bind(n.service.booking_text.as_str())
    .bind(&n.service.assignment.cost_centre)
    .bind(&n.service.assignment.account)
    .bind(&n.service.assignment.cost_unit)
    .bind(n.stripe_account_id)
    .bind(n.due_at)
    .execute(tx.conn())
    .await?;
    payment(tx, id, false).await?.ok_or_else(|| RepoError::Db(DbError::Sqlx(sqlx::Error::RowNotFound)))
}

/// A new amount for a payment not yet under way (the draft's answers changed); the intent goes.
pub async fn reprice(tx: &mut TenantTx, payment_id: Uuid, fee: &Fee, application_fee_cents: i64) -> Result<()> {
    sqlx::query("update payment set items = $2, amount_cents = $3, application_fee_cents = $4, intent_id = null, client_secret = null, status = 'open', state_at = null where payment_id = $1")
        .bind(payment_id)
        .bind(serde_json::to_value(&fee.items).unwrap_or_default())
        .bind(fee.total())
        .bind(application_fee_cents)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The idempotency key of a payment's next attempt: the same for a retried request, new after a
/// cancelled or expired intent.
pub fn intent_key(p: &Payment) -> String {
    format!("payment-{}-{}-{}", p.payment_id, p.attempt, p.amount_cents)
}

/// Records the intent Stripe created for the payment.
pub async fn set_intent(tx: &mut TenantTx, payment_id: Uuid, intent: &RemoteIntent) -> Result<()> {
    sqlx::query("update payment set intent_id = $2, client_secret = $3, status = 'open', failure_message = null, state_at = $4 where payment_id = $1")
        .bind(payment_id)
        .bind(&intent.id)
        .bind(&intent.client_secret)
        .bind(ts(intent.created))
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Forgets a cancelled or expired intent: the next attempt gets a new one.
pub async fn next_attempt(tx: &mut TenantTx, payment_id: Uuid, status: PaymentStatus) -> Result<()> {
    sqlx::query("update payment set intent_id = null, client_secret = null, attempt = attempt + 1, status = $2, state_at = null where payment_id = $1")
        .bind(payment_id)
        .bind(status.code())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Applies an intent's state reported at `at` (Unix seconds) if it moves the payment forward.
/// Returns the new status when it changed. Reports about another intent than the payment's
/// current one, or with another amount, change nothing.
pub async fn apply_intent(
    tx: &mut TenantTx,
    p: &Payment,
    intent: &RemoteIntent,
    at: i64,
) -> Result<Option<PaymentStatus>> {
    if p.intent_id.as_deref() != Some(intent.id.as_str()) || intent.amount_cents != p.amount_cents {
        return Ok(None);
    }
    let new = PaymentStatus::from_intent(&intent.status, intent.failed);
    let at = ts(at);
    if !state::applies(p.status, p.state_at, new, at) {
        return Ok(None);
    }
    sqlx::query(
        "update payment set status = $2, state_at = $3, method = coalesce($4, method), failure_message = $5,
             paid_at = case when $2 = 'succeeded' then coalesce(paid_at, app_now()) else paid_at end
          where payment_id = $1",
    )
    .bind(p.payment_id)
    .bind(new.code())
    .bind(at)
    .bind(&intent.method)
    .bind(if new == PaymentStatus::Failed {
        intent.failure_message.clone().or_else(|| Some(String::new()))
    } else {
        None
    })
    .execute(tx.conn())
    .await?;
    Ok(Some(new))
}

/// Links a paid draft's payment to the case filed for it.
pub async fn attach_case(tx: &mut TenantTx, payment_id: Uuid, case_id: Uuid) -> Result<()> {
    sqlx::query("update payment set case_id = $2 where payment_id = $1")
        .bind(payment_id)
        .bind(case_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn mark_reminded(tx: &mut TenantTx, payment_id: Uuid) -> Result<()> {
    sqlx::query("update payment set reminded_at = app_now() where payment_id = $1")
        .bind(payment_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Open pay-later payments whose reminder is due (`reminder_days` before the deadline), locked
/// and skipped by other servers.
pub async fn reminders_due(tx: &mut TenantTx, reminder_days: i32) -> Result<Vec<Payment>> {
    let rows = sqlx::query(&format!(
        "{PAYMENT_SELECT} where p.status in ('open', 'failed') and p.due_at is not null and p.reminded_at is null
            and p.due_at - make_interval(days => $1) < app_now() for update of p skip locked"
    ))
    .bind(reminder_days)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.iter().map(payment_from).collect())
}

/// Pay-before payments with an intent nobody finished within `hours` of its last state (abandoned).
pub async fn abandoned(tx: &mut TenantTx, hours: i32) -> Result<Vec<Payment>> {
    let rows = sqlx::query(&format!(
        "{PAYMENT_SELECT} where p.status in ('open', 'failed') and p.case_id is null and p.intent_id is not null
            and coalesce(p.state_at, p.created_at) < app_now() - make_interval(hours => $1) for update of p skip locked"
    ))
    .bind(hours)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.iter().map(payment_from).collect())
}
