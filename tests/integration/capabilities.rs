//! A capability is a folder and one line in the list: a small example capability (its routes, a
//! staff navigation entry guarded by a permission, a panel on the staff dashboard) added to the
//! platform's list shows up in every shared part of the site without a change elsewhere.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use portal_authz::{Action, Resource};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_server::kit::office::staff_page;
use portal_server::kit::page::lang_of;
use portal_server::kit::registry::{BoxFuture, Capability, NavEntry};
use portal_server::kit::session::Staff;
use portal_tests::TestApp;
use portal_ui::blocks::Block;
use portal_web::{AppError, AppState, TenantContext};

const HOST: &str = "kaiserslautern.localhost";

// ---- the example capability: what its folder would hold -------------------------------------

const EXAMPLE: Capability = Capability {
    portal: Some(routes),
    staff_nav: &[NavEntry {
        order: 95,
        path: "/verwaltung/beispiel",
        label: "Beispielseite",
        resource: Resource::StaffArea,
        action: Action::Read,
    }],
    dashboard: &[panel],
    ..Capability::named("example")
};

fn routes() -> Router<AppState> {
    Router::new().route("/verwaltung/beispiel", get(page))
}

async fn page(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    s: Staff,
) -> Result<Response, AppError> {
    s.require(&state, Resource::StaffArea, Action::Read)?;
    let blocks = vec![Block::Text("Inhalt der Beispielseite".into())];
    staff_page(
        &state,
        &ctx,
        lang_of(&headers),
        "/verwaltung/beispiel",
        Some(&s),
        StatusCode::OK,
        "Beispiel".into(),
        blocks,
    )
    .await
}

fn panel<'a>(_tx: &'a mut TenantTx, _lang: Lang, s: &'a Staff) -> BoxFuture<'a, Result<Vec<Block>, AppError>> {
    let text = format!("Beispiel-Panel für {}", s.user.display_name);
    Box::pin(async move { Ok(vec![Block::Text(text)]) })
}

// ---- the one line in the list ----------------------------------------------------------------

fn with_example() -> &'static [Capability] {
    let mut list = portal_server::capabilities::ALL.to_vec();
    list.push(EXAMPLE);
    Box::leak(list.into_boxed_slice())
}

#[tokio::test]
async fn a_capability_added_to_the_list_gets_its_routes_navigation_and_dashboard_panel() {
    let app = TestApp::spawn().await.with_capabilities(with_example());
    let (mut admin, _) = crate::staff::first_admin(&app).await;

    let dashboard = admin.get("/verwaltung").await;
    assert_eq!(dashboard.status, StatusCode::OK, "{}", dashboard.body);
    assert!(
        dashboard.body.contains(r#"href="/verwaltung/beispiel""#),
        "the staff navigation lists the new page: {}",
        dashboard.body
    );
    assert!(dashboard.body.contains("Beispiel-Panel für Anna Admin"), "the dashboard shows the new panel");
    // the platform's own entries and panels are all still there
    for path in ["/verwaltung/vorgaenge", "/verwaltung/leistungen", "/verwaltung/zahlungen", "/verwaltung/protokoll"] {
        assert!(dashboard.body.contains(&format!(r#"href="{path}""#)), "{path} is still in the navigation");
    }

    let page = admin.get("/verwaltung/beispiel").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Inhalt der Beispielseite"));
    assert!(
        page.body.contains(r#"aria-current="page""#),
        "the new page is marked as the current one in the navigation"
    );

    // the platform's own router (without the example) has neither the page nor the entry
    let plain = TestApp::spawn().await;
    let r = plain.get(HOST, "/verwaltung/beispiel").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_capabilitys_pages_are_behind_the_staff_login_like_every_other() {
    let app = TestApp::spawn().await.with_capabilities(with_example());
    let r = app.get(HOST, "/verwaltung/beispiel").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().is_some_and(|l| l.starts_with("/verwaltung/anmelden")), "{:?}", r.location());
}
