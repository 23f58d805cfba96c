//! The FIM import's messages and report over HTTP (issue 27, findings 15 and 16): each refusal
//! stands next to the file input of the builder in the editor's language (a DTD, a post larger than
//! the route takes), rules naming elements the form does not have are reported for the whole
//! document (and stay when a field is saved), inline code lists become the select's options.

use http::StatusCode;
use portal_forms::schema::FormSchema;
use portal_tests::{TestApp, TestClient, TestResponse};

use crate::cases::{no_fees, staff};
use crate::forms::{B, create_own, editor_inputs, post};

/// The error shown next to the builder's file input, if any.
fn file_error(r: &TestResponse) -> Option<String> {
    let at = r.body.find("id=\"fim-error\"")?;
    let rest = &r.body[at..];
    let text = rest.find("<span>")? + "<span>".len();
    let end = rest[text..].find("</span>")? + text;
    Some(rest[text..end].to_owned())
}

/// Posts `xml` as the FIM file of the builder of `slug`.
async fn import(admin: &mut TestClient<'_>, slug: &str, name: &str, xml: &[u8]) -> TestResponse {
    let builder = format!("{B}/{slug}");
    let p = admin.get(&builder).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let (csrf, revision) = (p.hidden("_csrf").unwrap_or_default(), p.hidden("revision").unwrap_or_default());
    admin
        .post_multipart(
            &format!("{builder}/fim-import"),
            &[("_csrf", &csrf), ("revision", &revision)],
            Some(("fim", name, xml)),
        )
        .await
}

async fn draft(app: &TestApp, slug: &str) -> (FormSchema, Vec<serde_json::Value>) {
    let (schema, report): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select schema, report from form_draft where service_slug = $1")
            .bind(slug)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("a draft: {e}"));
    (serde_json::from_value(schema).unwrap_or_else(|e| panic!("{e}")), report.as_array().cloned().unwrap_or_default())
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(portal_tests::repo_root().join("tests/data/fim").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test]
async fn a_document_with_a_dtd_or_a_post_too_large_for_the_route_is_refused_next_to_the_file_input_in_german_and_english()
 {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let (mut admin, _) = staff(&app, "").await;
    let slug = create_own(&mut admin, "FIM Meldungen").await;
    let dtd = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
    // larger than the route's 9 MB: the post itself is cut off before the importer sees it
    let huge = [b"<?xml version=\"1.0\"?>".as_slice(), &vec![b' '; 10 * 1024 * 1024]].concat();
    for (lang, dtd_text, large_text) in [
        (
            "de",
            "Dokumente mit einer DTD (&lt;!DOCTYPE …&gt;) werden nicht angenommen. Bitte exportieren Sie das Schema ohne DTD.",
            "Die Datei ist größer als 8 MB.",
        ),
        (
            "en",
            "Documents with a DTD (&lt;!DOCTYPE …&gt;) are not accepted. Please export the schema without a DTD.",
            "The file is larger than 8 MB.",
        ),
    ] {
        admin.cookies.insert("lang".into(), lang.into());
        let r = import(&mut admin, &slug, "dtd.xml", dtd).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(file_error(&r).as_deref(), Some(dtd_text), "{lang}: {}", r.body);
        assert!(
            !r.body.contains("DTD detected") && !r.body.contains("wohlgeformt"),
            "{lang}: no parser English, no wrong reason"
        );

        let r = import(&mut admin, &slug, "riesig.xml", &huge).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(file_error(&r).as_deref(), Some(large_text), "{lang}: {}", r.body);
        // the builder page itself, with its import form to try again
        assert!(r.body.contains(&format!("action=\"{B}/{slug}/fim-import\"")), "{lang}: back at the builder");
    }
    // broken XML names the place in the file in the editor's language, without the parser's words
    admin.cookies.insert("lang".into(), "de".into());
    let r = import(&mut admin, &slug, "kaputt.xml", b"<xdf:Stammdaten").await;
    assert_eq!(
        file_error(&r).as_deref(),
        Some("Die Datei ist kein wohlgeformtes XML (Fehler in Zeile 1, Spalte 1)."),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_rule_naming_elements_the_form_lacks_is_reported_for_the_document_and_stays_when_a_field_is_saved() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let (mut admin, _) = staff(&app, "").await;
    let slug = create_own(&mut admin, "FIM Regeln").await;
    let r = import(&mut admin, &slug, "rules.xml", &fixture("own/rules.xml")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let builder = format!("{B}/{slug}");
    let message = "Regel R90000002 „Nachweis“ (an G90000001) nennt Elemente, die nicht im Formular sind: F90000099, G90000098. Nicht übernommen:";
    let page = admin.get(&builder).await;
    // in the document's list under the report's heading, before the first page's fields
    let (report, first_page) =
        (page.body.find("Hinweise aus dem FIM-Import").unwrap_or(usize::MAX), page.body.find("Seite 1:").unwrap_or(0));
    let at = page.body.find(message).unwrap_or_else(|| panic!("{}", page.body));
    assert!(report < at && at < first_page, "reported for the document: {}", page.body);
    assert_eq!(page.body.matches(message).count(), 1, "not next to a field as well");

    // saving the first field (which the note used to stand next to) leaves it in place
    let (schema, report) = draft(&app, &slug).await;
    let noted =
        |report: &[serde_json::Value]| report.iter().any(|n| n["fim_id"] == "R90000002" && n["field"].is_null());
    assert!(noted(&report), "{report:?}");
    let field = format!("{builder}/seiten/0/felder/0");
    let inputs = editor_inputs(&schema.pages[0].fields[0], "Are you insured?");
    let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = post(&mut admin, &field, &field, &inputs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (_, report) = draft(&app, &slug).await;
    assert!(noted(&report), "the document's note stays: {report:?}");
    assert!(admin.get(&builder).await.body.contains(message));
}

#[tokio::test]
async fn a_choice_whose_values_the_document_carries_becomes_a_choice_with_those_options() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let (mut admin, _) = staff(&app, "").await;
    let slug = create_own(&mut admin, "FIM Auswahl").await;
    let r = import(&mut admin, &slug, "codes.xml", &fixture("own/codes.xml")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (schema, report) = draft(&app, &slug).await;
    let field =
        |label: &str| schema.fields().find(|f| f.label.de == label).unwrap_or_else(|| panic!("{label}: {schema:?}"));
    let salutation = field("Anrede");
    assert_eq!(salutation.options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(), ["frau", "herr", "divers"]);
    assert!(
        !report.iter().any(|n| n["field"] == salutation.id.as_str()),
        "no note on a choice the document carries: {report:?}"
    );
    assert_eq!(field("Staatsangehörigkeit").options.len(), 6, "the field kind written as plain text");
    // the builder shows the choice as such, and the one note where a list is really missing
    let page = admin.get(&format!("{B}/{slug}")).await;
    assert!(
        page.body.contains("<span>Optionsfelder</span>") && page.body.contains("<span>Auswahlliste</span>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "Auswahl „Familienstand“: die Werte der Codeliste urn:de:example:familienstand stehen nicht im Dokument"
        ),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Anrede“: "), "{}", page.body);
}
