//! Payments for municipal staff and operators: the tenant's payment setup (connected Stripe account
//! with its onboarding state, accepted methods or no online payment, Kassenzeichen scheme, cash
//! office address), each service's fee rule, booking text and account assignment, the payments
//! view with totals per day and service and the cash office's CSV exports, refunds on the case
//! view; in the console: plans with the platform's application fee, and any tenant's setup.
//! Secrets are never shown or stored: the pages say only whether the environment configures them.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use portal_authz::{Action, Resource};
use portal_cases::{self as cases, Case, EventKind};
use portal_db::TenantTx;
use portal_domain::ServiceSlug;
use portal_domain::{Cents, Lang, TenantId, decimal_de};
use portal_forms::schema::Kind;
use portal_payments::repo::{self, PaymentQuery};
use portal_payments::{
    AccountAssignment, BookingText, FeeRule, KassenzeichenScheme, Method, PaymentSetup, PaymentStatus, ServicePayment,
    Timing,
};
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FilterSpec, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use secrecy::ExposeSecret;
use serde::Deserialize;
use time::Date;
use uuid::Uuid;

use super::status_label;
use crate::flows::payment::payer_link;
use crate::kit::dates::{fmt_date, fmt_time, money};
use crate::kit::form::Fields;
use crate::kit::office::{audit, staff_page};
use crate::kit::operator::OperatorSession;
use crate::kit::page::see_other;
use crate::kit::pipeline::tenant_tx;
use crate::kit::registry::BoxFuture;
use crate::kit::session::Staff;

mod case_view;
mod console;
mod reconciliation;
use crate::kit::notice::Notice;
use crate::payments::paths;
pub(crate) use case_view::*;
use console::*;
use reconciliation::*;
mod services;
use services::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::PAYMENTS_VIEW.pattern(), get(payments_view))
        .route(paths::EXPORT_CSV.pattern(), get(export_csv))
        .route(paths::SETUP_PAGE.pattern(), get(setup_page).post(save_setup))
        .route(paths::CHECK_ACCOUNT.pattern(), post(check_account))
        .route(paths::ONBOARDING.pattern(), post(onboarding))
        .route(paths::SERVICE_PAGE.pattern(), get(service_page).post(save_service))
}

pub fn console_router() -> Router<AppState> {
    Router::new()
        .route(paths::PLANS_PAGE.pattern(), get(plans_page).post(save_plan))
        .route(paths::CONSOLE_SETUP_PAGE.pattern(), get(console_setup_page).post(console_save_setup))
}

/// The kinds of fee rule a service's fee form offers.
pub(super) const FEE_KINDS: [&str; 3] = ["fixed", "per_item", "by_option"];

fn yes_no(lang: Lang, b: bool) -> String {
    tr(lang, if b { "payments.yes" } else { "payments.no" })
}

// ---------------------------------------------------------------------------------------------
// the setup form (tenant admins and operators)

fn setup_state(setup: &PaymentSetup) -> FormState {
    let mut f = FormState::default();
    f.values.insert("mode".into(), if setup.online { "online" } else { "offline" }.into());
    f.values.insert("stripe_account_id".into(), setup.stripe_account_id.clone().unwrap_or_default());
    f.values.insert("methods".into(), setup.methods.iter().map(|m| m.code()).collect::<Vec<_>>().join(","));
    f.values.insert("kassenzeichen_prefix".into(), setup.kassenzeichen.prefix().to_owned());
    f.values.insert("kassenzeichen_digits".into(), setup.kassenzeichen.digits().to_string());
    f.values.insert("reminder_days".into(), setup.reminder_days.to_string());
    f.values.insert("cash_office_email".into(), setup.cash_office_email.clone().unwrap_or_default());
    f.values.insert("offline_note_de".into(), setup.offline_note_de.clone());
    f.values.insert("offline_note_en".into(), setup.offline_note_en.clone());
    f
}

