//! The payment workflow between applications (cases) and payments: what an application costs and
//! how it is paid (the service's rule on the server, the tenant's setup), the payment record of a
//! draft (filed once paid) or of a case (pay later), its PaymentIntent on the tenant's connected
//! account, and what happens when Stripe reports a new state — from the citizen's return (asked of
//! Stripe) or from a webhook, whichever comes first; the other finds nothing left to do.

use std::collections::HashMap;

use portal_cases::{self as cases, Actor, Case, Draft, EventKind};
use portal_db::TenantTx;
use portal_domain::{HostName, Lang, Localized};
use portal_forms::{Answers, FormSchema};
use portal_mail::{Mail, Text};
use portal_payments::repo::{self, NewPayment};
use portal_payments::{
    Fee, FeeError, GatewayError, IntentRequest, Payment, PaymentSetup, PaymentStatus, RemoteIntent, ServicePayment,
};
use portal_ui::i18n::tr_with;
use portal_web::{AppError, AppState, TenantContext};

use crate::kit::dates::money;
use crate::kit::links;
use crate::kit::mail::queue;

/// How an application is paid.
pub enum Plan {
    /// No fee (or no fee rule).
    Free,
    /// A fee, paid at the office or by invoice (no online payment set up or possible now).
    Offline { fee: Fee, setup: PaymentSetup },
    /// Online through the tenant's Stripe account.
    Online { service: ServicePayment, fee: Fee, setup: PaymentSetup, application_fee: i64 },
    /// The service has a fee but it cannot be computed from these answers (a quantity out of range,
    /// an option without an amount): the application is not filed until it can, never for free.
    Unpriced(FeeError),
}

impl Plan {
    pub fn fee(&self) -> Option<&Fee> {
        match self {
            Plan::Free | Plan::Unpriced(_) => None,
            Plan::Offline { fee, .. } | Plan::Online { fee, .. } => Some(fee),
        }
    }
}

/// The fee of these answers under the service's rule, and how it is paid.
pub async fn plan(
    state: &AppState,
    tx: &mut TenantTx,
    slug: &str,
    schema: &FormSchema,
    answers: &Answers,
) -> Result<Plan, AppError> {
    let Some(service) = repo::service_payment(tx, slug).await? else { return Ok(Plan::Free) };
    let name =
        cases::service_name(tx, slug).await?.unwrap_or_else(|| Localized { de: slug.to_owned(), en: slug.to_owned() });
    let fee = match service.rule.compute(Some(schema), answers, &name) {
        Ok(fee) => fee,
        Err(e) => {
            // never waived: the applicant is told, the office sees it in the log
            tracing::warn!(service = slug, error = %e, "the fee cannot be computed from the answers");
            return Ok(Plan::Unpriced(e));
        }
    };
    if fee.total() == 0 {
        return Ok(Plan::Free);
    }
    let setup = repo::setup(tx).await?;
    if !setup.takes_payments() || !state.payments.configured() {
        return Ok(Plan::Offline { fee, setup });
    }
    let application_fee = repo::plan_of(tx).await?.fee().for_amount(fee.total());
    Ok(Plan::Online { service, fee, setup, application_fee })
}

/// A draft as it would be filed: its answers checked as on `day` (the problems found), only the
/// visible ones kept, and their price under the service's rule. The submit button, the draft's
/// payment page and the filing of a paid draft all judge a draft by this.
pub async fn price_draft(
    state: &AppState,
    tx: &mut TenantTx,
    draft: &Draft,
    schema: &FormSchema,
    day: portal_forms::validate::Day,
) -> Result<(Vec<portal_forms::Issue>, Answers, Plan), AppError> {
    let mut answers = draft.answers.clone();
    let issues = portal_forms::validate::check_all(schema, &mut answers, day);
    let answers = portal_forms::answers::retain_visible(schema, &answers);
    let plan = plan(state, tx, &draft.service_slug, schema, &answers).await?;
    Ok((issues, answers, plan))
}

