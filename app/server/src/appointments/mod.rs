//! Appointments and the walk-in queue (`/termine`, `/verwaltung/termine`, `/anzeige/…`).
//!
//! Citizens pick services, a location, a day and a time (server-rendered calendar, no script
//! needed), the slot is held while they type, and the booking is confirmed by mail with an .ics
//! file and a secret link to move or cancel it; logged-in citizens find theirs under "Meine
//! Termine". Tenant admins set up locations, hours, special days, counters and booking rules; a
//! change that would strand booked appointments shows them first and mails each citizen a link to
//! book again. The front desk checks citizens in and draws walk-in tickets, counters call the next
//! ticket ([`portal_appointments::queue`]), and the waiting room's display and the portal's waiting
//! times follow every change live ([`portal_web::live`]).

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use portal_appointments::repo::{self, Booking, Location, Settings};
use portal_authz::{Action, Resource};
use portal_db::{Db, TenantTx};
use portal_domain::{Lang, TenantId, civil};
use portal_mail::{Attachment, Mail};
use portal_web::content::TenantContent;
use portal_web::live::{Live, Snapshot};
use portal_web::{AppError, AppState};
use sha2::Digest;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::kit::dates::{iso_date, parse_date};
use crate::kit::registry::{BoxFuture, Capability, NavEntry};

mod calendar;
mod citizen;
mod demo;
mod display;
mod jobs;
mod location_page;
mod mails;
mod manage;
mod office;
pub mod paths;
mod setup;
mod want;
mod widgets;

pub use jobs::run_once as run_jobs_once;

pub const CAPABILITY: Capability = Capability {
    demo: Some(demo::demo),
    widgets: widgets::NEEDS,
    assets: &[widgets::LIVE_JS],
    portal: Some(router),
    public: &[paths::DISPLAYS.path()],
    staff_nav: &[
        NavEntry {
            order: 20,
            path: paths::SETUP.path(),
            label: "appointments.nav",
            resource: Resource::Appointments,
            action: Action::Read,
        },
        NavEntry {
            order: 21,
            path: paths::REPORT.path(),
            label: "appointments.nav_report",
            resource: Resource::Appointments,
            action: Action::Read,
        },
    ],
    jobs: &[jobs::job],
    texts: || {
        let status =
            ["held", "booked", "checked_in", "done", "cancelled", "expired", "waiting", "called", "served", "no_show"]
                .iter()
                .map(|s| format!("appointments.status_{s}"));
        let lands = portal_appointments::Land::ALL.iter().map(|l| format!("appointments.land_{}", l.code()));
        let columns = [
            "day",
            "service",
            "bookings",
            "cancellations",
            "no_shows",
            "walk_ins",
            "served",
            "wait_avg",
            "wait_p90",
            "service_avg",
            "service_p90",
        ]
        .iter()
        .map(|c| format!("appointments.col_{c}"));
        status.chain(lands).chain(columns).collect()
    },
    ..Capability::named("appointments")
};

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::OVERVIEW.pattern(), get(citizen::overview))
        .route(paths::BOOK.pattern(), get(citizen::book_page).post(citizen::hold))
        .route(paths::HELD.pattern(), get(citizen::held_page).post(citizen::confirm))
        .route(paths::MANAGE.pattern(), get(manage::manage_by_secret))
        .route(paths::MANAGE_CANCEL.pattern(), post(manage::cancel_by_secret))
        .route(paths::MANAGE_MOVE.pattern(), get(manage::move_page_by_secret).post(manage::move_by_secret))
        .route(paths::MANAGE_ICS.pattern(), get(manage::ics_by_secret))
        .route(paths::MINE.pattern(), get(manage::mine))
        .route(paths::MINE_ONE.pattern(), get(manage::manage_mine))
        .route(paths::MINE_CANCEL.pattern(), post(manage::cancel_mine))
        .route(paths::MINE_MOVE.pattern(), get(manage::move_page_mine).post(manage::move_mine))
        .route(paths::MINE_ICS.pattern(), get(manage::ics_mine))
        .route(paths::LIVE.pattern(), get(display::portal_live))
        .route(paths::DISPLAY.pattern(), get(display::display_page))
        .route(paths::DISPLAY_LIVE.pattern(), get(display::display_live))
        .route(paths::SETUP.pattern(), get(setup::setup_page))
        .route(paths::SETUP_SETTINGS.pattern(), post(setup::save_settings))
        .route(paths::SETUP_NEW_LOCATION.pattern(), post(setup::new_location))
        .route(paths::LOCATION.pattern(), get(location_page::location_page))
        .route(paths::LOCATION_DETAILS.pattern(), post(setup::save_details))
        .route(paths::LOCATION_HOURS.pattern(), post(setup::save_hours))
        .route(paths::LOCATION_SPECIAL.pattern(), post(setup::add_special))
        .route(paths::LOCATION_SPECIAL_DELETE.pattern(), post(setup::delete_special))
        .route(paths::LOCATION_COUNTER.pattern(), post(setup::save_counter))
        .route(paths::LOCATION_RULE.pattern(), post(setup::save_rule))
        .route(paths::LOCATION_RULE_DELETE.pattern(), post(setup::delete_rule))
        .route(paths::LOCATION_DISPLAY.pattern(), post(setup::renew_display))
        .route(paths::DESK.pattern(), get(office::desk))
        .route(paths::DESK_CHECK_IN.pattern(), post(office::check_in))
        .route(paths::DESK_TICKET.pattern(), post(office::draw))
        .route(paths::DESK_PHONE.pattern(), get(office::phone_page).post(office::phone_book))
        .route(paths::TICKET.pattern(), get(office::ticket_page))
        .route(paths::COUNTER.pattern(), get(office::counter_page))
        .route(paths::COUNTER_ACTION.pattern(), post(office::counter_action))
        .route(paths::REPORT.pattern(), get(office::report))
        .route(paths::REPORT_CSV.pattern(), get(office::report_csv))
}

