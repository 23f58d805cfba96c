//! A location's details and opening hours, and the confirmation before changes that would strand bookings.

use super::*;
use crate::kit::office::ObjectPage;
use crate::kit::page::Language;

pub(super) fn location_form_values(f: &Fields, lang: Lang) -> (FormState, [String; 4]) {
    let mut form = FormState::default();
    form.values.insert("active".into(), f.text("active"));
    let v = [f.text("name"), f.text("address"), f.text("contact"), f.text("accessibility")];
    for (k, x) in ["name", "address", "contact", "accessibility"].iter().zip(v.iter()) {
        form.values.insert((*k).into(), x.clone());
    }
    if v[0].is_empty() || v[0].chars().count() > 120 {
        form.errors.insert("name".into(), tr(lang, "appointments.location_name_required"));
    }
    if v[1].chars().count() > 300 {
        form.errors.insert("address".into(), tr(lang, "appointments.too_long"));
    }
    if v[2].chars().count() > 300 {
        form.errors.insert("contact".into(), tr(lang, "appointments.too_long"));
    }
    if v[3].chars().count() > 1000 {
        form.errors.insert("accessibility".into(), tr(lang, "appointments.too_long"));
    }
    (form, v)
}

pub(crate) async fn new_location(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let (form, [name, address, contact, access]) = location_form_values(&f, lang);
    if form.has_errors() {
        return setup_with(
            ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
            None,
            FormState::default(),
            form,
        )
        .await;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::settings(&mut tx).await?.ok_or_else(AppError::bad_request)?;
    let id = repo::save_location(&mut tx, None, &name, &address, &contact, &access, true).await?;
    audit(&mut tx, &s, &ip, "appointment.location_created", id.to_string(), serde_json::json!({ "name": name }))
        .await?;
    tx.commit().await?;
    Ok(Notice::Saved.redirect(&paths::LOCATION.with(&[&id])))
}

pub(crate) async fn save_details(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let (form, [name, address, contact, access]) = location_form_values(&f, lang);
    if form.has_errors() {
        return location_with(
            ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
            &headers,
            None,
            Forms { details: form, ..Forms::default() },
        )
        .await;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::save_location(&mut tx, Some(id), &name, &address, &contact, &access, f.text("active") == "on").await?;
    audit(&mut tx, &s, &ip, "appointment.location_saved", id.to_string(), serde_json::json!({ "name": name })).await?;
    // a location switched off strands its booked appointments
    stranding(
        &state,
        &ctx,
        &headers,
        &s,
        &ip,
        tx,
        &[id],
        &f,
        &paths::LOCATION_DETAILS.with(&[&id]),
        &paths::LOCATION.with(&[&id]),
    )
    .await
}

/// Applies a change in `tx` and looks at what it strands at `locations`: nothing, or confirmed, and
/// it is done (the stranded bookings cancelled and their citizens mailed); else the confirmation
/// page. `back` is where the page was and where it returns.
#[expect(clippy::too_many_arguments, reason = "the change's transaction, what was posted and who posted it")]
pub(super) async fn stranding(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    s: &Staff,
    ip: &ClientIp,
    mut tx: TenantTx,
    locations: &[Uuid],
    f: &Fields,
    action: &str,
    back: &str,
) -> Result<Response, AppError> {
    let lang = lang_of(headers);
    let settings = super::super::settings_of(&mut tx).await?;
    let now = state.db.now();
    let mut stranded = vec![];
    for location in locations {
        // bookings in flight finish first, new ones wait for this change: none slips past the check
        repo::lock_setup(&mut tx, *location).await?;
        stranded.extend(repo::misfits(&mut tx, settings.land, *location, None, now).await?);
    }
    if !stranded.is_empty() && f.text("bestaetigt") != "ja" {
        drop(tx);
        return confirm_page(state, ctx, lang, s, back, &stranded, f, action).await;
    }
    let content = page::content(state, ctx).await?;
    for b in &stranded {
        let loc = repo::location(&mut tx, b.location).await?.ok_or_else(AppError::not_found)?;
        if repo::cancel(&mut tx, b.id, "office").await? {
            let b = repo::booking(&mut tx, b.id).await?.ok_or_else(AppError::not_found)?;
            let blang = super::super::booking_lang(&b);
            let link = format!(
                "{}{}?ort={}&dienst={}&personen={}",
                b.portal_url,
                paths::BOOK.path(),
                b.location,
                b.services.join(","),
                b.persons
            );
            let mail = crate::appointments::mails::cancelled(
                crate::appointments::mails::About {
                    when: when_text(blang, b.starts_at),
                    location: loc.name.clone(),
                    number: b.number.clone(),
                    link,
                },
                tr(blang, "appointments.office_reason"),
                true,
            );
            mail_booking(&mut tx, &b, &loc, mail, true, &service_names(&content, blang, &b.services)).await?;
        }
    }
    let detail = serde_json::json!({ "change": action, "cancelled": stranded.iter().map(|b| b.number.clone()).collect::<Vec<_>>() });
    audit(
        &mut tx,
        s,
        ip,
        "appointment.location_changed",
        locations.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","),
        detail,
    )
    .await?;
    tx.commit().await?;
    for location in locations {
        state.live.changed(ctx.entry.tenant_id, *location);
    }
    Ok(Notice::Saved.redirect(back))
}

#[expect(clippy::too_many_arguments, reason = "the change to confirm and what it strands")]
pub(super) async fn confirm_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    back: &str,
    stranded: &[Booking],
    f: &Fields,
    action: &str,
) -> Result<Response, AppError> {
    let content = page::content(state, ctx).await?;
    let rows = stranded
        .iter()
        .map(|b| {
            vec![
                Cell::Text(when_text(lang, b.starts_at)),
                Cell::Text(b.number.clone()),
                Cell::Text(b.name.clone()),
                Cell::Text(service_names(&content, lang, &b.services)),
            ]
        })
        .collect();
    // the change is posted again as it was, with the confirmation
    let mut again = FormState::default();
    let mut fields = vec![];
    for (k, _) in &f.0 {
        if k == "_csrf" || k == "bestaetigt" || again.values.contains_key(k) {
            continue;
        }
        again.values.insert(k.clone(), f.all(k).join(","));
        fields.push(Field::new(k, String::new(), FieldKind::Hidden));
    }
    again.values.insert("bestaetigt".into(), "ja".into());
    fields.push(Field::new("bestaetigt", String::new(), FieldKind::Hidden));
    let blocks = vec![
        Block::Notice("warning", tr_with(lang, "appointments.stranded", &[("count", &stranded.len().to_string())])),
        Block::Table {
            caption: tr(lang, "appointments.stranded_caption"),
            headers: vec![
                tr(lang, "appointments.when"),
                tr(lang, "appointments.number"),
                tr(lang, "appointments.name"),
                tr(lang, "appointments.services"),
            ],
            rows,
            empty: String::new(),
        },
        Block::Form(FormSpec {
            action: action.to_owned(),
            csrf: s.csrf.clone(),
            form: again,
            fields,
            submit: tr_with(lang, "appointments.confirm_stranding", &[("count", &stranded.len().to_string())]),
            danger: true,
            secondary: Some((back.to_owned(), tr(lang, "appointments.keep_as_is"))),
        }),
    ];
    staff_page(state, ctx, lang, back, Some(s), StatusCode::CONFLICT, tr(lang, "appointments.confirm_title"), blocks)
        .await
}

pub(crate) async fn save_hours(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut form = FormState::default();
    let mut hours = vec![];
    for w in WEEK {
        let key = format!("h{}", w.number_from_monday());
        let raw = f.text(&key);
        form.values.insert(key.clone(), raw.clone());
        match parse_hours(&raw) {
            Some(list) => hours.extend(list.into_iter().map(|(o, c)| (w, o, c))),
            None => {
                form.errors.insert(key, tr(lang, "appointments.hours_invalid"));
            }
        }
    }
    if form.has_errors() {
        return location_with(
            ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
            &headers,
            None,
            Forms { hours: form, ..Forms::default() },
        )
        .await;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::set_hours(&mut tx, id, &hours).await?;
    stranding(
        &state,
        &ctx,
        &headers,
        &s,
        &ip,
        tx,
        &[id],
        &f,
        &paths::LOCATION_HOURS.with(&[&id]),
        &paths::LOCATION.with(&[&id]),
    )
    .await
}
