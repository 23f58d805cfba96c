//! The Kita portal over HTTP and against PostgreSQL: a parent's application (prefilled, retried,
//! changed, with clear errors for bad input), other citizens and other tenants kept out, the
//! Träger scope, duplicates merged with their preferences, and the coordinated allocation in
//! rounds (stable, capacities kept, offers accepted, declined and expired, a second phase).

use http::StatusCode;
use portal_domain::TenantId;
use portal_kita::repo::{self, Scope, applications};
use portal_tests::{TestApp, TestClient, mails_for, unique_email};
use uuid::Uuid;

use super::cases::{HOST, OTHER_HOST, registered, staff};

/// The day the Kita tests run "on": applications are open (the demo's deadlines, synced on
/// [`portal_tests::DEMO_DAY`], are 31 March in Kaiserslautern and 28 February in Düren) and the
/// Kita year starts on 1 August 2027.
pub(crate) const KITA_DAY: time::OffsetDateTime = time::macros::datetime!(2027-01-12 10:00 +01:00);

mod allocation_flow;
mod guards;
mod setup_flow;

/// A facility of a tenant by name.
pub(crate) async fn facility(app: &TestApp, slug: &str, name: &str) -> Uuid {
    sqlx::query_scalar(
        "select f.facility_id from kita_facility f join tenant t using (tenant_id) where t.slug = $1 and f.name = $2",
    )
    .bind(slug)
    .bind(name)
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The fields of a complete application for a child born 17 March 2024 (Kindergarten from August 2027).
pub(crate) fn child<'a>(first: &'a str, last: &'a str, key: &'a str, prefs: &'a [String]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("key", key),
        ("child_first", first),
        ("child_last", last),
        ("birth_date", "2024-03-17"),
        ("address", "Fackelstraße 3, 67655 Kaiserslautern"),
        ("district", ""),
        ("care_type", "kita"),
        ("start_month", "2027-08"),
        ("scope_hours", "35"),
        ("working_parents", "2"),
        ("sibling_at", ""),
        ("parent_name", "Erika Muster"),
        ("email", "eltern@example.org"),
        ("phone", ""),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (i, p) in prefs.iter().enumerate() {
        f.push((format!("pref_{}", i + 1), p.clone()));
    }
    f
}

pub(crate) async fn apply(c: &mut TestClient<'_>, fields: &[(String, String)]) -> portal_tests::TestResponse {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    c.submit("/kita/anmeldung", "/kita/anmeldung", &refs).await
}

async fn count_apps(app: &TestApp, key: &str) -> i64 {
    sqlx::query_scalar("select count(*) from kita_application where request_key like '%:' || $1")
        .bind(key)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1)
}

pub(crate) async fn three_prefs(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["Städtische Kita Kotten", "Prot. Kita Apostelkirche", "Bilinguale Kita Kinderwelt"] {
        out.push(facility(app, "kaiserslautern", name).await.to_string());
    }
    out
}

