//! The held slot: the citizen's details and the confirmation of the booking.

use super::*;
use crate::kit::page::Language;

/// The held slot and the form for the citizen's data.
pub(crate) async fn held_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    MaybeCitizen(citizen): MaybeCitizen,
    Params(secret): Params<String>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    if let Some(c) = &citizen {
        let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
        if let Some(a) = portal_identity::citizen::get(&mut tx, c.citizen_id).await? {
            let name =
                [a.profile.given_name.clone().unwrap_or_default(), a.profile.family_name.clone().unwrap_or_default()]
                    .join(" ")
                    .trim()
                    .to_owned();
            form.values.insert("name".into(), name);
            form.values.insert("email".into(), a.email.unwrap_or_default());
            form.values.insert("phone".into(), a.profile.phone.unwrap_or_default());
        }
        tx.finish().await?;
    }
    held_page_with(&state, &ctx, &headers, lang, &secret, form, StatusCode::OK).await
}

pub(super) async fn held_page_with(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    lang: Lang,
    secret: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (csrf, new) = anon_csrf(headers);
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let b = repo::booking_by_secret(&mut tx, secret).await?.ok_or_else(AppError::not_found)?;
    if b.status != "held" && b.status != "expired" {
        tx.finish().await?;
        return Ok(page::see_other(&paths::MANAGE.with(&[&secret])));
    }
    let content = page::content(state, ctx).await?;
    let loc = repo::location(&mut tx, b.location).await?.ok_or_else(AppError::not_found)?;
    let mut blocks = vec![];
    let expired = b.status == "expired" || b.hold_expires_at.is_none_or(|t| t < state.db.now());
    if expired {
        blocks.push(Block::Notice("warning", tr(lang, "appointments.hold_expired")));
        blocks.push(Block::Links(vec![(
            format!("{}?ort={}&dienst={}&personen={}", paths::BOOK.path(), b.location, b.services.join(","), b.persons),
            tr(lang, "appointments.choose_again"),
        )]));
    } else {
        blocks.push(Block::Notice(
            "info",
            tr_with(
                lang,
                "appointments.held_until",
                &[("time", &b.hold_expires_at.map(super::super::clock_text).unwrap_or_default())],
            ),
        ));
    }
    blocks.push(booking_facts(lang, &content, &b, &loc));
    blocks.push(data_form(lang, &paths::HELD.with(&[&secret]), &csrf, form));
    let r =
        render(state, ctx, tx, lang, &paths::HELD.with(&[&secret]), status, tr(lang, "appointments.your_data"), blocks)
            .await?;
    Ok(secret_page(set_anon_csrf(state, r, &csrf, new)))
}

pub(crate) fn booking_facts(
    lang: Lang,
    content: &portal_web::content::TenantContent,
    b: &Booking,
    loc: &Location,
) -> Block {
    let mut facts = vec![
        (tr(lang, "appointments.when"), when_text(lang, b.starts_at), None),
        (
            tr(lang, "appointments.location"),
            if loc.address.is_empty() { loc.name.clone() } else { format!("{}, {}", loc.name, loc.address) },
            None,
        ),
        (tr(lang, "appointments.services"), service_names(content, lang, &b.services), None),
        (tr(lang, "appointments.persons"), b.persons.to_string(), None),
    ];
    if b.status != "held" && b.status != "expired" {
        facts.push((tr(lang, "appointments.number"), b.number.clone(), None));
        facts.push((tr(lang, "appointments.status"), tr(lang, &format!("appointments.status_{}", b.status)), None));
    }
    Block::Facts(facts)
}

pub(super) fn data_form(lang: Lang, action: &str, csrf: &str, form: FormState) -> Block {
    Block::Form(FormSpec {
        action: action.to_owned(),
        csrf: csrf.to_owned(),
        form,
        fields: vec![
            Field::new("name", tr(lang, "appointments.name"), FieldKind::Text).autocomplete("name").required(),
            Field::new("email", tr(lang, "appointments.email"), FieldKind::Email)
                .autocomplete("email")
                .required()
                .hint(tr(lang, "appointments.email_hint")),
            Field::new("phone", tr(lang, "appointments.phone"), FieldKind::Tel)
                .autocomplete("tel")
                .hint(tr(lang, "appointments.phone_hint")),
        ],
        submit: tr(lang, "appointments.confirm"),
        danger: false,
        secondary: None,
    })
}

