//! Appointments against PostgreSQL: the exclusion constraint, 50 concurrent bookings of the last
//! slot, cancelling and rebooking, moving, a guest's booking over HTTP with its mail and .ics, the
//! secret link on another tenant's host, the front desk and counters, live updates through NOTIFY,
//! changes that strand booked appointments, and the roles.
//!
//! Every test sets the clock: an ordinary Tuesday, and the scenarios that depend on the calendar
//! also run on the days that broke them (Christmas, the turn of the year, the days the clocks change).

use std::sync::Arc;

use http::StatusCode;
use portal_appointments::repo::{self, BookError, Person, Request};
use portal_domain::{TenantId, civil};
use portal_tests::{TestApp, TestClient, mails_for, unique_email};
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime, Time, Weekday};
use uuid::Uuid;

use super::cases::{HOST, OTHER_HOST, staff};

/// An ordinary working day: Tuesday, 2 March 2027, 09:00.
pub(crate) const ORDINARY_DAY: OffsetDateTime = datetime!(2027-03-02 09:00 +01:00);

/// Days on which "today + 2" or "tomorrow" is a holiday or a weekend, or the clocks change.
const HARD_DAYS: [OffsetDateTime; 7] = [
    datetime!(2026-12-23 08:00 +01:00),
    datetime!(2026-12-24 08:00 +01:00),
    datetime!(2026-12-30 16:00 +01:00),
    datetime!(2027-01-05 15:00 +01:00),
    datetime!(2026-03-28 23:30 +01:00),
    datetime!(2026-03-29 03:30 +02:00),
    datetime!(2026-10-25 02:30 +02:00),
];

