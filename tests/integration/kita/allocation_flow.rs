//! The coordinated allocation end to end on Kaiserslautern's demo applications: rounds, the
//! result checked here independently for stability and capacities, offers by mail, accepting,
//! refusing and expiry, and a second phase for the freed places.

use std::collections::HashMap;

use http::StatusCode;
use portal_domain::TenantId;
use portal_kita::repo::allocation;
use portal_tests::{TestApp, mails_for, unique_email};
use time::Duration;
use uuid::Uuid;

use super::{apply, child, three_prefs};
use crate::cases::{HOST, registered, staff};

async fn phase(app: &TestApp, n: i32) -> (String, Option<bool>, Option<i32>) {
    sqlx::query_as("select status, stable, blocking_pairs from kita_allocation where phase = $1 and tenant_id = (select tenant_id from tenant where slug = 'kaiserslautern')")
        .bind(n)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Checks the stored result of a phase without the matching code: no program holds more children
/// than the places the tables give it (counted here in SQL), and no child and program prefer each
/// other to what they hold (the wishes and rankings are the matching's input, as `load` reads
/// them; the check of the output against them is this function's own).
async fn check_stored_result(app: &TestApp, tenant: TenantId, n: i32) {
    let over: Vec<(Uuid, String, i64, i32)> = sqlx::query_as(
        "select o.facility_id, o.care_type, count(*), coalesce(max(p.places), 0)
           from kita_offer o left join kita_places p on p.tenant_id = o.tenant_id and p.facility_id = o.facility_id and p.care_type = o.care_type and p.start_month = o.start_month
          where o.tenant_id = $1 and o.phase = $2 and o.status in ('held', 'accepted')
          group by o.facility_id, o.care_type, o.start_month having count(*) > coalesce(max(p.places), 0)",
    )
    .bind(tenant.0)
    .bind(n)
    .fetch_all(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(over.is_empty(), "programs with more children than places: {over:?}");
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let l = allocation::load(&mut tx, n).await.unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<(Uuid, Uuid, String, time::Date)> = sqlx::query_as("select application_id, facility_id, care_type, start_month from kita_offer where phase = $1 and status in ('held', 'accepted')")
        .bind(n)
        .fetch_all(tx.conn())
        .await
        .unwrap_or_default();
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let child_of: HashMap<Uuid, usize> = l.applications.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    let mut held: Vec<Option<usize>> = vec![None; l.applications.len()];
    let mut filled = vec![0u32; l.programs.len()];
    for (a, f, care, month) in rows {
        let p = l
            .programs
            .iter()
            .position(|x| x.facility == f && x.care_type == care && x.start_month == month)
            .unwrap_or_else(|| panic!("offer of an unknown program"));
        let c = *child_of.get(&a).unwrap_or_else(|| panic!("offer to a child outside the phase"));
        assert!(held[c].is_none(), "a child holds two places");
        held[c] = Some(p);
        filled[p] += 1;
    }
    for (p, n) in filled.iter().enumerate() {
        assert!(*n <= l.instance.capacity[p], "program {p}: {n} children, {} places", l.instance.capacity[p]);
    }
    let mut checked = 0;
    for (c, prefs) in l.instance.preferences.iter().enumerate() {
        let mine = held[c].and_then(|p| prefs.iter().position(|x| *x as usize == p)).unwrap_or(prefs.len());
        for &p in &prefs[..mine] {
            let list = &l.instance.ranking[p as usize];
            let Some(me) = list.iter().position(|x| *x as usize == c) else { continue };
            let free = filled[p as usize] < l.instance.capacity[p as usize];
            let worse_holder = held.iter().enumerate().any(|(o, h)| {
                *h == Some(p as usize) && list.iter().position(|x| *x as usize == o).is_none_or(|pos| pos > me)
            });
            assert!(!free && !worse_holder, "child {c} and program {p} block");
            checked += 1;
        }
    }
    assert!(checked > 0, "some children were checked against better wishes");
}

#[tokio::test]
async fn the_allocation_runs_in_rounds_is_stable_and_offers_are_accepted_refused_or_expire() {
    let app = TestApp::spawn_at(crate::kita::KITA_DAY).await;
    let tenant = TenantId(app.tenant_id("kaiserslautern").await);
    let (mut admin, _) = staff(&app, "").await;
    let prefs = three_prefs(&app).await;
    let (erika_mail, max_mail) = (unique_email("erika"), unique_email("max"));
    let mut erika = registered(&app, HOST, &erika_mail).await;
    let mut max = registered(&app, HOST, &max_mail).await;
    let mut ids = vec![];
    for (c, mail, name) in [(&mut erika, &erika_mail, "Ida"), (&mut max, &max_mail, "Ole")] {
        let mut f = child(name, "Vergabe", &Uuid::new_v4().simple().to_string(), &prefs);
        f.retain(|(k, _)| k != "email");
        f.push(("email".into(), mail.clone()));
        let r = apply(c, &f).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        ids.push(
            Uuid::parse_str(
                r.location()
                    .unwrap_or_default()
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("/konto/kita/"),
            )
            .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    // the youth office confirms social criteria: both come first at their first wish
    for id in &ids {
        let page = format!("/verwaltung/kita/anmeldungen/{id}");
        let r = admin.submit(&page, &format!("{page}/sozial"), &[("sozial", "ja")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let act = |action: &'static str| format!("/verwaltung/kita/vergabe/{action}");
    // sending before the rounds end is refused
    let r = admin.submit("/verwaltung/kita/vergabe", &act("versenden"), &[]).await;
    assert!(r.location().unwrap_or_default().contains("abgelehnt=wrong_state"), "{:?}", r.location());
    let r = admin.submit("/verwaltung/kita/vergabe", &act("starten"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(phase(&app, 1).await.0, "running");
    let r = admin.submit("/verwaltung/kita/vergabe", &act("runde"), &[]).await;
    assert_eq!(r.location(), Some("/verwaltung/kita/vergabe?runden=1"));
    let first_round: i64 = sqlx::query_scalar("select count(*) from kita_offer where phase = 1 and round = 1")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert!(first_round > 100, "{first_round}");
    // provisional offers are not shown to parents while the rounds run
    let own = erika.get(&format!("/konto/kita/{}", ids[0])).await;
    assert!(own.body.contains("Die Vergabe läuft") && !own.body.contains("Platz annehmen"));

    let r = admin.submit("/verwaltung/kita/vergabe", &act("alle-runden"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(phase(&app, 1).await, ("closed".to_owned(), Some(true), Some(0)), "closed and checked stable");
    check_stored_result(&app, tenant, 1).await;
    let rounds: i32 = sqlx::query_scalar("select rounds from kita_allocation where phase = 1")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert!(rounds >= 2);

    let r = admin.submit("/verwaltung/kita/vergabe", &act("versenden"), &[]).await;
    assert!(r.location().unwrap_or_default().contains("versandt="), "{:?}", r.location());
    // several hundred offers: deliver them all (a bounded number of batches)
    let mut drained = false;
    for _ in 0..200 {
        if app.deliver_mail().await == 0 {
            drained = true;
            break;
        }
    }
    assert!(drained, "the offer mails were not all delivered in 200 batches");
    for mail in [&erika_mail, &max_mail] {
        assert!(mails_for(mail).await.iter().any(|m| m.subject.contains("Betreuungsplatz für")), "{mail}: offer mail");
    }
    let offer_of = |id: Uuid| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, Uuid>(
                "select offer_id from kita_offer where application_id = $1 and status = 'held'",
            )
            .bind(id)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    let (erika_offer, max_offer) = (offer_of(ids[0]).await, offer_of(ids[1]).await);
    let erika_page = format!("/konto/kita/{}", ids[0]);
    assert!(erika.get(&erika_page).await.body.contains("Platz annehmen"));
    // max cannot answer erika's offer, not even with his own session's token
    let r = max
        .submit(
            &format!("/konto/kita/{}", ids[1]),
            &format!("{erika_page}/angebot/{erika_offer}"),
            &[("antwort", "ablehnen")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let csrf = erika.get(&erika_page).await.hidden("_csrf").unwrap_or_default();
    let r = erika
        .post_raw(&format!("{erika_page}/angebot/{erika_offer}"), &[("_csrf", &csrf), ("antwort", "annehmen")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // a retried answer (the same page sent again) changes nothing and says so
    let r = erika
        .post_raw(&format!("{erika_page}/angebot/{erika_offer}"), &[("_csrf", &csrf), ("antwort", "ablehnen")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let max_page = format!("/konto/kita/{}", ids[1]);
    let r = max.submit(&max_page, &format!("{max_page}/angebot/{max_offer}"), &[("antwort", "ablehnen")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let status = |offer: Uuid| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, String>("select status from kita_offer where offer_id = $1")
                .bind(offer)
                .fetch_one(&app.db.owner().await)
                .await
                .unwrap_or_default()
        }
    };
    assert_eq!(status(erika_offer).await, "accepted");
    assert_eq!(status(max_offer).await, "refused");
    assert!(erika.get(&erika_page).await.body.contains("Platz angenommen"));

    // the next phase waits for every answer; after the deadline the rest expire
    let r = admin.submit("/verwaltung/kita/vergabe", &act("starten"), &[]).await;
    assert!(r.location().unwrap_or_default().contains("abgelehnt=phase_open"));
    let expired = {
        let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
        let n = allocation::expire_due(&mut tx, app.clock().now() + Duration::days(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        n
    };
    assert!(expired > 100, "{expired}");
    let r = admin.submit("/verwaltung/kita/vergabe", &act("starten"), &[]).await;
    assert_eq!(r.location(), Some("/verwaltung/kita/vergabe?phase=2"));
    let r = admin.submit("/verwaltung/kita/vergabe", &act("alle-runden"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(phase(&app, 2).await, ("closed".to_owned(), Some(true), Some(0)));
    check_stored_result(&app, tenant, 2).await;
    // who accepted, refused or let an offer lapse is not in the second phase; places taken stay taken
    let again: i64 = sqlx::query_scalar("select count(*) from kita_offer o2 where o2.phase = 2 and exists (select 1 from kita_offer o1 where o1.phase = 1 and o1.application_id = o2.application_id and o1.status in ('accepted', 'refused', 'expired'))")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(again, 0);
    let over: i64 = sqlx::query_scalar(
        "select count(*) from (select o.facility_id, o.care_type, o.start_month, count(*) n from kita_offer o where o.status in ('held', 'accepted') group by 1, 2, 3) x
         join kita_places p using (facility_id, care_type, start_month) where x.n > p.places",
    )
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or(-1);
    assert_eq!(over, 0, "no program over its places across both phases");
    let stats = admin.get("/verwaltung/kita/statistik").await;
    assert_eq!(stats.status, StatusCode::OK);
    assert!(stats.body.contains("Kinder ohne Platz") && stats.body.contains("Innenstadt"));
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_log where action like 'kita_allocation.%'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert!(audited >= 6, "{audited}");
}
