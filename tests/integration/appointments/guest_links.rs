//! A guest's booking: the mail with the calendar file, and managing it by its link only on its own host.

use super::*;

/// Books the first free Bürgercenter slot for a Personalausweis as a guest; returns the manage
/// path from the mail and the mail's address.
async fn guest_books(app: &TestApp, c: &mut TestClient<'_>) -> (String, String) {
    let mut tx =
        app.state.db.tenant(TenantId(app.tenant_id("kaiserslautern").await)).await.unwrap_or_else(|e| panic!("{e}"));
    let loc = repo::locations(&mut tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|l| l.name == "Bürgercenter")
        .map(|l| l.id)
        .unwrap_or_default();
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let page = c.get(&format!("/termine/buchen?ort={loc}&dienst=personalausweis&personen=2")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // the page names the next free slot and links its day
    let day_link = page
        .body
        .split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap_or_default().replace("&amp;", "&"))
        .find(|h| h.contains("&tag="))
        .unwrap_or_else(|| panic!("no day link: {}", page.body));
    let day = c.get(&day_link).await;
    let start = day
        .body
        .split("name=\"start\"")
        .nth(1)
        .and_then(|s| s.split("value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no time: {}", day.body))
        .to_owned();
    let csrf = day.hidden("_csrf").unwrap_or_default();
    let held = c
        .post_raw(
            "/termine/buchen",
            &[
                ("_csrf", &csrf),
                ("ort", &loc.to_string()),
                ("dienst", "personalausweis"),
                ("personen", "2"),
                ("start", &start),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    let held_path = held.location().unwrap_or_default().to_owned();
    assert!(held_path.starts_with("/termine/reservierung/"), "{held_path}");
    // a bad address keeps what was typed and says what is wrong, next to the field
    let bad = c
        .submit(
            &held_path,
            &held_path,
            &[("name", "Erika Mustermann"), ("email", "keine-adresse"), ("phone", "0631 123")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Erika Mustermann") && bad.body.contains("gültige E-Mail-Adresse"), "{}", bad.body);
    let email = unique_email("guest");
    let csrf = bad.hidden("_csrf").unwrap_or_default();
    let fields =
        [("_csrf", csrf.as_str()), ("name", "Erika Mustermann"), ("email", email.as_str()), ("phone", "0631 123")];
    let done = c.post_raw(&held_path, &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // the form posted again (a retried request) books nothing more and sends no second mail
    let again = c.post_raw(&held_path, &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(again.location(), done.location());
    let link = app.mailed_link(&email, "/termine/verwalten/").await;
    (link, email)
}

#[tokio::test]
async fn a_guest_books_gets_the_mail_with_the_calendar_file_and_manages_it_only_on_its_own_host() {
    let app = TestApp::spawn_at(ORDINARY_DAY).await;
    let mut c = app.client(HOST);
    let (link, email) = guest_books(&app, &mut c).await;
    let mails = mails_for(&email).await;
    assert_eq!(mails.len(), 1, "one confirmation, however often the form was posted");
    let ics = mails[0]
        .attachments
        .iter()
        .find(|a| a.filename == "termin.ics")
        .unwrap_or_else(|| panic!("no .ics: {:?}", mails[0]));
    assert!(ics.content_type.starts_with("text/calendar"), "{}", ics.content_type);
    assert!(
        ics.content.contains("TZID:Europe/Berlin") && ics.content.contains("DTSTART;TZID=Europe/Berlin:"),
        "{}",
        ics.content
    );
    let parsed: Result<icalendar::Calendar, _> = ics.content.parse();
    assert!(parsed.is_ok(), "{parsed:?}");
    // the booking number as a QR code, shown in the mail's HTML for the front desk's scanner
    let qr = mails[0]
        .attachments
        .iter()
        .find(|a| a.filename == "buchung-qr")
        .unwrap_or_else(|| panic!("no QR code: {:?}", mails[0].attachments));
    assert_eq!(qr.content_type, "image/png");
    assert!(qr.content.starts_with("iVBORw0KGgo"), "a PNG in base64: {}", &qr.content[..qr.content.len().min(20)]);

    let page = c.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Bürgercenter") && page.body.contains("gebucht"), "{}", page.body);
    assert_eq!(page.headers.get("referrer-policy").and_then(|v| v.to_str().ok()), Some("same-origin"));
    // the same secret on another tenant's host is worthless
    let mut other = app.client(OTHER_HOST);
    assert_eq!(other.get(&link).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("{link}/termin.ics")).await.status, StatusCode::NOT_FOUND);
    // a guessed secret too
    assert_eq!(
        c.get("/termine/verwalten/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await.status,
        StatusCode::NOT_FOUND
    );
    // cancelling needs the form's token
    assert_eq!(c.post_raw(&format!("{link}/absagen"), &[]).await.status, StatusCode::FORBIDDEN);
    let r = c.submit(&link, &format!("{link}/absagen"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(c.get(&link).await.body.contains("abgesagt"));
    app.deliver_mail().await;
    let mails = mails_for(&email).await;
    assert!(mails.iter().any(|m| m.subject.starts_with("Termin abgesagt")), "{mails:?}");
}