/// The tenant's settings, or 404 when it offers no appointments.
async fn settings_of(tx: &mut TenantTx) -> Result<Settings, AppError> {
    repo::settings(tx).await?.ok_or_else(AppError::not_found)
}

/// An active location of the tenant (404 otherwise).
async fn active_location(tx: &mut TenantTx, id: Uuid) -> Result<Location, AppError> {
    repo::location(tx, id).await?.filter(|l| l.active).ok_or_else(AppError::not_found)
}

/// The name of a service in `lang` (its slug when the tenant no longer offers it).
fn service_name(content: &TenantContent, lang: Lang, slug: &str) -> String {
    content
        .services
        .iter()
        .find(|s| s.service_slug == slug)
        .map_or_else(|| slug.to_owned(), |s| s.name(lang).to_owned())
}

fn service_names(content: &TenantContent, lang: Lang, slugs: &[String]) -> String {
    slugs.iter().map(|s| service_name(content, lang, s)).collect::<Vec<_>>().join(", ")
}

const WEEKDAYS_DE: [&str; 7] = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"];
const WEEKDAYS_EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn weekday_name(lang: Lang, w: time::Weekday) -> &'static str {
    let i = usize::from(w.number_days_from_monday());
    lang.pick(WEEKDAYS_DE[i], WEEKDAYS_EN[i])
}

/// A date as people read it: "Dienstag, 01.12.2026".
fn day_text(lang: Lang, d: time::Date) -> String {
    format!("{}, {:02}.{:02}.{:04}", weekday_name(lang, d.weekday()), d.day(), u8::from(d.month()), d.year())
}

