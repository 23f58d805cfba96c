//! Online applications in-process: every catalogue form submitted with valid answers and with
//! typical mistakes, idempotent submission, guests, the back office with its workflow and scopes,
//! access to cases and attachments (also across tenants), retention.

use std::collections::BTreeMap;

use http::StatusCode;
use portal_catalogue::Catalogue;
use portal_forms::schema::{DateRule, Field, FormSchema, Kind};
use portal_tests::{OPS_HOST, TestApp, TestClient, mails_for, tenants_dir, unique_email};

pub(crate) mod office;
use office::file_case;

pub(crate) const HOST: &str = "kaiserslautern.localhost";
pub(crate) const OTHER_HOST: &str = "dueren.localhost";
const PASSWORD: &str = "Amselweg-Laterne-17";
pub(crate) const ADMIN_PW: &str = "Rathaus-Schluessel-2026";
pub(crate) const WORKER_PW: &str = "Akten-Stapel-Montag-77";
pub(crate) const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// The twelve services the issue names, with their forms from the catalogue.
const FORMS: [&str; 12] = [
    "meldebescheinigung",
    "hundesteuer-anmeldung",
    "hundesteuer-abmeldung",
    "sperrmuell-abholung",
    "abfallbehaelter-bestellen",
    "muellgefaess-defekt",
    "geburtsurkunde",
    "melderegisterauskunft",
    "bewohnerparkausweis",
    "gewerbeanmeldung",
    "briefwahl",
    "schuelerbefoerderung",
];

pub(crate) fn forms() -> BTreeMap<String, FormSchema> {
    let catalogue = Catalogue::load(&tenants_dir().join("catalogue")).unwrap_or_else(|e| panic!("{e}"));
    catalogue.services.into_iter().filter_map(|s| s.form.map(|f| (s.slug.as_str().to_owned(), f))).collect()
}

/// A valid answer for a field, as posted (input name → value).
pub(crate) fn valid_inputs(field: &Field, name: &str, out: &mut Vec<(String, String)>) {
    let push = |out: &mut Vec<(String, String)>, k: String, v: &str| out.push((k, v.to_owned()));
    match field.kind {
        Kind::Text | Kind::Textarea => {
            let text: String = field
                .example
                .as_deref()
                .unwrap_or("Mustertext für den Antrag")
                .chars()
                .take(field.max_len() as usize)
                .collect();
            push(out, name.to_owned(), &text)
        }
        Kind::Number => push(out, name.to_owned(), &field.min.map_or(1.0, |m| m.max(1.0)).to_string()),
        Kind::Date => push(
            out,
            name.to_owned(),
            match field.date {
                Some(DateRule::Past) => "17.05.1980",
                Some(DateRule::Future) => "01.06.2030",
                None => "01.12.2026",
            },
        ),
        Kind::Email => push(out, name.to_owned(), "antrag@example.org"),
        Kind::Phone => push(out, name.to_owned(), "0631 123456"),
        Kind::Iban => push(out, name.to_owned(), "DE89 3704 0044 0532 0130 00"),
        Kind::PostcodeTown | Kind::Address => {
            for (p, v) in [("street", "Marktstraße 1"), ("postcode", "67655"), ("town", "Kaiserslautern")] {
                if field.kind.parts().contains(&p) {
                    push(out, format!("{name}.{p}"), v);
                }
            }
        }
        Kind::Select | Kind::Radio => push(out, name.to_owned(), &field.options[0].value),
        Kind::Checkbox if field.options.is_empty() => push(out, name.to_owned(), "ja"),
        Kind::Checkbox => push(out, name.to_owned(), &field.options[0].value),
        Kind::YesNo => push(out, name.to_owned(), "nein"),
        Kind::File => {}
        Kind::Group => {
            let n = field.min_items.unwrap_or(1).max(1);
            push(out, format!("{name}.count"), &n.to_string());
            for i in 0..n {
                for child in &field.fields {
                    valid_inputs(child, &format!("{name}[{i}].{}", child.id), out);
                }
            }
        }
    }
}