#[tokio::test]
async fn a_parent_applies_once_per_child_gets_a_mail_and_changes_the_preferences_until_the_deadline() {
    // twenty minutes before the deadline (31 March) ends
    let app = TestApp::spawn_at(time::macros::datetime!(2027-03-31 23:40 +02:00)).await;
    let email = unique_email("eltern");
    let mut erika = registered(&app, HOST, &email).await;
    let search = erika.get("/kita?alter=3&betreuung=kita").await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(
        search.body.contains("Städtische Kita Kotten") && !search.body.contains("Tagespflege Sonnenschein"),
        "the age filter keeps out what does not fit"
    );
    let page = erika.get("/kita/anmeldung").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&email), "the account's address is prefilled");

    let prefs = three_prefs(&app).await;
    let key = Uuid::new_v4().simple().to_string();
    let mut fields = child("Jürgen", "Weiß", &key, &prefs);
    fields.retain(|(k, _)| k != "email");
    fields.push(("email".into(), email.clone()));
    let r = apply(&mut erika, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location().unwrap_or_default().to_owned();
    assert!(to.starts_with("/konto/kita/"), "{to}");
    // the retried submission (same one-time key) gives the same application
    let again = apply(&mut erika, &fields).await;
    assert_eq!(again.location(), Some(to.as_str()));
    assert_eq!(count_apps(&app, &key).await, 1);
    // a new form for the same child points to the application there is
    let other_key = Uuid::new_v4().simple().to_string();
    let mut twice = child("Juergen", "Weiss", &other_key, &prefs);
    twice.retain(|(k, _)| k != "email");
    twice.push(("email".into(), email.clone()));
    let r = apply(&mut erika, &twice).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("bereits eine Anmeldung"), "{}", r.body);
    assert_eq!(count_apps(&app, &other_key).await, 0);

    app.deliver_mail().await;
    let mails = mails_for(&email).await;
    assert!(
        mails.iter().any(|m| m.subject.contains("Kita-Anmeldung") && m.text.contains("Städtische Kita Kotten")),
        "{mails:?}"
    );

    let path = to.split('?').next().unwrap_or_default().to_owned();
    let own = erika.get(&path).await;
    assert!(own.body.contains("Prot. Kita Apostelkirche"));
    // the order changes: Kinderwelt first, Kotten second
    let r = erika.submit(&path, &format!("{path}/wuensche"), &[("pref_1", &prefs[2]), ("pref_2", &prefs[0])]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = Uuid::parse_str(path.trim_start_matches("/konto/kita/")).unwrap_or_else(|e| panic!("{e}"));
    let stored: Vec<Uuid> =
        sqlx::query_scalar("select facility_id from kita_preference where application_id = $1 order by rank")
            .bind(id)
            .fetch_all(&app.db.owner().await)
            .await
            .unwrap_or_default();
    assert_eq!(stored.iter().map(Uuid::to_string).collect::<Vec<_>>(), vec![prefs[2].clone(), prefs[0].clone()]);

    // the last minute of the deadline (31 March) still counts ...
    let csrf = erika.get(&path).await.hidden("_csrf").unwrap_or_default();
    app.clock().set(time::macros::datetime!(2027-03-31 23:59 +02:00));
    let open = erika.get("/kita/anmeldung").await;
    assert_eq!(open.status, StatusCode::OK, "still logged in");
    assert!(
        open.body.contains(&email) && !open.body.contains("Anmeldeschluss war"),
        "still open on the day of the deadline: {}",
        open.body
    );
    // ... after it nothing changes any more (a form still open in another tab is refused)
    app.clock().set(time::macros::datetime!(2027-04-01 00:01 +02:00));
    let r = erika.post_raw(&format!("{path}/wuensche"), &[("_csrf", &csrf), ("pref_1", &prefs[0])]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("nicht mehr geändert"));
    let after: Vec<Uuid> =
        sqlx::query_scalar("select facility_id from kita_preference where application_id = $1 order by rank")
            .bind(id)
            .fetch_all(&app.db.owner().await)
            .await
            .unwrap_or_default();
    assert_eq!(after, stored, "nothing changed after the deadline");
    assert_eq!(erika.get("/kita/anmeldung").await.status, StatusCode::OK);
    assert!(erika.get("/kita/anmeldung").await.body.contains("Anmeldeschluss war"));
}

