//! The front desk books for a caller: the caller gets the mail and manages the booking; a call without contact books nothing.

use super::*;

#[tokio::test]
async fn the_front_desk_books_for_a_caller_who_gets_the_mail_and_manages_it_and_a_call_without_contact_books_nothing() {
    let app = app_on_a_tuesday().await;
    let (tenant, loc, _) = tiny_location(&app).await;
    let (mut admin, _) = staff(&app, "").await;
    let phone = format!("/verwaltung/termine/empfang/{loc}/telefon");
    let booked = "select count(*) from appointment_booking where location_id = $1 and status = 'booked'";

    // on the phone today is bookable: the first time offered is today's 10:00
    let page = admin.get(&format!("{phone}?dienst=personalausweis&personen=1")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let (_, today) = slots_on(&app, tenant, loc, day_after(&app, 0)).await;
    let start = first_option(&page.body, "start");
    assert_eq!(start, today[0].start.unix_timestamp().to_string());
    let (csrf, key) = (page.hidden("_csrf").unwrap_or_default(), page.hidden("key").unwrap_or_default());

    // neither a phone number nor an address: refused next to the field, nothing booked
    let base = [
        ("_csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("dienst", "personalausweis"),
        ("personen", "1"),
        ("start", start.as_str()),
        ("name", "Anna Anruf"),
    ];
    let r = admin.post_raw(&phone, &[&base[..], &[("phone", ""), ("email", "")][..]].concat()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Bitte geben Sie eine Telefonnummer oder E-Mail-Adresse an.")
            && r.body.contains("value=\"Anna Anruf\""),
        "{}",
        r.body
    );
    assert_eq!(count(&app, booked, loc).await, 0);

    // booked, with the number to read out
    let email = unique_email("anruf");
    let fields = [&base[..], &[("phone", "0631 555 12"), ("email", email.as_str())][..]].concat();
    let r = admin.post_raw(&phone, &fields).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (number, by_staff, name): (String, bool, String) = sqlx::query_as(
        "select number, booked_by_staff, name from appointment_booking where location_id = $1 and status = 'booked'",
    )
    .bind(loc)
    .fetch_one(&app.db.owner().await)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(by_staff && name == "Anna Anruf");
    assert!(
        r.body.contains("Termin gebucht")
            && r.body.contains(&format!("Buchungsnummer {number}"))
            && r.body.contains(&when_de(today[0].start)),
        "{}",
        r.body
    );
    // the same form posted again books nothing more
    let again = admin.post_raw(&phone, &fields).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.body.contains(&number));
    assert_eq!(count(&app, booked, loc).await, 1);
    // a second call for the same time (a new form) finds it taken
    let other_key = repo::secret();
    let r = admin
        .post_raw(
            &phone,
            &[
                ("_csrf", &csrf),
                ("key", &other_key),
                ("dienst", "personalausweis"),
                ("personen", "1"),
                ("start", &start),
                ("name", "Bert Zweit"),
                ("phone", "0631 1"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Dieser Termin wurde gerade vergeben."), "{}", r.body);
    assert_eq!(count(&app, booked, loc).await, 1);

    // the caller's mail carries the link to the booking, which shows it
    let link = app.mailed_link(&email, "/termine/verwalten/").await;
    let mut caller = app.client(HOST);
    let shown = caller.get(&link).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains(&number) && shown.body.contains("gebucht") && shown.body.contains(&when_de(today[0].start)),
        "{}",
        shown.body
    );
}
