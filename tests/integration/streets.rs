//! The tenant's street directory (issue 27, findings 6a and 11): a residents' parking permit is
//! refused for an address outside the town and its zone follows from the address; the office sees
//! a mismatch on the case page before approving; a Kita district chosen against the address gains
//! no points and the office sees the district used; the office's list and CSV import.

use http::StatusCode;
use portal_domain::TenantId;
use portal_kita::criteria::{Kind, distance_km};
use portal_kita::repo::{self, Program, Scope};
use portal_tests::{TestApp, TestClient, unique_email};
use uuid::Uuid;

use crate::cases::office::file_case;
use crate::cases::{HOST, OTHER_HOST, PDF, no_fees, registered, staff, start, submit};
use crate::kita::{KITA_DAY, apply, child, facility};

const COLOGNE_DE: &str = "„Heidestraße 17, 51147“ liegt nicht im Gebiet von Stadt Düren";
const COLOGNE_EN: &str = "“Heidestraße 17, 51147” is not in Stadt Düren";

/// Posts the permit's first page (the resident: name, address, zone) with "continue".
async fn post_resident(
    c: &mut TestClient<'_>,
    page: &str,
    street: &str,
    postcode: &str,
    town: &str,
    zone: &str,
) -> portal_tests::TestResponse {
    let csrf = c.get(page).await.hidden("_csrf").unwrap_or_default();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("_action", "weiter"),
        ("given_name", "Erika"),
        ("family_name", "Mustermann"),
        ("address.street", street),
        ("address.postcode", postcode),
        ("address.town", town),
        ("zone", zone),
    ];
    c.post_multipart(page, &fields, None).await
}

async fn draft_answer(app: &TestApp, draft: &str, sql_path: &str) -> String {
    sqlx::query_scalar(&format!(
        "select coalesce(answers #>> '{sql_path}', '') from application_draft where draft_id = $1::uuid"
    ))
    .bind(draft)
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_cologne_address_is_refused_in_dueren_next_to_the_address_field_and_the_zone_follows_from_the_address() {
    // Arrange: a citizen of Düren's portal starts a residents' parking permit
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let mut c = registered(&app, OTHER_HOST, &unique_email("parken-dn")).await;
    let first = start(&mut c, "bewohnerparkausweis", false).await;
    let draft = first.trim_start_matches("/antrag/").split('/').next().unwrap_or_default().to_owned();

    // Act + Assert: the address in Köln (as the eID confirmed it) is refused, next to the street
    let r = post_resident(&mut c, &first, "Heidestraße 17", "51147", "Köln", "a").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(COLOGNE_DE), "{}", r.body);
    assert!(r.body.contains("#f-address-street"), "the summary links to the address field: {}", r.body);
    // ... in English too
    c.cookies.insert("lang".into(), "en".into());
    let r = post_resident(&mut c, &first, "Heidestraße 17", "51147", "Köln", "a").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(COLOGNE_EN), "{}", r.body);
    c.cookies.remove("lang");

    // a Düren address with a zone other than its own is refused at the zone, naming the right one
    let r = post_resident(&mut c, &first, "Wirtelstraße 30", "52349", "Düren", "b").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Ihre Anschrift liegt in der Bewohnerparkzone „Zone A – Innenstadt“"), "{}", r.body);
    assert!(!r.body.contains("liegt nicht im Gebiet"), "the address itself is in the town");

    // no zone chosen: it follows from the address (and the page shows it chosen)
    let r = post_resident(&mut c, &first, "Wirtelstraße 30", "52349", "Düren", "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(draft_answer(&app, &draft, "{zone}").await, "a");
    // a section of a street by house numbers: Kölnstraße 120 lies outside the zones, any zone is
    // the office's to judge; Kölnstraße 12 is in zone A
    let r = post_resident(&mut c, &first, "Kölnstraße 12", "52351", "Düren", "c").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = post_resident(&mut c, &first, "Wirtelstraße 30", "52349", "Düren", "a").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // the vehicle, then the check page
    let vehicle = r.location().unwrap_or_default().to_owned();
    let csrf = c.get(&vehicle).await.hidden("_csrf").unwrap_or_default();
    let r = c
        .post_multipart(
            &vehicle,
            &[("_csrf", &csrf), ("_action", "weiter"), ("plate", "DN-XY 42"), ("keeper", "selbst")],
            Some(("registration", "fahrzeugschein.pdf", PDF)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let check = r.location().unwrap_or_default().to_owned();
    assert!(check.ends_with("/pruefen"), "{check}");

    // an address changed behind the form's back is refused when submitting: no case is filed
    sqlx::query("update application_draft set answers = jsonb_set(answers, '{address}', '{\"street\": \"Heidestraße 17\", \"postcode\": \"51147\", \"town\": \"Köln\"}') where draft_id = $1::uuid")
        .bind(&draft)
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, r) = submit(&mut c, &check).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(COLOGNE_DE), "{}", r.body);
    let cases: i64 =
        sqlx::query_scalar("select count(*) from application_draft where draft_id = $1::uuid and case_id is not null")
            .bind(&draft)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or(-1);
    assert_eq!(cases, 0);
}

