//! Administration routes over HTTP that no other test reaches: the console's view of the job
//! queue, deleting an OpenID identity provider (by the tenant's admin and in the console), and
//! asking Stripe for the state of the tenant's payment account.

use http::StatusCode;
use portal_tests::{OPS_HOST, TestApp, unique_email};
use uuid::Uuid;

use super::cases::{HOST, OTHER_HOST, staff};

/// The table row of `body` that holds `needle`.
fn row_with<'a>(body: &'a str, needle: &str) -> &'a str {
    let at = body.find(needle).unwrap_or_else(|| panic!("{needle} is not on the page: {body}"));
    let start = body[..at].rfind("<tr").unwrap_or(0);
    let end = body[at..].find("</tr>").map_or(body.len(), |e| at + e);
    &body[start..end]
}

async fn providers(app: &TestApp, tenant: Uuid) -> i64 {
    sqlx::query_scalar("select count(*) from identity_provider where tenant_id = $1 and provider_slug = 'bundid'")
        .bind(tenant)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1)
}

#[tokio::test]
async fn the_console_lists_queued_mails_with_their_state_for_operators_only() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;
    let tenant = app.tenant_id("kaiserslautern").await;
    // an invitation queues a mail
    let email = unique_email("auftrag");
    let r = app
        .post_form(
            OPS_HOST,
            &format!("/mandanten/{tenant}/zugang"),
            &[("_csrf", &csrf), ("email", &email), ("display_name", "Jana Job"), ("role", "tenant_admin")],
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let jobs = app.get_with(OPS_HOST, "/auftraege", &[("cookie", &session)]).await;
    assert_eq!(jobs.status, StatusCode::OK, "{}", jobs.body);
    assert!(jobs.body.contains("Aufträge"), "{}", jobs.body);
    let row = row_with(&jobs.body, &email);
    assert!(row.contains("Stadt Kaiserslautern") && row.contains("wartet") && !row.contains("zugestellt"), "{row}");
    // delivered: the same mail is shown as delivered
    assert!(app.deliver_mail().await >= 1);
    let jobs = app.get_with(OPS_HOST, "/auftraege", &[("cookie", &session)]).await;
    let row = row_with(&jobs.body, &email);
    assert!(row.contains("zugestellt") && !row.contains("wartet"), "{row}");

    // without a session: to the login, nothing shown
    let anon = app.get(OPS_HOST, "/auftraege").await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert_eq!(anon.location(), Some("/login"));
    assert!(!anon.body.contains(&email));
    // a tenant's host does not serve the console, even with the operator's cookie
    let on_tenant = app.get_with(HOST, "/auftraege", &[("cookie", &session)]).await;
    assert_eq!(on_tenant.status, StatusCode::NOT_FOUND);
    assert!(!on_tenant.body.contains(&email));
    // after logging out the cookie opens nothing
    let out = app.post_form(OPS_HOST, "/logout", &[("_csrf", &csrf)], &session).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = app.get_with(OPS_HOST, "/auftraege", &[("cookie", &session)]).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location().is_some_and(|l| l.starts_with("/login")), "{:?}", after.location());
    assert!(!after.body.contains(&email));
}

