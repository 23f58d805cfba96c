//! The citizen's side: the overview with live waiting times, the booking steps (services and
//! location, day, time, own data), and managing a booking through its secret link or "Meine Termine".

use crate::kit::checked::{Anonymous, Checked};
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use portal_appointments::repo::{self, BookError, Booking, Location, Person, Plan, Request, Settings};
use portal_appointments::slots::Slot;
use portal_db::TenantTx;
use portal_domain::{Lang, civil};
use portal_identity::ratelimit::Limit;
use portal_ui::appointments::LiveRow;
use portal_ui::blocks::{Block, Field, FieldKind, FilterSpec, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use super::calendar::{month_end, month_start, month_table, next_month, time_form};
pub(super) use super::want::Want;
use super::{
    active_location, booking_lang, day_text, iso_date, mail_booking, paths, service_name, service_names, settings_of,
    when_text,
};
use crate::kit::form::Fields;
use crate::kit::frame::blocks_page;
use crate::kit::limits::allow_per_address;
use crate::kit::mail::base_url;
use crate::kit::notice::Notice;
use crate::kit::page::{self};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::{MaybeCitizen, anon_csrf, set_anon_csrf};
mod confirm;
pub(super) use confirm::*;

pub(super) fn query_fields(q: Option<String>) -> Result<Fields, AppError> {
    Fields::from_query(q.as_deref())
}

#[expect(clippy::too_many_arguments, reason = "a page: frame, transaction, path, status, title and content")]
pub(super) async fn render(
    state: &AppState,
    ctx: &TenantContext,
    tx: crate::kit::pipeline::Tx<TenantTx>,
    lang: Lang,
    path: &str,
    status: StatusCode,
    title: String,
    blocks: Vec<Block>,
) -> Result<Response, AppError> {
    blocks_page(state, ctx, tx, lang, path, status, title, vec![], blocks).await
}

/// A page about one booking: its secret stays out of other sites' logs and of every cache.
pub(super) fn secret_page(mut r: Response) -> Response {
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    r
}

// ---------------------------------------------------------------------------------------------
// overview

pub(super) async fn overview(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let content = page::content(&state, &ctx).await?;
    let mut blocks = vec![];
    match repo::settings(&mut tx).await? {
        None => blocks.push(Block::Text(tr(lang, "appointments.none_online"))),
        Some(settings) => {
            let now = state.db.now();
            for loc in repo::locations(&mut tx).await?.into_iter().filter(|l| l.active) {
                blocks.push(Block::Heading(loc.name.clone()));
                let mut facts = vec![];
                if !loc.address.is_empty() {
                    facts.push((tr(lang, "appointments.address"), loc.address.clone(), None));
                }
                if !loc.contact.is_empty() {
                    facts.push((tr(lang, "appointments.contact"), loc.contact.clone(), None));
                }
                if !loc.accessibility.is_empty() {
                    facts.push((tr(lang, "appointments.accessibility"), loc.accessibility.clone(), None));
                }
                let rules = repo::rules(&mut tx, loc.id).await?;
                if let Some(first) = rules.first() {
                    let req = Request { location: loc.id, services: vec![first.service.clone()], persons: 1 };
                    if let Ok(plan) = repo::plan(&rules, &req) {
                        let next = repo::first_free(&mut tx, settings.land, &req, &plan, now, None).await?;
                        facts.push((
                            tr_with(
                                lang,
                                "appointments.next_free_for",
                                &[("service", &service_name(&content, lang, &first.service))],
                            ),
                            next.map_or_else(|| tr(lang, "appointments.no_free"), |s| when_text(lang, s.start)),
                            None,
                        ));
                    }
                }
                facts.push((
                    tr(lang, "appointments.services"),
                    rules.iter().map(|r| service_name(&content, lang, &r.service)).collect::<Vec<_>>().join(", "),
                    None,
                ));
                blocks.push(Block::Facts(facts));
                let inputs = repo::WaitInputs::load(&mut tx, loc.id, now).await?;
                let wait = inputs.wait(None);
                blocks.push(portal_ui::appointments::live_block(vec![live_row(
                    lang,
                    &tr(lang, "appointments.wait_now"),
                    paths::LIVE.with(&[&loc.id]),
                    wait.secs,
                    wait.waiting,
                )]));
                // per service: the counters that serve it and the tickets for it
                let per_service = rules
                    .iter()
                    .map(|r| {
                        let w = inputs.wait(Some(&r.service));
                        let minutes = (w.secs + 59) / 60;
                        let text = if minutes > 0 {
                            tr_with(lang, "appointments.wait_for_service", &[("m", &minutes.to_string())])
                        } else {
                            tr(lang, "appointments.wait_for_service_none")
                        };
                        (service_name(&content, lang, &r.service), text, None)
                    })
                    .collect();
                blocks.push(Block::Facts(per_service));
                let best = best_hours(lang, &repo::forecast(&mut tx, loc.id).await?);
                if !best.is_empty() {
                    blocks.push(Block::Text(tr_with(lang, "appointments.best_hours", &[("hours", &best)])));
                }
                blocks.push(Block::Links(vec![(
                    format!("{}?ort={}", paths::BOOK.path(), loc.id),
                    tr_with(lang, "appointments.book_at", &[("location", &loc.name)]),
                )]));
            }
        }
    }
    blocks.push(Block::Links(vec![(paths::MINE.path().into(), tr(lang, "appointments.mine_title"))]));
    render(&state, &ctx, tx, lang, paths::OVERVIEW.path(), StatusCode::OK, tr(lang, "appointments.title"), blocks).await
}

/// A live waiting-time row.
pub(super) fn live_row(lang: Lang, label: &str, source: String, secs: i64, waiting: i64) -> LiveRow {
    let template = tr(lang, "appointments.wait_template");
    let empty = tr(lang, "appointments.wait_none");
    let minutes = (secs + 59) / 60;
    let text = if waiting > 0 || minutes > 0 {
        template.replace("{m}", &minutes.to_string()).replace("{n}", &waiting.to_string())
    } else {
        empty.clone()
    };
    LiveRow { label: label.to_owned(), text, source, template, empty_template: empty }
}

/// The three hours with the shortest average wait (at least five walk-ins each) from the history.
fn best_hours(lang: Lang, forecast: &[(i32, i32, f64, i64)]) -> String {
    let mut rows: Vec<&(i32, i32, f64, i64)> = forecast.iter().filter(|r| r.3 >= 5).collect();
    rows.sort_by(|a, b| a.2.total_cmp(&b.2));
    rows.iter()
        .take(3)
        .map(|(dow, hour, avg, _)| {
            let day = time::Weekday::Monday.nth_next(u8::try_from(dow - 1).unwrap_or(0));
            format!(
                "{} {hour}–{} ({} {})",
                super::weekday_name(lang, day),
                hour + 1,
                tr(lang, "appointments.about"),
                tr_with(lang, "appointments.minutes", &[("m", &((*avg / 60.0).round() as i64).to_string())])
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------------------------
// booking steps

/// What a chosen request is: its plan, or the message why it cannot be booked.
pub(super) async fn plan_of(
    tx: &mut TenantTx,
    lang: Lang,
    want: &Want,
) -> Result<Result<(Request, Plan), String>, AppError> {
    if want.services.len() > 5 {
        return Ok(Err(tr(lang, "appointments.too_many_services")));
    }
    let Some(req) = want.request() else { return Ok(Err(tr(lang, "appointments.choose_first"))) };
    let rules = repo::rules(tx, req.location).await?;
    Ok(match repo::plan(&rules, &req) {
        Ok(p) => Ok((req, p)),
        Err(repo::NotBookable::Service) => Err(tr(lang, "appointments.service_not_here")),
        Err(repo::NotBookable::Persons(max)) => {
            Err(tr_with(lang, "appointments.too_many_persons", &[("max", &max.to_string())]))
        }
    })
}

/// The blocks to choose a day and a time for `want` (a new booking, or moving one: `except`).
#[expect(
    clippy::too_many_arguments,
    reason = "the steps' state: what is chosen, where the links go, the form's token and what is being moved"
)]
pub(super) async fn slot_blocks(
    tx: &mut TenantTx,
    lang: Lang,
    settings: &Settings,
    want: &Want,
    req: &Request,
    plan: &Plan,
    base: &str,
    action: &str,
    csrf: &str,
    except: Option<Uuid>,
) -> Result<Vec<Block>, AppError> {
    let now = tx.now();
    let today = civil::german(now).date();
    let last = repo::last_day(plan, today);
    let mut blocks = vec![];
    let link_base = format!("{base}?{}", want.query());
    // the first free slot (looked for a fortnight at a time), then only the month shown
    let Some(first) = repo::first_free(tx, settings.land, req, plan, now, except).await? else {
        blocks.push(Block::Notice("info", tr(lang, "appointments.no_free")));
        return Ok(blocks);
    };
    let first_day = civil::german(first.start).date();
    blocks.push(Block::Facts(vec![(tr(lang, "appointments.next_free"), when_text(lang, first.start), None)]));
    blocks.push(Block::Links(vec![(
        format!("{link_base}&tag={}", iso_date(first_day)),
        tr(lang, "appointments.take_next_free"),
    )]));
    let month = want
        .month
        .or(want.day.map(month_start))
        .unwrap_or_else(|| month_start(first_day))
        .max(month_start(today))
        .min(month_start(last));
    let shown =
        repo::free(tx, settings.land, req, plan, now, month.max(today), month_end(month).min(last), except).await?;
    if let Some(day) = want.day.filter(|d| *d >= today && *d <= last) {
        let times: Vec<Slot> = if month_start(day) == month {
            shown.iter().filter(|s| civil::german(s.start).date() == day).copied().collect()
        } else {
            repo::free(tx, settings.land, req, plan, now, day, day, except).await?
        };
        blocks.push(Block::Heading(day_text(lang, day)));
        if times.is_empty() {
            blocks.push(Block::Notice("info", tr(lang, "appointments.day_full")));
        } else {
            blocks.push(time_form(lang, want, &times.iter().collect::<Vec<_>>(), action, csrf));
        }
    }
    let free_days: Vec<Date> = {
        let mut v: Vec<Date> = shown.iter().map(|s| civil::german(s.start).date()).collect();
        v.dedup();
        v
    };
    blocks.push(month_table(lang, month, &free_days, &|d| format!("{link_base}&tag={}", iso_date(d))));
    let mut nav = vec![];
    if month > month_start(today) {
        let prev = month_start(month.previous_day().unwrap_or(month));
        nav.push((format!("{link_base}&monat={}", &iso_date(prev)[..7]), tr(lang, "appointments.previous_month")));
    }
    if next_month(month) <= last {
        nav.push((
            format!("{link_base}&monat={}", &iso_date(next_month(month))[..7]),
            tr(lang, "appointments.next_month"),
        ));
    }
    blocks.push(Block::Links(nav));
    Ok(blocks)
}

/// Step 1: location, services and persons (a GET form).
fn choose_blocks(
    lang: Lang,
    content: &portal_web::content::TenantContent,
    locations: &[Location],
    offered: &[(Uuid, String)],
    want: &Want,
) -> Vec<Block> {
    let mut services: Vec<(String, String)> =
        offered.iter().map(|(_, s)| (s.clone(), service_name(content, lang, s))).collect();
    services.sort_by(|a, b| a.1.cmp(&b.1));
    services.dedup();
    vec![Block::Filters(Box::new(FilterSpec {
        action: paths::BOOK.path().into(),
        selects: vec![
            (
                "ort".into(),
                tr(lang, "appointments.location"),
                locations.iter().map(|l| (l.id.to_string(), l.name.clone())).collect(),
                want.location.map(|l| l.to_string()).unwrap_or_default(),
            ),
            (
                "personen".into(),
                tr(lang, "appointments.persons"),
                (1..=6).map(|n| (n.to_string(), n.to_string())).collect(),
                want.persons.to_string(),
            ),
        ],
        dates: vec![],
        texts: vec![],
        checks: services
            .into_iter()
            .map(|(slug, name)| (format!("d_{slug}"), name, want.services.contains(&slug)))
            .collect(),
        submit: tr(lang, "appointments.continue"),
    }))]
}

pub(super) async fn book_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let want = Want::from(&query_fields(q)?);
    book_page_with(&state, &ctx, &headers, lang, &want, None, StatusCode::OK).await
}

async fn book_page_with(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    lang: Lang,
    want: &Want,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (csrf, new) = anon_csrf(headers);
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let Some(settings) = repo::settings(&mut tx).await? else {
        // a service page links here for every service that needs an appointment
        return render(
            state,
            ctx,
            tx,
            lang,
            paths::BOOK.path(),
            StatusCode::OK,
            tr(lang, "appointments.book_title"),
            vec![Block::Text(tr(lang, "appointments.none_online"))],
        )
        .await;
    };
    let content = page::content(state, ctx).await?;
    let locations: Vec<Location> = repo::locations(&mut tx).await?.into_iter().filter(|l| l.active).collect();
    let mut offered = vec![];
    for l in &locations {
        offered.extend(repo::rules(&mut tx, l.id).await?.into_iter().map(|r| (l.id, r.service)));
    }
    // the services chosen and no location yet: the only location offering them all is chosen
    let mut want = want.clone();
    if want.location.is_none() && !want.services.is_empty() {
        let able: Vec<Uuid> = locations
            .iter()
            .map(|l| l.id)
            .filter(|l| want.services.iter().all(|s| offered.contains(&(*l, s.clone()))))
            .collect();
        if let [only] = able.as_slice() {
            want.location = Some(*only);
        }
    }
    let want = &want;
    let mut blocks = vec![];
    if let Some(p) = problem {
        blocks.push(Block::Notice("error", p));
    }
    blocks.extend(choose_blocks(lang, &content, &locations, &offered, want));
    if want.location.is_some() && !want.services.is_empty() {
        match plan_of(&mut tx, lang, want).await? {
            Ok((req, plan)) => {
                let loc = active_location(&mut tx, req.location).await?;
                blocks.push(Block::Heading(tr_with(lang, "appointments.times_at", &[("location", &loc.name)])));
                blocks.push(Block::Text(tr_with(
                    lang,
                    "appointments.duration_is",
                    &[
                        ("minutes", &plan.minutes.to_string()),
                        ("services", &service_names(&content, lang, &req.services)),
                    ],
                )));
                blocks.extend(
                    slot_blocks(
                        &mut tx,
                        lang,
                        &settings,
                        want,
                        &req,
                        &plan,
                        paths::BOOK.path(),
                        paths::BOOK.path(),
                        &csrf,
                        None,
                    )
                    .await?,
                );
            }
            Err(msg) => blocks.insert(0, Block::Notice("error", msg)),
        }
    } else if want.location.is_some() || !want.services.is_empty() {
        blocks.insert(0, Block::Notice("info", tr(lang, "appointments.choose_first")));
    }
    let r =
        render(state, ctx, tx, lang, paths::BOOK.path(), status, tr(lang, "appointments.book_title"), blocks).await?;
    Ok(set_anon_csrf(state, r, &csrf, new))
}

/// Holds the chosen slot for a few minutes and leads to the form for the citizen's data.
pub(super) async fn hold(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    MaybeCitizen(citizen): MaybeCitizen,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    let want = Want::from(&f);
    let Ok(start) = f.text("start").parse::<i64>().map(OffsetDateTime::from_unix_timestamp) else {
        return book_page_with(
            &state,
            &ctx,
            &headers,
            lang,
            &want,
            Some(tr(lang, "appointments.choose_time")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let Ok(start) = start else { return Err(AppError::bad_request()) };
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    tx.commit().await?;
    // a bot that hoards slots runs into the address's limit first
    allow_per_address(
        &state,
        ctx.entry.tenant_id,
        &ip,
        &format!("appointment-hold:{}", ctx.entry.tenant_id.0),
        Limit { max: settings.max_per_address_hour, window: Duration::hours(1) },
    )
    .await?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let (req, plan) = match plan_of(&mut tx, lang, &want).await? {
        Ok(p) => p,
        Err(msg) => {
            drop(tx);
            return book_page_with(&state, &ctx, &headers, lang, &want, Some(msg), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let person = Person {
        citizen: citizen.map(|c| c.citizen_id),
        lang: lang.code().into(),
        portal_url: base_url(&state, &ctx.host, &headers),
        ..Person::default()
    };
    let key = f.text("key");
    match repo::take_once(
        &mut tx,
        settings.land,
        &req,
        &plan,
        start,
        Some(Duration::minutes(i64::from(settings.hold_minutes))),
        &person,
        state.db.now(),
        Some(key.as_str()),
    )
    .await
    {
        Ok(taken) => {
            tx.commit().await?;
            Ok(page::see_other(&paths::HELD.with(&[&taken.secret])))
        }
        Err(BookError::Taken) => {
            drop(tx);
            let day = Want { day: Some(civil::german(start).date()), ..want };
            book_page_with(
                &state,
                &ctx,
                &headers,
                lang,
                &day,
                Some(tr(lang, "appointments.just_taken")),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(book_error(e)),
    }
}

pub(super) fn book_error(e: BookError) -> AppError {
    match e {
        BookError::Db(d) => d.into(),
        BookError::Closed | BookError::Expired | BookError::TooMany | BookError::Taken => AppError::bad_request(),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct NoticeQuery {
    #[serde(default)]
    pub(super) hinweis: Option<String>,
}
