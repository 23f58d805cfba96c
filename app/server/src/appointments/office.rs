//! The office: the front desk of a location (today's list, check-in by booking number, walk-in
//! tickets, booking for a caller), the counter view (call the next ticket, call again, served, no
//! show, pass on), the printable ticket, and the statistics with the quality of the waiting-time
//! estimates and their CSV. Every action is checked against the staff member's roles and audited.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_appointments::repo::{self, BookError, CounterRow, Location, Person, Request};
use portal_authz::{Action, Resource};
use portal_domain::{Lang, civil};
use portal_mail::Mail;
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FilterSpec, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{clock_text, iso_date, mail_booking, parse_date, paths, service_name, service_names, settings_of, when_text};
use crate::kit::mail::base_url;
use crate::kit::office::{audit, staff_page};
use crate::kit::page::{self, lang_of};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;

#[derive(Deserialize, Default)]
pub(super) struct DeskQuery {
    #[serde(default)]
    hinweis: Option<String>,
    #[serde(default)]
    dienst: Option<String>,
    #[serde(default)]
    personen: Option<i32>,
}

fn status_badge(lang: Lang, status: &str) -> Cell {
    let kind = match status {
        "waiting" | "booked" => "info",
        "called" | "checked_in" => "warning",
        "served" | "done" => "success",
        "no_show" | "cancelled" => "danger",
        _ => "neutral",
    };
    Cell::Badge(kind, tr(lang, &format!("appointments.status_{status}")))
}

pub(super) async fn desk(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, s: Staff, Path(id): Path<Uuid>, Query(q): Query<DeskQuery>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Appointments, Action::Process)?;
    let problem = match q.hinweis.as_deref() {
        Some("unbekannt") => Some(tr(lang, "appointments.number_unknown")),
        Some("nicht-heute") => Some(tr(lang, "appointments.not_today")),
        _ => None,
    };
    desk_with(&state, &ctx, &headers, lang, &s, id, problem, StatusCode::OK).await
}

