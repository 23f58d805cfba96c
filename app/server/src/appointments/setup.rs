//! Set-up by tenant admins: the tenant's settings (Land, reminders, limits), locations with their
//! hours, special days, counters and booking rules, and the call display's link. A change that
//! would strand booked appointments is shown with them first; confirmed, it cancels them and mails
//! each citizen a link to book again.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_appointments::Land;
use portal_appointments::repo::{self, Booking, Rule, Settings};
use portal_appointments::slots::parse_hours;
use portal_authz::{Action, Resource};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_mail::Mail;
use portal_ui::blocks::{Block, Cell, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::{mail_booking, parse_date, paths, service_names, when_text};
use crate::kit::form::Fields;
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::page::{self, lang_of};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;

use super::location_page::{Forms, WEEK, form, location_fields, location_with};

fn settings_form(lang: Lang, csrf: &str, s: Option<&Settings>, mut f: FormState) -> Block {
    let s = s.cloned().unwrap_or_default();
    for (k, v) in [
        ("land", s.land.code().to_owned()),
        ("reminder_hours", s.reminder_hours.to_string()),
        ("hold_minutes", s.hold_minutes.to_string()),
        ("max_active_per_email", s.max_active_per_email.to_string()),
        ("max_per_address_hour", s.max_per_address_hour.to_string()),
    ] {
        f.values.entry(k.into()).or_insert(v);
    }
    form(
        paths::SETUP_SETTINGS.path().into(),
        csrf,
        f,
        vec![
            Field::new("land", tr(lang, "appointments.land"), FieldKind::Select(Land::ALL.iter().map(|l| (l.code().to_owned(), tr(lang, &format!("appointments.land_{}", l.code())))).collect()))
                .hint(tr(lang, "appointments.land_hint")),
            Field::new("reminder_hours", tr(lang, "appointments.reminder_hours"), FieldKind::Text).hint(tr(lang, "appointments.reminder_hours_hint")),
            Field::new("hold_minutes", tr(lang, "appointments.hold_minutes"), FieldKind::Text),
            Field::new("max_active_per_email", tr(lang, "appointments.max_active_per_email"), FieldKind::Text),
            Field::new("max_per_address_hour", tr(lang, "appointments.max_per_address_hour"), FieldKind::Text),
        ],
        tr(lang, "appointments.save_settings"),
    )
}

pub(super) async fn setup_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    axum::extract::Query(q): axum::extract::Query<super::citizen::NoticeQuery>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Read)?;
    setup_with(&state, &ctx, lang, &s, Notice::parse(q.hinweis.as_deref()), FormState::default(), FormState::default(), StatusCode::OK).await
}

#[expect(clippy::too_many_arguments, reason = "the page with both of its forms")]
async fn setup_with(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    notice: Option<Notice>,
    settings_f: FormState,
    location_f: FormState,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let settings = repo::settings(&mut tx).await?;
    let locations = repo::locations(&mut tx).await?;
    tx.finish().await?;
    let may_write = s.may(state, Resource::Appointments, Action::Write);
    let may_process = s.may(state, Resource::Appointments, Action::Process);
    let mut blocks: Vec<Block> = notice.and_then(|n| n.block(lang)).into_iter().collect();
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.locations"),
        headers: vec![tr(lang, "appointments.location"), tr(lang, "appointments.address"), tr(lang, "appointments.status"), tr(lang, "appointments.work")],
        rows: locations
            .iter()
            .map(|l| {
                let mut work = vec![];
                if may_process {
                    work.push(Cell::Link(paths::DESK.with(&[&l.id]), tr(lang, "appointments.desk")));
                }
                vec![
                    if may_write { Cell::Link(paths::LOCATION.with(&[&l.id]), l.name.clone()) } else { Cell::Text(l.name.clone()) },
                    Cell::Text(l.address.clone()),
                    Cell::Text(tr(lang, if l.active { "appointments.active" } else { "appointments.inactive" })),
                    work.pop().unwrap_or(Cell::Text(String::new())),
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_locations"),
    });
    if may_write {
        blocks.push(Block::Heading(tr(lang, "appointments.settings")));
        blocks.push(settings_form(lang, &s.csrf, settings.as_ref(), settings_f));
        if settings.is_some() {
            blocks.push(Block::Heading(tr(lang, "appointments.new_location")));
            blocks.push(form(paths::SETUP_NEW_LOCATION.path().into(), &s.csrf, location_f, location_fields(lang), tr(lang, "appointments.create_location")));
        }
    }
    staff_page(state, ctx, lang, paths::SETUP.path(), Some(s), status, tr(lang, "appointments.setup_title"), blocks).await
}

fn number_in(f: &Fields, form: &mut FormState, lang: Lang, name: &str, range: std::ops::RangeInclusive<i32>) -> i32 {
    let raw = f.text(name);
    form.values.insert(name.into(), raw.clone());
    match raw.parse::<i32>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            form.errors.insert(name.into(), tr_with(lang, "appointments.number_between", &[("min", &range.start().to_string()), ("max", &range.end().to_string())]));
            *range.start()
        }
    }
}