/// Checks the citizen's data; the values are kept for the form shown again.
pub(crate) fn check_person(lang: Lang, f: &Fields, email_required: bool) -> (FormState, String, String, String) {
    let mut form = FormState::default();
    let (name, email, phone) = (f.text("name"), f.text("email"), f.text("phone"));
    for (k, v) in [("name", &name), ("email", &email), ("phone", &phone)] {
        form.values.insert(k.into(), v.clone());
    }
    if name.is_empty() {
        form.errors.insert("name".into(), tr(lang, "appointments.name_required"));
    } else if name.chars().count() > 200 {
        form.errors.insert("name".into(), tr(lang, "appointments.too_long"));
    }
    if email.is_empty() {
        if email_required {
            form.errors.insert("email".into(), tr(lang, "appointments.email_required"));
        }
    } else if portal_identity::Email::parse(&email).is_none() || email.len() > 254 {
        form.errors.insert("email".into(), tr(lang, "appointments.email_invalid"));
    }
    if !phone.is_empty() && (phone.len() > 40 || !phone.chars().all(|c| c.is_ascii_digit() || " +-/()".contains(c))) {
        form.errors.insert("phone".into(), tr(lang, "appointments.phone_invalid"));
    }
    (form, name, email, phone)
}

/// Confirms the held slot with the citizen's data; mails the confirmation with the .ics.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    MaybeCitizen(citizen): MaybeCitizen,
    Params(secret): Params<String>,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    let lang = crate::kit::page::lang_of(&headers);
    let (mut form, name, email, phone) = check_person(lang, &f, true);
    if form.has_errors() {
        return held_page_with(&state, &ctx, &headers, lang, &secret, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if let Some(wait) = crate::kit::limits::mail_wait(&state, &ip, ctx.entry.tenant_id, &email).await? {
        return Err(AppError::too_many_requests_for(wait));
    }
    let content = page::content(&state, &ctx).await?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let held = repo::booking_by_secret(&mut tx, &secret).await?.ok_or_else(AppError::not_found)?;
    let person = Person {
        citizen: citizen.map(|c| c.citizen_id).or(held.citizen),
        name,
        email,
        phone,
        lang: lang.code().into(),
        portal_url: base_url(&state, &ctx.host, &headers),
    };
    // a hold that ran out while they typed is taken again if its time is still free
    if held.status == "expired" || held.hold_expires_at.is_some_and(|t| t < state.db.now()) {
        let want = Want {
            location: Some(held.location),
            services: held.services.clone(),
            persons: held.persons,
            ..Want::default()
        };
        if let Ok((_, plan)) = plan_of(&mut tx, lang, &want).await?
            && let Err(e) = repo::revive(&mut tx, settings.land, &held, &plan, state.db.now()).await
            && !matches!(e, BookError::Taken | BookError::Closed)
        {
            return Err(book_error(e));
        }
    }
    match repo::confirm(&mut tx, held.id, &person, settings.max_active_per_email).await {
        Ok((b, first)) => {
            if first {
                let loc = repo::location(&mut tx, b.location).await?.ok_or_else(AppError::not_found)?;
                let services = service_names(&content, booking_lang(&b), &b.services);
                let link = format!("{}{}", person.portal_url, paths::MANAGE.with(&[&secret]));
                let mail = crate::appointments::mails::booked(
                    crate::appointments::mails::About {
                        when: when_text(booking_lang(&b), b.starts_at),
                        location: loc.name.clone(),
                        number: b.number.clone(),
                        link,
                    },
                    services.clone(),
                );
                mail_booking(&mut tx, &b, &loc, mail, true, &services).await?;
            }
            tx.commit().await?;
            Ok(secret_page(Notice::Saved.redirect(&paths::MANAGE.with(&[&secret]))))
        }
        Err(BookError::TooMany) => {
            drop(tx);
            form.errors.insert(
                "email".into(),
                tr_with(
                    lang,
                    "appointments.too_many_for_email",
                    &[("max", &settings.max_active_per_email.to_string())],
                ),
            );
            held_page_with(&state, &ctx, &headers, lang, &secret, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(BookError::Expired) => {
            drop(tx);
            held_page_with(&state, &ctx, &headers, lang, &secret, form, StatusCode::GONE).await
        }
        Err(e) => Err(book_error(e)),
    }
}