mod desk;
mod guest_links;

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// A location of Kaiserslautern open every day 10:00–10:30 with one counter serving
/// "personalausweis" in 15 minutes and no notice: two slots a day.
pub(crate) async fn tiny_location(app: &TestApp) -> (TenantId, Uuid, Uuid) {
    let tenant = TenantId(app.tenant_id("kaiserslautern").await);
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let loc = repo::save_location(&mut tx, None, &format!("Test {}", Uuid::now_v7()), "Teststraße 1", "", "", true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let open = Time::from_hms(10, 0, 0).unwrap_or(Time::MIDNIGHT);
    let close = Time::from_hms(10, 30, 0).unwrap_or(Time::MIDNIGHT);
    repo::set_hours(&mut tx, loc, &WEEK.iter().map(|w| (*w, open, close)).collect::<Vec<_>>())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rule = repo::Rule {
        service: "personalausweis".into(),
        duration_min: 15,
        buffer_min: 0,
        min_notice_min: 0,
        max_days_ahead: 30,
        max_persons: 2,
        walkin_share: 0,
    };
    assert!(repo::save_rule(&mut tx, loc, &rule).await.unwrap_or_else(|e| panic!("{e}")));
    assert!(
        repo::save_counter(&mut tx, loc, None, "Schalter T", &["personalausweis".to_owned()], true)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    );
    let counter = repo::counters(&mut tx, loc).await.unwrap_or_else(|e| panic!("{e}"))[0].id;
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    (tenant, loc, counter)
}

fn req(loc: Uuid) -> Request {
    Request { location: loc, services: vec!["personalausweis".into()], persons: 1 }
}

/// The free slots of the first day with any, from the day after tomorrow on (by the app's clock),
/// and of the `days` after it.
async fn plan_and_slots(
    app: &TestApp,
    tenant: TenantId,
    loc: Uuid,
    days: i64,
) -> (repo::Plan, Vec<portal_appointments::slots::Slot>) {
    let today = app.clock().today();
    let all = slots_between(app, tenant, loc, today + Duration::days(2), today + Duration::days(16 + days)).await;
    let first = all
        .first()
        .map(|s| civil::german(s.start).date())
        .unwrap_or_else(|| panic!("no free slot within a fortnight of {today}"));
    let plan = plan_of(app, tenant, loc).await;
    (plan, all.into_iter().filter(|s| civil::german(s.start).date() <= first + Duration::days(days)).collect())
}

async fn plan_of(app: &TestApp, tenant: TenantId, loc: Uuid) -> repo::Plan {
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let rules = repo::rules(&mut tx, loc).await.unwrap_or_else(|e| panic!("{e}"));
    repo::plan(&rules, &req(loc)).unwrap_or_else(|e| panic!("{e:?}"))
}

/// The free slots from `from` to `to` (both German days, inclusive) by the app's clock.
async fn slots_between(
    app: &TestApp,
    tenant: TenantId,
    loc: Uuid,
    from: Date,
    to: Date,
) -> Vec<portal_appointments::slots::Slot> {
    let plan = plan_of(app, tenant, loc).await;
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let slots = repo::free(&mut tx, portal_appointments::Land::RP, &req(loc), &plan, app.clock().now(), from, to, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    slots
}

fn person(name: &str) -> Person {
    Person {
        name: name.into(),
        email: unique_email("termin"),
        lang: "de".into(),
        portal_url: "http://kaiserslautern.localhost".into(),
        ..Person::default()
    }
}

async fn count_booked(app: &TestApp, loc: Uuid, start: OffsetDateTime) -> i64 {
    sqlx::query_scalar("select count(*) from appointment_booking where location_id = $1 and starts_at = $2 and status in ('held', 'booked', 'checked_in')")
        .bind(loc)
        .bind(start)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1)
}

#[tokio::test]
async fn fifty_simultaneous_bookings_of_the_last_slot_give_exactly_one_booking() {
    fifty_simultaneous_bookings_at(ORDINARY_DAY).await;
}

async fn fifty_simultaneous_bookings_at(at: OffsetDateTime) {
    let app = TestApp::spawn_at(at).await;
    let now = app.clock().now();
    let (tenant, loc, _) = tiny_location(&app).await;
    let (plan, slots) = plan_and_slots(&app, tenant, loc, 0).await;
    // one day, two slots: take the first, so the second is the last one free
    let first = slots[0].start;
    let last = slots[1].start;
    {
        let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
        repo::take(&mut tx, portal_appointments::Land::RP, &req(loc), &plan, first, None, &person("Erste"), now)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    }
    let db = app.state.db.clone();
    let plan = Arc::new(plan);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (db, plan) = (db.clone(), Arc::clone(&plan));
            tokio::spawn(async move {
                let mut tx = db.tenant(tenant).await.map_err(|e| e.to_string())?;
                match repo::take(
                    &mut tx,
                    portal_appointments::Land::RP,
                    &req(loc),
                    &plan,
                    last,
                    None,
                    &person(&format!("Bot {i}")),
                    now,
                )
                .await
                {
                    Ok(_) => tx.commit().await.map(|()| true).map_err(|e| e.to_string()),
                    Err(BookError::Taken) => Ok(false),
                    Err(e) => Err(e.to_string()),
                }
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        if t.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}")) {
            won += 1;
        }
    }
    assert_eq!(won, 1, "exactly one of 50 gets the last slot");
    assert_eq!(count_booked(&app, loc, last).await, 1);
    assert_eq!(count_booked(&app, loc, first).await, 1, "nothing else changed");
    // and the day shows no free slot any more
    let day = civil::german(last).date();
    let slots = slots_between(&app, tenant, loc, day, day).await;
    assert!(slots.is_empty(), "{slots:?}");
    app.close().await;
}

