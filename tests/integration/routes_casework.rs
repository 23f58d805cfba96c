//! Routes of the staff area, the form builder and applications over HTTP that no other test
//! reaches: staff logout, the fields of a repeatable group in the builder, the staff's message to
//! an applicant and the guest's answer, file downloads from a draft and by a guest link, editing an
//! own service, and discarding a citizen's draft.

use http::StatusCode;
use portal_forms::schema::{FormSchema, Kind};
use portal_tests::{TestApp, TestResponse, mails_for, unique_email};
use uuid::Uuid;

use super::cases::office::staff_post;
use super::cases::{HOST, OTHER_HOST, fill, forms, guest_check_page, no_fees, registered, staff, start, submit};
use super::forms::{create_own, post};
use super::staff::first_admin;

const B: &str = "/verwaltung/formulare";

async fn count(app: &TestApp, sql: &str, id: Uuid) -> i64 {
    sqlx::query_scalar(sql).bind(id).fetch_one(&app.db.owner().await).await.unwrap_or(-1)
}

/// The newest case of `slug`.
async fn latest_case(app: &TestApp, slug: &str) -> Uuid {
    sqlx::query_scalar("select case_id from case_record where service_slug = $1 order by submitted_at desc limit 1")
        .bind(slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The builder's draft of `slug` as stored.
async fn draft_schema(app: &TestApp, slug: &str) -> FormSchema {
    let json: serde_json::Value = sqlx::query_scalar("select schema from form_draft where service_slug = $1")
        .bind(slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
}

fn header<'a>(r: &'a TestResponse, name: &str) -> &'a str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn a_member_of_staff_logs_out_with_the_pages_token_and_the_old_session_cookie_is_worthless_after() {
    let app = TestApp::spawn().await;
    let (mut admin, email) = first_admin(&app).await;
    let id: Uuid = sqlx::query_scalar("select staff_id from staff_user where email = $1")
        .bind(email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sessions = "select count(*) from user_session where staff_id = $1";
    assert_eq!(count(&app, sessions, id).await, 1);

    // without the form's token: refused, still logged in
    let r = admin.post_raw("/verwaltung/abmelden", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Aktion nicht erlaubt"), "{}", r.body);
    assert_eq!(count(&app, sessions, id).await, 1);
    assert_eq!(admin.get("/verwaltung").await.status, StatusCode::OK);

    let old_cookie = admin.cookie_header();
    let csrf = admin.get("/verwaltung").await.hidden("_csrf").unwrap_or_default();
    let r = admin.post_raw("/verwaltung/abmelden", &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/verwaltung/anmelden?hinweis=abgemeldet"));
    assert_eq!(r.cookie("kp_staff").as_deref(), Some(""), "the cookie is cleared");
    assert_eq!(count(&app, sessions, id).await, 0, "the session is gone on the server");
    let login = admin.get("/verwaltung/anmelden?hinweis=abgemeldet").await;
    assert!(login.body.contains("Sie sind abgemeldet."), "{}", login.body);
    // the old cookie, replayed, leads to the login
    let replay = app.get_with(HOST, "/verwaltung", &[("cookie", &old_cookie)]).await;
    assert_eq!(replay.status, StatusCode::SEE_OTHER);
    assert!(replay.location().is_some_and(|l| l.starts_with("/verwaltung/anmelden")), "{:?}", replay.location());
}

#[tokio::test]
async fn a_repeatable_group_gets_a_field_of_its_own_which_is_then_edited_and_a_group_in_a_group_or_a_range_in_words_is_refused()
 {
    let app = TestApp::spawn().await;
    let (mut admin, _) = staff(&app, "").await;
    let slug = create_own(&mut admin, "Kinder anmelden").await;
    let builder = format!("{B}/{slug}");
    let r = post(
        &mut admin,
        &builder,
        &format!("{builder}/seiten/0/feld-neu"),
        &[("kind-0", "group"), ("label_de-0", "Kinder"), ("label_en-0", "Children")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let group = format!("{builder}/seiten/0/felder/1");
    assert_eq!(r.location().unwrap_or_default().split('?').next(), Some(group.as_str()));
    let page = admin.get(&group).await;
    assert!(
        page.body.contains(&format!("{group}/teil-neu")) && page.body.contains(&format!("{group}/teile/0")),
        "{}",
        page.body
    );

    // a group inside a group is refused with the reason; the draft stays as it was
    let before = draft_schema(&app, &slug).await;
    let r = post(
        &mut admin,
        &group,
        &format!("{group}/teil-neu"),
        &[("child_kind", "group"), ("child_de", "Enkel"), ("child_en", "")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Bitte wählen Sie eine Art des Felds aus der Liste."), "{}", r.body);
    assert_eq!(draft_schema(&app, &slug).await, before);

    // a number field added to the group
    let r = post(
        &mut admin,
        &group,
        &format!("{group}/teil-neu"),
        &[("child_kind", "number"), ("child_de", "Alter"), ("child_en", "Age")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{group}?hinweis=gespeichert").as_str()));
    let schema = draft_schema(&app, &slug).await;
    let children = &schema.pages[0].fields[1].fields;
    assert_eq!(children.len(), 2, "{children:?}");
    assert_eq!(
        (children[1].kind, children[1].label.de.as_str(), children[1].label.en.as_str()),
        (Kind::Number, "Alter", "Age")
    );
    let child_id = children[1].id.clone();
    let child = format!("{group}/teile/1");
    assert!(admin.get(&group).await.body.contains(&child), "the group lists its new field");

    // its settings: a range in words is refused next to its input, nothing stored
    let page = admin.get(&child).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("value=\"Alter\""), "{}", page.body);
    let fields = |max: &'static str| {
        vec![
            ("id", child_id.clone()),
            ("kind", "number".to_owned()),
            ("label_de", "Alter des Kindes".to_owned()),
            ("label_en", "Age of the child".to_owned()),
            ("required", "on".to_owned()),
            ("min", "0".to_owned()),
            ("max", max.to_owned()),
            ("integer", "on".to_owned()),
        ]
    };
    let before = draft_schema(&app, &slug).await;
    let wrong = fields("siebzehn");
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post(&mut admin, &child, &child, &wrong).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Bitte geben Sie eine Zahl ein.") && r.body.contains("value=\"siebzehn\""), "{}", r.body);
    assert_eq!(draft_schema(&app, &slug).await, before);
    let right = fields("17");
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post(&mut admin, &child, &child, &right).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{builder}?hinweis=gespeichert").as_str()));
    let schema = draft_schema(&app, &slug).await;
    let saved = &schema.pages[0].fields[1].fields[1];
    assert_eq!(
        (saved.label.de.as_str(), saved.required, saved.min, saved.max, saved.integer),
        ("Alter des Kindes", true, Some(0.0), Some(17.0), true)
    );
    assert_eq!(schema.pages[0].fields[1].fields[0].id, "angabe", "the group's first field is untouched");
}

#[tokio::test]
async fn staff_write_to_a_guest_on_the_case_and_the_guest_answers_by_the_status_link_on_its_own_host_only() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let email = unique_email("gast-nachricht");
    let mut g = app.client(HOST);
    let check = guest_check_page(&mut g, "meldebescheinigung", &email).await;
    let (_, r) = submit(&mut g, &check).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let case = latest_case(&app, "meldebescheinigung").await;
    let reference: String = sqlx::query_scalar("select reference from case_record where case_id = $1")
        .bind(case)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    let link = app.mailed_link(&email, "/vorgang/").await;
    let (mut admin, mut other_worker) = staff(&app, "geburtsurkunde").await;
    let base = format!("/verwaltung/vorgaenge/{case}");
    let staff_messages =
        "select count(*) from case_event where case_id = $1 and kind = 'message' and actor_kind = 'staff'";
    let guest_messages =
        "select count(*) from case_event where case_id = $1 and kind = 'message' and actor_kind = 'guest'";
    let mails_to = |app: &TestApp| {
        let (db, to) = (app.db.clone(), email.clone());
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from job where payload->>'to' = $1")
                .bind(to)
                .fetch_one(&db.owner().await)
                .await
                .unwrap_or(-1)
        }
    };
    let queued = mails_to(&app).await;

    // an empty message is refused on the case page; a case worker of other services finds no case
    let r = staff_post(&mut admin, &format!("{base}/nachricht"), &[("text", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Bitte schreiben Sie eine Nachricht oder wählen Sie eine Datei."), "{}", r.body);
    let csrf = other_worker.get("/verwaltung").await.hidden("_csrf").unwrap_or_default();
    let r = other_worker
        .post_raw(&format!("{base}/nachricht"), &[("_csrf", &csrf), ("text", "Hallo aus dem falschen Amt")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, staff_messages, case).await, 0);
    assert_eq!(mails_to(&app).await, queued, "no mail went out");

    // the message: on the case, by mail with the guest's link, on the guest's page
    let text = "Bitte bringen Sie Ihren Ausweis zur Abholung mit.";
    let r = staff_post(&mut admin, &format!("{base}/nachricht"), &[("text", text)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(base.as_str()));
    assert_eq!(count(&app, staff_messages, case).await, 1);
    assert_eq!(app.mailed_link(&email, "/vorgang/").await, link);
    let mails = mails_for(&email).await;
    assert!(
        mails.iter().any(
            |m| m.subject.starts_with(&format!("Neuigkeiten zu Ihrem Antrag {reference}")) && m.text.contains(text)
        ),
        "{mails:?}"
    );
    let page = g.get(&link).await;
    assert!(page.body.contains(text), "{}", page.body);

    // the guest's answer: empty, or by the link on another tenant's host, is refused
    let reply = format!("{link}/nachricht");
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = g.post_raw(&reply, &[("_csrf", &csrf), ("text", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Bitte schreiben Sie eine Nachricht oder wählen Sie eine Datei."), "{}", r.body);
    let mut other = app.client(OTHER_HOST);
    let other_csrf = other.get("/konto/anmelden").await.hidden("_csrf").unwrap_or_default();
    let r = other.post_raw(&reply, &[("_csrf", &other_csrf), ("text", "Von woanders")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, guest_messages, case).await, 0);
    // answered: on the case for the office
    let answer = "Mache ich, vielen Dank.";
    let r = g.post_raw(&reply, &[("_csrf", &csrf), ("text", answer)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(link.as_str()));
    assert_eq!(count(&app, guest_messages, case).await, 1);
    assert!(admin.get(&base).await.body.contains(answer));
    assert!(g.get(&link).await.body.contains(answer));
}

#[tokio::test]
async fn files_are_downloaded_from_the_citizens_draft_and_by_the_guests_case_link_and_from_nowhere_else() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let schema = forms().remove("meldebescheinigung").unwrap_or_else(|| panic!("form"));
    // Erika's draft, with the copy of her identity card, not yet submitted
    let mut erika = registered(&app, HOST, &unique_email("datei")).await;
    let first = start(&mut erika, "meldebescheinigung", false).await;
    fill(&mut erika, &first, &schema).await;
    let draft: Uuid = first
        .trim_start_matches("/antrag/")
        .split('/')
        .next()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("{first}"));
    let draft_file: Uuid = sqlx::query_scalar("select file_id from case_file where draft_id = $1")
        .bind(draft)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // a guest's filed case with its copy
    let email = unique_email("gast-datei");
    let mut g = app.client(HOST);
    let check = guest_check_page(&mut g, "meldebescheinigung", &email).await;
    let (_, r) = submit(&mut g, &check).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let link = app.mailed_link(&email, "/vorgang/").await;
    let case = latest_case(&app, "meldebescheinigung").await;
    let case_file: Uuid = sqlx::query_scalar("select file_id from case_file where case_id = $1 and purpose = 'answer'")
        .bind(case)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // the draft's file, for Erika
    let path = format!("/antrag/{draft}/datei/{draft_file}");
    let r = erika.get(&path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(header(&r, "content-type"), "application/pdf");
    assert!(
        header(&r, "content-disposition").starts_with("attachment")
            && header(&r, "content-disposition").contains("nachweis.pdf"),
        "{:?}",
        r.headers
    );
    assert!(r.bytes.starts_with(b"%PDF-"), "the stored PDF: {:?}", r.bytes);
    // for nobody else: another citizen, her own cookie on another tenant's host, a guest
    let mut max = registered(&app, HOST, &unique_email("max")).await;
    assert_eq!(max.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_with(OTHER_HOST, &path, &[("cookie", &erika.cookie_header())]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(g.get(&path).await.status, StatusCode::NOT_FOUND);
    // nor another file through her draft
    assert_eq!(erika.get(&format!("/antrag/{draft}/datei/{case_file}")).await.status, StatusCode::NOT_FOUND);

    // the case's file by the guest's link: linked on the case page and downloaded
    let file_path = format!("{link}/datei/{case_file}");
    assert!(g.get(&link).await.body.contains(&file_path), "the case page links the file");
    let r = app.get(HOST, &file_path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(header(&r, "content-type"), "application/pdf");
    assert!(
        header(&r, "content-disposition").starts_with("attachment") && r.bytes.starts_with(b"%PDF-"),
        "{:?}",
        r.headers
    );
    // the link is worthless on another tenant's host, and it opens no other file
    assert_eq!(app.get(OTHER_HOST, &file_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(HOST, &format!("{link}/datei/{draft_file}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_edits_an_own_service_while_invalid_input_and_a_case_worker_change_nothing() {
    let app = TestApp::spawn().await;
    let (mut admin, mut worker) = staff(&app, "").await;
    let slug = create_own(&mut admin, "Marktstand anmelden").await;
    let edit = format!("{B}/eigene/{slug}");
    let stored = || {
        let (db, slug) = (app.db.clone(), slug.clone());
        async move {
            sqlx::query_as::<_, (String, String, Option<i64>, Option<String>)>(
                "select name_de, name_en, fee_cents, office from own_service where service_slug = $1",
            )
            .bind(slug)
            .fetch_one(&db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    let original = stored().await;
    assert_eq!(
        (original.0.as_str(), original.2, original.3.as_deref()),
        ("Marktstand anmelden", Some(1250), Some("Ordnungsamt"))
    );
    let page = admin.get(&edit).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("value=\"Marktstand anmelden\"") && page.body.contains("value=\"12,50\""),
        "{}",
        page.body
    );
    let category: String = sqlx::query_scalar("select category_slug from own_service where service_slug = $1")
        .bind(&slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();

    // no name and a fee in words: refused next to the fields, the input kept, nothing stored
    let r = admin
        .submit(
            &edit,
            &edit,
            &[("name_de", ""), ("summary_de", "Genehmigung"), ("category", &category), ("fee", "zwölf")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Bitte geben Sie einen deutschen Text ein.")
            && r.body.contains("Bitte geben Sie die Gebühr als Betrag in Euro an")
            && r.body.contains("value=\"zwölf\""),
        "{}",
        r.body
    );
    assert_eq!(stored().await, original);
    // a case worker may neither open nor change it
    assert_eq!(worker.get(&edit).await.status, StatusCode::FORBIDDEN);
    let csrf = worker.get("/verwaltung").await.hidden("_csrf").unwrap_or_default();
    let r = worker
        .post_raw(&edit, &[("_csrf", &csrf), ("name_de", "Gekapert"), ("summary_de", "x"), ("category", &category)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(stored().await, original);

    let r = admin
        .submit(
            &edit,
            &edit,
            &[
                ("name_de", "Wochenmarktstand anmelden"),
                ("name_en", "Register a market stall"),
                ("summary_de", "Genehmigung für den Stand auf dem Wochenmarkt"),
                ("category", &category),
                ("fee", "15"),
                ("office", "Marktamt"),
                ("fully_online", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/verwaltung/formulare?hinweis=gespeichert"));
    assert_eq!(
        stored().await,
        (
            "Wochenmarktstand anmelden".to_owned(),
            "Register a market stall".to_owned(),
            Some(1500),
            Some("Marktamt".to_owned())
        )
    );
    let list = admin.get("/verwaltung/formulare?hinweis=gespeichert").await;
    assert!(
        list.body.contains("Die Leistung wurde gespeichert.") && list.body.contains("Wochenmarktstand anmelden"),
        "{}",
        list.body
    );
    assert!(admin.get(&edit).await.body.contains("value=\"15,00\""), "the fee as stored");
}

#[tokio::test]
async fn a_citizen_discards_their_draft_with_its_files_and_neither_another_citizen_nor_a_post_without_token_can() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let schema = forms().remove("meldebescheinigung").unwrap_or_else(|| panic!("form"));
    let mut erika = registered(&app, HOST, &unique_email("verwerfen")).await;
    let first = start(&mut erika, "meldebescheinigung", false).await;
    let check = fill(&mut erika, &first, &schema).await;
    let draft: Uuid = first
        .trim_start_matches("/antrag/")
        .split('/')
        .next()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("{first}"));
    let drafts = "select count(*) from application_draft where draft_id = $1";
    let files = "select count(*) from case_file where draft_id = $1";
    assert_eq!((count(&app, drafts, draft).await, count(&app, files, draft).await), (1, 1));
    let discard = format!("/antrag/{draft}/verwerfen");

    // another citizen with their own token: no such draft for them
    let mut max = registered(&app, HOST, &unique_email("max")).await;
    let csrf = max.get("/konto").await.hidden("_csrf").unwrap_or_default();
    assert_eq!(max.post_raw(&discard, &[("_csrf", &csrf)]).await.status, StatusCode::NOT_FOUND);
    // Erika without the form's token
    let r = erika.post_raw(&discard, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Aktion nicht erlaubt"), "{}", r.body);
    assert_eq!((count(&app, drafts, draft).await, count(&app, files, draft).await), (1, 1), "nothing discarded");
    assert!(erika.get("/konto/antraege").await.body.contains(&format!("/antrag/{draft}/pruefen")), "still listed");

    let csrf = erika.get(&check).await.hidden("_csrf").unwrap_or_default();
    let r = erika.post_raw(&discard, &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/konto/antraege?hinweis=verworfen"));
    let list = erika.get("/konto/antraege?hinweis=verworfen").await;
    assert!(
        list.body.contains("Der Entwurf wurde gelöscht.") && !list.body.contains(&draft.to_string()),
        "{}",
        list.body
    );
    assert_eq!(
        (count(&app, drafts, draft).await, count(&app, files, draft).await),
        (0, 0),
        "the draft and its file are gone"
    );
    assert_eq!(erika.get(&check).await.status, StatusCode::NOT_FOUND);
}