#[expect(clippy::too_many_arguments, reason = "the page and the problem of the form that led here")]
async fn desk_with(state: &AppState, ctx: &TenantContext, headers: &HeaderMap, lang: Lang, s: &Staff, id: Uuid, problem: Option<String>, status: StatusCode) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let loc = super::active_location(&mut tx, id).await?;
    let now = state.db.now();
    let today = civil::german(now).date();
    let bookings = repo::bookings_of_day(&mut tx, id, today).await?;
    let tickets = repo::tickets_of_day(&mut tx, id, today).await?;
    let counters = repo::counters(&mut tx, id).await?;
    let rules = repo::rules(&mut tx, id).await?;
    let wait = repo::waiting_estimate(&mut tx, id, None, now).await?;
    let no_shows: Vec<Uuid> = repo::no_shows(&mut tx, id, now).await?.into_iter().map(|b| b.id).collect();
    tx.finish().await?;
    let content = page::content(state, ctx).await?;
    let mut blocks = vec![];
    if let Some(p) = problem {
        blocks.push(Block::Notice("error", p));
    }
    blocks.push(Block::Facts(vec![
        (tr(lang, "appointments.waiting_now"), wait.waiting.to_string(), None),
        (tr(lang, "appointments.wait_now"), tr_with(lang, "appointments.minutes", &[("m", &((wait.secs + 59) / 60).to_string())]), None),
        (tr(lang, "appointments.counters_at_work"), wait.counters.to_string(), None),
    ]));
    let services: Vec<(String, String)> = rules.iter().map(|r| (r.service.clone(), service_name(&content, lang, &r.service))).collect();
    blocks.push(Block::Form(FormSpec {
        action: paths::DESK_CHECK_IN.with(&[&id]),
        csrf: s.csrf.clone(),
        form: FormState::default(),
        fields: vec![Field::new("number", tr(lang, "appointments.number"), FieldKind::Text).required().hint(tr(lang, "appointments.check_in_hint"))],
        submit: tr(lang, "appointments.check_in"),
        danger: false,
        secondary: None,
    }));
    // the form's one-time key: a double click draws one ticket, not two
    let mut draw_form = FormState::default();
    draw_form.values.insert("key".into(), repo::secret());
    blocks.push(Block::Form(FormSpec {
        action: paths::DESK_TICKET.with(&[&id]),
        csrf: s.csrf.clone(),
        form: draw_form,
        fields: vec![Field::new("key", String::new(), FieldKind::Hidden), Field::new("dienst", tr(lang, "appointments.service"), FieldKind::Select(services.clone())).required()],
        submit: tr(lang, "appointments.draw_ticket"),
        danger: false,
        secondary: None,
    }));
    let mut links: Vec<(String, String)> = counters.iter().filter(|c| c.active).map(|c| (paths::COUNTER.with(&[&c.id]), tr_with(lang, "appointments.open_counter", &[("name", &c.name)]))).collect();
    links.push((paths::DESK_PHONE.with(&[&id]), tr(lang, "appointments.phone_booking")));
    links.push((paths::DISPLAY.with(&[&loc.display_token]), tr(lang, "appointments.open_display")));
    blocks.push(Block::Links(links));
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.tickets_today"),
        headers: vec![tr(lang, "appointments.ticket"), tr(lang, "appointments.services"), tr(lang, "appointments.arrived"), tr(lang, "appointments.status"), tr(lang, "appointments.counter")],
        rows: tickets
            .iter()
            .map(|t| {
                vec![
                    Cell::Link(paths::TICKET.with(&[&t.id]), t.code.clone()),
                    Cell::Text(service_names(&content, lang, &t.services)),
                    Cell::Text(clock_text(t.arrived_at)),
                    status_badge(lang, &t.status),
                    Cell::Text(t.counter.and_then(|c| counters.iter().find(|x| x.id == c)).map(|c| c.name.clone()).unwrap_or_default()),
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_tickets"),
    });
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.bookings_today"),
        headers: vec![tr(lang, "appointments.time"), tr(lang, "appointments.number"), tr(lang, "appointments.name"), tr(lang, "appointments.services"), tr(lang, "appointments.status")],
        rows: bookings
            .iter()
            .map(|b| {
                vec![
                    Cell::Text(clock_text(b.starts_at)),
                    Cell::Text(b.number.clone()),
                    Cell::Text(b.name.clone()),
                    Cell::Text(format!("{} ({})", service_names(&content, lang, &b.services), b.persons)),
                    if no_shows.contains(&b.id) { Cell::Badge("danger", tr(lang, "appointments.status_no_show")) } else { status_badge(lang, &b.status) },
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_bookings"),
    });
    let title = tr_with(lang, "appointments.desk_title", &[("location", &loc.name)]);
    let _ = headers;
    staff_page(state, ctx, lang, &paths::DESK.with(&[&id]), Some(s), status, title, blocks).await
}

pub(super) async fn check_in(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, Path(id): Path<Uuid>, Checked(s, f): Checked<Staff>) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    // a scanner types what the QR code holds; a person types the number; both may add noise
    let number: String = f.text("number").chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_uppercase();
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let Some(b) = repo::booking_by_number(&mut tx, &number).await?.filter(|b| b.location == id) else {
        return Ok(page::see_other(&format!("{}?hinweis=unbekannt", paths::DESK.with(&[&id]))));
    };
    let Some(t) = repo::check_in(&mut tx, &b, state.db.now()).await? else {
        return Ok(page::see_other(&format!("{}?hinweis=nicht-heute", paths::DESK.with(&[&id]))));
    };
    audit(&mut tx, &s, &ip, "appointment.check_in", b.number.clone(), serde_json::json!({ "ticket": t.code })).await?;
    tx.commit().await?;
    state.live.changed(ctx.entry.tenant_id, id);
    Ok(page::see_other(&paths::TICKET.with(&[&t.id])))
}