#[tokio::test]
async fn the_database_refuses_an_overlapping_booking_whatever_the_code_does() {
    let app = TestApp::spawn_at(ORDINARY_DAY).await;
    let (tenant, loc, counter) = tiny_location(&app).await;
    let owner = app.db.owner().await;
    let insert = |number: &'static str, from: &'static str, to: &'static str, status: &'static str| {
        let owner = owner.clone();
        async move {
            sqlx::query(
                "insert into appointment_booking (tenant_id, booking_id, location_id, counter_id, services, starts_at, ends_at, blocked_until, status, number, name, email, manage_hash, hold_expires_at)
                 values ($1, gen_random_uuid(), $2, $3, '{personalausweis}', $4::timestamptz, $5::timestamptz, $5::timestamptz, $6, $7, 'X', 'x@example.org', sha256($7::bytea), now() + interval '5 minutes')",
            )
            .bind(tenant.0)
            .bind(loc)
            .bind(counter)
            .bind(from)
            .bind(to)
            .bind(status)
            .bind(number)
            .execute(&owner)
            .await
            .map(|_| ())
            .map_err(|e| match e {
                sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()).unwrap_or_default(),
                other => other.to_string(),
            })
        }
    };
    assert_eq!(insert("OVL00001", "2099-01-05 09:00+01", "2099-01-05 09:15+01", "booked").await, Ok(()));
    assert_eq!(
        insert("OVL00002", "2099-01-05 09:10+01", "2099-01-05 09:25+01", "booked").await,
        Err("23P01".to_owned()),
        "overlap on the counter"
    );
    assert_eq!(
        insert("OVL00003", "2099-01-05 09:05+01", "2099-01-05 09:10+01", "held").await,
        Err("23P01".to_owned()),
        "a hold blocks too"
    );
    assert_eq!(
        insert("OVL00004", "2099-01-05 09:15+01", "2099-01-05 09:30+01", "booked").await,
        Ok(()),
        "back to back is fine"
    );
    assert_eq!(
        insert("OVL00005", "2099-01-05 09:00+01", "2099-01-05 09:15+01", "cancelled").await,
        Ok(()),
        "a cancelled one blocks nothing"
    );
}

#[tokio::test]
async fn a_cancelled_slot_can_be_booked_again_and_moving_frees_the_old_slot_in_the_same_transaction() {
    cancelling_and_moving_at(ORDINARY_DAY).await;
}

async fn cancelling_and_moving_at(at: OffsetDateTime) {
    let app = TestApp::spawn_at(at).await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let (plan, slots) = plan_and_slots(&app, tenant, loc, 1).await;
    let (a, b) = (slots[0].start, slots[1].start);
    let now = app.clock().now();
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let first = repo::take(&mut tx, portal_appointments::Land::RP, &req(loc), &plan, a, None, &person("Eins"), now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        repo::take(&mut tx, portal_appointments::Land::RP, &req(loc), &plan, a, None, &person("Zwei"), now).await,
        Err(BookError::Taken)
    ));
    assert!(repo::cancel(&mut tx, first.booking.id, "").await.unwrap_or_else(|e| panic!("{e}")));
    assert!(
        !repo::cancel(&mut tx, first.booking.id, "").await.unwrap_or_else(|e| panic!("{e}")),
        "a second cancel changes nothing"
    );
    let again = repo::take(&mut tx, portal_appointments::Land::RP, &req(loc), &plan, a, None, &person("Zwei"), now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

    // move to b: one update; a is free at once
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let moved = repo::move_to(&mut tx, portal_appointments::Land::RP, &again.booking, &plan, b, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(moved.starts_at, b);
    assert_eq!(moved.sequence, again.booking.sequence + 1, "the calendar entry's sequence counts the change");
    let third =
        repo::take(&mut tx, portal_appointments::Land::RP, &req(loc), &plan, a, None, &person("Drei"), now).await;
    assert!(
        third.as_ref().is_ok_and(|t| t.booking.starts_at == a),
        "the old slot is free in the same transaction: {third:?}"
    );
    // moving onto a taken slot is refused and changes nothing
    let refused = repo::move_to(&mut tx, portal_appointments::Land::RP, &moved, &plan, a, now).await;
    assert!(matches!(refused, Err(BookError::Taken)), "{refused:?}");
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count_booked(&app, loc, b).await, 1);
    assert_eq!(count_booked(&app, loc, a).await, 1);
    app.close().await;
}

