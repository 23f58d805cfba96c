//! Case settings of a tenant's admins: deadlines and retention per service, and their own forms.

use super::*;
use crate::casework::paths;
use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use portal_domain::ServiceSlug;

pub(super) async fn settings_blocks(
    tx: &mut TenantTx,
    lang: Lang,
    s: &Staff,
    form: FormState,
) -> Result<Vec<Block>, AppError> {
    let days = cases::draft_days(tx).await?;
    let mut form = form;
    form.values.entry("draft_days".into()).or_insert_with(|| days.to_string());
    form.labels.insert("draft_days".into(), tr(lang, "casework.draft_days"));
    let rows = sqlx::query_as::<_, (String, String, i32, i32, bool, bool)>(
        "select a.service_slug, coalesce(case when $1 = 'en' then a.name_en else a.name_de end, case when $1 = 'en' then b.name_en else b.name_de end),
                a.processing_days, a.retention_days, b.form_schema is not null or a.form_schema is not null, a.form_schema is not null
           from service_activation a join service_entry b using (service_slug) order by 2",
    )
    .bind(lang.code())
    .fetch_all(tx.conn())
    .await?;
    let mut blocks = vec![
        Block::Text(tr(lang, "casework.settings_intro")),
        Block::Form(FormSpec {
            action: paths::SETTINGS.path().into(),
            csrf: s.csrf.clone(),
            form: form.clone(),
            fields: vec![
                Field::new("draft_days", tr(lang, "casework.draft_days"), FieldKind::Text)
                    .hint(tr(lang, "casework.draft_days_hint"))
                    .required(),
            ],
            submit: tr(lang, "casework.save"),
            danger: false,
            secondary: None,
        }),
        Block::Heading(tr(lang, "casework.per_service")),
    ];
    let table = rows
        .into_iter()
        .filter(|r| r.4)
        .map(|(slug, name, processing, retention, _, overridden)| {
            let mut f = FormState::default();
            f.values.insert("slug".into(), slug.clone());
            f.values.insert(format!("processing_{slug}"), processing.to_string());
            f.values.insert(format!("retention_{slug}"), retention.to_string());
            if let Some(e) = form.errors.get(&format!("processing_{slug}")) {
                f.errors.insert(format!("processing_{slug}"), e.clone());
            }
            if let Some(e) = form.errors.get(&format!("retention_{slug}")) {
                f.errors.insert(format!("retention_{slug}"), e.clone());
            }
            vec![
                Cell::Text(name.clone()),
                Cell::Form(Box::new(FormSpec {
                    action: paths::SETTINGS.path().into(),
                    csrf: s.csrf.clone(),
                    form: f,
                    fields: vec![
                        Field::new("slug", String::new(), FieldKind::Hidden),
                        Field::new(
                            &format!("processing_{slug}"),
                            tr_with(lang, "casework.processing_days", &[("service", &name)]),
                            FieldKind::Text,
                        ),
                        Field::new(
                            &format!("retention_{slug}"),
                            tr_with(lang, "casework.retention_days", &[("service", &name)]),
                            FieldKind::Text,
                        ),
                    ],
                    submit: tr(lang, "casework.save"),
                    danger: false,
                    secondary: None,
                })),
                Cell::Link(
                    paths::FORM_OVERRIDE_PAGE.with(&[&slug]),
                    tr(lang, if overridden { "casework.own_form" } else { "casework.base_form" }),
                ),
            ]
        })
        .collect();
    blocks.push(Block::Table {
        caption: tr(lang, "casework.per_service_caption"),
        headers: vec![tr(lang, "casework.service"), tr(lang, "casework.deadlines"), tr(lang, "casework.form")],
        rows: table,
        empty: tr(lang, "casework.no_forms"),
    });
    Ok(blocks)
}

pub(super) async fn settings(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Services, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let blocks = settings_blocks(&mut tx, lang, &s, FormState::default()).await?;
    tx.finish().await?;
    staff_page(
        &state,
        &ctx,
        lang,
        paths::SETTINGS.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "casework.settings_title"),
        blocks,
    )
    .await
}

pub(super) fn days_in(value: &str, range: std::ops::RangeInclusive<i32>) -> Option<i32> {
    value.trim().parse::<i32>().ok().filter(|d| range.contains(d))
}

