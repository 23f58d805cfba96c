//! Set-up by tenant admins: the tenant's settings (Land, reminders, limits), locations with their
//! hours, special days, counters and booking rules, and the call display's link. A change that
//! would strand booked appointments is shown with them first; confirmed, it cancels them and mails
//! each citizen a link to book again.

use crate::kit::checked::Checked;
use crate::kit::office::ObjectPage;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_appointments::Land;
use portal_appointments::repo::{self, Booking, Rule, Settings};
use portal_appointments::slots::parse_hours;
use portal_authz::{Action, Resource};
use portal_db::TenantTx;
use portal_domain::Lang;
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
mod location;
pub(super) use location::*;

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
            Field::new(
                "land",
                tr(lang, "appointments.land"),
                FieldKind::Select(
                    Land::ALL
                        .iter()
                        .map(|l| (l.code().to_owned(), tr(lang, &format!("appointments.land_{}", l.code()))))
                        .collect(),
                ),
            )
            .hint(tr(lang, "appointments.land_hint")),
            Field::new("reminder_hours", tr(lang, "appointments.reminder_hours"), FieldKind::Text)
                .hint(tr(lang, "appointments.reminder_hours_hint")),
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
    setup_with(
        ObjectPage::new(&state, &ctx, lang, &s, ()),
        Notice::parse(q.hinweis.as_deref()),
        FormState::default(),
        FormState::default(),
    )
    .await
}

async fn setup_with(
    p: ObjectPage<'_, (), FormState>,
    notice: Option<Notice>,
    settings_f: FormState,
    location_f: FormState,
) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, status, .. } = p;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let settings = repo::settings(&mut tx).await?;
    let locations = repo::locations(&mut tx).await?;
    tx.finish().await?;
    let may_write = s.may(state, Resource::Appointments, Action::Write);
    let may_process = s.may(state, Resource::Appointments, Action::Process);
    let mut blocks: Vec<Block> = notice.and_then(|n| n.block(lang)).into_iter().collect();
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.locations"),
        headers: vec![
            tr(lang, "appointments.location"),
            tr(lang, "appointments.address"),
            tr(lang, "appointments.status"),
            tr(lang, "appointments.work"),
        ],
        rows: locations
            .iter()
            .map(|l| {
                let mut work = vec![];
                if may_process {
                    work.push(Cell::Link(paths::DESK.with(&[&l.id]), tr(lang, "appointments.desk")));
                }
                vec![
                    if may_write {
                        Cell::Link(paths::LOCATION.with(&[&l.id]), l.name.clone())
                    } else {
                        Cell::Text(l.name.clone())
                    },
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
            blocks.push(form(
                paths::SETUP_NEW_LOCATION.path().into(),
                &s.csrf,
                location_f,
                location_fields(lang),
                tr(lang, "appointments.create_location"),
            ));
        }
    }
    staff_page(state, ctx, lang, paths::SETUP.path(), Some(s), status, tr(lang, "appointments.setup_title"), blocks)
        .await
}

fn number_in(f: &Fields, form: &mut FormState, lang: Lang, name: &str, range: std::ops::RangeInclusive<i32>) -> i32 {
    let raw = f.text(name);
    form.values.insert(name.into(), raw.clone());
    match raw.parse::<i32>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            form.errors.insert(
                name.into(),
                tr_with(
                    lang,
                    "appointments.number_between",
                    &[("min", &range.start().to_string()), ("max", &range.end().to_string())],
                ),
            );
            *range.start()
        }
    }
}

