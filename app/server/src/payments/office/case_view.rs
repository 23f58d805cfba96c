//! The staff case view's payment box, and refunds.

use super::*;
use crate::kit::registry::{CaseActionRequest, Outcome};
use crate::payments::paths;
use crate::shared::cases::{actor, visible_case};

/// The payment box on the office's page of a case: the payment, its refunds and (for staff who may)
/// the refund form.
pub fn office_case_panel<'a>(
    state: &'a AppState,
    tx: &'a mut TenantTx,
    lang: Lang,
    s: &'a Staff,
    case: &'a Case,
    refund_form: Option<FormState>,
) -> BoxFuture<'a, Result<Vec<Block>, AppError>> {
    Box::pin(staff_payment_blocks(state, tx, lang, s, case, refund_form))
}

async fn staff_payment_blocks(
    state: &AppState,
    tx: &mut TenantTx,
    lang: Lang,
    s: &Staff,
    case: &Case,
    refund_form: Option<FormState>,
) -> Result<Vec<Block>, AppError> {
    if !s.may(state, Resource::Payments, Action::Read) {
        return Ok(vec![]);
    }
    let Some(p) = repo::payment_for_case(tx, case.case_id, false).await? else { return Ok(vec![]) };
    let refunds = repo::refunds(tx, p.payment_id).await?;
    let refundable = repo::refundable(tx, &p).await?;
    let now = state.db.now();
    let mut facts = vec![
        (tr(lang, "payments.kassenzeichen"), p.kassenzeichen.clone(), None),
        (
            tr(lang, "payments.amount"),
            format!("{} ({})", money(p.amount_cents, lang), p.fee.lines(lang).join("; ")),
            None,
        ),
        (tr(lang, "payments.status"), status_label(lang, p.status), None),
        (
            tr(lang, "payments.method"),
            p.method.as_deref().map(|m| tr(lang, &format!("payments.method_{m}"))).unwrap_or_else(|| "–".into()),
            None,
        ),
        (
            tr(lang, "payments.booking"),
            format!("{} · {} / {} {}", p.booking_text, p.cost_centre, p.account, p.cost_unit),
            None,
        ),
        (tr(lang, "payments.app_fee"), money(p.application_fee_cents, lang), None),
    ];
    if let Some(at) = p.paid_at {
        facts.push((tr(lang, "payments.paid_at"), fmt_time(at), None));
    }
    if let Some(due) = p.due_at.filter(|_| p.status.is_payable()) {
        facts.push((
            tr(lang, "payments.due"),
            if p.overdue(now) {
                format!("{} – {}", fmt_date(due), tr(lang, "casework.overdue_badge"))
            } else {
                fmt_date(due)
            },
            None,
        ));
    }
    if p.refunded_cents > 0 {
        facts.push((tr(lang, "payments.refunded"), money(p.refunded_cents, lang), None));
    }
    facts.push((
        tr(lang, "payments.stripe_ids"),
        format!("{} · {}", p.stripe_account_id, p.intent_id.clone().unwrap_or_default()),
        None,
    ));
    let mut blocks = vec![Block::Heading(tr(lang, "payments.heading")), Block::Facts(facts)];
    if !refunds.is_empty() {
        blocks.push(Block::Table {
            caption: tr(lang, "payments.refunds"),
            headers: vec![
                tr(lang, "payments.created"),
                tr(lang, "payments.amount"),
                tr(lang, "payments.reason"),
                tr(lang, "payments.by"),
                tr(lang, "payments.status"),
            ],
            rows: refunds
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(fmt_time(r.created_at)),
                        Cell::Text(money(r.amount_cents, lang)),
                        Cell::Text(r.reason.clone()),
                        Cell::Text(r.staff_name.clone()),
                        Cell::Text(tr(lang, &format!("payments.refund_{}", r.status))),
                    ]
                })
                .collect(),
            empty: String::new(),
        });
    }
    if refundable > 0 && s.may(state, Resource::Payments, Action::Process) {
        let mut form = refund_form.unwrap_or_default();
        form.values.entry("amount".into()).or_insert_with(|| decimal_de(refundable));
        blocks.push(Block::Heading(tr(lang, "payments.refund_heading")));
        blocks.push(Block::Form(FormSpec {
            action: paths::REFUND.with(&[&case.case_id]),
            csrf: s.csrf.clone(),
            form,
            fields: vec![
                Field::new("amount", tr(lang, "payments.refund_amount"), FieldKind::Text)
                    .hint(tr_with(lang, "payments.refund_amount_hint", &[("max", &money(refundable, lang))]))
                    .required(),
                Field::new("reason", tr(lang, "payments.reason"), FieldKind::Text)
                    .hint(tr(lang, "payments.reason_hint"))
                    .required(),
            ],
            submit: tr(lang, "payments.refund_submit"),
            danger: true,
            secondary: None,
        }));
    }
    Ok(blocks)
}