pub(super) async fn draw(State(state): State<AppState>, ctx: TenantContext, ip: ClientIp, Path(id): Path<Uuid>, Checked(s, f): Checked<Staff>) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    let service = f.text("dienst");
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    super::active_location(&mut tx, id).await?;
    if !repo::rules(&mut tx, id).await?.iter().any(|r| r.service == service) {
        return Err(AppError::bad_request());
    }
    let key = f.text("key");
    let t = repo::draw(&mut tx, id, &[service], state.db.now(), repo::is_key(&key).then_some(key.as_str())).await?;
    audit(&mut tx, &s, &ip, "appointment.ticket", t.code.clone(), serde_json::json!({ "location": id })).await?;
    tx.commit().await?;
    state.live.changed(ctx.entry.tenant_id, id);
    Ok(page::see_other(&paths::TICKET.with(&[&t.id])))
}

/// The printable ticket: its number, what it is for, the estimate when it was drawn.
pub(super) async fn ticket_page(State(state): State<AppState>, ctx: TenantContext, Language(lang): Language, s: Staff, Path(id): Path<Uuid>) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let t = repo::ticket(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    let loc = repo::location(&mut tx, t.location).await?.ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    let content = page::content(&state, &ctx).await?;
    let mut lines = vec![loc.name.clone(), service_names(&content, lang, &t.services), format!("{} {}", tr(lang, "appointments.arrived"), clock_text(t.arrived_at))];
    match t.appointment {
        Some(at) => lines.push(tr_with(lang, "appointments.ticket_appointment", &[("time", &clock_text(at))])),
        None => lines.push(tr_with(lang, "appointments.ticket_estimate", &[("m", &((i64::from(t.estimate_secs.unwrap_or(0)) + 59) / 60).to_string())])),
    }
    lines.push(tr(lang, "appointments.ticket_watch_display"));
    let blocks = vec![Block::Ticket { code: t.code.clone(), lines }, Block::Links(vec![(paths::DESK.with(&[&t.location]), tr(lang, "appointments.back_to_desk"))])];
    staff_page(&state, &ctx, lang, &paths::TICKET.with(&[&id]), Some(&s), StatusCode::OK, tr_with(lang, "appointments.ticket_title", &[("code", &t.code)]), blocks).await
}

// ---------------------------------------------------------------------------------------------
// booking for a caller

pub(super) async fn phone_page(State(state): State<AppState>, ctx: TenantContext, Language(lang): Language, s: Staff, Path(id): Path<Uuid>, Query(q): Query<DeskQuery>) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    phone_with(&state, &ctx, lang, &s, id, q.dienst.unwrap_or_default(), q.personen.unwrap_or(1), FormState::default(), StatusCode::OK).await
}

#[expect(clippy::too_many_arguments, reason = "the page, what is chosen and the form's state")]
async fn phone_with(state: &AppState, ctx: &TenantContext, lang: Lang, s: &Staff, id: Uuid, service: String, persons: i32, mut form: FormState, status: StatusCode) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let loc = super::active_location(&mut tx, id).await?;
    let rules = repo::rules(&mut tx, id).await?;
    let content = page::content(state, ctx).await?;
    let services: Vec<(String, String)> = rules.iter().map(|r| (r.service.clone(), service_name(&content, lang, &r.service))).collect();
    let mut blocks = vec![Block::Filters(Box::new(FilterSpec {
        action: paths::DESK_PHONE.with(&[&id]),
        selects: vec![
            ("dienst".into(), tr(lang, "appointments.service"), services, service.clone()),
            ("personen".into(), tr(lang, "appointments.persons"), (1..=6).map(|n| (n.to_string(), n.to_string())).collect(), persons.to_string()),
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
        let slots = repo::free(&mut tx, settings.land, &req, &plan, now, today, repo::last_day(&plan, today), None).await?;
        let options: Vec<(String, String)> = slots.iter().take(60).map(|x| (x.start.unix_timestamp().to_string(), when_text(lang, x.start))).collect();
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
                    Field::new("email", tr(lang, "appointments.email"), FieldKind::Email).hint(tr(lang, "appointments.phone_email_hint")),
                ],
                submit: tr(lang, "appointments.book_for_caller"),
                danger: false,
                secondary: Some((paths::DESK.with(&[&id]), tr(lang, "appointments.back_to_desk"))),
            }));
        }
    }
    tx.finish().await?;
    staff_page(state, ctx, lang, &paths::DESK_PHONE.with(&[&id]), Some(s), status, tr_with(lang, "appointments.phone_title", &[("location", &loc.name)]), blocks).await
}