#[tokio::test]
async fn bad_input_gets_an_error_next_to_its_field_and_keeps_what_was_entered() {
    let app = TestApp::spawn_at(KITA_DAY).await;
    let mut c = registered(&app, HOST, &unique_email("eltern")).await;
    let prefs = three_prefs(&app).await;
    let dueren = facility(&app, "dueren", "Städtische Kita Kaiserplatz").await.to_string();
    type Case<'a> = (&'a str, Vec<(String, String)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "pref_6 beyond the five allowed",
            [child("Anna", "Beispiel", "k1", &prefs), vec![("pref_6".into(), prefs[0].clone())]].concat(),
            "höchstens 5",
        ),
        (
            "a start before the Kita year",
            child("Anna", "Beispiel", "k2", &prefs)
                .into_iter()
                .map(|(k, v)| if k == "start_month" { (k, "2026-01".into()) } else { (k, v) })
                .collect(),
            "im Kita-Jahr",
        ),
        ("another tenant's facility", child("Anna", "Beispiel", "k3", std::slice::from_ref(&dueren)), "gibt es nicht"),
        ("an unknown facility", child("Anna", "Beispiel", "k4", &[Uuid::now_v7().to_string()]), "gibt es nicht"),
        (
            "the same facility twice",
            child("Anna", "Beispiel", "k5", &[prefs[0].clone(), prefs[0].clone()]),
            "schon als Wunsch",
        ),
        ("no preference", child("Anna", "Beispiel", "k6", &[]), "mindestens eine"),
        (
            "Krippe for a four-year-old",
            child("Anna", "Beispiel", "k7", &prefs)
                .into_iter()
                .map(|(k, v)| if k == "care_type" { (k, "krippe".into()) } else { (k, v) })
                .collect(),
            "passt nicht zum Alter",
        ),
        (
            "a birth date in the future",
            child("Anna", "Beispiel", "k8", &prefs)
                .into_iter()
                .map(|(k, v)| if k == "birth_date" { (k, "2099-01-01".into()) } else { (k, v) })
                .collect(),
            "in der Zukunft",
        ),
        ("a huge name", child(&"A".repeat(5000), "Beispiel", "k9", &prefs), "zu lang"),
    ];
    for (what, fields, message) in cases {
        let r = apply(&mut c, &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert!(r.body.contains(message), "{what}: expected „{message}“");
        assert!(
            r.body.contains("Erika Muster") && r.body.contains("Fackelstraße 3"),
            "{what}: the form keeps what was entered"
        );
    }
    let n: i64 = sqlx::query_scalar("select count(*) from kita_application where child_last = 'Beispiel'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(n, 0);
    // English texts
    c.cookies.insert("lang".into(), "en".into());
    let r = apply(&mut c, &child("Anna", "Beispiel", "k10", &[])).await;
    c.cookies.remove("lang");
    assert!(r.body.contains("at least one preferred facility"), "{}", r.body);
    // without the CSRF token nothing is saved
    let refs: Vec<(String, String)> = child("Anna", "Beispiel", "k11", &prefs);
    let refs: Vec<(&str, &str)> = refs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(c.post_raw("/kita/anmeldung", &refs).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_citizen_another_tenant_and_a_guest_cannot_reach_an_application() {
    let app = TestApp::spawn_at(KITA_DAY).await;
    let mut erika = registered(&app, HOST, &unique_email("eltern")).await;
    let prefs = three_prefs(&app).await;
    let r = apply(&mut erika, &child("Mia", "Sommer", &Uuid::new_v4().simple().to_string(), &prefs)).await;
    let path = r.location().unwrap_or_default().split('?').next().unwrap_or_default().to_owned();
    assert_eq!(erika.get(&path).await.status, StatusCode::OK);
    let mut max = registered(&app, HOST, &unique_email("max")).await;
    assert_eq!(max.get(&path).await.status, StatusCode::NOT_FOUND);
    let r = max.submit("/kita/anmeldung", &format!("{path}/wuensche"), &[("pref_1", &prefs[0])]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // on another tenant's host the session is unknown; a logged-in Düren citizen finds nothing
    let mut dueren = registered(&app, OTHER_HOST, &unique_email("dueren")).await;
    assert_eq!(dueren.get(&path).await.status, StatusCode::NOT_FOUND);
    let fac = facility(&app, "kaiserslautern", "Städtische Kita Kotten").await;
    assert_eq!(app.get(OTHER_HOST, &format!("/kita/einrichtungen/{fac}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(HOST, &format!("/kita/einrichtungen/{fac}")).await.status, StatusCode::OK);
    // a guest is sent to the login
    assert_eq!(app.get(HOST, &path).await.status, StatusCode::SEE_OTHER);
    // a tenant without a Kita portal has no Kita pages
    assert_eq!(app.get("guetersloh.localhost", "/kita").await.status, StatusCode::NOT_FOUND);
}

/// Invites a member of a Träger's staff through the youth office's page; returns their client.
pub(crate) async fn provider_staff<'a>(app: &'a TestApp, admin: &mut TestClient<'a>, provider: Uuid) -> TestClient<'a> {
    let email = unique_email("traeger");
    let page = format!("/verwaltung/kita/traeger/{provider}");
    let r = admin
        .submit(
            &page,
            &format!("{page}/mitarbeitende"),
            &[("role", "kita_provider"), ("email", &email), ("display_name", "Tina Träger")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let link = app.mailed_link(&email, "/verwaltung/einladung").await;
    let mut c = app.client(HOST);
    let token = c.get(&link).await.hidden("token").unwrap_or_default();
    let pw = "Traeger-Passwort-2026!";
    let r =
        c.submit(&link, "/verwaltung/einladung", &[("token", &token), ("password", pw), ("password_repeat", pw)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    c
}

pub(crate) async fn provider(app: &TestApp, slug: &str, name: &str) -> Uuid {
    sqlx::query_scalar(
        "select p.provider_id from kita_provider p join tenant t using (tenant_id) where t.slug = $1 and p.name = $2",
    )
    .bind(slug)
    .bind(name)
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test]
async fn staff_of_a_traeger_see_only_their_facilities_and_the_children_who_applied_there() {
    let app = TestApp::spawn_at(KITA_DAY).await;
    let (mut admin, _) = staff(&app, "").await;
    let church = provider(&app, "kaiserslautern", "Katholische Kita gGmbH").await;
    let mut tina = provider_staff(&app, &mut admin, church).await;
    let tenant = TenantId(app.tenant_id("kaiserslautern").await);

    // the data access: exactly the applications that name one of the Träger's facilities (the
    // expectation read from the tables directly, not through the code under test)
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let mut scoped: Vec<Uuid> = applications::list(&mut tx, &Scope::Providers(vec![church]), None, 10_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|a| a.id)
        .collect();
    let facilities =
        repo::facilities(&mut tx, &Scope::Providers(vec![church]), false).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let owner = app.db.owner().await;
    let mut expected: Vec<Uuid> = sqlx::query_scalar(
        "select distinct p.application_id from kita_preference p join kita_facility f on f.tenant_id = p.tenant_id and f.facility_id = p.facility_id
          where f.tenant_id = $1 and f.provider_id = $2",
    )
    .bind(tenant.0)
    .bind(church)
    .fetch_all(&owner)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let all: Vec<Uuid> = sqlx::query_scalar("select application_id from kita_application where tenant_id = $1")
        .bind(tenant.0)
        .fetch_all(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let church_facilities: i64 =
        sqlx::query_scalar("select count(*) from kita_facility where tenant_id = $1 and provider_id = $2")
            .bind(tenant.0)
            .bind(church)
            .fetch_one(&owner)
            .await
            .unwrap_or(-1);
    assert!(
        !expected.is_empty() && expected.len() < all.len(),
        "the demo has applications inside and outside the scope"
    );
    scoped.sort();
    expected.sort();
    assert_eq!(scoped, expected);
    assert_eq!(church_facilities, 4);
    assert!(facilities.iter().all(|f| f.provider_id == church) && facilities.len() == 4);

    // over HTTP
    let list = tina.get("/verwaltung/kita/anmeldungen").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(&format!("Anmeldungen ({})", expected.len())),
        "only the scope's applications are listed"
    );
    let outside = all.iter().find(|a| !expected.contains(a)).copied().unwrap_or_default();
    assert_eq!(tina.get(&format!("/verwaltung/kita/anmeldungen/{outside}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(tina.get(&format!("/verwaltung/kita/anmeldungen/{}", expected[0])).await.status, StatusCode::OK);
    let own = facility(&app, "kaiserslautern", "Kath. Kita St. Marien").await;
    let foreign = facility(&app, "kaiserslautern", "Städtische Kita Kotten").await;
    assert_eq!(tina.get(&format!("/verwaltung/kita/einrichtungen/{own}")).await.status, StatusCode::OK);
    assert_eq!(tina.get(&format!("/verwaltung/kita/einrichtungen/{foreign}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        tina.get(&format!("/verwaltung/kita/einrichtungen/{own}/rangliste/kita/2027-08")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        tina.get(&format!("/verwaltung/kita/einrichtungen/{foreign}/rangliste/kita/2027-08")).await.status,
        StatusCode::NOT_FOUND
    );
    // nothing of the youth office's
    for path in [
        "/verwaltung/kita/dubletten",
        "/verwaltung/kita/vergabe",
        "/verwaltung/kita/statistik",
        "/verwaltung/mitarbeitende",
        "/verwaltung/vorgaenge",
    ] {
        assert_eq!(tina.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let r =
        tina.submit(&format!("/verwaltung/kita/einrichtungen/{own}"), "/verwaltung/kita/vergabe/starten", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = tina
        .submit(
            &format!("/verwaltung/kita/einrichtungen/{own}"),
            &format!("/verwaltung/kita/einrichtungen/{own}/plaetze"),
            &[("care_type", "kita"), ("start_month", "2027-08"), ("places", "500")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // a deviation needs a reason; with one, the child comes first on the list and it is audited.
    // The children of the program come from the tables; their order is the page's.
    let ranked = format!("/verwaltung/kita/einrichtungen/{own}/rangliste/kita/2027-08");
    let page = tina.get(&ranked).await;
    let children: Vec<String> = sqlx::query_scalar::<_, Uuid>(
        "select a.application_id from kita_application a join kita_preference p on p.tenant_id = a.tenant_id and p.application_id = a.application_id
          where a.tenant_id = $1 and p.facility_id = $2 and a.care_type = 'kita' and a.start_month = date '2027-08-01' and a.status = 'submitted'",
    )
    .bind(tenant.0)
    .bind(own)
    .fetch_all(&owner)
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .iter()
    .map(Uuid::to_string)
    .collect();
    assert!(children.len() >= 2, "{children:?}");
    let order = |body: &str| {
        let mut seen: Vec<(usize, String)> = children
            .iter()
            .map(|c| (body.find(c.as_str()).unwrap_or_else(|| panic!("{c} not on the list")), c.clone()))
            .collect();
        seen.sort();
        seen.into_iter().map(|(_, c)| c).collect::<Vec<_>>()
    };
    let last = order(&page.body).last().cloned().unwrap_or_default();
    let r = tina.submit(&ranked, &ranked, &[("application", &last), ("reason", "kurz")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("begründen"));
    let r = tina
        .submit(
            &ranked,
            &ranked,
            &[("application", &last), ("reason", "Härtefall: Geschwister in der Nachbargruppe, Nachweis liegt vor")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = tina.get(&ranked).await;
    assert_eq!(order(&after.body).first(), Some(&last), "the child with the deviation comes first");
    assert!(
        after.body.contains("Härtefall: Geschwister in der Nachbargruppe, Nachweis liegt vor"),
        "the reason is shown"
    );
    let reason: String =
        sqlx::query_scalar("select reason from kita_deviation where tenant_id = $1 and application_id = $2::uuid")
            .bind(tenant.0)
            .bind(&last)
            .fetch_one(&owner)
            .await
            .unwrap_or_default();
    assert!(reason.starts_with("Härtefall"), "{reason}");
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'kita_ranking.deviation'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert_eq!(audited, 1);
    // not at another Träger's program
    let r = tina
        .submit(
            &ranked,
            &format!("/verwaltung/kita/einrichtungen/{foreign}/rangliste/kita/2027-08"),
            &[("application", &last), ("reason", "Härtefall: Geschwister in der Nachbargruppe")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_paper_copy_of_an_online_application_is_found_and_merged_keeping_both_preferences() {
    let app = TestApp::spawn_at(KITA_DAY).await;
    let (mut admin, _) = staff(&app, "").await;
    let mut erika = registered(&app, HOST, &unique_email("eltern")).await;
    let prefs = three_prefs(&app).await;
    let r = apply(&mut erika, &child("Jürgen", "Weiß-Müller", &Uuid::new_v4().simple().to_string(), &prefs[..2])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let online = Uuid::parse_str(
        r.location().unwrap_or_default().split('?').next().unwrap_or_default().trim_start_matches("/konto/kita/"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // the Träger enters the paper form: other spelling, names swapped, a third wish
    let church = provider(&app, "kaiserslautern", "Katholische Kita gGmbH").await;
    let mut tina = provider_staff(&app, &mut admin, church).await;
    let marien = facility(&app, "kaiserslautern", "Kath. Kita St. Marien").await.to_string();
    let fields: Vec<(String, String)> =
        child("Weiss-Mueller", "Juergen", &Uuid::new_v4().simple().to_string(), &[marien.clone(), prefs[0].clone()]);
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = tina.submit("/verwaltung/kita/anmeldungen/neu", "/verwaltung/kita/anmeldungen/neu", &refs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let paper: Uuid = sqlx::query_scalar(
        "select application_id from kita_application where entered_for = $1 order by created_at desc limit 1",
    )
    .bind(church)
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    let page = admin.get("/verwaltung/kita/dubletten").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Vor- und Nachname vertauscht"), "the reason is shown");
    let (first, second) = if online < paper { (online, paper) } else { (paper, online) };
    let decision: String =
        sqlx::query_scalar("select decision from kita_duplicate where first_id = $1 and second_id = $2")
            .bind(first)
            .bind(second)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_default();
    assert_eq!(decision, "open", "swapped names are never merged without a look");
    let keep = if first == online { "erste" } else { "zweite" };
    let r = admin
        .submit(
            "/verwaltung/kita/dubletten",
            &format!("/verwaltung/kita/dubletten/{first}/{second}"),
            &[("entscheidung", keep)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let stored: Vec<String> = sqlx::query_scalar::<_, Uuid>(
        "select facility_id from kita_preference where application_id = $1 order by rank",
    )
    .bind(online)
    .fetch_all(&app.db.owner().await)
    .await
    .unwrap_or_default()
    .iter()
    .map(Uuid::to_string)
    .collect();
    assert_eq!(
        stored,
        vec![prefs[0].clone(), prefs[1].clone(), marien],
        "the kept one's wishes first, then the other's new one"
    );
    let status: String = sqlx::query_scalar("select status from kita_application where application_id = $1")
        .bind(paper)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    assert_eq!(status, "merged");
    // deciding again is refused with a clear message
    let r = admin
        .submit(
            "/verwaltung/kita/dubletten",
            &format!("/verwaltung/kita/dubletten/{first}/{second}"),
            &[("entscheidung", "verschieden")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // the very same data twice is the same child for sure: merged by the check itself
    let key = Uuid::new_v4().simple().to_string();
    let twin_fields = child("Lotte", "Grünberg", &key, &prefs[..1]);
    let refs: Vec<(&str, &str)> = twin_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = admin.submit("/verwaltung/kita/anmeldungen/neu", "/verwaltung/kita/anmeldungen/neu", &refs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let again: Vec<(String, String)> = child("Lotte", "Grünberg", &Uuid::new_v4().simple().to_string(), &prefs[1..2]);
    let refs: Vec<(&str, &str)> = again.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = admin.submit("/verwaltung/kita/anmeldungen/neu", "/verwaltung/kita/anmeldungen/neu", &refs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let merged: i64 =
        sqlx::query_scalar("select count(*) from kita_application where child_first = 'Lotte' and status = 'merged'")
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or(0);
    assert_eq!(merged, 1);
    // and a twin (same family, same day, another first name) is no candidate at all
    let twin = child("Paul", "Grünberg", &Uuid::new_v4().simple().to_string(), &prefs[..1]);
    let refs: Vec<(&str, &str)> = twin.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = admin.submit("/verwaltung/kita/anmeldungen/neu", "/verwaltung/kita/anmeldungen/neu", &refs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the twin's application is taken: {}", r.body);
    let pauls: i64 = sqlx::query_scalar("select count(*) from kita_application where child_first = 'Paul' and child_last = 'Grünberg' and status = 'submitted'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(pauls, 1, "Paul's application exists, on its own");
    let paul: i64 = sqlx::query_scalar("select count(*) from kita_duplicate d join kita_application a on a.application_id in (d.first_id, d.second_id) where a.child_first = 'Paul'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(paul, 0);
}
