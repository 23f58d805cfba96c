//! The youth office's set-up over HTTP, each form with a wrong value first (the error next to its
//! field, everything entered kept), and the search finding the new facility with every filter.

use http::StatusCode;
use portal_tests::TestApp;
use uuid::Uuid;

use crate::cases::{HOST, staff};

#[tokio::test]
async fn the_youth_office_sets_up_a_traeger_a_facility_and_its_places_and_parents_find_it_with_every_filter() {
    let app = TestApp::spawn_at(crate::kita::KITA_DAY).await;
    let (mut admin, _) = staff(&app, "").await;
    let owner = app.db.owner().await;

    // the Kita year starts on the first of a month
    let bad =
        [("year_start", "2027-08-15"), ("deadline", "2027-03-31"), ("max_preferences", "5"), ("accept_days", "14")];
    let r = admin.submit("/verwaltung/kita", "/verwaltung/kita/einstellungen", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("am Ersten eines Monats") && r.body.contains("2027-08-15"));
    let good =
        [("year_start", "2027-08-01"), ("deadline", "2027-03-31"), ("max_preferences", "5"), ("accept_days", "14")];
    assert_eq!(
        admin.submit("/verwaltung/kita", "/verwaltung/kita/einstellungen", &good).await.status,
        StatusCode::SEE_OTHER
    );

    // criteria: a weight out of range is refused, nothing changes; then saved
    let weights = |w: &'static str| {
        portal_kita::criteria::Kind::ALL
            .iter()
            .map(move |k| (format!("w_{}", k.code()), w.to_owned()))
            .collect::<Vec<_>>()
    };
    let refs = |v: &[(String, String)]| v.iter().map(|(k, x)| (k.clone(), x.clone())).collect::<Vec<_>>();
    let w = refs(&weights("5000"));
    let r = admin
        .submit(
            "/verwaltung/kita",
            "/verwaltung/kita/kriterien",
            &w.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let w = refs(&weights("7"));
    let r = admin
        .submit(
            "/verwaltung/kita",
            "/verwaltung/kita/kriterien",
            &w.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let sevens: i64 = sqlx::query_scalar("select count(*) from kita_criterion c join tenant t using (tenant_id) where t.slug = 'kaiserslautern' and c.weight = 7").fetch_one(&owner).await.unwrap_or(0);
    assert_eq!(sevens, 7);

    // a district with its streets
    let r = admin
        .submit(
            "/verwaltung/kita",
            "/verwaltung/kita/stadtteile",
            &[("name", "Morlautern"), ("position", "kein Ort"), ("streets", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .submit(
            "/verwaltung/kita",
            "/verwaltung/kita/stadtteile",
            &[("name", "Morlautern"), ("position", "49.4700, 7.7600"), ("streets", "Otterberger Straße\nAm Hang")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // a Träger and its facility (a wrong position first)
    let name = format!("Elterninitiative {}", Uuid::now_v7().simple());
    let r = admin
        .submit(
            "/verwaltung/kita",
            "/verwaltung/kita/traeger",
            &[("name", &name), ("kind", "free"), ("contact", "0631 1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let provider_page = r.location().unwrap_or_default().split('?').next().unwrap_or_default().to_owned();
    let facility = |position: &'static str| {
        vec![
            ("name", "Kita Morgenstern"),
            ("kind", "kita"),
            ("address", "Otterberger Straße 5, 67659 Kaiserslautern"),
            ("district", ""),
            ("position", position),
            ("opening_hours", "Mo–Fr 7:30–16:30"),
            ("scopes", "35, 45"),
            ("languages", "de, fr"),
            ("concept", "Naturpädagogik"),
            ("meals", "Bio"),
            ("accessible", "on"),
            ("active", "on"),
        ]
    };
    let r = admin.submit(&provider_page, &format!("{provider_page}/einrichtungen"), &facility("irgendwo")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Breite, Länge") && r.body.contains("Naturpädagogik"), "the error and what was entered");
    let r = admin.submit(&provider_page, &format!("{provider_page}/einrichtungen"), &facility("49.4705, 7.7612")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = r.location().unwrap_or_default().split('?').next().unwrap_or_default().to_owned();
    // places: Tagespflege is not offered by a Kita, a start outside the year is refused, then 12 Kita places from September
    for (care, month, places, want) in [
        ("tagespflege", "2027-09", "5", "bietet diese Betreuungsart nicht an"),
        ("kita", "2029-01", "5", "im Kita-Jahr"),
        ("kita", "2027-09", "-1", "von 0 bis 500"),
    ] {
        let r = admin
            .submit(
                &page,
                &format!("{page}/plaetze"),
                &[("care_type", care), ("start_month", month), ("places", places)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{care} {month} {places}");
        assert!(r.body.contains(want), "{want}");
    }
    assert_eq!(
        admin
            .submit(
                &page,
                &format!("{page}/plaetze"),
                &[("care_type", "kita"), ("start_month", "2027-09"), ("places", "12")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(admin.get(&page).await.body.contains("September 2027"));

    // parents find it with every filter, and not when one of them does not fit
    let provider_id = provider_page.rsplit('/').next().unwrap_or_default();
    let street = urlencoding::encode("Otterberger Straße 9");
    let all = format!(
        "/kita?alter=4&betreuung=kita&umfang=45&beginn=2027-10&traeger={provider_id}&sprache=fr&adresse={street}&km=1"
    );
    let found = app.get(HOST, &all).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains("Kita Morgenstern"), "found with every filter");
    assert!(
        found.body.contains("1 Einrichtungen gefunden") && found.body.contains(" km<"),
        "one facility, with its distance"
    );
    for (what, changed) in [
        ("hours", all.replace("umfang=45", "umfang=25")),
        ("start before the places", all.replace("beginn=2027-10", "beginn=2027-08")),
        ("language", all.replace("sprache=fr", "sprache=tr")),
        ("age", all.replace("alter=4", "alter=1")),
    ] {
        assert!(!app.get(HOST, &changed).await.body.contains("Kita Morgenstern"), "{what} filters it out");
    }
    let far = all.replace(street.as_ref(), urlencoding::encode("Fackelstraße 3").as_ref());
    assert!(
        !app.get(HOST, &far).await.body.contains("Kita Morgenstern"),
        "more than a kilometre from the Fackelstraße"
    );
    let profile = app.get(HOST, &format!("/kita/einrichtungen/{}", page.rsplit('/').next().unwrap_or_default())).await;
    assert!(
        profile.body.contains("Naturpädagogik")
            && profile.body.contains("Französisch")
            && profile.body.contains("September 2027")
    );
}
