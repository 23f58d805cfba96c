//! Tenant content and public pages in memory: served without the database, with ETags and
//! compressed bodies; never one visitor's data or token to another, never one tenant's page on
//! another's host; and every kind of change reaches every server (two servers on one database, each
//! with its own caches and notification listener).

use std::io::Read;
use std::time::{Duration, Instant};

use http::{StatusCode, header};
use portal_tests::{OPS_HOST, TestApp, TestResponse, unique_email};

use crate::cases::{HOST, OTHER_HOST, registered, staff};

fn header_of(r: &TestResponse, name: header::HeaderName) -> &str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn counted(app: &TestApp, host: &str, path: &str, headers: &[(&str, &str)]) -> (u64, TestResponse) {
    let before = app.state.db.transactions_begun();
    let r = app.get_with(host, path, headers).await;
    (app.state.db.transactions_begun() - before, r)
}

#[tokio::test]
async fn public_pages_come_from_memory_with_a_strong_etag_and_304() {
    let app = TestApp::spawn().await;
    for path in
        ["/", "/leistungen/meldebescheinigung", "/impressum", "/datenschutz", "/barrierefreiheit", "/suche?q=Perso"]
    {
        let first = app.get(HOST, path).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        let etag = header_of(&first, header::ETAG).to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34, "{path}: strong ETag, got {etag:?}");
        let cache_control = header_of(&first, header::CACHE_CONTROL);
        assert!(
            cache_control.contains("public")
                && cache_control.contains("s-maxage=")
                && cache_control.contains("max-age=0"),
            "{path}: {cache_control}"
        );
        assert!(header_of(&first, header::VARY).contains("Cookie"), "{path}");
        assert!(first.set_cookies().is_empty(), "{path}: a shared page sets no cookie");

        let (n, again) = counted(&app, HOST, path, &[]).await;
        assert_eq!(n, 0, "{path}: served from memory, no database");
        assert_eq!(
            (again.status, header_of(&again, header::ETAG), &again.body),
            (StatusCode::OK, etag.as_str(), &first.body),
            "{path}"
        );

        let (n, revalidated) = counted(&app, HOST, path, &[("if-none-match", &etag)]).await;
        assert_eq!((revalidated.status, n), (StatusCode::NOT_MODIFIED, 0), "{path}");
        assert!(revalidated.bytes.is_empty(), "{path}: a 304 has no body");
        assert_eq!(header_of(&revalidated, header::ETAG), etag, "{path}");
        let other =
            app.get_with(HOST, path, &[("if-none-match", "\"00000000000000000000000000000000\", W/\"abc\"")]).await;
        assert_eq!(other.status, StatusCode::OK, "{path}: another ETag is no match");
    }
    // an unknown service is a 404 from memory (the content knows what the tenant offers) and is
    // never kept
    let (n, r) = counted(&app, HOST, "/leistungen/gibt-es-nicht", &[]).await;
    assert_eq!((r.status, n), (StatusCode::NOT_FOUND, 0));
    assert!(!header_of(&r, header::CACHE_CONTROL).contains("public"));
    // an empty search answers 422 and is not kept either
    let r = app.get(HOST, "/suche?q=+").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.headers.get(header::ETAG).is_none());
    // a search not seen before: one statement (no transaction around it)
    let (n, r) = counted(&app, HOST, "/suche?q=Hund", &[]).await;
    assert_eq!((r.status, n), (StatusCode::OK, 1), "one round trip for a new search");
}