#[tokio::test]
async fn a_tenant_admin_deletes_an_identity_provider_which_a_case_worker_or_a_post_without_token_cannot() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant_id("kaiserslautern").await;
    let (mut admin, mut worker) = staff(&app, "").await;
    let r = admin.submit("/verwaltung/identitaet", "/verwaltung/identitaet", &crate::staff::PROVIDER).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(providers(&app, tenant).await, 1);
    let delete = "/verwaltung/identitaet/bundid/loeschen";
    assert!(admin.get("/verwaltung/identitaet").await.body.contains(delete), "the page offers to delete it");
    assert!(
        app.get(HOST, "/konto/anmelden").await.body.contains("/konto/anmelden/idp/bundid"),
        "citizens are offered it"
    );

    // refused: without the form's token, by a case worker, a provider that does not exist
    let r = admin.post_raw(delete, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Aktion nicht erlaubt"), "{}", r.body);
    let csrf = worker.get("/verwaltung").await.hidden("_csrf").unwrap_or_default();
    assert_eq!(worker.post_raw(delete, &[("_csrf", &csrf)]).await.status, StatusCode::FORBIDDEN);
    let r = admin.submit("/verwaltung/identitaet", "/verwaltung/identitaet/keycloak/loeschen", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(providers(&app, tenant).await, 1, "nothing deleted");

    let r = admin.submit("/verwaltung/identitaet", delete, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/verwaltung/identitaet?hinweis=geloescht"));
    assert_eq!(providers(&app, tenant).await, 0);
    let page = admin.get("/verwaltung/identitaet?hinweis=geloescht").await;
    assert!(page.body.contains("Der Eintrag wurde entfernt.") && !page.body.contains(delete), "{}", page.body);
    // the citizens' login no longer offers it
    assert!(!app.get(HOST, "/konto/anmelden").await.body.contains("/konto/anmelden/idp/bundid"));
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'identity_provider.delete' and object = 'identity_provider:bundid' and tenant_id = $1")
        .bind(tenant)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or(-1);
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn an_operator_deletes_a_tenants_identity_provider_and_only_under_that_tenant() {
    let app = TestApp::spawn().await;
    let (session, csrf) = app.login_operator().await;
    let (kl, dueren) = (app.tenant_id("kaiserslautern").await, app.tenant_id("dueren").await);
    let mut fields = vec![("_csrf", csrf.as_str())];
    fields.extend_from_slice(&crate::staff::PROVIDER);
    let r = app.post_form(OPS_HOST, &format!("/mandanten/{kl}/identitaet"), &fields, &session).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(providers(&app, kl).await, 1);

    // the slug under another tenant's address deletes nothing; without the token nothing either
    let r = app
        .post_form(OPS_HOST, &format!("/mandanten/{dueren}/identitaet/bundid/loeschen"), &[("_csrf", &csrf)], &session)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.post_form(OPS_HOST, &format!("/mandanten/{kl}/identitaet/bundid/loeschen"), &[], &session).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // nor from a tenant's host
    let r = app
        .post_form(OTHER_HOST, &format!("/mandanten/{kl}/identitaet/bundid/loeschen"), &[("_csrf", &csrf)], &session)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(providers(&app, kl).await, 1);

    let r = app
        .post_form(OPS_HOST, &format!("/mandanten/{kl}/identitaet/bundid/loeschen"), &[("_csrf", &csrf)], &session)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("/mandanten/{kl}/identitaet?hinweis=geloescht").as_str()));
    assert_eq!(providers(&app, kl).await, 0);
    let page =
        app.get_with(OPS_HOST, &format!("/mandanten/{kl}/identitaet?hinweis=geloescht"), &[("cookie", &session)]).await;
    assert!(
        page.body.contains("Der Eintrag wurde entfernt.") && !page.body.contains("/identitaet/bundid/loeschen"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_tenant_admin_asks_stripe_for_the_payment_accounts_state_which_a_case_worker_cannot() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant_id("kaiserslautern").await;
    let (mut admin, mut worker) = staff(&app, "").await;
    // as if never asked
    sqlx::query("update payment_setup set account_checked_at = null, account_charges_enabled = false, account_details_submitted = false where tenant_id = $1")
        .bind(tenant)
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let state = || {
        let db = app.db.clone();
        async move {
            sqlx::query_as::<_, (Option<String>, bool, bool)>("select account_checked_at::text, account_charges_enabled, account_details_submitted from payment_setup where tenant_id = $1")
                .bind(tenant)
                .fetch_one(&db.owner().await)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    let settings = "/verwaltung/zahlungen/einstellungen";
    let check = "/verwaltung/zahlungen/einstellungen/konto";
    let page = admin.get(settings).await;
    assert!(page.body.contains("Noch nicht bei Stripe abgefragt") && page.body.contains(check), "{}", page.body);

    // a case worker may not, nor a post without the form's token
    assert_eq!(worker.get(settings).await.status, StatusCode::FORBIDDEN);
    let csrf = worker.get("/verwaltung").await.hidden("_csrf").unwrap_or_default();
    let r = worker.post_raw(check, &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Aktion nicht erlaubt"), "{}", r.body);
    assert_eq!(admin.post_raw(check, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(state().await, (None, false, false), "Stripe was not asked");

    let r = admin.submit(settings, check, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/verwaltung/zahlungen/einstellungen?hinweis=konto"));
    let (checked_at, charges, details) = state().await;
    assert!(checked_at.is_some() && charges && details, "the complete demo account as Stripe reports it");
    let page = admin.get("/verwaltung/zahlungen/einstellungen?hinweis=konto").await;
    assert!(
        page.body.contains("Der Kontostatus wurde bei Stripe abgefragt.")
            && page.body.contains("Zahlungen möglich: ja"),
        "{}",
        page.body
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'payment.account_checked' and tenant_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or(-1);
    assert_eq!(audited, 1);
}