#[tokio::test]
async fn a_change_that_strands_bookings_shows_them_first_then_cancels_them_with_a_mail_to_book_again() {
    stranding_at(ORDINARY_DAY).await;
}

async fn stranding_at(at: OffsetDateTime) {
    let app = TestApp::spawn_at(at).await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let (plan, slots) = plan_and_slots(&app, tenant, loc, 0).await;
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let who = person("Gestrandet");
    let taken = repo::take(
        &mut tx,
        portal_appointments::Land::RP,
        &req(loc),
        &plan,
        slots[0].start,
        None,
        &who,
        app.clock().now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let day = civil::german(slots[0].start).date();
    let (mut admin, _) = staff(&app, "").await;
    let page = format!("/verwaltung/termine/standorte/{loc}");
    let fields = [
        ("day", format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day())),
        ("hours", String::new()),
        ("note", "Betriebsausflug".to_owned()),
    ];
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = admin.submit(&page, &format!("{page}/sondertage"), &f).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "shown first: {}", r.body);
    assert!(r.body.contains(&taken.booking.number) && r.body.contains("Gestrandet"), "{}", r.body);
    // nothing changed yet
    assert_eq!(count_booked(&app, loc, slots[0].start).await, 1);
    let csrf = r.hidden("_csrf").unwrap_or_default();
    let mut confirm: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("bestaetigt", "ja")];
    confirm.extend_from_slice(&f);
    let done = admin.post_raw(&format!("{page}/sondertage"), &confirm).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(count_booked(&app, loc, slots[0].start).await, 0);
    app.deliver_mail().await;
    let mails = mails_for(&who.email).await;
    let mail = mails.iter().find(|m| m.subject.starts_with("Termin abgesagt")).unwrap_or_else(|| panic!("{mails:?}"));
    assert!(mail.links.iter().any(|l| l.contains("/termine/buchen?ort=")), "a link to book again: {mail:?}");
    app.close().await;
}

#[tokio::test]
async fn the_appointment_pages_answer_for_citizens_and_the_reminder_job_mails_once() {
    reminders_at(ORDINARY_DAY).await;
}