fn setup_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new(
            "mode",
            tr(lang, "payments.mode"),
            FieldKind::Select(vec![
                ("online".into(), tr(lang, "payments.mode_online")),
                ("offline".into(), tr(lang, "payments.mode_offline")),
            ]),
        ),
        Field::new("stripe_account_id", tr(lang, "payments.account_id"), FieldKind::Text)
            .hint(tr(lang, "payments.account_id_hint")),
        Field::new(
            "methods",
            tr(lang, "payments.methods"),
            FieldKind::Checkboxes(
                Method::ALL
                    .iter()
                    .map(|m| (m.code().to_owned(), tr(lang, &format!("payments.method_{}", m.code()))))
                    .collect(),
            ),
        )
        .hint(tr(lang, "payments.methods_hint")),
        Field::new("kassenzeichen_prefix", tr(lang, "payments.kz_prefix"), FieldKind::Text)
            .hint(tr(lang, "payments.kz_prefix_hint")),
        Field::new("kassenzeichen_digits", tr(lang, "payments.kz_digits"), FieldKind::Text)
            .hint(tr(lang, "payments.kz_digits_hint")),
        Field::new("reminder_days", tr(lang, "payments.reminder_days"), FieldKind::Text)
            .hint(tr(lang, "payments.reminder_days_hint")),
        Field::new("cash_office_email", tr(lang, "payments.cash_office_email"), FieldKind::Email)
            .hint(tr(lang, "payments.cash_office_email_hint")),
        Field::new("offline_note_de", tr(lang, "payments.offline_note_de"), FieldKind::Text)
            .hint(tr(lang, "payments.offline_note_hint")),
        Field::new("offline_note_en", tr(lang, "payments.offline_note_en"), FieldKind::Text),
    ]
}

/// Reads the setup form; on errors, the form with every value kept and a message per field.
fn parse_setup(lang: Lang, f: &Fields) -> Result<PaymentSetup, FormState> {
    let mut form = FormState::default();
    for key in [
        "mode",
        "stripe_account_id",
        "kassenzeichen_prefix",
        "kassenzeichen_digits",
        "reminder_days",
        "cash_office_email",
        "offline_note_de",
        "offline_note_en",
    ] {
        form.values.insert(key.into(), f.text(key));
    }
    let methods_raw = f.all("methods");
    form.values.insert("methods".into(), methods_raw.join(","));
    let err = |form: &mut FormState, field: &str, key: &str| {
        form.errors.insert(field.into(), tr(lang, key));
    };
    let online = f.text("mode") == "online";
    let account = f.text("stripe_account_id");
    let account_ok = account.starts_with("acct_")
        && (11..=69).contains(&account.len())
        && account[5..].bytes().all(|b| b.is_ascii_alphanumeric());
    if !account.is_empty() && !account_ok {
        err(&mut form, "stripe_account_id", "payments.error.account_id");
    } else if online && account.is_empty() {
        err(&mut form, "stripe_account_id", "payments.error.account_id_missing");
    }
    let methods: Result<Vec<Method>, _> = methods_raw.iter().map(|m| Method::parse(m)).collect();
    let methods = match methods {
        Ok(m) if !m.is_empty() => m,
        _ => {
            err(&mut form, "methods", "payments.error.methods");
            vec![]
        }
    };
    let scheme = match KassenzeichenScheme::parse(&f.text("kassenzeichen_prefix"), &f.text("kassenzeichen_digits")) {
        Ok(s) => Some(s),
        Err(e) => {
            let field = if e == portal_payments::BookingError::Digits {
                "kassenzeichen_digits"
            } else {
                "kassenzeichen_prefix"
            };
            err(&mut form, field, &format!("payments.error.{}", e.key()));
            None
        }
    };
    let reminder = f.text("reminder_days").parse::<i32>().ok().filter(|d| (1..=30).contains(d));
    if reminder.is_none() {
        err(&mut form, "reminder_days", "payments.error.reminder_days");
    }
    let email = f.text("cash_office_email");
    if !email.is_empty() && (!email.contains('@') || email.len() > 254 || email.contains(char::is_whitespace)) {
        err(&mut form, "cash_office_email", "payments.error.email");
    }
    for key in ["offline_note_de", "offline_note_en"] {
        if f.text(key).chars().count() > 500 {
            err(&mut form, key, "payments.error.note_long");
        }
    }
    match (scheme, reminder) {
        (Some(kassenzeichen), Some(reminder_days)) if !form.has_errors() => Ok(PaymentSetup {
            online,
            stripe_account_id: (!account.is_empty()).then_some(account),
            methods,
            offline_note_de: f.text("offline_note_de"),
            offline_note_en: f.text("offline_note_en"),
            kassenzeichen,
            reminder_days,
            cash_office_email: (!email.is_empty()).then_some(email),
            ..PaymentSetup::default()
        }),
        _ => Err(form),
    }
}

