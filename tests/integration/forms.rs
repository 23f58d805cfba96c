//! The form builder over HTTP: an own service built page by page (keyboard-style posts, one change
//! per post), previewed, checked, published, offered, found and submitted by a citizen; stale
//! saves refused; a form editor who sees nothing else; FIM schemas imported with their report, the
//! two complete ones published and submitted with valid answers; nothing of it on another tenant.

use http::StatusCode;
use portal_forms::schema::{FormSchema, Kind};
use portal_tests::{TestApp, TestClient, unique_email};

use crate::cases::{HOST, OTHER_HOST, PDF, no_fees, registered, staff, start, submit, valid_inputs};
mod fim;

pub(crate) const B: &str = "/verwaltung/formulare";

/// Posts `fields` with the CSRF token and the draft's revision read from `page`.
pub(crate) async fn post(
    c: &mut TestClient<'_>,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> portal_tests::TestResponse {
    let p = c.get(page).await;
    assert_eq!(p.status, StatusCode::OK, "{page}: {}", p.body);
    let csrf = p.hidden("_csrf").unwrap_or_default();
    let revision = p.hidden("revision").unwrap_or_default();
    let mut all = vec![("_csrf", csrf.as_str()), ("revision", revision.as_str())];
    all.extend_from_slice(fields);
    c.post_raw(action, &all).await
}

async fn live_form(app: &TestApp, slug: &str) -> FormSchema {
    let json: serde_json::Value =
        sqlx::query_scalar("select coalesce(a.form_schema, o.form_schema) from own_service o left join service_activation a using (tenant_id, service_slug) where o.service_slug = $1")
            .bind(slug)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
}

/// Fills every visible page with valid answers, attaching a PDF to every file field.
async fn fill_all(c: &mut TestClient<'_>, first: &str, schema: &FormSchema) -> String {
    let mut path = first.to_owned();
    for _ in 0..=schema.pages.len() {
        if path.ends_with("/pruefen") {
            return path;
        }
        let page = c.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        let csrf = page.hidden("_csrf").unwrap_or_default();
        let page_id = path.rsplit('/').next().unwrap_or_default();
        let (_, spec) = schema.page(page_id).unwrap_or_else(|| panic!("page {page_id}"));
        let mut inputs = Vec::new();
        for f in &spec.fields {
            inputs_for(f, &f.id, &mut inputs);
        }
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("_action", "weiter")];
        fields.extend(inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let files: Vec<(&str, &str, &[u8])> =
            spec.fields.iter().filter(|f| f.kind == Kind::File).map(|f| (f.id.as_str(), "nachweis.pdf", PDF)).collect();
        let r = c.post_multipart_files(&path, &fields, &files).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
        path = r.location().unwrap_or_default().to_owned();
    }
    panic!("never reached the check page: {path}");
}

/// Valid inputs for a field as a citizen types them: texts as long as the field asks for (fields
/// with a pattern are optional in the imported forms and left empty), the rest as the catalogue
/// forms' test fills them.
fn inputs_for(f: &portal_forms::Field, name: &str, out: &mut Vec<(String, String)>) {
    match f.kind {
        Kind::Text | Kind::Textarea if f.pattern.is_some() => {}
        Kind::Text | Kind::Textarea => {
            let want = f.min_length.unwrap_or(1).max(12).min(f.max_len()) as usize;
            out.push((name.to_owned(), "Mustertext für den Antrag".chars().cycle().take(want).collect()));
        }
        Kind::Number => {
            out.push((name.to_owned(), f.min.map_or(1.0, |m| m.max(1.0)).min(f.max.unwrap_or(f64::MAX)).to_string()))
        }
        Kind::Group => {
            let n = f.min_items.unwrap_or(1).max(1);
            out.push((format!("{name}.count"), n.to_string()));
            for i in 0..n {
                for child in &f.fields {
                    inputs_for(child, &format!("{name}[{i}].{}", child.id), out);
                }
            }
        }
        _ => valid_inputs(f, name, out),
    }
}

