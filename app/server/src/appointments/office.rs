//! The office: the front desk of a location (today's list, check-in by booking number, walk-in
//! tickets, booking for a caller), the counter view (call the next ticket, call again, served, no
//! show, pass on), the printable ticket, and the statistics with the quality of the waiting-time
//! estimates and their CSV. Every action is checked against the staff member's roles and audited.

use crate::kit::checked::Checked;
use crate::kit::office::ObjectPage;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_appointments::repo::{self, BookError, CounterRow, Location, Person, Request};
use portal_authz::{Action, Resource};
use portal_domain::{Lang, civil};
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FilterSpec, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{
    clock_text, iso_date, mail_booking, parse_date, paths, service_name, service_names, settings_of, when_text,
};
use crate::kit::mail::base_url;
use crate::kit::office::{audit, staff_page};
use crate::kit::page::{self};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;
mod phone;
mod report;
pub(super) use phone::*;
pub(super) use report::*;

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

pub(super) async fn desk(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    s: Staff,
    Params(id): Params<Uuid>,
    Query(q): Query<DeskQuery>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    let problem = match q.hinweis.as_deref() {
        Some("unbekannt") => Some(tr(lang, "appointments.number_unknown")),
        Some("nicht-heute") => Some(tr(lang, "appointments.not_today")),
        _ => None,
    };
    desk_with(ObjectPage::new(&state, &ctx, lang, &s, id).answer(problem, StatusCode::OK), &headers).await
}

