//! Two-factor login (issue 27, finding 18): set-up by QR code at the first login, a code at every
//! login, a code taken once, recovery codes once, remembered devices, the staff policy, a growing
//! delay per account and address instead of a lockout, and the operator's sessions.

use axum::body::Body;
use http::{Request, StatusCode, header};
use portal_tests::{OPERATOR_EMAIL, OPERATOR_PASSWORD, OPS_HOST, TestApp, TestClient, TestResponse, secret_on_page};

use crate::cases::staff;

const HOST: &str = "kaiserslautern.localhost";

async fn create_operator(app: &TestApp) {
    let mut tx = app.state.db.platform().await.unwrap_or_else(|e| panic!("{e}"));
    let _ = portal_operators::create(&mut tx, OPERATOR_EMAIL, "Test Betrieb", OPERATOR_PASSWORD).await;
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
}

/// The password step in a fresh browser on the console.
async fn password_step<'a>(app: &'a TestApp, password: &str) -> (TestClient<'a>, TestResponse) {
    let mut c = app.client(OPS_HOST);
    let r = c.submit("/login", "/login", &[("email", OPERATOR_EMAIL), ("password", password)]).await;
    (c, r)
}

/// The recovery codes shown on a page.
fn codes_on(body: &str) -> Vec<String> {
    body.split("<code>").skip(1).filter_map(|s| s.split("</code>").next()).map(str::to_owned).collect()
}

#[tokio::test]
async fn an_operator_sets_up_the_second_factor_by_qr_code_then_logs_in_with_a_code_taken_once() {
    let app = TestApp::spawn().await;
    create_operator(&app).await;

    // Act: the first login with the right password goes to the set-up, not to a session
    let (mut c, r) = password_step(&app, OPERATOR_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/login/einrichten"));
    assert!(!c.cookies.contains_key("ops_session"), "no session before the second factor");
    let page = c.get("/login/einrichten").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("role=\"img\"") && page.body.contains("<path d=\"M"), "the QR code is drawn");
    let secret = secret_on_page(&page.body).unwrap_or_else(|| panic!("the key for typing: {}", page.body));
    // the page without the pending login (another browser) shows nothing of it
    let stranger = app.get(OPS_HOST, "/login/einrichten").await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    assert!(!stranger.body.contains(&secret[..8]));

    // a wrong code keeps the set-up open, with the error at the field
    let wrong = c.submit("/login/einrichten", "/login/einrichten", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("Dieser Code ist nicht richtig oder abgelaufen"), "{}", wrong.body);
    assert!(!c.cookies.contains_key("ops_session"));

    // the right code: the session starts and ten recovery codes are shown once
    app.learn_secret(OPERATOR_EMAIL, &secret);
    let code = app.next_code(OPERATOR_EMAIL).await;
    let done = c.submit("/login/einrichten", "/login/einrichten", &[("code", &code)]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let codes = codes_on(&done.body);
    assert_eq!(codes.len(), 10, "{codes:?}");
    assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{codes:?}");
    assert!(c.cookies.contains_key("ops_session"));
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    let stored: i64 = sqlx::query_scalar("select count(*) from operator_recovery_code where used_at is null")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert_eq!(stored, 10);

    // Act: the next login asks for a code
    let (mut c2, r) = password_step(&app, OPERATOR_PASSWORD).await;
    assert_eq!(r.location(), Some("/login/code"));
    let code = app.next_code(OPERATOR_EMAIL).await;
    let ok = c2.submit("/login/code", "/login/code", &[("code", &code)]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), Some("/"));
    assert!(c2.cookies.contains_key("ops_session"));

    // Assert: the same code once more is refused as used, in a third browser
    let (mut c3, r) = password_step(&app, OPERATOR_PASSWORD).await;
    assert_eq!(r.location(), Some("/login/code"));
    let again = c3.submit("/login/code", "/login/code", &[("code", &code)]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.body.contains("Dieser Code wurde bereits verwendet"), "{}", again.body);
    assert!(!c3.cookies.contains_key("ops_session"));
}

