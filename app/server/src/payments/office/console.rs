//! The console: plans and a tenant's payment setup.

use super::*;
use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use crate::payments::paths;

pub(super) async fn plans_blocks(
    state: &AppState,
    lang: Lang,
    s: &OperatorSession,
    errors: Option<(String, FormState)>,
) -> Result<Vec<Block>, AppError> {
    let mut tx = crate::kit::pipeline::platform_tx(state).await?;
    let plans = repo::plans(tx.conn()).await?;
    tx.finish().await?;
    let csrf = s.session.csrf_token.clone();
    let rows = plans
        .iter()
        .map(|p| {
            let form = match &errors {
                Some((slug, f)) if *slug == p.slug => f.clone(),
                _ => {
                    let mut f = FormState::default();
                    f.values.insert("fixed".into(), decimal_de(p.fee_fixed_cents));
                    f.values.insert("percent".into(), decimal_de(i64::from(p.fee_basis_points)));
                    f
                }
            };
            let mut form = form;
            form.values.insert("plan".into(), p.slug.clone());
            vec![
                Cell::Text(p.name.clone()),
                Cell::Text(p.tenants.to_string()),
                Cell::Form(Box::new(FormSpec {
                    action: paths::PLANS_PAGE.path().into(),
                    csrf: csrf.clone(),
                    form,
                    fields: vec![
                        Field::new("plan", String::new(), FieldKind::Hidden),
                        Field::new(
                            "fixed",
                            tr_with(lang, "payments.plan_fixed", &[("plan", &p.name)]),
                            FieldKind::Text,
                        ),
                        Field::new(
                            "percent",
                            tr_with(lang, "payments.plan_percent", &[("plan", &p.name)]),
                            FieldKind::Text,
                        ),
                    ],
                    submit: tr(lang, "payments.save"),
                    danger: false,
                    secondary: None,
                })),
            ]
        })
        .collect();
    Ok(vec![
        Block::Text(tr(lang, "payments.plans_intro")),
        Block::Table {
            caption: tr(lang, "payments.plans_title"),
            headers: vec![tr(lang, "payments.plan"), tr(lang, "payments.tenants"), tr(lang, "payments.app_fee")],
            rows,
            empty: String::new(),
        },
    ])
}

pub(super) async fn plans_page(
    State(state): State<AppState>,
    s: OperatorSession,
    Language(lang): Language,
) -> Result<Response, AppError> {
    crate::kit::operator::require(&state, &s, Resource::Payments, Action::Read)?;
    let blocks = plans_blocks(&state, lang, &s, None).await?;
    Ok(crate::kit::operator::render(
        &state,
        lang,
        &s,
        paths::PLANS_PAGE.path(),
        StatusCode::OK,
        tr(lang, "payments.plans_title"),
        blocks,
    ))
}

/// A percentage as basis points: `1,5` → 150 (at most 10 %).
pub(super) fn basis_points(s: &str) -> Option<i32> {
    let c = Cents::parse_euro(s).ok()?.get();
    i32::try_from(c).ok().filter(|bp| (0..=1000).contains(bp))
}

pub(super) async fn save_plan(
    State(state): State<AppState>,
    Language(lang): Language,
    ip: ClientIp,
    Checked(s, f): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    let principal = crate::kit::operator::require(&state, &s, Resource::Payments, Action::Write)?;
    let slug = f.text("plan");
    let mut form = FormState::default();
    form.values.insert("fixed".into(), f.text("fixed"));
    form.values.insert("percent".into(), f.text("percent"));
    let fixed = Cents::parse_euro(&f.text("fixed")).ok().map(Cents::get).filter(|c| *c <= 10_000);
    let bp = basis_points(&f.text("percent"));
    if fixed.is_none() {
        form.errors.insert("fixed".into(), tr(lang, "payments.error.plan_fixed"));
    }
    if bp.is_none() {
        form.errors.insert("percent".into(), tr(lang, "payments.error.plan_percent"));
    }
    let (Some(fixed), Some(bp)) = (fixed, bp) else {
        let blocks = plans_blocks(&state, lang, &s, Some((slug, form))).await?;
        return Ok(crate::kit::operator::render(
            &state,
            lang,
            &s,
            paths::PLANS_PAGE.path(),
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "payments.plans_title"),
            blocks,
        ));
    };
    let mut tx = crate::kit::pipeline::platform_tx(&state).await?;
    if !repo::set_plan_fee(tx.conn(), &slug, fixed, bp).await? {
        return Err(AppError::not_found());
    }
    portal_authz::audit::record(
        tx.conn(),
        &principal,
        ip.0,
        portal_authz::audit::Event {
            tenant: None,
            action: "payment.plan_fee",
            object: format!("plan:{slug}"),
            detail: serde_json::json!({ "fixed_cents": fixed, "basis_points": bp }),
        },
    )
    .await?;
    tx.finish().await?;
    Ok(see_other(paths::PLANS_PAGE.path()))
}

