//! Answers changed after the payment began (in another tab) and an intent key Stripe saw with other parameters.

use super::*;

#[tokio::test]
async fn answers_changed_in_another_tab_withdraw_the_open_payment_and_a_paid_draft_is_filed_only_as_paid_for() {
    let app = TestApp::spawn().await;
    let mut c = registered(&app, HOST, &unique_email("zweiter-tab")).await;
    let (base, intent, secret) = to_payment_page(&app, &mut c).await;
    // another tab: the order page saved with three certificates. The open intent (24 €) is
    // cancelled at Stripe, so the first tab can no longer pay the old amount for the new answers
    fill_with_existing(&mut c, "geburtsurkunde", &base, "order", &[("copies", "3")]).await;
    assert_eq!(remote_intent(&intent).await.1["status"], "canceled");
    assert_ne!(
        confirm(&intent, &secret, "pm_card_visa").await,
        reqwest::StatusCode::OK,
        "a withdrawn intent cannot be paid"
    );

    // the last check: answers changed behind the payment's back (here straight in the database)
    // are not filed with a payment for other answers
    let (_, r) = submit(&mut c, &format!("{base}/pruefen")).await;
    assert_eq!(r.location(), Some(format!("{base}/zahlung").as_str()));
    let pay = c.get(&format!("{base}/zahlung")).await;
    let secret = attr(&pay.body, "data-client-secret");
    let intent = secret.split("_secret_").next().unwrap_or_default().to_owned();
    assert_eq!(remote_intent(&intent).await.1["amount"], 3600);
    let draft = base.rsplit('/').next().unwrap_or_default().to_owned();
    sqlx::query(
        "update application_draft set answers = jsonb_set(answers, '{copies}', '\"9\"') where draft_id::text = $1",
    )
    .bind(&draft)
    .execute(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(confirm(&intent, &secret, "pm_card_visa").await, reqwest::StatusCode::OK);
    let r = c.get(&format!("{base}/zahlung/zurueck?payment_intent={intent}&redirect_status=succeeded")).await;
    assert_ne!(r.location(), Some(format!("{base}/fertig").as_str()), "{}", r.body);
    let (status, case_id): (String, Option<uuid::Uuid>) =
        sqlx::query_as("select status, case_id from payment where draft_id::text = $1")
            .bind(&draft)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((status.as_str(), case_id), ("succeeded", None), "paid, but not filed with answers it does not cover");
    let filed: i64 = owner_scalar(
        &app,
        "select count(*) from application_draft where case_id is not null and draft_id::text = $1",
        &draft,
    )
    .await;
    assert_eq!(filed, 0);
}

#[tokio::test]
async fn an_intent_key_stripe_saw_with_other_parameters_moves_the_payment_to_its_next_attempt() {
    // a server killed after Stripe created the intent but before it was stored comes back and asks
    // with the same key; when Stripe will not replay it, the payment page still works
    let app = TestApp::spawn().await;
    let mut c = registered(&app, HOST, &unique_email("neustart")).await;
    let check = fill_with(&mut c, "geburtsurkunde", &[("copies", "2")]).await;
    let (_, r) = submit(&mut c, &check).await;
    let base = check.trim_end_matches("/pruefen").to_owned();
    assert_eq!(r.location(), Some(format!("{base}/zahlung").as_str()));
    let draft = base.rsplit('/').next().unwrap_or_default().to_owned();
    let (payment, attempt): (uuid::Uuid, i32) =
        sqlx::query_as("select payment_id, attempt from payment where draft_id::text = $1")
            .bind(&draft)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let used = reqwest::Client::new()
        .post(format!("{}v1/payment_intents", stripe_url()))
        .bearer_auth("sk_test_kommunalportal")
        .header("stripe-account", ACCOUNT)
        .header("idempotency-key", format!("payment-{payment}-{attempt}-2400"))
        .form(&[("amount", "2400"), ("currency", "eur"), ("description", "anders")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(used.status().is_success(), "{}", used.text().await.unwrap_or_default());
    let pay = c.get(&format!("{base}/zahlung")).await;
    assert_eq!(pay.status, StatusCode::OK, "{}", pay.body);
    assert!(attr(&pay.body, "data-client-secret").starts_with("pi_"));
    let next: i32 = owner_scalar(&app, "select attempt from payment where draft_id::text = $1", &draft).await;
    assert_eq!(next, attempt + 1);
}
