//! FIM schemas imported with their report, and the complete ones submitted by citizens.

use super::*;

#[tokio::test]
async fn fim_schemas_are_imported_with_their_report_and_the_complete_ones_are_submitted() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let (mut admin, _) = staff(&app, "").await;
    let root = portal_tests::repo_root().join("tests/data/fim");
    // broken and foreign XML get a clear error next to the file input
    let slug = create_own(&mut admin, "FIM Probe").await;
    let builder = format!("{B}/{slug}");
    let huge = [b"<?xml version=\"1.0\"?>".as_slice(), &vec![b' '; 8 * 1024 * 1024 + 1]].concat();
    for (bytes, text) in [
        (b"<xdf:Stammdaten".as_slice(), "kein wohlgeformtes XML"),
        (b"<html><body/></html>".as_slice(), "kein XDatenfelder-Dokument"),
        (huge.as_slice(), "größer als 8 MB"),
    ] {
        let p = admin.get(&builder).await;
        let csrf = p.hidden("_csrf").unwrap_or_default();
        let revision = p.hidden("revision").unwrap_or_default();
        let r = admin
            .post_multipart(
                &format!("{builder}/fim-import"),
                &[("_csrf", &csrf), ("revision", &revision)],
                Some(("fim", "x.xml", bytes)),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    for name in [
        "xdf2/minimal.xml",
        "xdf2/simple.xml",
        "xdf2/label.xml",
        "xdf2/select.xml",
        "xdf2/rule.xml",
        "xdf2/data-field-rule.xml",
        "xdf2/data-group-rule.xml",
        "xdf3/input.xml",
        "xdf3/simple.xml",
    ] {
        let xml = std::fs::read(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let p = admin.get(&builder).await;
        let (csrf, revision) = (p.hidden("_csrf").unwrap_or_default(), p.hidden("revision").unwrap_or_default());
        let r = admin
            .post_multipart(
                &format!("{builder}/fim-import"),
                &[("_csrf", &csrf), ("revision", &revision)],
                Some(("fim", name, &xml)),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.body);
        let page = admin.get(&builder).await;
        assert!(page.body.contains("Hinweise aus dem FIM-Import"), "{name}: the report is shown");
    }
    // the rule that cannot be mapped stays next to its field until the field is saved
    let xml = std::fs::read(root.join("xdf2/data-field-rule.xml")).unwrap_or_default();
    let p = admin.get(&builder).await;
    let (csrf, revision) = (p.hidden("_csrf").unwrap_or_default(), p.hidden("revision").unwrap_or_default());
    admin
        .post_multipart(
            &format!("{builder}/fim-import"),
            &[("_csrf", &csrf), ("revision", &revision)],
            Some(("fim", "rule.xml", &xml)),
        )
        .await;
    let (noted,): (String,) = sqlx::query_as("select n->>'field' from form_draft, jsonb_array_elements(report) n where service_slug = $1 and n->>'field' is not null limit 1")
        .bind(&slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("a note next to a field: {e}"));
    let draft: serde_json::Value = sqlx::query_scalar("select schema from form_draft where service_slug = $1")
        .bind(&slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    let schema: FormSchema = serde_json::from_value(draft).unwrap_or_else(|e| panic!("{e}"));
    let (pi, fi) = schema
        .pages
        .iter()
        .enumerate()
        .find_map(|(pi, p)| p.fields.iter().position(|f| f.id == noted).map(|fi| (pi, fi)))
        .unwrap_or_else(|| panic!("{noted}"));
    let field = format!("{builder}/seiten/{pi}/felder/{fi}");
    let form = admin.get(&field).await;
    assert!(form.body.contains("Hinweise aus dem FIM-Import"), "{}", form.body);
    let inputs = editor_inputs(&schema.pages[pi].fields[fi], "Fixed in English");
    let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = post(&mut admin, &field, &field, &inputs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let left: i64 = sqlx::query_scalar(
        "select count(*) from form_draft, jsonb_array_elements(report) n where service_slug = $1 and n->>'field' = $2",
    )
    .bind(&slug)
    .bind(&noted)
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or(-1);
    assert_eq!(left, 0, "the fixed field's notes are gone");

    // the two complete Stammdatenschemata: imported, published, offered and submitted by a citizen
    for (name, service) in [("xdf2/BlaueKarte.xml", "Blaue Karte EU"), ("xdf2/WaBeKa.xml", "Waffenbesitzkarte")] {
        let slug = create_own(&mut admin, service).await;
        let builder = format!("{B}/{slug}");
        let xml = std::fs::read(root.join(name)).unwrap_or_default();
        let p = admin.get(&builder).await;
        let csrf = p.hidden("_csrf").unwrap_or_default();
        let revision = p.hidden("revision").unwrap_or_default();
        let r = admin
            .post_multipart(
                &format!("{builder}/fim-import"),
                &[("_csrf", &csrf), ("revision", &revision)],
                Some(("fim", name, &xml)),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.body);
        let publish = format!("{builder}/veroeffentlichen");
        let r = post(&mut admin, &publish, &publish, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.body);
        post(&mut admin, B, &format!("{B}/eigene/{slug}/anbieten"), &[("offered", "on")]).await;
        let schema = live_form(&app, &slug).await;
        assert!(schema.fields().all(|f| f.fim.is_some()), "{name}: the FIM ids are kept");
        let mut citizen = registered(&app, HOST, &unique_email("fim")).await;
        let first = start(&mut citizen, &slug, false).await;
        let check = fill_all(&mut citizen, &first, &schema).await;
        let (_, r) = submit(&mut citizen, &check).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.body);
    }
}
