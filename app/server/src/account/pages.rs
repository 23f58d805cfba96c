//! The account pages: overview, profile, e-mail and password changes, linked identities.

use super::*;
use crate::account::paths;
use crate::kit::checked::Checked;
use crate::kit::notice::Notice;
use crate::kit::page::Language;

pub(super) const PROFILE_LABELS: [(&str, &str); 7] = [
    ("given_name", "account.given_name"),
    ("family_name", "account.family_name"),
    ("birth_date", "account.birth_date"),
    ("street", "account.street"),
    ("postal_code", "account.postal_code"),
    ("city", "account.city"),
    ("phone", "account.phone"),
];

pub(super) async fn overview(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    citizen: Citizen,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let mut blocks = Vec::new();
    let notice = match Notice::parse(q.hinweis.as_deref()) {
        Some(Notice::Verified) => Some("account.verified_notice"),
        Some(Notice::Saved) => Some("account.saved"),
        Some(Notice::PasswordChanged) => Some("account.password_changed"),
        Some(Notice::EmailChanged) => Some("account.email_changed"),
        Some(Notice::EmailSent) => Some("account.email_confirm_sent"),
        Some(Notice::ProviderLogin) => Some("account.provider_login_done"),
        _ => None,
    };
    if let Some(k) = notice {
        blocks.push(Block::Notice("success", tr(lang, k)));
    }
    let verified_badge =
        acc.verified_by.as_ref().map(|p| ("success", tr_with(lang, "account.verified_by", &[("provider", p)])));
    blocks.push(Block::Heading(tr(lang, "account.profile_heading")));
    let mut facts: Vec<portal_ui::blocks::Fact> = PROFILE_LABELS
        .iter()
        .map(|(f, key)| {
            let badge = acc.verified_fields.iter().any(|v| v == f).then(|| verified_badge.clone()).flatten();
            let mut value = acc.profile.get(f).unwrap_or_default();
            // a date as people read it (12.08.1964), as the form stores it (1964-08-12)
            if *f == "birth_date"
                && let Some(day) = crate::kit::dates::parse_date(&value)
            {
                value = crate::kit::dates::fmt_day(day);
            }
            (tr(lang, key), value, badge)
        })
        .collect();
    facts.push((tr(lang, "account.email"), acc.email.clone().unwrap_or_default(), None));
    if let Some(loa) = &acc.level_of_assurance {
        facts.push((tr(lang, "account.level_of_assurance"), loa_text(lang, loa), verified_badge.clone()));
    }
    blocks.push(Block::Facts(facts));
    let mut links = vec![
        (crate::kit::links::MY_CASES.path().to_owned(), tr(lang, "cases.my_title")),
        (crate::kit::links::MY_APPOINTMENTS.path().to_owned(), tr(lang, "account.my_appointments")),
        (paths::PROFILE_FORM.path().to_owned(), tr(lang, "account.edit_profile")),
    ];
    if acc.has_password {
        links.push((paths::PASSWORD_FORM.path().into(), tr(lang, "account.change_password")));
        links.push((paths::EMAIL_FORM.path().into(), tr(lang, "account.change_email")));
    }
    blocks.push(Block::Links(links));
    blocks.push(Block::Heading(tr(lang, "account.privacy_heading")));
    blocks.push(Block::Text(tr(lang, "account.privacy_intro")));
    blocks.push(Block::Links(vec![
        (paths::EXPORT.path().into(), tr(lang, "account.download_data")),
        (paths::DELETE_FORM.path().into(), tr(lang, "account.delete_link")),
    ]));
    blocks.push(Block::Buttons(vec![Button {
        action: paths::LOGOUT.path().into(),
        csrf: citizen.csrf.clone(),
        hidden: vec![],
        label: tr(lang, "account.logout"),
        danger: false,
    }]));
    page_in(&state, &ctx, tx, lang, paths::OVERVIEW.path(), StatusCode::OK, tr(lang, "account.title"), blocks).await
}