async fn reminders_at(at: OffsetDateTime) {
    let app = TestApp::spawn_at(at).await;
    let overview = app.get(HOST, "/termine").await;
    let nobody_waits = overview.body.contains("ohne Termin keine Wartezeit") && !overview.body.contains("etwa 0 Min");
    assert_eq!(overview.status, StatusCode::OK);
    assert!(
        overview.body.contains("Bürgercenter")
            && overview.body.contains("Kfz-Zulassungsstelle")
            && overview.body.contains("data-live=")
            && nobody_waits,
        "{}",
        overview.body
    );
    // a tenant without appointments says so
    assert_eq!(app.get("guetersloh.localhost", "/termine").await.status, StatusCode::OK);
    // a malformed query is no error
    assert_eq!(
        app.get(HOST, "/termine/buchen?ort=kaputt&dienst=%00&personen=999&tag=2026-13-45").await.status,
        StatusCode::OK
    );

    let (tenant, loc, _) = tiny_location(&app).await;
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let rules = repo::rules(&mut tx, loc).await.unwrap_or_else(|e| panic!("{e}"));
    let plan = repo::plan(&rules, &req(loc)).unwrap_or_else(|e| panic!("{e:?}"));
    let now = app.clock().now();
    let today = civil::german(now).date();
    let soon = repo::free(
        &mut tx,
        portal_appointments::Land::RP,
        &req(loc),
        &plan,
        now,
        today,
        today + Duration::days(1),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let who = person("Erinnert");
    let slot =
        soon.into_iter().find(|s| s.start < now + Duration::hours(24)).unwrap_or_else(|| panic!("a slot within a day"));
    let taken = repo::take(&mut tx, portal_appointments::Land::RP, &req(loc), &plan, slot.start, None, &who, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    // booked inside the reminder window: no reminder right after the confirmation
    let none = portal_server::appointments::run_jobs_once(&app.state).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(none.reminders, 0);
    // booked days ago
    sqlx::query("update appointment_booking set created_at = $2 where booking_id = $1")
        .bind(taken.booking.id)
        .bind(now - Duration::days(3))
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let first = portal_server::appointments::run_jobs_once(&app.state).await.unwrap_or_else(|e| panic!("{e}"));
    let second = portal_server::appointments::run_jobs_once(&app.state).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((first.reminders, second.reminders), (1, 0), "one reminder, once");
    app.deliver_mail().await;
    assert_eq!(mails_for(&who.email).await.iter().filter(|m| m.subject.starts_with("Erinnerung")).count(), 1);
    app.close().await;
}

#[tokio::test]
async fn switching_a_service_off_hides_its_rules_and_switching_it_on_again_brings_them_back() {
    let app = TestApp::spawn_at(ORDINARY_DAY).await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let owner = app.db.owner().await;
    let row: serde_json::Value = sqlx::query_scalar(
        "select to_jsonb(a) from service_activation a where tenant_id = $1 and service_slug = 'personalausweis'",
    )
    .bind(tenant.0)
    .fetch_one(&owner)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let rules = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            let mut tx = db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
            repo::rules(&mut tx, loc).await.unwrap_or_else(|e| panic!("{e}")).len()
        }
    };
    assert_eq!(rules(&app).await, 1);
    let gone = sqlx::query("delete from service_activation where tenant_id = $1 and service_slug = 'personalausweis'")
        .bind(tenant.0)
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .rows_affected();
    assert_eq!(gone, 1);
    assert_eq!(rules(&app).await, 0, "not bookable while switched off");
    // (the generated reference columns are left to the table)
    let columns = row
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| !k.ends_with("_slug") || *k == "service_slug")
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    sqlx::query(&format!("insert into service_activation ({columns}) select {columns} from jsonb_populate_record(null::service_activation, $1)"))
        .bind(&row)
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rules(&app).await, 1, "the rule is back with the service");
}

#[tokio::test]
async fn another_land_strands_what_falls_on_its_holidays_after_showing_it() {
    // a fortnight before Heilige Drei Könige (6 January)
    let app = TestApp::spawn_at(datetime!(2026-12-22 10:00 +01:00)).await;
    let (tenant, loc, counter) = tiny_location(&app).await;
    // Heilige Drei Könige is a holiday in Bavaria, not in Rhineland-Palatinate
    sqlx::query(
        "insert into appointment_booking (tenant_id, booking_id, location_id, counter_id, services, starts_at, ends_at, blocked_until, status, number, name, email, manage_hash)
         values ($1, gen_random_uuid(), $2, $3, '{personalausweis}', timestamptz '2027-01-06 10:00 Europe/Berlin', timestamptz '2027-01-06 10:15 Europe/Berlin',
                 timestamptz '2027-01-06 10:15 Europe/Berlin', 'booked', 'LAND2027', 'Drei Könige', 'koenige@example.org', sha256('koenige'::bytea))",
    )
    .bind(tenant.0)
    .bind(loc)
    .bind(counter)
    .execute(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let (mut admin, _) = staff(&app, "").await;
    let fields = |land: &'static str| {
        vec![
            ("land", land),
            ("reminder_hours", "24"),
            ("hold_minutes", "10"),
            ("max_active_per_email", "3"),
            ("max_per_address_hour", "10"),
        ]
    };
    let r = admin.submit("/verwaltung/termine", "/verwaltung/termine/einstellungen", &fields("BY")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("LAND2027"), "{}", r.body);
    let csrf = r.hidden("_csrf").unwrap_or_default();
    let mut confirm: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("bestaetigt", "ja")];
    confirm.extend(fields("BY"));
    let done = admin.post_raw("/verwaltung/termine/einstellungen", &confirm).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let status: String = sqlx::query_scalar("select status from appointment_booking where number = 'LAND2027'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    assert_eq!(status, "cancelled");
    // back to Rhineland-Palatinate: nothing to strand, saved at once
    let back = admin.submit("/verwaltung/termine", "/verwaltung/termine/einstellungen", &fields("RP")).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
}

