//! Booking by telephone: the office books a slot for a caller.

use super::*;
use crate::kit::office::ObjectPage;
use crate::kit::page::Language;

pub(crate) async fn phone_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(id): Params<Uuid>,
    Query(q): Query<DeskQuery>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    phone_with(
        ObjectPage::new(&state, &ctx, lang, &s, id),
        q.dienst.unwrap_or_default(),
        q.personen.unwrap_or(1),
        FormState::default(),
    )
    .await
}

pub(super) async fn phone_with(
    p: ObjectPage<'_, Uuid, FormState>,
    service: String,
    persons: i32,
    mut form: FormState,
) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, key: id, status, .. } = p;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let loc = super::super::active_location(&mut tx, id).await?;
    let rules = repo::rules(&mut tx, id).await?;
    let content = page::content(state, ctx).await?;
    let services: Vec<(String, String)> =
        rules.iter().map(|r| (r.service.clone(), service_name(&content, lang, &r.service))).collect();
    let mut blocks = vec![Block::Filters(Box::new(FilterSpec {
        action: paths::DESK_PHONE.with(&[&id]),
        selects: vec![
            ("dienst".into(), tr(lang, "appointments.service"), services, service.clone()),
            (
                "personen".into(),
                tr(lang, "appointments.persons"),
                (1..=6).map(|n| (n.to_string(), n.to_string())).collect(),
                persons.to_string(),
            ),
        ],
        dates: vec![],
        texts: vec![],
        checks: vec![],
        submit: tr(lang, "appointments.show_times"),
    }))];
    let req = Request { location: id, services: vec![service.clone()], persons };
    if let (false, Ok(plan)) = (service.is_empty(), repo::plan(&rules, &req)) {
        let now = state.db.now();
        let today = civil::german(now).date();
        // on the phone the office may book today too, without the notice citizens need
        let plan = repo::Plan { min_notice: Duration::ZERO, ..plan };
        let slots =
            repo::free(&mut tx, settings.land, &req, &plan, now, today, repo::last_day(&plan, today), None).await?;
        let options: Vec<(String, String)> =
            slots.iter().take(60).map(|x| (x.start.unix_timestamp().to_string(), when_text(lang, x.start))).collect();
        if options.is_empty() {
            blocks.push(Block::Notice("info", tr(lang, "appointments.no_free")));
        } else {
            form.values.insert("dienst".into(), service.clone());
            form.values.insert("personen".into(), persons.to_string());
            // the form's one-time key: posted twice, it books once
            form.values.entry("key".into()).or_insert_with(repo::secret);
            blocks.push(Block::Form(FormSpec {
                action: paths::DESK_PHONE.with(&[&id]),
                csrf: s.csrf.clone(),
                form,
                fields: vec![
                    Field::new("key", String::new(), FieldKind::Hidden),
                    Field::new("dienst", String::new(), FieldKind::Hidden),
                    Field::new("personen", String::new(), FieldKind::Hidden),
                    Field::new("start", tr(lang, "appointments.time"), FieldKind::Select(options)).required(),
                    Field::new("name", tr(lang, "appointments.name"), FieldKind::Text).required(),
                    Field::new("phone", tr(lang, "appointments.phone"), FieldKind::Tel),
                    Field::new("email", tr(lang, "appointments.email"), FieldKind::Email)
                        .hint(tr(lang, "appointments.phone_email_hint")),
                ],
                submit: tr(lang, "appointments.book_for_caller"),
                danger: false,
                secondary: Some((paths::DESK.with(&[&id]), tr(lang, "appointments.back_to_desk"))),
            }));
        }
    }
    tx.finish().await?;
    staff_page(
        state,
        ctx,
        lang,
        &paths::DESK_PHONE.with(&[&id]),
        Some(s),
        status,
        tr_with(lang, "appointments.phone_title", &[("location", &loc.name)]),
        blocks,
    )
    .await
}