#[tokio::test]
async fn compressed_bodies_decode_to_the_same_page() {
    let app = TestApp::spawn().await;
    for path in ["/", "/leistungen/meldebescheinigung", "/impressum", "/suche?q=Perso"] {
        let plain = app.get(HOST, path).await;
        assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
        let br = app.get_with(HOST, path, &[("accept-encoding", "gzip, deflate, br")]).await;
        assert_eq!(header_of(&br, header::CONTENT_ENCODING), "br", "{path}");
        let mut decoded = Vec::new();
        brotli::Decompressor::new(&br.bytes[..], 4096)
            .read_to_end(&mut decoded)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(decoded, plain.bytes, "{path}: brotli decodes to the page");
        assert!(br.bytes.len() * 2 < plain.bytes.len(), "{path}: {} of {} bytes", br.bytes.len(), plain.bytes.len());

        let gz = app.get_with(HOST, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(header_of(&gz, header::CONTENT_ENCODING), "gzip", "{path}");
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gz.bytes[..]).read_to_end(&mut decoded).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(decoded, plain.bytes, "{path}: gzip decodes to the page");

        // each coding is its own representation with its own ETag, and each revalidates
        let tags = [header_of(&plain, header::ETAG), header_of(&br, header::ETAG), header_of(&gz, header::ETAG)];
        assert!(tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2], "{path}: {tags:?}");
        let r = app.get_with(HOST, path, &[("accept-encoding", "br"), ("if-none-match", tags[1])]).await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{path}");
        // a page rendered for one visitor (any cookie) is compressed on the way out, the same page
        let personal = app.get_with(HOST, path, &[("accept-encoding", "br"), ("cookie", "x=1")]).await;
        assert_eq!(header_of(&personal, header::CONTENT_ENCODING), "br", "{path}");
        let mut decoded = Vec::new();
        brotli::Decompressor::new(&personal.bytes[..], 4096)
            .read_to_end(&mut decoded)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(decoded, plain.bytes, "{path}: the personal rendering of a public page is the same page");
        // refused codings are not sent
        let r = app.get_with(HOST, path, &[("accept-encoding", "br;q=0, gzip;q=0")]).await;
        assert!(r.headers.get(header::CONTENT_ENCODING).is_none() && r.bytes == plain.bytes, "{path}");
    }
}

#[tokio::test]
async fn a_shared_page_never_carries_one_visitors_data_or_token_to_another() {
    let app = TestApp::spawn().await;
    let email = unique_email("geteilt");
    let mut citizen = registered(&app, HOST, &email).await;
    let session = citizen.cookies.get("kp_session").cloned().unwrap_or_default();
    assert!(!session.is_empty());
    let account = citizen.get("/konto").await;
    assert_eq!(account.status, StatusCode::OK);
    let csrf = account.hidden("_csrf").unwrap_or_default();
    assert!(!csrf.is_empty(), "the account page carries the citizen's CSRF token");
    assert!(header_of(&account, header::CACHE_CONTROL).contains("private"), "a personal page is private");
    assert!(account.headers.get(header::ETAG).is_none());

    let (pages_before, _) = app.state.pages.usage().await;
    // a logged-in citizen's public pages are rendered for them alone: private, not kept
    for path in ["/", "/leistungen/meldebescheinigung", "/impressum", "/suche?q=Ausweis"] {
        let r = citizen.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            header_of(&r, header::CACHE_CONTROL).contains("private"),
            "{path}: {}",
            header_of(&r, header::CACHE_CONTROL)
        );
        assert!(r.headers.get(header::ETAG).is_none(), "{path}");
    }
    // nor a visitor who holds a login form's CSRF cookie (nor any cookie but the language's)
    let mut visitor = app.client(HOST);
    let login = visitor.get("/konto/anmelden").await;
    assert!(visitor.cookies.contains_key("kp_csrf"), "{:?}", login.set_cookies());
    let r = visitor.get("/").await;
    assert!(header_of(&r, header::CACHE_CONTROL).contains("private"));
    let r = app.get_with(HOST, "/", &[("cookie", "irgendwas=1")]).await;
    assert!(header_of(&r, header::CACHE_CONTROL).contains("private"));
    let (pages_after, _) = app.state.pages.usage().await;
    assert_eq!(pages_after, pages_before, "personal requests keep no page");

    // anonymous visitors get the shared pages: nothing of the citizen's in them
    let lang_only = app.get_with(HOST, "/", &[("cookie", "lang=en")]).await;
    assert!(header_of(&lang_only, header::CACHE_CONTROL).contains("public"), "the language cookie is not personal");
    for path in ["/", "/leistungen/meldebescheinigung", "/impressum", "/suche?q=Ausweis"] {
        for _ in 0..2 {
            let r = app.get(HOST, path).await;
            assert!(header_of(&r, header::CACHE_CONTROL).contains("public"), "{path}");
            for secret in [email.as_str(), session.as_str(), csrf.as_str()] {
                assert!(!r.body.contains(secret), "{path} carries {secret}");
            }
            assert!(!r.body.contains("name=\"_csrf\""), "{path}: a shared page has no CSRF field");
            assert!(r.set_cookies().is_empty(), "{path}");
        }
    }
}