pub(super) async fn phone_book(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, ip: ClientIp, Path(id): Path<Uuid>, Checked(s, f): Checked<Staff>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Appointments, Action::Process)?;
    let service = f.text("dienst");
    let persons: i32 = f.text("personen").parse().ok().filter(|p| (1..=10).contains(p)).unwrap_or(1);
    let (mut form, name, email, phone) = super::citizen::check_person(lang, &f, false);
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
        return phone_with(&state, &ctx, lang, &s, id, service, persons, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let content = page::content(&state, &ctx).await?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let loc = super::active_location(&mut tx, id).await?;
    let rules = repo::rules(&mut tx, id).await?;
    let req = Request { location: id, services: vec![service.clone()], persons };
    let plan = repo::plan(&rules, &req).map_err(|_| AppError::bad_request())?;
    let plan = repo::Plan { min_notice: Duration::ZERO, ..plan };
    let person = Person { citizen: None, name, email, phone, lang: lang.code().into(), portal_url: base_url(&state, &ctx.host, &headers) };
    let key = f.text("key");
    match repo::take_once(&mut tx, settings.land, &req, &plan, start, None, &person, state.db.now(), Some(key.as_str())).await {
        // posted again: the booking the first post made
        Ok(taken) if !taken.new => {
            tx.commit().await?;
            let b = taken.booking;
            let blocks = vec![Block::Notice("success", tr_with(lang, "appointments.booked_for_caller_notice", &[("number", &b.number), ("when", &when_text(lang, b.starts_at))]))];
            staff_page(&state, &ctx, lang, &paths::DESK_PHONE.with(&[&id]), Some(&s), StatusCode::OK, tr(lang, "appointments.booked_for_caller_title"), blocks).await
        }
        Ok(taken) => {
            let b = taken.booking;
            let link = format!("{}{}", person.portal_url, paths::MANAGE.with(&[&taken.secret]));
            let services = service_names(&content, lang, &b.services);
            let mail = Mail::AppointmentBooked { when: when_text(lang, b.starts_at), location: loc.name.clone(), services: services.clone(), number: b.number.clone(), link };
            mail_booking(&mut tx, &b, &loc, mail, true, &services).await?;
            audit(&mut tx, &s, &ip, "appointment.booked_for_caller", b.number.clone(), serde_json::json!({ "location": id, "starts_at": b.starts_at.unix_timestamp() })).await?;
            tx.commit().await?;
            let blocks = vec![
                Block::Notice("success", tr_with(lang, "appointments.booked_for_caller_notice", &[("number", &b.number), ("when", &when_text(lang, b.starts_at))])),
                Block::Links(vec![(paths::DESK.with(&[&id]), tr(lang, "appointments.back_to_desk")), (paths::DESK_PHONE.with(&[&id]), tr(lang, "appointments.phone_booking"))]),
            ];
            staff_page(&state, &ctx, lang, &paths::DESK_PHONE.with(&[&id]), Some(&s), StatusCode::OK, tr(lang, "appointments.booked_for_caller_title"), blocks).await
        }
        Err(BookError::Taken) => {
            drop(tx);
            form.errors.insert("start".into(), tr(lang, "appointments.just_taken"));
            phone_with(&state, &ctx, lang, &s, id, service, persons, form, StatusCode::CONFLICT).await
        }
        Err(BookError::Db(e)) => Err(e.into()),
        Err(_) => Err(AppError::bad_request()),
    }
}