/// A level of assurance in words (eIDAS levels), else as asserted.
pub(super) fn loa_text(lang: Lang, loa: &str) -> String {
    // the last segment of the level's URI (`http://eidas.europa.eu/LoA/high`)
    match loa.rsplit_once('/').map(|(_, level)| level) {
        Some("high") => tr(lang, "account.loa_high"),
        Some("substantial") => tr(lang, "account.loa_substantial"),
        Some("low") => tr(lang, "account.loa_low"),
        _ => loa.to_owned(),
    }
}

pub(super) fn profile_blocks(lang: Lang, csrf: &str, acc: &citizen::Account, mut form: FormState) -> Vec<Block> {
    for (f, key) in PROFILE_LABELS {
        form.labels.insert(f.to_owned(), tr(lang, key));
    }
    let note =
        acc.verified_by.as_ref().map(|p| tr_with(lang, "account.verified_by", &[("provider", p)])).unwrap_or_default();
    let fields = PROFILE_LABELS
        .iter()
        .map(|(f, key)| {
            let kind = match *f {
                "birth_date" => FieldKind::Date,
                "phone" => FieldKind::Tel,
                _ => FieldKind::Text,
            };
            let auto = match *f {
                "given_name" => "given-name",
                "family_name" => "family-name",
                "birth_date" => "bday",
                "street" => "street-address",
                "postal_code" => "postal-code",
                "city" => "address-level2",
                _ => "tel",
            };
            let field = Field::new(f, tr(lang, key), kind).autocomplete(auto);
            if acc.verified_fields.iter().any(|v| v == f) { field.locked(note.clone()) } else { field }
        })
        .collect();
    let mut blocks = vec![Block::Text(tr(lang, "account.profile_intro"))];
    if acc.verified_by.is_some() {
        blocks.push(Block::Notice("info", tr(lang, "account.verified_fields_locked")));
    }
    blocks.push(Block::Form(FormSpec {
        action: paths::PROFILE_FORM.path().into(),
        csrf: csrf.to_owned(),
        form,
        fields,
        submit: tr(lang, "account.save"),
        danger: false,
        secondary: Some((paths::OVERVIEW.path().into(), tr(lang, "account.cancel"))),
    }));
    blocks
}

pub(super) async fn profile_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    citizen: Citizen,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let values: Vec<(&str, String)> =
        PROFILE_LABELS.iter().map(|(f, _)| (*f, acc.profile.get(f).unwrap_or_default())).collect();
    let form = form_state(&PROFILE_LABELS.map(|(f, _)| f), &values);
    page_in(
        &state,
        &ctx,
        tx,
        lang,
        paths::PROFILE_FORM.path(),
        StatusCode::OK,
        tr(lang, "account.edit_profile"),
        profile_blocks(lang, &citizen.csrf, &acc, form),
    )
    .await
}

/// Validates the profile form; `Err` carries the form with its errors.
/// A birth date after `today` is refused.
pub(super) fn parse_profile(lang: Lang, f: &Fields, today: Date) -> Result<Profile, FormState> {
    let values: Vec<(&str, String)> = PROFILE_LABELS.iter().map(|(k, _)| (*k, f.text(k))).collect();
    let mut form = form_state(&PROFILE_LABELS.map(|(k, _)| k), &values);
    let opt = |k: &str| Some(f.text(k)).filter(|v| !v.is_empty());
    for (k, max) in [("given_name", 100), ("family_name", 100), ("street", 200), ("city", 100)] {
        if f.text(k).chars().count() > max {
            form.errors.insert(k.into(), tr_with(lang, "validation.too_long", &[("max", &max.to_string())]));
        }
    }
    let postal = f.text("postal_code");
    let postal_ok = postal.is_empty() || (postal.len() == 5 && postal.bytes().all(|b| b.is_ascii_digit()));
    if !postal_ok {
        err(&mut form, lang, "postal_code", "validation.postal_code");
    }
    let phone = f.text("phone");
    let phone_len = phone.chars().count();
    let phone_ok = phone.is_empty()
        || ((6..=30).contains(&phone_len) && phone.chars().all(|c| c.is_ascii_digit() || " +()/-".contains(c)));
    if !phone_ok {
        err(&mut form, lang, "phone", "validation.phone");
    }
    let birth_raw = f.text("birth_date");
    let birth = if birth_raw.is_empty() {
        None
    } else {
        match Date::parse(&birth_raw, time::macros::format_description!("[year]-[month]-[day]")) {
            Ok(d) if d.year() >= 1900 && d <= today => Some(d),
            _ => {
                err(&mut form, lang, "birth_date", "validation.birth_date");
                None
            }
        }
    };
    if form.has_errors() {
        return Err(form);
    }
    Ok(Profile {
        given_name: opt("given_name"),
        family_name: opt("family_name"),
        birth_date: birth,
        street: opt("street"),
        postal_code: opt("postal_code"),
        city: opt("city"),
        phone: opt("phone"),
    })
}