/// The payment of a draft whose case is filed once paid: created once, re-priced while nothing is
/// under way if the answers changed the fee.
#[expect(clippy::too_many_arguments, reason = "the draft, its price and where the payer is")]
pub async fn payment_for_draft(
    state: &AppState,
    tx: &mut TenantTx,
    draft: &Draft,
    service: &ServicePayment,
    fee: &Fee,
    setup: &PaymentSetup,
    application_fee: i64,
    lang: Lang,
    base: &str,
    name: &str,
) -> Result<Payment, AppError> {
    let account = setup.stripe_account_id.clone().unwrap_or_default();
    if let Some(p) = repo::payment_for_draft(tx, draft.draft_id, true).await? {
        // the fee changed before anything was paid: a new amount, a new intent (the idempotency key
        // holds the amount); an open intent for the old amount is withdrawn first, so that it
        // cannot be paid as well
        if p.amount_cents != fee.total() && p.status.is_payable() {
            match withdraw_intent(state, tx, p.payment_id).await? {
                Withdrawal::Done => repo::reprice(tx, p.payment_id, fee, application_fee).await?,
                Withdrawal::UnderWay => {}
                Withdrawal::Unavailable => return Err(AppError::unavailable()),
            }
        }
        return Ok(repo::payment(tx, p.payment_id, false).await?.unwrap_or(p));
    }
    Ok(repo::create_payment(
        tx,
        NewPayment {
            service,
            draft_id: Some(draft.draft_id),
            case_id: None,
            citizen_id: draft.citizen_id,
            lang: lang.code(),
            portal_url: base,
            description: name,
            fee,
            application_fee_cents: application_fee,
            stripe_account_id: &account,
            due_at: None,
        },
    )
    .await?)
}

/// The payment of a case filed before payment, due within the service's days.
pub async fn payment_for_case(
    tx: &mut TenantTx,
    case: &Case,
    service: &ServicePayment,
    fee: &Fee,
    setup: &PaymentSetup,
    application_fee: i64,
    base: &str,
) -> Result<Payment, AppError> {
    if let Some(p) = repo::payment_for_case(tx, case.case_id, false).await? {
        return Ok(p);
    }
    let account = setup.stripe_account_id.clone().unwrap_or_default();
    let due = tx.now() + time::Duration::days(i64::from(service.pay_days));
    let p = repo::create_payment(
        tx,
        NewPayment {
            service,
            draft_id: None,
            case_id: Some(case.case_id),
            citizen_id: case.citizen_id,
            lang: case.lang.code(),
            portal_url: base,
            description: case.service_name.get(case.lang),
            fee,
            application_fee_cents: application_fee,
            stripe_account_id: &account,
            due_at: Some(due),
        },
    )
    .await?;
    let lang = case.lang;
    let text = tr_with(
        lang,
        "payments.ev_due",
        &[
            ("amount", &money(p.amount_cents, lang)),
            ("kassenzeichen", &p.kassenzeichen),
            ("due", &crate::kit::dates::fmt_date(due)),
        ],
    );
    cases::add_event(tx, case.case_id, EventKind::Payment, None, &Actor::system(), &text, false).await?;
    Ok(p)
}

