//! A service's fees and payment settings: its page and its form.

use super::*;

pub(super) async fn service_blocks(
    tx: &mut TenantTx,
    lang: Lang,
    s: &Staff,
    slug: &str,
    form: Option<FormState>,
) -> Result<(String, Vec<Block>), AppError> {
    let svc = cases::service_form(tx, slug).await?.ok_or_else(AppError::not_found)?;
    let name = svc.name.get(lang).to_owned();
    let current = repo::service_payment(tx, slug).await?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        if let Some(p) = &current {
            let (kind, amount, field, options) = p.rule.to_form();
            f.values.insert("fee_kind".into(), kind.into());
            f.values.insert("fee_amount".into(), amount);
            f.values.insert("fee_field".into(), field);
            f.values.insert("fee_options".into(), options);
            f.values.insert("booking_text".into(), p.booking_text.as_str().to_owned());
            f.values.insert("cost_centre".into(), p.assignment.cost_centre.clone());
            f.values.insert("account".into(), p.assignment.account.clone());
            f.values.insert("cost_unit".into(), p.assignment.cost_unit.clone());
            f.values.insert("timing".into(), p.timing.code().into());
            f.values.insert("pay_days".into(), p.pay_days.to_string());
        } else {
            f.values.insert("pay_days".into(), "14".into());
        }
        f
    });
    // fields a rule may use: whole numbers (per item) and choices (by option)
    let eligible: Vec<String> = svc
        .schema
        .fields()
        .filter(|f| (f.kind == Kind::Number && f.integer) || matches!(f.kind, Kind::Select | Kind::Radio))
        .map(|f| {
            let opts = if f.options.is_empty() {
                String::new()
            } else {
                format!(" [{}]", f.options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>().join(", "))
            };
            format!("{} – {}{opts}", f.id, f.label.get(lang))
        })
        .collect();
    let mut blocks = vec![Block::Text(tr(lang, "payments.service_intro"))];
    if !eligible.is_empty() {
        blocks.push(Block::Text(tr(lang, "payments.eligible_fields")));
        blocks.push(Block::List(eligible));
    }
    blocks.push(Block::Form(FormSpec {
        action: paths::SERVICE_PAGE.with(&[&slug]),
        csrf: s.csrf.clone(),
        form,
        fields: vec![
            Field::new(
                "fee_kind",
                tr(lang, "payments.fee_kind"),
                FieldKind::Select(
                    FEE_KINDS.iter().map(|k| ((*k).to_owned(), tr(lang, &format!("payments.fee_kind_{k}")))).collect(),
                ),
            ),
            Field::new("fee_amount", tr(lang, "payments.fee_amount"), FieldKind::Text)
                .hint(tr(lang, "payments.fee_amount_hint")),
            Field::new("fee_field", tr(lang, "payments.fee_field"), FieldKind::Text)
                .hint(tr(lang, "payments.fee_field_hint")),
            Field::new("fee_options", tr(lang, "payments.fee_options"), FieldKind::Text)
                .hint(tr(lang, "payments.fee_options_hint")),
            Field::new("booking_text", tr(lang, "payments.booking_text"), FieldKind::Text)
                .hint(tr(lang, "payments.booking_text_hint"))
                .required(),
            Field::new("cost_centre", tr(lang, "payments.cost_centre"), FieldKind::Text)
                .hint(tr(lang, "payments.cost_centre_hint"))
                .required(),
            Field::new("account", tr(lang, "payments.account"), FieldKind::Text)
                .hint(tr(lang, "payments.account_hint"))
                .required(),
            Field::new("cost_unit", tr(lang, "payments.cost_unit"), FieldKind::Text)
                .hint(tr(lang, "payments.cost_unit_hint")),
            Field::new(
                "timing",
                tr(lang, "payments.timing"),
                FieldKind::Select(vec![
                    ("before".into(), tr(lang, "payments.timing_before")),
                    ("after".into(), tr(lang, "payments.timing_after")),
                ]),
            ),
            Field::new("pay_days", tr(lang, "payments.pay_days"), FieldKind::Text)
                .hint(tr(lang, "payments.pay_days_hint")),
        ],
        submit: tr(lang, "payments.save"),
        danger: false,
        secondary: Some((paths::SETUP_PAGE.path().into(), tr(lang, "account.cancel"))),
    }));
    if current.is_some() {
        blocks.push(Block::Buttons(vec![Button {
            action: paths::SERVICE_PAGE.with(&[&slug]),
            csrf: s.csrf.clone(),
            hidden: vec![("entfernen".into(), "1".into())],
            label: tr(lang, "payments.remove_fee"),
            danger: true,
        }]));
    }
    Ok((tr_with(lang, "payments.service_title", &[("service", &name)]), blocks))
}

