//! Validation of every field type, conditions, repeatable groups, prefill and the schema checks;
//! property tests that arbitrary input never panics and that valid answers stay valid.

use portal_domain::{Lang, Localized};
use portal_forms::answers::{Input, apply_input, merge_page, retain_visible};
use portal_forms::prefill::{ProfileValues, prefill, verified_fields};
use portal_forms::schema::PrefillKey;
use portal_forms::validate::{check_all, check_page, normalise_iban, parse_date};
use portal_forms::{Answers, FileRef, FormSchema, Problem, Value};
use proptest::prelude::*;

const TODAY: (i32, u32, u32) = (2026, 11, 22);

fn schema() -> FormSchema {
    FormSchema::from_json(
        r#"{
        "version": 3, "guest": true,
        "pages": [
          { "id": "one", "title": {"de": "Eins", "en": "One"}, "fields": [
            {"id": "name", "type": "text", "label": {"de": "Name", "en": "Name"}, "required": true, "min_length": 2, "max_length": 20, "prefill": "family_name"},
            {"id": "bio", "type": "textarea", "label": {"de": "Über", "en": "About"}},
            {"id": "count", "type": "number", "label": {"de": "Anzahl", "en": "Count"}, "required": true, "integer": true, "min": 1, "max": 5},
            {"id": "born", "type": "date", "label": {"de": "Geboren", "en": "Born"}, "date": "past", "prefill": "birth_date"},
            {"id": "pickup", "type": "date", "label": {"de": "Abholung", "en": "Pick-up"}, "date": "future"},
            {"id": "email", "type": "email", "label": {"de": "E-Mail", "en": "E-mail"}, "required": true, "prefill": "email"},
            {"id": "phone", "type": "phone", "label": {"de": "Telefon", "en": "Phone"}},
            {"id": "iban", "type": "iban", "label": {"de": "IBAN", "en": "IBAN"}},
            {"id": "place", "type": "postcode_town", "label": {"de": "Ort", "en": "Place"}, "required": true},
            {"id": "address", "type": "address", "label": {"de": "Anschrift", "en": "Address"}, "prefill": "address"},
            {"id": "kind", "type": "select", "label": {"de": "Art", "en": "Kind"}, "required": true,
             "options": [{"value": "a", "label": {"de": "A", "en": "A"}}, {"value": "other", "label": {"de": "Andere", "en": "Other"}}]},
            {"id": "kind_other", "type": "text", "label": {"de": "Welche", "en": "Which"}, "required": true, "show_if": {"field": "kind", "equals": "other"}},
            {"id": "size", "type": "radio", "label": {"de": "Größe", "en": "Size"}, "required": true,
             "options": [{"value": "s", "label": {"de": "S", "en": "S"}}, {"value": "l", "label": {"de": "L", "en": "L"}}]},
            {"id": "extras", "type": "checkbox", "label": {"de": "Extras", "en": "Extras"},
             "options": [{"value": "x", "label": {"de": "X", "en": "X"}}, {"value": "y", "label": {"de": "Y", "en": "Y"}}]},
            {"id": "agree", "type": "checkbox", "label": {"de": "Ich stimme zu", "en": "I agree"}, "required": true},
            {"id": "dog", "type": "yes_no", "label": {"de": "Hund?", "en": "Dog?"}, "required": true},
            {"id": "chip", "type": "text", "label": {"de": "Chip", "en": "Chip"},
             "pattern": {"regex": "^[0-9]{15}$", "message": {"de": "15 Ziffern", "en": "15 digits"}}},
            {"id": "photo", "type": "file", "label": {"de": "Foto", "en": "Photo"}, "accept": ["png", "jpeg"], "max_kb": 100}
          ]},
          { "id": "dogs", "title": {"de": "Hunde", "en": "Dogs"}, "show_if": {"field": "dog", "equals": "ja"}, "fields": [
            {"id": "dogs", "type": "group", "label": {"de": "Hund", "en": "Dog"}, "min_items": 1, "max_items": 3, "fields": [
              {"id": "name", "type": "text", "label": {"de": "Name", "en": "Name"}, "required": true},
              {"id": "listed", "type": "yes_no", "label": {"de": "Liste?", "en": "Listed?"}, "required": true},
              {"id": "test", "type": "text", "label": {"de": "Test", "en": "Test"}, "required": true, "show_if": {"field": "listed", "equals": "ja"}}
            ]}
          ]}
        ]}"#,
    )
    .expect("test schema is valid")
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn parts(p: &[(&str, &str)]) -> Value {
    Value::Parts(p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
}

fn valid() -> Answers {
    let mut a = Answers::new();
    a.insert("name".into(), text("Muster"));
    a.insert("count".into(), text("2"));
    a.insert("born".into(), text("01.02.1980"));
    a.insert("email".into(), text("erika@example.org"));
    a.insert("place".into(), parts(&[("postcode", "67655"), ("town", "Kaiserslautern")]));
    a.insert("kind".into(), text("a"));
    a.insert("size".into(), text("s"));
    a.insert("agree".into(), text("ja"));
    a.insert("dog".into(), text("nein"));
    a
}

fn problems(a: &mut Answers) -> Vec<(String, Problem)> {
    check_all(&schema(), a, TODAY).into_iter().map(|i| (i.name, i.problem)).collect()
}

fn problem_of(field: &str, value: Value) -> Option<Problem> {
    let mut a = valid();
    a.insert(field.to_owned(), value);
    problems(&mut a).into_iter().find(|(n, _)| n == field || n.starts_with(&format!("{field}."))).map(|(_, p)| p)
}

#[test]
fn valid_answers_pass_and_are_normalised() {
    let mut a = valid();
    a.insert("iban".into(), text("de89 3704 0044 0532 0130 00"));
    assert_eq!(problems(&mut a), vec![]);
    assert_eq!(a["born"], text("1980-02-01"), "dates are stored as ISO");
    assert_eq!(a["iban"], text("DE89370400440532013000"), "IBANs without spaces, upper case");
}

#[test]
fn every_field_type_refuses_typical_mistakes() {
    assert_eq!(problem_of("name", text("")), Some(Problem::Required));
    assert_eq!(problem_of("name", text("M")), Some(Problem::TooShort { min: 2 }));
    assert_eq!(problem_of("name", text(&"x".repeat(21))), Some(Problem::TooLong { max: 20 }));
    assert_eq!(problem_of("bio", text(&"x".repeat(4001))), Some(Problem::TooLong { max: 4000 }));
    assert_eq!(problem_of("count", text("zwei")), Some(Problem::NotANumber));
    assert_eq!(problem_of("count", text("2,5")), Some(Problem::NotWhole));
    assert_eq!(problem_of("count", text("0")), Some(Problem::BelowMin { min: 1.0 }));
    assert_eq!(problem_of("count", text("6")), Some(Problem::AboveMax { max: 5.0 }));
    assert_eq!(problem_of("count", text("NaN")), Some(Problem::NotANumber));
    assert_eq!(problem_of("born", text("31.02.1980")), Some(Problem::DateInvalid));
    assert_eq!(problem_of("born", text("2030-01-01")), Some(Problem::DateInFuture));
    assert_eq!(problem_of("pickup", text("2026-11-21")), Some(Problem::DateInPast));
    assert_eq!(problem_of("pickup", text("2026-11-22")), None, "today counts as the future");
    assert_eq!(problem_of("email", text("erika@localhost")), Some(Problem::EmailInvalid));
    assert_eq!(problem_of("email", text("erika example.org")), Some(Problem::EmailInvalid));
    assert_eq!(problem_of("phone", text("0631-abc")), Some(Problem::PhoneInvalid));
    assert_eq!(problem_of("phone", text("+49 631 365 0")), None);
    assert_eq!(problem_of("iban", text("DE89 3704 0044 0532 0130 01")), Some(Problem::IbanInvalid));
    assert_eq!(problem_of("iban", text("DE89 3704 0044 0532 0130")), Some(Problem::IbanInvalid));
    assert_eq!(problem_of("place", parts(&[("postcode", "6765"), ("town", "KL")])), Some(Problem::PostcodeInvalid));
    assert_eq!(problem_of("place", parts(&[("postcode", "67655"), ("town", "")])), Some(Problem::Required));
    assert_eq!(
        problem_of("address", parts(&[("street", "Hauptstr. 1"), ("postcode", ""), ("town", "")])),
        Some(Problem::Required),
        "a started optional address must be complete"
    );
    assert_eq!(problem_of("address", parts(&[("street", ""), ("postcode", ""), ("town", "")])), None);
    assert_eq!(problem_of("kind", text("b")), Some(Problem::NotAnOption));
    assert_eq!(problem_of("kind", text("")), Some(Problem::Choose));
    assert_eq!(problem_of("size", text("xl")), Some(Problem::NotAnOption));
    assert_eq!(problem_of("extras", Value::List(vec!["x".into(), "z".into()])), Some(Problem::NotAnOption));
    assert_eq!(problem_of("agree", text("")), Some(Problem::MustTick));
    assert_eq!(problem_of("dog", text("vielleicht")), Some(Problem::NotAnOption));
    assert!(matches!(problem_of("chip", text("12345")), Some(Problem::Pattern { .. })));
    let pdf = FileRef { file_id: "f".into(), name: "a.pdf".into(), size: 10, content_type: "application/pdf".into() };
    assert!(matches!(problem_of("photo", Value::Files(vec![pdf])), Some(Problem::FileType { .. })));
    let big = FileRef { file_id: "f".into(), name: "a.png".into(), size: 200 * 1024, content_type: "image/png".into() };
    assert_eq!(problem_of("photo", Value::Files(vec![big])), Some(Problem::FileTooLarge { max_kb: 100 }));
}

#[test]
fn messages_name_the_field_in_both_languages() {
    let mut a = valid();
    a.insert("email".into(), text("nope"));
    let issue = check_all(&schema(), &mut a, TODAY).into_iter().next().expect("an issue");
    assert!(issue.message(Lang::De).contains("„E-Mail“"), "{}", issue.message(Lang::De));
    assert!(issue.message(Lang::En).contains("“E-mail”"), "{}", issue.message(Lang::En));
    let p = Problem::Pattern { message: Localized { de: "15 Ziffern".into(), en: "15 digits".into() } };
    assert_eq!(p.message(Lang::En, "Chip"), "15 digits");
}

#[test]
fn conditions_show_and_hide_fields_and_pages() {
    let mut a = valid();
    a.insert("kind".into(), text("other"));
    assert_eq!(problems(&mut a), vec![("kind_other".to_owned(), Problem::Required)], "a shown field is checked");
    a.insert("kind".into(), text("a"));
    a.insert("kind_other".into(), text("stale"));
    assert_eq!(problems(&mut a), vec![], "a hidden field is not checked");
    assert!(!retain_visible(&schema(), &a).contains_key("kind_other"), "and not filed");

    a.insert("dog".into(), text("ja"));
    assert_eq!(
        problems(&mut a),
        vec![("dogs".to_owned(), Problem::TooFewItems { min: 1 })],
        "the dogs page is shown now"
    );
}

#[test]
fn repeatable_groups_check_each_entry_with_its_own_conditions() {
    let mut a = valid();
    a.insert("dog".into(), text("ja"));
    let entry = |name: &str, listed: &str, test: &str| -> Answers {
        [("name", name), ("listed", listed), ("test", test)].into_iter().map(|(k, v)| (k.to_owned(), text(v))).collect()
    };
    a.insert("dogs".into(), Value::Items(vec![entry("Bello", "nein", ""), entry("", "ja", "")]));
    let found = problems(&mut a);
    assert_eq!(
        found,
        vec![("dogs[1].name".to_owned(), Problem::Required), ("dogs[1].test".to_owned(), Problem::Required)]
    );
    a.insert("dogs".into(), Value::Items(vec![entry("A", "nein", ""); 4]));
    assert_eq!(problems(&mut a), vec![("dogs".to_owned(), Problem::TooManyItems { max: 3 })]);
}

#[test]
fn form_posts_are_read_into_answers_and_keep_other_pages() {
    let s = schema();
    let mut a = valid();
    let post: Vec<(String, String)> = [
        ("name", " Schmidt "),
        ("place.postcode", "12345"),
        ("place.town", "Berlin"),
        ("extras", "x"),
        ("extras", "y"),
        ("agree", "ja"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    merge_page(&s.pages[0], &post, &mut a);
    assert_eq!(a["name"], text("Schmidt"));
    assert_eq!(a["place"].part("town"), "Berlin");
    assert_eq!(a["extras"], Value::List(vec!["x".into(), "y".into()]));
    let group_post: Vec<(String, String)> = [("dogs.count", "2"), ("dogs[0].name", "Bello"), ("dogs[1].name", "Luna")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    merge_page(&s.pages[1], &group_post, &mut a);
    assert_eq!(a["dogs"].items().len(), 2);
    assert_eq!(a["dogs"].items()[1]["name"], text("Luna"));
    assert_eq!(a["name"], text("Schmidt"), "fields of other pages stay");
}

#[test]
fn browser_edits_apply_to_the_same_answers() {
    let s = schema();
    let mut a = Answers::new();
    apply_input(&s.pages[0], &mut a, "place.postcode", Input::Text("67655".into()));
    apply_input(&s.pages[0], &mut a, "extras", Input::Tick { value: "y".into(), on: true });
    apply_input(&s.pages[0], &mut a, "extras", Input::Tick { value: "x".into(), on: true });
    apply_input(&s.pages[0], &mut a, "extras", Input::Tick { value: "y".into(), on: false });
    apply_input(&s.pages[1], &mut a, "dogs[1].name", Input::Text("Luna".into()));
    apply_input(&s.pages[1], &mut a, "dogs[99].name", Input::Text("too far".into()));
    assert_eq!(a["place"].part("postcode"), "67655");
    assert_eq!(a["extras"], Value::List(vec!["x".into()]));
    assert_eq!(a["dogs"].items().len(), 2);
    let issues = check_page(&s.pages[1], &mut a, TODAY);
    assert!(issues.iter().any(|i| i.name == "dogs[0].name"));
}

#[test]
fn prefill_fills_empty_fields_and_marks_verified_ones() {
    let s = schema();
    let mut p = ProfileValues::default();
    p.values.insert(PrefillKey::FamilyName, "Mustermann".into());
    p.values.insert(PrefillKey::BirthDate, "1964-08-12".into());
    p.values.insert(PrefillKey::Street, "Heidestraße 17".into());
    p.values.insert(PrefillKey::Postcode, "51147".into());
    p.values.insert(PrefillKey::Town, "Köln".into());
    p.verified.extend([PrefillKey::FamilyName, PrefillKey::BirthDate]);
    let mut a = Answers::new();
    a.insert("born".into(), text("1970-01-01"));
    let filled = prefill(&s, &p, &mut a);
    assert_eq!(filled, vec!["name".to_owned(), "address".to_owned()]);
    assert_eq!(a["born"], text("1970-01-01"), "what was entered is kept");
    assert_eq!(a["address"].part("town"), "Köln");
    let verified = verified_fields(&s, &p, &a);
    assert!(verified.contains("name") && !verified.contains("born") && !verified.contains("address"));
}

#[test]
fn schemas_are_checked() {
    let bad = [
        (r#"{"version":1,"pages":[]}"#, "at least one page"),
        (
            r#"{"version":1,"pages":[{"id":"p","title":{"de":"a","en":"b"},"fields":[{"id":"a","type":"select","label":{"de":"a","en":"a"}}]}]}"#,
            "needs options",
        ),
        (
            r#"{"version":1,"pages":[{"id":"p","title":{"de":"a","en":"b"},"fields":[{"id":"a","type":"text","label":{"de":"a","en":"a"},"show_if":{"field":"b","equals":"x"}}]}]}"#,
            "not an earlier field",
        ),
        (
            r#"{"version":1,"pages":[{"id":"p","title":{"de":"a","en":"b"},"fields":[{"id":"a","type":"text","label":{"de":"a","en":"a"},"pattern":{"regex":"(","message":{"de":"m","en":"m"}}}]}]}"#,
            "regular expression",
        ),
        (
            r#"{"version":1,"pages":[{"id":"p","title":{"de":"a","en":""},"fields":[{"id":"a","type":"text","label":{"de":"a","en":"a"}}]}]}"#,
            "English",
        ),
        (
            r#"{"version":1,"pages":[{"id":"p","title":{"de":"a","en":"b"},"fields":[{"id":"a","type":"text","label":{"de":"a","en":"a"}},{"id":"a","type":"text","label":{"de":"a","en":"a"}}]}]}"#,
            "used twice",
        ),
        (
            r#"{"version":1,"guest":true,"pages":[{"id":"p","title":{"de":"a","en":"b"},"fields":[{"id":"a","type":"text","label":{"de":"a","en":"a"}}]}]}"#,
            "open to guests",
        ),
        (
            r#"{"version":1,"pages":[{"id":"p","title":{"de":"a","en":"b"},"fields":[{"id":"a","type":"text","colour":"red","label":{"de":"a","en":"a"}}]}]}"#,
            "unknown field",
        ),
    ];
    for (json, expected) in bad {
        let err = FormSchema::from_json(json).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(expected), "{json}\n=> {err}");
    }
}

#[test]
fn iban_and_dates_helpers() {
    assert_eq!(normalise_iban("AT61 1904 3002 3457 3201").as_deref(), Some("AT611904300234573201"));
    assert_eq!(normalise_iban("XX00"), None);
    assert_eq!(parse_date("29.02.2024"), Some((2024, 2, 29)));
    assert_eq!(parse_date("29.02.2026"), None);
    assert_eq!(parse_date("2026-13-01"), None);
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        ".{0,30}".prop_map(Value::Text),
        prop::collection::vec("[a-z]{0,3}", 0..4).prop_map(Value::List),
        prop::collection::btree_map("[a-z]{1,8}", ".{0,10}", 0..4).prop_map(Value::Parts),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop::collection::vec(prop::collection::btree_map("[a-z]{1,6}", inner, 0..4), 0..4).prop_map(Value::Items)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_answers_never_panic(answers in prop::collection::btree_map(prop_oneof![Just("name".to_owned()), Just("dogs".to_owned()), Just("place".to_owned()), Just("count".to_owned()), Just("born".to_owned()), Just("iban".to_owned()), "[a-z]{1,8}"], arb_value(), 0..12)) {
        let s = schema();
        let mut a = answers;
        let _ = check_all(&s, &mut a, TODAY);
        let _ = retain_visible(&s, &a);
        let _ = portal_forms::display::sections(&s, &a, Lang::De);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        portal_forms::fuzz_one(&data);
    }

    #[test]
    fn arbitrary_form_posts_never_panic(pairs in prop::collection::vec(("[a-z\\[\\]0-9.]{1,12}", ".{0,12}"), 0..20)) {
        let s = schema();
        let mut a = Answers::new();
        for page in &s.pages {
            merge_page(page, &pairs, &mut a);
            for (k, v) in &pairs {
                apply_input(page, &mut a, k, Input::Text(v.clone()));
            }
        }
        let _ = check_all(&s, &mut a, TODAY);
    }

    #[test]
    fn valid_counts_stay_valid(n in 1u32..=5, name in "[A-Za-zäöü]{2,20}") {
        let mut a = valid();
        a.insert("count".into(), text(&n.to_string()));
        a.insert("name".into(), text(&name));
        prop_assert_eq!(problems(&mut a), vec![]);
    }

    #[test]
    fn dates_round_trip(y in 1900i32..2100, m in 1u32..=12, d in 1u32..=28) {
        let iso = format!("{y:04}-{m:02}-{d:02}");
        let german = format!("{d:02}.{m:02}.{y:04}");
        prop_assert_eq!(parse_date(&iso), Some((y, m, d)));
        prop_assert_eq!(parse_date(&german), Some((y, m, d)));
    }
}

#[test]
fn numbers_are_stored_in_one_canonical_form_and_odd_notations_are_refused() {
    for (typed, stored) in [("2,0", "2"), ("2.0", "2"), ("+3", "3"), ("02", "2"), (" 4 ", "4")] {
        let mut a = valid();
        a.insert("count".into(), text(typed));
        assert_eq!(problems(&mut a), vec![], "{typed}");
        assert_eq!(a["count"], text(stored), "{typed}");
    }
    for bad in ["1e1", "1E0", "inf", "infinity", "0x2", "1.000,5", "2,", ",5", "--2", "2 0", "٣", "1234567890123456"] {
        assert_eq!(problem_of("count", text(bad)), Some(Problem::NotANumber), "{bad}");
    }
}