#[tokio::test]
async fn the_office_sees_on_the_case_page_when_address_or_zone_do_not_match_the_directory() {
    // Arrange: a permit for Marktstraße 1 in Kaiserslautern, zone A (as the directory says)
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let mut citizen = registered(&app, HOST, &unique_email("parken-kl")).await;
    let case = file_case(&app, &mut citizen, "bewohnerparkausweis").await;
    let (mut admin, _) = staff(&app, "bewohnerparkausweis").await;
    let page = format!("/verwaltung/vorgaenge/{case}");
    let owner = app.db.owner().await;

    // Act + Assert: in order
    let r = admin.get(&page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("„Marktstraße 1, 67655“ steht im Straßenverzeichnis und liegt in der beantragten Zone (Zone A – Innenstadt)."), "{}", r.body);

    // the directory now puts the street in zone B (corrected after the application): a warning
    sqlx::query("update street_directory set parking_zone = 'b' where street = 'Marktstraße'")
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = admin.get(&page).await;
    assert!(r.body.contains("Achtung: „Marktstraße 1, 67655“ liegt laut Straßenverzeichnis in Zone B – Bahnhof, beantragt ist Zone A – Innenstadt."), "{}", r.body);
    let en = app.get_with(HOST, &page, &[("cookie", &format!("{}; lang=en", admin.cookie_header()))]).await;
    assert!(en.body.contains("according to the street directory, “Marktstraße 1, 67655” is in Zone B – station; the application is for Zone A – city centre."), "{}", en.body);

    // and not in the town at all
    sqlx::query("delete from street_directory where street = 'Marktstraße'")
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = admin.get(&page).await;
    assert!(r.body.contains("Achtung: „Marktstraße 1, 67655“ steht nicht im Straßenverzeichnis."), "{}", r.body);
    owner.close().await;
}

async fn district(app: &TestApp, name: &str) -> Uuid {
    sqlx::query_scalar("select d.district_id from kita_district d join tenant t using (tenant_id) where t.slug = 'kaiserslautern' and d.name = $1")
        .bind(name)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test]