pub(crate) async fn registered<'a>(app: &'a TestApp, host: &str, email: &str) -> TestClient<'a> {
    let mut c = app.client(host);
    let r = c
        .submit(
            "/konto/registrieren",
            "/konto/registrieren",
            &[("email", email), ("password", PASSWORD), ("password_repeat", PASSWORD), ("privacy", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let link = app.mailed_link(email, "/konto/bestaetigen").await;
    let r = c.get(&link).await;
    let token = r.hidden("token").unwrap_or_default();
    let r = c.submit(&link, "/konto/bestaetigen", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    c
}

/// These tests are about applications: the demo tenants' online fees (tests/integration/payments.rs)
/// are switched off, so that every submission files its case at once.
pub(crate) async fn no_fees(app: &TestApp) {
    sqlx::query("delete from service_payment").execute(&app.db.owner().await).await.unwrap_or_else(|e| panic!("{e}"));
}

/// Switches every one of the twelve services on for the tenant (the demo switches on only some).
async fn activate_all(app: &TestApp, tenant: &str) {
    let id = app.tenant_id(tenant).await;
    for slug in FORMS {
        sqlx::query("insert into service_activation (tenant_id, service_slug, seen_version) values ($1, $2, 1) on conflict do nothing")
            .bind(id)
            .bind(slug)
            .execute(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Starts an application; returns the first page's path.
pub(crate) async fn start(c: &mut TestClient<'_>, slug: &str, guest: bool) -> String {
    let page = c.get(&format!("/leistungen/{slug}/antrag")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let mut fields = vec![("_csrf", csrf.as_str())];
    if guest {
        fields.push(("als", "gast"));
    }
    let r = c.post_raw(&format!("/leistungen/{slug}/antrag"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap_or_default().to_owned()
}

/// Fills every visible page with valid answers (attaching a PDF where a file is required) and
/// returns the check page's path.
pub(crate) async fn fill(c: &mut TestClient<'_>, first: &str, schema: &FormSchema) -> String {
    let mut path = first.to_owned();
    for _ in 0..schema.pages.len() {
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
            valid_inputs(f, &f.id, &mut inputs);
        }
        let file_field = spec.fields.iter().find(|f| f.kind == Kind::File && f.show_if.is_none()).map(|f| f.id.clone());
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("_action", "weiter")];
        fields.extend(inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let file = file_field.as_deref().map(|name| (name, "nachweis.pdf", PDF));
        let r = c.post_multipart(&path, &fields, file).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
        path = r.location().unwrap_or_default().to_owned();
    }
    assert!(path.ends_with("/pruefen"), "{path}");
    path
}

pub(crate) async fn submit(c: &mut TestClient<'_>, check: &str) -> (String, portal_tests::TestResponse) {
    let page = c.get(check).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let key = page.hidden("submission_key").unwrap_or_default();
    let action = check.replace("/pruefen", "/absenden");
    let r = c.post_raw(&action, &[("_csrf", &csrf), ("submission_key", &key)]).await;
    (key, r)
}

async fn count_cases(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from case_record").fetch_one(&app.db.owner().await).await.unwrap_or(0)
}

#[tokio::test]
async fn each_of_the_twelve_forms_is_submitted_and_typical_mistakes_are_refused_next_to_the_field() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    activate_all(&app, "kaiserslautern").await;
    let forms = forms();
    let email = unique_email("zwoelf");
    let mut c = registered(&app, HOST, &email).await;
    for slug in FORMS {
        let schema = forms.get(slug).unwrap_or_else(|| panic!("{slug} has no form"));
        let first = start(&mut c, slug, false).await;

        // mistakes on the first page: everything empty, then a wrong postcode, date or e-mail
        let page = c.get(&first).await;
        let csrf = page.hidden("_csrf").unwrap_or_default();
        let r = c.post_multipart(&first, &[("_csrf", &csrf), ("_action", "weiter")], None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{slug}: an empty first page is refused");
        assert!(
            r.body.contains("error-summary")
                && (r.body.contains("Bitte füllen Sie") || r.body.contains("Bitte wählen Sie")),
            "{slug}: {}",
            r.body
        );
        let spec = &schema.pages[0];
        let mut inputs = Vec::new();
        for f in &spec.fields {
            valid_inputs(f, &f.id, &mut inputs);
        }
        let (bad_name, bad_value, expected) =
            if let Some((k, _)) = inputs.iter().find(|(k, _)| k.ends_with(".postcode")) {
                (k.clone(), "6765", "Postleitzahl hat 5 Ziffern")
            } else if let Some(f) = spec.fields.iter().find(|f| f.kind == Kind::Date) {
                (f.id.clone(), "31.02.2019", "gültiges Datum")
            } else if let Some(f) = spec.fields.iter().find(|f| f.kind == Kind::Email) {
                (f.id.clone(), "keine-adresse", "E-Mail-Adresse sein")
            } else {
                let f = spec
                    .fields
                    .iter()
                    .find(|f| f.required && matches!(f.kind, Kind::Select | Kind::Radio | Kind::YesNo))
                    .unwrap_or_else(|| panic!("{slug}: no field to get wrong"));
                (f.id.clone(), "erfunden", "eine der angebotenen Antworten")
            };
        for (k, v) in inputs.iter_mut() {
            if *k == bad_name {
                *v = bad_value.to_owned();
            }
        }
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("_action", "weiter")];
        fields.extend(inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let r = c.post_multipart(&first, &fields, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{slug}");
        assert!(r.body.contains(expected), "{slug}: expected “{expected}” for {bad_name}: {}", r.body);
        // nothing typed is lost: the wrong value is shown back
        assert!(
            r.body.contains(&format!("value=\"{bad_value}\"")) || bad_value == "erfunden",
            "{slug}: the value is kept"
        );

        // then valid answers all the way, and the case is filed
        let check = fill(&mut c, &first, schema).await;
        let (_, r) = submit(&mut c, &check).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{slug}: {}", r.body);
        let done = c.get(r.location().unwrap_or_default()).await;
        assert_eq!(done.status, StatusCode::OK);
        assert!(done.body.contains("Aktenzeichen"), "{slug}");
    }
    assert_eq!(count_cases(&app).await, 12);
    let mine = c.get("/konto/antraege").await;
    assert_eq!(mine.body.matches("/konto/antraege/").count(), 12, "{}", mine.body);
    // the confirmation mails arrive at the SMTP server
    app.deliver_mail().await;
    let mails = mails_for(&email).await;
    assert_eq!(mails.iter().filter(|m| m.subject.contains("ist eingegangen")).count(), 12);
}

#[tokio::test]
async fn a_retried_or_doubled_submission_gives_the_same_case_and_the_profile_prefills_the_form() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let email = unique_email("doppelt");
    let mut c = registered(&app, HOST, &email).await;
    let r = c
        .submit(
            "/konto/profil",
            "/konto/profil",
            &[
                ("given_name", "Erika"),
                ("family_name", "Musterfrau"),
                ("street", "Marktstraße 3"),
                ("postal_code", "67655"),
                ("city", "Kaiserslautern"),
                ("birth_date", "1980-02-29"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = start(&mut c, "meldebescheinigung", false).await;
    let page = c.get(&first).await;
    assert!(
        page.body.contains("value=\"Musterfrau\"")
            && page.body.contains("value=\"29.02.1980\"")
            && page.body.contains("value=\"Marktstraße 3\""),
        "prefilled: {}",
        page.body
    );
    assert!(page.body.contains(&format!("value=\"{email}\"")));
    assert!(page.body.contains("Aus Ihrem Bürgerkonto übernommen"));

    let schema = forms().remove("meldebescheinigung").unwrap_or_else(|| panic!("form"));
    let check = fill(&mut c, &first, &schema).await;
    let (key, r1) = submit(&mut c, &check).await;
    assert_eq!(r1.status, StatusCode::SEE_OTHER);
    // the same post again (a double click, a retried request)
    let page = c.get("/konto").await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r2 = c.post_raw(&check.replace("/pruefen", "/absenden"), &[("_csrf", &csrf), ("submission_key", &key)]).await;
    assert_eq!(r2.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r2.location().map(|l| l.split('?').next().unwrap_or(l).to_owned()),
        r1.location().map(|l| l.split('?').next().unwrap_or(l).to_owned())
    );
    assert_eq!(count_cases(&app).await, 1, "one case, never two");
    // a wrong key is refused
    let r3 = c
        .post_raw(
            &check.replace("/pruefen", "/absenden"),
            &[("_csrf", &csrf), ("submission_key", "00000000-0000-0000-0000-000000000000")],
        )
        .await;
    assert_eq!(r3.status, StatusCode::BAD_REQUEST);
    assert_eq!(count_cases(&app).await, 1);
    // without the CSRF token nothing happens
    let r4 = c.post_raw(&check.replace("/pruefen", "/absenden"), &[("submission_key", &key)]).await;
    assert_eq!(r4.status, StatusCode::FORBIDDEN);
}

/// A guest starts `slug`, gives `email` as their address on the first page and fills the rest;
/// returns the check page's path.
pub(crate) async fn guest_check_page(g: &mut TestClient<'_>, slug: &str, email: &str) -> String {
    let first = start(g, slug, true).await;
    let schema = forms().remove(slug).unwrap_or_else(|| panic!("form"));
    // the valid answers use antrag@example.org; a guest gives their own address
    let page = g.get(&first).await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let mut inputs = Vec::new();
    for f in &schema.pages[0].fields {
        valid_inputs(f, &f.id, &mut inputs);
    }
    for (k, v) in &mut inputs {
        if k == "email" {
            *v = email.to_owned();
        }
    }
    let mut fields: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("_action", "weiter")];
    fields.extend(inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = g.post_multipart(&first, &fields, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    fill(g, r.location().unwrap_or_default(), &schema).await
}

#[tokio::test]
async fn a_guest_applies_with_an_email_address_and_follows_the_case_by_the_mailed_link() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let mut g = app.client(HOST);
    // a service that needs an account offers no guest path
    let page = g.get("/leistungen/gewerbeanmeldung/antrag").await;
    if page.status == StatusCode::OK {
        assert!(!page.body.contains("Ohne Konto fortfahren"));
    }
    let email = unique_email("gast");
    let check = guest_check_page(&mut g, "meldebescheinigung", &email).await;
    let (_, r) = submit(&mut g, &check).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().unwrap_or_default().contains("vorgang="));

    // without the guest cookie the draft is not there
    let mut stranger = app.client(HOST);
    assert_eq!(stranger.get(&check).await.status, StatusCode::NOT_FOUND);

    let link = app.mailed_link(&email, "/vorgang/").await;
    let case = g.get(&link).await;
    assert_eq!(case.status, StatusCode::OK);
    assert!(case.body.contains("Antrag eingegangen"));
    let pdf = g.get(&format!("{link}/quittung.pdf")).await;
    assert_eq!(pdf.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert!(pdf.body.starts_with("%PDF-"));
    // the link means nothing on another tenant's host, nor with one character changed
    assert_eq!(app.get(OTHER_HOST, &link).await.status, StatusCode::NOT_FOUND);
    let mut forged = link.clone();
    let last = forged.pop();
    forged.push(if last == Some('A') { 'B' } else { 'A' });
    assert_eq!(app.get(HOST, &forged).await.status, StatusCode::NOT_FOUND);
}

/// An operator invites the tenant admin; the admin invites a case worker limited to `scope`.
pub(crate) async fn staff<'a>(app: &'a TestApp, scope: &str) -> (TestClient<'a>, TestClient<'a>) {
    let (session, csrf) = app.login_operator().await;
    let tenant = app.tenant_id("kaiserslautern").await;
    let admin_email = unique_email("admin");
    let r = app
        .post_form(
            OPS_HOST,
            &format!("/mandanten/{tenant}/zugang"),
            &[("_csrf", &csrf), ("email", &admin_email), ("display_name", "Anna Admin"), ("role", "tenant_admin")],
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let account = admin_email.clone();
    let accept = |link: String, pw: &'static str| async move {
        let mut c = app.client(HOST);
        let page = c.get(&link).await;
        let token = page.hidden("token").unwrap_or_default();
        let r = c
            .submit(&link, "/verwaltung/einladung", &[("token", &token), ("password", pw), ("password_repeat", pw)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // tenant admins set up their second factor before the first session
        assert!(r.location().is_some_and(|l| l.ends_with("/einrichten")), "{:?}", r.location());
        let r = c.second_step(r, &account).await;
        assert!(c.cookies.contains_key("kp_staff"), "{}", r.body);
        c
    };
    let mut admin = accept(app.mailed_link(&admin_email, "/verwaltung/einladung").await, ADMIN_PW).await;
    let (worker, _) = invite(app, &mut admin, "case_worker", scope).await;
    (admin, worker)
}

/// A member of Kaiserslautern's staff with `role` (and for case workers the services of `scope`),
/// invited by `admin` and logged in through the invitation's link; with the address invited.
pub(crate) async fn invite<'a>(
    app: &'a TestApp,
    admin: &mut TestClient<'_>,
    role: &str,
    scope: &str,
) -> (TestClient<'a>, String) {
    let email = unique_email(role);
    let r = admin
        .submit(
            "/verwaltung/mitarbeitende",
            "/verwaltung/mitarbeitende",
            &[("email", &email), ("display_name", "Carl Case"), ("role", role), ("scope_services", scope)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let link = app.mailed_link(&email, "/verwaltung/einladung").await;
    let mut c = app.client(HOST);
    let page = c.get(&link).await;
    let token = page.hidden("token").unwrap_or_default();
    let r = c
        .submit(
            &link,
            "/verwaltung/einladung",
            &[("token", &token), ("password", WORKER_PW), ("password_repeat", WORKER_PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // a tenant admin sets up the second factor first
    let r = c.second_step(r, &email).await;
    assert!(c.cookies.contains_key("kp_staff"), "{}", r.body);
    (c, email)
}

#[tokio::test]
async fn a_citizen_cannot_open_another_citizens_case_or_attachment_nor_across_tenants() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let mut erika = registered(&app, HOST, &unique_email("erika")).await;
    let case = file_case(&app, &mut erika, "meldebescheinigung").await;
    let file: String =
        sqlx::query_scalar::<_, uuid::Uuid>("select file_id from case_file where case_id = $1::uuid limit 1")
            .bind(&case)
            .fetch_optional(&app.db.owner().await)
            .await
            .ok()
            .flatten()
            .map(|f| f.to_string())
            .unwrap_or_else(|| "00000000-0000-0000-0000-000000000000".to_owned());
    assert_eq!(erika.get(&format!("/konto/antraege/{case}")).await.status, StatusCode::OK);

    let mut max = registered(&app, HOST, &unique_email("max")).await;
    for path in [
        format!("/konto/antraege/{case}"),
        format!("/konto/antraege/{case}/quittung.pdf"),
        format!("/konto/antraege/{case}/datei/{file}"),
    ] {
        assert_eq!(max.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Erika's own session cookie replayed on Düren's host finds nothing there
    let cookie = erika.cookie_header();
    let r = app.get_with(OTHER_HOST, &format!("/konto/antraege/{case}"), &[("cookie", &cookie)]).await;
    assert!(r.status == StatusCode::SEE_OTHER || r.status == StatusCode::NOT_FOUND, "{}", r.status);
    let mut dueren = registered(&app, OTHER_HOST, &unique_email("dueren")).await;
    assert_eq!(dueren.get(&format!("/konto/antraege/{case}")).await.status, StatusCode::NOT_FOUND);
    // nor is anybody's draft reachable by its id
    let draft: uuid::Uuid = sqlx::query_scalar("select draft_id from application_draft limit 1")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(max.get(&format!("/antrag/{draft}/pruefen")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_draft_saved_half_way_is_listed_in_the_account_and_resumed_with_its_answers() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let mut c = registered(&app, HOST, &unique_email("spaeter")).await;
    let first = start(&mut c, "meldebescheinigung", false).await;
    let page = c.get(&first).await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    // half filled, with a mistake: saved anyway
    let r = c
        .post_multipart(
            &first,
            &[
                ("_csrf", &csrf),
                ("_action", "speichern"),
                ("given_name", "Halb"),
                ("family_name", "Fertig"),
                ("address.postcode", "123"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/konto/antraege?hinweis=gespeichert"));
    let list = c.get("/konto/antraege?hinweis=gespeichert").await;
    assert!(
        list.body.contains("Ihr Antrag wurde gespeichert") && list.body.contains("Angefangene Anträge"),
        "{}",
        list.body
    );
    let resume = list
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/antrag/") && h.ends_with("/pruefen"))
        .unwrap_or_default()
        .to_owned();
    let check = c.get(&resume).await;
    assert_eq!(check.status, StatusCode::OK);
    assert!(check.body.contains("Fertig"), "{}", check.body);
    let again = c.get(&first).await;
    assert!(again.body.contains("value=\"Halb\"") && again.body.contains("value=\"123\""), "what was typed is kept");
    // submitting the incomplete draft is refused with the problems, linked to their pages
    let key = check.hidden("submission_key").unwrap_or_default();
    let csrf = check.hidden("_csrf").unwrap_or_default();
    let r = c.post_raw(&resume.replace("/pruefen", "/absenden"), &[("_csrf", &csrf), ("submission_key", &key)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Postleitzahl hat 5 Ziffern") && r.body.contains("/seite/person#f-address-postcode"),
        "{}",
        r.body
    );
    assert_eq!(count_cases(&app).await, 0);
}