fn clock_text(t: OffsetDateTime) -> String {
    let t = civil::german(t);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// "Dienstag, 01.12.2026, 09:30 Uhr" / "Tuesday, 01.12.2026, 09:30".
fn when_text(lang: Lang, t: OffsetDateTime) -> String {
    let day = day_text(lang, civil::german(t).date());
    portal_ui::i18n::tr_with(lang, "appointments.day_at", &[("day", &day), ("time", &clock_text(t))])
}

fn booking_lang(b: &Booking) -> Lang {
    Lang::from_code(&b.lang).unwrap_or_default()
}

/// Queues a mail about a booking to its e-mail address (none: nothing to send), in the booking's
/// language, with its calendar file when `ics` is set.
async fn mail_booking(
    tx: &mut TenantTx,
    b: &Booking,
    location: &Location,
    mail: Mail,
    ics: bool,
    services: &str,
) -> Result<(), AppError> {
    if b.email.is_empty() {
        return Ok(());
    }
    let lang = booking_lang(b);
    let branding = crate::kit::mail::branding(tx, &b.portal_url, None).await?;
    let mut message =
        portal_mail::render(&mail, lang, &branding, &b.email, &|key, args| portal_ui::i18n::tr_with(lang, key, args));
    if ics {
        let content = calendar_file(b, location, &branding.tenant_name, services, lang, tx.now());
        let method = if b.status == "cancelled" { "CANCEL" } else { "PUBLISH" };
        message.attachments.push(Attachment {
            filename: "termin.ics".into(),
            content_type: format!("text/calendar; charset=utf-8; method={method}"),
            content,
            base64: false,
            inline_id: None,
        });
    }
    // a booked appointment's confirmation shows its number as a QR code for the front desk's scanner
    if ics
        && b.status == "booked"
        && let Some(png) = portal_appointments::qr::booking_png(&b.number)
    {
        use base64::Engine;
        let alt = portal_ui::i18n::tr_with(lang, "appointments.qr_alt", &[("number", &b.number)]);
        let img = format!(
            "<p><img src=\"cid:buchung-qr\" alt=\"{}\" width=\"180\" height=\"180\"></p><hr>",
            alt.replace('"', "&quot;").replace('<', "&lt;")
        );
        message.html = message.html.replacen("<hr>", &img, 1);
        message.attachments.push(Attachment {
            filename: "buchung-qr.png".into(),
            content_type: "image/png".into(),
            content: base64::engine::general_purpose::STANDARD.encode(png),
            base64: true,
            inline_id: Some("buchung-qr".into()),
        });
    }
    let tenant = tx.tenant_id();
    portal_mail::enqueue(tx.conn(), Some(tenant), &message).await?;
    Ok(())
}

/// The booking's .ics (its uid stays the same when it moves; the sequence counts changes).
fn calendar_file(
    b: &Booking,
    location: &Location,
    tenant_name: &str,
    services: &str,
    lang: Lang,
    stamp: OffsetDateTime,
) -> String {
    let summary = format!("{}: {services}", portal_ui::i18n::tr(lang, "appointments.ics_summary"));
    let description = format!("{} {}\n{tenant_name}", portal_ui::i18n::tr(lang, "appointments.number"), b.number);
    let place = if location.address.is_empty() {
        location.name.clone()
    } else {
        format!("{}, {}", location.name, location.address)
    };
    portal_appointments::ics::calendar(&portal_appointments::ics::Event {
        uid: format!("{}@kommunalportal", b.id),
        sequence: u32::try_from(b.sequence).unwrap_or(0),
        start: b.starts_at,
        end: b.ends_at,
        summary: &summary,
        location: &place,
        description: &description,
        url: &b.portal_url,
        cancelled: b.status == "cancelled",
        stamp,
    })
}

/// The live state of a location as its listeners get it: for the call display the last calls
/// (ticket and counter, no personal data) and the current wait; for the portal the wait only; and a
/// tag of the display's secret, so that a renewed link ends the streams opened with the old one.
pub async fn snapshot(db: &Db, tenant: TenantId, location: Uuid) -> Option<Snapshot> {
    let mut tx = db.tenant(tenant).await.ok()?;
    let loc = repo::location(&mut tx, location).await.ok()??;
    if !loc.active {
        return None;
    }
    let now = db.now();
    let calls = repo::last_calls(&mut tx, location, now, 7).await.ok()?;
    let wait = repo::waiting_estimate(&mut tx, location, None, now).await.ok()?;
    tx.commit().await.ok()?;
    let calls: Vec<serde_json::Value> = calls
        .into_iter()
        .map(|(code, counter, _, recalls)| serde_json::json!({ "code": code, "counter": counter, "recalls": recalls }))
        .collect();
    let minutes = (wait.secs + 59) / 60;
    let tag: String =
        sha2::Sha256::digest(loc.display_token.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect();
    Some(Snapshot {
        full: serde_json::json!({ "calls": calls, "wait_minutes": minutes, "waiting": wait.waiting, "counters": wait.counters }).to_string(),
        public: serde_json::json!({ "wait_minutes": minutes, "waiting": wait.waiting }).to_string(),
        tag,
    })
}

/// The live hub of a server, loading each location's state from `db` and following the
/// database's notifications.
/// Each client address may hold `streams_per_address` streams open.
pub fn live_hub(db: &Db, streams_per_address: usize) -> Arc<Live> {
    let loader_db = db.clone();
    let loader: portal_web::live::Loader = Arc::new(move |tenant, location| {
        let db = loader_db.clone();
        Box::pin(async move { snapshot(&db, tenant, location).await }) as BoxFuture<'static, Option<Snapshot>>
    });
    let live = Live::with_stream_limit(loader, streams_per_address);
    live.follow(db);
    live
}
