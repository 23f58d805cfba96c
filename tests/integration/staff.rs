//! Staff and operators: invitations by mail, roles, revocation, the server function guarded by
//! casbin, and the audit log.

use http::StatusCode;
use portal_tests::{OPS_HOST, TestApp, TestClient, unique_email};

const HOST: &str = "kaiserslautern.localhost";
const ADMIN_PW: &str = "Rathaus-Schluessel-2026";
const WORKER_PW: &str = "Akten-Stapel-Montag-77";

/// An operator invites the first tenant admin of Kaiserslautern, who accepts by mail.
pub(crate) async fn first_admin(app: &TestApp) -> (TestClient<'_>, String) {
    let (session, csrf) = app.login_operator().await;
    let tenant = app.tenant_id("kaiserslautern").await;
    let email = unique_email("admin");
    let r = app
        .post_form(
            OPS_HOST,
            &format!("/mandanten/{tenant}/zugang"),
            &[("_csrf", &csrf), ("email", &email), ("display_name", "Anna Admin"), ("role", "tenant_admin")],
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let link = app.mailed_link(&email, "/verwaltung/einladung").await;
    let mut c = app.client(HOST);
    let page = c.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let token = page.hidden("token").unwrap_or_default();
    let r = c
        .submit(
            &link,
            "/verwaltung/einladung",
            &[("token", &token), ("password", ADMIN_PW), ("password_repeat", ADMIN_PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // a tenant admin sets up the second factor before the first session
    let r = c.second_step(r, &email).await;
    assert!(c.cookies.contains_key("kp_staff"), "{}", r.body);
    (c, email)
}

/// The admin invites a case worker limited to one service; the case worker accepts.
async fn case_worker<'a>(app: &'a TestApp, admin: &mut TestClient<'_>) -> (TestClient<'a>, String) {
    crate::cases::invite(app, admin, "case_worker", "meldebescheinigung").await
}

/// A complete identity provider as a tenant admin enters it.
pub(crate) const PROVIDER: [(&str, &str); 7] = [
    ("slug", "bundid"),
    ("display_name", "BundID"),
    ("issuer_url", "https://id.bund.example"),
    ("client_id", "kl-portal"),
    ("client_secret", "kl-bundid-geheimnis"),
    ("scopes", "openid profile"),
    ("enabled", "on"),
];

async fn service_active(app: &TestApp, slug: &str) -> bool {
    let tenant = app.tenant_id("kaiserslautern").await;
    sqlx::query_scalar("select exists (select 1 from service_activation where tenant_id = $1 and service_slug = $2)")
        .bind(tenant)
        .bind(slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(false)
}

/// Calls the server function like the island does (form-encoded POST).
async fn call_switch(
    app: &TestApp,
    c: &TestClient<'_>,
    csrf: &str,
    slug: &str,
    active: bool,
) -> portal_tests::TestResponse {
    let body = format!("csrf={}&slug={slug}&active={active}", urlencoding::encode(csrf));
    let req = http::Request::post("/verwaltung/api/leistung-schalten")
        .header("host", HOST)
        .header("cookie", c.cookie_header())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(axum::body::Body::from(body))
        .unwrap_or_default();
    app.request(req).await
}

#[tokio::test]
async fn an_invited_admin_invites_a_case_worker_who_sees_only_the_case_worker_area() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = first_admin(&app).await;
    let home = admin.get("/verwaltung").await;
    assert_eq!(home.status, StatusCode::OK);
    for link in
        ["/verwaltung/mitarbeitende", "/verwaltung/identitaet", "/verwaltung/protokoll", "/verwaltung/darstellung"]
    {
        assert!(home.body.contains(link), "the admin sees {link}");
    }
    let (mut worker, _) = case_worker(&app, &mut admin).await;
    let home = worker.get("/verwaltung").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Meine Arbeit") && home.body.contains("meldebescheinigung"), "{}", home.body);
    assert!(!home.body.contains("/verwaltung/mitarbeitende"));
    for page in
        ["/verwaltung/mitarbeitende", "/verwaltung/identitaet", "/verwaltung/protokoll", "/verwaltung/darstellung"]
    {
        assert_eq!(worker.get(page).await.status, StatusCode::FORBIDDEN, "{page}");
    }
    // a form post to an admin action is refused too
    let r = worker
        .submit(
            "/verwaltung/leistungen",
            "/verwaltung/darstellung",
            &[("display_name", "Gekapert"), ("primary_colour", "#000000"), ("secondary_colour", "#ffffff")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_case_worker_calling_the_admin_server_function_is_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = first_admin(&app).await;
    let (mut worker, _) = case_worker(&app, &mut admin).await;
    let slug = "meldebescheinigung";
    assert!(service_active(&app, slug).await);
    let page = worker.get("/verwaltung/leistungen").await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = call_switch(&app, &worker, &csrf, slug, false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("Ihre Rolle erlaubt diese Änderung nicht"), "{}", r.body);
    assert!(service_active(&app, slug).await, "unchanged");

    // without the CSRF token even the admin is refused
    let r = call_switch(&app, &admin, "forged", slug, false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(service_active(&app, slug).await);
    // the admin, with it, switches the service off, and it is audited
    let page = admin.get("/verwaltung/leistungen").await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = call_switch(&app, &admin, &csrf, slug, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!service_active(&app, slug).await);
    let audit = admin.get("/verwaltung/protokoll").await;
    assert!(
        audit.body.contains("service.deactivate")
            && audit.body.contains("service:meldebescheinigung")
            && audit.body.contains("Anna Admin"),
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn a_revoked_staff_members_sessions_end_at_once() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = first_admin(&app).await;
    let (mut worker, email) = case_worker(&app, &mut admin).await;
    assert_eq!(worker.get("/verwaltung").await.status, StatusCode::OK);
    let id: uuid::Uuid = sqlx::query_scalar("select staff_id from staff_user where email = $1")
        .bind(&email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    let r = admin.submit("/verwaltung/mitarbeitende", &format!("/verwaltung/mitarbeitende/{id}/entziehen"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = worker.get("/verwaltung").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().is_some_and(|l| l.starts_with("/verwaltung/anmelden")));
    let r = worker
        .submit("/verwaltung/anmelden", "/verwaltung/anmelden", &[("email", &email), ("password", WORKER_PW)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // the last admin cannot revoke themselves away
    let admin_id: uuid::Uuid = sqlx::query_scalar("select staff_id from staff_user where display_name = 'Anna Admin'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    let r = admin
        .submit("/verwaltung/mitarbeitende", &format!("/verwaltung/mitarbeitende/{admin_id}/entziehen"), &[])
        .await;
    assert_eq!(r.location(), Some("/verwaltung/mitarbeitende?hinweis=letzter-admin"));
}

#[tokio::test]
async fn a_role_change_ends_the_members_sessions_and_takes_effect_at_the_next_login() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = first_admin(&app).await;
    let (mut worker, email) = case_worker(&app, &mut admin).await;
    let id: uuid::Uuid = sqlx::query_scalar("select staff_id from staff_user where email = $1")
        .bind(&email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    let field = format!("role-{id}");
    let r = admin
        .submit(
            "/verwaltung/mitarbeitende",
            &format!("/verwaltung/mitarbeitende/{id}/rolle"),
            &[(&field, "tenant_admin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(worker.get("/verwaltung").await.status, StatusCode::SEE_OTHER, "old session ended");
    let r = worker
        .submit("/verwaltung/anmelden", "/verwaltung/anmelden", &[("email", &email), ("password", WORKER_PW)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // an admin now: the second factor is set up before the session starts
    assert_eq!(r.location(), Some("/verwaltung/anmelden/einrichten"));
    let _ = worker.second_step(r, &email).await;
    assert_eq!(worker.get("/verwaltung/mitarbeitende").await.status, StatusCode::OK, "now an admin");
}

#[tokio::test]
async fn staff_and_operator_changes_are_in_the_audit_log_which_cannot_be_changed() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = first_admin(&app).await;
    let r = admin.submit("/verwaltung/identitaet", "/verwaltung/identitaet", &PROVIDER).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // a bad provider is refused next to the fields
    let r = admin
        .submit(
            "/verwaltung/identitaet",
            "/verwaltung/identitaet",
            &[
                ("slug", "Bund ID"),
                ("display_name", "x"),
                ("issuer_url", "ftp://x"),
                ("client_id", "x"),
                ("client_secret", ""),
                ("scopes", "profile"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("https-Adresse")
            && r.body.contains("Client-Geheimnis angeben")
            && r.body.contains("openid enthalten")
    );

    let tenant_view = admin.get("/verwaltung/protokoll").await;
    assert!(tenant_view.body.contains("identity_provider.save"));
    assert!(tenant_view.body.contains("staff.invite"), "the operator's invitation is listed for the tenant");
    // operators see all tenants' entries
    let (session, _) = app.login_operator().await;
    let all = app.get_with(OPS_HOST, "/protokoll", &[("cookie", &session)]).await;
    assert!(all.body.contains("identity_provider.save") && all.body.contains("Stadt Kaiserslautern"));
    // the application role may append only
    let owner = app.db.app.clone();
    let update = sqlx::query("update audit_log set action = 'nothing'").execute(&owner).await;
    let delete = sqlx::query("delete from audit_log").execute(&owner).await;
    assert_eq!(
        (portal_tests::sqlstate(&update), portal_tests::sqlstate(&delete)),
        (Some("42501".into()), Some("42501".into())),
        "audit log must be append-only"
    );
    let superuser = app.db.owner().await;
    let by_owner = sqlx::query("delete from audit_log").execute(&superuser).await;
    assert_eq!(
        portal_tests::sqlstate(&by_owner),
        Some("42501".into()),
        "even the owner cannot delete (trigger): {by_owner:?}"
    );
    assert!(by_owner.as_ref().err().is_some_and(|e| e.to_string().contains("append-only")), "{by_owner:?}");
    let kept: i64 = sqlx::query_scalar("select count(*) from audit_log where action <> 'nothing'")
        .fetch_one(&superuser)
        .await
        .unwrap_or(-1);
    assert!(kept > 0, "the entries are all still there");
    // and another tenant's transaction sees none of them
    let other = portal_domain::TenantId(app.tenant_id("dueren").await);
    let mut tx = app.state.db.tenant(other).await.unwrap_or_else(|e| panic!("{e}"));
    let n: i64 = sqlx::query_scalar("select count(*) from audit_log").fetch_one(tx.conn()).await.unwrap_or(-1);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_tenant_admin_cannot_reach_platform_secrets_or_plain_http_issuers_through_the_provider_set_up() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = first_admin(&app).await;
    // the old form named an environment variable; such a name is now just ignored, and the secret
    // is required as a value of its own
    let post = |issuer: &'static str, secret: &'static str| {
        vec![
            ("slug", "bundid"),
            ("display_name", "BundID"),
            ("issuer_url", issuer),
            ("client_id", "kl"),
            ("client_secret_env", "APP__PAYMENTS__SECRET_KEY"),
            ("client_secret", secret),
            ("enabled", "on"),
        ]
    };
    let r =
        admin.submit("/verwaltung/identitaet", "/verwaltung/identitaet", &post("https://id.bund.example", "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("client_secret-error") && r.body.contains("type=\"password\""), "{}", r.body);
    for issuer in [
        "http://localhost.evil.example",
        "http://id.bund.example",
        "https://user:pw@id.bund.example",
        "https://id.bund.example/?x=1",
        "javascript:alert(1)",
    ] {
        let r = admin.submit("/verwaltung/identitaet", "/verwaltung/identitaet", &post(issuer, "kl-geheimnis-1")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{issuer}");
        assert!(r.body.contains("issuer_url-error"), "{issuer}");
    }
    let r = admin
        .submit("/verwaltung/identitaet", "/verwaltung/identitaet", &post("https://id.bund.example", "kl-geheimnis-1"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = admin.get("/verwaltung/identitaet").await;
    assert!(page.body.contains("hinterlegt") && !page.body.contains("kl-geheimnis-1") && !page.body.contains("APP__"));
    let stored: Vec<u8> =
        sqlx::query_scalar("select client_secret_sealed from identity_provider where provider_slug = 'bundid'")
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_default();
    assert!(stored.len() > 28 && !stored.windows(9).any(|w| w == b"geheimnis"), "sealed, not in plain text");
    // changing the provider's name without typing the secret keeps the stored one
    let mut rename = post("https://id.bund.example", "");
    rename[1] = ("display_name", "BundID (neu)");
    let r = admin.submit("/verwaltung/identitaet", "/verwaltung/identitaet", &rename).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let kept: Vec<u8> =
        sqlx::query_scalar("select client_secret_sealed from identity_provider where provider_slug = 'bundid'")
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_default();
    assert_eq!(kept, stored);
    // but pointing it at another issuer needs the secret again: the stored one is sealed to its
    // issuer and would never be sent elsewhere
    let r =
        admin.submit("/verwaltung/identitaet", "/verwaltung/identitaet", &post("https://id.evil.example", "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("client_secret-error"));
    let issuer: String = sqlx::query_scalar("select issuer_url from identity_provider where provider_slug = 'bundid'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    assert_eq!(issuer, "https://id.bund.example");
}

#[tokio::test]
async fn staff_login_is_refused_with_a_wrong_password_and_on_another_tenants_host() {
    let app = TestApp::spawn().await;
    let (admin, email) = first_admin(&app).await;
    let mut c = app.client(HOST);
    let r = c
        .submit(
            "/verwaltung/anmelden",
            "/verwaltung/anmelden",
            &[("email", &email), ("password", "falsches-passwort-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let mut other = app.client("dueren.localhost");
    let r = other
        .submit("/verwaltung/anmelden", "/verwaltung/anmelden", &[("email", &email), ("password", ADMIN_PW)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let replay = app.get_with("dueren.localhost", "/verwaltung", &[("cookie", &admin.cookie_header())]).await;
    assert_eq!(replay.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_operator_configures_a_tenants_identity_provider_with_errors_next_to_the_fields() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;
    let tenant = app.tenant_id("dueren").await;
    let path = format!("/mandanten/{tenant}/identitaet");
    let bad = app
        .post_form(
            OPS_HOST,
            &path,
            &[
                ("_csrf", &csrf),
                ("slug", "bund id"),
                ("display_name", "BundID"),
                ("issuer_url", "http://id.bund.example"),
                ("client_id", "dn"),
                ("client_secret", ""),
                ("scopes", "profile"),
            ],
            &session,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("value=\"BundID\""), "typed values are kept");
    for field in ["slug-error", "issuer_url-error", "client_secret-error", "scopes-error"] {
        assert!(bad.body.contains(field), "{field}");
    }
    let ok = app
        .post_form(
            OPS_HOST,
            &path,
            &[
                ("_csrf", &csrf),
                ("slug", "bundid"),
                ("display_name", "BundID"),
                ("issuer_url", "https://id.bund.example"),
                ("client_id", "dn"),
                ("client_secret", "dn-bundid-geheimnis"),
                ("enabled", "on"),
            ],
            &session,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = app.get_with(OPS_HOST, &path, &[("cookie", &session)]).await;
    assert!(
        page.body.contains("https://id.bund.example") && page.body.contains("hinterlegt"),
        "the page says a secret is stored"
    );
    assert!(!page.body.contains("dn-bundid-geheimnis"), "and never shows it");
    // the tenant's login page offers it; the provider cannot be reached: a message, not a crash
    let login = app.get("dueren.localhost", "/konto/anmelden").await;
    assert!(login.body.contains("/konto/anmelden/idp/bundid"));
    let start = app.get("dueren.localhost", "/konto/anmelden/idp/bundid").await;
    assert_eq!(start.status, StatusCode::BAD_GATEWAY);
    assert!(start.body.contains("nicht erreichbar"));
    let n: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'identity_provider.save' and tenant_id = $1")
            .bind(tenant)
            .fetch_one(&app.db.platform)
            .await
            .unwrap_or(0);
    assert_eq!(n, 1);
}