pub(super) async fn save_profile(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Checked(citizen, f): Checked<Citizen>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    match parse_profile(lang, &f, state.db.clock().today()) {
        Ok(p) => {
            citizen::update_profile(&mut tx, citizen.citizen_id, &p).await?;
            tx.finish().await?;
            Ok(Notice::Saved.redirect(paths::OVERVIEW.path()))
        }
        Err(mut form) => {
            tx.finish().await?;
            // verified fields show their stored values
            for v in &acc.verified_fields {
                form.values.insert(v.clone(), acc.profile.get(v).unwrap_or_default());
            }
            page(
                &state,
                &ctx,
                lang,
                paths::PROFILE_FORM.path(),
                StatusCode::UNPROCESSABLE_ENTITY,
                tr(lang, "account.edit_profile"),
                profile_blocks(lang, &citizen.csrf, &acc, form),
            )
            .await
        }
    }
}

pub(super) fn password_blocks(lang: Lang, csrf: &str, form: FormState) -> Vec<Block> {
    let form = with_labels(
        form,
        lang,
        &[
            ("current_password", "account.current_password"),
            ("password", "account.new_password"),
            ("password_repeat", "account.password_repeat"),
        ],
    );
    let mut fields = vec![
        Field::new("current_password", tr(lang, "account.current_password"), FieldKind::Password)
            .autocomplete("current-password")
            .required(),
    ];
    fields.extend(new_password_fields(lang));
    vec![Block::Form(FormSpec {
        action: paths::PASSWORD_FORM.path().into(),
        csrf: csrf.to_owned(),
        form,
        fields,
        submit: tr(lang, "account.save"),
        danger: false,
        secondary: Some((paths::OVERVIEW.path().into(), tr(lang, "account.cancel"))),
    })]
}

pub(super) async fn password_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    citizen: Citizen,
) -> Result<Response, AppError> {
    let form = form_state(&["current_password", "password", "password_repeat"], &[]);
    page(
        &state,
        &ctx,
        lang,
        paths::PASSWORD_FORM.path(),
        StatusCode::OK,
        tr(lang, "account.change_password"),
        password_blocks(lang, &citizen.csrf, form),
    )
    .await
}

pub(super) async fn change_password(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    Checked(citizen, f): Checked<Citizen>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let mut form = form_state(&["current_password", "password", "password_repeat"], &[]);
    let pw = f.raw("password");
    if !citizen::check_password(&mut tx, citizen.citizen_id, &f.raw("current_password")).await? {
        err(&mut form, lang, "current_password", "validation.current_password");
    }
    crate::kit::form::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), acc.email.as_deref());
    if form.has_errors() {
        return page_in(
            &state,
            &ctx,
            tx,
            lang,
            paths::PASSWORD_FORM.path(),
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "account.change_password"),
            password_blocks(lang, &citizen.csrf, form),
        )
        .await;
    }
    citizen::set_password(&mut tx, citizen.citizen_id, &pw, false).await?;
    // other sessions end; this one gets a new id
    session::end_all(&mut tx, Subject::Citizen(citizen.citizen_id)).await?;
    let token = session::start(&mut tx, Subject::Citizen(citizen.citizen_id)).await?;
    if let Some(email) = &acc.email {
        let base = base_url(&state, &ctx.host, &headers);
        queue(&mut tx, &ctx, &base, lang, email, crate::account::mails::password_changed()).await?;
    }
    tx.finish().await?;
    Ok(with_cookie(Notice::PasswordChanged.redirect(paths::OVERVIEW.path()), &session_cookie(&state, &token)))
}