// ---------------------------------------------------------------------------------------------
// the counter

async fn counter_of(state: &AppState, ctx: &TenantContext, id: Uuid) -> Result<(CounterRow, Location), AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let c = repo::counter(&mut tx, id).await?.filter(|c| c.active).ok_or_else(AppError::not_found)?;
    let loc = super::active_location(&mut tx, c.location).await?;
    tx.finish().await?;
    Ok((c, loc))
}

pub(super) async fn counter_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Path(id): Path<Uuid>,
    Query(q): Query<DeskQuery>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    let (c, loc) = counter_of(&state, &ctx, id).await?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let now = state.db.now();
    let current = repo::current(&mut tx, id).await?;
    let wait = repo::waiting_estimate(&mut tx, c.location, None, now).await?;
    let others: Vec<(String, String)> = repo::counters(&mut tx, c.location).await?.into_iter().filter(|x| x.active && x.id != id).map(|x| (x.id.to_string(), x.name)).collect();
    tx.finish().await?;
    let content = page::content(&state, &ctx).await?;
    let mut blocks = vec![];
    if q.hinweis.as_deref() == Some("leer") {
        blocks.push(Block::Notice("info", tr(lang, "appointments.nobody_waiting")));
    }
    let action = |a: &str| paths::COUNTER_ACTION.with(&[&id, &a]);
    // every button names the ticket it acts on: a double click or a retried post does nothing more
    let current_id = current.as_ref().map(|t| t.id.to_string()).unwrap_or_default();
    let button = |a: &str, key: &str, danger: bool| Button { action: action(a), csrf: s.csrf.clone(), hidden: vec![("ticket".into(), current_id.clone())], label: tr(lang, key), danger };
    match &current {
        Some(t) => {
            blocks.push(Block::Ticket {
                code: t.code.clone(),
                lines: vec![service_names(&content, lang, &t.services), tr_with(lang, "appointments.called_at", &[("time", &clock_text(t.called_at.unwrap_or(now)))])],
            });
            blocks.push(Block::Buttons(vec![button("fertig", "appointments.served", false), button("erneut", "appointments.recall", false), button("nicht-erschienen", "appointments.no_show", true)]));
            if !others.is_empty() {
                let mut form = FormState::default();
                form.values.insert("to".into(), others[0].0.clone());
                form.values.insert("ticket".into(), t.id.to_string());
                blocks.push(Block::Form(FormSpec {
                    action: action("weitergeben"),
                    csrf: s.csrf.clone(),
                    form,
                    fields: vec![Field::new("ticket", String::new(), FieldKind::Hidden), Field::new("to", tr(lang, "appointments.pass_to"), FieldKind::Select(others))],
                    submit: tr(lang, "appointments.pass"),
                    danger: false,
                    secondary: None,
                }));
            }
        }
        None => blocks.push(Block::Text(tr(lang, "appointments.counter_free"))),
    }
    blocks.push(Block::Buttons(vec![button("aufrufen", if current.is_some() { "appointments.serve_and_call_next" } else { "appointments.call_next" }, false)]));
    blocks.push(Block::Facts(vec![(tr(lang, "appointments.waiting_now"), wait.waiting.to_string(), None)]));
    blocks.push(Block::Links(vec![(paths::DESK.with(&[&loc.id]), tr(lang, "appointments.desk"))]));
    let title = format!("{} – {}", c.name, loc.name);
    staff_page(&state, &ctx, lang, &paths::COUNTER.with(&[&id]), Some(&s), StatusCode::OK, title, blocks).await
}

