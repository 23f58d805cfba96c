//! The operations console through the router: login, tenants, services, validation, suspension.

use http::StatusCode;
use portal_tests::{OPERATOR_EMAIL, OPS_HOST, TestApp};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

pub(crate) fn tenant_fields<'a>(
    csrf: &'a str,
    name: &'a str,
    slug: &'a str,
    hosts: &'a str,
    colour: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("name", name),
        ("slug", slug),
        ("kind", "gemeinde"),
        ("parent", ""),
        ("hosts", hosts),
        ("display_name", name),
        ("primary_colour", colour),
        ("secondary_colour", "#eef5ee"),
        ("contact_email", "info@musterhausen.example"),
        ("contact_phone", "01234 5678"),
        ("address", "Marktplatz 1, 12345 Musterhausen"),
        ("imprint_de", "Impressum Musterhausen"),
        ("imprint_en", ""),
        ("privacy_de", "Datenschutz Musterhausen"),
        ("privacy_en", ""),
        ("accessibility_de", "Barrierefreiheit Musterhausen"),
        ("accessibility_en", ""),
    ]
}

#[tokio::test]
async fn the_console_needs_a_login_and_refuses_a_wrong_password_without_revealing_accounts() {
    let app = TestApp::spawn().await;
    let _ = app.login_operator().await;

    let anonymous = app.get(OPS_HOST, "/").await;
    let form = app.get(OPS_HOST, "/login").await;
    let csrf = form.hidden("_csrf").unwrap_or_default();
    let cookie = format!("kp_csrf={}", form.cookie("kp_csrf").unwrap_or_default());
    let wrong = app
        .post_form(
            OPS_HOST,
            "/login",
            &[("_csrf", &csrf), ("email", OPERATOR_EMAIL), ("password", "falsch-falsch-falsch")],
            &cookie,
        )
        .await;
    let unknown = app
        .post_form(
            OPS_HOST,
            "/login",
            &[("_csrf", &csrf), ("email", "niemand@example.org"), ("password", "falsch-falsch-falsch")],
            &cookie,
        )
        .await;
    let no_csrf = app
        .post_form(OPS_HOST, "/login", &[("email", OPERATOR_EMAIL), ("password", portal_tests::OPERATOR_PASSWORD)], "")
        .await;

    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location(), Some("/login"));
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("E-Mail-Adresse oder Passwort ist falsch."));
    assert!(wrong.body.contains(&format!("value=\"{OPERATOR_EMAIL}\"")), "the e-mail stays in the form");
    assert_eq!(unknown.status, wrong.status);
    assert!(unknown.body.contains("E-Mail-Adresse oder Passwort ist falsch."), "same answer for unknown accounts");
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert!(wrong.cookie("ops_session").is_none());
}

#[tokio::test]
async fn the_console_is_only_on_its_own_host_and_tenant_hosts_do_not_serve_it() {
    let app = TestApp::spawn().await;
    let (session, _) = app.login_operator().await;

    let on_ops = app.get_with(OPS_HOST, "/mandanten/neu", &[("cookie", &session)]).await;
    let on_tenant = app.get_with("kaiserslautern.localhost", "/mandanten/neu", &[("cookie", &session)]).await;
    let login_on_tenant = app.get("kaiserslautern.localhost", "/login").await;

    assert_eq!(on_ops.status, StatusCode::OK, "the console answers on its own host");
    assert!(on_ops.body.contains("name=\"slug\""), "the form for a new tenant: {}", on_ops.body);
    assert_eq!(on_tenant.status, StatusCode::NOT_FOUND);
    assert!(!on_tenant.body.contains("name=\"slug\""));
    assert_eq!(login_on_tenant.status, StatusCode::NOT_FOUND, "nor its login");
}

