//! Appointment routes over HTTP that no other test reaches: moving a booking (by its mailed link and
//! from the account), a location's hours and booking rules (also deleting one), special days
//! deleted, counters and the call display's link, the front desk's check-in and a booking for a
//! caller. The app's clock stands on Tuesday, 2 March 2027, 09:00 (no holiday in
//! Rhineland-Palatinate); every date here is counted from it.

use http::StatusCode;
use portal_appointments::Land;
use portal_appointments::repo::{self, Person, Plan, Request, Taken};
use portal_appointments::slots::Slot;
use portal_domain::{TenantId, civil};
use portal_tests::{TestApp, mails_for, unique_email};
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime, Time};
use uuid::Uuid;

use super::appointments::tiny_location;
use super::cases::{HOST, OTHER_HOST, registered, staff};
mod phone;

/// The app with its clock on Tuesday, 2 March 2027, 09:00 German time.
async fn app_on_a_tuesday() -> TestApp {
    TestApp::spawn_at(datetime!(2027-03-02 09:00 +01:00)).await
}

fn req(loc: Uuid) -> Request {
    Request { location: loc, services: vec!["personalausweis".into()], persons: 1 }
}

/// The day `days` after the clock's today (German calendar).
fn day_after(app: &TestApp, days: i64) -> Date {
    civil::german(app.clock().now()).date() + Duration::days(days)
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// "04.03.2027, 10:15 Uhr", as the pages and mails write a slot.
fn when_de(t: OffsetDateTime) -> String {
    let t = civil::german(t);
    format!("{:02}.{:02}.{:04}, {:02}:{:02} Uhr", t.day(), u8::from(t.month()), t.year(), t.hour(), t.minute())
}

/// The plan and the free slots of the test location on `day` (two a day: 10:00 and 10:15).
async fn slots_on(app: &TestApp, tenant: TenantId, loc: Uuid, day: Date) -> (Plan, Vec<Slot>) {
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let rules = repo::rules(&mut tx, loc).await.unwrap_or_else(|e| panic!("{e}"));
    let plan = repo::plan(&rules, &req(loc)).unwrap_or_else(|e| panic!("{e:?}"));
    let slots = repo::free(&mut tx, Land::RP, &req(loc), &plan, app.clock().now(), day, day, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    (plan, slots)
}

/// Books the slot at `start` at once for `who` (as the office does; no mail).
async fn book(app: &TestApp, tenant: TenantId, loc: Uuid, plan: &Plan, start: OffsetDateTime, who: &Person) -> Taken {
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let taken = repo::take(&mut tx, Land::RP, &req(loc), plan, start, None, who, app.clock().now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    taken
}

fn guest(name: &str) -> Person {
    Person {
        name: name.into(),
        email: unique_email("termin"),
        lang: "de".into(),
        portal_url: format!("http://{HOST}"),
        ..Person::default()
    }
}

/// A booking's status, start and change count.
async fn booking_state(app: &TestApp, id: Uuid) -> (String, OffsetDateTime, i32) {
    sqlx::query_as("select status, starts_at, sequence from appointment_booking where booking_id = $1")
        .bind(id)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn count(app: &TestApp, sql: &str, id: Uuid) -> i64 {
    sqlx::query_scalar(sql).bind(id).fetch_one(&app.db.owner().await).await.unwrap_or(-1)
}

/// The value of the first option of the select `name`.
fn first_option(body: &str, name: &str) -> String {
    body.split(&format!("name=\"{name}\""))
        .nth(1)
        .and_then(|s| s.split("<option value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no options for {name}: {body}"))
        .to_owned()
}

#[tokio::test]
async fn a_guest_moves_the_appointment_by_the_mailed_link_and_only_onto_a_free_slot_of_its_own_host() {
    let app = app_on_a_tuesday().await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let day = day_after(&app, 2);
    let (plan, slots) = slots_on(&app, tenant, loc, day).await;
    assert_eq!(slots.len(), 2, "{slots:?}");
    let (first, second) = (slots[0].start, slots[1].start);
    let who = guest("Gabi Gast");
    let taken = book(&app, tenant, loc, &plan, first, &who).await;
    let link = format!("/termine/verwalten/{}", taken.secret);

    // the move page offers the day's other time
    let mut c = app.client(HOST);
    let page = c.get(&format!("{link}/verschieben?tag={}", iso(day))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let target = second.unix_timestamp().to_string();
    assert!(page.body.contains(&format!("value=\"{target}\"")), "the free time is offered: {}", page.body);
    let csrf = page.hidden("_csrf").unwrap_or_default();

    // the secret link means nothing on another tenant's host: nothing moves
    let mut other = app.client(OTHER_HOST);
    assert_eq!(other.get(&format!("{link}/verschieben?tag={}", iso(day))).await.status, StatusCode::NOT_FOUND);
    let other_csrf = other.get("/konto/anmelden").await.hidden("_csrf").unwrap_or_default();
    let r = other.post_raw(&format!("{link}/verschieben"), &[("_csrf", &other_csrf), ("start", &target)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(booking_state(&app, taken.booking.id).await, ("booked".to_owned(), first, taken.booking.sequence));

    // moved: one update of the booking, the new time on its page and in the mail
    let r = c.post_raw(&format!("{link}/verschieben"), &[("_csrf", &csrf), ("start", &target)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{link}?hinweis=gespeichert").as_str()));
    assert_eq!(booking_state(&app, taken.booking.id).await, ("booked".to_owned(), second, taken.booking.sequence + 1));
    let shown = c.get(&format!("{link}?hinweis=gespeichert")).await;
    assert!(shown.body.contains(&when_de(second)) && shown.body.contains(&taken.booking.number), "{}", shown.body);
    assert_eq!(app.mailed_link(&who.email, "/termine/verwalten/").await, link, "the mail leads to the same link");
    let mails = mails_for(&who.email).await;
    let subject = format!("Termin verschoben auf {}, {}", weekday_de(second), when_de(second));
    assert!(mails.iter().any(|m| m.subject.starts_with(&subject)), "{subject}: {mails:?}");

    // the old time is free again; once someone else takes it, moving back is refused and nothing changes
    book(&app, tenant, loc, &plan, first, &guest("Otto Andere")).await;
    let page = c.get(&format!("{link}/verschieben?tag={}", iso(day))).await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = c
        .post_raw(&format!("{link}/verschieben"), &[("_csrf", &csrf), ("start", &first.unix_timestamp().to_string())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Dieser Termin wurde gerade vergeben."), "{}", r.body);
    assert_eq!(booking_state(&app, taken.booking.id).await, ("booked".to_owned(), second, taken.booking.sequence + 1));
}

fn weekday_de(t: OffsetDateTime) -> &'static str {
    ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
        [usize::from(civil::german(t).weekday().number_days_from_monday())]
}

#[tokio::test]
async fn a_citizen_moves_their_own_appointment_from_the_account_and_nobody_else_can() {
    let app = app_on_a_tuesday().await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let day = day_after(&app, 2);
    let (plan, slots) = slots_on(&app, tenant, loc, day).await;
    let (first, second) = (slots[0].start, slots[1].start);
    let email = unique_email("konto-termin");
    let mut erika = registered(&app, HOST, &email).await;
    let citizen: Uuid = sqlx::query_scalar("select citizen_id from citizen_account where email = $1")
        .bind(&email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let who = Person {
        citizen: Some(citizen),
        name: "Erika Konto".into(),
        email: email.clone(),
        lang: "de".into(),
        portal_url: format!("http://{HOST}"),
        ..Person::default()
    };
    let taken = book(&app, tenant, loc, &plan, first, &who).await;
    let own = format!("/konto/termine/{}", taken.booking.id);
    let target = second.unix_timestamp().to_string();

    // another citizen neither sees the move page nor moves it with their own token
    let mut max = registered(&app, HOST, &unique_email("max")).await;
    assert_eq!(max.get(&format!("{own}/verschieben?tag={}", iso(day))).await.status, StatusCode::NOT_FOUND);
    let max_csrf = max.get("/konto").await.hidden("_csrf").unwrap_or_default();
    let r = max.post_raw(&format!("{own}/verschieben"), &[("_csrf", &max_csrf), ("start", &target)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Erika without the form's token: refused
    let r = erika.post_raw(&format!("{own}/verschieben"), &[("start", &target)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        booking_state(&app, taken.booking.id).await,
        ("booked".to_owned(), first, taken.booking.sequence),
        "nothing moved"
    );

    let page = erika.get(&format!("{own}/verschieben?tag={}", iso(day))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("value=\"{target}\"")), "{}", page.body);
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = erika.post_raw(&format!("{own}/verschieben"), &[("_csrf", &csrf), ("start", &target)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{own}?hinweis=gespeichert").as_str()));
    assert_eq!(booking_state(&app, taken.booking.id).await, ("booked".to_owned(), second, taken.booking.sequence + 1));
    let mine = erika.get("/konto/termine").await;
    assert!(mine.body.contains(&when_de(second)) && !mine.body.contains(&when_de(first)), "{}", mine.body);
    // the mail leads back to the account, not to a secret link
    let link = app.mailed_link(&email, "/konto/termine/").await;
    assert_eq!(link, own);
}

#[tokio::test]
async fn an_admin_sets_a_locations_hours_and_rules_and_deletes_a_rule_unless_it_strands_a_booking() {
    let app = app_on_a_tuesday().await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let (mut admin, mut worker) = staff(&app, "").await;
    let page = format!("/verwaltung/termine/standorte/{loc}");
    let hours = |wednesday: &'static str| {
        let mut v: Vec<(String, String)> = (1..=7).map(|d| (format!("h{d}"), "10:00-10:30".to_owned())).collect();
        v[2].1 = wednesday.to_owned();
        v
    };
    let stored_hours = || {
        let db = app.state.db.clone();
        async move {
            let mut tx = db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
            let h = repo::hours(&mut tx, loc).await.unwrap_or_else(|e| panic!("{e}"));
            tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
            h
        }
    };
    let before = stored_hours().await;

    // hours that overlap or end before they start are refused next to their day; nothing is stored
    let bad = hours("12:00-08:00");
    let f: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = admin.submit(&page, &format!("{page}/zeiten"), &f).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Bitte schreiben Sie die Zeiten als") && r.body.contains("value=\"12:00-08:00\""),
        "{}",
        r.body
    );
    assert_eq!(stored_hours().await, before);
    // two opening times on Wednesday
    let good = hours("08:00-12:00, 13:00-16:00");
    let f: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = admin.submit(&page, &format!("{page}/zeiten"), &f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{page}?hinweis=gespeichert").as_str()));
    let t = |h: u8| Time::from_hms(h, 0, 0).unwrap_or(Time::MIDNIGHT);
    let wednesday: Vec<(Time, Time)> = stored_hours()
        .await
        .into_iter()
        .filter(|(d, _, _)| *d == time::Weekday::Wednesday)
        .map(|(_, o, c)| (o, c))
        .collect();
    assert_eq!(wednesday, vec![(t(8), t(12)), (t(13), t(16))]);
    assert!(admin.get(&page).await.body.contains("value=\"08:00-12:00, 13:00-16:00\""));

    // a rule for a service the tenant does not offer, or with an impossible duration, is refused
    let rule = |service: &'static str, duration: &'static str| {
        vec![
            ("service", service),
            ("duration_min", duration),
            ("buffer_min", "5"),
            ("min_notice_min", "60"),
            ("max_days_ahead", "14"),
            ("max_persons", "3"),
            ("walkin_share", "0"),
        ]
    };
    let services = || {
        let db = app.state.db.clone();
        async move {
            let mut tx = db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
            let r = repo::rules(&mut tx, loc).await.unwrap_or_else(|e| panic!("{e}"));
            tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
            r
        }
    };
    let r = admin.submit(&page, &format!("{page}/dienste"), &rule("kein-dienst", "20")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Diese Leistung bietet Ihre Kommune nicht an."), "{}", r.body);
    let r = admin.submit(&page, &format!("{page}/dienste"), &rule("meldebescheinigung", "0")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Bitte geben Sie eine ganze Zahl von 5 bis 240 an."), "{}", r.body);
    assert_eq!(services().await.iter().map(|r| r.service.as_str()).collect::<Vec<_>>(), vec!["personalausweis"]);
    let r = admin.submit(&page, &format!("{page}/dienste"), &rule("meldebescheinigung", "20")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{page}?hinweis=gespeichert").as_str()));
    let saved = services()
        .await
        .into_iter()
        .find(|r| r.service == "meldebescheinigung")
        .unwrap_or_else(|| panic!("the rule is stored"));
    assert_eq!(
        (saved.duration_min, saved.buffer_min, saved.min_notice_min, saved.max_days_ahead, saved.max_persons),
        (20, 5, 60, 14, 3)
    );
    assert!(admin.get(&page).await.body.contains(&format!("{page}/dienste/meldebescheinigung/loeschen")));

    // deleting the rule of a booked service shows the booking first and changes nothing
    let (plan, slots) = slots_on(&app, tenant, loc, day_after(&app, 2)).await;
    let taken = book(&app, tenant, loc, &plan, slots[0].start, &guest("Paula Pass")).await;
    let r = admin.submit(&page, &format!("{page}/dienste/personalausweis/loeschen"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains(&taken.booking.number) && r.body.contains("Paula Pass"), "{}", r.body);
    assert!(services().await.iter().any(|r| r.service == "personalausweis"), "the rule stays");
    assert_eq!(booking_state(&app, taken.booking.id).await.0, "booked");
    // a case worker may not delete rules at all
    let csrf = worker.get("/verwaltung").await.hidden("_csrf").unwrap_or_default();
    let r = worker.post_raw(&format!("{page}/dienste/meldebescheinigung/loeschen"), &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Aktion nicht erlaubt"), "{}", r.body);
    assert_eq!(services().await.len(), 2);
    // a rule without bookings goes at once
    let r = admin.submit(&page, &format!("{page}/dienste/meldebescheinigung/loeschen"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{page}?hinweis=gespeichert").as_str()));
    assert_eq!(services().await.iter().map(|r| r.service.as_str()).collect::<Vec<_>>(), vec!["personalausweis"]);
    assert!(!admin.get(&page).await.body.contains("/dienste/meldebescheinigung/loeschen"));
}

#[tokio::test]
async fn the_front_desk_checks_in_todays_booking_by_its_number_and_refuses_another_days_or_an_unknown_one() {
    let app = app_on_a_tuesday().await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let (mut admin, _) = staff(&app, "").await;
    // today (the clock's 09:00) at 10:00, and another booking in two days
    let (plan, today) = slots_on(&app, tenant, loc, day_after(&app, 0)).await;
    let (_, later) = slots_on(&app, tenant, loc, day_after(&app, 2)).await;
    let due = book(&app, tenant, loc, &plan, today[0].start, &guest("Heute Hier")).await;
    let not_yet = book(&app, tenant, loc, &plan, later[0].start, &guest("Spaeter Da")).await;
    let desk = format!("/verwaltung/termine/empfang/{loc}");
    let tickets_of = "select count(*) from appointment_ticket where booking_id = $1";

    // another day's booking: no ticket, the desk says why
    let r = admin.submit(&desk, &format!("{desk}/einchecken"), &[("number", &not_yet.booking.number)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some(format!("{desk}?hinweis=nicht-heute").as_str()));
    let shown = admin.get(&format!("{desk}?hinweis=nicht-heute")).await;
    assert!(
        shown.body.contains("Dieser Termin ist nicht heute oder bereits eingecheckt, abgesagt oder erledigt."),
        "{}",
        shown.body
    );
    assert_eq!(booking_state(&app, not_yet.booking.id).await.0, "booked");
    assert_eq!(count(&app, tickets_of, not_yet.booking.id).await, 0);
    // a number nobody booked here
    let r = admin.submit(&desk, &format!("{desk}/einchecken"), &[("number", "ZZZZ2222")]).await;
    assert_eq!(r.location(), Some(format!("{desk}?hinweis=unbekannt").as_str()));
    assert!(
        admin
            .get(&format!("{desk}?hinweis=unbekannt"))
            .await
            .body
            .contains("Zu dieser Buchungsnummer gibt es an diesem Standort keinen Termin.")
    );

    // today's: typed in lower case with blanks (as read out), checked in, its ticket printed
    let typed = format!(" {} ", due.booking.number.to_lowercase());
    let r = admin.submit(&desk, &format!("{desk}/einchecken"), &[("number", &typed)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ticket_path = r.location().unwrap_or_default().to_owned();
    let ticket_id: Uuid = sqlx::query_scalar("select ticket_id from appointment_ticket where booking_id = $1")
        .bind(due.booking.id)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ticket_path, format!("/verwaltung/termine/ticket/{ticket_id}"));
    let ticket = admin.get(&ticket_path).await;
    assert_eq!(ticket.status, StatusCode::OK);
    assert!(
        ticket.body.contains("ticket__code\">T1<") && ticket.body.contains("Ihr Termin: 10:00 Uhr"),
        "{}",
        ticket.body
    );
    assert_eq!(booking_state(&app, due.booking.id).await.0, "checked_in");
    assert!(admin.get(&desk).await.body.contains("eingecheckt"));
    // checking in again gives the same ticket, not a second one
    let r = admin.submit(&desk, &format!("{desk}/einchecken"), &[("number", &due.booking.number)]).await;
    assert_eq!(r.location(), Some(ticket_path.as_str()));
    assert_eq!(count(&app, tickets_of, due.booking.id).await, 1);
}

#[tokio::test]
async fn deleting_a_special_day_frees_the_day_or_shows_the_bookings_its_hours_carried_first() {
    let app = app_on_a_tuesday().await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let (mut admin, mut worker) = staff(&app, "").await;
    let page = format!("/verwaltung/termine/standorte/{loc}");
    let (closed_day, long_day) = (day_after(&app, 4), day_after(&app, 3));
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let t = |h: u8, m: u8| Time::from_hms(h, m, 0).unwrap_or(Time::MIDNIGHT);
    let closed = repo::add_special_day(&mut tx, loc, closed_day, None, "Betriebsausflug")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let long = repo::add_special_day(&mut tx, loc, long_day, Some((t(10, 0), t(11, 0))), "Langer Donnerstag")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let specials = "select count(*) from appointment_special_day where location_id = $1";
    // 10:45 exists only thanks to the long day
    let (plan, slots) = slots_on(&app, tenant, loc, long_day).await;
    let late = slots
        .iter()
        .find(|s| civil::german(s.start).time() == t(10, 45))
        .unwrap_or_else(|| panic!("a slot at 10:45: {slots:?}"))
        .start;
    let who = guest("Lena Lang");
    let taken = book(&app, tenant, loc, &plan, late, &who).await;

    let shown = admin.get(&page).await;
    assert!(
        shown.body.contains("Betriebsausflug") && shown.body.contains(&format!("{page}/sondertage/{closed}/loeschen")),
        "{}",
        shown.body
    );
    // a case worker may not delete it
    let csrf = worker.get("/verwaltung").await.hidden("_csrf").unwrap_or_default();
    let r = worker.post_raw(&format!("{page}/sondertage/{closed}/loeschen"), &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, specials, loc).await, 2);
    // the closed day goes at once and the day is bookable again
    let r = admin.submit(&page, &format!("{page}/sondertage/{closed}/loeschen"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{page}?hinweis=gespeichert").as_str()));
    assert_eq!(count(&app, specials, loc).await, 1);
    assert!(!admin.get(&page).await.body.contains("Betriebsausflug"));
    assert_eq!(slots_on(&app, tenant, loc, closed_day).await.1.len(), 2);

    // the long day carries a booking at 10:45: it is shown first, nothing changes
    let delete = format!("{page}/sondertage/{long}/loeschen");
    let r = admin.submit(&page, &delete, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains(&taken.booking.number) && r.body.contains("Lena Lang"), "{}", r.body);
    assert_eq!(count(&app, specials, loc).await, 1);
    assert_eq!(booking_state(&app, taken.booking.id).await.0, "booked");
    // confirmed: the day goes, the booking is cancelled and its citizen told
    let csrf = r.hidden("_csrf").unwrap_or_default();
    let done = admin.post_raw(&delete, &[("_csrf", &csrf), ("bestaetigt", "ja")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(count(&app, specials, loc).await, 0);
    assert_eq!(booking_state(&app, taken.booking.id).await.0, "cancelled");
    assert!(admin.get(&page).await.body.contains("Keine Sondertage eingetragen."));
    app.deliver_mail().await;
    assert!(mails_for(&who.email).await.iter().any(|m| m.subject.starts_with("Termin abgesagt")));
}

#[tokio::test]
async fn an_admin_adds_a_counter_and_renews_the_display_link_and_the_old_link_stops_working() {
    let app = app_on_a_tuesday().await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let (mut admin, mut worker) = staff(&app, "").await;
    let page = format!("/verwaltung/termine/standorte/{loc}");
    let counters = || {
        let db = app.state.db.clone();
        async move {
            let mut tx = db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
            let c = repo::counters(&mut tx, loc).await.unwrap_or_else(|e| panic!("{e}"));
            tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
            c
        }
    };
    let token = || {
        let db = app.state.db.clone();
        async move {
            let mut tx = db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
            let l = repo::location(&mut tx, loc)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("location"));
            tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
            l.display_token
        }
    };

    // a name the location has already, or a service not bookable here: refused, nothing added
    let r = admin
        .submit(
            &page,
            &format!("{page}/schalter"),
            &[
                ("counter", ""),
                ("counter_name", "Schalter T"),
                ("counter_services", "personalausweis"),
                ("counter_active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Einen Schalter mit diesem Namen gibt es an diesem Standort schon."), "{}", r.body);
    let r = admin
        .submit(
            &page,
            &format!("{page}/schalter"),
            &[
                ("counter", ""),
                ("counter_name", "Schalter Neu"),
                ("counter_services", "meldebescheinigung"),
                ("counter_active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Diese Leistung ist an diesem Standort nicht buchbar.")
            && r.body.contains("value=\"Schalter Neu\""),
        "{}",
        r.body
    );
    assert_eq!(counters().await.len(), 1);
    // a second counter for the Personalausweis
    let r = admin
        .submit(
            &page,
            &format!("{page}/schalter"),
            &[
                ("counter", ""),
                ("counter_name", "Schalter Neu"),
                ("counter_services", "personalausweis"),
                ("counter_active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{page}?hinweis=gespeichert").as_str()));
    let added = counters()
        .await
        .into_iter()
        .find(|c| c.name == "Schalter Neu")
        .unwrap_or_else(|| panic!("the counter is stored"));
    assert!(added.active && added.services == ["personalausweis"]);
    assert!(admin.get(&page).await.body.contains(&format!("?schalter={}", added.id)), "listed on the location's page");
    assert!(
        admin
            .get(&format!("/verwaltung/termine/empfang/{loc}"))
            .await
            .body
            .contains(&format!("/verwaltung/termine/schalter/{}", added.id)),
        "and opened from the front desk"
    );

    // the display's link: without the form's token, or by a case worker, it stays
    let old = token().await;
    assert_eq!(app.get(HOST, &format!("/anzeige/{old}")).await.status, StatusCode::OK);
    let r = admin.post_raw(&format!("{page}/anzeige"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let csrf = worker.get("/verwaltung").await.hidden("_csrf").unwrap_or_default();
    assert_eq!(worker.post_raw(&format!("{page}/anzeige"), &[("_csrf", &csrf)]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(token().await, old);
    // renewed: the old link is dead, the new one shows the display and is on the page
    let r = admin.submit(&page, &format!("{page}/anzeige"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{page}?hinweis=gespeichert").as_str()));
    let new = token().await;
    assert_ne!(new, old);
    assert_eq!(app.get(HOST, &format!("/anzeige/{old}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(HOST, &format!("/anzeige/{new}")).await.status, StatusCode::OK);
    let shown = admin.get(&page).await;
    assert!(
        shown.body.contains(&format!("/anzeige/{new}")) && !shown.body.contains(&format!("/anzeige/{old}")),
        "{}",
        shown.body
    );
}