async fn desk_with(p: ObjectPage<'_, Uuid, String>, headers: &HeaderMap) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, key: id, again: problem, status } = p;
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
        (
            tr(lang, "appointments.wait_now"),
            tr_with(lang, "appointments.minutes", &[("m", &((wait.secs + 59) / 60).to_string())]),
            None,
        ),
        (tr(lang, "appointments.counters_at_work"), wait.counters.to_string(), None),
    ]));
    let services: Vec<(String, String)> =
        rules.iter().map(|r| (r.service.clone(), service_name(&content, lang, &r.service))).collect();
    blocks.push(Block::Form(FormSpec {
        action: paths::DESK_CHECK_IN.with(&[&id]),
        csrf: s.csrf.clone(),
        form: FormState::default(),
        fields: vec![
            Field::new("number", tr(lang, "appointments.number"), FieldKind::Text)
                .required()
                .hint(tr(lang, "appointments.check_in_hint")),
        ],
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
        fields: vec![
            Field::new("key", String::new(), FieldKind::Hidden),
            Field::new("dienst", tr(lang, "appointments.service"), FieldKind::Select(services.clone())).required(),
        ],
        submit: tr(lang, "appointments.draw_ticket"),
        danger: false,
        secondary: None,
    }));
    let mut links: Vec<(String, String)> = counters
        .iter()
        .filter(|c| c.active)
        .map(|c| (paths::COUNTER.with(&[&c.id]), tr_with(lang, "appointments.open_counter", &[("name", &c.name)])))
        .collect();
    links.push((paths::DESK_PHONE.with(&[&id]), tr(lang, "appointments.phone_booking")));
    links.push((paths::DISPLAY.with(&[&loc.display_token]), tr(lang, "appointments.open_display")));
    blocks.push(Block::Links(links));
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.tickets_today"),
        headers: vec![
            tr(lang, "appointments.ticket"),
            tr(lang, "appointments.services"),
            tr(lang, "appointments.arrived"),
            tr(lang, "appointments.status"),
            tr(lang, "appointments.counter"),
        ],
        rows: tickets
            .iter()
            .map(|t| {
                vec![
                    Cell::Link(paths::TICKET.with(&[&t.id]), t.code.clone()),
                    Cell::Text(service_names(&content, lang, &t.services)),
                    Cell::Text(clock_text(t.arrived_at)),
                    status_badge(lang, &t.status),
                    Cell::Text(
                        t.counter
                            .and_then(|c| counters.iter().find(|x| x.id == c))
                            .map(|c| c.name.clone())
                            .unwrap_or_default(),
                    ),
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_tickets"),
    });
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.bookings_today"),
        headers: vec![
            tr(lang, "appointments.time"),
            tr(lang, "appointments.number"),
            tr(lang, "appointments.name"),
            tr(lang, "appointments.services"),
            tr(lang, "appointments.status"),
        ],
        rows: bookings
            .iter()
            .map(|b| {
                vec![
                    Cell::Text(clock_text(b.starts_at)),
                    Cell::Text(b.number.clone()),
                    Cell::Text(b.name.clone()),
                    Cell::Text(format!("{} ({})", service_names(&content, lang, &b.services), b.persons)),
                    if no_shows.contains(&b.id) {
                        Cell::Badge("danger", tr(lang, "appointments.status_no_show"))
                    } else {
                        status_badge(lang, &b.status)
                    },
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_bookings"),
    });
    let title = tr_with(lang, "appointments.desk_title", &[("location", &loc.name)]);
    let _ = headers;
    staff_page(state, ctx, lang, &paths::DESK.with(&[&id]), Some(s), status, title, blocks).await
}

pub(super) async fn check_in(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    // a scanner types what the QR code holds; a person types the number; both may add noise
    let number: String =
        f.text("number").chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_uppercase();
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

pub(super) async fn draw(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
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
pub(super) async fn ticket_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(id): Params<Uuid>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let t = repo::ticket(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    let loc = repo::location(&mut tx, t.location).await?.ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    let content = page::content(&state, &ctx).await?;
    let mut lines = vec![
        loc.name.clone(),
        service_names(&content, lang, &t.services),
        format!("{} {}", tr(lang, "appointments.arrived"), clock_text(t.arrived_at)),
    ];
    match t.appointment {
        Some(at) => lines.push(tr_with(lang, "appointments.ticket_appointment", &[("time", &clock_text(at))])),
        None => lines.push(tr_with(
            lang,
            "appointments.ticket_estimate",
            &[("m", &((i64::from(t.estimate_secs.unwrap_or(0)) + 59) / 60).to_string())],
        )),
    }
    lines.push(tr(lang, "appointments.ticket_watch_display"));
    let blocks = vec![
        portal_ui::appointments::ticket_block(t.code.clone(), lines),
        Block::Links(vec![(paths::DESK.with(&[&t.location]), tr(lang, "appointments.back_to_desk"))]),
    ];
    staff_page(
        &state,
        &ctx,
        lang,
        &paths::TICKET.with(&[&id]),
        Some(&s),
        StatusCode::OK,
        tr_with(lang, "appointments.ticket_title", &[("code", &t.code)]),
        blocks,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// booking for a caller

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
    Params(id): Params<Uuid>,
    Query(q): Query<DeskQuery>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Process)?;
    let (c, loc) = counter_of(&state, &ctx, id).await?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let now = state.db.now();
    let current = repo::current(&mut tx, id).await?;
    let wait = repo::waiting_estimate(&mut tx, c.location, None, now).await?;
    let others: Vec<(String, String)> = repo::counters(&mut tx, c.location)
        .await?
        .into_iter()
        .filter(|x| x.active && x.id != id)
        .map(|x| (x.id.to_string(), x.name))
        .collect();
    tx.finish().await?;
    let content = page::content(&state, &ctx).await?;
    let mut blocks = vec![];
    if q.hinweis.as_deref() == Some("leer") {
        blocks.push(Block::Notice("info", tr(lang, "appointments.nobody_waiting")));
    }
    let action = |a: &str| paths::COUNTER_ACTION.with(&[&id, &a]);
    // every button names the ticket it acts on: a double click or a retried post does nothing more
    let current_id = current.as_ref().map(|t| t.id.to_string()).unwrap_or_default();
    let button = |a: &str, key: &str, danger: bool| Button {
        action: action(a),
        csrf: s.csrf.clone(),
        hidden: vec![("ticket".into(), current_id.clone())],
        label: tr(lang, key),
        danger,
    };
    match &current {
        Some(t) => {
            blocks.push(portal_ui::appointments::ticket_block(
                t.code.clone(),
                vec![
                    service_names(&content, lang, &t.services),
                    tr_with(lang, "appointments.called_at", &[("time", &clock_text(t.called_at.unwrap_or(now)))]),
                ],
            ));
            blocks.push(Block::Buttons(vec![
                button("fertig", "appointments.served", false),
                button("erneut", "appointments.recall", false),
                button("nicht-erschienen", "appointments.no_show", true),
            ]));
            if !others.is_empty() {
                let mut form = FormState::default();
                form.values.insert("to".into(), others[0].0.clone());
                form.values.insert("ticket".into(), t.id.to_string());
                blocks.push(Block::Form(FormSpec {
                    action: action("weitergeben"),
                    csrf: s.csrf.clone(),
                    form,
                    fields: vec![
                        Field::new("ticket", String::new(), FieldKind::Hidden),
                        Field::new("to", tr(lang, "appointments.pass_to"), FieldKind::Select(others)),
                    ],
                    submit: tr(lang, "appointments.pass"),
                    danger: false,
                    secondary: None,
                }));
            }
        }
        None => blocks.push(Block::Text(tr(lang, "appointments.counter_free"))),
    }
    blocks.push(Block::Buttons(vec![button(
        "aufrufen",
        if current.is_some() { "appointments.serve_and_call_next" } else { "appointments.call_next" },
        false,
    )]));
    blocks.push(Block::Facts(vec![(tr(lang, "appointments.waiting_now"), wait.waiting.to_string(), None)]));
    blocks.push(Block::Links(vec![(paths::DESK.with(&[&loc.id]), tr(lang, "appointments.desk"))]));
    let title = format!("{} – {}", c.name, loc.name);
    staff_page(&state, &ctx, lang, &paths::COUNTER.with(&[&id]), Some(&s), StatusCode::OK, title, blocks).await
}

pub(super) async fn counter_action(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params((id, action)): Params<(Uuid, String)>,
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
            let target = repo::counter(&mut tx, to)
                .await?
                .filter(|x| x.active && x.location == c.location && x.id != id)
                .ok_or_else(AppError::bad_request)?;
            match current {
                Some(t) if repo::pass(&mut tx, t.id, &target).await? => Some(t.code),
                _ => None,
            }
        }
        _ => return Err(AppError::not_found()),
    };
    if let Some(code) = &done {
        audit(
            &mut tx,
            &s,
            &ip,
            &format!("appointment.counter_{}", action.replace('-', "_")),
            code.clone(),
            serde_json::json!({ "counter": c.name }),
        )
        .await?;
    }
    tx.commit().await?;
    state.live.changed(ctx.entry.tenant_id, c.location);
    Ok(page::see_other(&back))
}

// ---------------------------------------------------------------------------------------------
// statistics
