//! Cases as the office works them: the workflow, retention, a tenant's own forms, the inbox.

use super::*;

pub(crate) async fn file_case(app: &TestApp, c: &mut TestClient<'_>, slug: &str) -> String {
    let schema = forms().remove(slug).unwrap_or_else(|| panic!("form"));
    let first = start(c, slug, false).await;
    let check = fill(c, &first, &schema).await;
    let (_, r) = submit(c, &check).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    sqlx::query_scalar::<_, uuid::Uuid>(
        "select case_id from case_record where service_slug = $1 order by submitted_at desc limit 1",
    )
    .bind(slug)
    .fetch_one(&app.db.owner().await)
    .await
    .map(|id| id.to_string())
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn the_office_works_a_case_through_the_workflow_and_the_citizen_answers_in_the_account() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    activate_all(&app, "kaiserslautern").await;
    let email = unique_email("buergerin");
    let mut citizen = registered(&app, HOST, &email).await;
    let case = file_case(&app, &mut citizen, "meldebescheinigung").await;
    let other = file_case(&app, &mut citizen, "hundesteuer-anmeldung").await;
    let (mut admin, mut worker) = staff(&app, "meldebescheinigung").await;

    // the case worker's inbox holds the case of their service, not the other
    let inbox = worker.get("/verwaltung/vorgaenge").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(inbox.body.contains(&case) && !inbox.body.contains(&other), "{}", inbox.body);
    assert_eq!(
        worker.get(&format!("/verwaltung/vorgaenge/{other}")).await.status,
        StatusCode::NOT_FOUND,
        "out of scope looks like absent"
    );
    assert_eq!(worker.get(&format!("/verwaltung/vorgaenge/{other}/export.json")).await.status, StatusCode::NOT_FOUND);
    // the admin sees both; filters narrow it
    let all = admin.get("/verwaltung/vorgaenge").await;
    assert!(all.body.contains(&case) && all.body.contains(&other));
    let filtered = admin.get("/verwaltung/vorgaenge?leistung=hundesteuer-anmeldung").await;
    assert!(!filtered.body.contains(&case) && filtered.body.contains(&other));
    let mine = admin.get("/verwaltung/vorgaenge?meine=1").await;
    assert!(!mine.body.contains(&case));

    let base = format!("/verwaltung/vorgaenge/{case}");
    // assign to me
    let r = staff_post(&mut worker, &format!("{base}/zuweisen"), &[("an", "mich")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mine = worker.get("/verwaltung/vorgaenge?meine=1").await;
    assert!(mine.body.contains(&case));
    // the admin hands it to nobody, then back to the case worker by name; nobody else is offered
    let worker_id: uuid::Uuid = sqlx::query_scalar("select staff_id from staff_user where display_name = 'Carl Case'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let view = admin.get(&base).await;
    assert!(view.body.contains(&format!("value=\"{worker_id}\"")), "the case worker is offered");
    let r = staff_post(&mut admin, &format!("{base}/zuweisen"), &[("an", "niemand")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r =
        staff_post(&mut admin, &format!("{base}/zuweisen"), &[("an", "00000000-0000-0000-0000-000000000001")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "only staff who may process the service");
    let r = staff_post(&mut admin, &format!("{base}/zuweisen"), &[("an", &worker_id.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let assigned: Option<uuid::Uuid> =
        sqlx::query_scalar("select assigned_to from case_record where case_id = $1::uuid")
            .bind(&case)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_default();
    assert_eq!(assigned, Some(worker_id));
    // an invalid transition is refused
    let r = staff_post(&mut worker, &format!("{base}/status"), &[("choice", "approved")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("nicht möglich"));
    let r = staff_post(&mut worker, &format!("{base}/status"), &[("choice", "in_review")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // a question needs its text
    let r =
        staff_post(&mut worker, &format!("{base}/status"), &[("choice", "information_requested"), ("text", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Bitte schreiben Sie Ihre Rückfrage"));
    let r = staff_post(
        &mut worker,
        &format!("{base}/status"),
        &[("choice", "information_requested"), ("text", "Bitte laden Sie Ihren Mietvertrag hoch.")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = staff_post(&mut worker, &format!("{base}/notiz"), &[("text", "Intern: Vermieter anrufen")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // the citizen is told by mail, sees the question (not the note) and answers with a file
    let link = app.mailed_link(&email, "/konto/antraege/").await;
    assert!(mails_for(&email).await.iter().any(|m| m.subject.contains("Rückfrage") && m.text.contains("Mietvertrag")));
    let page = citizen.get(&link).await;
    assert!(
        page.body.contains("Bitte laden Sie Ihren Mietvertrag hoch.") && !page.body.contains("Vermieter anrufen"),
        "{}",
        page.body
    );
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = citizen
        .post_multipart(
            &format!("/konto/antraege/{case}/nachricht"),
            &[("_csrf", &csrf), ("text", "")],
            Some(("file", "virus.pdf", b"MZ\x90\0")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("geprüft wird der Inhalt"));
    let r = citizen
        .post_multipart(
            &format!("/konto/antraege/{case}/nachricht"),
            &[("_csrf", &csrf), ("text", "Anbei der Mietvertrag.")],
            Some(("file", "mietvertrag.pdf", PDF)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let status: String = sqlx::query_scalar("select status from case_record where case_id = $1::uuid")
        .bind(&case)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    assert_eq!(status, "in_review", "the answer returns the case to review");

    // the case worker sees the answer and its file, approves, issues a document, completes
    let view = worker.get(&base).await;
    assert!(
        view.body.contains("Anbei der Mietvertrag.")
            && view.body.contains("mietvertrag.pdf")
            && view.body.contains("Vermieter anrufen")
    );
    let file_link = view
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("/datei/"))
        .unwrap_or_default()
        .to_owned();
    let file = worker.get(&file_link).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("").starts_with("attachment")
    );
    // the status form is multipart (as the browser sends it)
    let page = worker.get(&base).await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = worker
        .post_multipart(
            &format!("{base}/status"),
            &[("_csrf", &csrf), ("choice", "approved"), ("text", "Alles in Ordnung.")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = worker.get(&base).await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = worker
        .post_multipart(
            &format!("{base}/dokument"),
            &[("_csrf", &csrf), ("text", "Ihre Meldebescheinigung")],
            Some(("file", "meldebescheinigung.pdf", PDF)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = staff_post(&mut worker, &format!("{base}/status"), &[("choice", "completed")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // the citizen sees the status and the document; the mails went through the queue
    let page = citizen.get(&format!("/konto/antraege/{case}")).await;
    assert!(
        page.body.contains("Abgeschlossen")
            && page.body.contains("meldebescheinigung.pdf")
            && page.body.contains("Bewilligt"),
        "{}",
        page.body
    );
    app.deliver_mail().await;
    let subjects: Vec<String> = mails_for(&email).await.into_iter().map(|m| m.subject).collect();
    for s in ["In Bearbeitung", "Rückfrage", "Bewilligt", "Abgeschlossen"] {
        assert!(subjects.iter().any(|x| x.contains(s)), "{s}: {subjects:?}");
    }
    // the export carries the answers with the schema version
    let export = worker.get(&format!("{base}/export.json")).await;
    let json: serde_json::Value = serde_json::from_str(&export.body).unwrap_or_default();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["answers"]["kind"], "einfach");
    assert_eq!(json["status"], "completed");
    // every staff action is in the audit log
    let actions: Vec<String> =
        sqlx::query_scalar("select action from audit_log where object like '20__-%' order by at")
            .fetch_all(&app.db.owner().await)
            .await
            .unwrap_or_default();
    for a in ["case.assign", "case.status", "case.note", "case.document", "case.export"] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
    // the settings are not for case workers
    assert_eq!(worker.get("/verwaltung/antragseinstellungen").await.status, StatusCode::FORBIDDEN);
}

/// Posts a form of the case page (taking its CSRF token from the page).
pub(crate) async fn staff_post(
    c: &mut TestClient<'_>,
    path: &str,
    fields: &[(&str, &str)],
) -> portal_tests::TestResponse {
    let page = c.get(&base_of(path)).await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    all.extend_from_slice(fields);
    c.post_raw(path, &all).await
}

pub(crate) fn base_of(path: &str) -> String {
    // the case page of an action path (/verwaltung/vorgaenge/{id}/status → /verwaltung/vorgaenge/{id})
    let parts: Vec<&str> = path.split('/').collect();
    parts[..parts.len().min(4)].join("/")
}

#[tokio::test]
async fn completed_cases_are_anonymised_after_the_retention_period_and_the_run_is_recorded() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let mut c = registered(&app, HOST, &unique_email("frist")).await;
    let case = file_case(&app, &mut c, "meldebescheinigung").await;
    let owner = app.db.owner().await;
    sqlx::query("update case_record set status = 'completed', completed_at = now() - interval '31 days' where case_id = $1::uuid").bind(&case).execute(&owner).await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("update service_activation set retention_days = 30 where service_slug = 'meldebescheinigung'")
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // an abandoned draft past its period goes too
    sqlx::query("update application_draft set expires_at = now() - interval '1 day' where case_id is null")
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let report = portal_server::flows::retention::run_once(&app.state.db).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.anonymised, 1);
    let (answers, name, files): (serde_json::Value, String, i64) =
        sqlx::query_as("select answers, applicant_name, (select count(*) from case_file f where f.case_id = c.case_id) from case_record c where case_id = $1::uuid")
            .bind(&case)
            .fetch_one(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answers, serde_json::json!({}));
    assert_eq!(name, "");
    assert_eq!(files, 0);
    let audit: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'case.retention' and actor_kind = 'system'")
            .fetch_one(&owner)
            .await
            .unwrap_or(0);
    assert_eq!(audit, 1);
    // a second run finds nothing more
    let again = portal_server::flows::retention::run_once(&app.state.db).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.anonymised, 0);
    // the anonymised case is no longer linked to the citizen
    assert_eq!(c.get(&format!("/konto/antraege/{case}")).await.status, StatusCode::NOT_FOUND);
    assert!(!c.get("/konto/antraege").await.body.contains(&case));
}

#[tokio::test]
async fn a_tenant_admin_overrides_a_form_and_invalid_schemas_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let (mut admin, _) = staff(&app, "meldebescheinigung").await;
    let page = admin.get("/verwaltung/antragseinstellungen/formular/meldebescheinigung").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let r = admin
        .submit(
            "/verwaltung/antragseinstellungen/formular/meldebescheinigung",
            "/verwaltung/antragseinstellungen/formular/meldebescheinigung",
            &[("schema", "{\"version\": 2, \"pages\": []}")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at least one page"), "{}", r.body);
    // a pattern that would freeze citizens' browsers (catastrophic backtracking) is refused
    let slow = r#"{"version": 7, "guest": false, "pages": [{"id": "p", "title": {"de": "Angaben", "en": "Details"}, "fields": [{"id": "wunsch", "type": "text", "label": {"de": "Ihr Wunsch", "en": "Your wish"}, "pattern": {"regex": "^(a+)+$", "message": {"de": "Nur a", "en": "Only a"}}}]}]}"#;
    let r = admin
        .submit(
            "/verwaltung/antragseinstellungen/formular/meldebescheinigung",
            "/verwaltung/antragseinstellungen/formular/meldebescheinigung",
            &[("schema", slow)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("exponential time"), "{}", r.body);
    let own = r#"{"version": 7, "guest": false, "pages": [{"id": "p", "title": {"de": "Angaben", "en": "Details"}, "fields": [{"id": "wunsch", "type": "text", "label": {"de": "Ihr Wunsch", "en": "Your wish"}, "required": true}]}]}"#;
    let r = admin
        .submit(
            "/verwaltung/antragseinstellungen/formular/meldebescheinigung",
            "/verwaltung/antragseinstellungen/formular/meldebescheinigung",
            &[("schema", own)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut c = registered(&app, HOST, &unique_email("eigen")).await;
    let first = start(&mut c, "meldebescheinigung", false).await;
    assert!(first.ends_with("/seite/p"), "{first}");
    assert!(c.get(&first).await.body.contains("Ihr Wunsch"));
    // settings: invalid numbers are refused next to the field
    let r = admin
        .submit("/verwaltung/antragseinstellungen", "/verwaltung/antragseinstellungen", &[("draft_days", "0")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("1 bis 365"));
    let r = admin
        .submit("/verwaltung/antragseinstellungen", "/verwaltung/antragseinstellungen", &[("draft_days", "14")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_inbox_sorts_and_pages() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let mut c = registered(&app, HOST, &unique_email("viele")).await;
    let first = file_case(&app, &mut c, "meldebescheinigung").await;
    let second = file_case(&app, &mut c, "meldebescheinigung").await;
    let (mut admin, _) = staff(&app, "meldebescheinigung").await;
    let newest = admin.get("/verwaltung/vorgaenge?sortierung=neu").await;
    let oldest = admin.get("/verwaltung/vorgaenge?sortierung=alt").await;
    let pos = |body: &str, id: &str| body.find(id).unwrap_or(usize::MAX);
    assert!(pos(&newest.body, &second) < pos(&newest.body, &first));
    assert!(pos(&oldest.body, &first) < pos(&oldest.body, &second));
    // 25 a page: with 27 cases the second page holds the two oldest
    let owner = app.db.owner().await;
    sqlx::query(
        "insert into case_record (tenant_id, case_id, reference, service_slug, service_version, schema_hash, applicant_name, answers, submission_key, due_at, submitted_at)
         select tenant_id, gen_random_uuid(), 'X-' || g, service_slug, service_version, schema_hash, 'Massen', '{}', gen_random_uuid(), now() + interval '14 days', now() + g * interval '1 second'
           from case_record, generate_series(1, 25) g where case_id = $1::uuid",
    )
    .bind(&first)
    .execute(&owner)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let page1 = admin.get("/verwaltung/vorgaenge").await;
    assert!(page1.body.contains("27 Vorgänge, Seite 1 von 2") && !page1.body.contains(&first), "{}", page1.body);
    let page2 = admin.get("/verwaltung/vorgaenge?seite=1").await;
    assert!(page2.body.contains(&first) && page2.body.contains(&second));
}