pub(super) fn email_change_blocks(lang: Lang, csrf: &str, current: &str, form: FormState) -> Vec<Block> {
    let form =
        with_labels(form, lang, &[("email", "account.new_email"), ("current_password", "account.current_password")]);
    vec![
        Block::Text(tr_with(lang, "account.change_email_intro", &[("email", current)])),
        Block::Form(FormSpec {
            action: paths::EMAIL_FORM.path().into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("email", tr(lang, "account.new_email"), FieldKind::Email).autocomplete("email").required(),
                Field::new("current_password", tr(lang, "account.current_password"), FieldKind::Password)
                    .autocomplete("current-password")
                    .required(),
            ],
            submit: tr(lang, "account.change_email_submit"),
            danger: false,
            secondary: Some((paths::OVERVIEW.path().into(), tr(lang, "account.cancel"))),
        }),
    ]
}

pub(super) async fn email_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    citizen: Citizen,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let form = form_state(&["email", "current_password"], &[]);
    page_in(
        &state,
        &ctx,
        tx,
        lang,
        paths::EMAIL_FORM.path(),
        StatusCode::OK,
        tr(lang, "account.change_email"),
        email_change_blocks(lang, &citizen.csrf, acc.email.as_deref().unwrap_or("–"), form),
    )
    .await
}

pub(super) async fn change_email(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    Checked(citizen, f): Checked<Citizen>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let raw = f.text("email");
    let mut form = form_state(&["email", "current_password"], &[("email", raw.clone())]);
    let email = Email::parse(&raw);
    match &email {
        None => err(&mut form, lang, "email", if raw.is_empty() { "validation.required" } else { "validation.email" }),
        Some(e) if acc.email.as_deref() == Some(e.as_str()) => {
            err(&mut form, lang, "email", "validation.email_unchanged")
        }
        Some(e) if citizen::email_in_use(&mut tx, e).await? => err(&mut form, lang, "email", "validation.email_taken"),
        Some(_) => {}
    }
    if !citizen::check_password(&mut tx, citizen.citizen_id, &f.raw("current_password")).await? {
        err(&mut form, lang, "current_password", "validation.current_password");
    }
    let Some(email) = email.filter(|_| !form.has_errors()) else {
        return page_in(
            &state,
            &ctx,
            tx,
            lang,
            paths::EMAIL_FORM.path(),
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "account.change_email"),
            email_change_blocks(lang, &citizen.csrf, acc.email.as_deref().unwrap_or("–"), form),
        )
        .await;
    };
    let base = base_url(&state, &ctx.host, &headers);
    let token = links::issue(&mut tx, Purpose::ChangeEmail, citizen.citizen_id, Some(email.as_str()), None).await?;
    queue(
        &mut tx,
        &ctx,
        &base,
        lang,
        email.as_str(),
        crate::account::mails::confirm_new_email(format!("{base}/konto/email-bestaetigen?token={token}")),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::EmailSent.redirect(paths::OVERVIEW.path()))
}

pub(super) async fn confirm_email(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let token = q.token.unwrap_or_default();
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let link = match links::consume(&mut tx, Purpose::ChangeEmail, &token).await? {
        Ok(l) => l,
        Err(p) => return link_failed(&state, &ctx, lang, paths::CONFIRM_EMAIL.path(), p, false).await,
    };
    let old = citizen::get(&mut tx, link.subject_id).await?.and_then(|a| a.email);
    let new_email = link.new_email.unwrap_or_default();
    match citizen::set_email(&mut tx, link.subject_id, &new_email).await {
        Ok(()) => {}
        Err(IdentityError::EmailTaken) => {
            return page(
                &state,
                &ctx,
                lang,
                paths::CONFIRM_EMAIL.path(),
                StatusCode::CONFLICT,
                tr(lang, "account.link_problem_title"),
                vec![Block::Notice("danger", tr(lang, "validation.email_taken"))],
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(old) = old {
        let base = base_url(&state, &ctx.host, &headers);
        queue(&mut tx, &ctx, &base, lang, &old, crate::account::mails::email_changed(new_email.clone())).await?;
    }
    tx.finish().await?;
    Ok(Notice::EmailChanged.redirect(paths::OVERVIEW.path()))
}