#[tokio::test]
async fn an_operator_creates_a_tenant_that_is_reachable_at_once_with_its_branding_and_the_basic_installation() {
    // Arrange
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;
    assert!(app.get("musterhausen.localhost", "/").await.status == StatusCode::NOT_FOUND);

    // Act: create
    let fields = tenant_fields(
        &csrf,
        "Gemeinde Musterhausen",
        "musterhausen",
        "musterhausen.localhost\nwww.musterhausen.localhost",
        "#2e6b30",
    );
    let created =
        app.post_multipart(OPS_HOST, "/mandanten", &fields, Some(("logo", "wappen.png", PNG)), &session).await;

    // Assert: redirected to its services, reachable on both hosts without restart
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let services_url = created.location().unwrap_or_default().to_owned();
    assert!(services_url.ends_with("/leistungen?neu=1"), "{services_url}");
    let portal = app.get("musterhausen.localhost", "/").await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(
        portal.body.contains("Gemeinde Musterhausen") && portal.body.contains("--kern-color-action-default:#2e6b30")
    );
    assert!(portal.body.contains("Diese Kommune hat noch keine Leistungen freigeschaltet."));
    assert_eq!(app.get("www.musterhausen.localhost", "/").await.status, StatusCode::OK);
    let logo = app.get("musterhausen.localhost", "/logo").await;
    assert_eq!(logo.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    let notice = app.get_with(OPS_HOST, &services_url, &[("cookie", &session)]).await;
    assert!(notice.body.contains("sofort unter musterhausen.localhost erreichbar"));

    // Act: the basic installation
    let id = services_url.trim_start_matches("/mandanten/").split('/').next().unwrap_or_default().to_owned();
    let preset = app
        .post_form(OPS_HOST, &format!("/mandanten/{id}/leistungen/grundausstattung"), &[("_csrf", &csrf)], &session)
        .await;

    // Assert
    assert_eq!(preset.status, StatusCode::SEE_OTHER);
    let portal = app.get("musterhausen.localhost", "/").await;
    for slug in ["meldebescheinigung", "hundesteuer-anmeldung", "sperrmuell-abholung", "briefwahl"] {
        assert!(portal.body.contains(&format!("/leistungen/{slug}")), "{slug} is part of the basic installation");
    }
    assert!(!portal.body.contains("/leistungen/bewohnerparkausweis"));
    let search = app.get("musterhausen.localhost", "/suche?q=Perso").await;
    assert!(search.body.contains("/leistungen/personalausweis"));
}

#[tokio::test]
async fn services_are_switched_on_and_off_individually() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;
    let id = app.tenant_id("brenz").await;
    let before = app.get("brenz.localhost", "/").await;
    assert!(before.body.contains("/leistungen/meldebescheinigung") && !before.body.contains("/leistungen/musikschule"));

    let saved = app
        .post_form(
            OPS_HOST,
            &format!("/mandanten/{id}/leistungen"),
            &[
                ("_csrf", &csrf),
                ("service", "musikschule"),
                ("service", "briefwahl"),
                ("service", "kein-echter-dienst"),
            ],
            &session,
        )
        .await;
    let after = app.get("brenz.localhost", "/").await;

    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert!(saved.location().unwrap_or_default().ends_with("gespeichert=2"));
    assert!(after.body.contains("/leistungen/musikschule") && after.body.contains("/leistungen/briefwahl"));
    assert!(!after.body.contains("/leistungen/meldebescheinigung"), "switched off");
}

#[tokio::test]
async fn invalid_input_is_answered_next_to_each_field_and_nothing_typed_is_lost() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;

    let mut fields = tenant_fields(
        &csrf,
        "Gemeinde Irrtum",
        "Irrtum!",
        "kaiserslautern.localhost\nkein host\nops.localhost",
        "blau",
    );
    fields.retain(|(k, _)| *k != "kind");
    let r = app
        .post_multipart(OPS_HOST, "/mandanten", &fields, Some(("logo", "wappen.png", b"GIF? nein, Text")), &session)
        .await;

    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Bitte korrigieren Sie die folgenden Angaben:"), "error summary");
    assert!(r.body.contains("href=\"#slug\"") && r.body.contains("Nur Kleinbuchstaben a–z"), "slug");
    assert!(r.body.contains("Kurzname: Nur Kleinbuchstaben"), "the summary names the field");
    assert!(
        r.body.contains("„kein“ ist keine gültige Adresse") || r.body.contains("ist keine gültige Adresse"),
        "host syntax"
    );
    assert!(r.body.contains("Bitte wählen Sie eine Art."), "kind");
    assert!(r.body.contains("„blau“ ist keine Farbe"), "colour");
    assert!(r.body.contains("Die Datei ist kein Bild"), "logo");
    assert!(r.body.contains("id=\"primary_colour-error\""), "error tied to the field");
    assert!(r.body.contains("value=\"Gemeinde Irrtum\""), "name kept");
    assert!(r.body.contains("Impressum Musterhausen"), "legal text kept");

    let taken = tenant_fields(&csrf, "Gemeinde Doppelt", "doppelt", "kaiserslautern.localhost", "#2e6b30");
    let r = app.post_multipart(OPS_HOST, "/mandanten", &taken, None, &session).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Die Adresse „kaiserslautern.localhost“ wird schon von einem anderen Mandanten verwendet.")
    );

    let pale = tenant_fields(&csrf, "Gemeinde Blass", "blass", "blass.localhost", "#ffff00");
    let r = app.post_multipart(OPS_HOST, "/mandanten", &pale, None, &session).await;
    assert!(r.body.contains("zu wenig Kontrast"), "contrast");

    let big = vec![0x89u8; 300 * 1024];
    let fine = tenant_fields(&csrf, "Gemeinde Gross", "gross", "gross.localhost", "#2e6b30");
    let r = app.post_multipart(OPS_HOST, "/mandanten", &fine, Some(("logo", "riesig.png", &big)), &session).await;
    assert!(r.body.contains("Die Datei ist größer als 256 KB."), "logo size");

    let dup_slug = tenant_fields(&csrf, "Noch ein Kaiserslautern", "kaiserslautern", "kl2.localhost", "#2e6b30");
    let r = app.post_multipart(OPS_HOST, "/mandanten", &dup_slug, None, &session).await;
    assert!(r.body.contains("Dieser Kurzname wird schon von einem anderen Mandanten verwendet."));

    // nothing of the refused forms was stored
    for host in ["blass.localhost", "gross.localhost", "kl2.localhost"] {
        assert_eq!(app.get(host, "/").await.status, StatusCode::NOT_FOUND, "{host}");
    }
}

