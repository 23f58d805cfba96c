//! Uploads parsed as XML cannot take the server down (issue 27, finding 0): a document nested
//! deeper than the parser's stack allows is refused before the (recursive) parser sees it, at every
//! entry point, and the server answers the next request. Before the bound, each of these aborted
//! the test process with a stack overflow.

use http::StatusCode;
use portal_tests::TestApp;

use crate::cases::{HOST, OTHER_HOST, no_fees, staff};
use crate::console::tenant_fields;
use crate::forms::{B, create_own};

/// `n` nested elements, opened and closed.
fn nested(n: usize, open: &str, close: &str) -> String {
    format!("{}{}", open.repeat(n), close.repeat(n))
}

/// The server still answers: a portal page of another tenant.
async fn still_answers(app: &TestApp) {
    let r = app.get(OTHER_HOST, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Stadt Düren"));
}

#[tokio::test]
async fn a_fim_import_of_a_hundred_thousand_nested_groups_is_refused_and_the_server_answers() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let (mut admin, _) = staff(&app, "").await;
    let slug = create_own(&mut admin, "FIM Tiefe").await;
    let builder = format!("{B}/{slug}");
    let xdf = "urn:xoev-de:fim:standard:xdatenfelder_2";
    let deep = format!(
        "<?xml version=\"1.0\"?><xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf=\"{xdf}\">{}</xdf:xdatenfelder.stammdatenschema.0102>",
        nested(100_000, "<xdf:datenfeldgruppe>", "</xdf:datenfeldgruppe>")
    );
    let wide = format!("<?xml version=\"1.0\"?><r>{}</r>", "<f/>".repeat(200_001));
    for (name, xml, message) in
        [("tief.xml", deep, "tiefer als 100 Ebenen verschachtelt"), ("breit.xml", wide, "mehr als 200000 Elemente")]
    {
        let p = admin.get(&builder).await;
        let (csrf, revision) = (p.hidden("_csrf").unwrap_or_default(), p.hidden("revision").unwrap_or_default());
        let r = admin
            .post_multipart(
                &format!("{builder}/fim-import"),
                &[("_csrf", &csrf), ("revision", &revision)],
                Some(("fim", name, xml.as_bytes())),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", r.body);
        assert!(r.body.contains(message), "{name}: {}", r.body);
        still_answers(&app).await;
    }
    // the builder still works for this tenant too
    assert_eq!(admin.get(&builder).await.status, StatusCode::OK);
    assert_eq!(app.get(HOST, "/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_svg_logo_nested_as_deep_as_its_size_allows_is_refused_on_create_and_edit_and_the_server_answers() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;
    // 85,000 groups opened in 256 KB, the logo's size limit (never closed: the parser descends into
    // each before it meets the error)
    let svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\">{}", "<g>".repeat(85_000));
    assert!(svg.len() <= portal_tenancy::logo::MAX_LOGO_BYTES);
    let message = "Das SVG-Logo ist zu tief verschachtelt";

    let fields = tenant_fields(&csrf, "Gemeinde Tiefenbach", "tiefenbach", "tiefenbach.localhost", "#2e6b30");
    let r = app
        .post_multipart(
            portal_tests::OPS_HOST,
            "/mandanten",
            &fields,
            Some(("logo", "wappen.svg", svg.as_bytes())),
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(message), "{}", r.body);
    assert_eq!(app.get("tiefenbach.localhost", "/").await.status, StatusCode::NOT_FOUND, "no tenant was created");
    still_answers(&app).await;

    let id = app.tenant_id("brenz").await;
    let mut fields = tenant_fields(&csrf, "Gemeinde Brenz", "brenz", "brenz.localhost", "#7a1f5c");
    let parent = app.tenant_id("amt-neustadt-glewe").await.to_string();
    fields.retain(|(k, _)| *k != "parent");
    fields.push(("parent", &parent));
    let r = app
        .post_multipart(
            portal_tests::OPS_HOST,
            &format!("/mandanten/{id}"),
            &fields,
            Some(("logo", "wappen.svg", svg.as_bytes())),
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(message), "{}", r.body);
    still_answers(&app).await;
}

#[tokio::test]
async fn while_a_large_fim_import_is_parsed_another_tenants_page_is_answered() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let (mut admin, _) = staff(&app, "").await;
    let slug = create_own(&mut admin, "FIM Breite").await;
    let builder = format!("{B}/{slug}");
    // as large as an upload to the importer may be: 190,000 elements with text, about 7 MB (it
    // is no FIM document, which the importer finds only after reading all of it)
    let large =
        format!("<?xml version=\"1.0\"?><r>{}</r>", "<f>Beschreibung eines Feldes mit Text</f>".repeat(190_000));
    assert!(large.len() > 7_000_000 && large.len() < 8 * 1024 * 1024);
    let p = admin.get(&builder).await;
    let (csrf, revision) = (p.hidden("_csrf").unwrap_or_default(), p.hidden("revision").unwrap_or_default());
    let cookie = admin.cookie_header();
    let import_done = std::sync::atomic::AtomicBool::new(false);
    // one task on one thread (the test's runtime): had the import run on it, nothing else could
    // have been answered until it ended
    let (import, (page, import_done_when_answered)) = tokio::join!(
        async {
            let r = app
                .post_multipart(
                    HOST,
                    &format!("{builder}/fim-import"),
                    &[("_csrf", &csrf), ("revision", &revision)],
                    Some(("fim", "breit.xml", large.as_bytes())),
                    &cookie,
                )
                .await;
            import_done.store(true, std::sync::atomic::Ordering::SeqCst);
            r
        },
        async {
            // the page is asked for once the import is being parsed on a blocking thread
            while portal_server::kit::cpu::running("fim-import") == 0
                && !import_done.load(std::sync::atomic::Ordering::SeqCst)
            {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            let page = app.get(OTHER_HOST, "/").await;
            (page, import_done.load(std::sync::atomic::Ordering::SeqCst))
        }
    );
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Stadt Düren"));
    assert!(!import_done_when_answered, "the other tenant's page was answered while the import ran");
    assert_eq!(import.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", import.body);
}