/// What the environment and Stripe say: secrets configured (never shown), account state, plan.
fn status_facts(state: &AppState, lang: Lang, setup: &PaymentSetup, plan: &repo::Plan) -> Block {
    let webhook = state.payment_config.webhook_secret.as_ref().is_some_and(|s| !s.expose_secret().is_empty());
    let account_state = match (&setup.stripe_account_id, setup.checked_at) {
        (None, _) => tr(lang, "payments.no_account"),
        (Some(_), None) => tr(lang, "payments.account_unchecked"),
        (Some(_), Some(at)) => tr_with(
            lang,
            "payments.account_state",
            &[
                ("charges", &yes_no(lang, setup.charges_enabled)),
                ("details", &yes_no(lang, setup.details_submitted)),
                ("due", &setup.requirements_due.to_string()),
                ("at", &fmt_time(at)),
            ],
        ),
    };
    Block::Facts(vec![
        (
            tr(lang, "payments.secret_key"),
            tr(lang, if state.payments.configured() { "payments.configured" } else { "payments.not_configured" }),
            None,
        ),
        (
            tr(lang, "payments.webhook_secret"),
            tr(lang, if webhook { "payments.configured" } else { "payments.not_configured" }),
            None,
        ),
        (tr(lang, "payments.onboarding"), account_state, None),
        (
            tr(lang, "payments.takes_payments"),
            yes_no(lang, setup.takes_payments() && state.payments.configured()),
            None,
        ),
        (
            tr(lang, "payments.plan"),
            tr_with(
                lang,
                "payments.plan_fee",
                &[
                    ("plan", &plan.name),
                    ("fixed", &money(plan.fee_fixed_cents, lang)),
                    ("percent", &decimal_de(i64::from(plan.fee_basis_points))),
                ],
            ),
            None,
        ),
    ])
}

// ---------------------------------------------------------------------------------------------
// tenant admins: setup