/// Makes sure the payment has a usable PaymentIntent on the tenant's account (created with the
/// payment's idempotency key; a cancelled or expired one is replaced by a new attempt).
pub async fn ensure_intent(
    state: &AppState,
    tx: &mut TenantTx,
    p: Payment,
    setup: &PaymentSetup,
) -> Result<Result<Payment, GatewayError>, AppError> {
    // the usual case (a reload, a second tab): the intent is there, nothing is locked
    let usable = |p: &Payment| {
        matches!(p.status, PaymentStatus::Succeeded | PaymentStatus::Processing)
            || (p.intent_id.is_some() && matches!(p.status, PaymentStatus::Open | PaymentStatus::Failed))
    };
    if usable(&p) {
        return Ok(Ok(p));
    }
    // an intent is to be made: one request at a time per payment (the row lock), then look again
    let p = repo::payment(tx, p.payment_id, true).await?.ok_or_else(AppError::not_found)?;
    if usable(&p) {
        return Ok(Ok(p));
    }
    let p = if p.intent_id.is_some() || matches!(p.status, PaymentStatus::Canceled | PaymentStatus::Expired) {
        repo::next_attempt(tx, p.payment_id, PaymentStatus::Open).await?;
        repo::payment(tx, p.payment_id, true).await?.ok_or_else(AppError::not_found)?
    } else {
        p
    };
    match create_intent(state, tx, &p, setup).await? {
        // a server that died between creating the intent and storing it leaves Stripe with the
        // key; if Stripe will not replay it, the payment moves on to a new attempt and key
        Err(e) if e.is_idempotency_conflict() => {
            tracing::warn!(payment = %p.payment_id, "idempotency key used before with other parameters: next attempt");
            repo::next_attempt(tx, p.payment_id, PaymentStatus::Open).await?;
            let p = repo::payment(tx, p.payment_id, true).await?.ok_or_else(AppError::not_found)?;
            create_intent(state, tx, &p, setup).await
        }
        other => Ok(other),
    }
}

/// Creates the intent of the payment's current attempt at Stripe and stores it.
async fn create_intent(
    state: &AppState,
    tx: &mut TenantTx,
    p: &Payment,
    setup: &PaymentSetup,
) -> Result<Result<Payment, GatewayError>, AppError> {
    let metadata: HashMap<String, String> = [
        ("tenant_id".to_owned(), tx.tenant_id().0.to_string()),
        ("payment_id".to_owned(), p.payment_id.to_string()),
        ("kassenzeichen".to_owned(), p.kassenzeichen.clone()),
        ("case_reference".to_owned(), p.case_reference.clone().unwrap_or_default()),
        ("service".to_owned(), p.service_slug.clone()),
    ]
    .into_iter()
    .collect();
    let req = IntentRequest {
        account: p.stripe_account_id.clone(),
        amount_cents: p.amount_cents,
        application_fee_cents: p.application_fee_cents,
        methods: setup.methods.clone(),
        description: format!("{} – {}", p.description, p.kassenzeichen),
        statement_suffix: Some(
            p.kassenzeichen.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(22).collect(),
        ),
        metadata,
        idempotency_key: repo::intent_key(p),
    };
    match state.payments.create_intent(&req).await {
        Ok(intent) => {
            repo::set_intent(tx, p.payment_id, &intent).await?;
            Ok(Ok(repo::payment(tx, p.payment_id, true).await?.ok_or_else(AppError::not_found)?))
        }
        Err(e) => {
            tracing::warn!(payment = %p.payment_id, error = %e, "creating the PaymentIntent failed");
            Ok(Err(e))
        }
    }
}

/// Where the payer follows the payment (links in mails).
pub fn payer_link(p: &Payment, case: Option<&Case>, path: &str) -> String {
    match case {
        Some(c) => match &c.guest_token {
            Some(t) => format!("{}{}{path}", p.portal_url, links::GUEST_CASE.with(&[t])),
            None => format!("{}{}{path}", p.portal_url, links::CITIZEN_CASE.with(&[&c.case_id])),
        },
        None => format!(
            "{}{}{path}",
            p.portal_url,
            links::DRAFT_BASE.with(&[&p.draft_id.map(|d| d.to_string()).unwrap_or_default()])
        ),
    }
}

/// The tenant context for work without a request (webhooks, jobs): from the portal URL the payer used.
pub fn context_for(state: &AppState, portal_url: &str) -> Option<TenantContext> {
    let host = portal_url.split("://").nth(1)?.split(['/', ':']).next()?;
    let host = HostName::parse(host).ok()?;
    let entry = state.registry.resolve(&host)?;
    Some(TenantContext { entry, host })
}