#[tokio::test]
async fn a_recovery_code_logs_in_once_and_the_security_page_counts_what_is_left() {
    let app = TestApp::spawn().await;
    create_operator(&app).await;
    let (mut c, r) = password_step(&app, OPERATOR_PASSWORD).await;
    let shown = c.second_step(r, OPERATOR_EMAIL).await;
    let codes = codes_on(&shown.body);
    assert_eq!(codes.len(), 10);

    // Act: a recovery code in upper case instead of the app's code
    let (mut c2, r) = password_step(&app, OPERATOR_PASSWORD).await;
    assert_eq!(r.location(), Some("/login/code"));
    let used = c2.submit("/login/code", "/login/code", &[("code", &codes[0].to_uppercase())]).await;
    let first_set = codes.clone();
    assert_eq!(used.status, StatusCode::SEE_OTHER, "{}", used.body);
    assert_eq!(used.location(), Some("/sicherheit"), "the security page says how many are left");
    let page = c2.get("/sicherheit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Verbleibende Wiederherstellungscodes") && page.body.contains(">9<"), "{}", page.body);

    // the security page takes only the app's codes (a recovery code typed there is not spent)
    let r = c2.submit("/sicherheit", "/sicherheit/codes", &[("code", &codes[2])]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Dieser Code ist nicht richtig"), "{}", r.body);
    let unused: i64 = sqlx::query_scalar("select count(*) from operator_recovery_code where used_at is null")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert_eq!(unused, 9, "only the code used at the login is spent");
    let code = app.next_code(OPERATOR_EMAIL).await;
    let renewed = c2.submit("/sicherheit", "/sicherheit/codes", &[("code", &code)]).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    assert_eq!(
        renewed.headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "codes are not kept by the browser"
    );
    let codes = codes_on(&renewed.body);
    assert_eq!(codes.len(), 10, "a new set");

    // Assert: the same recovery code a second time is refused, and the old set is void
    let (mut c3, _) = password_step(&app, OPERATOR_PASSWORD).await;
    let again = c3.submit("/login/code", "/login/code", &[("code", &first_set[0])]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.body.contains("Dieser Code ist nicht richtig"), "{}", again.body);
    let void = c3.submit("/login/code", "/login/code", &[("code", &first_set[3])]).await;
    assert_eq!(void.status, StatusCode::UNAUTHORIZED, "an unused code of the replaced set");
    assert!(!c3.cookies.contains_key("ops_session"));
    // another one still works
    let other = c3.submit("/login/code", "/login/code", &[("code", &codes[1])]).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER, "{}", other.body);
}