#[tokio::test]
async fn english_validation_messages_for_an_english_speaking_operator() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;

    let fields = tenant_fields(&csrf, "X", "x-x", "bad_host", "#123");
    let r = app.post_multipart(OPS_HOST, "/mandanten", &fields, None, &format!("{session}; lang=en")).await;

    assert!(r.body.contains("Please correct the following:"));
    assert!(r.body.contains("“#123” is not a colour"));
    assert!(r.body.contains("is not a valid address"));
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (session, _) = app.login_operator().await;
    let id = app.tenant_id("dueren").await;

    let fields = tenant_fields("", "Ohne Token", "ohne-token", "ohne-token.localhost", "#2e6b30");
    let create = app.post_multipart(OPS_HOST, "/mandanten", &fields, None, &session).await;
    let suspend = app
        .post_form(
            OPS_HOST,
            &format!("/mandanten/{id}/status"),
            &[("status", "suspended"), ("_csrf", "gefälscht")],
            &session,
        )
        .await;

    assert_eq!(create.status, StatusCode::FORBIDDEN);
    assert_eq!(suspend.status, StatusCode::FORBIDDEN);
    assert!(create.body.contains("Aktion nicht erlaubt"));
    assert_eq!(app.get("ohne-token.localhost", "/").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("dueren.localhost", "/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_suspended_tenant_shows_a_maintenance_page_until_it_is_reactivated() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;
    let id = app.tenant_id("guetersloh").await;

    let suspend = app
        .post_form(OPS_HOST, &format!("/mandanten/{id}/status"), &[("status", "suspended"), ("_csrf", &csrf)], &session)
        .await;
    let during = app.get("guetersloh.localhost", "/leistungen/meldebescheinigung").await;
    let list = app.get_with(OPS_HOST, suspend.location().unwrap_or("/"), &[("cookie", &session)]).await;
    let reactivated = app
        .post_form(OPS_HOST, &format!("/mandanten/{id}/status"), &[("status", "active"), ("_csrf", &csrf)], &session)
        .await;
    assert_eq!(reactivated.status, StatusCode::SEE_OTHER, "{}", reactivated.body);
    let after = app.get("guetersloh.localhost", "/").await;

    assert_eq!(suspend.status, StatusCode::SEE_OTHER);
    assert_eq!(during.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(during.body.contains("Portal vorübergehend nicht erreichbar") && during.body.contains("Stadt Gütersloh"));
    assert!(list.body.contains("Der Mandant Stadt Gütersloh ist gesperrt"));
    assert_eq!(after.status, StatusCode::OK);
}

#[tokio::test]
async fn editing_a_tenant_changes_its_portal_and_keeps_the_logo_when_none_is_uploaded() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;
    let id = app.tenant_id("brenz").await;
    let form = app.get_with(OPS_HOST, &format!("/mandanten/{id}"), &[("cookie", &session)]).await;
    assert!(form.body.contains("value=\"Gemeinde Brenz\""));
    assert!(form.body.contains("leptos-island"), "the colour field is an island");

    let mut fields = tenant_fields(&csrf, "Gemeinde Brenz", "brenz", "brenz.localhost\nbrenz-neu.localhost", "#7a1f5c");
    let parent = app.tenant_id("amt-neustadt-glewe").await.to_string();
    fields.retain(|(k, _)| *k != "kind" && *k != "parent");
    fields.push(("kind", "gemeinde"));
    fields.push(("parent", &parent));
    let r = app.post_multipart(OPS_HOST, &format!("/mandanten/{id}"), &fields, None, &session).await;

    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let portal = app.get("brenz-neu.localhost", "/").await;
    assert!(portal.body.contains("--kern-color-action-default:#7a1f5c"));
    assert_eq!(app.get("brenz.localhost", "/logo").await.status, StatusCode::OK, "logo kept");
}

#[tokio::test]
async fn a_gemeinde_cannot_be_made_parent_of_an_amt() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;
    let gemeinde = app.tenant_id("brenz").await.to_string();

    let mut fields = tenant_fields(&csrf, "Amt Falsch", "amt-falsch", "amt-falsch.localhost", "#2e6b30");
    fields.retain(|(k, _)| *k != "kind" && *k != "parent");
    fields.push(("kind", "amt"));
    fields.push(("parent", &gemeinde));
    let r = app.post_multipart(OPS_HOST, "/mandanten", &fields, None, &session).await;

    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("kann nicht zu einer"), "{}", r.body);
}

