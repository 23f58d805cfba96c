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
