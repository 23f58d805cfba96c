//! Paying online (citizen side): the payment page of a draft filed once paid
//! (`/antrag/{draft}/zahlung`) or of a case paid later (`/konto/antraege/{case}/zahlung`,
//! `/vorgang/{token}/zahlung`), the return from Stripe (the server asks Stripe for the result: a
//! lost webhook loses nothing), and the payment receipt (PDF). The amount is the server's: the page
//! carries only the PaymentIntent's client secret.

use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use portal_cases::{self as cases, Case};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_payments::repo;
use portal_payments::{Payment, PaymentStatus};
use portal_ui::blocks::Block;
use portal_ui::i18n::{tr, tr_with};
use portal_ui::payments::PaymentSpec;
use portal_web::{AppError, AppState, TenantContext};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::flows::payment as payflow;
use crate::kit::dates::{fmt_date, fmt_time, money};
use crate::kit::links;
use crate::kit::page::see_other;
use crate::kit::pipeline::{Tx, tenant_tx};
use crate::kit::registry::{BoxFuture, Capability, CaseAction, NavEntry};
use crate::kit::session::MaybeCitizen;
use crate::shared::cases::{citizen_case, citizen_pdf, guest_lookup, guest_pdf};
use crate::shared::drafts::{applicant, finish, load, service_name};
use portal_authz::{Action, Resource};

mod demo;
pub mod jobs;
pub(crate) mod mails;
mod office;
pub mod paths;
mod webhooks;
mod widget;

pub const CAPABILITY: Capability = Capability {
    demo: Some(demo::demo),
    widgets: &[widget::PAYMENT],
    assets: &[widget::PAYMENT_JS],
    portal: Some(|| router().merge(office::router())),
    console: Some(|| office::console_router().merge(webhooks::router())),
    public: &[paths::STRIPE.path()],
    staff_nav: &[
        NavEntry {
            order: 60,
            path: paths::PAYMENTS_VIEW.path(),
            label: "staff.nav_payments",
            resource: Resource::Payments,
            action: Action::Read,
        },
        NavEntry {
            order: 70,
            path: paths::SETUP_PAGE.path(),
            label: "staff.nav_payment_settings",
            resource: Resource::Payments,
            action: Action::Write,
        },
    ],
    console_nav: &[NavEntry {
        order: 50,
        path: paths::PLANS_PAGE.path(),
        label: "console.nav_plans",
        resource: Resource::Payments,
        action: Action::Read,
    }],
    office_case: &[office::office_case_panel],
    office_case_actions: &[CaseAction { path: paths::REFUND, run: office::refund }],
    citizen_case: &[citizen_case_panel],
    jobs: &[jobs::start],
    texts,
    ..Capability::named("payments")
};

/// The refund states the gateway reports (`payments.refund_{status}`).
pub const REFUND_STATES: [&str; 4] = ["pending", "succeeded", "failed", "canceled"];

/// The text keys built at run time: states, methods, timings, fee kinds and error messages.
fn texts() -> Vec<String> {
    let mut keys: Vec<String> = PaymentStatus::ALL.iter().map(|s| format!("payments.status_{}", s.code())).collect();
    keys.extend(portal_payments::Method::ALL.iter().map(|m| format!("payments.method_{}", m.code())));
    keys.extend(REFUND_STATES.iter().map(|s| format!("payments.refund_{s}")));
    keys.extend(
        [portal_payments::Timing::Before, portal_payments::Timing::After]
            .iter()
            .map(|t| format!("payments.timing_{}", t.code())),
    );
    keys.extend(office::FEE_KINDS.iter().map(|k| format!("payments.fee_kind_{k}")));
    keys.extend(portal_payments::BookingError::ALL.iter().map(|e| format!("payments.error.{}", e.key())));
    keys.extend(portal_payments::FeeError::examples().iter().map(|e| format!("payments.error.{}", e.key())));
    keys
}

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::DRAFT_PAY.pattern(), get(draft_pay))
        .route(paths::DRAFT_RETURN.pattern(), get(draft_return))
        .route(paths::CITIZEN_PAY.pattern(), get(citizen_pay))
        .route(paths::CITIZEN_RETURN.pattern(), get(citizen_return))
        .route(paths::CITIZEN_RECEIPT.pattern(), get(citizen_receipt))
        .route(paths::GUEST_PAY.pattern(), get(guest_pay))
        .route(paths::GUEST_RETURN.pattern(), get(guest_return))
        .route(paths::GUEST_RECEIPT.pattern(), get(guest_receipt))
}