async fn setup_blocks(
    state: &AppState,
    tx: &mut TenantTx,
    lang: Lang,
    s: &Staff,
    form: Option<FormState>,
    notice: Option<Block>,
) -> Result<Vec<Block>, AppError> {
    let setup = repo::setup(tx).await?;
    let plan = repo::plan_of(tx).await?;
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.push(Block::Text(tr(lang, "payments.setup_intro")));
    blocks.push(status_facts(state, lang, &setup, &plan));
    if setup.stripe_account_id.is_some() {
        blocks.push(Block::Buttons(vec![
            Button {
                action: paths::CHECK_ACCOUNT.path().into(),
                csrf: s.csrf.clone(),
                hidden: vec![],
                label: tr(lang, "payments.check_account"),
                danger: false,
            },
            Button {
                action: paths::ONBOARDING.path().into(),
                csrf: s.csrf.clone(),
                hidden: vec![],
                label: tr(lang, "payments.continue_onboarding"),
                danger: false,
            },
        ]));
    }
    blocks.push(Block::Form(FormSpec {
        action: paths::SETUP_PAGE.path().into(),
        csrf: s.csrf.clone(),
        form: form.unwrap_or_else(|| setup_state(&setup)),
        fields: setup_fields(lang),
        submit: tr(lang, "payments.save"),
        danger: false,
        secondary: None,
    }));
    blocks.push(Block::Heading(tr(lang, "payments.services_heading")));
    blocks.push(Block::Text(tr(lang, "payments.services_intro")));
    let rules = repo::service_payments(tx).await?;
    let rows = sqlx::query_as::<_, (String, String)>(
        "select a.service_slug, coalesce(case when $1 = 'en' then a.name_en else a.name_de end, case when $1 = 'en' then b.name_en else b.name_de end)
           from service_activation a join service_entry b using (service_slug)
          where b.form_schema is not null or a.form_schema is not null order by 2",
    )
    .bind(lang.code())
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|(slug, name)| {
        let rule = rules.iter().find(|r| r.service_slug == slug);
        vec![
            Cell::Text(name),
            Cell::Text(rule.map_or_else(|| tr(lang, "payments.no_fee"), |r| rule_summary(lang, &r.rule))),
            Cell::Text(rule.map_or_else(String::new, |r| tr(lang, &format!("payments.timing_{}", r.timing.code())))),
            Cell::Text(rule.map_or_else(String::new, |r| r.booking_text.as_str().to_owned())),
            Cell::Link(paths::SERVICE_PAGE.with(&[&slug]), tr(lang, "payments.edit")),
        ]
    })
    .collect();
    blocks.push(Block::Table {
        caption: tr(lang, "payments.services_heading"),
        headers: vec![
            tr(lang, "payments.service"),
            tr(lang, "payments.fee"),
            tr(lang, "payments.timing"),
            tr(lang, "payments.booking_text"),
            tr(lang, "payments.edit"),
        ],
        rows,
        empty: tr(lang, "payments.no_services"),
    });
    Ok(blocks)
}

fn rule_summary(lang: Lang, rule: &FeeRule) -> String {
    match rule {
        FeeRule::Fixed { cents } => money(*cents, lang),
        FeeRule::PerItem { cents, field } => {
            tr_with(lang, "payments.rule_per_item", &[("amount", &money(*cents, lang)), ("field", field)])
        }
        FeeRule::ByOption { field, options } => tr_with(
            lang,
            "payments.rule_by_option",
            &[
                ("field", field),
                (
                    "options",
                    &options.iter().map(|(k, v)| format!("{k}: {}", money(*v, lang))).collect::<Vec<_>>().join(", "),
                ),
            ],
        ),
    }
}

async fn setup_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Query(q): Query<NoticeQ>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Payments, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let notice = match Notice::parse(q.hinweis.as_deref()) {
        Some(Notice::Saved) => Some(Block::Notice("success", tr(lang, "payments.saved"))),
        Some(Notice::AccountChecked) => Some(Block::Notice("success", tr(lang, "payments.account_checked"))),
        Some(Notice::StripeUnreachable) => Some(Block::Notice("danger", tr(lang, "payments.stripe_unreachable_admin"))),
        _ => None,
    };
    let blocks = setup_blocks(&state, &mut tx, lang, &s, None, notice).await?;
    tx.finish().await?;
    staff_page(
        &state,
        &ctx,
        lang,
        paths::SETUP_PAGE.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "payments.setup_title"),
        blocks,
    )
    .await
}

#[derive(Deserialize, Default)]
struct NoticeQ {
    #[serde(default)]
    hinweis: Option<String>,
}

/// Saves a setup, keeping the account → tenant map; an account of another tenant is refused.
async fn store_setup(tx: &mut TenantTx, lang: Lang, setup: &PaymentSetup) -> Result<Result<(), FormState>, AppError> {
    match repo::save_setup(tx, setup).await {
        Ok(()) => Ok(Ok(())),
        Err(repo::RepoError::AccountTaken) => {
            let mut form = setup_state(setup);
            form.errors.insert("stripe_account_id".into(), tr(lang, "payments.error.account_taken"));
            Ok(Err(form))
        }
        Err(e) => Err(e.into()),
    }
}