#[tokio::test]
async fn one_tenants_page_is_never_served_on_anothers_host() {
    let app = TestApp::spawn().await;
    let other = app.another_server().await;
    for server in [&app, &other] {
        for path in ["/", "/impressum", "/suche?q=Perso"] {
            let a = server.get(HOST, path).await;
            let b = server.get(OTHER_HOST, path).await;
            assert!(a.body.contains("Stadt Kaiserslautern") && !a.body.contains("Stadt Düren"), "{path}");
            assert!(b.body.contains("Stadt Düren") && !b.body.contains("Stadt Kaiserslautern"), "{path}");
            let tag_a = header_of(&a, header::ETAG).to_owned();
            assert_ne!(tag_a, header_of(&b, header::ETAG), "{path}");
            // Kaiserslautern's validator does not revalidate Düren's page
            let r = server.get_with(OTHER_HOST, path, &[("if-none-match", &tag_a)]).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert!(r.body.contains("Stadt Düren"), "{path}");
        }
        // a service only Kaiserslautern offers (the fixture, checked) is not found on Düren's
        // host, cached or not
        assert!(
            offers(&app, "kaiserslautern").await && !offers(&app, "dueren").await,
            "the fixture: only Kaiserslautern offers Wunschkennzeichen"
        );
        for _ in 0..2 {
            let r = server.get(HOST, "/leistungen/wunschkennzeichen").await;
            assert_eq!(r.status, StatusCode::OK);
            assert!(r.body.contains("Wunschkennzeichen"), "{}", r.body);
        }
        for _ in 0..2 {
            assert_eq!(server.get(OTHER_HOST, "/leistungen/wunschkennzeichen").await.status, StatusCode::NOT_FOUND);
        }
    }
    // the same page is the same on both servers: a CDN can revalidate at either
    let a = app.get(HOST, "/").await;
    let b = other.get(HOST, "/").await;
    assert_eq!(header_of(&a, header::ETAG), header_of(&b, header::ETAG));
}