pub fn status_label(lang: Lang, s: PaymentStatus) -> String {
    tr(lang, &format!("payments.status_{}", s.code()))
}

pub fn status_badge(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Succeeded => "success",
        PaymentStatus::Processing | PaymentStatus::Open => "info",
        PaymentStatus::Failed => "danger",
        PaymentStatus::Canceled | PaymentStatus::Expired => "warning",
    }
}

/// The payment box on a case page (citizen side), with the way to pay or the receipt.
/// `now` decides whether a due date has passed.
pub fn case_payment_blocks(lang: Lang, p: &Payment, base: &str, now: OffsetDateTime) -> Vec<Block> {
    let mut facts = vec![
        (tr(lang, "payments.amount"), money(p.amount_cents, lang), None),
        (tr(lang, "payments.kassenzeichen"), p.kassenzeichen.clone(), None),
        (tr(lang, "payments.status"), status_label(lang, p.status), None),
    ];
    if let Some(due) = p.due_at.filter(|_| p.status.is_payable()) {
        facts.push((tr(lang, "payments.due"), fmt_date(due), None));
    }
    if p.refunded_cents > 0 {
        facts.push((tr(lang, "payments.refunded"), money(p.refunded_cents, lang), None));
    }
    let mut blocks = vec![Block::Heading(tr(lang, "payments.heading")), Block::Facts(facts)];
    if p.overdue(now) {
        blocks.push(Block::Notice("warning", tr(lang, "payments.overdue_notice")));
    }
    match p.status {
        PaymentStatus::Succeeded => {
            blocks.push(Block::Links(vec![(format!("{base}/zahlungsbeleg.pdf"), tr(lang, "payments.receipt"))]))
        }
        s if s.is_payable() => blocks.push(Block::Links(vec![(
            format!("{base}/zahlung"),
            tr_with(lang, "payments.pay_now", &[("amount", &money(p.amount_cents, lang))]),
        )])),
        _ => {}
    }
    blocks
}

/// Renders a payment page: its own script list and Content-Security-Policy (Stripe.js).
async fn render(
    state: &AppState,
    ctx: &TenantContext,
    tx: Tx<TenantTx>,
    lang: Lang,
    path: &str,
    status: StatusCode,
    blocks: Vec<Block>,
) -> Result<Response, AppError> {
    let mut r = crate::kit::frame::blocks_page(
        state,
        ctx,
        tx,
        lang,
        path,
        status,
        tr(lang, "payments.pay_title"),
        vec![],
        blocks,
    )
    .await?;
    // the payment page shows the payment's current state: never from a cache
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(r)
}