#[tokio::test]
async fn a_remembered_device_skips_the_code_until_it_is_forgotten() {
    let app = TestApp::spawn().await;
    create_operator(&app).await;
    let (mut c, r) = password_step(&app, OPERATOR_PASSWORD).await;
    let _ = c.second_step(r, OPERATOR_EMAIL).await;

    // Act: a login that asks to remember this device
    let (mut c2, r) = password_step(&app, OPERATOR_PASSWORD).await;
    assert_eq!(r.location(), Some("/login/code"));
    let code = app.next_code(OPERATOR_EMAIL).await;
    let ok = c2.submit("/login/code", "/login/code", &[("code", &code), ("remember", "on")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let device = c2.cookies.get("ops_device").cloned().unwrap_or_else(|| panic!("no device cookie"));

    // Assert: with the device's cookie the password alone starts the session
    let mut c3 = app.client(OPS_HOST);
    c3.cookies.insert("ops_device".into(), device.clone());
    let r = c3.submit("/login", "/login", &[("email", OPERATOR_EMAIL), ("password", OPERATOR_PASSWORD)]).await;
    assert_eq!(r.location(), Some("/"), "{}", r.body);
    assert!(c3.cookies.contains_key("ops_session"));
    // the security page lists it; forgetting all devices asks for a code again
    let page = c3.get("/sicherheit").await;
    assert!(page.body.contains("Gemerkte Geräte") && page.body.contains("Vergessen: "), "{}", page.body);
    let r = c3.submit("/sicherheit", "/sicherheit/geraete", &[("device", "alle")]).await;
    assert_eq!(r.location(), Some("/sicherheit?hinweis=geraete"));
    let mut c4 = app.client(OPS_HOST);
    c4.cookies.insert("ops_device".into(), device);
    let r = c4.submit("/login", "/login", &[("email", OPERATOR_EMAIL), ("password", OPERATOR_PASSWORD)]).await;
    assert_eq!(r.location(), Some("/login/code"));
    assert!(!c4.cookies.contains_key("ops_session"));
}

#[tokio::test]
async fn the_operator_sees_their_sessions_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let (first, _) = app.login_operator().await;
    let (second, _) = app.login_operator().await;
    let mut c = app.client(OPS_HOST);
    let (k, v) = first.split_once('=').unwrap_or_default();
    c.cookies.insert(k.to_owned(), v.to_owned());
    let page = c.get("/sicherheit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("Beenden: ").count(), 2, "both sessions are listed");
    assert!(page.body.contains("diese Sitzung"));

    // an id that is no session of this operator ends nothing
    let r =
        c.submit("/sicherheit", "/sicherheit/sitzungen", &[("session", "00000000-0000-0000-0000-000000000000")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get_with(OPS_HOST, "/", &[("cookie", &second)]).await.status, StatusCode::OK);

    // Act: end all the others
    let r = c.submit("/sicherheit", "/sicherheit/sitzungen", &[("session", "andere")]).await;
    assert_eq!(r.location(), Some("/sicherheit?hinweis=sitzungen"));

    // Assert: the second session is gone, this one lives
    let gone = app.get_with(OPS_HOST, "/", &[("cookie", &second)]).await;
    assert_eq!(gone.location(), Some("/login?abgelaufen=1"));
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    // without the CSRF token nothing ends
    let r = c.post_raw("/sicherheit/sitzungen", &[("session", "andere")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// A form posted to the console from the client address `peer`.
async fn post_from(app: &TestApp, peer: &str, path: &str, body: String, cookie: &str) -> TestResponse {
    let mut req = Request::post(path)
        .header(header::HOST, OPS_HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap_or_default();
    req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
        peer.parse().unwrap_or_else(|e| panic!("{e}")),
        40000,
    )));
    app.request(req).await
}

/// A login attempt on the console from the client address `peer`.
async fn attempt_from(app: &TestApp, peer: &str, password: &str) -> TestResponse {
    let form = app.get(OPS_HOST, "/login").await;
    let cookie = format!("kp_csrf={}", form.cookie("kp_csrf").unwrap_or_default());
    let csrf = form.hidden("_csrf").unwrap_or_default();
    let body = format!(
        "_csrf={}&email={}&password={}",
        urlencoding::encode(&csrf),
        urlencoding::encode(OPERATOR_EMAIL),
        urlencoding::encode(password)
    );
    post_from(app, peer, "/login", body, &cookie).await
}

#[tokio::test]
async fn failed_logins_delay_the_guessing_address_and_never_lock_the_operator_out() {
    let app = TestApp::spawn_at(time::macros::datetime!(2026-03-02 09:00 UTC)).await;
    create_operator(&app).await;

    // Act: five free failures from one address ...
    for i in 0..5 {
        let r = attempt_from(&app, "203.0.113.7", "falsch-falsch-falsch").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}: {}", r.body);
    }
    // ... and the next one from there must wait, even with the right password
    let r = attempt_from(&app, "203.0.113.7", OPERATOR_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"), "1 s after the fifth failure");
    assert!(r.body.contains("Bitte versuchen Sie es in 1 s erneut"), "{}", r.body);

    // Assert: the operator, from another address, is not locked out
    let r = attempt_from(&app, "198.51.100.20", OPERATOR_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/login/einrichten"));

    // the delay grows, and ends: after the wait the address may try again
    app.clock().advance(time::Duration::seconds(1));
    assert_eq!(attempt_from(&app, "203.0.113.7", "falsch-falsch-falsch").await.status, StatusCode::UNAUTHORIZED);
    let r = attempt_from(&app, "203.0.113.7", "falsch-falsch-falsch").await;
    assert_eq!(r.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("2"), "2 s after the sixth failure");

    // failures over many addresses slow the account for at most a minute
    for i in 0..12 {
        let _ = attempt_from(&app, &format!("192.0.2.{}", 10 + i), "falsch-falsch-falsch").await;
    }
    let r = attempt_from(&app, "198.51.100.20", OPERATOR_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 =
        r.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!((1..=60).contains(&wait), "{wait}");
    app.clock().advance(time::Duration::seconds(60));
    let r = attempt_from(&app, "198.51.100.20", OPERATOR_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "after at most a minute the owner gets in: {}", r.body);
}

#[tokio::test]
async fn the_tenants_policy_requires_the_second_factor_of_its_staff() {
    let app = TestApp::spawn().await;
    // admins set it up when accepting the invitation (the default policy); case workers need not
    let (mut admin, mut worker) = staff(&app, "").await;
    assert_eq!(worker.get("/verwaltung").await.status, StatusCode::OK);
    let page = admin.get("/verwaltung/sicherheit").await;
    assert!(page.body.contains("Für Ihr Konto ist der zweite Faktor vorgeschrieben"), "{}", page.body);
    // a case worker may not set the policy
    let r = worker.submit("/verwaltung/sicherheit", "/verwaltung/sicherheit/richtlinie", &[("policy", "none")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Act: the admin requires it of all staff
    let r = admin.submit("/verwaltung/sicherheit", "/verwaltung/sicherheit/richtlinie", &[("policy", "all")]).await;
    assert_eq!(r.location(), Some("/verwaltung/sicherheit?hinweis=richtlinie"));

    // Assert: the worker without a second factor is logged out and must set it up at the login
    let r = worker.get("/verwaltung").await;
    assert!(r.location().is_some_and(|l| l.starts_with("/verwaltung/anmelden")), "{:?}", r.location());
    let email: String = sqlx::query_scalar(
        "select email from staff_user where display_name = 'Carl Case' order by created_at desc limit 1",
    )
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_default();
    let r = worker
        .submit(
            "/verwaltung/anmelden",
            "/verwaltung/anmelden",
            &[("email", &email), ("password", crate::cases::WORKER_PW)],
        )
        .await;
    assert_eq!(r.location(), Some("/verwaltung/anmelden/einrichten"));
    // the pending login does not open on another tenant's host
    let pending = worker.cookies.get("kp_pending").cloned().unwrap_or_default();
    let other = app
        .get_with(
            "dueren.localhost",
            "/verwaltung/anmelden/einrichten",
            &[("cookie", &format!("kp_pending={pending}"))],
        )
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    let r = worker.second_step(r, &email).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(worker.get("/verwaltung").await.status, StatusCode::OK);
    // the admin's own next login asks for the code
    let mut again = app.client(HOST);
    let admin_email: String = sqlx::query_scalar(
        "select email from staff_user where display_name = 'Anna Admin' order by created_at desc limit 1",
    )
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_default();
    let r = again
        .submit(
            "/verwaltung/anmelden",
            "/verwaltung/anmelden",
            &[("email", &admin_email), ("password", crate::cases::ADMIN_PW)],
        )
        .await;
    assert_eq!(r.location(), Some("/verwaltung/anmelden/code"));
    let r = again.second_step(r, &admin_email).await;
    assert_eq!(r.location(), Some("/verwaltung"));
}

#[tokio::test]
async fn a_case_worker_sets_up_the_second_factor_by_choice_with_the_password() {
    let app = TestApp::spawn().await;
    let (_admin, mut worker) = staff(&app, "").await;
    let page = worker.get("/verwaltung/sicherheit").await;
    assert!(page.body.contains("nicht vorgeschrieben, aber empfohlen"), "{}", page.body);

    // without the right password the set-up does not begin
    let r = worker
        .submit("/verwaltung/sicherheit", "/verwaltung/sicherheit/einrichten", &[("password", "geraten-geraten-1")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Das Passwort ist nicht richtig."), "{}", r.body);
    assert!(!worker.cookies.contains_key("kp_pending"));

    // with it: the set-up page, then the codes, then the page says it is set up
    let r = worker
        .submit("/verwaltung/sicherheit", "/verwaltung/sicherheit/einrichten", &[("password", crate::cases::WORKER_PW)])
        .await;
    assert_eq!(r.location(), Some("/verwaltung/anmelden/einrichten"));
    // the new key is shown (the same one on a reload) but not stored before its first code
    let first = secret_on_page(&worker.get("/verwaltung/anmelden/einrichten").await.body);
    let again = secret_on_page(&worker.get("/verwaltung/anmelden/einrichten").await.body);
    assert!(first.is_some() && first == again, "{first:?} {again:?}");
    let stored: i64 =
        sqlx::query_scalar("select count(*) from staff_totp t join staff_user u using (tenant_id, staff_id) where u.display_name = 'Carl Case'").fetch_one(&app.db.owner().await).await.unwrap_or(-1);
    assert_eq!(stored, 0, "nothing unconfirmed is stored");
    let email: String = sqlx::query_scalar(
        "select email from staff_user where display_name = 'Carl Case' order by created_at desc limit 1",
    )
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_default();
    let done = worker.second_step(r, &email).await;
    assert_eq!(codes_on(&done.body).len(), 10);
    assert_eq!(done.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let page = worker.get("/verwaltung/sicherheit").await;
    assert!(page.body.contains("eingerichtet") && page.body.contains("Zweiten Faktor entfernen"), "{}", page.body);
    // the key stored is the one shown
    let keys: i64 = sqlx::query_scalar("select count(*) from staff_totp t join staff_user u using (tenant_id, staff_id) where u.display_name = 'Carl Case' and t.confirmed_at is not null")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert_eq!(keys, 1);
    assert_eq!(app.secret_of(&email), first);
}

/// The code step of a pending login from the client address `peer`.
async fn code_from(app: &TestApp, peer: &str, cookie: &str, csrf: &str, code: &str) -> TestResponse {
    post_from(app, peer, "/login/code", format!("_csrf={}&code={code}", urlencoding::encode(csrf)), cookie).await
}

#[tokio::test]
async fn codes_guessed_all_at_once_are_checked_one_after_the_other_within_the_delay() {
    let app = TestApp::spawn_at(time::macros::datetime!(2026-03-02 09:00 UTC)).await;
    let _ = app.login_operator().await;
    let (c, r) = password_step(&app, OPERATOR_PASSWORD).await;
    assert_eq!(r.location(), Some("/login/code"));
    let mut c = c;
    let page = c.get("/login/code").await;
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let cookie = c.cookie_header();

    // Act: twenty wrong codes sent at the same moment from one address
    let attempts = (0..20).map(|i| {
        let (app, cookie, csrf) = (&app, cookie.clone(), csrf.clone());
        async move { code_from(app, "203.0.113.9", &cookie, &csrf, &format!("{:06}", 100_000 + i)).await }
    });
    let answers = futures_join_all(attempts).await;

    // Assert: at most the five free failures were checked; every other one was told to wait
    let checked = answers.iter().filter(|r| r.status == StatusCode::UNAUTHORIZED).count();
    let waited = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert!((1..=5).contains(&checked), "{checked} wrong codes were checked");
    assert_eq!(checked + waited, 20);
    let failures: i32 = sqlx::query_scalar("select max(failures) from login_throttle")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(0);
    assert_eq!(usize::try_from(failures).unwrap_or(0), checked, "each checked code counted once");
}

/// Runs the futures concurrently on this task and collects their outputs in order.
async fn futures_join_all<F: std::future::Future<Output = TestResponse>>(
    futures: impl Iterator<Item = F>,
) -> Vec<TestResponse> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<TestResponse>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => out[i] = Some(r),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[tokio::test]
async fn a_remembered_browser_is_spared_the_accounts_delay_that_guessing_from_many_addresses_caused() {
    let app = TestApp::spawn_at(time::macros::datetime!(2026-03-02 09:00 UTC)).await;
    let _ = app.login_operator().await;
    let (mut c, r) = password_step(&app, OPERATOR_PASSWORD).await;
    assert_eq!(r.location(), Some("/login/code"));
    let code = app.next_code(OPERATOR_EMAIL).await;
    let ok = c.submit("/login/code", "/login/code", &[("code", &code), ("remember", "on")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let device = c.cookies.get("ops_device").cloned().unwrap_or_else(|| panic!("no device cookie"));

    // Arrange: someone fails from twelve addresses: the account waits
    for i in 0..12 {
        let _ = attempt_from(&app, &format!("192.0.2.{}", 30 + i), "falsch-falsch-falsch").await;
    }
    assert_eq!(attempt_from(&app, "198.51.100.40", OPERATOR_PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);

    // a device cookie of nobody (or another account) spares nothing
    let mut other = app.client(OPS_HOST);
    other.cookies.insert("ops_device".into(), "erfunden".into());
    let r = other.submit("/login", "/login", &[("email", OPERATOR_EMAIL), ("password", OPERATOR_PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);

    // Act + Assert: the remembered browser gets in at once, without a code
    let mut home = app.client(OPS_HOST);
    home.cookies.insert("ops_device".into(), device);
    let r = home.submit("/login", "/login", &[("email", OPERATOR_EMAIL), ("password", OPERATOR_PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/"));
}

#[tokio::test]
async fn an_address_spraying_passwords_over_many_accounts_is_stopped_while_logins_that_go_through_count_nothing() {
    let app = TestApp::spawn_at(time::macros::datetime!(2026-03-02 09:00 UTC)).await;
    let _ = app.login_operator().await;
    let attempt = |peer: &'static str, email: String, password: &'static str| {
        let app = &app;
        async move {
            let form = app.get(OPS_HOST, "/login").await;
            let cookie = format!("kp_csrf={}", form.cookie("kp_csrf").unwrap_or_default());
            let body = format!(
                "_csrf={}&email={}&password={password}",
                urlencoding::encode(&form.hidden("_csrf").unwrap_or_default()),
                urlencoding::encode(&email)
            );
            post_from(app, peer, "/login", body, &cookie).await
        }
    };
    // logins that go through (the password step) count nothing against the address
    for _ in 0..35 {
        assert_eq!(
            attempt("198.51.100.7", OPERATOR_EMAIL.to_owned(), OPERATOR_PASSWORD).await.location(),
            Some("/login/code")
        );
    }

    // Act: thirty failures from one address, each on another account
    for i in 0..30 {
        assert_eq!(
            attempt("203.0.113.50", format!("sprueh-{i}@example.org"), "Sommer2026!").await.status,
            StatusCode::UNAUTHORIZED
        );
    }

    // Assert: that address is refused now, even with a right password; another is not
    let r = attempt("203.0.113.50", OPERATOR_EMAIL.to_owned(), OPERATOR_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Zu viele Anmeldeversuche"), "{}", r.body);
    assert_eq!(
        attempt("198.51.100.7", OPERATOR_EMAIL.to_owned(), OPERATOR_PASSWORD).await.location(),
        Some("/login/code")
    );
}
