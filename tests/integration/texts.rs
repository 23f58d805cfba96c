//! Texts: every key a capability builds at run time (`payments.status_{code}`, `staff.status_{s}`,
//! error messages of the domain types ...) exists in every language. The keys written out in the
//! code are checked by `portal-ui`'s test over the source.

#[test]
fn every_key_a_capability_builds_at_run_time_exists_in_every_language() {
    let mut checked = 0;
    let mut missing = Vec::new();
    for c in portal_server::capabilities::ALL {
        for key in (c.texts)() {
            checked += 1;
            if !portal_ui::i18n::exists(&key) {
                missing.push(format!("{}: {key}", c.name));
            }
        }
    }
    assert!(missing.is_empty(), "keys built at run time without a text: {missing:?}");
    assert!(checked >= 40, "the capabilities list their keys built at run time ({checked} checked)");
}

#[test]
fn a_key_that_does_not_exist_is_reported() {
    assert!(!portal_ui::i18n::exists("payments.status_nonsense"));
    assert!(portal_ui::i18n::exists("payments.status_open"));
}

#[test]
fn mails_are_written_from_the_translation_files_in_the_language_asked() {
    use portal_domain::Lang;
    use portal_mail::{Branding, Mail, Text, render};
    let b = Branding {
        tenant_name: "Stadt Test".into(),
        primary_colour: "#123456".into(),
        reply_to: None,
        portal_url: "https://test.de".into(),
    };
    // as flows::filing writes it: the texts of the capability's own file, by key
    let mail = Mail::new(
        Text::new("cases.mail.case_received_subject").with("reference", "A-1").with("service", "Meldebescheinigung"),
    )
    .line(Text::new("cases.mail.case_received_text").with("service", "Meldebescheinigung").with("reference", "A-1"))
    .button(Text::new("cases.mail.case_received_button"), "https://test.de/konto/antraege/1");
    let en = render(&mail, Lang::En, &b, "a@b.de", &|k, a| portal_ui::i18n::tr_with(Lang::En, k, a));
    assert_eq!(en.subject, "Your application A-1 has been received – Meldebescheinigung");
    assert!(en.text.contains("Stadt Test service portal · https://test.de"));
    let de = render(&mail, Lang::De, &b, "a@b.de", &|k, a| portal_ui::i18n::tr_with(Lang::De, k, a));
    assert_eq!(de.subject, "Ihr Antrag A-1 ist eingegangen – Meldebescheinigung");
    assert!(de.text.contains("bei Stadt Test eingegangen"), "the tenant's name fills {{tenant}}: {}", de.text);
    assert!(!de.text.contains("mail."), "no key without a text: {}", de.text);
}