/// The payment page's blocks: what is paid for, and the form (or why it cannot be paid now).
async fn pay_blocks(
    state: &AppState,
    tx: &mut TenantTx,
    lang: Lang,
    p: Payment,
    base: &str,
    failed_return: bool,
) -> Result<(Vec<Block>, StatusCode), AppError> {
    let mut blocks = vec![Block::Facts(vec![
        (tr(lang, "payments.service"), p.description.clone(), None),
        (tr(lang, "payments.amount"), money(p.amount_cents, lang), None),
        (tr(lang, "payments.items"), p.fee.lines(lang).join("; "), None),
        (tr(lang, "payments.kassenzeichen"), p.kassenzeichen.clone(), None),
    ])];
    match p.status {
        PaymentStatus::Succeeded => {
            blocks.push(Block::Notice("success", tr(lang, "payments.already_paid")));
            return Ok((blocks, StatusCode::OK));
        }
        PaymentStatus::Processing => {
            blocks.push(Block::Notice("info", tr(lang, "payments.processing_notice")));
            return Ok((blocks, StatusCode::OK));
        }
        _ => {}
    }
    let setup = repo::setup(tx).await?;
    if !setup.takes_payments() || !state.payments.configured() {
        blocks.push(Block::Notice("warning", tr(lang, "payments.online_unavailable")));
        let note = lang.pick(&setup.offline_note_de, &setup.offline_note_en);
        if !note.is_empty() {
            blocks.push(Block::Text(note.clone()));
        }
        return Ok((blocks, StatusCode::SERVICE_UNAVAILABLE));
    }
    let p = match payflow::ensure_intent(state, tx, p, &setup).await? {
        Ok(p) => p,
        Err(e) => {
            let key = if e.is_temporary() { "payments.stripe_unreachable" } else { "payments.stripe_refused" };
            blocks.push(Block::Notice("danger", tr(lang, key)));
            blocks.push(Block::Links(vec![(format!("{base}/zahlung"), tr(lang, "payments.try_again"))]));
            return Ok((blocks, StatusCode::SERVICE_UNAVAILABLE));
        }
    };
    if p.status == PaymentStatus::Failed || failed_return {
        let reason =
            p.failure_message.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| tr(lang, "payments.failed_generic"));
        blocks.push(Block::Notice("danger", tr_with(lang, "payments.failed_notice", &[("reason", &reason)])));
    }
    blocks.push(Block::Text(tr(lang, "payments.pay_intro")));
    blocks.push(portal_ui::payments::payment_block(PaymentSpec {
        publishable_key: state.payment_config.publishable_key.clone(),
        account: p.stripe_account_id.clone(),
        client_secret: p.client_secret.clone().unwrap_or_default(),
        return_url: format!("{}{base}/zahlung/zurueck", p.portal_url),
        locale: lang.code().to_owned(),
        button: tr_with(lang, "payments.pay_button", &[("amount", &money(p.amount_cents, lang))]),
        noscript: tr(lang, "payments.noscript"),
        unavailable: tr(lang, "payments.stripe_js_unavailable"),
    }));
    Ok((blocks, StatusCode::OK))
}