/// The editor's inputs for a field as it is, with `label_en` replaced.
pub(crate) fn editor_inputs(f: &portal_forms::Field, label_en: &str) -> Vec<(String, String)> {
    let kind = portal_server::forms::KINDS.iter().find(|(k, _)| *k == f.kind).map_or("text", |(_, n)| *n);
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mut out = vec![
        ("id".to_owned(), f.id.clone()),
        ("kind".into(), kind.to_owned()),
        ("label_de".into(), f.label.de.clone()),
        ("label_en".into(), label_en.to_owned()),
        ("help_de".into(), opt(f.help.as_ref().map(|h| h.de.clone()))),
        ("help_en".into(), opt(f.help.as_ref().map(|h| h.en.clone()))),
        ("min_length".into(), opt(f.min_length.map(|v| v.to_string()))),
        ("max_length".into(), opt(f.max_length.map(|v| v.to_string()))),
        ("min".into(), opt(f.min.map(|v| v.to_string()))),
        ("max".into(), opt(f.max.map(|v| v.to_string()))),
        ("min_items".into(), opt(f.min_items.map(|v| v.to_string()))),
        ("max_items".into(), opt(f.max_items.map(|v| v.to_string()))),
        ("max_kb".into(), opt(f.max_kb.map(|v| v.to_string()))),
        ("pattern".into(), opt(f.pattern.as_ref().map(|p| p.regex.clone()))),
        ("pattern_de".into(), opt(f.pattern.as_ref().map(|p| p.message.de.clone()))),
        ("pattern_en".into(), opt(f.pattern.as_ref().map(|p| p.message.en.clone()))),
        (
            "options".into(),
            f.options
                .iter()
                .map(|o| format!("{} | {} | {}", o.value, o.label.de, o.label.en))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ];
    if f.required {
        out.push(("required".into(), "on".into()));
    }
    if f.integer {
        out.push(("integer".into(), "on".into()));
    }
    out
}

pub(crate) async fn create_own(admin: &mut TestClient<'_>, name: &str) -> String {
    let new = format!("{B}/eigene/neu");
    let page = admin.get(&new).await;
    let (csrf, key) = (
        page.hidden("_csrf").unwrap_or_default(),
        page.hidden("key").unwrap_or_else(|| panic!("the form carries its one-time key: {}", page.body)),
    );
    let r = admin
        .post_raw(
            &new,
            &[
                ("_csrf", &csrf),
                ("key", &key),
                ("name_de", ""),
                ("summary_de", "x"),
                ("category", "nope"),
                ("fee", "zwölf"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in [
        "Bitte geben Sie einen deutschen Text ein.",
        "Bitte wählen Sie eine Kategorie aus der Liste.",
        "Bitte geben Sie die Gebühr als Betrag in Euro an",
    ] {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    assert!(r.body.contains("value=\"zwölf\""), "the input is kept");
    assert_eq!(r.hidden("key").as_deref(), Some(key.as_str()), "and so is the form's key");
    let category: String = sqlx::query_scalar("select category_slug from service_category order by position limit 1")
        .fetch_one(&admin.app.db.owner().await)
        .await
        .unwrap_or_default();
    let fields = own_fields(name, &category);
    let mut all = vec![("_csrf", csrf.as_str()), ("key", key.as_str())];
    all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
    let r = admin.post_raw(&new, &all).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location().unwrap_or_default().to_owned();
    let slug = location.trim_start_matches(&format!("{B}/")).split('?').next().unwrap_or_default().to_owned();
    assert!(slug.starts_with("eigen-"), "{location}");
    slug
}

/// The fields of a valid new own service.
fn own_fields(name: &str, category: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name_de", name.to_owned()),
        ("name_en", String::new()),
        ("summary_de", "Genehmigung für den Stand auf dem Wochenmarkt".to_owned()),
        ("keywords_de", "Marktstand Wochenmarkt Stand".to_owned()),
        ("category", category.to_owned()),
        ("fee", "12,50".to_owned()),
        ("office", "Ordnungsamt".to_owned()),
        ("fully_online", "on".to_owned()),
    ]
}

#[tokio::test]
async fn the_same_new_service_form_posted_twice_at_once_makes_one_service_and_a_post_without_its_key_is_refused() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = staff(&app, "").await;
    let new = format!("{B}/eigene/neu");
    let page = admin.get(&new).await;
    let (csrf, key) = (page.hidden("_csrf").unwrap_or_default(), page.hidden("key").unwrap_or_default());
    assert_eq!(key.len(), 36, "a UUID: {key}");
    let category: String = sqlx::query_scalar("select category_slug from service_category order by position limit 1")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    let fields = own_fields("Brauchtumsfeuer anzeigen", &category);
    let mut all = vec![("_csrf", csrf.as_str()), ("key", key.as_str())];
    all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
    let cookie = admin.cookie_header();
    // two posts in flight at the same moment, as a double click sends them
    let (a, b) = tokio::join!(app.post_form(HOST, &new, &all, &cookie), app.post_form(HOST, &new, &all, &cookie));
    assert_eq!((a.status, b.status), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER), "{} {}", a.body, b.body);
    assert_eq!(a.location(), b.location(), "both lead to the one service");
    // and once more later
    let c = app.post_form(HOST, &new, &all, &cookie).await;
    assert_eq!(c.location(), a.location());
    let owner = app.db.owner().await;
    let made: Vec<String> =
        sqlx::query_scalar("select service_slug from own_service where name_de = 'Brauchtumsfeuer anzeigen'")
            .fetch_all(&owner)
            .await
            .unwrap_or_default();
    assert_eq!(made, vec!["eigen-brauchtumsfeuer-anzeigen".to_owned()]);
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'own_service.create' and object = 'eigen-brauchtumsfeuer-anzeigen'").fetch_one(&owner).await.unwrap_or(-1);
    assert_eq!(audited, 1, "created once, audited once");

    // a post that did not come from the form (no key) creates nothing
    let r =
        app.post_form(HOST, &new, &all.iter().filter(|(k, _)| *k != "key").copied().collect::<Vec<_>>(), &cookie).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // a fresh form gets a fresh key and makes a second service of the same name on purpose
    let key2 = admin.get(&new).await.hidden("key").unwrap_or_default();
    assert_ne!(key2, key);
    all[1] = ("key", key2.as_str());
    let d = app.post_form(HOST, &new, &all, &cookie).await;
    assert_eq!(d.location().map(|l| l.contains("eigen-brauchtumsfeuer-anzeigen-2")), Some(true), "{:?}", d.location());
}

#[tokio::test]
async fn an_own_service_is_built_published_offered_found_and_submitted() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let (mut admin, mut worker) = staff(&app, "").await;
    let slug = create_own(&mut admin, "Marktstand anmelden").await;
    let builder = format!("{B}/{slug}");
    let page = admin.get(&builder).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("noch kein Online-Formular"), "{}", page.body);

    // page 1: a yes/no question; page 2: a field shown only for "ja"
    let r = post(
        &mut admin,
        &builder,
        &format!("{builder}/seiten/0/feld-neu"),
        &[("kind-0", "yes_no"), ("label_de-0", "Mit Strom?"), ("label_en-0", "With power?")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location().unwrap_or_default().split('?').next(),
        Some(format!("{builder}/seiten/0/felder/1").as_str())
    );
    let r = post(
        &mut admin,
        &builder,
        &format!("{builder}/seite-neu"),
        &[
            ("title_de", "Anschluss"),
            ("title_en", ""),
            ("first_kind", "number"),
            ("first_de", "Leistung in kW"),
            ("first_en", "Power in kW"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let field = format!("{builder}/seiten/1/felder/0");
    for max in ["zehn", "NaN", "inf", "1e999"] {
        let r = post(
            &mut admin,
            &field,
            &field,
            &[
                ("id", "leistung"),
                ("kind", "number"),
                ("label_de", "Leistung in kW"),
                ("label_en", "Power in kW"),
                ("required", "on"),
                ("min", "1"),
                ("max", max),
                ("show_field", "mit_strom"),
                ("show_op", "equals"),
                ("show_value", "ja"),
            ],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{max}: a range that is no plain number is refused next to its input"
        );
        assert!(
            r.body.contains("Bitte geben Sie eine Zahl ein.") && r.body.contains(&format!("value=\"{max}\"")),
            "{max}"
        );
    }
    let r = post(
        &mut admin,
        &field,
        &field,
        &[
            ("id", "leistung"),
            ("kind", "number"),
            ("label_de", "Leistung in kW"),
            ("label_en", "Power in kW"),
            ("required", "on"),
            ("min", "1"),
            ("max", "10"),
            ("integer", "on"),
            ("show_field", "mit_strom"),
            ("show_op", "equals"),
            ("show_value", "ja"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // a change the loader would refuse is refused with its reason: the condition names the field
    let r = post(
        &mut admin,
        &builder,
        &format!("{builder}/aendern"),
        &[("op", "field_delete"), ("page", "0"), ("field", "1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Die Änderung wurde nicht übernommen") && r.body.contains("mit_strom"), "{}", r.body);
    // moving a field down and back up
    for op in ["field_down", "field_up"] {
        let r = post(
            &mut admin,
            &builder,
            &format!("{builder}/aendern"),
            &[("op", op), ("page", "0"), ("field", if op == "field_down" { "0" } else { "1" })],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{op}: {}", r.body);
    }
    // the page's English title is missing and said so
    let page = admin.get(&builder).await;
    assert!(page.body.contains("Übersetzung fehlt"), "{}", page.body);

    // a stale save (someone else saved meanwhile) is refused, naming who saved
    let stale = admin.get(&builder).await;
    let (csrf, revision) = (stale.hidden("_csrf").unwrap_or_default(), stale.hidden("revision").unwrap_or_default());
    let r = post(&mut admin, &builder, &format!("{builder}/aendern"), &[("op", "page_copy"), ("page", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = admin
        .post_raw(
            &format!("{builder}/aendern"),
            &[("_csrf", &csrf), ("revision", &revision), ("op", "page_delete"), ("page", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("inzwischen von Anna Admin"), "{}", r.body);
    let r = post(&mut admin, &builder, &format!("{builder}/aendern"), &[("op", "page_delete"), ("page", "2")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // without the CSRF token nothing happens
    let r = admin
        .post_raw(&format!("{builder}/aendern"), &[("revision", &revision), ("op", "page_delete"), ("page", "1")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // the preview shows the citizen's errors
    let preview = format!("{builder}/vorschau/angaben");
    let p = admin.get(&preview).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Mit Strom?"), "the preview renders the draft: {}", p.body);
    let csrf = p.hidden("_csrf").unwrap_or_default();
    let r = admin.post_multipart(&preview, &[("_csrf", &csrf), ("_action", "pruefen")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("error-summary"), "{}", r.body);

    // publish: the checks, the difference, the version
    let publish = format!("{builder}/veroeffentlichen");
    let p = admin.get(&publish).await;
    assert!(p.body.contains("Feld „leistung“ hinzugefügt") && p.body.contains("nichts gefunden"), "{}", p.body);
    let r = post(&mut admin, &publish, &publish, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let versions = admin.get(&format!("{builder}/versionen")).await;
    assert!(versions.body.contains("Anna Admin"), "{}", versions.body);

    // not offered yet: not on the portal; offered: found and submitted
    let mut citizen = registered(&app, HOST, &unique_email("markt")).await;
    assert_eq!(citizen.get(&format!("/leistungen/{slug}")).await.status, StatusCode::NOT_FOUND);
    let r = post(&mut admin, B, &format!("{B}/eigene/{slug}/anbieten"), &[("offered", "on")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut found = false;
    for _ in 0..50 {
        if citizen.get("/suche?q=Marktstand").await.body.contains(&format!("/leistungen/{slug}")) {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found, "the own service is found in the search");
    let detail = citizen.get(&format!("/leistungen/{slug}")).await;
    assert!(detail.body.contains("Ordnungsamt") && detail.body.contains("12,50"), "{}", detail.body);
    let schema = live_form(&app, &slug).await;
    let first = start(&mut citizen, &slug, false).await;
    let check = fill_all(&mut citizen, &first, &schema).await;
    let (_, r) = submit(&mut citizen, &check).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cases: i64 = sqlx::query_scalar("select count(*) from case_record where service_slug = $1")
        .bind(&slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert_eq!(cases, 1);

    // after publishing there is no draft: a page shown then is stale once someone starts one
    let stale = admin.get(&builder).await;
    let (csrf, live_token) = (stale.hidden("_csrf").unwrap_or_default(), stale.hidden("revision").unwrap_or_default());
    assert_eq!(live_token, "live-1");
    let page_form = format!("{builder}/seiten/1");
    let r = post(
        &mut admin,
        &page_form,
        &page_form,
        &[("title_de", "Anschluss ans Netz"), ("title_en", "Grid connection")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = admin
        .post_raw(
            &format!("{builder}/aendern"),
            &[("_csrf", &csrf), ("revision", &live_token), ("op", "field_delete"), ("page", "0"), ("field", "0")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a change on a page showing the live form is refused once a draft exists"
    );
    let r = post(&mut admin, &publish, &publish, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // roll back to version 1 (as version 3); the same post again is refused, not a fourth version
    let versions = format!("{builder}/versionen");
    let v = admin.get(&versions).await;
    let csrf = v.hidden("_csrf").unwrap_or_default();
    let live = v.hidden("live").unwrap_or_default();
    assert_eq!(live, "2");
    let r = admin.post_raw(&format!("{versions}/1"), &[("_csrf", &csrf), ("live", &live)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = admin.post_raw(&format!("{versions}/1"), &[("_csrf", &csrf), ("live", &live)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let count: i64 = sqlx::query_scalar("select count(*) from form_publication where service_slug = $1")
        .bind(&slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert_eq!(count, 3);
    assert_eq!(live_form(&app, &slug).await.pages[1].title.de, "Anschluss", "version 1 is live again");

    // nothing of it on another tenant's host; the case worker may not build forms
    let mut other = app.client(OTHER_HOST);
    assert_eq!(other.get(&format!("/leistungen/{slug}")).await.status, StatusCode::NOT_FOUND);
    assert!(!other.get("/suche?q=Marktstand").await.body.contains(&slug));
    assert_eq!(worker.get(B).await.status, StatusCode::FORBIDDEN);
    assert_eq!(worker.get(&builder).await.status, StatusCode::FORBIDDEN);
    let audit: i64 = sqlx::query_scalar("select count(*) from audit_log where object = $1 and action like 'form.%'")
        .bind(&slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert!(audit >= 8, "every change is audited: {audit}");
}

#[tokio::test]
async fn a_form_editor_builds_forms_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = staff(&app, "").await;
    let email = unique_email("editor");
    let r = admin
        .submit(
            "/verwaltung/mitarbeitende",
            "/verwaltung/mitarbeitende",
            &[("email", &email), ("display_name", "Frieda Form"), ("role", "form_editor")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let link = app.mailed_link(&email, "/verwaltung/einladung").await;
    let mut editor = app.client(HOST);
    let page = editor.get(&link).await;
    let token = page.hidden("token").unwrap_or_default();
    let pw = "Formular-Baukasten-2026";
    let r = editor
        .submit(&link, "/verwaltung/einladung", &[("token", &token), ("password", pw), ("password_repeat", pw)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(editor.get(B).await.status, StatusCode::OK);
    assert_eq!(editor.get(&format!("{B}/meldebescheinigung")).await.status, StatusCode::OK);
    for path in ["/verwaltung/vorgaenge", "/verwaltung/mitarbeitende", "/verwaltung/zahlungen"] {
        assert_eq!(editor.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // a service the tenant neither offers nor owns has no builder
    assert_eq!(editor.get(&format!("{B}/geburtsurkunde-nicht-da")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn publishing_is_refused_while_the_fee_rule_needs_a_removed_field_and_a_draft_can_be_discarded() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = staff(&app, "").await;
    // Kaiserslautern's Geburtsurkunde costs 12 € per copy, the number taken from the field "copies"
    let builder = format!("{B}/geburtsurkunde");
    let page = admin.get(&builder).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let r = post(
        &mut admin,
        &builder,
        &format!("{builder}/aendern"),
        &[("op", "field_delete"), ("page", "1"), ("field", "0")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let publish = format!("{builder}/veroeffentlichen");
    let p = admin.get(&publish).await;
    assert!(
        p.body.contains("Gebühr:") && p.body.contains("copies") && p.body.contains("Feld „copies“ entfernt"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("Jetzt veröffentlichen"), "no publish button while the check fails");
    let revision = p.hidden("revision").unwrap_or_else(|| "1".into());
    let csrf = p.hidden("_csrf").unwrap_or_default();
    let r = admin.post_raw(&publish, &[("_csrf", &csrf), ("revision", &revision)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let live = admin.get("/leistungen/geburtsurkunde/antrag").await;
    assert_eq!(live.status, StatusCode::OK);
    // the draft goes, the live form stays as it was
    let r = post(&mut admin, &builder, &format!("{builder}/verwerfen"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let drafts: i64 = sqlx::query_scalar("select count(*) from form_draft where service_slug = 'geburtsurkunde'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(drafts, 0);
    let versions: i64 =
        sqlx::query_scalar("select count(*) from form_publication where service_slug = 'geburtsurkunde'")
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or(-1);
    assert_eq!(versions, 0, "nothing was published");
}