async fn a_kita_district_chosen_against_the_address_gains_no_points_and_the_office_sees_the_district_used() {
    // Arrange: a family in the Innenstadt (Fackelstraße) names Erfenbach as their district, to
    // gain the district criterion and a shorter distance at the Kita in Erfenbach
    let app = TestApp::spawn_at(KITA_DAY).await;
    let mut parent = registered(&app, HOST, &unique_email("kita-bezirk")).await;
    let (innenstadt, erfenbach) = (district(&app, "Innenstadt").await, district(&app, "Erfenbach").await);
    let kita = facility(&app, "kaiserslautern", "Städtische Kita Erfenbach").await;
    let key = Uuid::new_v4().simple().to_string();
    let prefs = [kita.to_string()];
    let mut fields = child("Mia", "Sommer", &key, &prefs);
    fields.retain(|(k, _)| k != "district");
    fields.push(("district".into(), erfenbach.to_string()));

    // Act
    let r = apply(&mut parent, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Assert: the points count the address's district, the choice is kept for the office
    let owner = app.db.owner().await;
    let (id, used, chosen): (Uuid, Option<Uuid>, Option<Uuid>) = sqlx::query_as("select application_id, district_id, chosen_district_id from kita_application where request_key like '%:' || $1")
        .bind(&key)
        .fetch_one(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((used, chosen), (Some(innenstadt), Some(erfenbach)));
    let tenant = TenantId(app.tenant_id("kaiserslautern").await);
    let mut tx = app.db.db().tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let program =
        Program { facility: kita, care_type: "kita".into(), start_month: time::macros::date!(2027 - 08 - 01) };
    let list = repo::stats::ranked_list(&mut tx, &Scope::All, &program)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_default();
    let entry = list.iter().find(|r| r.application.id == id).unwrap_or_else(|| panic!("Mia is on the list"));
    assert!(!entry.parts.iter().any(|(k, _)| *k == Kind::District), "no district points: {:?}", entry.parts);
    let weight = i64::from(
        repo::criteria(&mut tx)
            .await
            .unwrap_or_default()
            .iter()
            .find(|c| c.kind == Kind::Distance)
            .map_or(0, |c| c.weight),
    );
    let districts = repo::districts(&mut tx).await.unwrap_or_default();
    let home = districts.iter().find(|d| d.id == innenstadt).map(|d| (d.lat, d.lon)).unwrap_or_default();
    let place = repo::facility(&mut tx, &Scope::All, kita)
        .await
        .unwrap_or_default()
        .and_then(|f| f.position)
        .unwrap_or_default();
    let expected = (10.0 - distance_km(home, place)).floor().max(0.0) as i64 * weight;
    assert_eq!(
        entry.parts.iter().find(|(k, _)| *k == Kind::Distance).map_or(0, |(_, p)| *p),
        expected,
        "the distance from the Innenstadt's centre"
    );
    drop(tx);

    // the office's page of the application shows the district used and the mismatch
    let (mut admin, _) = staff(&app, "").await;
    let page = admin.get(&format!("/verwaltung/kita/anmeldungen/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Bezirk für die Punkte") && page.body.contains("Innenstadt (aus der Anschrift)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Abweichung: Die Eltern haben den Bezirk „Erfenbach“ gewählt, die Anschrift liegt laut Straßenverzeichnis in „Innenstadt“."), "{}", page.body);

    // an address the directory does not know keeps the parents' choice, marked as unconfirmed
    let key = Uuid::new_v4().simple().to_string();
    let mut fields = child("Ben", "Winter", &key, &prefs);
    fields.retain(|(k, _)| k != "district" && k != "address");
    fields.push(("district".into(), erfenbach.to_string()));
    fields.push(("address".into(), "Heidestraße 17, 51147 Köln".into()));
    let r = apply(&mut parent, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (id, used): (Uuid, Option<Uuid>) =
        sqlx::query_as("select application_id, district_id from kita_application where request_key like '%:' || $1")
            .bind(&key)
            .fetch_one(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(used, Some(erfenbach));
    let page = admin.get(&format!("/verwaltung/kita/anmeldungen/{id}")).await;
    assert!(
        page.body.contains("Erfenbach (von den Eltern gewählt, nicht durch das Straßenverzeichnis bestätigt)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Abweichung:"), "{}", page.body);
    owner.close().await;
}

#[tokio::test]
async fn the_office_lists_the_directory_and_replaces_it_by_a_checked_csv_import() {
    let app = TestApp::spawn().await;
    let (mut admin, mut worker) = staff(&app, "bewohnerparkausweis").await;
    let page = admin.get("/verwaltung/strassen").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Marktstraße") && page.body.contains("Grübentälchen"), "{}", page.body);
    // a case worker reads, and is not offered the import
    let read = worker.get("/verwaltung/strassen").await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(!read.body.contains("Verzeichnis ersetzen"));

    // a wrong line: nothing is taken over, the message names the line
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let bad = "Straße;PLZ;von;bis;Kita-Bezirk;Parkzone\nNeue Straße;67655;;;Innenstadt;a\nAlte Gasse;6765;;;;\n";
    let r = admin
        .post_multipart(
            "/verwaltung/strassen/import",
            &[("_csrf", &csrf)],
            Some(("csv", "strassen.csv", bad.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Zeile 3: Die Postleitzahl muss fünf Ziffern haben."), "{}", r.body);
    let r = admin
        .post_multipart(
            "/verwaltung/strassen/import",
            &[("_csrf", &csrf)],
            Some(("csv", "strassen.csv", b"Neue Strasse;67655;;;Nirgendwo;a\n")),
        )
        .await;
    assert!(r.body.contains("Zeile 1: Den Kita-Bezirk „Nirgendwo“ gibt es nicht."), "{}", r.body);
    // too large: refused before any line is read
    let large = "Weg;67655\n".repeat(60_000);
    let r = admin
        .post_multipart(
            "/verwaltung/strassen/import",
            &[("_csrf", &csrf)],
            Some(("csv", "gross.csv", large.as_bytes())),
        )
        .await;
    assert!(
        r.status == StatusCode::PAYLOAD_TOO_LARGE || r.body.contains("Die Datei ist größer als 512 KB."),
        "{} {}",
        r.status,
        r.body
    );

    // a good file replaces the directory
    let good = "Straße;PLZ;von;bis;Kita-Bezirk;Parkzone\nNeue Straße;67655;1;40;Innenstadt;a\nNeue Straße;67655;41;9999;Betzenberg;\n";
    let r = admin
        .post_multipart(
            "/verwaltung/strassen/import",
            &[("_csrf", &csrf)],
            Some(("csv", "strassen.csv", good.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = admin.get("/verwaltung/strassen").await;
    assert!(
        page.body.contains("2 Einträge")
            && page.body.contains("Neue Straße")
            && page.body.contains("41–9999")
            && !page.body.contains("Marktstraße"),
        "{}",
        page.body
    );
    // the worker may not import
    let csrf = read.hidden("_csrf").unwrap_or_default();
    let r = worker
        .post_multipart(
            "/verwaltung/strassen/import",
            &[("_csrf", &csrf)],
            Some(("csv", "strassen.csv", good.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