pub(super) async fn counter_action(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Path((id, action)): Path<(Uuid, String)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    let (c, _) = counter_of(&state, &ctx, id).await?;
    let now = state.db.now();
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let mut back = paths::COUNTER.with(&[&id]);
    // the ticket the page showed; an action for another one (a second click) does nothing
    let shown = Uuid::parse_str(&f.text("ticket")).ok();
    let current = repo::current(&mut tx, id).await?;
    if current.as_ref().map(|t| t.id) != shown {
        tx.commit().await?;
        return Ok(page::see_other(&back));
    }
    let done: Option<String> = match action.as_str() {
        "aufrufen" => match repo::call_next(&mut tx, &c, now).await? {
            Some(t) => Some(t.code),
            None => {
                back.push_str("?hinweis=leer");
                None
            }
        },
        "erneut" => repo::recall(&mut tx, id).await?.map(|t| t.code),
        "fertig" | "nicht-erschienen" => match current {
            Some(t) if repo::finish(&mut tx, t.id, action == "fertig").await? => Some(t.code),
            _ => None,
        },
        "weitergeben" => {
            let to = Uuid::parse_str(&f.text("to")).map_err(|_| AppError::bad_request())?;
            let target = repo::counter(&mut tx, to).await?.filter(|x| x.active && x.location == c.location && x.id != id).ok_or_else(AppError::bad_request)?;
            match current {
                Some(t) if repo::pass(&mut tx, t.id, &target).await? => Some(t.code),
                _ => None,
            }
        }
        _ => return Err(AppError::not_found()),
    };
    if let Some(code) = &done {
        audit(&mut tx, &s, &ip, &format!("appointment.counter_{}", action.replace('-', "_")), code.clone(), serde_json::json!({ "counter": c.name })).await?;
    }
    tx.commit().await?;
    state.live.changed(ctx.entry.tenant_id, c.location);
    Ok(page::see_other(&back))
}

// ---------------------------------------------------------------------------------------------
// statistics

#[derive(Deserialize, Default)]
pub(super) struct ReportQuery {
    #[serde(default)]
    ort: String,
    #[serde(default)]
    von: String,
    #[serde(default)]
    bis: String,
}

struct Report {
    locations: Vec<Location>,
    location: Option<Location>,
    from: time::Date,
    to: time::Date,
    stats: Vec<repo::DayStats>,
    quality: Vec<(time::Date, portal_appointments::estimate::Quality)>,
}

async fn report_data(state: &AppState, ctx: &TenantContext, q: &ReportQuery) -> Result<Report, AppError> {
    let today = state.db.clock().today();
    let to = parse_date(&q.bis).unwrap_or(today);
    let from = parse_date(&q.von).unwrap_or(to - Duration::days(13)).max(to - Duration::days(366));
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let locations = repo::locations(&mut tx).await?;
    let location = Uuid::parse_str(&q.ort).ok().and_then(|id| locations.iter().find(|l| l.id == id).cloned()).or_else(|| locations.first().cloned());
    let (stats, quality) = match &location {
        Some(l) => (repo::stats(&mut tx, l.id, from, to).await?, repo::estimate_quality(&mut tx, l.id, from, to).await?),
        None => (vec![], vec![]),
    };
    tx.finish().await?;
    Ok(Report { locations, location, from, to, stats, quality })
}

fn minutes(secs: Option<f64>) -> String {
    secs.map(|s| format!("{:.1}", s / 60.0)).unwrap_or_default()
}

