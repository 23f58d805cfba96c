//! print@home documents after the second review (issue 27): the revocation list names no number
//! and a revoked document shows nobody's facts; the check page's verdict in words and colour; the
//! PDF layouts keep text off the QR code; the office's copy of a revoked document says so; an
//! anonymised case's document keeps no token with the holder's facts.

use http::StatusCode;
use portal_tests::{DEMO_DAY, TestApp, TestClient, unique_email};
use uuid::Uuid;

use crate::cases::office::{file_case, staff_post};
use crate::cases::{HOST, no_fees, registered, staff};
use crate::documents::{approve, read_pdf};

/// A parking permit issued to a citizen of Kaiserslautern on approval.
struct Permit<'a> {
    citizen: TestClient<'a>,
    admin: TestClient<'a>,
    case: String,
    doc: Uuid,
    number: String,
    token: String,
}

async fn issued_permit(app: &TestApp) -> Permit<'_> {
    no_fees(app).await;
    let mut citizen = registered(app, HOST, &unique_email("halterin")).await;
    let case = file_case(app, &mut citizen, "bewohnerparkausweis").await;
    let (mut admin, _) = staff(app, "bewohnerparkausweis").await;
    approve(&mut admin, &case).await;
    let (doc, number, token): (Uuid, String, String) =
        sqlx::query_as("select document_id, number, token from document where case_id = $1::uuid")
            .bind(&case)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("the permit is issued on approval: {e}"));
    Permit { citizen, admin, case, doc, number, token }
}