pub(super) async fn console_setup_blocks(
    state: &AppState,
    lang: Lang,
    s: &OperatorSession,
    id: TenantId,
    form: Option<FormState>,
    plan_error: Option<String>,
) -> Result<(String, Vec<Block>), AppError> {
    let mut platform = crate::kit::pipeline::platform_tx(state).await?;
    let plans = repo::plans(platform.conn()).await?;
    let name: String = sqlx::query_scalar("select name from tenant where tenant_id = $1")
        .bind(id.0)
        .fetch_optional(platform.conn())
        .await?
        .ok_or_else(AppError::not_found)?;
    platform.finish().await?;
    let mut tx = crate::kit::pipeline::tenant_tx(state, id).await?;
    let setup = repo::setup(&mut tx).await?;
    let plan = repo::plan_of(&mut tx).await?;
    tx.finish().await?;
    let csrf = s.session.csrf_token.clone();
    let mut plan_form = FormState::default();
    plan_form.values.insert("plan".into(), plan.slug.clone());
    plan_form.values.insert("teil".into(), "tarif".into());
    if let Some(e) = plan_error {
        plan_form.errors.insert("plan".into(), e);
    }
    let blocks = vec![
        status_facts(state, lang, &setup, &plan),
        Block::Heading(tr(lang, "payments.plan")),
        Block::Form(FormSpec {
            action: paths::CONSOLE_SETUP_PAGE.with(&[&id.0]),
            csrf: csrf.clone(),
            form: plan_form,
            fields: vec![
                Field::new("teil", String::new(), FieldKind::Hidden),
                Field::new(
                    "plan",
                    tr(lang, "payments.plan"),
                    FieldKind::Select(plans.iter().map(|p| (p.slug.clone(), p.name.clone())).collect()),
                ),
            ],
            submit: tr(lang, "payments.save_plan"),
            danger: false,
            secondary: None,
        }),
        Block::Heading(tr(lang, "payments.setup_title")),
        Block::Form(FormSpec {
            action: paths::CONSOLE_SETUP_PAGE.with(&[&id.0]),
            csrf,
            form: form.unwrap_or_else(|| setup_state(&setup)),
            fields: setup_fields(lang),
            submit: tr(lang, "payments.save"),
            danger: false,
            secondary: Some((crate::kit::links::CONSOLE_TENANT.with(&[&id.0]), tr(lang, "account.cancel"))),
        }),
    ];
    Ok((tr_with(lang, "payments.console_title", &[("tenant", &name)]), blocks))
}

pub(super) async fn console_setup_page(
    State(state): State<AppState>,
    s: OperatorSession,
    Language(lang): Language,
    Params(id): Params<Uuid>,
) -> Result<Response, AppError> {
    crate::kit::operator::require(&state, &s, Resource::Payments, Action::Read)?;
    let (title, blocks) = console_setup_blocks(&state, lang, &s, TenantId(id), None, None).await?;
    Ok(crate::kit::operator::render(&state, lang, &s, "/", StatusCode::OK, title, blocks))
}

pub(super) async fn console_save_setup(
    State(state): State<AppState>,
    Language(lang): Language,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    let principal = crate::kit::operator::require(&state, &s, Resource::Payments, Action::Write)?;
    let tenant = TenantId(id);
    let mut platform = state.db.platform().await?;
    if f.text("teil") == "tarif" {
        let slug = f.text("plan");
        if !repo::set_tenant_plan(platform.conn(), tenant, &slug).await? {
            drop(platform);
            let (title, blocks) =
                console_setup_blocks(&state, lang, &s, tenant, None, Some(tr(lang, "payments.error.plan"))).await?;
            return Ok(crate::kit::operator::render(
                &state,
                lang,
                &s,
                "/",
                StatusCode::UNPROCESSABLE_ENTITY,
                title,
                blocks,
            ));
        }
        portal_authz::audit::record(
            platform.conn(),
            &principal,
            ip.0,
            portal_authz::audit::Event {
                tenant: Some(tenant),
                action: "payment.plan",
                object: format!("tenant:{id}"),
                detail: serde_json::json!({ "plan": slug }),
            },
        )
        .await?;
        platform.commit().await?;
        return Ok(see_other(&paths::CONSOLE_SETUP_PAGE.with(&[&id])));
    }
    let mut tx = platform.into_tenant(tenant).await?;
    let result = match parse_setup(lang, &f) {
        Ok(setup) => store_setup(&mut tx, lang, &setup).await?.map(|()| setup),
        Err(form) => Err(form),
    };
    match result {
        Ok(setup) => {
            portal_authz::audit::record(
                tx.conn(),
                &principal,
                ip.0,
                portal_authz::audit::Event {
                    tenant: Some(tenant),
                    action: "payment.setup",
                    object: format!("tenant:{id}"),
                    detail: serde_json::to_value(&setup).unwrap_or_default(),
                },
            )
            .await?;
            tx.commit().await?;
            refresh_account(&state, tenant, &setup).await?;
            Ok(see_other(&paths::CONSOLE_SETUP_PAGE.with(&[&id])))
        }
        Err(form) => {
            drop(tx);
            let (title, blocks) = console_setup_blocks(&state, lang, &s, tenant, Some(form), None).await?;
            Ok(crate::kit::operator::render(&state, lang, &s, "/", StatusCode::UNPROCESSABLE_ENTITY, title, blocks))
        }
    }
}
