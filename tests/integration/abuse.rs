//! What an anonymous visitor can make the server do: uploads are checked before their bytes are
//! read and streamed with their field's limit, and guests, mails and the console login are rate
//! limited.

use http::StatusCode;
use portal_tests::{TestApp, unique_email};

use super::cases::{HOST, PDF, guest_check_page, no_fees, start, submit};

/// A multipart body with a file part of `size` bytes (never a real file: zeros after a PDF head).
fn big_file(size: usize) -> Vec<u8> {
    let mut bytes = PDF.to_vec();
    bytes.resize(size, b'0');
    bytes
}

#[tokio::test]
async fn an_anonymous_upload_is_refused_before_its_file_is_read_and_a_large_file_gets_its_fields_message() {
    let app = TestApp::spawn().await;
    let mut guest = app.client(HOST);
    let first = start(&mut guest, "meldebescheinigung", true).await;
    let evidence = first.replace("/seite/person", "/seite/evidence");
    let form = guest.get(&evidence).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = form.hidden("_csrf").unwrap_or_default();
    // A client that sends the text fields and the start of a file, then nothing more: a server
    // that reads the file before checking the request waits for the rest (and would hold it all in
    // memory); one that checks first answers at once and never reads it.
    let stalled = |csrf: String, cookie: String| {
        let evidence = evidence.clone();
        let app = &app;
        async move {
            let b = "----kommunalportal-stalled";
            let (mut tx, body) = http_body_util::channel::Channel::<axum::body::Bytes>::new(4);
            let head = format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--{b}\r\nContent-Disposition: form-data; name=\"_action\"\r\n\r\nweiter\r\n--{b}\r\nContent-Disposition: form-data; name=\"id_document\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
            );
            tx.send_data(axum::body::Bytes::from(head)).await.unwrap_or_else(|e| panic!("{e}"));
            tx.send_data(axum::body::Bytes::from(big_file(64 * 1024))).await.unwrap_or_else(|e| panic!("{e}"));
            let req = http::Request::post(&evidence)
                .header(http::header::HOST, HOST)
                .header(http::header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
                .header(http::header::COOKIE, cookie)
                .body(axum::body::Body::new(body))
                .unwrap_or_default();
            let r = tokio::time::timeout(std::time::Duration::from_secs(10), app.request(req)).await;
            drop(tx);
            r.map(|r| r.status).unwrap_or(StatusCode::REQUEST_TIMEOUT)
        }
    };
    // a forged post (no valid token) to the guest's own draft
    assert_eq!(stalled("gefälscht".into(), guest.cookie_header()).await, StatusCode::FORBIDDEN);
    // another visitor with a valid token of their own, aimed at this draft
    let mut stranger = app.client(HOST);
    let own = stranger.get("/leistungen/meldebescheinigung/antrag").await;
    let stranger_csrf = own.hidden("_csrf").unwrap_or_default();
    assert_eq!(stalled(stranger_csrf, stranger.cookie_header()).await, StatusCode::NOT_FOUND);
    let huge = big_file(40 * 1024 * 1024);

    // the owner: a 6 MB file (the field allows 5 MB) is refused next to its field, the rest kept
    let r = guest
        .post_multipart(
            &evidence,
            &[("_csrf", &csrf), ("_action", "weiter")],
            Some(("id_document", "gross.pdf", &big_file(6 * 1024 * 1024))),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id_document-error") && r.body.contains("ist zu groß"), "{}", r.body);
    // and one over the route's limit as a whole is refused as too large
    let r = guest
        .post_multipart(&evidence, &[("_csrf", &csrf), ("_action", "weiter")], Some(("id_document", "a.pdf", &huge)))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // posts without files keep the server's small limit
    let r = guest
        .post_multipart(
            &first.replace("/seite/person", "/verwerfen"),
            &[("_csrf", &csrf)],
            Some(("x", "x.pdf", &big_file(2 * 1024 * 1024))),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn guests_are_limited_in_drafts_per_address_and_in_mails_per_recipient_without_losing_their_application() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let mut g = app.client(HOST);
    // a guest applies; the confirmation would go to an address that already had its five mails
    let email = unique_email("opfer");
    let check = guest_check_page(&mut g, "meldebescheinigung", &email).await;
    let tenant = app.tenant_id("kaiserslautern").await;
    sqlx::query("insert into rate_limit (bucket, window_start, hits) values ($1, now(), 5)")
        .bind(format!("mail-to:{tenant}:{}", portal_identity::secret::fingerprint(&email)))
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, r) = submit(&mut g, &check).await;
    // filed all the same (the confirmation page carries the status link): nobody can keep a guest
    // from applying by spending the mails to their address; only the mail is not sent
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().unwrap_or_default().contains("vorgang="));
    let filed: i64 =
        sqlx::query_scalar("select count(*) from case_record").fetch_one(&app.db.owner().await).await.unwrap_or(-1);
    assert_eq!(filed, 1);
    app.deliver_mail().await;
    assert!(portal_tests::mails_for(&email).await.is_empty(), "no sixth mail to that address this hour");

    // drafts: twenty an hour from one address
    let mut codes = Vec::new();
    let mut last = None;
    for _ in 0..20 {
        let page = g.get("/leistungen/meldebescheinigung/antrag").await;
        let csrf = page.hidden("_csrf").unwrap_or_default();
        let r = g.post_raw("/leistungen/meldebescheinigung/antrag", &[("_csrf", &csrf), ("als", "gast")]).await;
        codes.push(r.status);
        last = Some(r);
    }
    assert_eq!(
        codes.iter().filter(|c| **c == StatusCode::SEE_OTHER).count(),
        19,
        "the first draft above counted: {codes:?}"
    );
    assert_eq!(codes.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    // the refusal says when to come back, in the header and on the page, as the hour's window has
    // it (it said "a quarter of an hour" for every limit)
    let refused = last.unwrap_or_else(|| panic!("twenty posts"));
    let wait: u64 = refused
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", refused.headers));
    assert!((3300..=3600).contains(&wait), "the hour's window just began: {wait}");
    let minutes = wait.div_ceil(60);
    assert!(refused.body.contains(&format!("Sie können es in {minutes} Minuten erneut versuchen")), "{}", refused.body);
    assert!(!refused.body.contains("Viertelstunde"));
}

// The console login's failures per account: a growing delay instead of a lockout,
// second_factor::failed_logins_delay_the_guessing_address_and_never_lock_the_operator_out.
