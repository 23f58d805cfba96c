//! Payments as the office and the operators see them: refunds, settings, the payment jobs, and a
//! case worker's scope.

use super::*;

#[tokio::test]
async fn refunds_need_the_role_and_a_reason_are_audited_and_reach_the_cash_office_export() {
    // 00:30 on 15 July in Germany (summer time): the cash office's day is already the 15th in UTC+2
    let app = TestApp::spawn_at(time::macros::datetime!(2026-07-14 22:30 UTC)).await;
    let email = unique_email("erstattung");
    let mut c = registered(&app, HOST, &email).await;
    let (base, intent, secret) = pay_later_case(&app, &mut c).await;
    assert_eq!(confirm(&intent, &secret, "pm_card_visa").await, reqwest::StatusCode::OK);
    let r = c.get(&format!("{base}/zahlung/zurueck?payment_intent={intent}&redirect_status=succeeded")).await;
    assert_eq!(r.location(), Some(base.as_str()));
    let case_id = base.rsplit('/').next().unwrap_or_default().to_owned();
    let case_path = format!("/verwaltung/vorgaenge/{case_id}");

    let (mut admin, mut worker) = staff(&app, "bewohnerparkausweis").await;
    // a viewer may see the payment but not refund
    let viewer_email = unique_email("viewer");
    let r = admin
        .submit(
            "/verwaltung/mitarbeitende",
            "/verwaltung/mitarbeitende",
            &[("email", &viewer_email), ("display_name", "Vera View"), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let link = app.mailed_link(&viewer_email, "/verwaltung/einladung").await;
    let mut viewer = app.client(HOST);
    let page = viewer.get(&link).await;
    let token = page.hidden("token").unwrap_or_default();
    viewer
        .submit(
            &link,
            "/verwaltung/einladung",
            &[("token", &token), ("password", "Nur-Lesen-Bitte-2026"), ("password_repeat", "Nur-Lesen-Bitte-2026")],
        )
        .await;
    let page = viewer.get(&case_path).await;
    assert!(page.body.contains("30,00 €") && !page.body.contains("/erstattung"), "{}", page.body);
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = viewer
        .post_raw(&format!("{case_path}/erstattung"), &[("_csrf", &csrf), ("amount", "5"), ("reason", "Versehen")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // the case worker: too much, no reason → errors next to the fields, values kept
    let r = crate::cases::office::staff_post(
        &mut worker,
        &format!("{case_path}/erstattung"),
        &[("amount", "31,00"), ("reason", "x")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Es können höchstens 30,00 € erstattet werden.")
            && r.body.contains("Bitte geben Sie einen Grund an"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"31,00\""), "the typed amount is kept");
    // a partial refund, then the rest
    let r = crate::cases::office::staff_post(
        &mut worker,
        &format!("{case_path}/erstattung"),
        &[("amount", "5,00"), ("reason", "Zone B statt Zone A: Differenz")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let refunded: i64 = owner_scalar(&app, "select refunded_cents from payment where intent_id = $1", &intent).await;
    assert_eq!(refunded, 500);
    let r = crate::cases::office::staff_post(
        &mut worker,
        &format!("{case_path}/erstattung"),
        &[("amount", "25"), ("reason", "Antrag zurückgenommen")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = crate::cases::office::staff_post(
        &mut worker,
        &format!("{case_path}/erstattung"),
        &[("amount", "1"), ("reason", "noch einmal")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "nothing left to refund");
    let remote: Value = reqwest::get(format!("{}_test/events?account={ACCOUNT}", stripe_url()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    let refunds = remote.as_array().map_or(0, |l| {
        l.iter()
            .filter(|e| e["type"] == "refund.created" && e["payload"].as_str().unwrap_or_default().contains(&intent))
            .count()
    });
    assert_eq!(refunds, 2, "two refunds at Stripe");
    let audited: i64 = owner_scalar(&app, "select count(*) from audit_log where action = $1", "payment.refund").await;
    assert_eq!(audited, 2);
    app.deliver_mail().await;
    assert!(mails_for(&email).await.iter().any(|m| m.subject.contains("Erstattung 5,00 €")), "the applicant is told");

    // the payments view and the cash office's CSV of today
    let view = admin.get("/verwaltung/zahlungen?status=succeeded").await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert!(view.body.contains("Bewohnerparkausweis"), "{}", view.body);
    let csv = admin.get("/verwaltung/zahlungen/export/2026-07-15").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers.get("content-type").is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/csv")));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], portal_payments::export::HEADER);
    let kz: String = owner_scalar(&app, "select kassenzeichen from payment where intent_id = $1", &intent).await;
    let payment_line =
        lines.iter().find(|l| l.contains(&kz) && l.contains(";zahlung;")).unwrap_or_else(|| panic!("{}", csv.body));
    assert!(
        payment_line.contains(";Bewohnerparkausweis;3210;432100;1.2.6.01;30,00;0,70;0,00;card;")
            && payment_line.contains(&intent),
        "{payment_line}"
    );
    assert_eq!(lines.iter().filter(|l| l.contains(&kz) && l.contains(";erstattung;")).count(), 2, "{}", csv.body);
    // a case worker of other services sees no refund form and gets 404 for the case
    let (_, mut other_worker) = staff(&app, "geburtsurkunde").await;
    assert_eq!(other_worker.get(&case_path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn settings_are_validated_field_by_field_and_secrets_are_never_shown() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = staff(&app, "geburtsurkunde").await;
    let page = admin.get("/verwaltung/zahlungen/einstellungen").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("eingerichtet") && !page.body.contains("sk_test") && !page.body.contains("whsec_"),
        "{}",
        page.body
    );
    let r = admin
        .submit(
            "/verwaltung/zahlungen/einstellungen",
            "/verwaltung/zahlungen/einstellungen",
            &[
                ("mode", "online"),
                ("stripe_account_id", "acct_"),
                ("kassenzeichen_prefix", "kl"),
                ("kassenzeichen_digits", "8"),
                ("reminder_days", "0"),
                ("cash_office_email", "kasse"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for msg in [
        "Die Kennung eines Stripe-Kontos beginnt mit acct_",
        "Bitte wählen Sie mindestens eine Zahlungsart.",
        "Das Präfix darf bis 12 Zeichen haben",
        "Die Erinnerung geht 1 bis 30 Tage vor Fristende.",
        "Bitte geben Sie eine gültige E-Mail-Adresse an.",
    ] {
        assert!(r.body.contains(msg), "{msg}: {}", r.body);
    }
    assert!(r.body.contains("value=\"kasse\""), "values are kept");
    // a tenant admin cannot claim a connected account by naming it (another portal's, or any)
    for account in ["acct_demoDueren0001", "acct_klPendingNew01"] {
        let r = admin
            .submit(
                "/verwaltung/zahlungen/einstellungen",
                "/verwaltung/zahlungen/einstellungen",
                &[
                    ("mode", "online"),
                    ("stripe_account_id", account),
                    ("methods", "card"),
                    ("kassenzeichen_prefix", "KL-"),
                    ("kassenzeichen_digits", "8"),
                    ("reminder_days", "3"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{account}");
        assert!(r.body.contains("verknüpft der Betrieb der Plattform"), "{}", r.body);
    }
    let mapped: i64 =
        owner_scalar(&app, "select count(*) from stripe_account where account_id = $1", "acct_klPendingNew01").await;
    assert_eq!(mapped, 0);
    // the operators attach accounts: Düren's is refused for Kaiserslautern, a new one is saved and
    // its onboarding state fetched from Stripe (unfinished)
    let (session, ops_csrf) = app.login_operator().await;
    let kl = app.tenant_id("kaiserslautern").await;
    let setup = |account: &'static str| {
        vec![
            ("_csrf", ops_csrf.clone()),
            ("mode", "online".into()),
            ("stripe_account_id", account.into()),
            ("methods", "card".into()),
            ("methods", "sepa_debit".into()),
            ("kassenzeichen_prefix", "KL-".into()),
            ("kassenzeichen_digits", "8".into()),
            ("reminder_days", "3".into()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let (app, session) = (&app, &session);
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(OPS_HOST, &format!("/mandanten/{kl}/zahlungen"), &fields, session).await
        }
    };
    let r = post(setup("acct_demoDueren0001")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("bereits mit einem anderen Portal verbunden"), "{}", r.body);
    let r = post(setup("acct_klPendingNew01")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // the tenant admin keeps it when saving the other settings
    let r = admin
        .submit(
            "/verwaltung/zahlungen/einstellungen",
            "/verwaltung/zahlungen/einstellungen",
            &[
                ("mode", "online"),
                ("stripe_account_id", "acct_klPendingNew01"),
                ("methods", "card"),
                ("kassenzeichen_prefix", "KL-"),
                ("kassenzeichen_digits", "8"),
                ("reminder_days", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = admin.get("/verwaltung/zahlungen/einstellungen").await;
    assert!(
        page.body.contains("Zahlungen möglich: nein") && page.body.contains("offene Anforderungen: 2"),
        "{}",
        page.body
    );
    // the onboarding link leads to Stripe's hosted onboarding of that account
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let r = admin.post_raw("/verwaltung/zahlungen/einstellungen/onboarding", &[("_csrf", &csrf)]).await;
    assert!(r.location().unwrap_or_default().contains("/_onboarding/acct_klPendingNew01"), "{:?}", r.location());

    // a service's fee: booking text too long, cost centre and account wrong, option amounts missing
    let r = admin
        .submit(
            "/verwaltung/zahlungen/leistungen/meldebescheinigung",
            "/verwaltung/zahlungen/leistungen/meldebescheinigung",
            &[
                ("fee_kind", "by_option"),
                ("fee_field", "kind"),
                ("fee_options", "einfach=10"),
                ("booking_text", "Meldebescheinigung mit Gebühr"),
                ("cost_centre", "a b"),
                ("account", "12"),
                ("timing", "before"),
                ("pay_days", "14"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for msg in [
        "höchstens 27 Zeichen",
        "Bitte geben Sie eine Kostenstelle an",
        "Sachkonto mit 4 bis 10 Ziffern",
        "Für jede Auswahl des Felds braucht es einen Betrag",
    ] {
        assert!(r.body.contains(msg), "{msg}: {}", r.body);
    }
    let en =
        app.post_form(HOST, "/verwaltung/zahlungen/leistungen/meldebescheinigung", &[], &admin.cookie_header()).await;
    assert_eq!(en.status, StatusCode::FORBIDDEN, "no CSRF token, no change");
    let r = admin
        .submit(
            "/verwaltung/zahlungen/leistungen/meldebescheinigung",
            "/verwaltung/zahlungen/leistungen/meldebescheinigung",
            &[
                ("fee_kind", "by_option"),
                ("fee_field", "kind"),
                ("fee_options", "einfach=10; erweitert=15,50"),
                ("booking_text", "Meldebescheinigung"),
                ("cost_centre", "3300"),
                ("account", "431100"),
                ("timing", "after"),
                ("pay_days", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let audited: i64 =
        owner_scalar(&app, "select count(*) from audit_log where action = $1", "payment.service_fee").await;
    assert_eq!(audited, 1);

    // operators: plan fees validated, a tenant's plan and setup in the console
    let csrf = ops_csrf.clone();
    let r = app
        .post_form(
            OPS_HOST,
            "/tarife",
            &[("_csrf", &csrf), ("plan", "standard"), ("fixed", "500"), ("percent", "12")],
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("zwischen 0 und 100 €") && r.body.contains("zwischen 0 und 10"), "{}", r.body);
    let r = app
        .post_form(
            OPS_HOST,
            "/tarife",
            &[("_csrf", &csrf), ("plan", "standard"), ("fixed", "0,30"), ("percent", "2")],
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let fee: i64 =
        owner_scalar(&app, "select fee_fixed_cents + fee_basis_points from plan where plan_slug = $1", "standard")
            .await;
    assert_eq!(fee, 30 + 200);
    let tenant = app.tenant_id("guetersloh").await;
    let page = app.get_with(OPS_HOST, &format!("/mandanten/{tenant}/zahlungen"), &[("cookie", &session)]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Basis") && page.body.contains("Keine Online-Zahlung") && !page.body.contains("whsec_"),
        "{}",
        page.body
    );
    let r = app
        .post_form(
            OPS_HOST,
            &format!("/mandanten/{tenant}/zahlungen"),
            &[("_csrf", &csrf), ("teil", "tarif"), ("plan", "plus")],
            &session,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let plan: String =
        owner_scalar(&app, "select plan_slug from tenant where tenant_id::text = $1", &tenant.to_string()).await;
    assert_eq!(plan, "plus");
}

#[tokio::test]
async fn the_jobs_remind_before_the_deadline_cancel_abandoned_intents_and_write_the_daily_export() {
    let app = TestApp::spawn().await;
    let email = unique_email("frist");
    let mut c = registered(&app, HOST, &email).await;
    // a pay-later case due tomorrow: reminded once
    let (_, intent, _) = pay_later_case(&app, &mut c).await;
    let owner = app.db.owner().await;
    sqlx::query("update payment set due_at = now() + interval '1 day' where intent_id = $1")
        .bind(&intent)
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // a pay-before draft whose payment page was left two days ago
    let (_, abandoned, _) = to_payment_page(&app, &mut c).await;
    sqlx::query("update payment set state_at = now() - interval '2 days' where intent_id = $1")
        .bind(&abandoned)
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // a payment made yesterday (German date) for the daily export
    let paid = {
        let (base, intent, secret) = pay_later_case(&app, &mut c).await;
        assert_eq!(confirm(&intent, &secret, "pm_card_visa").await, reqwest::StatusCode::OK);
        c.get(&format!("{base}/zahlung/zurueck?redirect_status=succeeded")).await;
        sqlx::query("update payment set paid_at = now() - interval '1 day' where intent_id = $1")
            .bind(&intent)
            .execute(&owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        intent
    };

    let report = portal_server::payments::jobs::run_once(&app.state).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.reminders >= 1 && report.expired >= 1 && report.exports >= 1, "{report:?}");
    app.deliver_mail().await;
    let reminders = mails_for(&email).await.into_iter().filter(|m| m.subject.starts_with("Erinnerung")).count();
    assert_eq!(reminders, 1);
    let (_, pi) = remote_intent(&abandoned).await;
    assert_eq!(pi["status"], "canceled", "the abandoned intent is cancelled at Stripe");
    let status: String =
        sqlx::query_scalar("select status from payment where kassenzeichen = (select kassenzeichen from payment where draft_id is not null and case_id is null order by created_at desc limit 1)")
            .fetch_one(&owner)
            .await
            .unwrap_or_default();
    assert_eq!(status, "expired");
    let kl = app.tenant_id("kaiserslautern").await;
    let csv: String =
        sqlx::query_scalar("select csv from payment_export where tenant_id = $1 order by export_date desc limit 1")
            .bind(kl)
            .fetch_one(&owner)
            .await
            .unwrap_or_default();
    assert!(csv.contains(&paid), "{csv}");

    // a second run (or another server) sends and stores nothing twice
    let again = portal_server::payments::jobs::run_once(&app.state).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((again.reminders, again.exports), (0, 0));
    app.deliver_mail().await;
    assert_eq!(mails_for(&email).await.into_iter().filter(|m| m.subject.starts_with("Erinnerung")).count(), 1);
    // the expired payment can still be paid: a new attempt gets a new intent
    let draft_payment: (Option<uuid::Uuid>,) =
        sqlx::query_as("select draft_id from payment where status = 'expired' limit 1")
            .fetch_one(&owner)
            .await
            .unwrap_or((None,));
    let page = c.get(&format!("/antrag/{}/zahlung", draft_payment.0.unwrap_or_default())).await;
    let secret = attr(&page.body, "data-client-secret");
    assert!(secret.starts_with("pi_") && !secret.starts_with(&abandoned), "{}", page.body);
}

#[tokio::test]
async fn a_case_worker_limited_to_some_services_sees_only_their_payments_and_cash_office_lines() {
    // 00:30 on Christmas Day in Germany (winter time), still the 24th in UTC
    let app = TestApp::spawn_at(time::macros::datetime!(2026-12-24 23:30 UTC)).await;
    let mut c = registered(&app, HOST, &unique_email("parken")).await;
    pay_later_case(&app, &mut c).await;
    let kz: String = sqlx::query_scalar("select kassenzeichen from payment where service_slug = 'bewohnerparkausweis'")
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    assert!(!kz.is_empty());
    let (mut admin, mut worker) = staff(&app, "meldebescheinigung").await;
    // the cash office's day is the German civil day: 25 December, although it is still the 24th in UTC
    let csv_path = "/verwaltung/zahlungen/export/2026-12-25.csv";
    let the_24th = worker.get("/verwaltung/zahlungen/export/2026-12-24.csv").await;
    assert_eq!(the_24th.status, StatusCode::OK);

    let list = admin.get("/verwaltung/zahlungen").await;
    assert!(list.body.contains(&kz), "the admin sees every payment");
    let list = worker.get("/verwaltung/zahlungen").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(!list.body.contains(&kz) && !list.body.contains("Bewohnerparkausweis"), "{}", list.body);
    let filtered = worker.get("/verwaltung/zahlungen?leistung=bewohnerparkausweis").await;
    assert!(!filtered.body.contains(&kz), "nor by asking for the service");
    // the cash office's CSV: lines of the worker's services only (the payment is not paid yet, so
    // pay it first to give it a line)
    sqlx::query("update payment set status = 'succeeded', paid_at = $2 where kassenzeichen = $1")
        .bind(&kz)
        .bind(app.clock().now())
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        admin.get(csv_path).await.body.contains(&kz),
        "paid at 00:30 German time on the 25th: in the 25th's export"
    );
    assert!(!admin.get("/verwaltung/zahlungen/export/2026-12-24.csv").await.body.contains(&kz), "not in the 24th's");
    let csv = worker.get(csv_path).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(!csv.body.contains(&kz), "{}", csv.body);
}
