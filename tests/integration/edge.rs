//! The HTTP edge every page shares: form bodies that are not text, request ids on error pages and
//! in responses, the attributes of the session and CSRF cookies.

use http::{Request, StatusCode, header};
use portal_tests::TestApp;

const HOST: &str = "kaiserslautern.localhost";

/// A raw urlencoded post of `body` with the browser's cookies and the page's CSRF token first.
async fn post_raw_body(app: &TestApp, path: &str, cookie: &str, body: String, lang: &str) -> portal_tests::TestResponse {
    let req = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT_LANGUAGE, lang)
        .body(axum::body::Body::from(body))
        .unwrap_or_default();
    app.request(req).await
}

#[tokio::test]
async fn a_form_field_that_is_not_utf8_is_refused_with_a_clear_message_instead_of_arriving_empty() {
    let app = TestApp::spawn().await;
    let mut c = app.client(HOST);
    let form = c.get("/konto/registrieren").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = form.hidden("_csrf").unwrap_or_default();

    let r = post_raw_body(&app, "/konto/registrieren", &c.cookie_header(), format!("_csrf={csrf}&name=%FF&email=a%40example.de"), "de").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Das gesendete Formular enthielt Zeichen, die nicht gelesen werden konnten"), "{}", r.body);
    let r = post_raw_body(&app, "/konto/registrieren", &c.cookie_header(), format!("_csrf={csrf}&name=%FF"), "en").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("The form sent contained characters that could not be read"), "{}", r.body);
    // raw bytes that are not UTF-8 (not percent-encoded) alike
    let mut body = format!("_csrf={csrf}&name=").into_bytes();
    body.push(0xff);
    let req = Request::post("/konto/registrieren")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, c.cookie_header())
        .body(axum::body::Body::from(body))
        .unwrap_or_default();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("keine gültige UTF-8-Kodierung"), "{}", r.body);
    // and a query string of a page that reads its fields
    let r = app.get(HOST, "/termine/buchen?ort=%FF").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("keine gültige UTF-8-Kodierung"), "{}", r.body);
}
