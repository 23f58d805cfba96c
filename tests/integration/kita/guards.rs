//! What must not happen around duplicates and a running allocation: a merge that hands an
//! application to another account or adds a copy's points, and anything that changes the ranked
//! lists while rounds run (places, criteria, social criteria, deviations, new applications,
//! preferences, merges). Places removed behind the pages' back do not break the next round.

use http::StatusCode;
use portal_tests::{TestApp, unique_email};
use uuid::Uuid;

use super::{apply, child, facility, provider, provider_staff, three_prefs};
use crate::cases::{HOST, registered, staff};

fn id_of(r: &portal_tests::TestResponse) -> Uuid {
    Uuid::parse_str(
        r.location().unwrap_or_default().split('?').next().unwrap_or_default().rsplit('/').next().unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}: {:?}", r.location()))
}

#[tokio::test]
async fn merges_never_hand_an_application_to_another_account_and_a_copy_adds_no_points() {
    let app = TestApp::spawn_at(crate::kita::KITA_DAY).await;
    let (mut admin, _) = staff(&app, "").await;
    let prefs = three_prefs(&app).await;
    let mut erika = registered(&app, HOST, &unique_email("erika")).await;
    let mut max = registered(&app, HOST, &unique_email("max")).await;
    let plain = |key: &str| -> Vec<(String, String)> {
        child("Ronja", "Räuber", key, &prefs[..1])
            .into_iter()
            .map(|(k, v)| if k == "working_parents" { (k, "0".into()) } else { (k, v) })
            .collect()
    };
    let (k1, k2) = (Uuid::new_v4().simple().to_string(), Uuid::new_v4().simple().to_string());
    let mine = id_of(&apply(&mut erika, &plain(&k1)).await);
    let his = id_of(&apply(&mut max, &plain(&k2)).await);
    // a Träger copies the child with more points and a sibling at its own facility
    let church = provider(&app, "kaiserslautern", "Katholische Kita gGmbH").await;
    let mut tina = provider_staff(&app, &mut admin, church).await;
    let marien = facility(&app, "kaiserslautern", "Kath. Kita St. Marien").await.to_string();
    let mut copy: Vec<(String, String)> =
        child("Ronja", "Räuber", "0123456789abcdef0123456789abcdef", std::slice::from_ref(&marien))
            .into_iter()
            .map(|(k, v)| match k.as_str() {
                "working_parents" => (k, "2".into()),
                "sibling_at" => (k, marien.clone()),
                _ => (k, v),
            })
            .collect();
    copy.push(("single_parent".into(), "on".into()));
    let refs: Vec<(&str, &str)> = copy.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = tina.submit("/verwaltung/kita/anmeldungen/neu", "/verwaltung/kita/anmeldungen/neu", &refs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let paper = id_of(&r);
    let r = admin.submit("/verwaltung/kita/dubletten", "/verwaltung/kita/dubletten/pruefen", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let owner = app.db.owner().await;
    let statuses: Vec<String> =
        sqlx::query_scalar("select status from kita_application where application_id = any($1) order by status")
            .bind(vec![mine, his, paper])
            .fetch_all(&owner)
            .await
            .unwrap_or_default();
    assert_eq!(
        statuses,
        vec!["submitted"; 3],
        "the same data from three submitters is merged by the youth office only"
    );
    let open: i64 = sqlx::query_scalar(
        "select count(*) from kita_duplicate where decision = 'open' and (first_id = any($1) and second_id = any($1))",
    )
    .bind(vec![mine, his, paper])
    .fetch_one(&owner)
    .await
    .unwrap_or(0);
    assert_eq!(open, 3);

    // the youth office keeps erika's: the copy's wish is added, its points are not
    let pair = |a: Uuid, b: Uuid| if a < b { (a, b, "erste") } else { (b, a, "zweite") };
    for other in [paper, his] {
        let (first, second, keep) = pair(mine, other);
        let r = admin
            .submit(
                "/verwaltung/kita/dubletten",
                &format!("/verwaltung/kita/dubletten/{first}/{second}"),
                &[("entscheidung", keep)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let (working, single, siblings, citizen): (i16, bool, Vec<Uuid>, Option<Uuid>) =
        sqlx::query_as("select working_parents, single_parent, siblings_at, citizen_id from kita_application where application_id = $1")
            .bind(mine)
            .fetch_one(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((working, single, siblings.len()), (0, false, 0), "a copy adds no points");
    let wishes: Vec<Uuid> =
        sqlx::query_scalar("select facility_id from kita_preference where application_id = $1 order by rank")
            .bind(mine)
            .fetch_all(&owner)
            .await
            .unwrap_or_default();
    assert_eq!(wishes.len(), 2, "the copy's wish is added");
    let erika_id: Option<Uuid> =
        sqlx::query_scalar("select citizen_id from kita_application where application_id = $1")
            .bind(mine)
            .fetch_one(&owner)
            .await
            .unwrap_or_default();
    assert_eq!(citizen, erika_id);

    // max keeps seeing his own, merged, application and nothing of erika's
    let page = max.get(&format!("/konto/kita/{his}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("zusammengeführt") && !page.body.contains("Wünsche speichern"));
    assert_eq!(max.get(&format!("/konto/kita/{mine}")).await.status, StatusCode::NOT_FOUND);
    let r = max.submit("/kita/anmeldung", &format!("/konto/kita/{mine}/wuensche"), &[("pref_1", &prefs[1])]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // a Träger's staff do not learn where a merged copy went
    let page = tina.get(&format!("/verwaltung/kita/anmeldungen/{paper}")).await;
    assert!(!page.body.contains(&mine.to_string()));
}

#[tokio::test]
async fn nothing_that_ranks_children_changes_while_rounds_run_and_removed_places_do_not_break_a_round() {
    let app = TestApp::spawn_at(crate::kita::KITA_DAY).await;
    let (mut admin, _) = staff(&app, "").await;
    let prefs = three_prefs(&app).await;
    let mut erika = registered(&app, HOST, &unique_email("erika")).await;
    let mine = id_of(&apply(&mut erika, &child("Emil", "Runde", &Uuid::new_v4().simple().to_string(), &prefs)).await);
    let church = provider(&app, "kaiserslautern", "Katholische Kita gGmbH").await;
    let mut tina = provider_staff(&app, &mut admin, church).await;
    let marien = facility(&app, "kaiserslautern", "Kath. Kita St. Marien").await;
    let kotten = facility(&app, "kaiserslautern", "Städtische Kita Kotten").await;

    let r = admin.submit("/verwaltung/kita/vergabe", "/verwaltung/kita/vergabe/starten", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = admin.submit("/verwaltung/kita/vergabe", "/verwaltung/kita/vergabe/runde", &[]).await;
    assert_eq!(r.location(), Some("/verwaltung/kita/vergabe?runden=1"));

    let places = format!("/verwaltung/kita/einrichtungen/{kotten}");
    let r = admin
        .submit(
            &places,
            &format!("{places}/plaetze"),
            &[("care_type", "kita"), ("start_month", "2027-08"), ("places", "99")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let weights: Vec<(String, String)> =
        portal_kita::criteria::Kind::ALL.iter().map(|k| (format!("w_{}", k.code()), "1".to_owned())).collect();
    let refs: Vec<(&str, &str)> = weights.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        admin.submit("/verwaltung/kita", "/verwaltung/kita/kriterien", &refs).await.status,
        StatusCode::CONFLICT
    );
    let page = format!("/verwaltung/kita/anmeldungen/{mine}");
    let r = admin.submit(&page, &format!("{page}/sozial"), &[("sozial", "ja")]).await;
    assert!(admin.get(r.location().unwrap_or_default()).await.body.contains("läuft gerade"));
    let social: bool = sqlx::query_scalar("select social from kita_application where application_id = $1")
        .bind(mine)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(true);
    assert!(!social);
    let ranked = format!("/verwaltung/kita/einrichtungen/{marien}/rangliste/kita/2027-08");
    let csrf =
        tina.get(&places.replace(&kotten.to_string(), &marien.to_string())).await.hidden("_csrf").unwrap_or_default();
    let r = tina
        .post_raw(
            &ranked,
            &[
                ("_csrf", &csrf),
                ("application", &mine.to_string()),
                ("reason", "Härtefall mit ausführlicher Begründung"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = apply(&mut erika, &child("Ella", "Runde", &Uuid::new_v4().simple().to_string(), &prefs)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("läuft gerade"));
    let own = format!("/konto/kita/{mine}");
    let csrf = erika.get("/kita/anmeldung").await.hidden("_csrf").unwrap_or_default();
    let r = erika.post_raw(&format!("{own}/wuensche"), &[("_csrf", &csrf), ("pref_1", &prefs[2])]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let some_pair: Option<(Uuid, Uuid)> = sqlx::query_as("select least(a.application_id, b.application_id), greatest(a.application_id, b.application_id) from kita_application a, kita_application b where a.application_id <> b.application_id and a.tenant_id = b.tenant_id and a.status = 'submitted' and b.status = 'submitted' and a.tenant_id = (select tenant_id from tenant where slug = 'kaiserslautern') limit 1")
        .fetch_optional(&app.db.owner().await)
        .await
        .unwrap_or_default();
    if let Some((a, b)) = some_pair {
        sqlx::query("insert into kita_duplicate (tenant_id, first_id, second_id, score, reasons) select tenant_id, $1, $2, 0.9, '{similar_name}' from kita_application where application_id = $1 on conflict do nothing")
            .bind(a)
            .bind(b)
            .execute(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let r = admin
            .submit(
                "/verwaltung/kita/dubletten",
                &format!("/verwaltung/kita/dubletten/{a}/{b}"),
                &[("entscheidung", "erste")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("Während die Runden laufen"));
    }

    // places removed in the database while children hold offers there: the next round lets those
    // offers go and the phase still ends stable
    let held_there: i64 =
        sqlx::query_scalar("select count(*) from kita_offer where facility_id = $1 and status = 'held'")
            .bind(kotten)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or(0);
    assert!(held_there > 0);
    sqlx::query("delete from kita_places where facility_id = $1")
        .bind(kotten)
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = admin.submit("/verwaltung/kita/vergabe", "/verwaltung/kita/vergabe/alle-runden", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (status, stable): (String, Option<bool>) =
        sqlx::query_as("select status, stable from kita_allocation where phase = 1 and tenant_id = (select tenant_id from tenant where slug = 'kaiserslautern')")
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((status.as_str(), stable), ("closed", Some(true)));
    let still: i64 = sqlx::query_scalar("select count(*) from kita_offer where facility_id = $1 and status = 'held'")
        .bind(kotten)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(still, 0);
}

/// Posts the application form twice (or more) at the same moment from one account, as two browser
/// tabs would: each with its own one-time key.
async fn at_once<'a>(
    app: &'a TestApp,
    parent: &mut portal_tests::TestClient<'a>,
    forms: Vec<Vec<(String, String)>>,
) -> Vec<portal_tests::TestResponse> {
    let csrf = parent.get("/kita/anmeldung").await.hidden("_csrf").unwrap_or_default();
    let cookie = parent.cookie_header();
    let posts = forms.iter().map(|fields| {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let cookie = cookie.clone();
        async move { app.post_form(HOST, "/kita/anmeldung", &all, &cookie).await }
    });
    futures_join_all(posts).await
}

async fn futures_join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    // polled together: every request is in flight before any answer is awaited
    let mut pending: Vec<_> = futures.map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *result = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    results.into_iter().flatten().collect()
}

#[tokio::test]
async fn the_same_child_from_two_tabs_at_once_is_one_application_and_the_tenth_is_the_last_however_they_race() {
    let app = TestApp::spawn_at(crate::kita::KITA_DAY).await;
    let prefs = three_prefs(&app).await;
    let email = unique_email("zwei-tabs");
    let mut parent = registered(&app, HOST, &email).await;
    let parent_id: Uuid = sqlx::query_scalar("select citizen_id from citizen_account where email = $1")
        .bind(&email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let key = || Uuid::new_v4().simple().to_string();
    let (k1, k2) = (key(), key());
    // the same child, written as two parents or two tabs would
    let answers = at_once(
        &app,
        &mut parent,
        vec![child("Sophie", "Müller", &k1, &prefs[..1]), child("Sophie", "Mueller", &k2, &prefs[..1])],
    )
    .await;
    let mut codes: Vec<StatusCode> = answers.iter().map(|r| r.status).collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![StatusCode::SEE_OTHER, StatusCode::CONFLICT],
        "{:?}",
        answers.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let refused = answers.iter().find(|r| r.status == StatusCode::CONFLICT).map(|r| r.body.clone()).unwrap_or_default();
    assert!(refused.contains("Für dieses Kind haben Sie bereits eine Anmeldung (K-"), "{refused}");
    let owner = app.db.owner().await;
    let open = |owner: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from kita_application where citizen_id = $1 and status = 'submitted'",
        )
        .bind(parent_id)
        .fetch_one(&owner)
        .await
        .unwrap_or(-1)
    };
    assert_eq!(open(owner.clone()).await, 1, "one application for Sophie");

    // eight more children one by one: nine open
    for (first, last) in [
        ("Anna", "Albers"),
        ("Ben", "Brandt"),
        ("Carla", "Conrad"),
        ("David", "Dietz"),
        ("Emma", "Ebert"),
        ("Felix", "Fuchs"),
        ("Greta", "Graf"),
        ("Hugo", "Haas"),
    ] {
        let r = apply(&mut parent, &child(first, last, &key(), &prefs[..1])).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    assert_eq!(open(owner.clone()).await, 9);
    // three more at once: the tenth gets in, the other two are refused with the limit's message
    let answers = at_once(
        &app,
        &mut parent,
        vec![
            child("Ida", "Imhof", &key(), &prefs[..1]),
            child("Jan", "Jost", &key(), &prefs[..1]),
            child("Kim", "Kaiser", &key(), &prefs[..1]),
        ],
    )
    .await;
    assert_eq!(answers.iter().filter(|r| r.status == StatusCode::SEE_OTHER).count(), 1);
    for r in answers.iter().filter(|r| r.status != StatusCode::SEE_OTHER) {
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("höchstens 10 offene Anmeldungen"), "{}", r.body);
    }
    assert_eq!(open(owner.clone()).await, 10);
    // and the database itself refuses an eleventh, whoever writes it
    let refused = sqlx::query(
        "insert into kita_application (tenant_id, application_id, number, citizen_id, child_first, child_last, birth_date, address, care_type, start_month, scope_hours, parent_name, child_key)
         select tenant_id, gen_random_uuid(), 'K-ELFTES01', citizen_id, 'Lea', 'Muster', birth_date, address, care_type, start_month, scope_hours, parent_name, 'lea|muster'
           from kita_application where citizen_id = $1 limit 1",
    )
    .bind(parent_id)
    .execute(&owner)
    .await
    .err()
    .and_then(|e| e.as_database_error().and_then(|d| d.constraint().map(str::to_owned)));
    assert_eq!(refused.as_deref(), Some("kita_application_per_account"));
}

#[tokio::test]
async fn a_new_application_is_checked_for_duplicates_at_once_and_the_allocation_waits_until_the_pair_is_decided() {
    let app = TestApp::spawn_at(crate::kita::KITA_DAY).await;
    let (mut admin, _) = staff(&app, "").await;
    let prefs = three_prefs(&app).await;
    let mut mother = registered(&app, HOST, &unique_email("mutter")).await;
    let mut father = registered(&app, HOST, &unique_email("vater")).await;
    let key = || Uuid::new_v4().simple().to_string();
    // one real child, applied for by both parents in two spellings
    let hers = id_of(&apply(&mut mother, &child("Sophie", "Müller", &key(), &prefs[..1])).await);
    let his = id_of(&apply(&mut father, &child("Sofie", "Mueller", &key(), &prefs[1..2])).await);
    let owner = app.db.owner().await;
    let (first, second) = if hers < his { (hers, his) } else { (his, hers) };
    let decision: Option<String> =
        sqlx::query_scalar("select decision from kita_duplicate where first_id = $1 and second_id = $2")
            .bind(first)
            .bind(second)
            .fetch_optional(&owner)
            .await
            .unwrap_or_default();
    assert_eq!(
        decision.as_deref(),
        Some("open"),
        "found when the second was submitted, before anyone pressed \"check now\""
    );

    // the allocation does not start while the pair is open, and its page says why
    let page = admin.get("/verwaltung/kita/vergabe").await;
    assert!(page.body.contains("Eine mögliche Doppelanmeldung ist noch nicht entschieden"), "{}", page.body);
    assert!(!page.body.contains("Vergabe starten"), "no button for what would be refused");
    let r = admin.submit("/verwaltung/kita/vergabe", "/verwaltung/kita/vergabe/starten", &[]).await;
    assert_eq!(r.location(), Some("/verwaltung/kita/vergabe?abgelehnt=duplicates_open"));
    let page = admin.get("/verwaltung/kita/vergabe?abgelehnt=duplicates_open").await;
    assert!(
        page.body.contains("Die Vergabe beginnt erst, wenn über alle möglichen Doppelanmeldungen entschieden ist"),
        "{}",
        page.body
    );
    let phases: i64 = sqlx::query_scalar("select count(*) from kita_allocation").fetch_one(&owner).await.unwrap_or(-1);
    assert_eq!(phases, 0);

    // merged (the mother's kept): now it starts
    let keep = if hers == first { "erste" } else { "zweite" };
    let r = admin
        .submit(
            "/verwaltung/kita/dubletten",
            &format!("/verwaltung/kita/dubletten/{first}/{second}"),
            &[("entscheidung", keep)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = admin.submit("/verwaltung/kita/vergabe", "/verwaltung/kita/vergabe/starten", &[]).await;
    assert_eq!(r.location(), Some("/verwaltung/kita/vergabe?phase=1"), "{:?}", r.location());
}
