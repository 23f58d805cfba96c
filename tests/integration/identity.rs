//! The Bürgerkonto end to end, in-process, with the real test mailbox (SMTP) and the real OpenID
//! provider started by the test command.

use http::StatusCode;
use portal_tests::{TestApp, TestClient, mails_for, unique_email};
mod providers;

const HOST: &str = "kaiserslautern.localhost";
const OTHER_HOST: &str = "dueren.localhost";
const PASSWORD: &str = "Amselweg-Laterne-17";

/// Registers and verifies an account; returns the logged-in client.
async fn registered<'a>(app: &'a TestApp, email: &str) -> TestClient<'a> {
    let mut c = app.client(HOST);
    let r = c
        .submit(
            "/konto/registrieren",
            "/konto/registrieren",
            &[("email", email), ("password", PASSWORD), ("password_repeat", PASSWORD), ("privacy", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let link = app.mailed_link(email, "/konto/bestaetigen").await;
    let r = c.get(&link).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = r.hidden("token").unwrap_or_default();
    let r = c.submit(&link, "/konto/bestaetigen", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/konto?hinweis=bestaetigt"));
    c
}

#[tokio::test]
async fn a_citizen_registers_verifies_by_mail_edits_the_profile_exports_and_deletes_the_account() {
    let app = TestApp::spawn().await;
    let email = unique_email("erika");

    // register → the verification mail arrives over SMTP, in the tenant's name
    let mut c = registered(&app, &email).await;
    let mails = mails_for(&email).await;
    assert!(mails[0].subject.contains("Stadt Kaiserslautern"), "{:?}", mails[0]);
    assert!(mails[0].from.contains("Stadt Kaiserslautern"));
    assert_eq!(mails[0].reply_to, "buergercenter@kaiserslautern.example");

    // logged in: the account page
    let page = c.get("/konto").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&email));

    // a bad postcode is refused next to the field; what was typed stays
    let r = c
        .submit(
            "/konto/profil",
            "/konto/profil",
            &[
                ("given_name", "Erika"),
                ("family_name", "Musterfrau"),
                ("postal_code", "6765"),
                ("city", "Kaiserslautern"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("fünfstellige Postleitzahl"), "{}", r.body);
    assert!(r.body.contains("value=\"Musterfrau\""));
    let r = c
        .submit(
            "/konto/profil",
            "/konto/profil",
            &[
                ("given_name", "Erika"),
                ("family_name", "Musterfrau"),
                ("postal_code", "67655"),
                ("city", "Kaiserslautern"),
                ("birth_date", "1980-02-29"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // download my data: JSON with the profile
    let export = c.get("/konto/daten").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.headers.get("content-disposition").is_some_and(|v| v.to_str().unwrap_or("").contains("attachment")));
    let json: serde_json::Value = serde_json::from_str(&export.body).unwrap_or_default();
    assert_eq!(json["account"]["profile"]["family_name"], "Musterfrau");
    assert_eq!(json["account"]["email"], email.as_str());
    assert!(json["sessions"].as_array().is_some_and(|s| !s.is_empty()));

    // delete: needs the confirmation and the password
    let r = c.submit("/konto/loeschen", "/konto/loeschen", &[("current_password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c.submit("/konto/loeschen", "/konto/loeschen", &[("confirm", "on"), ("current_password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let gone: i64 = sqlx::query_scalar("select count(*) from citizen_account where email = $1")
        .bind(&email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(gone, 0);
    // the old session is worthless and the login fails
    assert_eq!(c.get("/konto").await.status, StatusCode::SEE_OTHER);
    let r = c.submit("/konto/anmelden", "/konto/anmelden", &[("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn weak_passwords_are_refused_with_the_reason_next_to_the_field() {
    let app = TestApp::spawn().await;
    let mut c = app.client(HOST);
    let email = unique_email("weak");
    for (pw, message) in [
        ("kurz", "mindestens 12 Zeichen"),
        ("passwort1234", "am häufigsten verwendeten"),
        (email.as_str(), "nicht Ihre E-Mail-Adresse"),
    ] {
        let r = c
            .submit(
                "/konto/registrieren",
                "/konto/registrieren",
                &[("email", &email), ("password", pw), ("password_repeat", pw), ("privacy", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{pw}");
        assert!(r.body.contains(message), "{pw}: {}", r.body);
        assert!(r.body.contains(&format!("value=\"{email}\"")), "the address typed is kept");
    }
    let n: i64 = sqlx::query_scalar("select count(*) from citizen_account where email = $1")
        .bind(&email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_verification_link_works_once_and_not_after_it_expired() {
    let app = TestApp::spawn().await;
    let email = unique_email("reuse");
    let mut c = registered(&app, &email).await;
    // used before
    let mut other = app.client(HOST);
    let link = app.mailed_link(&email, "/konto/bestaetigen").await;
    let r = other.get(&link).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.body.contains("bereits verwendet"));

    // expired: a second registration's link, aged in the database
    let email2 = unique_email("expired");
    let r = c
        .submit(
            "/konto/registrieren",
            "/konto/registrieren",
            &[("email", &email2), ("password", PASSWORD), ("password_repeat", PASSWORD), ("privacy", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let link = app.mailed_link(&email2, "/konto/bestaetigen").await;
    sqlx::query("update one_time_token set expires_at = now() - interval '1 minute' where purpose = 'verify_email' and used_at is null").execute(&app.db.owner().await).await.unwrap_or_default();
    let r = other.get(&link).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.body.contains("abgelaufen"), "{}", r.body);
    // it can be re-sent, and the new link works
    let r = other.submit("/konto/bestaetigung-erneut", "/konto/bestaetigung-erneut", &[("email", &email2)]).await;
    assert_eq!(r.status, StatusCode::OK);
    let fresh = app.mailed_link(&email2, "/konto/bestaetigen").await;
    assert_ne!(fresh, link);
    let page = other.get(&fresh).await;
    let token = page.hidden("token").unwrap_or_default();
    let r = other.submit(&fresh, "/konto/bestaetigen", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn someone_who_registers_a_strangers_address_cannot_complete_it() {
    let app = TestApp::spawn().await;
    let victim = unique_email("victim");
    let mut attacker = app.client(HOST);
    let r = attacker
        .submit(
            "/konto/registrieren",
            "/konto/registrieren",
            &[
                ("email", &victim),
                ("password", "Angreifer-Passwort-99"),
                ("password_repeat", "Angreifer-Passwort-99"),
                ("privacy", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // the owner of the mailbox follows the link but does not know the attacker's password
    let link = app.mailed_link(&victim, "/konto/bestaetigen").await;
    let mut owner = app.client(HOST);
    let page = owner.get(&link).await;
    let token = page.hidden("token").unwrap_or_default();
    let r = owner.submit(&link, "/konto/bestaetigen", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("passt nicht zu dieser Registrierung"));
    // and the attacker cannot log in: the account has no password until the mailbox owner acts
    let r = attacker
        .submit("/konto/anmelden", "/konto/anmelden", &[("email", &victim), ("password", "Angreifer-Passwort-99")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_passwords_are_refused_alike_and_the_login_is_rate_limited_per_account() {
    let app = TestApp::spawn().await;
    let email = unique_email("limit");
    let _ = registered(&app, &email).await;
    let mut c = app.client(HOST);
    // a wrong password and an unknown address get the same answer
    let wrong = c
        .submit("/konto/anmelden", "/konto/anmelden", &[("email", &email), ("password", "falsch-falsch-falsch")])
        .await;
    let unknown = c
        .submit(
            "/konto/anmelden",
            "/konto/anmelden",
            &[("email", &unique_email("nobody")), ("password", "falsch-falsch-falsch")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("E-Mail-Adresse oder Passwort sind falsch"));
    assert!(unknown.body.contains("E-Mail-Adresse oder Passwort sind falsch"));
    for _ in 0..4 {
        c.submit("/konto/anmelden", "/konto/anmelden", &[("email", &email), ("password", "falsch-falsch-falsch")])
            .await;
    }
    // now even the right password is refused for a while
    let r = c.submit("/konto/anmelden", "/konto/anmelden", &[("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Zu viele Anmeldeversuche"));
    assert_eq!(r.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("900"));
    assert!(!c.cookies.contains_key("kp_session"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let email = unique_email("csrf");
    let mut c = registered(&app, &email).await;
    let r = c.post_raw("/konto/profil", &[("given_name", "Mallory")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.post_raw("/konto/profil", &[("_csrf", "forged"), ("given_name", "Mallory")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut anon = app.client(HOST);
    let r = anon.post_raw("/konto/anmelden", &[("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // a post from another site is refused by its Origin, even with the token
    let page = c.get("/konto/profil").await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let req = http::Request::post("/konto/profil")
        .header("host", HOST)
        .header("origin", "https://evil.example")
        .header("cookie", c.cookie_header())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("_csrf={csrf}&given_name=Mallory")))
        .unwrap_or_default();
    assert_eq!(app.request(req).await.status, StatusCode::FORBIDDEN);
    let name: Option<String> = sqlx::query_scalar("select given_name from citizen_account where email = $1")
        .bind(&email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    assert_eq!(name, None);
}

#[tokio::test]
async fn a_session_cookie_of_one_tenant_is_worthless_on_another_tenants_host() {
    let app = TestApp::spawn().await;
    let email = unique_email("replay");
    let c = registered(&app, &email).await;
    let cookie = c.cookie_header();
    assert!(cookie.contains("kp_session="));
    let own = app.get_with(HOST, "/konto", &[("cookie", &cookie)]).await;
    assert_eq!(own.status, StatusCode::OK);
    let replayed = app.get_with(OTHER_HOST, "/konto", &[("cookie", &cookie)]).await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER);
    assert!(replayed.location().is_some_and(|l| l.starts_with("/konto/anmelden")));
    // and the same address is a separate account there
    let mut other = app.client(OTHER_HOST);
    let r = other.submit("/konto/anmelden", "/konto/anmelden", &[("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_mail_and_the_old_one_stops_working() {
    let app = TestApp::spawn().await;
    let email = unique_email("forgot");
    let mut old = registered(&app, &email).await;
    let mut c = app.client(HOST);
    let r = c.submit("/konto/passwort-vergessen", "/konto/passwort-vergessen", &[("email", &email)]).await;
    assert_eq!(r.status, StatusCode::OK);
    let link = app.mailed_link(&email, "/konto/passwort-neu").await;
    let page = c.get(&link).await;
    let token = page.hidden("token").unwrap_or_default();
    let new_pw = "Neues-Laternen-Passwort-2026";
    let r = c
        .submit(&link, "/konto/passwort-neu", &[("token", &token), ("password", new_pw), ("password_repeat", new_pw)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // the session of whoever knew the old password ended
    assert_eq!(old.get("/konto").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        c.submit("/konto/anmelden", "/konto/anmelden", &[("email", &email), ("password", PASSWORD)]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.submit("/konto/anmelden", "/konto/anmelden", &[("email", &email), ("password", new_pw)]).await.status,
        StatusCode::SEE_OTHER
    );
    // the link is single use
    assert_eq!(c.get(&link).await.status, StatusCode::GONE);
}

#[tokio::test]
async fn changing_the_email_address_needs_the_new_address_confirmed() {
    let app = TestApp::spawn().await;
    let email = unique_email("old");
    let new_email = unique_email("new");
    let mut c = registered(&app, &email).await;
    let r = c.submit("/konto/email", "/konto/email", &[("email", &new_email), ("current_password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let still: i64 = sqlx::query_scalar("select count(*) from citizen_account where email = $1")
        .bind(&email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(still, 1, "unchanged until confirmed");
    let link = app.mailed_link(&new_email, "/konto/email-bestaetigen").await;
    assert_eq!(c.get(&link).await.status, StatusCode::SEE_OTHER);
    let now: i64 = sqlx::query_scalar("select count(*) from citizen_account where email = $1")
        .bind(&new_email)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(now, 1);
    app.deliver_mail().await;
    assert!(mails_for(&email).await.iter().any(|m| m.text.contains(&new_email)), "the old address is told");
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect

#[tokio::test]
async fn an_english_speaking_citizen_gets_the_errors_in_english() {
    let app = TestApp::spawn().await;
    let page = app.get_with(HOST, "/konto/registrieren", &[("accept-language", "en")]).await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let cookie = format!("kp_csrf={}", page.cookie("kp_csrf").unwrap_or_default());
    let req = http::Request::post("/konto/registrieren")
        .header("host", HOST)
        .header("accept-language", "en")
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("_csrf={csrf}&email=not-an-address&password=short&password_repeat=other")))
        .unwrap_or_default();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in
        ["Please give a valid e-mail address", "at least 12 characters", "do not match", "read the privacy notice"]
    {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    assert!(r.body.contains("value=\"not-an-address\""));
}