#[derive(serde::Deserialize, Default)]
struct ReturnQuery {
    #[serde(default)]
    redirect_status: Option<String>,
    #[serde(default)]
    fehler: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// a draft filed once paid

async fn draft_pay(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    citizen: MaybeCitizen,
    Params(draft_id): Params<Uuid>,
    q: axum::extract::Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let (draft, schema) = load(&mut tx, &a, draft_id, false).await?;
    let p = repo::payment_for_draft(&mut tx, draft_id, false).await?.ok_or_else(AppError::not_found)?;
    if draft.case_id.is_some() {
        return Ok(see_other(&links::DRAFT_DONE.with(&[&draft_id])));
    }
    let base = links::DRAFT_BASE.with(&[&draft_id]);
    // no intent yet (or a withdrawn one): the answers may have changed since the payment was set up,
    // so they are checked and priced again before Stripe is asked for an intent
    let p = if p.status.is_payable() && p.intent_id.is_none() {
        match payflow::price_draft(&state, &mut tx, &draft, &schema, crate::kit::dates::today(state.db.clock())).await?
        {
            (issues, _, payflow::Plan::Online { service, fee, setup, application_fee })
                if issues.is_empty() && service.timing == portal_payments::Timing::Before =>
            {
                let name = service_name(&mut tx, &draft.service_slug, lang).await?;
                let portal = crate::kit::mail::base_url(&state, &ctx.host, &headers);
                payflow::payment_for_draft(
                    &state,
                    &mut tx,
                    &draft,
                    &service,
                    &fee,
                    &setup,
                    application_fee,
                    lang,
                    &portal,
                    &name,
                )
                .await?
            }
            _ => return Ok(see_other(&format!("{base}/pruefen"))),
        }
    } else {
        p
    };
    let payable = p.status.is_payable();
    let (mut blocks, status) = pay_blocks(&state, &mut tx, lang, p, &base, q.fehler.is_some()).await?;
    if payable {
        blocks.push(Block::Links(vec![(format!("{base}/pruefen"), tr(lang, "payments.back_to_check"))]));
    }
    let r = render(&state, &ctx, tx, lang, &format!("{base}/zahlung"), status, blocks).await?;
    Ok(finish(&state, r, &a))
}

async fn draft_return(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    citizen: MaybeCitizen,
    Params(draft_id): Params<Uuid>,
    q: axum::extract::Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let a = applicant(citizen, &headers);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    load(&mut tx, &a, draft_id, false).await?;
    let p = repo::payment_for_draft(&mut tx, draft_id, true).await?.ok_or_else(AppError::not_found)?;
    let status = payflow::refresh(&state, &mut tx, &p).await?;
    let p = repo::payment(&mut tx, p.payment_id, false).await?.ok_or_else(AppError::not_found)?;
    let case = match p.case_id {
        Some(id) => cases::get(&mut tx, id).await?,
        None => None,
    };
    tx.finish().await?;
    Ok(match (status, case) {
        (Ok(PaymentStatus::Succeeded), Some(case)) => match case.guest_token {
            Some(t) => see_other(&format!("{}?vorgang={t}", links::DRAFT_DONE.with(&[&draft_id]))),
            None => see_other(&links::DRAFT_DONE.with(&[&draft_id])),
        },
        (Ok(PaymentStatus::Failed | PaymentStatus::Open), _) if q.redirect_status.is_some() => {
            see_other(&format!("{}?fehler=1", paths::DRAFT_PAY.with(&[&draft_id])))
        }
        _ => see_other(&paths::DRAFT_PAY.with(&[&draft_id])),
    })
}

// ---------------------------------------------------------------------------------------------
// a case paid later

async fn case_pay(
    state: &AppState,
    ctx: &TenantContext,
    mut tx: Tx<TenantTx>,
    lang: Lang,
    case: &Case,
    base: &str,
    failed: bool,
) -> Result<Response, AppError> {
    let p = repo::payment_for_case(&mut tx, case.case_id, false).await?.ok_or_else(AppError::not_found)?;
    let (mut blocks, status) = pay_blocks(state, &mut tx, lang, p, base, failed).await?;
    blocks.push(Block::Links(vec![(base.to_owned(), tr(lang, "payments.back_to_case"))]));
    render(state, ctx, tx, lang, &format!("{base}/zahlung"), status, blocks).await
}

async fn case_return(
    state: &AppState,
    mut tx: Tx<TenantTx>,
    case: &Case,
    base: &str,
    q: &ReturnQuery,
) -> Result<Response, AppError> {
    let p = repo::payment_for_case(&mut tx, case.case_id, true).await?.ok_or_else(AppError::not_found)?;
    let status = payflow::refresh(state, &mut tx, &p).await?;
    tx.finish().await?;
    Ok(match status {
        Ok(PaymentStatus::Succeeded | PaymentStatus::Processing) => see_other(base),
        Ok(PaymentStatus::Failed | PaymentStatus::Open) if q.redirect_status.is_some() => {
            see_other(&format!("{base}/zahlung?fehler=1"))
        }
        _ => see_other(&format!("{base}/zahlung")),
    })
}

async fn citizen_pay(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    citizen: crate::kit::session::Citizen,
    Params(case_id): Params<Uuid>,
    q: axum::extract::Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = citizen_case(&mut tx, &citizen, case_id).await?;
    case_pay(&state, &ctx, tx, lang, &case, &links::CITIZEN_CASE.with(&[&case_id]), q.fehler.is_some()).await
}

async fn citizen_return(
    State(state): State<AppState>,
    ctx: TenantContext,
    citizen: crate::kit::session::Citizen,
    Params(case_id): Params<Uuid>,
    q: axum::extract::Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = citizen_case(&mut tx, &citizen, case_id).await?;
    case_return(&state, tx, &case, &links::CITIZEN_CASE.with(&[&case_id]), &q).await
}

async fn guest_pay(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Params(token): Params<String>,
    q: axum::extract::Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, &token).await?;
    case_pay(&state, &ctx, tx, lang, &case, &links::GUEST_CASE.with(&[&token]), q.fehler.is_some()).await
}

