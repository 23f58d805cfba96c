//! The ranked list of a programme (care type and month) and deviating from it by hand.

use super::*;
use crate::kit::office::ObjectPage;

pub(super) fn program_of(id: Uuid, care: &str, month: &str) -> Result<Program, AppError> {
    let start_month = parse_month(month).ok_or_else(AppError::not_found)?;
    if !super::super::CARE_TYPES.contains(&care) {
        return Err(AppError::not_found());
    }
    Ok(Program { facility: id, care_type: care.to_owned(), start_month })
}

pub(crate) async fn ranked_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params((id, care, month)): Params<(Uuid, String, String)>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Read)?;
    let program = program_of(id, &care, &month)?;
    ranked_with(ObjectPage::new(&state, &ctx, lang, &s, &program)).await
}

pub(super) async fn ranked_with(p: ObjectPage<'_, &'_ Program, FormState>) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, key: program, again: form_again, status } = p;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    settings_of(&mut tx).await?;
    let scope = scope_of(&mut tx, s).await?;
    let fac = repo::facility(&mut tx, &scope, program.facility).await?.ok_or_else(AppError::not_found)?;
    let list = stats::ranked_list(&mut tx, &scope, program).await?.ok_or_else(AppError::not_found)?;
    let running = allocation::rounds_open(&mut tx).await?;
    tx.finish().await?;
    let path =
        paths::RANKED.with(&[&program.facility, &program.care_type, &super::super::month_value(program.start_month)]);
    let mut blocks = vec![
        Block::Text(tr(lang, "kita.ranked_intro")),
        Block::Links(vec![(paths::STAFF_FACILITY.with(&[&fac.id]), fac.name.clone())]),
    ];
    blocks.push(Block::Table {
        caption: tr_with(
            lang,
            "kita.ranked_caption",
            &[("care", &care_label(lang, &program.care_type)), ("month", &month_text(lang, program.start_month))],
        ),
        headers: vec![
            tr(lang, "kita.position_rank"),
            tr(lang, "kita.number"),
            tr(lang, "kita.child"),
            tr(lang, "kita.points"),
            tr(lang, "kita.points_parts"),
            tr(lang, "kita.deviation"),
            tr(lang, "kita.offer"),
        ],
        rows: list
            .iter()
            .map(|r| {
                let parts = r
                    .parts
                    .iter()
                    .map(|(k, p)| format!("{} {p}", tr(lang, &format!("kita.criterion_{}", k.code()))))
                    .collect::<Vec<_>>()
                    .join(", ");
                vec![
                    Cell::Text(r.position.to_string()),
                    Cell::Link(paths::APPLICATION.with(&[&r.application.id]), r.application.number.clone()),
                    Cell::Text(format!("{} {}", r.application.child_first, r.application.child_last)),
                    Cell::Text(r.points.to_string()),
                    Cell::Text(parts),
                    Cell::Text(r.deviation.clone().unwrap_or_default()),
                    Cell::Text(r.offer.as_ref().map(|o| tr(lang, &format!("kita.offer_{o}"))).unwrap_or_default()),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.ranked_empty"),
    });
    if s.may(state, Resource::Kita, Action::Process) && !list.is_empty() && !running {
        let options: Vec<(String, String)> = list
            .iter()
            .map(|r| {
                (
                    r.application.id.to_string(),
                    format!(
                        "{}. {} {} ({})",
                        r.position, r.application.child_first, r.application.child_last, r.application.number
                    ),
                )
            })
            .collect();
        let fields = vec![
            Field::new("application", tr(lang, "kita.deviation_child"), FieldKind::Select(options)).required(),
            Field::new("reason", tr(lang, "kita.deviation_reason"), FieldKind::TextArea)
                .required()
                .hint(tr(lang, "kita.deviation_hint")),
        ];
        blocks.push(Block::Heading(tr(lang, "kita.deviation_title")));
        blocks.push(Block::Form(FormSpec {
            action: path.clone(),
            csrf: s.csrf.clone(),
            form: form_again.unwrap_or_default(),
            fields,
            submit: tr(lang, "kita.deviation_submit"),
            danger: false,
            secondary: None,
        }));
    }
    staff_page(
        state,
        ctx,
        lang,
        &path,
        Some(s),
        status,
        tr_with(lang, "kita.ranked_title", &[("facility", &fac.name)]),
        blocks,
    )
    .await
}

pub(crate) async fn deviate(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Params((id, care, month)): Params<(Uuid, String, String)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Process)?;
    let program = program_of(id, &care, &month)?;
    let reason = f.raw("reason").trim().to_owned();
    let application = Uuid::parse_str(&f.text("application")).ok();
    let mut fs = FormState::default();
    fs.values.insert("reason".into(), reason.clone());
    fs.values.insert("application".into(), f.text("application"));
    for (k, l) in [("application", "kita.deviation_child"), ("reason", "kita.deviation_reason")] {
        fs.order.push(k.into());
        fs.labels.insert(k.into(), tr(lang, l));
    }
    if !(10..=1000).contains(&reason.chars().count()) {
        fs.errors.insert("reason".into(), tr(lang, "kita.error_reason"));
    }
    let Some(application) = application.filter(|_| fs.errors.is_empty()) else {
        if !fs.errors.contains_key("reason") {
            fs.errors.insert("application".into(), tr(lang, "validation.required"));
        }
        return ranked_with(
            ObjectPage::new(&state, &ctx, lang, &s, &program).answer(Some(fs), StatusCode::UNPROCESSABLE_ENTITY),
        )
        .await;
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let scope = scope_of(&mut tx, &s).await?;
    if allocation::rounds_open(&mut tx).await? {
        tx.finish().await?;
        fs.errors.insert("application".into(), tr(lang, "kita.error_deviation_late"));
        return ranked_with(ObjectPage::new(&state, &ctx, lang, &s, &program).answer(Some(fs), StatusCode::CONFLICT))
            .await;
    }
    match allocation::record_deviation(&mut tx, &scope, &program, application, &reason, s.principal.actor_id).await? {
        Ok(()) => {
            audit(
                &mut tx,
                &s,
                &ip,
                "kita_ranking.deviation",
                format!("kita_application:{application}"),
                serde_json::json!({ "facility": id, "care_type": care, "start_month": month, "reason": reason }),
            )
            .await?;
            tx.finish().await?;
            Ok(Notice::Saved.redirect(&paths::RANKED.with(&[&id, &care, &month])))
        }
        Err(_) => Err(AppError::not_found()),
    }
}
