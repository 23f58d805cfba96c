//! Logging in with an identity provider (OpenID Connect), and what a rogue provider cannot do.

use super::*;

/// Drives the provider's login page like a browser: follows redirects, posts the user's
/// credentials, and returns the path and query of the callback to the portal.
async fn provider_login(start_location: &str, user: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut url = start_location.to_owned();
    for _ in 0..12 {
        if url.starts_with(&format!("http://{HOST}")) {
            return url.trim_start_matches(&format!("http://{HOST}")).to_owned();
        }
        let r = http.get(&url).send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        let base = reqwest::Url::parse(&url).unwrap_or_else(|e| panic!("{e}"));
        if r.status().is_redirection() {
            let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            url = base.join(&loc).map(|u| u.to_string()).unwrap_or(loc);
            continue;
        }
        let body = r.text().await.unwrap_or_default();
        let action = body
            .split("action=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("no login form at {url}: {body}"));
        let post = base.join(action).unwrap_or_else(|e| panic!("{e}"));
        let r = http
            .post(post.clone())
            .form(&[("login", user), ("password", "test")])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        url = post.join(&loc).map(|u| u.to_string()).unwrap_or(loc);
    }
    panic!("the provider did not send the browser back");
}

#[tokio::test]
async fn a_citizen_logs_in_with_the_identity_provider_and_sees_the_verified_claims_locked() {
    let app = TestApp::spawn().await;
    let mut c = app.client(HOST);
    let login = c.get("/konto/anmelden").await;
    assert!(login.body.contains("/konto/anmelden/idp/test-eid"), "the login page offers the provider");
    let start = c.get("/konto/anmelden/idp/test-eid").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let auth = start.location().unwrap_or_default().to_owned();
    assert!(
        auth.contains("code_challenge=")
            && auth.contains("code_challenge_method=S256")
            && auth.contains("nonce=")
            && auth.contains("state="),
        "{auth}"
    );
    let callback = provider_login(&auth, "erika").await;
    let r = c.get(&callback).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get("/konto").await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "Erika",
        "Mustermann",
        "Heidestraße 17",
        "51147",
        "Köln",
        "12.08.1964",
        "hoch (eID",
        "bestätigt durch Test-eID (Demo)",
    ] {
        assert!(page.body.contains(expected), "profile shows {expected}");
    }
    assert!(!page.body.contains("1964-08-12"), "the birth date reads as people write it, not as the form stores it");
    // the verified fields cannot be changed by hand, the others can
    let form = c.get("/konto/profil").await;
    assert!(!form.body.contains("name=\"given_name\""), "a verified field has no input");
    let r = c.submit("/konto/profil", "/konto/profil", &[("given_name", "Mallory"), ("phone", "0631 12345")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let row: (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "select given_name, phone, level_of_assurance from citizen_account where verified_by is not null",
    )
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.0.as_deref(), Some("Erika"));
    assert_eq!(row.1.as_deref(), Some("0631 12345"));
    assert_eq!(row.2.as_deref(), Some("http://eidas.europa.eu/LoA/high"));
}

async fn add_rogue_provider(app: &TestApp, mode: &str) {
    let base = std::env::var("ROGUE_IDP_BASE").unwrap_or_else(|_| "http://127.0.0.1:4012".into());
    let tenant = app.tenant_id("kaiserslautern").await;
    sqlx::query("insert into identity_provider (tenant_id, provider_slug, display_name, issuer_url, client_id, client_secret_sealed) values ($1, $2, $3, $4, 'kommunalportal', $5)")
        .bind(tenant)
        .bind(mode)
        .bind(format!("Rogue {mode}"))
        .bind(format!("{base}/{mode}"))
        .bind(app.seal(tenant, mode, &format!("{base}/{mode}"), "kommunalportal", "rogue-client-secret"))
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Starts a login at `provider` and lets the (rogue) provider answer at once.
async fn rogue_login(c: &mut TestClient<'_>, provider: &str) -> portal_tests::TestResponse {
    let start = c.get(&format!("/konto/anmelden/idp/{provider}")).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let r = http.get(start.location().unwrap_or_default()).send().await.unwrap_or_else(|e| panic!("{e}"));
    let back = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    c.get(back.trim_start_matches(&format!("http://{HOST}"))).await
}

#[tokio::test]
async fn id_tokens_with_a_foreign_key_or_a_wrong_nonce_and_forged_states_are_refused() {
    let app = TestApp::spawn().await;
    for mode in ["honest", "wrong-key", "wrong-nonce"] {
        add_rogue_provider(&app, mode).await;
    }
    // the control: the same server, behaving, logs in
    let mut c = app.client(HOST);
    let r = rogue_login(&mut c, "honest").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/konto?hinweis=idp"));

    for mode in ["wrong-key", "wrong-nonce"] {
        let mut c = app.client(HOST);
        let r = rogue_login(&mut c, mode).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{mode}: {}", r.body);
        assert!(r.body.contains("konnte nicht geprüft werden"), "{mode}");
        assert!(!c.cookies.contains_key("kp_session"), "{mode}: no session");
    }
    let accounts: i64 =
        sqlx::query_scalar("select count(*) from citizen_identity where provider_slug in ('wrong-key', 'wrong-nonce')")
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or(-1);
    assert_eq!(accounts, 0);

    // a forged state: the callback does not belong to this browser's login
    let mut c = app.client(HOST);
    let start = c.get("/konto/anmelden/idp/honest").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let r = c.get("/konto/oidc/rueckruf?code=abc&state=forged").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("gehört nicht zu diesem Browser"));
    // and a callback without any login in progress
    let mut fresh = app.client(HOST);
    assert_eq!(fresh.get("/konto/oidc/rueckruf?code=abc&state=x").await.status, StatusCode::BAD_REQUEST);
}

async fn sink_hits() -> i64 {
    let base = std::env::var("ROGUE_IDP_BASE").unwrap_or_else(|_| "http://127.0.0.1:4012".into());
    let v: serde_json::Value = reqwest::get(format!("{base}/sink/_count"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    v["hits"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn a_provider_cannot_send_the_key_fetch_or_the_client_secret_to_another_origin_nor_flood_the_server() {
    let app = TestApp::spawn().await;
    for mode in ["honest", "foreign-jwks", "foreign-token", "huge"] {
        add_rogue_provider(&app, mode).await;
    }
    let before = sink_hits().await;
    // discovery names a key set on another origin: refused before anything is fetched there
    let mut c = app.client(HOST);
    let r = c.get("/konto/anmelden/idp/foreign-jwks").await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    // a 1 MB discovery document is not read to the end
    let r = c.get("/konto/anmelden/idp/huge").await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    // the token endpoint on another origin: the login starts (the browser may go anywhere), but the
    // code exchange with the client secret is never sent there
    let r = rogue_login(&mut c, "foreign-token").await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert!(!c.cookies.contains_key("kp_session"));
    assert_eq!(sink_hits().await, before, "nothing reached the other origin");
    // the control: the same provider, behaving, logs in
    let r = rogue_login(&mut app.client(HOST), "honest").await;
    assert_eq!(r.location(), Some("/konto?hinweis=idp"), "{}", r.body);
}

#[tokio::test]
async fn a_client_secret_sealed_for_another_tenant_opens_nowhere_else() {
    let app = TestApp::spawn().await;
    add_rogue_provider(&app, "honest").await;
    // Kaiserslautern's sealed secret copied into Düren's row (a database-level transplant)
    let (kl, dn) = (app.tenant_id("kaiserslautern").await, app.tenant_id("dueren").await);
    let owner = app.db.owner().await;
    sqlx::query("insert into identity_provider (tenant_id, provider_slug, display_name, issuer_url, client_id, client_secret_sealed) select $2, provider_slug, display_name, issuer_url, client_id, client_secret_sealed from identity_provider where tenant_id = $1 and provider_slug = 'honest'")
        .bind(kl)
        .bind(dn)
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // the control: on Kaiserslautern's host the same secret opens and the login goes to the provider
    let base = std::env::var("ROGUE_IDP_BASE").unwrap_or_else(|_| "http://127.0.0.1:4012".into());
    let ok = rogue_login(&mut app.client(HOST), "honest").await;
    assert_eq!(ok.location(), Some("/konto?hinweis=idp"), "{}", ok.body);
    // on Düren's host the copied row's secret does not open: the login never leaves the portal
    let provider_of = |tenant: uuid::Uuid| {
        let db = app.state.db.clone();
        async move {
            let mut tx = db.tenant(portal_domain::TenantId(tenant)).await.unwrap_or_else(|e| panic!("{e}"));
            portal_identity::oidc::provider(&mut tx, "honest")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("the provider row of {tenant}"))
        }
    };
    let (at_kl, at_dn) = (provider_of(kl).await, provider_of(dn).await);
    assert_eq!(at_kl.sealed_secret, at_dn.sealed_secret, "the same sealed bytes in both rows");
    assert!(app.state.oidc.has_secret(kl, &at_kl), "it opens for the tenant it was sealed for");
    assert!(!app.state.oidc.has_secret(dn, &at_dn), "and for no other");
    let r = app.client("dueren.localhost").get("/konto/anmelden/idp/honest").await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert!(r.location().is_none_or(|l| !l.starts_with(&base)), "no redirect to the provider");
    assert!(r.body.contains("Der Identitätsanbieter ist gerade nicht erreichbar"), "{}", r.body);
    let stored: Vec<u8> = sqlx::query_scalar(
        "select client_secret_sealed from identity_provider where tenant_id = $1 and provider_slug = 'honest'",
    )
    .bind(kl)
    .fetch_one(&owner)
    .await
    .unwrap_or_default();
    assert!(!stored.windows(6).any(|w| w == b"client"), "stored sealed, not in plain text");
}