pub(crate) async fn phone_book(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    let service = f.text("dienst");
    let persons: i32 = f.text("personen").parse().ok().filter(|p| (1..=10).contains(p)).unwrap_or(1);
    let (mut form, name, email, phone) = super::super::citizen::check_person(lang, &f, false);
    if email.is_empty() && phone.is_empty() {
        form.errors.insert("phone".into(), tr(lang, "appointments.phone_or_email"));
    }
    form.values.insert("start".into(), f.text("start"));
    form.values.insert("key".into(), f.text("key"));
    let start = f.text("start").parse::<i64>().ok().and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());
    if start.is_none() {
        form.errors.insert("start".into(), tr(lang, "appointments.choose_time"));
    }
    let (Some(start), false) = (start, form.has_errors()) else {
        return phone_with(
            ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
            service,
            persons,
            form,
        )
        .await;
    };
    let content = page::content(&state, &ctx).await?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let loc = super::super::active_location(&mut tx, id).await?;
    let rules = repo::rules(&mut tx, id).await?;
    let req = Request { location: id, services: vec![service.clone()], persons };
    let plan = repo::plan(&rules, &req).map_err(|_| AppError::bad_request())?;
    let plan = repo::Plan { min_notice: Duration::ZERO, ..plan };
    let person = Person {
        citizen: None,
        name,
        email,
        phone,
        lang: lang.code().into(),
        portal_url: base_url(&state, &ctx.host, &headers),
    };
    let key = f.text("key");
    match repo::take_once(&mut tx, settings.land, &req, &plan, start, None, &person, state.db.now(), Some(key.as_str()))
        .await
    {
        // posted again: the booking the first post made
        Ok(taken) if !taken.new => {
            tx.commit().await?;
            let b = taken.booking;
            let blocks = vec![Block::Notice(
                "success",
                tr_with(
                    lang,
                    "appointments.booked_for_caller_notice",
                    &[("number", &b.number), ("when", &when_text(lang, b.starts_at))],
                ),
            )];
            staff_page(
                &state,
                &ctx,
                lang,
                &paths::DESK_PHONE.with(&[&id]),
                Some(&s),
                StatusCode::OK,
                tr(lang, "appointments.booked_for_caller_title"),
                blocks,
            )
            .await
        }
        Ok(taken) => {
            let b = taken.booking;
            let link = format!("{}{}", person.portal_url, paths::MANAGE.with(&[&taken.secret]));
            let services = service_names(&content, lang, &b.services);
            let mail = crate::appointments::mails::booked(
                crate::appointments::mails::About {
                    when: when_text(lang, b.starts_at),
                    location: loc.name.clone(),
                    number: b.number.clone(),
                    link,
                },
                services.clone(),
            );
            mail_booking(&mut tx, &b, &loc, mail, true, &services).await?;
            audit(
                &mut tx,
                &s,
                &ip,
                "appointment.booked_for_caller",
                b.number.clone(),
                serde_json::json!({ "location": id, "starts_at": b.starts_at.unix_timestamp() }),
            )
            .await?;
            tx.commit().await?;
            let blocks = vec![
                Block::Notice(
                    "success",
                    tr_with(
                        lang,
                        "appointments.booked_for_caller_notice",
                        &[("number", &b.number), ("when", &when_text(lang, b.starts_at))],
                    ),
                ),
                Block::Links(vec![
                    (paths::DESK.with(&[&id]), tr(lang, "appointments.back_to_desk")),
                    (paths::DESK_PHONE.with(&[&id]), tr(lang, "appointments.phone_booking")),
                ]),
            ];
            staff_page(
                &state,
                &ctx,
                lang,
                &paths::DESK_PHONE.with(&[&id]),
                Some(&s),
                StatusCode::OK,
                tr(lang, "appointments.booked_for_caller_title"),
                blocks,
            )
            .await
        }
        Err(BookError::Taken) => {
            drop(tx);
            form.errors.insert("start".into(), tr(lang, "appointments.just_taken"));
            phone_with(
                ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::CONFLICT),
                service,
                persons,
                form,
            )
            .await
        }
        Err(BookError::Db(e)) => Err(e.into()),
        Err(_) => Err(AppError::bad_request()),
    }
}
