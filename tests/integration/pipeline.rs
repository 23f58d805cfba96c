//! The request pipeline: a page — its session check, its content and its error page (the frame comes
//! from memory) — reads in one database transaction. Counted for the pages the team watches: the portal home, a
//! logged-in account page, a staff case page and the console's tenant list, and for an error page.

use http::StatusCode;
use portal_tests::{OPS_HOST, TestApp, TestClient, TestResponse, unique_email};

use crate::cases::{HOST, no_fees, office::file_case, registered, staff};

/// The transactions one request begins.
async fn counted<'a, F>(app: &TestApp, request: F) -> (u64, TestResponse)
where
    F: std::future::Future<Output = TestResponse> + 'a,
{
    let before = app.state.db.transactions_begun();
    let r = request.await;
    (app.state.db.transactions_begun() - before, r)
}

async fn get(c: &mut TestClient<'_>, path: &str) -> TestResponse {
    c.get(path).await
}

#[tokio::test]
async fn each_page_reads_in_one_transaction() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;

    // the portal home reads the tenant's content once (its first request), then nothing
    let (n, r) = counted(&app, app.get(HOST, "/")).await;
    assert_eq!(r.status, StatusCode::OK);
    println!("transactions: {n} for portal home, first request");
    assert!(n <= 1, "portal home, first request");
    let (n, _) = counted(&app, app.get(HOST, "/")).await;
    println!("transactions: {n} for portal home, from memory");
    assert_eq!(n, 0, "portal home from memory");

    let mut citizen = registered(&app, HOST, &unique_email("seite")).await;
    let case_id = file_case(&app, &mut citizen, "meldebescheinigung").await;
    let (n, r) = counted(&app, get(&mut citizen, "/konto")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    println!("transactions: {n} for account overview: session, content and frame");
    assert_eq!(n, 1, "account overview: session, content and frame");
    let (n, r) = counted(&app, get(&mut citizen, &format!("/konto/antraege/{case_id}"))).await;
    assert_eq!(r.status, StatusCode::OK);
    println!("transactions: {n} for the citizen's case page, with the panels of other capabilities");
    assert_eq!(n, 1, "the citizen's case page, with the panels of other capabilities");

    let (mut admin, _) = staff(&app, "").await;
    let (n, r) = counted(&app, get(&mut admin, &format!("/verwaltung/vorgaenge/{case_id}"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    println!("transactions: {n} for staff case page: session, case, panels, navigation and frame");
    assert_eq!(n, 1, "staff case page: session, case, panels, navigation and frame");
    let (n, r) = counted(&app, get(&mut admin, "/verwaltung")).await;
    assert_eq!(r.status, StatusCode::OK);
    println!("transactions: {n} for staff dashboard with its panels");
    assert_eq!(n, 1, "staff dashboard with its panels");

    // an error page in the tenant's frame: the page's work is undone, the frame read in the same
    // transaction
    let (n, r) = counted(&app, get(&mut admin, "/verwaltung/vorgaenge/00000000-0000-0000-0000-000000000000")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("site-header"), "the error page has the tenant's frame");
    println!("transactions: {n} for error page");
    assert_eq!(n, 1, "error page");

    let (session, _) = app.login_operator().await;
    let headers = [("cookie", session.as_str())];
    let (n, r) = counted(&app, app.get_with(OPS_HOST, "/", &headers)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    println!("transactions: {n} for console tenant list");
    assert_eq!(n, 1, "console tenant list");
}

#[tokio::test]
async fn a_form_post_keeps_its_own_transactions_and_a_page_sees_what_it_committed() {
    let app = TestApp::spawn().await;
    no_fees(&app).await;
    let mut citizen = registered(&app, HOST, &unique_email("post")).await;
    let r = citizen
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
    let page = citizen.get("/konto/profil").await;
    assert!(page.body.contains("value=\"Musterfrau\""), "the page after the post shows what it saved");
}