pub(super) async fn save_settings(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
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
        return setup_with(
            ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
            None,
            form,
            FormState::default(),
        )
        .await;
    }
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let before = repo::settings(&mut tx).await?;
    repo::save_settings(&mut tx, &settings).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "appointment.settings",
        "settings".into(),
        serde_json::json!({ "land": settings.land.code(), "reminder_hours": settings.reminder_hours }),
    )
    .await?;
    // another Land has other public holidays: what falls on them is stranded
    if before.is_some_and(|b| b.land != settings.land) {
        let locations: Vec<Uuid> = repo::locations(&mut tx).await?.into_iter().map(|l| l.id).collect();
        return stranding(
            &state,
            &ctx,
            &headers,
            &s,
            &ip,
            tx,
            &locations,
            &f,
            paths::SETUP_SETTINGS.path(),
            paths::SETUP.path(),
        )
        .await;
    }
    tx.commit().await?;
    Ok(Notice::Saved.redirect(paths::SETUP.path()))
}

// ---------------------------------------------------------------------------------------------
// one location

pub(super) async fn add_special(
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
        return location_with(
            ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
            &headers,
            None,
            Forms { special: form, ..Forms::default() },
        )
        .await;
    };
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::add_special_day(&mut tx, id, day, hours.first().copied(), &f.text("note")).await?;
    stranding(
        &state,
        &ctx,
        &headers,
        &s,
        &ip,
        tx,
        &[id],
        &f,
        &paths::LOCATION_SPECIAL.with(&[&id]),
        &paths::LOCATION.with(&[&id]),
    )
    .await
}

pub(super) async fn delete_special(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Params((id, special)): Params<(Uuid, Uuid)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    if !repo::delete_special_day(&mut tx, id, special).await? {
        return Err(AppError::not_found());
    }
    // removing a day with its own hours can strand what was booked in them
    stranding(
        &state,
        &ctx,
        &headers,
        &s,
        &ip,
        tx,
        &[id],
        &f,
        &paths::LOCATION_SPECIAL_DELETE.with(&[&id, &special]),
        &paths::LOCATION.with(&[&id]),
    )
    .await
}

pub(super) async fn save_counter(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let name = f.text("counter_name");
    let services: Vec<String> = f
        .all("counter_services")
        .iter()
        .flat_map(|v| v.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        .collect();
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
    if !form.has_errors()
        && !repo::save_counter(&mut tx, id, counter, &name, &services, f.text("counter_active") == "on").await?
    {
        form.errors.insert("counter_name".into(), tr(lang, "appointments.counter_name_taken"));
    }
    if form.has_errors() {
        drop(tx);
        return location_with(
            ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
            &headers,
            None,
            Forms { counter: form, edit_counter: counter, ..Forms::default() },
        )
        .await;
    }
    stranding(
        &state,
        &ctx,
        &headers,
        &s,
        &ip,
        tx,
        &[id],
        &f,
        &paths::LOCATION_COUNTER.with(&[&id]),
        &paths::LOCATION.with(&[&id]),
    )
    .await
}

pub(super) async fn save_rule(
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
        return location_with(
            ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
            &headers,
            None,
            Forms { rule: form, ..Forms::default() },
        )
        .await;
    }
    audit(
        &mut tx,
        &s,
        &ip,
        "appointment.rule_saved",
        format!("{id}/{service}"),
        serde_json::json!({ "duration_min": rule.duration_min, "walkin_share": rule.walkin_share }),
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::Saved.redirect(&paths::LOCATION.with(&[&id])))
}

pub(super) async fn delete_rule(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Params((id, slug)): Params<(Uuid, String)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::delete_rule(&mut tx, id, &slug).await?;
    audit(&mut tx, &s, &ip, "appointment.rule_deleted", format!("{id}/{slug}"), serde_json::json!({})).await?;
    // bookings of a service no longer bookable here are stranded
    stranding(
        &state,
        &ctx,
        &headers,
        &s,
        &ip,
        tx,
        &[id],
        &f,
        &paths::LOCATION_RULE_DELETE.with(&[&id, &slug]),
        &paths::LOCATION.with(&[&id]),
    )
    .await
}

pub(super) async fn renew_display(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    repo::renew_display(&mut tx, id).await?;
    audit(&mut tx, &s, &ip, "appointment.display_renewed", id.to_string(), serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(Notice::Saved.redirect(&paths::LOCATION.with(&[&id])))
}