async fn save_setup(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Payments, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    // a connected account is attached by the platform's operators (who see the contract behind
    // it), never by naming an account id here: a tenant admin could otherwise claim any account
    let current = repo::setup(&mut tx).await?.stripe_account_id;
    let result = match parse_setup(lang, &f) {
        Ok(setup) if setup.stripe_account_id != current => {
            let mut form = setup_state(&setup);
            form.errors.insert("stripe_account_id".into(), tr(lang, "payments.error.account_by_operator"));
            Err(form)
        }
        Ok(setup) => store_setup(&mut tx, lang, &setup).await?.map(|()| setup),
        Err(form) => Err(form),
    };
    match result {
        Ok(setup) => {
            audit(
                &mut tx,
                &s,
                &ip,
                "payment.setup",
                "payment_setup".into(),
                serde_json::to_value(&setup).unwrap_or_default(),
            )
            .await?;
            tx.finish().await?;
            refresh_account(&state, ctx.entry.tenant_id, &setup).await?;
            Ok(Notice::Saved.redirect(paths::SETUP_PAGE.path()))
        }
        Err(form) => {
            drop(tx);
            let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
            let blocks = setup_blocks(&state, &mut tx, lang, &s, Some(form), None).await?;
            tx.finish().await?;
            staff_page(
                &state,
                &ctx,
                lang,
                paths::SETUP_PAGE.path(),
                Some(&s),
                StatusCode::UNPROCESSABLE_ENTITY,
                tr(lang, "payments.setup_title"),
                blocks,
            )
            .await
        }
    }
}

/// Asks Stripe for a just-saved account's onboarding state (best effort: the payment jobs and the
/// `account.updated` webhook keep it current).
async fn refresh_account(state: &AppState, tenant: TenantId, setup: &PaymentSetup) -> Result<(), AppError> {
    let Some(account) = &setup.stripe_account_id else { return Ok(()) };
    if !state.payments.configured() {
        return Ok(());
    }
    match state.payments.retrieve_account(account).await {
        Ok(a) => {
            let mut tx = state.db.tenant(tenant).await?;
            repo::record_account(&mut tx, &a).await?;
            tx.commit().await?;
        }
        Err(e) => tracing::warn!(error = %e, "checking the connected account failed"),
    }
    Ok(())
}

async fn check_account(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Payments, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let setup = repo::setup(&mut tx).await?;
    let account = setup.stripe_account_id.ok_or_else(AppError::not_found)?;
    match state.payments.retrieve_account(&account).await {
        Ok(a) => {
            repo::record_account(&mut tx, &a).await?;
            audit(
                &mut tx,
                &s,
                &ip,
                "payment.account_checked",
                account,
                serde_json::json!({ "charges_enabled": a.charges_enabled, "details_submitted": a.details_submitted }),
            )
            .await?;
            tx.finish().await?;
            Ok(Notice::AccountChecked.redirect(paths::SETUP_PAGE.path()))
        }
        Err(e) => {
            tracing::warn!(error = %e, "retrieving the connected account failed");
            Ok(Notice::StripeUnreachable.redirect(paths::SETUP_PAGE.path()))
        }
    }
}

async fn onboarding(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Payments, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let account = repo::setup(&mut tx).await?.stripe_account_id.ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    let base = crate::kit::mail::base_url(&state, &ctx.host, &headers);
    let back = format!("{base}/verwaltung/zahlungen/einstellungen");
    match state.payments.onboarding_link(&account, &back, &back).await {
        Ok(url) => Ok(see_other(&url)),
        Err(e) => {
            tracing::warn!(error = %e, "creating the onboarding link failed");
            Ok(Notice::StripeUnreachable.redirect(paths::SETUP_PAGE.path()))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// tenant admins: a service's fee and booking data
