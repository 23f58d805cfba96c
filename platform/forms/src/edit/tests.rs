use proptest::prelude::*;

use super::*;
use crate::schema::{Condition, Kind};

fn text(de: &str) -> Localized {
    Localized { de: de.into(), en: format!("{de} (en)") }
}

fn field(id: &str, kind: Kind) -> Field {
    let mut f: Field = serde_json::from_value(
        serde_json::json!({ "id": id, "type": "text", "label": { "de": id, "en": format!("{id} (en)") } }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    f.kind = kind;
    if matches!(kind, Kind::Radio | Kind::Select) {
        f.options = vec![
            crate::schema::Choice { value: "ja".into(), label: text("Ja") },
            crate::schema::Choice { value: "nein".into(), label: text("Nein") },
        ];
    }
    f
}

fn base() -> FormSchema {
    let mut shown = field("detail", Kind::Text);
    shown.show_if =
        Some(Condition { field: "choice".into(), equals: Some("ja".into()), any_of: vec![], not_equals: None });
    let schema = FormSchema {
        version: 1,
        guest: false,
        pages: vec![
            Page {
                id: "eins".into(),
                title: text("Eins"),
                help: None,
                show_if: None,
                fields: vec![field("name", Kind::Text), field("choice", Kind::Radio)],
            },
            Page {
                id: "zwei".into(),
                title: text("Zwei"),
                help: None,
                show_if: None,
                fields: vec![shown, field("datum", Kind::Date)],
            },
        ],
    };
    schema.check().unwrap_or_else(|e| panic!("{e}"));
    schema
}

#[test]
fn add_move_duplicate_and_delete_keep_a_valid_schema() {
    let s = base();
    let s = apply(&s, &Op::AddField { page: 0, at: Some(0), field: field("titel", Kind::Text) })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.pages[0].fields[0].id, "titel");
    let s = apply(&s, &Op::MoveField { page: 0, field: 0, by: 1 }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.pages[0].fields[1].id, "titel");
    let s = apply(&s, &Op::DuplicateField { page: 0, field: 1 }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.pages[0].fields[2].id, "titel_kopie");
    let s = apply(&s, &Op::DuplicatePage { page: 1 }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.pages[2].id, "zwei_kopie");
    assert_eq!(s.pages[2].fields[0].id, "detail_kopie");
    let s = apply(&s, &Op::RemovePage { page: 2 }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.pages.len(), 2);
    // the page's last field moves over the edge to the start of the next page
    assert_eq!(
        s.pages[0].fields.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["name", "titel", "titel_kopie", "choice"]
    );
    let s = apply(&s, &Op::MoveField { page: 0, field: 3, by: 1 }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.pages[1].fields[0].id, "choice");
}

#[test]
fn what_would_break_the_form_is_refused_with_a_clear_error_and_nothing_changes() {
    let s = base();
    // the condition's field cannot go: the condition would name nothing
    let e = apply(&s, &Op::RemoveField { page: 0, field: 1 }).err();
    assert!(matches!(&e, Some(EditError::Invalid(m)) if m.contains("choice")), "{e:?}");
    // it may move to the next page, ahead of the field that depends on it, but not behind it
    let moved = apply(&s, &Op::MoveField { page: 0, field: 1, by: 1 }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(moved.pages[1].fields[0].id, "choice");
    assert!(
        matches!(apply(&moved, &Op::MoveField { page: 1, field: 0, by: 1 }), Err(EditError::Invalid(m)) if m.contains("choice"))
    );
    assert!(
        matches!(apply(&s, &Op::MovePage { page: 1, by: -1 }), Err(EditError::Invalid(_))),
        "the dependent page before its condition"
    );
    assert_eq!(apply(&s, &Op::MovePage { page: 1, by: 1 }), Err(EditError::Edge));
    assert_eq!(apply(&s, &Op::RemoveField { page: 5, field: 0 }), Err(EditError::NotFound));
    let one = FormSchema { pages: vec![s.pages[0].clone()], ..s.clone() };
    assert_eq!(apply(&one, &Op::RemovePage { page: 0 }), Err(EditError::LastPage));
    assert!(
        matches!(apply(&s, &Op::AddField { page: 0, at: None, field: field("name", Kind::Text) }), Err(EditError::Invalid(m)) if m.contains("twice"))
    );
    assert_eq!(s, base(), "the schema given is untouched");
}

#[test]
fn renaming_a_field_carries_its_conditions_along() {
    let s = base();
    let mut renamed = s.pages[0].fields[1].clone();
    renamed.id = "auswahl".into();
    let s = apply(&s, &Op::EditField { page: 0, field: 1, new: renamed }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.pages[1].fields[0].show_if.as_ref().map(|c| c.field.as_str()), Some("auswahl"));
}

#[test]
fn the_diff_names_what_was_added_removed_changed_and_moved() {
    let old = base();
    let s = apply(&old, &Op::AddField { page: 0, at: None, field: field("neu", Kind::Text) })
        .unwrap_or_else(|e| panic!("{e}"));
    let s = apply(&s, &Op::RemoveField { page: 1, field: 1 }).unwrap_or_else(|e| panic!("{e}"));
    let mut name = s.pages[0].fields[0].clone();
    name.required = true;
    let s = apply(&s, &Op::EditField { page: 0, field: 0, new: name }).unwrap_or_else(|e| panic!("{e}"));
    let s = apply(&s, &Op::MoveField { page: 0, field: 0, by: 1 }).unwrap_or_else(|e| panic!("{e}"));
    let d = diff(&old, &s);
    assert!(d.contains(&Change::FieldAdded("neu".into())));
    assert!(d.contains(&Change::FieldRemoved("datum".into())));
    assert!(d.contains(&Change::FieldChanged("name".into())));
    assert!(d.contains(&Change::FieldMoved("name".into())));
    assert!(diff(&old, &old).is_empty());
}

#[test]
fn missing_translations_are_listed_where_they_are() {
    let mut s = base();
    assert!(untranslated(&s).is_empty(), "{:?}", untranslated(&s));
    s.pages[0].title.en = s.pages[0].title.de.clone();
    s.pages[0].fields[1].options[0].label.en = "Ja".into();
    s.pages[1].fields[1].help = Some(Localized { de: "Tag der Abholung".into(), en: " ".into() });
    assert_eq!(
        untranslated(&s),
        vec!["page eins: title".to_owned(), "field choice: option ja".into(), "field datum: help".into()]
    );
}

fn op() -> impl Strategy<Value = Op> {
    let kinds =
        prop_oneof![Just(Kind::Text), Just(Kind::Date), Just(Kind::Radio), Just(Kind::YesNo), Just(Kind::Number)];
    prop_oneof![
        (0usize..4, 0usize..6, "[a-z]{1,6}", kinds.clone()).prop_map(|(page, at, id, k)| Op::AddField {
            page,
            at: Some(at),
            field: field(&id, k)
        }),
        (0usize..4, 0usize..6).prop_map(|(page, field)| Op::RemoveField { page, field }),
        (0usize..4, 0usize..6, prop_oneof![Just(-1i8), Just(1i8)]).prop_map(|(page, field, by)| Op::MoveField {
            page,
            field,
            by
        }),
        (0usize..4, 0usize..6).prop_map(|(page, field)| Op::DuplicateField { page, field }),
        (0usize..4).prop_map(|page| Op::DuplicatePage { page }),
        (0usize..4).prop_map(|page| Op::RemovePage { page }),
        (0usize..4, prop_oneof![Just(-1i8), Just(1i8)]).prop_map(|(page, by)| Op::MovePage { page, by }),
        (proptest::option::of(0usize..4), "[a-z]{1,6}", "[a-z]{1,6}", kinds)
            .prop_map(|(after, id, fid, k)| Op::AddPage { after, id, title: text("Neu"), first: field(&fid, k) }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any sequence of operations gives, at every step, a schema the loader accepts, or a clear
    /// error that leaves the schema as it was.
    #[test]
    fn any_sequence_of_operations_keeps_the_schema_loadable(ops in proptest::collection::vec(op(), 1..25)) {
        let mut s = base();
        for op in &ops {
            let before = s.clone();
            match apply(&s, op) {
                Ok(next) => {
                    prop_assert!(next.check().is_ok());
                    let json = next.to_json();
                    let loaded = FormSchema::from_json(&json);
                    prop_assert_eq!(loaded.as_ref(), Ok(&next), "stored and loaded again");
                    s = next;
                }
                Err(e) => {
                    prop_assert!(!e.to_string().is_empty());
                    prop_assert_eq!(&s, &before);
                }
            }
        }
    }
}

#[test]
fn huge_counts_lengths_and_non_finite_ranges_are_refused() {
    let s = base();
    let mut group = field("gruppe", Kind::Group);
    group.fields = vec![field("eintrag", Kind::Text)];
    group.min_items = Some(1);
    group.max_items = Some(4_000_000_000);
    assert!(
        matches!(apply(&s, &Op::AddField { page: 0, at: None, field: group }), Err(EditError::Invalid(_))),
        "a group of billions of entries"
    );
    let mut long = field("lang", Kind::Text);
    long.max_length = Some(crate::schema::MAX_LENGTH_CEILING + 1);
    assert!(apply(&s, &Op::AddField { page: 0, at: None, field: long }).is_err());
    let mut number = field("zahl", Kind::Number);
    number.max = Some(f64::NAN);
    assert!(apply(&s, &Op::AddField { page: 0, at: None, field: number }).is_err(), "NaN cannot be stored as JSON");
    let mut number = field("zahl", Kind::Number);
    number.max = Some(100.0);
    assert!(apply(&s, &Op::AddField { page: 0, at: None, field: number }).is_ok());
}