/// The tenant's name and contact for receipts.
pub async fn tenant_details(tx: &mut TenantTx, fallback: &str) -> Result<(String, String), AppError> {
    let b = portal_tenancy::repo::branding_and_logo_hash(tx).await?.map(|(b, _)| b);
    let name = b.as_ref().map_or_else(|| fallback.to_owned(), |b| b.display_name.clone());
    let details = match &b {
        Some(b) => [Some(b.display_name.clone()), b.address.clone(), b.contact_email.clone(), b.contact_phone.clone()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        None => fallback.to_owned(),
    };
    Ok((name, details))
}

/// Applies an intent's state reported at `at` (Unix seconds) to the payment, and does what a new
/// state means: a paid draft becomes its case, the case's timeline and the payer's mail say so.
/// Returns the status the payment has afterwards.
pub async fn apply(
    state: &AppState,
    tx: &mut TenantTx,
    p: &Payment,
    intent: &RemoteIntent,
    at: i64,
) -> Result<PaymentStatus, AppError> {
    let Some(new) = repo::apply_intent(tx, p, intent, at).await? else { return Ok(p.status) };
    tracing::info!(payment = %p.payment_id, kassenzeichen = %p.kassenzeichen, status = new.code(), "payment state");
    metrics::counter!("payments_state_total", "status" => new.code()).increment(1);
    let Some(ctx) = context_for(state, &p.portal_url) else {
        tracing::error!(payment = %p.payment_id, url = %p.portal_url, "no tenant host for the payment's portal");
        return Ok(new);
    };
    let lang = Lang::from_code(&p.lang).unwrap_or_default();
    let case = match (p.case_id, new) {
        (Some(id), _) => cases::get(tx, id).await?,
        (None, PaymentStatus::Succeeded) => file_paid_draft(state, tx, &ctx, p, lang).await?,
        (None, _) => None,
    };
    let Some(case) = case else { return Ok(new) };
    let amount = money(p.amount_cents, lang);
    let text = match new {
        PaymentStatus::Succeeded => {
            tr_with(lang, "payments.ev_paid", &[("amount", &amount), ("kassenzeichen", &p.kassenzeichen)])
        }
        PaymentStatus::Processing => {
            tr_with(lang, "payments.ev_processing", &[("amount", &amount), ("kassenzeichen", &p.kassenzeichen)])
        }
        PaymentStatus::Failed => {
            tr_with(lang, "payments.ev_failed", &[("amount", &amount), ("kassenzeichen", &p.kassenzeichen)])
        }
        _ => return Ok(new),
    };
    cases::add_event(tx, case.case_id, EventKind::Payment, None, &Actor::system(), &text, false).await?;
    if new == PaymentStatus::Succeeded {
        super::documents::issue_if_due(state, tx, &ctx, p.portal_url.trim_end_matches('/'), &case).await?;
    }
    if new == PaymentStatus::Succeeded
        && let Some(to) = super::filing::applicant_email(tx, &case).await?
    {
        let (_, details) = tenant_details(tx, &ctx.entry.name).await?;
        let mail = Mail::new(
            Text::new("payments.mail.payment_received_subject").with("kassenzeichen", p.kassenzeichen.clone()),
        )
        .line(
            Text::new("payments.mail.payment_received_text")
                .with("amount", amount)
                .with("service", case.service_name.get(lang)),
        )
        .line(Text::new("payments.mail.payment_received_text_2").with("kassenzeichen", p.kassenzeichen.clone()))
        .line_if(
            !case.reference.is_empty(),
            Text::new("payments.mail.payment_received_text_3").with("reference", case.reference.clone()),
        )
        .line(Text::new("payments.mail.payment_received_text_4").with("tenant_details", details))
        .button(
            Text::new("payments.mail.payment_received_button"),
            payer_link(p, Some(&case), links::PAYMENT_RECEIPT_SUFFIX),
        )
        .after(Text::new("payments.mail.payment_received_note"));
        queue(tx, &ctx, &p.portal_url, lang, &to, mail).await?;
    }
    Ok(new)
}

/// Files the case of a draft paid before filing, if its answers are still complete and still cost
/// what was paid (the answers were checked at submission, but a second tab may have changed them
/// since; form pages withdraw an open intent, see [`withdraw_intent`], and this is the last check).
async fn file_paid_draft(
    state: &AppState,
    tx: &mut TenantTx,
    ctx: &TenantContext,
    p: &Payment,
    lang: Lang,
) -> Result<Option<Case>, AppError> {
    let Some(draft_id) = p.draft_id else { return Ok(None) };
    let Some(draft) = cases::load_draft_any(tx, draft_id).await? else {
        tracing::error!(payment = %p.payment_id, kassenzeichen = %p.kassenzeichen, "a payment succeeded for a draft that no longer exists: refund or file by hand");
        return Ok(None);
    };
    let schema = cases::form_version(tx, &draft.schema_hash).await?;
    // checked as on the day the payment was set up (a SEPA debit may confirm days later, after a
    // date in the answers has passed)
    let (issues, answers, plan) =
        price_draft(state, tx, &draft, &schema, crate::kit::dates::day_of(p.created_at)).await?;
    let fee = plan.fee().map(Fee::total);
    if !issues.is_empty() || fee != Some(p.amount_cents) {
        tracing::error!(
            payment = %p.payment_id, kassenzeichen = %p.kassenzeichen, draft = %draft_id, issues = issues.len(), fee = ?fee, paid = p.amount_cents,
            "the answers of a paid draft no longer match the payment: not filed (the applicant sees it on the payment page)"
        );
        metrics::counter!("payments_unfiled_total").increment(1);
        return Ok(None);
    }
    let filed = super::filing::file_case(tx, ctx, &p.portal_url, &draft, &schema, &answers, lang, true).await?;
    repo::attach_case(tx, p.payment_id, filed.case.case_id).await?;
    Ok(Some(filed.case))
}

/// What became of an open intent that was to be withdrawn.
pub enum Withdrawal {
    /// Cancelled at Stripe (or there was none): the answers may change, the next visit to the
    /// payment page makes a new intent for the new amount.
    Done,
    /// The money is already on its way (paid in another tab): the answers stay as paid for.
    UnderWay,
    /// Stripe could not be asked: nothing may change now.
    Unavailable,
}

/// Withdraws a draft payment's open intent before the answers (and so perhaps the fee) change, so
/// that a page still showing it cannot pay for answers that no longer hold: a cancelled intent
/// cannot be confirmed.
pub async fn withdraw_intent(
    state: &AppState,
    tx: &mut TenantTx,
    payment_id: uuid::Uuid,
) -> Result<Withdrawal, AppError> {
    let Some(p) = repo::payment(tx, payment_id, false).await? else { return Ok(Withdrawal::Done) };
    if !p.status.is_payable() {
        return Ok(Withdrawal::UnderWay);
    }
    let Some(intent) = p.intent_id.clone() else { return Ok(Withdrawal::Done) };
    match state.payments.cancel_intent(&p.stripe_account_id, &intent).await {
        Ok(_) => {
            repo::next_attempt(tx, p.payment_id, PaymentStatus::Open).await?;
            Ok(Withdrawal::Done)
        }
        // refused: perhaps paid meanwhile; Stripe knows
        Err(e) => match refresh(state, tx, &p).await? {
            Ok(status) if !status.is_payable() => Ok(Withdrawal::UnderWay),
            _ => {
                tracing::warn!(payment = %p.payment_id, error = %e, "withdrawing the open intent failed");
                Ok(Withdrawal::Unavailable)
            }
        },
    }
}

/// Asks Stripe for the intent's state and applies it (the citizen returned from paying, or a job).
pub async fn refresh(
    state: &AppState,
    tx: &mut TenantTx,
    p: &Payment,
) -> Result<Result<PaymentStatus, GatewayError>, AppError> {
    let Some(intent_id) = &p.intent_id else { return Ok(Ok(p.status)) };
    match state.payments.retrieve_intent(&p.stripe_account_id, intent_id).await {
        // ordered against Stripe's event times, which follow the real clock, not the platform's
        Ok(intent) => Ok(Ok(apply(state, tx, p, &intent, time::OffsetDateTime::now_utc().unix_timestamp()).await?)),
        Err(e) => {
            tracing::warn!(payment = %p.payment_id, error = %e, "asking Stripe for the payment's state failed");
            Ok(Err(e))
        }
    }
}