pub(super) async fn save_settings(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Services, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let mut form = FormState::default();
    let slug = f.text("slug");
    if slug.is_empty() {
        let raw = f.text("draft_days");
        match days_in(&raw, 1..=365) {
            Some(d) => {
                cases::set_draft_days(&mut tx, d).await?;
                audit(&mut tx, &s, &ip, "case.settings", "draft_days".into(), serde_json::json!({ "draft_days": d }))
                    .await?;
            }
            None => {
                form.values.insert("draft_days".into(), raw);
                form.errors.insert("draft_days".into(), tr(lang, "casework.draft_days_invalid"));
            }
        }
    } else {
        let (p_raw, r_raw) = (f.text(&format!("processing_{slug}")), f.text(&format!("retention_{slug}")));
        let p = days_in(&p_raw, 1..=365);
        let r = days_in(&r_raw, 30..=36500);
        if p.is_none() {
            form.errors.insert(format!("processing_{slug}"), tr(lang, "casework.processing_invalid"));
        }
        if r.is_none() {
            form.errors.insert(format!("retention_{slug}"), tr(lang, "casework.retention_invalid"));
        }
        if let (Some(p), Some(r)) = (p, r) {
            if !cases::set_service_case_settings(&mut tx, &slug, r, p).await? {
                return Err(AppError::not_found());
            }
            audit(
                &mut tx,
                &s,
                &ip,
                "case.settings",
                slug.clone(),
                serde_json::json!({ "processing_days": p, "retention_days": r }),
            )
            .await?;
        }
    }
    if form.has_errors() {
        let blocks = settings_blocks(&mut tx, lang, &s, form).await?;
        tx.finish().await?;
        return staff_page(
            &state,
            &ctx,
            lang,
            paths::SETTINGS.path(),
            Some(&s),
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "casework.settings_title"),
            blocks,
        )
        .await;
    }
    tx.finish().await?;
    Ok(see_other(paths::SETTINGS.path()))
}

pub(super) async fn form_override_blocks(
    tx: &mut TenantTx,
    lang: Lang,
    s: &Staff,
    slug: &str,
    text: Option<String>,
    error: Option<String>,
) -> Result<Vec<Block>, AppError> {
    let form = cases::service_form(tx, slug).await?.ok_or_else(AppError::not_found)?;
    let json = text.unwrap_or_else(|| serde_json::to_string_pretty(&form.schema).unwrap_or_default());
    let mut state = FormState::default();
    state.values.insert("schema".into(), json);
    state.labels.insert("schema".into(), tr(lang, "casework.schema"));
    if let Some(e) = error {
        state.errors.insert("schema".into(), e);
    }
    Ok(vec![
        Block::Text(tr(lang, if form.overridden { "casework.form_overridden" } else { "casework.form_base" })),
        Block::Facts(vec![(
            tr(lang, "cases.form_version"),
            format!("{} ({})", form.schema.version, &form.schema_hash[..12]),
            None,
        )]),
        Block::Form(FormSpec {
            action: paths::FORM_OVERRIDE_PAGE.with(&[&slug]),
            csrf: s.csrf.clone(),
            form: state,
            fields: vec![
                Field::new("schema", tr(lang, "casework.schema"), FieldKind::TextArea)
                    .hint(tr(lang, "casework.schema_hint")),
            ],
            submit: tr(lang, "casework.save_form"),
            danger: false,
            secondary: Some((paths::SETTINGS.path().into(), tr(lang, "account.cancel"))),
        }),
        Block::Buttons(vec![Button {
            action: paths::FORM_OVERRIDE_PAGE.with(&[&slug]),
            csrf: s.csrf.clone(),
            hidden: vec![("reset".into(), "1".into())],
            label: tr(lang, "casework.reset_form"),
            danger: true,
        }]),
    ])
}

pub(super) async fn form_override_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(slug): Params<ServiceSlug>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Services, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let blocks = form_override_blocks(&mut tx, lang, &s, &slug, None, None).await?;
    tx.finish().await?;
    staff_page(
        &state,
        &ctx,
        lang,
        paths::SETTINGS.path(),
        Some(&s),
        StatusCode::OK,
        tr_with(lang, "casework.form_title", &[("service", &slug)]),
        blocks,
    )
    .await
}

pub(super) async fn save_form_override(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Services, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    if f.text("reset") == "1" {
        cases::set_form_override(&mut tx, &slug, None).await?;
        audit(&mut tx, &s, &ip, "case.form_reset", slug.to_string(), serde_json::json!({})).await?;
        tx.finish().await?;
        // the service page says whether it can be applied for online
        state.content.invalidate(ctx.entry.tenant_id);
        return Ok(see_other(paths::SETTINGS.path()));
    }
    let raw = f.raw("schema");
    match FormSchema::from_json(&raw) {
        Ok(schema) => {
            if !cases::set_form_override(&mut tx, &slug, Some(&schema)).await? {
                return Err(AppError::not_found());
            }
            audit(
                &mut tx,
                &s,
                &ip,
                "case.form_override",
                slug.to_string(),
                serde_json::json!({ "version": schema.version }),
            )
            .await?;
            tx.finish().await?;
            state.content.invalidate(ctx.entry.tenant_id);
            Ok(see_other(paths::SETTINGS.path()))
        }
        Err(e) => {
            let msg = tr_with(lang, "casework.schema_invalid", &[("error", &e.to_string())]);
            let blocks = form_override_blocks(&mut tx, lang, &s, &slug, Some(raw), Some(msg)).await?;
            tx.finish().await?;
            staff_page(
                &state,
                &ctx,
                lang,
                paths::SETTINGS.path(),
                Some(&s),
                StatusCode::UNPROCESSABLE_ENTITY,
                tr_with(lang, "casework.form_title", &[("service", &slug)]),
                blocks,
            )
            .await
        }
    }
}