#[tokio::test]
async fn metrics_are_exposed_on_the_console_host_only() {
    let app = TestApp::spawn().await;
    // one page served, so the request counters have something to show
    assert_eq!(app.get("kaiserslautern.localhost", "/").await.status, StatusCode::OK);

    let on_ops = app.get(OPS_HOST, "/metrics").await;
    let on_tenant = app.get("kaiserslautern.localhost", "/metrics").await;

    assert_eq!(on_ops.status, StatusCode::OK);
    assert!(on_ops.body.contains("http_requests_total"), "{}", on_ops.body);
    assert_eq!(on_tenant.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;

    let out = app.post_form(OPS_HOST, "/logout", &[("_csrf", &csrf)], &session).await;
    let after = app.get_with(OPS_HOST, "/", &[("cookie", &session)]).await;

    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location().unwrap_or_default().starts_with("/login"));
}

#[tokio::test]
async fn the_tenant_list_is_searchable_and_paged_for_thousands_of_tenants() {
    let app = TestApp::spawn().await;
    let (session, _) = app.login_operator().await;
    // Arrange: 120 more Gemeinden
    let mut tx = app.state.db.platform().await.unwrap_or_else(|e| panic!("{e}"));
    for i in 0..120 {
        let new = portal_tenancy::NewTenant {
            slug: portal_domain::TenantSlug::parse(&format!("gemeinde-{i:03}")).unwrap_or_else(|e| panic!("{e}")),
            kind: portal_domain::TenantKind::Gemeinde,
            parent: None,
            name: format!("Gemeinde Nummer {i:03}"),
            hosts: vec![
                portal_domain::HostName::parse(&format!("g{i:03}.localhost")).unwrap_or_else(|e| panic!("{e}")),
            ],
        };
        portal_tenancy::repo::create(&mut tx, &new, false).await.unwrap_or_else(|e| panic!("{e}"));
    }
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

    let first = app.get_with(OPS_HOST, "/", &[("cookie", &session)]).await;
    let third = app.get_with(OPS_HOST, "/?seite=3", &[("cookie", &session)]).await;
    let by_host = app.get_with(OPS_HOST, "/?q=g042.local", &[("cookie", &session)]).await;
    let wildcard = app.get_with(OPS_HOST, "/?q=%25", &[("cookie", &session)]).await;

    assert!(first.body.contains("128 Mandanten – Seite 1 von 3"), "{}", first.body);
    assert_eq!(first.body.matches("data-tenant=").count(), 50);
    assert_eq!(third.body.matches("data-tenant=").count(), 28);
    assert!(by_host.body.contains("Gemeinde Nummer 042") && by_host.body.contains("1 Mandanten"));
    assert!(wildcard.body.contains("0 Mandanten"), "a % in the search is matched literally");
}

#[tokio::test]
async fn a_logo_far_over_the_limit_gets_the_field_error_and_keeps_the_form() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;

    // a 5 MB "photo": larger than the general request limit, still answered next to the field
    let photo = vec![0xFFu8; 5 * 1024 * 1024];
    let fields = tenant_fields(&csrf, "Gemeinde Fotoalbum", "fotoalbum", "fotoalbum.localhost", "#2e6b30");
    let r = app.post_multipart(OPS_HOST, "/mandanten", &fields, Some(("logo", "urlaub.jpg", &photo)), &session).await;

    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Die Datei ist größer als 256 KB."));
    assert!(
        r.body.contains("value=\"Gemeinde Fotoalbum\"") && r.body.contains("Barrierefreiheit Musterhausen"),
        "nothing typed is lost"
    );
    assert_eq!(app.get("fotoalbum.localhost", "/").await.status, StatusCode::NOT_FOUND);
}
