//! Payments in-process against the Stripe-compatible server the test command starts
//! (tests/e2e/services/stripe.mjs): paying before filing and paying later, the amount from the
//! server's rule only, PaymentIntents on the connected account with idempotency key, application fee
//! and metadata, signed webhooks applied once and only forwards, the return confirmed by asking
//! Stripe (a lost webhook loses nothing), Stripe unreachable, refunds by role, the settings'
//! validation, the cash office's CSV and the payment jobs.

use http::StatusCode;
use portal_payments::webhook::sign;
use portal_tests::{OPS_HOST, TestApp, TestClient, WEBHOOK_SECRET, mails_for, stripe_url, unique_email};
use serde_json::Value;

use super::cases::{HOST, OTHER_HOST, fill, forms, registered, staff, start, submit};

mod changes;
mod office;

const ACCOUNT: &str = "acct_demoKaiserslautern";
const EXPORT_PATH: &str = "/konto/daten";

async fn owner_scalar<T>(app: &TestApp, sql: &str, bind: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar::<_, T>(sql)
        .bind(bind)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The stand-in's view of an intent: (connected account, intent object).
async fn remote_intent(id: &str) -> (String, Value) {
    let v: Value = reqwest::get(format!("{}_test/intents/{id}", stripe_url()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (v["account"].as_str().unwrap_or_default().to_owned(), v["intent"].clone())
}

/// Confirms an intent as Stripe.js does in the browser (publishable key + client secret).
async fn confirm(intent: &str, secret: &str, method: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{}v1/payment_intents/{intent}/confirm", stripe_url()))
        .bearer_auth("pk_test_kommunalportal")
        .form(&[("client_secret", secret), ("payment_method", method)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .status()
}

/// Signed events about an intent (as the stand-in would deliver them), oldest first.
async fn events_about(account: &str, intent: &str) -> Vec<(String, String, String)> {
    let list: Vec<Value> = reqwest::get(format!("{}_test/events?account={account}", stripe_url()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    list.into_iter()
        .filter(|e| e["payload"].as_str().unwrap_or_default().contains(intent))
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_owned(),
                e["payload"].as_str().unwrap_or_default().to_owned(),
                e["signature"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn post_webhook(app: &TestApp, payload: &str, signature: &str) -> portal_tests::TestResponse {
    let req = http::Request::post("/webhooks/stripe")
        .header(http::header::HOST, OPS_HOST)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("stripe-signature", signature)
        .body(axum::body::Body::from(payload.to_owned()))
        .unwrap_or_default();
    app.request(req).await
}

fn attr(body: &str, name: &str) -> String {
    let pat = format!("{name}=\"");
    body.split_once(&pat)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(v, _)| v.replace("&amp;", "&"))
        .unwrap_or_default()
}

/// Fills a form with valid answers, with `overrides` (input name, value) on the pages holding them.
async fn fill_with(c: &mut TestClient<'_>, slug: &str, overrides: &[(&str, &str)]) -> String {
    let schema = forms().remove(slug).unwrap_or_else(|| panic!("form {slug}"));
    let first = start(c, slug, false).await;
    let check = fill(c, &first, &schema).await;
    if let Some((field, _)) = overrides.first() {
        let page =
            schema.pages.iter().find(|p| p.fields.iter().any(|f| f.id == *field)).unwrap_or_else(|| panic!("field"));
        fill_with_existing(c, slug, check.trim_end_matches("/pruefen"), &page.id, overrides).await;
    }
    check
}

/// A citizen applies for two birth certificates (paid before filing) and reaches the payment page.
/// Returns the draft's base path, the intent id and its client secret.
async fn to_payment_page(app: &TestApp, c: &mut TestClient<'_>) -> (String, String, String) {
    let check = fill_with(c, "geburtsurkunde", &[("copies", "2")]).await;
    let page = c.get(&check).await;
    assert!(page.body.contains("24,00 €"), "the check page shows the fee: {}", page.body);
    let csrf = page.hidden("_csrf").unwrap_or_default();
    let key = page.hidden("submission_key").unwrap_or_default();
    let action = check.replace("/pruefen", "/absenden");
    // an amount posted by the client is not a parameter anywhere: it is ignored
    let r = c
        .post_raw(&action, &[("_csrf", &csrf), ("submission_key", &key), ("amount", "1"), ("amount_cents", "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let base = check.trim_end_matches("/pruefen").to_owned();
    assert_eq!(r.location(), Some(format!("{base}/zahlung").as_str()));
    let draft = base.rsplit('/').next().unwrap_or_default().to_owned();
    let cases: i64 = owner_scalar(app, "select count(*) from case_record c join application_draft d on d.case_id = c.case_id where d.draft_id::text = $1", &draft).await;
    assert_eq!(cases, 0, "no case before payment");
    let pay = c.get(&format!("{base}/zahlung?amount=1")).await;
    assert_eq!(pay.status, StatusCode::OK, "{}", pay.body);
    let csp = pay.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(csp.contains(stripe_url().trim_end_matches('/')), "the payment page may load Stripe.js: {csp}");
    assert!(pay.body.contains("/js/stripe.js") && pay.body.contains("/assets/payment.js"), "{}", pay.body);
    assert_eq!(attr(&pay.body, "data-stripe-account"), ACCOUNT);
    let secret = attr(&pay.body, "data-client-secret");
    let intent = secret.split("_secret_").next().unwrap_or_default().to_owned();
    assert!(intent.starts_with("pi_"), "{}", pay.body);
    (base, intent, secret)
}

#[tokio::test]
async fn paid_before_filing_the_return_asks_stripe_and_the_webhook_changes_nothing_after_it() {
    let app = TestApp::spawn().await;
    let email = unique_email("zahlt");
    let mut c = registered(&app, HOST, &email).await;
    let (base, intent, secret) = to_payment_page(&app, &mut c).await;

    // the intent lives on the tenant's connected account, with the server's amount, the plan's
    // application fee (standard: 0,25 € + 1,5 %) and the payment's metadata
    let (account, pi) = remote_intent(&intent).await;
    assert_eq!(account, ACCOUNT);
    assert_eq!(pi["amount"], 2400);
    assert_eq!(pi["currency"], "eur");
    assert_eq!(pi["application_fee_amount"], 25 + 36);
    let tenant = app.tenant_id("kaiserslautern").await.to_string();
    assert_eq!(pi["metadata"]["tenant_id"], tenant.as_str());
    let kz = pi["metadata"]["kassenzeichen"].as_str().unwrap_or_default().to_owned();
    assert!(kz.starts_with("KL-") && kz.len() == 11, "{kz}");
    assert!(pi["payment_method_types"].as_array().is_some_and(|m| m.len() == 3), "{pi}");

    // reloading the page (or a retried request) reuses the intent: one payment, one intent
    let again = c.get(&format!("{base}/zahlung")).await;
    assert_eq!(attr(&again.body, "data-client-secret"), secret);
    let created = events_about(ACCOUNT, &intent).await.iter().filter(|(t, _, _)| t == "payment_intent.created").count();
    assert_eq!(created, 1);

    // the citizen pays; no webhook is delivered (lost): the return asks Stripe
    assert_eq!(confirm(&intent, &secret, "pm_card_visa").await, reqwest::StatusCode::OK);
    let r = c.get(&format!("{base}/zahlung/zurueck?payment_intent={intent}&redirect_status=succeeded")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("{base}/fertig").as_str()));
    let done = c.get(&format!("{base}/fertig")).await;
    assert_eq!(done.status, StatusCode::OK);
    let (status, case_id): (String, Option<uuid::Uuid>) =
        sqlx::query_as("select status, case_id from payment where kassenzeichen = $1")
            .bind(&kz)
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, "succeeded");
    let case_id = case_id.unwrap_or_else(|| panic!("the case was filed once paid"));

    // now the webhooks arrive, late and twice: nothing changes
    let events = events_about(ACCOUNT, &intent).await;
    let (_, payload, signature) = events
        .iter()
        .find(|(t, _, _)| t == "payment_intent.succeeded")
        .cloned()
        .unwrap_or_else(|| panic!("no succeeded event"));
    let first = post_webhook(&app, &payload, &signature).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body, "applied: no change");
    let second = post_webhook(&app, &payload, &signature).await;
    assert_eq!((second.status, second.body.as_str()), (StatusCode::OK, "duplicate"));
    let cases: i64 =
        owner_scalar(&app, "select count(*) from case_record where case_id::text = $1", &case_id.to_string()).await;
    assert_eq!(cases, 1);
    let paid_events: i64 = owner_scalar(
        &app,
        "select count(*) from case_event where kind = 'payment' and case_id::text = $1",
        &case_id.to_string(),
    )
    .await;
    assert_eq!(paid_events, 1, "one 'payment received' on the timeline");

    // case page, receipt PDF and the confirmation mail with the Kassenzeichen
    let page = c.get(&format!("/konto/antraege/{case_id}")).await;
    assert!(page.body.contains(&kz) && page.body.contains("bezahlt"), "{}", page.body);
    let pdf = c.get(&format!("/konto/antraege/{case_id}/zahlungsbeleg.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with("%PDF"));
    app.deliver_mail().await;
    let mails = mails_for(&email).await;
    let receipt = mails
        .iter()
        .find(|m| m.subject.contains("Zahlungsbestätigung"))
        .unwrap_or_else(|| panic!("no receipt mail: {:?}", mails.iter().map(|m| &m.subject).collect::<Vec<_>>()));
    assert!(
        receipt.text.contains(&kz) && receipt.text.contains("24,00 €") && receipt.text.contains("Willy-Brandt-Platz 1"),
        "{}",
        receipt.text
    );

    // the account's data export holds the payment
    let export = c.get(EXPORT_PATH).await;
    let data: Value = serde_json::from_str(&export.body).unwrap_or_default();
    assert_eq!(data["payments"][0]["kassenzeichen"], kz.as_str(), "{}", export.body);
    assert_eq!(data["payments"][0]["amount_cents"], 2400);

    // another citizen of the tenant, and the same citizen's cookie on another tenant, find nothing
    let mut other = registered(&app, HOST, &unique_email("fremd")).await;
    assert_eq!(other.get(&format!("{base}/zahlung")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("/konto/antraege/{case_id}/zahlung")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("/konto/antraege/{case_id}/zahlungsbeleg.pdf")).await.status, StatusCode::NOT_FOUND);
    let mut elsewhere = registered(&app, OTHER_HOST, &unique_email("dueren")).await;
    assert_eq!(elsewhere.get(&format!("{base}/zahlung")).await.status, StatusCode::NOT_FOUND);
}

/// Bewohnerparkausweis (pay later): filed at once, payable from the case page.
async fn pay_later_case(app: &TestApp, c: &mut TestClient<'_>) -> (String, String, String) {
    let check = fill_with(c, "bewohnerparkausweis", &[]).await;
    let (_, r) = submit(c, &check).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().unwrap_or_default().ends_with("/fertig"), "filed at once");
    let case_id: uuid::Uuid = sqlx::query_scalar(
        "select case_id from case_record where service_slug = 'bewohnerparkausweis' order by submitted_at desc limit 1",
    )
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("/konto/antraege/{case_id}");
    let page = c.get(&base).await;
    assert!(page.body.contains("Jetzt bezahlen (30,00 €)"), "{}", page.body);
    let pay = c.get(&format!("{base}/zahlung")).await;
    assert_eq!(pay.status, StatusCode::OK, "{}", pay.body);
    let secret = attr(&pay.body, "data-client-secret");
    (base, secret.split("_secret_").next().unwrap_or_default().to_owned(), secret)
}

#[tokio::test]
async fn webhooks_are_verified_stored_once_and_applied_only_forwards() {
    let app = TestApp::spawn().await;
    let mut c = registered(&app, HOST, &unique_email("spaeter")).await;
    let (base, intent, secret) = pay_later_case(&app, &mut c).await;

    // a declined card: the failure arrives by webhook, the payment can be retried
    assert_eq!(confirm(&intent, &secret, "pm_card_chargeDeclined").await, reqwest::StatusCode::PAYMENT_REQUIRED);
    let failed = events_about(ACCOUNT, &intent)
        .await
        .into_iter()
        .find(|(t, _, _)| t == "payment_intent.payment_failed")
        .unwrap_or_else(|| panic!("no failure event"));

    // forged: a wrong secret, a changed payload, an old (replayed) timestamp — all refused, nothing stored
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let forged = sign(&failed.1, "whsec_someone_else", now);
    assert_eq!(post_webhook(&app, &failed.1, &forged).await.status, StatusCode::BAD_REQUEST);
    let tampered = failed.1.replace("\"amount\":3000", "\"amount\":1");
    assert_eq!(post_webhook(&app, &tampered, &failed.2).await.status, StatusCode::BAD_REQUEST);
    let old = sign(&failed.1, WEBHOOK_SECRET, now - 600);
    let r = post_webhook(&app, &failed.1, &old).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::BAD_REQUEST, "timestamp outside the tolerance"));
    assert_eq!(post_webhook(&app, &failed.1, "").await.status, StatusCode::BAD_REQUEST);
    let stored: i64 = owner_scalar(&app, "select count(*) from payment_event where event_id like $1", "evt_%").await;
    assert_eq!(stored, 0);

    // the genuine failure applies; the page says what happened and offers to pay again
    let r = post_webhook(&app, &failed.1, &failed.2).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "applied"));
    let status: String = owner_scalar(&app, "select status from payment where intent_id = $1", &intent).await;
    assert_eq!(status, "failed");
    let kept_secret: bool = owner_scalar(
        &app,
        "select bool_or(payload::text like '%_secret_%') from payment_event where object_id = $1",
        &intent,
    )
    .await;
    assert!(!kept_secret, "the event log does not keep the client secret");
    let page = c.get(&format!("{base}/zahlung")).await;
    assert!(page.body.contains("Your card was declined.") && page.body.contains("data-client-secret"), "{}", page.body);

    // paid on the second try; the success is delivered first, the old failure again afterwards
    assert_eq!(confirm(&intent, &secret, "pm_card_visa").await, reqwest::StatusCode::OK);
    let succeeded = events_about(ACCOUNT, &intent)
        .await
        .into_iter()
        .find(|(t, _, _)| t == "payment_intent.succeeded")
        .unwrap_or_else(|| panic!("no success event"));
    assert_eq!(post_webhook(&app, &succeeded.1, &succeeded.2).await.body, "applied");
    assert_eq!(post_webhook(&app, &succeeded.1, &succeeded.2).await.body, "duplicate");
    // the failure re-sent with a fresh signature is a redelivery of a known event: no change
    let resent = sign(&failed.1, WEBHOOK_SECRET, now);
    assert_eq!(post_webhook(&app, &failed.1, &resent).await.body, "duplicate");
    // an older state as a new event (out of order) does not undo the payment
    let older: Value = serde_json::from_str(&failed.1).unwrap_or_default();
    let mut reordered = older.clone();
    reordered["id"] = Value::from("evt_reorderedFailure01");
    let payload = reordered.to_string();
    assert_eq!(post_webhook(&app, &payload, &sign(&payload, WEBHOOK_SECRET, now)).await.body, "applied: no change");
    let status: String = owner_scalar(&app, "select status from payment where intent_id = $1", &intent).await;
    assert_eq!(status, "succeeded");

    // an intent the tenant does not know, and an account no tenant has, change nothing
    let mut unknown = older.clone();
    unknown["id"] = Value::from("evt_unknownIntent0001");
    unknown["data"]["object"]["id"] = Value::from("pi_notOursAtAll000001");
    let payload = unknown.to_string();
    assert_eq!(
        post_webhook(&app, &payload, &sign(&payload, WEBHOOK_SECRET, now)).await.body,
        "ignored: unknown intent"
    );
    // a Düren event naming a Kaiserslautern payment: mapped to Düren by its account, it finds nothing there
    let mut foreign = serde_json::from_str::<Value>(&succeeded.1).unwrap_or_default();
    foreign["id"] = Value::from("evt_foreignAccount0001");
    foreign["account"] = Value::from("acct_demoDueren0001");
    let payload = foreign.to_string();
    assert_eq!(
        post_webhook(&app, &payload, &sign(&payload, WEBHOOK_SECRET, now)).await.body,
        "ignored: unknown intent"
    );
    foreign["account"] = Value::from("acct_nobodysAccount01");
    foreign["id"] = Value::from("evt_foreignAccount0002");
    let payload = foreign.to_string();
    assert_eq!(
        post_webhook(&app, &payload, &sign(&payload, WEBHOOK_SECRET, now)).await.body,
        "ignored: unknown account"
    );

    // the case shows it paid, with the Kassenzeichen, once on the timeline
    let page = c.get(&base).await;
    assert!(page.body.contains("bezahlt") && page.body.contains("Zahlungsbeleg (PDF)"), "{}", page.body);
    let paid: i64 = owner_scalar(
        &app,
        "select count(*) from case_event where kind = 'payment' and body like $1",
        "Zahlung von 30,00 € eingegangen%",
    )
    .await;
    assert_eq!(paid, 1);
}

#[tokio::test]
async fn stripe_unreachable_gives_a_clear_message_and_the_application_stays_payable() {
    // a Stripe client pointed at a closed port
    let app = TestApp::spawn_with_stripe("http://127.0.0.1:9/").await;
    let mut c = registered(&app, HOST, &unique_email("offline")).await;
    let check = fill_with(&mut c, "geburtsurkunde", &[]).await;
    let (_, r) = submit(&mut c, &check).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let base = check.trim_end_matches("/pruefen").to_owned();
    let pay = c.get(&format!("{base}/zahlung")).await;
    assert_eq!(pay.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        pay.body.contains("Der Zahlungsdienst ist gerade nicht erreichbar") && pay.body.contains("Erneut versuchen"),
        "{}",
        pay.body
    );
    let en = app
        .get_with(HOST, &format!("{base}/zahlung"), &[("cookie", &c.cookie_header()), ("accept-language", "en")])
        .await;
    assert!(en.body.contains("The payment service cannot be reached"), "{}", en.body);
    // the draft and its payment wait: nothing filed, nothing lost, payable when Stripe is back
    let (status, intent): (String, Option<String>) =
        sqlx::query_as("select status, intent_id from payment order by created_at desc limit 1")
            .fetch_one(&app.db.owner().await)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((status.as_str(), intent), ("open", None));
    assert_eq!(c.get(&check).await.status, StatusCode::OK, "the answers are still there");
}

#[tokio::test]
async fn the_fee_follows_changed_answers_until_the_money_is_on_its_way_then_the_answers_stay() {
    let app = TestApp::spawn().await;
    let mut c = registered(&app, HOST, &unique_email("lastschrift")).await;
    let (base, first_intent, _) = to_payment_page(&app, &mut c).await;

    // back to the order page: three certificates instead of two → a new amount and a new intent
    let check = fill_with_existing(&mut c, "geburtsurkunde", &base, "order", &[("copies", "3")]).await;
    let page = c.get(&check).await;
    assert!(page.body.contains("36,00 €"), "{}", page.body);
    let (_, r) = submit(&mut c, &check).await;
    assert_eq!(r.location(), Some(format!("{base}/zahlung").as_str()));
    let pay = c.get(&format!("{base}/zahlung")).await;
    let secret = attr(&pay.body, "data-client-secret");
    let intent = secret.split("_secret_").next().unwrap_or_default().to_owned();
    assert_ne!(intent, first_intent, "a new amount gets a new intent");
    assert_eq!(remote_intent(&intent).await.1["amount"], 3600);
    let payments: i64 = owner_scalar(
        &app,
        "select count(*) from payment where draft_id::text = $1",
        base.rsplit('/').next().unwrap_or_default(),
    )
    .await;
    assert_eq!(payments, 1, "still one payment with one Kassenzeichen");

    // SEPA direct debit: processing first; the answers can no longer change
    assert_eq!(confirm(&intent, &secret, "pm_sepa_debit").await, reqwest::StatusCode::OK);
    let r = c.get(&format!("{base}/zahlung/zurueck?payment_intent={intent}&redirect_status=succeeded")).await;
    assert_eq!(r.location(), Some(format!("{base}/zahlung").as_str()));
    let pay = c.get(&format!("{base}/zahlung")).await;
    assert!(pay.body.contains("Ihre Zahlung wird bearbeitet"), "{}", pay.body);
    let edit = c.get(&format!("{base}/seite/order")).await;
    assert_eq!(edit.location(), Some(format!("{base}/zahlung").as_str()), "no edits while the money is on its way");

    // the bank confirms later; the webhook files the case
    let mut succeeded = None;
    for _ in 0..50 {
        succeeded = events_about(ACCOUNT, &intent).await.into_iter().find(|(t, _, _)| t == "payment_intent.succeeded");
        if succeeded.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (_, payload, signature) = succeeded.unwrap_or_else(|| panic!("the stand-in did not settle the debit"));
    assert_eq!(post_webhook(&app, &payload, &signature).await.body, "applied");
    let r = c.get(&format!("{base}/zahlung")).await;
    assert_eq!(r.location(), Some(format!("{base}/fertig").as_str()), "filed by the webhook");
    let method: String = owner_scalar(&app, "select method from payment where intent_id = $1", &intent).await;
    assert_eq!(method, "sepa_debit");
}

/// Posts one page of an existing draft again with valid answers and `overrides`; returns the check page.
async fn fill_with_existing(
    c: &mut TestClient<'_>,
    slug: &str,
    base: &str,
    page_id: &str,
    overrides: &[(&str, &str)],
) -> String {
    let schema = forms().remove(slug).unwrap_or_else(|| panic!("form"));
    let (_, page) = schema.page(page_id).unwrap_or_else(|| panic!("page"));
    let path = format!("{base}/seite/{page_id}");
    let form = c.get(&path).await;
    let csrf = form.hidden("_csrf").unwrap_or_default();
    let mut inputs = Vec::new();
    for f in &page.fields {
        super::cases::valid_inputs(f, &f.id, &mut inputs);
    }
    for (k, v) in overrides {
        inputs.retain(|(name, _)| name != k);
        inputs.push(((*k).to_owned(), (*v).to_owned()));
    }
    let mut fields: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("_action", "weiter")];
    fields.extend(inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = c.post_multipart(&path, &fields, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    format!("{base}/pruefen")
}

#[tokio::test]
async fn a_guest_pays_later_through_the_mailed_status_link() {
    let app = TestApp::spawn().await;
    let mut guest = app.client(HOST);
    let schema = forms().remove("melderegisterauskunft").unwrap_or_else(|| panic!("form"));
    let first = start(&mut guest, "melderegisterauskunft", true).await;
    let check = fill(&mut guest, &first, &schema).await;
    let page = guest.get(&check).await;
    assert!(page.body.contains("15,00 €") && page.body.contains("innerhalb von 14 Tagen"), "{}", page.body);
    let (_, r) = submit(&mut guest, &check).await;
    let token = r
        .location()
        .and_then(|l| l.split_once("vorgang="))
        .map(|(_, t)| t.to_owned())
        .unwrap_or_else(|| panic!("{:?}", r.location()));
    let base = format!("/vorgang/{token}");
    let case = guest.get(&base).await;
    assert!(case.body.contains("Jetzt bezahlen (15,00 €)"), "{}", case.body);
    let pay = guest.get(&format!("{base}/zahlung")).await;
    let secret = attr(&pay.body, "data-client-secret");
    let intent = secret.split("_secret_").next().unwrap_or_default().to_owned();
    assert_eq!(confirm(&intent, &secret, "pm_paypal").await, reqwest::StatusCode::OK);
    let r = guest.get(&format!("{base}/zahlung/zurueck?payment_intent={intent}&redirect_status=succeeded")).await;
    assert_eq!(r.location(), Some(base.as_str()));
    let case = guest.get(&base).await;
    assert!(case.body.contains("bezahlt") && case.body.contains("Zahlungsbeleg (PDF)"), "{}", case.body);
    assert!(guest.get(&format!("{base}/zahlungsbeleg.pdf")).await.body.starts_with("%PDF"));
    // the link is worthless on another tenant's host
    assert_eq!(app.get(OTHER_HOST, &format!("{base}/zahlung")).await.status, StatusCode::NOT_FOUND);
    let method: String = owner_scalar(&app, "select method from payment where intent_id = $1", &intent).await;
    assert_eq!(method, "paypal");
}

#[tokio::test]
async fn a_number_written_2_0_is_charged_and_a_fee_that_cannot_be_computed_is_never_waived() {
    let app = TestApp::spawn().await;
    let mut c = registered(&app, HOST, &unique_email("komma")).await;
    // "2,0" is stored as 2 and priced as two certificates
    let check = fill_with(&mut c, "geburtsurkunde", &[("copies", "2,0")]).await;
    let draft = check.trim_end_matches("/pruefen").rsplit('/').next().unwrap_or_default().to_owned();
    let stored: String =
        owner_scalar(&app, "select answers->>'copies' from application_draft where draft_id::text = $1", &draft).await;
    assert_eq!(stored, "2");
    let page = c.get(&check).await;
    assert!(page.body.contains("24,00 €"), "{}", page.body);

    // the office's rule no longer fits the answers (an amount per option the form does not offer):
    // the application is refused with the reason, never filed for free
    sqlx::query("update service_payment set fee_rule = '{\"kind\": \"by_option\", \"field\": \"copies\", \"options\": {\"5\": 6000}}' where service_slug = 'geburtsurkunde'")
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let page = c.get(&check).await;
    assert!(page.body.contains("Gebühr kann aus Ihren Angaben nicht berechnet werden"), "{}", page.body);
    let (_, r) = submit(&mut c, &check).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Anzahl der Urkunden"), "a link to the answer");
    let cases: i64 = owner_scalar(
        &app,
        "select count(*) from application_draft where case_id is not null and draft_id::text = $1",
        &draft,
    )
    .await;
    let payments: i64 = owner_scalar(&app, "select count(*) from payment where draft_id::text = $1", &draft).await;
    assert_eq!((cases, payments), (0, 0), "nothing filed, nothing waived");
}
