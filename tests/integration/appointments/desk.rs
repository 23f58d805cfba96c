//! The front desk and the counters: walk-in tickets, check-in of booked appointments, calling
//! in order with the call display following live, double clicks and concurrent check-ins, and
//! who may call.

use http::StatusCode;
use portal_appointments::repo::{self, Person};
use portal_domain::TenantId;
use time::Duration;
use uuid::Uuid;

use super::{ORDINARY_DAY, plan_and_slots, req, tiny_location};
use crate::cases::{HOST, OTHER_HOST, staff};
use portal_tests::TestApp;

#[tokio::test]
async fn the_front_desk_draws_a_ticket_a_counter_calls_it_and_the_display_follows_live() {
    let app = TestApp::spawn_at(ORDINARY_DAY).await;
    let (mut admin, _worker) = staff(&app, "").await;
    let tenant = TenantId(app.tenant_id("kaiserslautern").await);
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let loc = repo::locations(&mut tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|l| l.name == "Bürgercenter")
        .unwrap_or_else(|| panic!("demo location"));
    let counter = repo::counters(&mut tx, loc.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("counter"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    // a display listens (through this server's hub, fed by NOTIFY)
    let mut rx = app.state.live.subscribe(tenant, loc.id).await.unwrap_or_else(|| panic!("topic"));

    let desk = format!("/verwaltung/termine/empfang/{}", loc.id);
    let r = admin.submit(&desk, &format!("{desk}/ticket"), &[("dienst", "meldebescheinigung")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ticket = admin.get(r.location().unwrap_or_default()).await;
    assert!(ticket.body.contains("ticket__code"), "{}", ticket.body);
    let code =
        ticket.body.split("ticket__code\">").nth(1).and_then(|s| s.split('<').next()).unwrap_or_default().to_owned();
    assert!(code.starts_with('A'), "{code}");

    let counter_path = format!("/verwaltung/termine/schalter/{}", counter.id);
    let called = admin.submit(&counter_path, &format!("{counter_path}/aufrufen"), &[]).await;
    assert_eq!(called.status, StatusCode::SEE_OTHER);
    // the display's state changes with the NOTIFY; wait for that change, two seconds at most
    let shown = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        loop {
            let state: serde_json::Value = serde_json::from_str(&rx.borrow_and_update().full).unwrap_or_default();
            if state["calls"][0]["code"] == code.as_str() {
                return state;
            }
            if rx.changed().await.is_err() {
                return state;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the display did not show {code} within two seconds"));
    assert_eq!(shown["calls"][0]["code"], code.as_str(), "{shown}");
    assert_eq!(shown["calls"][0]["counter"], counter.name.as_str(), "{shown}");
    // the public display page shows it too, and needs no login; another host does not know its secret
    let display = app.get(HOST, &format!("/anzeige/{}", loc.display_token)).await;
    assert_eq!(display.status, StatusCode::OK);
    assert!(display.body.contains(&code) && display.body.contains(&counter.name));
    assert_eq!(app.get(OTHER_HOST, &format!("/anzeige/{}", loc.display_token)).await.status, StatusCode::NOT_FOUND);
    let json =
        app.get_with(HOST, &format!("/anzeige/{}/live", loc.display_token), &[("accept", "application/json")]).await;
    assert!(json.body.contains(&code), "{}", json.body);
    // the portal's stream is keyed by the public location id: waiting time only, no calls
    let public = app.get_with(HOST, &format!("/termine/live/{}", loc.id), &[("accept", "application/json")]).await;
    assert!(
        public.body.contains("wait_minutes") && !public.body.contains(&code) && !public.body.contains("calls"),
        "{}",
        public.body
    );

    // a double click on the counter's button (the same ticket shown twice) serves the shown
    // ticket and calls the next one once; the second post calls nobody else
    for dienst in ["meldebescheinigung", "meldebescheinigung"] {
        let r = admin.submit(&desk, &format!("{desk}/ticket"), &[("dienst", dienst)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let page = admin.get(&counter_path).await;
    let shown = page.hidden("ticket").unwrap_or_default();
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let count = |status: &'static str| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from appointment_ticket where location_id = $1 and status = $2",
            )
            .bind(loc.id)
            .bind(status)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    assert_eq!(
        (count("called").await, count("waiting").await, count("served").await),
        (1, 2, 0),
        "the shown ticket called, two waiting"
    );
    for _ in 0..2 {
        let r = admin.post_raw(&format!("{counter_path}/aufrufen"), &[("_csrf", &csrf), ("ticket", &shown)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    assert_eq!(count("served").await, 1, "the shown ticket is served once");
    assert_eq!(count("called").await, 1, "one next ticket is called");
    assert_eq!(count("waiting").await, 1, "the second click called nobody else");
}

#[tokio::test]
async fn a_checked_in_appointment_due_now_is_called_before_walk_ins_and_a_viewer_cannot_call() {
    let app = TestApp::spawn_at(ORDINARY_DAY).await;
    let (tenant, loc, counter) = tiny_location(&app).await;
    let now = app.clock().now();
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let key = repo::secret();
    let walk_in = repo::draw(&mut tx, loc, &["personalausweis".to_owned()], now, Some(&key))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let again = repo::draw(&mut tx, loc, &["personalausweis".to_owned()], now, Some(&key))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.id, walk_in.id, "a double click draws one ticket");
    // a booking for now (inserted directly: the hours of the test location may not cover now)
    let b: Uuid = sqlx::query_scalar(
        "insert into appointment_booking (tenant_id, booking_id, location_id, counter_id, services, starts_at, ends_at, blocked_until, status, number, name, email, manage_hash)
         values ($1, gen_random_uuid(), $2, $3, '{personalausweis}', app_now() + interval '2 minutes', app_now() + interval '17 minutes', app_now() + interval '17 minutes', 'booked', 'DUE12345', 'Due', 'due@example.org', sha256('due'::bytea)) returning booking_id",
    )
    .bind(tenant.0)
    .bind(loc)
    .bind(counter)
    .fetch_one(tx.conn())
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let booking =
        repo::booking(&mut tx, b).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("booking"));
    let checked = repo::check_in(&mut tx, &booking, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("ticket"));
    let again = repo::check_in(&mut tx, &booking, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("ticket"));
    assert_eq!(checked.id, again.id, "checking in twice gives the same ticket");
    assert!(checked.code.starts_with('T') && walk_in.code.starts_with('A'));
    let c =
        repo::counter(&mut tx, counter).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("counter"));
    let first =
        repo::call_next(&mut tx, &c, now).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("called"));
    assert_eq!(first.id, checked.id, "the due appointment first");
    let second =
        repo::call_next(&mut tx, &c, now).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("called"));
    assert_eq!(second.id, walk_in.id);
    assert_eq!(
        repo::ticket(&mut tx, first.id).await.unwrap_or_else(|e| panic!("{e}")).map(|t| t.status),
        Some("served".to_owned()),
        "calling the next finishes the one before"
    );
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

    // roles: the admin may, a viewer (made here) may not call; staff of another tenant cannot even see it
    let (mut admin, _) = staff(&app, "").await;
    let counter_path = format!("/verwaltung/termine/schalter/{counter}");
    assert_eq!(admin.get(&counter_path).await.status, StatusCode::OK);
    // a walk-in waits, so a call would change something
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    repo::draw(&mut tx, loc, &["personalausweis".to_owned()], now, None).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let statuses = || async {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "select status, count(*) from appointment_ticket where location_id = $1 group by status order by status",
        )
        .bind(loc)
        .fetch_all(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        rows
    };
    let before = statuses().await;
    assert_eq!(before, vec![("called".to_owned(), 1), ("served".to_owned(), 1), ("waiting".to_owned(), 1)]);
    let (mut viewer, _) = crate::cases::invite(&app, &mut admin, "viewer", "").await;
    let csrf = viewer.get("/verwaltung").await.hidden("_csrf").unwrap_or_default();
    assert!(!csrf.is_empty(), "the viewer is logged in and has a form token");
    let refused = viewer.post_raw(&format!("{counter_path}/aufrufen"), &[("_csrf", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(statuses().await, before, "the viewer's post called nobody");
    let mut anon = app.client(HOST);
    assert_eq!(anon.get(&counter_path).await.status, StatusCode::SEE_OTHER, "login first");
    let mut other = app.client(OTHER_HOST);
    other.cookies = admin.cookies.clone();
    assert_ne!(
        other.get(&counter_path).await.status,
        StatusCode::OK,
        "a Kaiserslautern session means nothing on Düren's host"
    );
}

#[tokio::test]
async fn concurrent_check_ins_give_one_ticket_and_a_retried_hold_keeps_one_slot() {
    let app = TestApp::spawn_at(ORDINARY_DAY).await;
    let (tenant, loc, counter) = tiny_location(&app).await;
    let owner = app.db.owner().await;
    let now = app.clock().now();
    let b: Uuid = sqlx::query_scalar(
        "insert into appointment_booking (tenant_id, booking_id, location_id, counter_id, services, starts_at, ends_at, blocked_until, status, number, name, email, manage_hash)
         values ($1, gen_random_uuid(), $2, $3, '{personalausweis}', $4::timestamptz + interval '10 minutes', $4::timestamptz + interval '25 minutes', $4::timestamptz + interval '25 minutes', 'booked', 'RACE1234', 'Race', 'race@example.org', sha256('race'::bytea)) returning booking_id",
    )
    .bind(tenant.0)
    .bind(loc)
    .bind(counter)
    .bind(now)
    .fetch_one(&owner)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let db = app.state.db.clone();
            tokio::spawn(async move {
                let mut tx = db.tenant(tenant).await.map_err(|e| e.to_string())?;
                let booking = repo::booking(&mut tx, b).await.map_err(|e| e.to_string())?.ok_or("gone")?;
                let t = repo::check_in(&mut tx, &booking, now).await.map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())?;
                Ok::<_, String>(t.map(|t| t.id))
            })
        })
        .collect();
    let mut ids = vec![];
    for t in tasks {
        ids.push(t.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}")));
    }
    assert!(ids[0].is_some(), "{ids:?}");
    assert!(ids.iter().all(|id| *id == ids[0]), "every check-in got the same ticket: {ids:?}");
    let tickets: i64 = sqlx::query_scalar("select count(*) from appointment_ticket where booking_id = $1")
        .bind(b)
        .fetch_one(&owner)
        .await
        .unwrap_or(-1);
    assert_eq!(tickets, 1);

    // the same form posted twice holds one slot, and both answers lead to it
    let (plan, slots) = plan_and_slots(&app, tenant, loc, 0).await;
    let key = repo::secret();
    let mut held = vec![];
    for _ in 0..2 {
        let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
        let t = repo::take_once(
            &mut tx,
            portal_appointments::Land::RP,
            &req(loc),
            &plan,
            slots[0].start,
            Some(Duration::minutes(10)),
            &Person::default(),
            now,
            Some(&key),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        held.push((t.booking.id, t.secret, t.new));
    }
    assert_eq!(held[0].0, held[1].0);
    assert_eq!(held[1].1, key);
    assert!(held[0].2 && !held[1].2);
}

#[tokio::test]
async fn one_forms_key_posted_five_times_at_once_for_five_days_holds_one_slot_and_answers_each_post_with_it() {
    let app = TestApp::spawn_at(ORDINARY_DAY).await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let (plan, slots) = plan_and_slots(&app, tenant, loc, 14).await;
    // the first free slot of five different days
    let mut starts = vec![];
    for s in &slots {
        let day = portal_domain::civil::german(s.start).date();
        if starts.iter().all(|(d, _)| *d != day) {
            starts.push((day, s.start));
        }
    }
    assert!(starts.len() >= 5, "five days with free slots: {starts:?}");
    let key = repo::secret();
    let now = app.clock().now();
    let tasks: Vec<_> = starts[..5]
        .iter()
        .map(|(_, start)| {
            let (db, plan, key, start) = (app.state.db.clone(), plan.clone(), key.clone(), *start);
            tokio::spawn(async move {
                let mut tx = db.tenant(tenant).await.map_err(|e| e.to_string())?;
                let t = repo::take_once(
                    &mut tx,
                    portal_appointments::Land::RP,
                    &req(loc),
                    &plan,
                    start,
                    Some(Duration::minutes(10)),
                    &Person::default(),
                    now,
                    Some(&key),
                )
                .await
                .map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())?;
                Ok::<_, String>((t.booking.id, t.new))
            })
        })
        .collect();
    let mut answers = vec![];
    for t in tasks {
        // before: two of five failed on the key's unique index (a 500 for the citizen)
        answers.push(
            t.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("a post of the same key failed: {e}")),
        );
    }
    assert_eq!(answers.iter().filter(|(_, new)| *new).count(), 1, "one post made the hold: {answers:?}");
    assert!(answers.iter().all(|(id, _)| *id == answers[0].0), "every post answered with it: {answers:?}");
    let held: i64 = sqlx::query_scalar("select count(*) from appointment_booking where tenant_id = $1 and manage_hash = sha256(convert_to($2, 'UTF8'))")
        .bind(tenant.0)
        .bind(&key)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(held, 1);
}

#[tokio::test]
async fn a_client_address_holds_at_most_its_share_of_live_streams_and_gets_one_back_when_a_stream_ends() {
    let app = TestApp::spawn_at(ORDINARY_DAY).await;
    let (_, loc, _) = tiny_location(&app).await;
    let stream = |peer: &str| {
        let mut req = http::Request::get(format!("/termine/live/{loc}"))
            .header(http::header::HOST, HOST)
            .body(axum::body::Body::empty())
            .unwrap_or_default();
        let addr: std::net::SocketAddr = peer.parse().unwrap_or_else(|e| panic!("{e}"));
        req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
        req
    };
    let max = portal_web::live::STREAMS_PER_ADDRESS;
    let mut open = vec![];
    for _ in 0..max {
        let r = app.open(stream("203.0.113.7:40000")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("text/event-stream"));
        open.push(r);
    }
    assert_eq!(app.state.live.open_streams(), max);
    // one more from the same address is refused, and told when to try again
    let refused = app.open(stream("203.0.113.7:40001")).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("30"));
    // another address is not affected; a JSON poll from the full one is one answer, not a stream
    assert_eq!(app.open(stream("198.51.100.9:40000")).await.status(), StatusCode::OK);
    let mut poll = stream("203.0.113.7:40002");
    poll.headers_mut().insert(http::header::ACCEPT, http::HeaderValue::from_static("application/json"));
    assert_eq!(app.open(poll).await.status(), StatusCode::OK);
    // a stream that ends (the client went away) gives its place back
    drop(open.pop());
    assert_eq!(app.state.live.open_streams(), max - 1, "one stream fewer");
    assert_eq!(app.open(stream("203.0.113.7:40003")).await.status(), StatusCode::OK);
}
