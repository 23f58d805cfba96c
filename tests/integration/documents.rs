//! print@home documents in-process: issuing on approval (once), the PDF (its text, its QR code read
//! back by a real decoder (ZBar) from the page rendered by poppler, its tags), who may download it, the check page's
//! states, the key set and revocations, revocation by the office, renewal with prefill and
//! continued validity, and the reminder before the end.

use std::process::Command;

use http::StatusCode;
use portal_tests::{TestApp, TestClient, mails_for, unique_email};

use crate::cases::office::{file_case, staff_post};
use crate::cases::{HOST, OTHER_HOST, forms, no_fees, registered, staff, submit, valid_inputs};

async fn scalar<T>(app: &TestApp, sql: &str, bind: &str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    sqlx::query_scalar(sql).bind(bind).fetch_one(&app.db.owner().await).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub(crate) async fn approve(admin: &mut TestClient<'_>, case: &str) {
    let base = format!("/verwaltung/vorgaenge/{case}");
    for step in ["in_review", "approved"] {
        let r = staff_post(admin, &format!("{base}/status"), &[("choice", step), ("text", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{step}: {}", r.body);
    }
}

/// The PDF's text (poppler's pdftotext), its structure (pdfinfo) and its QR code as read by ZBar
/// from the page rendered by pdftoppm.
pub(crate) fn read_pdf(bytes: &[u8]) -> (String, String, String) {
    let dir = std::env::temp_dir().join(format!("kp-doc-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let file = dir.join("d.pdf");
    std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("{e}"));
    let run = |cmd: &str, args: &[&str]| {
        let out = Command::new(cmd)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{cmd} (poppler-utils and zbar-tools, installed by the test script): {e}"));
        assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let path = file.to_string_lossy().into_owned();
    let text = run("pdftotext", &[&path, "-"]);
    let info = run("pdfinfo", &["-struct-text", &path]);
    // rendered as a print would be, then read by a real decoder (ZBar)
    let prefix = dir.join("page").to_string_lossy().into_owned();
    run("pdftoppm", &["-r", "200", "-gray", "-singlefile", &path, &prefix]);
    let decoded = run("zbarimg", &["-q", "--raw", &format!("{prefix}.pgm")]);
    let found: Vec<&str> = decoded.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(found.len(), 1, "one QR code on the page");
    let content = found[0].to_owned();
    let _ = std::fs::remove_dir_all(&dir);
    (text, info, content)
}

#[tokio::test]
async fn a_permit_is_issued_once_on_approval_downloaded_by_its_holder_checked_revoked_and_renewed() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let email = unique_email("parkerin");
    let mut citizen = registered(&app, HOST, &email).await;
    let case = file_case(&app, &mut citizen, "bewohnerparkausweis").await;
    let (mut admin, _) = staff(&app, "bewohnerparkausweis").await;
    let view = admin.get(&format!("/verwaltung/vorgaenge/{case}")).await;
    assert!(view.body.contains("ausgestellt werden, sobald"), "no document before approval: {}", view.status);
    approve(&mut admin, &case).await;

    // issued by itself, once; a retried issue changes nothing
    let count = || scalar::<i64>(&app, "select count(*) from document where case_id = $1::uuid", &case);
    assert_eq!(count().await, 1);
    let r = staff_post(&mut admin, &format!("/verwaltung/vorgaenge/{case}/dokument-ausstellen"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count().await, 1, "still one document");
    let doc: uuid::Uuid = scalar(&app, "select document_id from document where case_id = $1::uuid", &case).await;
    let number: String = scalar(&app, "select number from document where case_id = $1::uuid", &case).await;
    let link = app.mailed_link(&email, &format!("/konto/antraege/{case}")).await;
    assert!(link.contains(&case));
    assert!(mails_for(&email).await.iter().any(|m| m.text.contains(&number)), "the mail names the document");

    // the holder downloads it from the case page and the account
    let page = citizen.get(&format!("/konto/antraege/{case}")).await;
    let pdf_path = format!("/konto/antraege/{case}/dokument/{doc}");
    assert!(page.body.contains(&pdf_path), "{}", page.body);
    let mine = citizen.get("/konto/dokumente").await;
    assert!(mine.body.contains(&number) && mine.body.contains("verlängern"));
    let pdf = citizen.get(&pdf_path).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let (text, info, qr) = read_pdf(&pdf.bytes);
    let plate: String = scalar(&app, "select answers->>'plate' from case_record where case_id = $1::uuid", &case).await;
    for fact in ["Bewohnerparkausweis", number.as_str(), plate.as_str(), "Zone A – Innenstadt", "Stadt Kaiserslautern"]
    {
        assert!(text.contains(fact), "{fact} in the text: {text}");
    }
    for tag in ["Document", "H1", "Table", "TH", "TD", "Figure"] {
        assert!(info.contains(tag), "{tag} in the structure: {info}");
    }
    let token = qr.rsplit('/').next().unwrap_or_default().to_owned();
    assert!(qr.starts_with("http://kaiserslautern.localhost") && qr.contains("/pruefen/"), "{qr}");
    let card = citizen.get(&format!("{pdf_path}?format=karte")).await;
    assert!(read_pdf(&card.bytes).0.contains(&plate), "the windscreen card");

    // the check page: genuine and valid, with only the check's facts
    let check = app.get(HOST, &format!("/pruefen/{token}")).await;
    assert_eq!(check.status, StatusCode::OK);
    assert!(
        check.body.contains("Echt · gültig") && check.body.contains(&plate) && check.body.contains(&number),
        "{}",
        check.body
    );
    let name: String = scalar(&app, "select applicant_name from case_record where case_id = $1::uuid", &case).await;
    assert!(!check.body.contains(&name), "no name on the check of a permit");
    let by_number = app.get(HOST, &format!("/pruefen?nummer={}", number.to_lowercase())).await;
    assert!(by_number.body.contains("Echt · gültig"), "by number, any case");
    assert_eq!(app.get(HOST, "/pruefen?nummer=BPA-2026-AAAA-AAAA").await.status, StatusCode::NOT_FOUND);
    let mut forged = token.clone().into_bytes();
    let i = forged.len() / 2;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap_or_default();
    let r = app.get(HOST, &format!("/pruefen/{forged}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Nicht echt"));
    // another tenant's host has no key for it
    assert!(app.get(OTHER_HOST, &format!("/pruefen/{token}")).await.body.contains("Nicht echt"));
    let keys = app.get(HOST, "/pruefen/schluessel.json").await;
    let set: serde_json::Value = serde_json::from_str(&keys.body).unwrap_or_default();
    assert_eq!(set["keys"][0]["crv"], "Ed25519");
    assert!(
        app.get(OTHER_HOST, "/pruefen/schluessel.json").await.body.contains("\"keys\":[]"),
        "Düren has issued nothing"
    );

    // the tenant's own key signing what the register does not hold is refused online (a leaked key
    // cannot mint numbers or change facts); the register's own token with other dates says
    // expired / not yet valid
    let tenant = portal_domain::TenantId(app.tenant_id("kaiserslautern").await);
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let key =
        portal_documents::keys::current(&mut tx, &app.state.documents.sealer).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let today = time::OffsetDateTime::now_utc().date();
    let sign = |number: &str, from: time::Date, until: time::Date, plate: &str| {
        let claims = portal_documents::Claims {
            kind: portal_documents::Kind::ParkingPermit,
            number: number.to_owned(),
            valid_from: from,
            valid_until: until,
            facts: vec![
                (portal_documents::Fact::Plate, plate.to_owned()),
                (portal_documents::Fact::Zone, "Zone A – Innenstadt".to_owned()),
            ],
        };
        portal_documents::token::sign(&key, &claims).unwrap_or_else(|e| panic!("{e}"))
    };
    let minted = sign("BPA-2026-ZZZZ-ZZZZ", today, today + time::Duration::days(300), "KL-XX 1");
    assert!(
        app.get(HOST, &format!("/pruefen/{minted}")).await.body.contains("Nicht echt"),
        "a number the register does not know"
    );
    let altered = sign(&number, today, today + time::Duration::days(300), "KL-XX 1");
    assert!(
        app.get(HOST, &format!("/pruefen/{altered}")).await.body.contains("Nicht echt"),
        "a known number with other facts"
    );
    let owner = app.db.owner().await;
    // the register's token (and its fingerprint) and validity, as if issued with other dates
    let (issued_from, issued_until): (time::Date, time::Date) =
        sqlx::query_as("select valid_from, valid_until from document where document_id = $1")
            .bind(doc)
            .fetch_one(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let set_register = |t: String, from: time::Date, until: time::Date| {
        let owner = owner.clone();
        async move {
            sqlx::query(
                "update document set token = $2, valid_from = $3, valid_until = $4,
                        token_sha256 = encode(sha256(decode(translate($2, '-_', '+/') || repeat('=', (4 - length($2) % 4) % 4), 'base64')), 'hex')
                  where document_id = $1",
            )
            .bind(doc)
            .bind(&t)
            .bind(from)
            .bind(until)
            .execute(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        }
    };
    for (from, until, expect) in [
        (today - time::Duration::days(400), today - time::Duration::days(35), "Echt · abgelaufen"),
        (today + time::Duration::days(3), today + time::Duration::days(300), "Echt · noch nicht gültig"),
    ] {
        let t = sign(&number, from, until, &plate);
        set_register(t.clone(), from, until).await;
        assert!(app.get(HOST, &format!("/pruefen/{t}")).await.body.contains(expect), "{expect}");
    }
    set_register(token.clone(), issued_from, issued_until).await;

    // nobody else downloads it: another citizen, another tenant's host, a made-up case
    let mut other = registered(&app, HOST, &unique_email("nachbar")).await;
    assert_eq!(other.get(&pdf_path).await.status, StatusCode::NOT_FOUND);
    let mut elsewhere = registered(&app, OTHER_HOST, &unique_email("dueren")).await;
    assert_eq!(elsewhere.get(&pdf_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        citizen.get(&format!("/konto/antraege/{}/dokument/{doc}", uuid::Uuid::new_v4())).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get(&format!("/verwaltung/vorgaenge/{case}/dokument/{doc}")).await.status,
        StatusCode::OK,
        "the office"
    );

    // renewal: prefilled from the permit and the account, validity continues, the old one is superseded
    let mine = citizen.get("/konto/dokumente").await;
    let csrf = mine.hidden("_csrf").unwrap_or_default();
    let r = citizen.post_raw(&format!("/konto/dokumente/{doc}/verlaengern"), &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = r.location().unwrap_or_default().to_owned();
    let page = citizen.get(&first).await;
    assert!(page.body.contains(&number) && page.body.contains(&plate), "prefilled: {}", page.body);
    let schema = forms().remove("bewohnerparkausweis-verlaengern").unwrap_or_else(|| panic!("renewal form"));
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = citizen
        .post_multipart(
            &first,
            &[("_csrf", &csrf), ("_action", "weiter"), ("previous_number", &number), ("plate", &plate), ("zone", "a")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let second = r.location().unwrap_or_default().to_owned();
    let page = citizen.get(&second).await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let mut inputs = Vec::new();
    for f in &schema.pages[1].fields {
        valid_inputs(f, &f.id, &mut inputs);
    }
    let mut fields: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("_action", "weiter")];
    fields.extend(inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = citizen.post_multipart(&second, &fields, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (_, r) = submit(&mut citizen, r.location().unwrap_or_default()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let renewal: String = scalar(
        &app,
        "select case_id::text from case_record where service_slug = $1 order by submitted_at desc limit 1",
        "bewohnerparkausweis-verlaengern",
    )
    .await;
    approve(&mut admin, &renewal).await;
    let (from, old_until): (time::Date, time::Date) = sqlx::query_as("select n.valid_from, o.valid_until from document n join document o on o.document_id = n.renews where n.case_id = $1::uuid")
        .bind(&renewal)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("the renewal renews the permit: {e}"));
    assert_eq!(from, old_until.next_day().unwrap_or(old_until), "the new validity continues from the old end");
    let superseded: Option<uuid::Uuid> =
        scalar(&app, "select superseded_by from document where document_id = $1::uuid", &doc.to_string()).await;
    assert!(superseded.is_some());

    // revocation: a reason is required, the holder is told, the check says so, the PDF is gone
    let revoke = format!("/verwaltung/vorgaenge/{case}/dokument/{doc}/widerrufen");
    let r = staff_post(&mut admin, &revoke, &[("revoke_document", &doc.to_string()), ("revoke_reason", "kurz")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("10 bis 500 Zeichen"), "the error next to the field");
    let r = staff_post(
        &mut admin,
        &revoke,
        &[("revoke_document", &doc.to_string()), ("revoke_reason", "Umzug aus der Parkzone gemeldet")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.deliver_mail().await;
    assert!(
        mails_for(&email).await.iter().any(|m| m.text.contains("Umzug aus der Parkzone")),
        "the holder is told why"
    );
    let check = app.get(HOST, &format!("/pruefen/{token}")).await;
    assert!(check.body.contains("Echt · widerrufen"), "{}", check.body);
    let revoked = app.get(HOST, "/pruefen/widerrufen.json").await;
    let fingerprint: String = scalar(&app, "select token_sha256 from document where number = $1", &number).await;
    assert!(
        revoked.body.contains(&fingerprint) && !revoked.body.contains(&number),
        "the token's fingerprint, not the number"
    );
    assert_eq!(citizen.get(&pdf_path).await.status, StatusCode::NOT_FOUND, "a revoked document is not handed out");
    let audit: i64 =
        scalar(&app, "select count(*) from audit_log where action = 'document.revoke' and object = $1", &number).await;
    assert_eq!(audit, 1);

    // rotation: a new key signs from now on, the old one stays in the set and keeps verifying
    let csrf = admin.get("/verwaltung/dokumente").await.hidden("_csrf").unwrap_or_default();
    let r = admin.post_raw("/verwaltung/dokumente/schluessel", &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set: serde_json::Value =
        serde_json::from_str(&app.get(HOST, "/pruefen/schluessel.json").await.body).unwrap_or_default();
    assert_eq!(set["keys"].as_array().map(Vec::len), Some(2));
    assert!(set["keys"][1]["retired"].is_number() && set["keys"][0]["retired"].is_null(), "current first: {set}");
    assert!(
        app.get(HOST, &format!("/pruefen/{token}")).await.body.contains("Echt · widerrufen"),
        "the old key still verifies"
    );
    let renewed: String = scalar(&app, "select token from document where case_id = $1::uuid", &renewal).await;
    assert!(app.get(HOST, &format!("/pruefen/{renewed}")).await.body.contains("Echt"), "signed before the rotation");
}

#[tokio::test]
async fn the_office_issues_a_guests_certificate_which_only_its_link_downloads_and_the_reminder_goes_once() {
    let app = TestApp::spawn_at(time::macros::datetime!(2027-03-02 09:00 +01:00)).await;
    no_fees(&app).await;
    let email = unique_email("gast");
    let mut guest = app.client(HOST);
    let check = crate::cases::guest_check_page(&mut guest, "meldebescheinigung", &email).await;
    let (_, r) = submit(&mut guest, &check).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let case: String = scalar(
        &app,
        "select case_id::text from case_record where service_slug = $1 order by submitted_at desc limit 1",
        "meldebescheinigung",
    )
    .await;
    let (mut admin, mut worker) = staff(&app, "meldebescheinigung").await;
    approve(&mut admin, &case).await;
    assert_eq!(
        scalar::<i64>(&app, "select count(*) from document where case_id = $1::uuid", &case).await,
        0,
        "not issued by itself"
    );
    let r = staff_post(&mut admin, &format!("/verwaltung/vorgaenge/{case}/dokument-ausstellen"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let doc: String = scalar(&app, "select document_id::text from document where case_id = $1::uuid", &case).await;
    let link = app.mailed_link(&email, "/vorgang/").await;
    let token = link.rsplit("/vorgang/").next().unwrap_or_default().to_owned();
    let pdf = guest.get(&format!("/vorgang/{token}/dokument/{doc}")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    let (text, _, qr) = read_pdf(&pdf.bytes);
    assert!(text.contains("Meldebescheinigung"));
    let check = app.get(HOST, &format!("/pruefen/{}", qr.rsplit('/').next().unwrap_or_default())).await;
    assert!(check.body.contains("Echt · gültig") && check.body.contains("Geburtsdatum"), "{}", check.body);
    // another guest link, or the right one on another tenant's host: nothing
    let wrong = format!("/vorgang/{}/dokument/{doc}", "x".repeat(43));
    assert_eq!(guest.get(&wrong).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(OTHER_HOST, &format!("/vorgang/{token}/dokument/{doc}")).await.status, StatusCode::NOT_FOUND);

    // the reminder: none for guests (no account); an account holder's permit ending soon gets one, once
    let mut citizen = registered(&app, HOST, &unique_email("erinnerung")).await;
    let case = file_case(&app, &mut citizen, "bewohnerparkausweis").await;
    approve(&mut admin, &case).await;
    // a case worker for Meldebescheinigungen neither lists nor downloads the permit
    let permit: String = scalar(&app, "select number from document where case_id = $1::uuid", &case).await;
    let permit_id: String =
        scalar(&app, "select document_id::text from document where case_id = $1::uuid", &case).await;
    let list = worker.get("/verwaltung/dokumente").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains(&permit), "out of scope");
    assert_eq!(
        worker.get(&format!("/verwaltung/vorgaenge/{case}/dokument/{permit_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(admin.get("/verwaltung/dokumente").await.body.contains(&permit), "the admin sees it");
    // both documents end in ten days (12 March 2027, the clock stands at 2 March)
    sqlx::query(
        "update document set valid_until = date '2027-03-12' where case_id = $1::uuid or document_id = $2::uuid",
    )
    .bind(&case)
    .bind(&doc)
    .execute(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        portal_server::documents::run_jobs_once(&app.state).await.unwrap_or_else(|e| panic!("{e}")),
        1,
        "the account holder's permit only"
    );
    assert_eq!(portal_server::documents::run_jobs_once(&app.state).await.unwrap_or_else(|e| panic!("{e}")), 0, "once");
    app.deliver_mail().await;
    let reminders = |to: String| async move {
        mails_for(&to).await.into_iter().filter(|m| m.subject.contains("endet am 12.03.2027")).count()
    };
    let holder: String = scalar(&app, "select a.email from citizen_account a join case_record c on c.citizen_id = a.citizen_id where c.case_id = $1::uuid", &case).await;
    assert_eq!(reminders(holder).await, 1, "one reminder to the permit's holder");
    assert_eq!(reminders(email.clone()).await, 0, "none to the guest");

    // an anonymised case's document keeps nothing about the person; a valid permit keeps plate and zone
    let owner = app.db.owner().await;
    sqlx::query("update case_record set anonymised_at = now() where case_id in ($1::uuid, (select case_id from document where document_id = $2::uuid))")
        .bind(&case)
        .bind(&doc)
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    portal_server::flows::retention::run_once(&app.state.db).await.unwrap_or_else(|e| panic!("{e}"));
    let certificate: String = scalar(&app, "select facts::text from document where document_id = $1::uuid", &doc).await;
    assert_eq!(certificate, "[]", "nothing of the Meldebescheinigung's holder is left");
    let permit_facts: String = scalar(&app, "select facts::text from document where case_id = $1::uuid", &case).await;
    assert!(permit_facts.contains("plate") && !permit_facts.contains("\"name\""), "{permit_facts}");
}