async fn guest_return(
    State(state): State<AppState>,
    ctx: TenantContext,
    Params(token): Params<String>,
    q: axum::extract::Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, &token).await?;
    case_return(&state, tx, &case, &links::GUEST_CASE.with(&[&token]), &q).await
}

// ---------------------------------------------------------------------------------------------
// receipt

/// The payment receipt as a case PDF.
fn payment_receipt<'a>(
    tx: &'a mut TenantTx,
    ctx: &'a TenantContext,
    lang: Lang,
    case: &'a Case,
) -> BoxFuture<'a, Result<Response, AppError>> {
    Box::pin(receipt_response(tx, ctx, lang, case))
}

/// The payment box on the citizen's page of a case.
pub fn citizen_case_panel<'a>(
    tx: &'a mut TenantTx,
    lang: Lang,
    case: &'a Case,
    base: &'a str,
) -> BoxFuture<'a, Result<Vec<Block>, AppError>> {
    Box::pin(async move {
        Ok(match repo::payment_for_case(tx, case.case_id, false).await? {
            Some(p) => case_payment_blocks(lang, &p, base, tx.now()),
            None => vec![],
        })
    })
}

/// The payment receipt: amount, items, Kassenzeichen, the tenant's details.
pub async fn receipt_response(
    tx: &mut TenantTx,
    ctx: &TenantContext,
    lang: Lang,
    case: &Case,
) -> Result<Response, AppError> {
    let p = repo::payment_for_case(tx, case.case_id, false)
        .await?
        .filter(|p| p.status == PaymentStatus::Succeeded)
        .ok_or_else(AppError::not_found)?;
    let (tenant, details) = payflow::tenant_details(tx, &ctx.entry.name).await?;
    let title = tr_with(lang, "payments.receipt_title", &[("service", case.service_name.get(lang))]);
    let rows: Vec<(String, String, String)> = p
        .fee
        .items
        .iter()
        .map(|i| {
            (
                String::new(),
                if i.quantity == 1 {
                    i.label.get(lang).to_owned()
                } else {
                    format!("{} × {}", i.quantity, i.label.get(lang))
                },
                money(i.total(), lang),
            )
        })
        .collect();
    let sections = vec![portal_forms::display::Section { page_index: 0, title: tr(lang, "payments.items"), rows }];
    let mut facts = vec![
        (tr(lang, "payments.kassenzeichen"), p.kassenzeichen.clone()),
        (tr(lang, "payments.amount"), money(p.amount_cents, lang)),
        (tr(lang, "payments.paid_at"), p.paid_at.map(fmt_time).unwrap_or_default()),
        (
            tr(lang, "payments.method"),
            p.method.as_deref().map(|m| tr(lang, &format!("payments.method_{m}"))).unwrap_or_default(),
        ),
        (tr(lang, "cases.reference"), case.reference.clone()),
        (tr(lang, "payments.payee"), details),
    ];
    if p.refunded_cents > 0 {
        facts.push((tr(lang, "payments.refunded"), money(p.refunded_cents, lang)));
    }
    let pdf = crate::flows::receipt::render(&crate::flows::receipt::Receipt {
        tenant: &tenant,
        title: &title,
        facts,
        sections: &sections,
        footer: tr_with(lang, "payments.receipt_footer", &[("created", &fmt_time(tx.now()))]),
    });
    Ok(crate::kit::page::attachment("application/pdf", pdf, &format!("zahlungsbeleg-{}.pdf", p.kassenzeichen)))
}

async fn citizen_receipt(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    citizen: crate::kit::session::Citizen,
    Params(case_id): Params<Uuid>,
) -> Result<Response, AppError> {
    citizen_pdf(&state, &ctx, &headers, &citizen, case_id, payment_receipt).await
}

async fn guest_receipt(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Params(token): Params<String>,
) -> Result<Response, AppError> {
    guest_pdf(&state, &ctx, &headers, &token, payment_receipt).await
}