async fn revoke(p: &mut Permit<'_>) {
    let path = format!("/verwaltung/vorgaenge/{}/dokument/{}/widerrufen", p.case, p.doc);
    let r = staff_post(
        &mut p.admin,
        &path,
        &[("revoke_document", &p.doc.to_string()), ("revoke_reason", "Fahrzeug abgemeldet")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// Posts a form of the office's documents page (its CSRF token from the page).
async fn documents_post(admin: &mut TestClient<'_>, path: &str) -> portal_tests::TestResponse {
    let csrf = admin.get("/verwaltung/dokumente").await.hidden("_csrf").unwrap_or_default();
    admin.post_raw(path, &[("_csrf", &csrf)]).await
}

/// Everything the document printed about its holder (every fact's value in both languages) and the
/// applicant's name.
async fn holder_facts(app: &TestApp, doc: Uuid) -> Vec<String> {
    let mut facts: Vec<String> = sqlx::query_scalar(
        "select v from document d, jsonb_array_elements(d.facts) f, lateral (values (f->'value'->>'de'), (f->'value'->>'en')) x(v)
          where d.document_id = $1 and coalesce(v, '') <> ''
         union select c.applicant_name from document d join case_record c on c.case_id = d.case_id where d.document_id = $1",
    )
    .bind(doc)
    .fetch_all(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    facts.sort();
    facts.dedup();
    assert!(facts.len() >= 4, "plate, zone, name, address: {facts:?}");
    facts
}

/// The text a person reads on a page: the tags removed, the common entities decoded.
fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
}

#[tokio::test]
async fn the_revocation_list_names_no_number_and_a_revoked_documents_number_shows_none_of_its_holders_facts() {
    let app = TestApp::spawn_at(DEMO_DAY).await;
    let mut p = issued_permit(&app).await;
    let facts = holder_facts(&app, p.doc).await;
    revoke(&mut p).await;

    let list = app.get(HOST, "/pruefen/widerrufen.json").await;
    assert_eq!(list.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&list.body).unwrap_or_else(|e| panic!("{e}: {}", list.body));
    let published: Vec<&str> = json["revoked"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["token_sha256"].as_str()).collect())
        .unwrap_or_default();
    // no entry is the SHA-256 of any number issued (computed by the database, not by the code under test)
    let owner = app.db.owner().await;
    let number_hashes: Vec<String> =
        sqlx::query_scalar("select encode(sha256(convert_to(number, 'UTF8')), 'hex') from document")
            .fetch_all(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(!number_hashes.is_empty());
    for h in &number_hashes {
        assert!(!list.body.contains(h.as_str()), "a number's hash is published: {}", list.body);
    }
    assert!(!list.body.contains(&p.number), "nor the number");
    // the revoked token is found by the SHA-256 of its bytes
    let fingerprint: String = sqlx::query_scalar("select encode(sha256(decode(translate($1, '-_', '+/') || repeat('=', (4 - length($1) % 4) % 4), 'base64')), 'hex')")
        .bind(&p.token)
        .fetch_one(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(published, vec![fingerprint.as_str()], "{}", list.body);

    // looked up by its number, the revoked permit says so and shows nothing about its holder
    let page = app.get(HOST, &format!("/pruefen?nummer={}", p.number)).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = text_of(&page.body);
    assert!(text.contains("Echt · widerrufen") && text.contains(&p.number), "{text}");
    for fact in &facts {
        assert!(!text.contains(fact.as_str()), "{fact} shown for a revoked number: {text}");
    }
    // nor through the QR code's link
    let page = app.get(HOST, &format!("/pruefen/{}", p.token)).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = text_of(&page.body);
    assert!(text.contains("Echt · widerrufen"), "{text}");
    for fact in &facts {
        assert!(!text.contains(fact.as_str()), "{fact} shown for a revoked token: {text}");
    }
}

#[tokio::test]
async fn the_key_set_names_each_keys_state_and_a_withdrawn_key_is_replaced_erased_and_named_withdrawn() {
    let app = TestApp::spawn_at(DEMO_DAY).await;
    let mut p = issued_permit(&app).await;
    let set = |body: &str| serde_json::from_str::<serde_json::Value>(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let keys = app.get(HOST, "/pruefen/schluessel.json").await;
    assert_eq!(keys.status, StatusCode::OK);
    let before = set(&keys.body);
    assert_eq!(before["keys"][0]["state"], "current", "{before}");
    let kid = before["keys"][0]["kid"].as_str().unwrap_or_default().to_owned();
    assert_eq!(kid.len(), 16);

    // the office withdraws the current key: a new one signs from now on, the old one is named withdrawn
    let page = p.admin.get("/verwaltung/dokumente").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("Schlüssel {kid} zurückziehen")), "{}", page.body);
    let r = documents_post(&mut p.admin, &format!("/verwaltung/dokumente/schluessel/{kid}/zurueckziehen")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = set(&app.get(HOST, "/pruefen/schluessel.json").await.body);
    let states: Vec<(String, String)> = after["keys"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|k| {
                    (
                        k["kid"].as_str().unwrap_or_default().to_owned(),
                        k["state"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(states.len(), 2, "{after}");
    assert_eq!(states[0].1, "current");
    assert_ne!(states[0].0, kid, "a new current key");
    assert_eq!(states[1], (kid.clone(), "withdrawn".to_owned()));
    assert!(after["keys"][1]["withdrawn"].is_number(), "{after}");
    let owner = app.db.owner().await;
    let erased: i32 =
        sqlx::query_scalar("select octet_length(private_sealed) from document_key where encode(kid, 'hex') = $1")
            .bind(&kid)
            .fetch_one(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(erased, 0, "the private half is erased");
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'document.key_withdraw' and object = $1")
            .bind(&kid)
            .fetch_one(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(audited, 1);
    let page = p.admin.get("/verwaltung/dokumente").await;
    assert!(text_of(&page.body).contains("zurückgezogen am"), "{}", page.body);
    // withdrawing it again changes nothing; an unknown key id is not found
    let r = documents_post(&mut p.admin, &format!("/verwaltung/dokumente/schluessel/{kid}/zurueckziehen")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = documents_post(&mut p.admin, "/verwaltung/dokumente/schluessel/zz/zurueckziehen").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // online the register decides: what the withdrawn key signed still checks as issued
    let check = app.get(HOST, &format!("/pruefen/{}", p.token)).await;
    assert!(text_of(&check.body).contains("Echt · gültig"), "{}", check.body);

    // the offline check page hands its script the texts for an unknown revocation state and a withdrawn key
    let offline = app.get(HOST, "/pruefen/offline").await;
    assert_eq!(offline.status, StatusCode::OK);
    assert!(
        offline.body.contains("Widerruf nicht geprüft — bitte online prüfen")
            && offline.body.contains("Schlüssel zurückgezogen — bitte online prüfen"),
        "{}",
        offline.body
    );
    let english = app.get_with(HOST, "/pruefen/offline", &[("accept-language", "en")]).await;
    assert!(english.body.contains("Revocation not checked — please check online"), "{}", english.body);
}

/// The badges of a page: (kind, words), e.g. ("danger", "widerrufen").
fn badges(html: &str) -> Vec<(String, String)> {
    html.split("kern-badge kern-badge--")
        .skip(1)
        .map(|rest| {
            let kind: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            let inner = rest.split_once('>').map_or("", |(_, r)| r);
            let words = text_of(inner.split("</span></span>").next().unwrap_or_default());
            (kind, words.trim().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_check_pages_verdict_says_valid_or_revoked_in_the_readers_language_in_its_colour() {
    let app = TestApp::spawn_at(DEMO_DAY).await;
    let mut p = issued_permit(&app).await;
    for path in [format!("/pruefen/{}", p.token), format!("/pruefen?nummer={}", p.number)] {
        let page = app.get(HOST, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(badges(&page.body), vec![("success".to_owned(), "gültig".to_owned())], "{path}: {}", page.body);
        let english = app.get_with(HOST, &path, &[("accept-language", "en")]).await;
        assert_eq!(badges(&english.body), vec![("success".to_owned(), "valid".to_owned())], "{path}");
        for word in ["success", "danger"] {
            assert!(!text_of(&page.body).contains(word), "{path}: the badge's kind is not its text");
        }
    }
    let holder = p.citizen.get(&format!("/konto/antraege/{}", p.case)).await;
    assert!(
        badges(&holder.body).contains(&("success".to_owned(), "gültig".to_owned())),
        "the holder's case page: {}",
        holder.body
    );
    assert!(!text_of(&holder.body).contains("success"));
    revoke(&mut p).await;
    for path in [format!("/pruefen/{}", p.token), format!("/pruefen?nummer={}", p.number)] {
        let page = app.get(HOST, &path).await;
        assert_eq!(badges(&page.body), vec![("danger".to_owned(), "widerrufen".to_owned())], "{path}: {}", page.body);
        let english = app.get_with(HOST, &path, &[("accept-language", "en")]).await;
        assert_eq!(badges(&english.body), vec![("danger".to_owned(), "revoked".to_owned())], "{path}");
        assert!(!text_of(&page.body).contains("danger"), "{path}");
    }
    let office = p.admin.get(&format!("/verwaltung/vorgaenge/{}", p.case)).await;
    assert_eq!(office.status, StatusCode::OK);
    assert!(badges(&office.body).contains(&("danger".to_owned(), "widerrufen".to_owned())), "{}", office.body);
    let holder = p.citizen.get(&format!("/konto/antraege/{}", p.case)).await;
    assert_eq!(holder.status, StatusCode::OK);
    assert!(badges(&holder.body).contains(&("danger".to_owned(), "widerrufen".to_owned())), "{}", holder.body);
    assert!(!text_of(&holder.body).contains("danger"));
}

#[tokio::test]
async fn the_offices_copy_of_a_revoked_document_says_on_the_sheet_that_and_when_it_was_revoked() {
    let app = TestApp::spawn_at(DEMO_DAY).await;
    let mut p = issued_permit(&app).await;
    let path = format!("/verwaltung/vorgaenge/{}/dokument/{}", p.case, p.doc);
    let before = p.admin.get(&path).await;
    assert_eq!(before.status, StatusCode::OK);
    let (text, _, _) = read_pdf(&before.bytes);
    assert!(text.contains("Bewohnerparkausweis") && !text.contains("Widerrufen"), "{text}");

    revoke(&mut p).await;
    let after = p.admin.get(&path).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(
        after
            .headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("-widerrufen.pdf"))
    );
    // read by poppler as a person would read it: the date and the reason (the stamp across the
    // page is checked in the layout's unit test: poppler reads slanted letters one by one)
    let (text, _, qr) = read_pdf(&after.bytes);
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("Widerrufen am 07.12.2026. Grund: Fahrzeug abgemeldet. Dieses Dokument ist nicht mehr gültig"),
        "the date and the reason: {words}"
    );
    assert!(qr.ends_with(&p.token), "the code still leads to the check, which says revoked");
    assert_ne!(before.bytes, after.bytes, "not the same file as before");
    // the holder gets nothing any more
    let holder = p.citizen.get(&path.replace("/verwaltung/vorgaenge", "/konto/antraege")).await;
    assert_eq!(holder.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_anonymised_cases_document_keeps_no_token_and_its_printed_code_still_checks() {
    let app = TestApp::spawn_at(DEMO_DAY).await;
    let mut p = issued_permit(&app).await;
    let owner = app.db.owner().await;
    sqlx::query("update case_record set anonymised_at = now() where case_id = $1::uuid")
        .bind(&p.case)
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    portal_server::flows::retention::run_once(&app.state.db).await.unwrap_or_else(|e| panic!("{e}"));
    let (token, fingerprint): (Option<String>, String) =
        sqlx::query_as("select token, token_sha256 from document where document_id = $1")
            .bind(p.doc)
            .fetch_one(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(token, None, "the token with the holder's facts is gone");
    assert_eq!(fingerprint.len(), 64, "its fingerprint stays");
    // nothing of the token is anywhere in the document's row
    let row: String = sqlx::query_scalar("select row_to_json(d)::text from document d where document_id = $1")
        .bind(p.doc)
        .fetch_one(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!row.contains(&p.token[..40]), "{row}");
    // the code printed on the holder's paper still checks as genuine
    let page = app.get(HOST, &format!("/pruefen/{}", p.token)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text_of(&page.body).contains("Echt · gültig"), "{}", page.body);
    // the office has no sheet left to print
    let r = p.admin.get(&format!("/verwaltung/vorgaenge/{}/dokument/{}", p.case, p.doc)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // the database refuses a token-less document that is not anonymised
    let refused = sqlx::query("update document set token = null, anonymised_at = null where document_id = $1")
        .bind(p.doc)
        .execute(&owner)
        .await
        .err()
        .and_then(|e| e.as_database_error().and_then(|d| d.constraint().map(str::to_owned)));
    assert_eq!(refused.as_deref(), Some("document_token_check"));
}
