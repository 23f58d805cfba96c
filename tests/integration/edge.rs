//! The HTTP edge every page shares: form bodies that are not text, request ids on error pages and
//! in responses, the attributes of the session and CSRF cookies.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use http::{Request, StatusCode, header};
use portal_server::kit::registry::Capability;
use portal_tests::{TestApp, TestResponse};
use portal_web::{AppError, AppState};

const HOST: &str = "kaiserslautern.localhost";

/// A raw urlencoded post of `body` with the browser's cookies and the page's CSRF token first.
async fn post_raw_body(app: &TestApp, path: &str, cookie: &str, body: String, lang: &str) -> TestResponse {
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

    let r = post_raw_body(
        &app,
        "/konto/registrieren",
        &c.cookie_header(),
        format!("_csrf={csrf}&name=%FF&email=a%40example.de"),
        "de",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Das gesendete Formular enthielt Zeichen, die nicht gelesen werden konnten"), "{}", r.body);
    let r =
        post_raw_body(&app, "/konto/registrieren", &c.cookie_header(), format!("_csrf={csrf}&name=%FF"), "en").await;
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

/// The request id a response carries in `x-request-id`.
fn request_id(r: &TestResponse) -> String {
    r.headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no x-request-id: {:?}", r.headers))
        .to_owned()
}

/// The error page shows `id` as its reference, in the page's language.
fn shows_reference(r: &TestResponse, label: &str, id: &str) -> bool {
    r.body.contains(&format!("{label}: <code class=\"request-id\">{id}</code>"))
}

/// A capability whose one page fails on our side, as a bug or a lost database would.
const FAILING: Capability = Capability { portal: Some(failing_routes), ..Capability::named("failing") };

fn failing_routes() -> Router<AppState> {
    Router::new().route(
        "/kaputt",
        get(|| async { Err::<(), _>(AppError::internal(std::io::Error::other("Testfehler der Seite /kaputt"))) }),
    )
}

fn with_failing() -> &'static [Capability] {
    let mut list = portal_server::capabilities::ALL.to_vec();
    list.push(FAILING);
    Box::leak(list.into_boxed_slice())
}

/// Log lines written while a test runs (JSON, as in production).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
    }
}

#[tokio::test]
async fn every_error_page_shows_the_request_id_that_is_in_the_response_header_and_in_the_log() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    // the test runs on one thread (tokio::test), so the subscriber sees the requests' spans
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn().await.with_capabilities(with_failing());

    // a page that does not exist, in the tenant's frame, in German and English
    let de = app.get(HOST, "/gibt-es-nicht").await;
    assert_eq!(de.status, StatusCode::NOT_FOUND);
    let id = request_id(&de);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a fresh UUID: {id}");
    assert!(shows_reference(&de, "Fehlernummer", &id), "{}", de.body);
    let en = app.get_with(HOST, "/gibt-es-nicht", &[("accept-language", "en")]).await;
    assert_ne!(request_id(&en), id, "every request its own id");
    assert!(shows_reference(&en, "Reference", &request_id(&en)), "{}", en.body);
    // an unknown host (no tenant frame)
    let unknown = app.get("unbekannt.localhost", "/").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(shows_reference(&unknown, "Fehlernummer", &request_id(&unknown)), "{}", unknown.body);
    // a failure on our side: the page shows the id, the log line with the cause carries it
    let failed = app.get(HOST, "/kaputt").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", failed.body);
    let id = request_id(&failed);
    assert!(shows_reference(&failed, "Fehlernummer", &id), "{}", failed.body);
    assert!(!failed.body.contains("Testfehler"), "the cause stays in the log");
    let log = logs.text();
    let line = log
        .lines()
        .find(|l| l.contains("Testfehler der Seite /kaputt"))
        .unwrap_or_else(|| panic!("the failure is logged: {log}"));
    assert!(line.contains(&format!("\"request.id\":\"{id}\"")), "the log line names the request: {line}");
    // pages that work carry their id as well
    assert!(uuid::Uuid::parse_str(&request_id(&app.get(HOST, "/").await)).is_ok());
}

#[tokio::test]
async fn a_request_id_is_taken_from_a_trusted_proxy_only() {
    let app = TestApp::spawn().await;
    let from = |peer: &str, id: &str| {
        let mut req = Request::get("/gibt-es-nicht")
            .header(header::HOST, HOST)
            .header("x-request-id", id)
            .body(axum::body::Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
            peer.parse().unwrap_or_else(|e| panic!("{e}")),
            40000,
        )));
        req
    };
    // the configured proxy (10.9.9.9 in the test state) is believed
    let proxied = app.request(from("10.9.9.9", "lb-7f3a:0042")).await;
    assert_eq!(request_id(&proxied), "lb-7f3a:0042");
    assert!(shows_reference(&proxied, "Fehlernummer", "lb-7f3a:0042"), "{}", proxied.body);
    // anyone else's id, and a proxy's that is not a short token, are replaced by our own
    for (peer, id) in [("192.0.2.7", "frei-gewaehlt"), ("10.9.9.9", "<b>nicht-ohne-weiteres</b>")] {
        let r = app.request(from(peer, id)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(uuid::Uuid::parse_str(&request_id(&r)).is_ok(), "{peer}: {:?}", r.headers);
        assert!(!r.body.contains("frei-gewaehlt") && !r.body.contains("nicht-ohne-weiteres"), "{}", r.body);
    }
}