/// The refund form's action on the office's case page.
pub fn refund<'a>(
    state: &'a AppState,
    ctx: &'a TenantContext,
    request: &'a CaseActionRequest,
) -> BoxFuture<'a, Result<Outcome, AppError>> {
    Box::pin(refund_case(state, ctx, request))
}

async fn refund_case(state: &AppState, ctx: &TenantContext, request: &CaseActionRequest) -> Result<Outcome, AppError> {
    let CaseActionRequest { ip, staff: s, lang, case_id: id, fields: f, .. } = request;
    let (lang, id) = (*lang, *id);
    s.require(state, Resource::Payments, Action::Process)?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let case = visible_case(&mut tx, s, id).await?;
    let p = repo::payment_for_case(&mut tx, id, true).await?.ok_or_else(AppError::not_found)?;
    let refundable = repo::refundable(&mut tx, &p).await?;
    let (amount_raw, reason) = (f.text("amount"), f.text("reason"));
    let mut form = FormState::default();
    form.values.insert("amount".into(), amount_raw.clone());
    form.values.insert("reason".into(), reason.clone());
    let amount = match Cents::parse_euro(&amount_raw) {
        Ok(c) if c.get() > 0 && c.get() <= refundable => Some(c.get()),
        Ok(c) if c.get() > refundable => {
            form.errors.insert(
                "amount".into(),
                tr_with(lang, "payments.error.refund_too_much", &[("max", &money(refundable, lang))]),
            );
            None
        }
        _ => {
            form.errors.insert("amount".into(), tr(lang, "payments.error.refund_amount"));
            None
        }
    };
    let reason_ok = (3..=500).contains(&reason.chars().count());
    if !reason_ok {
        form.errors.insert("reason".into(), tr(lang, "payments.error.refund_reason"));
    }
    let (Some(amount), true) = (amount, reason_ok) else {
        return Ok(Outcome::Again(form, StatusCode::UNPROCESSABLE_ENTITY));
    };
    let intent = p.intent_id.clone().ok_or_else(AppError::not_found)?;
    // recorded first: the refund's id is the idempotency key, so a retried click cannot refund twice
    let refund_id =
        repo::add_refund(&mut tx, p.payment_id, amount, &reason, (s.user.staff_id, &s.user.display_name)).await?;
    audit(
        &mut tx,
        s,
        ip,
        "payment.refund",
        p.kassenzeichen.clone(),
        serde_json::json!({ "amount_cents": amount, "reason": reason, "case": case.reference }),
    )
    .await?;
    tx.finish().await?;
    let metadata =
        [("kassenzeichen".to_owned(), p.kassenzeichen.clone()), ("refund_id".to_owned(), refund_id.to_string())]
            .into_iter()
            .collect();
    let result =
        state.payments.refund(&p.stripe_account_id, &intent, amount, &format!("refund-{refund_id}"), metadata).await;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    match result {
        Ok(r) => {
            repo::set_refund_remote(&mut tx, refund_id, p.payment_id, &r).await?;
            let text = tr_with(
                lang,
                "payments.ev_refunded",
                &[("amount", &money(amount, case.lang)), ("kassenzeichen", &p.kassenzeichen), ("reason", &reason)],
            );
            cases::add_event(&mut tx, case.case_id, EventKind::Payment, None, &actor(s), &text, false).await?;
            if let Some(to) = crate::flows::filing::applicant_email(&mut tx, &case).await? {
                let mail = crate::payments::mails::refunded(
                    crate::payments::mails::About {
                        service: case.service_name.get(case.lang).to_owned(),
                        amount: money(amount, case.lang),
                        kassenzeichen: p.kassenzeichen.clone(),
                    },
                    reason.clone(),
                    payer_link(&p, Some(&case), ""),
                );
                crate::kit::mail::queue(&mut tx, ctx, &p.portal_url, case.lang, &to, mail).await?;
            }
            tx.finish().await?;
            Ok(Outcome::Done(None))
        }
        Err(e) => {
            tracing::warn!(error = %e, kassenzeichen = %p.kassenzeichen, "refund failed");
            repo::fail_refund(&mut tx, refund_id).await?;
            tx.finish().await?;
            form.errors
                .insert("amount".into(), tr_with(lang, "payments.error.refund_stripe", &[("error", &e.to_string())]));
            let status =
                if e.is_temporary() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::UNPROCESSABLE_ENTITY };
            Ok(Outcome::Again(form, status))
        }
    }
}