/// Whether the tenant `slug` offers Wunschkennzeichen (in the demo only Kaiserslautern does: the
/// tests that rely on it assert it first).
async fn offers(app: &TestApp, slug: &str) -> bool {
    sqlx::query_scalar("select exists (select 1 from service_activation a join tenant t using (tenant_id) where t.slug = $1 and a.service_slug = 'wunschkennzeichen')")
        .bind(slug)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Checks `check` on the other server `on` each time it has applied a notification, until it
/// holds (at most 5 s); returns how long it took. Host-name changes reload the registry without
/// a content change, so it also looks again after 100 ms without one.
async fn reaches<F, Fut>(what: &str, on: &TestApp, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    let mut changes = on.content_changes();
    let mut asked = 0;
    while started.elapsed() < Duration::from_secs(5) {
        asked += 1;
        if check().await {
            println!("{what}: on the other server after {} ms (request {asked})", started.elapsed().as_millis());
            return started.elapsed();
        }
        let _ = tokio::time::timeout(Duration::from_millis(100), changes.changed()).await;
    }
    panic!("{what}: not on the other server after 5 s");
}

#[tokio::test]
async fn every_kind_of_change_reaches_every_server() {
    let a = TestApp::spawn().await;
    let b = a.another_server().await;
    let owner = a.db.owner().await;
    let pages = ["/", "/leistungen/meldebescheinigung", "/impressum", "/suche?q=Perso", "/suche?q=Laterne"];
    // every page cached on both servers first
    for server in [&a, &b] {
        for p in pages {
            for _ in 0..2 {
                assert_eq!(server.get(HOST, p).await.status, StatusCode::OK, "{p}");
            }
        }
    }
    let mut slowest = Duration::ZERO;

    // 1. branding, by the tenant's admin on server A: A shows it on the next request
    let (mut admin, _) = staff(&a, "").await;
    let form = admin.get("/verwaltung/darstellung").await;
    assert_eq!(form.status, StatusCode::OK);
    let r = admin
        .submit(
            "/verwaltung/darstellung",
            "/verwaltung/darstellung",
            &[
                ("display_name", "Barbarossastadt Kaiserslautern"),
                ("primary_colour", "#b3121e"),
                ("secondary_colour", "#fdecea"),
                ("contact_email", ""),
                ("contact_phone", ""),
                ("address", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        a.get(HOST, "/").await.body.contains("Barbarossastadt"),
        "the server that made the change shows it at once"
    );
    slowest = slowest
        .max(reaches("branding", &b, || async { b.get(HOST, "/").await.body.contains("Barbarossastadt") }).await);

    // 2. a service switched off in the staff area: gone from the home, its page and the search
    let services = admin.get("/verwaltung/leistungen").await;
    let csrf = services.hidden("_csrf").unwrap_or_default();
    let r = admin
        .post_raw("/verwaltung/leistungen", &[("_csrf", &csrf), ("slug", "personalausweis"), ("active", "false")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(a.get(HOST, "/leistungen/personalausweis").await.status, StatusCode::NOT_FOUND);
    slowest = slowest.max(
        reaches("service switched off", &b, || async {
            !b.get(HOST, "/").await.body.contains("/leistungen/personalausweis")
        })
        .await,
    );
    assert_eq!(b.get(HOST, "/leistungen/personalausweis").await.status, StatusCode::NOT_FOUND);
    assert!(!b.get(HOST, "/suche?q=Perso").await.body.contains("/leistungen/personalausweis"));
    // and on again
    let r = admin
        .post_raw("/verwaltung/leistungen", &[("_csrf", &csrf), ("slug", "personalausweis"), ("active", "true")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    slowest = slowest.max(
        reaches("service switched on", &b, || async {
            b.get(HOST, "/suche?q=Perso").await.body.contains("/leistungen/personalausweis")
        })
        .await,
    );

    // 3. a tenant's override of a service (its fee), written as any other process would write it
    let tenant = a.tenant_id("kaiserslautern").await;
    let exec = |sql: &'static str| {
        let owner = owner.clone();
        async move { sqlx::query(sql).bind(tenant).execute(&owner).await.unwrap_or_else(|e| panic!("{sql}: {e}")) }
    };
    exec("update service_activation set fee_cents = 4711 where tenant_id = $1 and service_slug = 'meldebescheinigung'")
        .await;
    slowest = slowest.max(
        reaches("fee override", &b, || async {
            b.get(HOST, "/leistungen/meldebescheinigung").await.body.contains("47,11")
        })
        .await,
    );

    // 4. the legal texts
    exec("update tenant_branding set imprint_de = 'Neues Impressum der Barbarossastadt' where tenant_id = $1").await;
    slowest = slowest.max(
        reaches("imprint", &b, || async { b.get(HOST, "/impressum").await.body.contains("Neues Impressum") }).await,
    );

    // 5. the logo
    exec("delete from tenant_logo where tenant_id = $1").await;
    slowest =
        slowest.max(reaches("logo removed", &b, || async { !b.get(HOST, "/").await.body.contains("/logo?v=") }).await);

    // 6. the shared catalogue: a service's base name, a category's name, a search synonym
    exec("update base_service set name_de = 'Meldebescheinigung (neu)' where service_slug = 'meldebescheinigung' and $1 is not null").await;
    slowest = slowest.max(
        reaches("catalogue service", &b, || async { b.get(HOST, "/").await.body.contains("Meldebescheinigung (neu)") })
            .await,
    );
    let category: String = sqlx::query_scalar("select c.name_de from service_category c join base_service s using (category_slug) where s.service_slug = 'meldebescheinigung'")
        .fetch_one(&owner)
        .await
        .unwrap_or_default();
    exec("update service_category c set name_de = 'Umbenannte Kategorie' from base_service s where s.category_slug = c.category_slug and s.service_slug = 'meldebescheinigung' and $1 is not null")
        .await;
    slowest = slowest
        .max(reaches("category", &b, || async { b.get(HOST, "/").await.body.contains("Umbenannte Kategorie") }).await);
    assert!(!category.is_empty());
    assert!(!b.get(HOST, "/suche?q=Laterne").await.body.contains("/leistungen/meldebescheinigung"));
    exec("insert into search_synonym (term, expansions) values ('laterne', array['Meldebescheinigung']) on conflict (term) do update set expansions = excluded.expansions where $1 is not null").await;
    slowest = slowest.max(
        reaches("search synonym", &b, || async {
            b.get(HOST, "/suche?q=Laterne").await.body.contains("/leistungen/meldebescheinigung")
        })
        .await,
    );

    // 7. the tenant suspended by an operator on server A: the maintenance page everywhere
    let (session, ops_csrf) = a.login_operator().await;
    let r = a
        .post_form(
            OPS_HOST,
            &format!("/mandanten/{tenant}/status"),
            &[("_csrf", &ops_csrf), ("status", "suspended")],
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(a.get(HOST, "/").await.status, StatusCode::SERVICE_UNAVAILABLE);
    slowest = slowest.max(
        reaches("suspension", &b, || async { b.get(HOST, "/").await.status == StatusCode::SERVICE_UNAVAILABLE }).await,
    );
    let r = a
        .post_form(
            OPS_HOST,
            &format!("/mandanten/{tenant}/status"),
            &[("_csrf", &ops_csrf), ("status", "active")],
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    slowest =
        slowest.max(reaches("reactivation", &b, || async { b.get(HOST, "/").await.status == StatusCode::OK }).await);

    // nothing above reached the other tenant's pages on either server
    for server in [&a, &b] {
        let r = server.get(OTHER_HOST, "/").await;
        assert!(!r.body.contains("Barbarossastadt") && r.body.contains("Stadt Düren"));
    }
    println!("slowest change to reach the other server: {} ms", slowest.as_millis());
}

#[tokio::test]
async fn the_one_statement_search_stays_within_its_tenant() {
    let app = TestApp::spawn().await;
    let kaiserslautern = portal_domain::TenantId(app.tenant_id("kaiserslautern").await);
    let dueren = portal_domain::TenantId(app.tenant_id("dueren").await);
    let none = std::collections::HashMap::new();
    let found = |t| {
        let db = app.state.db.clone();
        let none = none.clone();
        async move {
            portal_catalogue::repo::search(&db, t, "Wunschkennzeichen", &none)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .into_iter()
                .map(|s| s.service_slug)
                .collect::<Vec<_>>()
        }
    };
    assert!(
        offers(&app, "kaiserslautern").await && !offers(&app, "dueren").await,
        "the fixture: only Kaiserslautern offers Wunschkennzeichen"
    );
    assert!(found(kaiserslautern).await.contains(&"wunschkennzeichen".to_owned()), "Kaiserslautern's search finds it");
    assert!(!found(dueren).await.contains(&"wunschkennzeichen".to_owned()), "Düren's search does not");

    // inside a transaction confined to one tenant it refuses to read another's
    let mut tx = app.state.db.tenant(kaiserslautern).await.unwrap_or_else(|e| panic!("{e}"));
    let r = sqlx::query("select * from portal_search($1, 'wunschkennzeichen:*', 50)")
        .bind(dueren.0)
        .fetch_all(tx.conn())
        .await;
    assert_eq!(
        portal_tests::sqlstate(&r),
        Some("P0001".into()),
        "portal_search for another tenant inside a tenant transaction: {r:?}"
    );
    assert!(
        r.as_ref().err().is_some_and(|e| e.to_string().contains("inside a transaction of another tenant")),
        "{r:?}"
    );
    drop(tx);
    // and it leaves the transaction's tenant as it was
    let mut tx = app.state.db.tenant(kaiserslautern).await.unwrap_or_else(|e| panic!("{e}"));
    let rows = sqlx::query("select * from portal_search($1, 'wunschkennzeichen:*', 50)")
        .bind(kaiserslautern.0)
        .fetch_all(tx.conn())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!rows.is_empty());
    let still: String =
        sqlx::query_scalar("select current_setting('app.tenant_id')").fetch_one(tx.conn()).await.unwrap_or_default();
    assert_eq!(still, kaiserslautern.0.to_string());
}