pub(super) async fn service_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(slug): Params<ServiceSlug>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Payments, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let (title, blocks) = service_blocks(&mut tx, lang, &s, &slug, None).await?;
    tx.finish().await?;
    staff_page(&state, &ctx, lang, paths::SETUP_PAGE.path(), Some(&s), StatusCode::OK, title, blocks).await
}

/// Reads a service's payment form against its form schema.
pub(super) fn parse_service(
    lang: Lang,
    f: &Fields,
    slug: &str,
    schema: &portal_forms::FormSchema,
) -> Result<ServicePayment, FormState> {
    let mut form = FormState::default();
    for key in [
        "fee_kind",
        "fee_amount",
        "fee_field",
        "fee_options",
        "booking_text",
        "cost_centre",
        "account",
        "cost_unit",
        "timing",
        "pay_days",
    ] {
        form.values.insert(key.into(), f.text(key));
    }
    let err = |form: &mut FormState, field: &str, key: &str| {
        form.errors.insert(field.into(), tr(lang, key));
    };
    let kind = f.text("fee_kind");
    let rule = match FeeRule::from_form(&kind, &f.text("fee_amount"), &f.text("fee_field"), &f.text("fee_options")) {
        Ok(rule) => match rule.check(Some(schema)) {
            Ok(()) => Some(rule),
            Err(e) => {
                let field = match e {
                    portal_payments::FeeError::Field(_) => "fee_field",
                    portal_payments::FeeError::Amount if kind != "by_option" => "fee_amount",
                    _ => "fee_options",
                };
                form.errors.insert(field.into(), format!("{} ({e})", tr(lang, &format!("payments.error.{}", e.key()))));
                None
            }
        },
        Err(e) => {
            err(
                &mut form,
                if kind == "by_option" { "fee_options" } else { "fee_amount" },
                &format!("payments.error.{}", e.key()),
            );
            None
        }
    };
    let booking = BookingText::parse(&f.text("booking_text"))
        .map_err(|e| err(&mut form, "booking_text", &format!("payments.error.{}", e.key())))
        .ok();
    let assignment = match AccountAssignment::parse(&f.text("cost_centre"), &f.text("account"), &f.text("cost_unit")) {
        Ok(a) => Some(a),
        Err(errors) => {
            for e in errors {
                let field = match e {
                    portal_payments::BookingError::CostCentre => "cost_centre",
                    portal_payments::BookingError::Account => "account",
                    _ => "cost_unit",
                };
                err(&mut form, field, &format!("payments.error.{}", e.key()));
            }
            None
        }
    };
    let timing = Timing::parse(&f.text("timing"));
    if timing.is_none() {
        err(&mut form, "timing", "payments.error.timing");
    }
    let days = f.text("pay_days").parse::<i32>().ok().filter(|d| (1..=90).contains(d));
    if days.is_none() {
        err(&mut form, "pay_days", "payments.error.pay_days");
    }
    match (rule, booking, assignment, timing, days) {
        (Some(rule), Some(booking_text), Some(assignment), Some(timing), Some(pay_days)) => {
            Ok(ServicePayment { service_slug: slug.to_owned(), rule, booking_text, assignment, timing, pay_days })
        }
        _ => Err(form),
    }
}

pub(super) async fn save_service(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Payments, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    if f.text("entfernen") == "1" {
        repo::delete_service_payment(&mut tx, &slug).await?;
        audit(&mut tx, &s, &ip, "payment.service_fee_removed", slug.to_string(), serde_json::json!({})).await?;
        tx.finish().await?;
        return Ok(Notice::Saved.redirect(paths::SETUP_PAGE.path()));
    }
    let svc = cases::service_form(&mut tx, &slug).await?.ok_or_else(AppError::not_found)?;
    match parse_service(lang, &f, &slug, &svc.schema) {
        Ok(p) => {
            if !repo::save_service_payment(&mut tx, &p).await? {
                return Err(AppError::not_found());
            }
            audit(
                &mut tx,
                &s,
                &ip,
                "payment.service_fee",
                slug.to_string(),
                serde_json::to_value(&p).unwrap_or_default(),
            )
            .await?;
            tx.finish().await?;
            Ok(Notice::Saved.redirect(paths::SETUP_PAGE.path()))
        }
        Err(form) => {
            let (title, blocks) = service_blocks(&mut tx, lang, &s, &slug, Some(form)).await?;
            tx.finish().await?;
            staff_page(
                &state,
                &ctx,
                lang,
                paths::SETUP_PAGE.path(),
                Some(&s),
                StatusCode::UNPROCESSABLE_ENTITY,
                title,
                blocks,
            )
            .await
        }
    }
}