pub(super) async fn report(State(state): State<AppState>, ctx: TenantContext, headers: HeaderMap, s: Staff, Query(q): Query<ReportQuery>) -> Result<Response, AppError> {
    let lang = lang_of(&headers);
    s.require(&state, Resource::Appointments, Action::Read)?;
    let r = report_data(&state, &ctx, &q).await?;
    let content = page::content(&state, &ctx).await?;
    let loc_id = r.location.as_ref().map(|l| l.id.to_string()).unwrap_or_default();
    let mut blocks = vec![Block::Filters(Box::new(FilterSpec {
        action: paths::REPORT.path().into(),
        selects: vec![("ort".into(), tr(lang, "appointments.location"), r.locations.iter().map(|l| (l.id.to_string(), l.name.clone())).collect(), loc_id.clone())],
        dates: vec![("von".into(), tr(lang, "appointments.from"), iso_date(r.from)), ("bis".into(), tr(lang, "appointments.to"), iso_date(r.to))],
        texts: vec![],
        checks: vec![],
        submit: tr(lang, "appointments.show"),
    }))];
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.quality_caption"),
        headers: vec![tr(lang, "appointments.day"), tr(lang, "appointments.walk_ins"), tr(lang, "appointments.mae"), tr(lang, "appointments.within_five")],
        rows: r
            .quality
            .iter()
            .map(|(d, q)| vec![Cell::Text(iso_date(*d)), Cell::Text(q.count.to_string()), Cell::Text(format!("{:.1}", q.mae_secs / 60.0)), Cell::Text(format!("{:.0} %", q.within_five * 100.0))])
            .collect(),
        empty: tr(lang, "appointments.no_data"),
    });
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.stats_caption"),
        headers: ["day", "service", "bookings", "cancellations", "no_shows", "walk_ins", "served", "wait_avg", "wait_p90", "service_avg", "service_p90"]
            .iter()
            .map(|k| tr(lang, &format!("appointments.col_{k}")))
            .collect(),
        rows: r
            .stats
            .iter()
            .map(|x| {
                vec![
                    Cell::Text(iso_date(x.day)),
                    Cell::Text(service_name(&content, lang, &x.service)),
                    Cell::Text(x.bookings.to_string()),
                    Cell::Text(x.cancellations.to_string()),
                    Cell::Text(x.no_shows.to_string()),
                    Cell::Text(x.walk_ins.to_string()),
                    Cell::Text(x.served.to_string()),
                    Cell::Text(minutes(x.wait_avg_secs)),
                    Cell::Text(minutes(x.wait_p90_secs)),
                    Cell::Text(minutes(x.service_avg_secs)),
                    Cell::Text(minutes(x.service_p90_secs)),
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_data"),
    });
    blocks.push(Block::Links(vec![(format!("{}?ort={loc_id}&von={}&bis={}", paths::REPORT_CSV.path(), iso_date(r.from), iso_date(r.to)), tr(lang, "appointments.csv"))]));
    staff_page(&state, &ctx, lang, paths::REPORT.path(), Some(&s), StatusCode::OK, tr(lang, "appointments.report_title"), blocks).await
}

pub(super) async fn report_csv(State(state): State<AppState>, ctx: TenantContext, s: Staff, Query(q): Query<ReportQuery>) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Read)?;
    let r = report_data(&state, &ctx, &q).await?;
    let mut out = String::from("Standort;Tag;Leistung;Buchungen;Absagen;Nicht erschienen;Spontan;Bedient;Wartezeit Mittel (min);Wartezeit P90 (min);Bedienzeit Mittel (min);Bedienzeit P90 (min)\r\n");
    let name = r.location.as_ref().map(|l| l.name.clone()).unwrap_or_default();
    for x in &r.stats {
        out.push_str(
            &[
                portal_payments::export::field(&name),
                iso_date(x.day),
                portal_payments::export::field(&x.service),
                x.bookings.to_string(),
                x.cancellations.to_string(),
                x.no_shows.to_string(),
                x.walk_ins.to_string(),
                x.served.to_string(),
                minutes(x.wait_avg_secs),
                minutes(x.wait_p90_secs),
                minutes(x.service_avg_secs),
                minutes(x.service_p90_secs),
            ]
            .join(";"),
        );
        out.push_str("\r\n");
    }
    Ok(page::attachment("text/csv; charset=utf-8", out, &format!("termine-{}-{}.csv", iso_date(r.from), iso_date(r.to))))
}