pub(super) async fn save_settings(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, ip: ClientIp, Checked(s, f): Checked<Staff>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut form = FormState::default();
    form.values.insert("land".into(), f.text("land"));
    let land = Land::parse(&f.text("land"));
    if land.is_none() {
        form.errors.insert("land".into(), tr(lang, "appointments.land_required"));
    }
    let settings = Settings {
        land: land.unwrap_or(Land::RP),
        reminder_hours: number_in(&f, &mut form, lang, "reminder_hours", 0..=168),
        hold_minutes: number_in(&f, &mut form, lang, "hold_minutes", 2..=30),
        max_active_per_email: number_in(&f, &mut form, lang, "max_active_per_email", 1..=50),
        max_per_address_hour: number_in(&f, &mut form, lang, "max_per_address_hour", 1..=1000),
    };
    if form.has_errors() {
        return setup_with(&state, &ctx, lang, &s, None, form, FormState::default(), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let before = repo::settings(&mut tx).await?;
    repo::save_settings(&mut tx, &settings).await?;
    audit(&mut tx, &s, &ip, "appointment.settings", "settings".into(), serde_json::json!({ "land": settings.land.code(), "reminder_hours": settings.reminder_hours })).await?;
    // another Land has other public holidays: what falls on them is stranded
    if before.is_some_and(|b| b.land != settings.land) {
        let locations: Vec<Uuid> = repo::locations(&mut tx).await?.into_iter().map(|l| l.id).collect();
        return stranding(&state, &ctx, &headers, &s, &ip, tx, &locations, &f, paths::SETUP_SETTINGS.path(), paths::SETUP.path()).await;
    }
    tx.commit().await?;
    Ok(Notice::Saved.redirect(paths::SETUP.path()))
}

fn location_form_values(f: &Fields, lang: Lang) -> (FormState, [String; 4]) {
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

pub(super) async fn new_location(State(state): State<AppState>, ctx: TenantContext, Language(lang): Language, ip: ClientIp, Checked(s, f): Checked<Staff>) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let (form, [name, address, contact, access]) = location_form_values(&f, lang);
    if form.has_errors() {
        return setup_with(&state, &ctx, lang, &s, None, FormState::default(), form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::settings(&mut tx).await?.ok_or_else(AppError::bad_request)?;
    let id = repo::save_location(&mut tx, None, &name, &address, &contact, &access, true).await?;
    audit(&mut tx, &s, &ip, "appointment.location_created", id.to_string(), serde_json::json!({ "name": name })).await?;
    tx.commit().await?;
    Ok(Notice::Saved.redirect(&paths::LOCATION.with(&[&id])))
}

// ---------------------------------------------------------------------------------------------
// one location

pub(super) async fn save_details(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Path(id): Path<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Appointments, Action::Write)?;
    let (form, [name, address, contact, access]) = location_form_values(&f, lang);
    if form.has_errors() {
        return location_with(&state, &ctx, &headers, lang, &s, id, None, Forms { details: form, ..Forms::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::save_location(&mut tx, Some(id), &name, &address, &contact, &access, f.text("active") == "on").await?;
    audit(&mut tx, &s, &ip, "appointment.location_saved", id.to_string(), serde_json::json!({ "name": name })).await?;
    // a location switched off strands its booked appointments
    stranding(&state, &ctx, &headers, &s, &ip, tx, &[id], &f, &paths::LOCATION_DETAILS.with(&[&id]), &paths::LOCATION.with(&[&id])).await
}

/// Applies a change in `tx` and looks at what it strands at `locations`: nothing, or confirmed, and
/// it is done (the stranded bookings cancelled and their citizens mailed); else the confirmation
/// page. `back` is where the page was and where it returns.
#[expect(clippy::too_many_arguments, reason = "the change's transaction, what was posted and who posted it")]
async fn stranding(
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
    let settings = super::settings_of(&mut tx).await?;
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
            let blang = super::booking_lang(&b);
            let link = format!("{}{}?ort={}&dienst={}&personen={}", b.portal_url, paths::BOOK.path(), b.location, b.services.join(","), b.persons);
            let mail = Mail::AppointmentCancelled {
                when: when_text(blang, b.starts_at),
                location: loc.name.clone(),
                number: b.number.clone(),
                reason: tr(blang, "appointments.office_reason"),
                by_office: true,
                link,
            };
            mail_booking(&mut tx, &b, &loc, mail, true, &service_names(&content, blang, &b.services)).await?;
        }
    }
    let detail = serde_json::json!({ "change": action, "cancelled": stranded.iter().map(|b| b.number.clone()).collect::<Vec<_>>() });
    audit(&mut tx, s, ip, "appointment.location_changed", locations.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","), detail).await?;
    tx.commit().await?;
    for location in locations {
        state.live.changed(ctx.entry.tenant_id, *location);
    }
    Ok(Notice::Saved.redirect(back))
}

#[expect(clippy::too_many_arguments, reason = "the change to confirm and what it strands")]
async fn confirm_page(state: &AppState, ctx: &TenantContext, lang: Lang, s: &Staff, back: &str, stranded: &[Booking], f: &Fields, action: &str) -> Result<Response, AppError> {
    let content = page::content(state, ctx).await?;
    let rows = stranded
        .iter()
        .map(|b| vec![Cell::Text(when_text(lang, b.starts_at)), Cell::Text(b.number.clone()), Cell::Text(b.name.clone()), Cell::Text(service_names(&content, lang, &b.services))])
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
            headers: vec![tr(lang, "appointments.when"), tr(lang, "appointments.number"), tr(lang, "appointments.name"), tr(lang, "appointments.services")],
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
    staff_page(state, ctx, lang, back, Some(s), StatusCode::CONFLICT, tr(lang, "appointments.confirm_title"), blocks).await
}

pub(super) async fn save_hours(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, ip: ClientIp, Path(id): Path<Uuid>, Checked(s, f): Checked<Staff>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
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
        return location_with(&state, &ctx, &headers, lang, &s, id, None, Forms { hours: form, ..Forms::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::set_hours(&mut tx, id, &hours).await?;
    stranding(&state, &ctx, &headers, &s, &ip, tx, &[id], &f, &paths::LOCATION_HOURS.with(&[&id]), &paths::LOCATION.with(&[&id])).await
}

pub(super) async fn add_special(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Path(id): Path<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut form = FormState::default();
    for k in ["day", "hours", "note"] {
        form.values.insert(k.into(), f.text(k));
    }
    let day = parse_date(&f.text("day"));
    if day.is_none() {
        form.errors.insert("day".into(), tr(lang, "appointments.day_invalid"));
    }
    let hours = parse_hours(&f.text("hours"));
    if hours.as_ref().is_none_or(|h| h.len() > 1) {
        form.errors.insert("hours".into(), tr(lang, "appointments.special_hours_invalid"));
    }
    if f.text("note").chars().count() > 200 {
        form.errors.insert("note".into(), tr(lang, "appointments.too_long"));
    }
    let (Some(day), Some(hours), false) = (day, hours, form.has_errors()) else {
        return location_with(&state, &ctx, &headers, lang, &s, id, None, Forms { special: form, ..Forms::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::add_special_day(&mut tx, id, day, hours.first().copied(), &f.text("note")).await?;
    stranding(&state, &ctx, &headers, &s, &ip, tx, &[id], &f, &paths::LOCATION_SPECIAL.with(&[&id]), &paths::LOCATION.with(&[&id])).await
}

pub(super) async fn delete_special(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Path((id, special)): Path<(Uuid, Uuid)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    if !repo::delete_special_day(&mut tx, id, special).await? {
        return Err(AppError::not_found());
    }
    // removing a day with its own hours can strand what was booked in them
    stranding(&state, &ctx, &headers, &s, &ip, tx, &[id], &f, &paths::LOCATION_SPECIAL_DELETE.with(&[&id, &special]), &paths::LOCATION.with(&[&id])).await
}

pub(super) async fn save_counter(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Path(id): Path<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Appointments, Action::Write)?;
    let name = f.text("counter_name");
    let services: Vec<String> = f.all("counter_services").iter().flat_map(|v| v.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>()).collect();
    let counter = Uuid::parse_str(&f.text("counter")).ok();
    let mut form = FormState::default();
    form.values.insert("counter".into(), f.text("counter"));
    form.values.insert("counter_name".into(), name.clone());
    form.values.insert("counter_services".into(), services.join(","));
    form.values.insert("counter_active".into(), f.text("counter_active"));
    if name.is_empty() || name.chars().count() > 60 {
        form.errors.insert("counter_name".into(), tr(lang, "appointments.counter_name_required"));
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    let offered: Vec<String> = repo::rules(&mut tx, id).await?.into_iter().map(|r| r.service).collect();
    if services.iter().any(|x| !offered.contains(x)) {
        form.errors.insert("counter_services".into(), tr(lang, "appointments.service_not_here"));
    }
    if let Some(c) = counter
        && repo::counter(&mut tx, c).await?.is_none_or(|c| c.location != id)
    {
        return Err(AppError::not_found());
    }
    if !form.has_errors() && !repo::save_counter(&mut tx, id, counter, &name, &services, f.text("counter_active") == "on").await? {
        form.errors.insert("counter_name".into(), tr(lang, "appointments.counter_name_taken"));
    }
    if form.has_errors() {
        drop(tx);
        return location_with(&state, &ctx, &headers, lang, &s, id, None, Forms { counter: form, edit_counter: counter, ..Forms::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    stranding(&state, &ctx, &headers, &s, &ip, tx, &[id], &f, &paths::LOCATION_COUNTER.with(&[&id]), &paths::LOCATION.with(&[&id])).await
}

pub(super) async fn save_rule(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, ip: ClientIp, Path(id): Path<Uuid>, Checked(s, f): Checked<Staff>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut form = FormState::default();
    let service = f.text("service");
    form.values.insert("service".into(), service.clone());
    let rule = Rule {
        service: service.clone(),
        duration_min: number_in(&f, &mut form, lang, "duration_min", 5..=240),
        buffer_min: number_in(&f, &mut form, lang, "buffer_min", 0..=60),
        min_notice_min: number_in(&f, &mut form, lang, "min_notice_min", 0..=20160),
        max_days_ahead: number_in(&f, &mut form, lang, "max_days_ahead", 1..=365),
        max_persons: number_in(&f, &mut form, lang, "max_persons", 1..=10),
        walkin_share: number_in(&f, &mut form, lang, "walkin_share", 0..=100),
    };
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    if !form.has_errors() && !repo::save_rule(&mut tx, id, &rule).await? {
        form.errors.insert("service".into(), tr(lang, "appointments.service_not_offered"));
    }
    if form.has_errors() {
        drop(tx);
        return location_with(&state, &ctx, &headers, lang, &s, id, None, Forms { rule: form, ..Forms::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    audit(&mut tx, &s, &ip, "appointment.rule_saved", format!("{id}/{service}"), serde_json::json!({ "duration_min": rule.duration_min, "walkin_share": rule.walkin_share })).await?;
    tx.commit().await?;
    Ok(Notice::Saved.redirect(&paths::LOCATION.with(&[&id])))
}

pub(super) async fn delete_rule(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Path((id, slug)): Path<(Uuid, String)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::delete_rule(&mut tx, id, &slug).await?;
    audit(&mut tx, &s, &ip, "appointment.rule_deleted", format!("{id}/{slug}"), serde_json::json!({})).await?;
    // bookings of a service no longer bookable here are stranded
    stranding(&state, &ctx, &headers, &s, &ip, tx, &[id], &f, &paths::LOCATION_RULE_DELETE.with(&[&id, &slug]), &paths::LOCATION.with(&[&id])).await
}

pub(super) async fn renew_display(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, Path(id): Path<Uuid>, Checked(s, _): Checked<Staff>) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::renew_display(&mut tx, id).await?;
    audit(&mut tx, &s, &ip, "appointment.display_renewed", id.to_string(), serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(Notice::Saved.redirect(&paths::LOCATION.with(&[&id])))
}