#[tokio::test]
async fn a_citizen_sees_prefilled_data_and_only_their_own_appointments_and_staff_download_the_statistics() {
    let app = TestApp::spawn_at(ORDINARY_DAY).await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let (plan, slots) = plan_and_slots(&app, tenant, loc, 0).await;
    let email = unique_email("konto");
    let mut erika = super::cases::registered(&app, HOST, &email).await;
    let citizen: Uuid = sqlx::query_scalar("select citizen_id from citizen_account where email = $1")
        .bind(&email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // a hold made while logged in: the data form is prefilled from the Bürgerkonto
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let held = repo::take(
        &mut tx,
        portal_appointments::Land::RP,
        &req(loc),
        &plan,
        slots[0].start,
        Some(Duration::minutes(10)),
        &Person { citizen: Some(citizen), ..Person::default() },
        app.clock().now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let page = erika.get(&format!("/termine/reservierung/{}", held.secret)).await;
    assert!(page.body.contains(&format!("value=\"{email}\"")), "prefilled: {}", page.body);
    let done = erika
        .submit(
            &format!("/termine/reservierung/{}", held.secret),
            &format!("/termine/reservierung/{}", held.secret),
            &[("name", "Erika Konto"), ("email", &email), ("phone", "")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // "Meine Termine" lists it and opens it; another citizen sees neither
    let mine = erika.get("/konto/termine").await;
    assert!(mine.body.contains(&held.booking.number), "{}", mine.body);
    let own = format!("/konto/termine/{}", held.booking.id);
    assert_eq!(erika.get(&own).await.status, StatusCode::OK);
    let mut max = super::cases::registered(&app, HOST, &unique_email("max")).await;
    assert!(!max.get("/konto/termine").await.body.contains(&held.booking.number));
    assert_eq!(max.get(&own).await.status, StatusCode::NOT_FOUND);
    assert_eq!(max.get(&format!("{own}/termin.ics")).await.status, StatusCode::NOT_FOUND);

    // the statistics and their CSV
    let (mut admin, _) = staff(&app, "").await;
    let report = admin.get(&format!("/verwaltung/termine/auswertung?ort={loc}")).await;
    assert_eq!(report.status, StatusCode::OK);
    let day = civil::german(slots[0].start).date();
    let day = format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day());
    let csv = admin.get(&format!("/verwaltung/termine/auswertung.csv?ort={loc}&von={day}&bis={day}")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/csv")));
    assert!(csv.body.starts_with("Standort;Tag;Leistung;Buchungen"), "{}", csv.body);
    // the day of Erika's booking counts exactly that one booking
    let row: Vec<&str> = csv
        .body
        .lines()
        .find(|l| l.split(';').nth(1) == Some(day.as_str()))
        .unwrap_or_else(|| panic!("no row for {day}: {}", csv.body))
        .split(';')
        .collect();
    assert_eq!((row[3], row[4]), ("1", "0"), "one booking, no cancellation: {row:?}");
}

/// The scenarios that depend on the calendar, run "on" the days that once broke them: the day
/// after tomorrow a holiday (23, 24 and 30 December), tomorrow a holiday elsewhere (5 January),
/// and the nights the clocks change.
#[tokio::test]
async fn the_calendar_scenarios_pass_on_holidays_at_the_turn_of_the_year_and_when_the_clocks_change() {
    for at in HARD_DAYS {
        fifty_simultaneous_bookings_at(at).await;
        cancelling_and_moving_at(at).await;
        stranding_at(at).await;
        reminders_at(at).await;
    }
}
