//! The FIM import against the public examples in `tests/data/fim` (in the repository, with their
//! licences).

use std::path::PathBuf;

use portal_forms::answers::Value;
use portal_forms::schema::Kind;
use portal_forms::{Answers, Field, FileRef};

use super::*;

fn example(name: &str) -> String {
    let path =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()))
            .join("../../tests/data/fim")
            .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const ALL: [&str; 11] = [
    "xdf2/BlaueKarte.xml",
    "xdf2/WaBeKa.xml",
    "xdf2/minimal.xml",
    "xdf2/simple.xml",
    "xdf2/label.xml",
    "xdf2/select.xml",
    "xdf2/rule.xml",
    "xdf2/data-field-rule.xml",
    "xdf2/data-group-rule.xml",
    "xdf3/input.xml",
    "xdf3/simple.xml",
];

/// A valid answer for a field (a file as an already stored attachment).
fn valid(f: &Field) -> Option<Value> {
    let text = |n: usize| Value::Text("Mustertext für den Antrag".chars().cycle().take(n).collect());
    Some(match f.kind {
        Kind::Text | Kind::Textarea => {
            if f.pattern.is_some() {
                return None;
            }
            let want = f.min_length.unwrap_or(1).max(12).min(f.max_len()) as usize;
            text(want)
        }
        Kind::Number => Value::Text(f.min.map_or(1.0, |m| m.max(1.0)).min(f.max.unwrap_or(f64::MAX)).to_string()),
        Kind::Date => Value::Text("2020-05-17".into()),
        Kind::Select | Kind::Radio => Value::Text(f.options[0].value.clone()),
        Kind::YesNo => Value::Text("nein".into()),
        Kind::File => Value::Files(vec![FileRef {
            file_id: "00000000-0000-0000-0000-000000000001".into(),
            name: "nachweis.pdf".into(),
            size: 1000,
            content_type: "application/pdf".into(),
        }]),
        Kind::Group => {
            let n = f.min_items.unwrap_or(1).max(1);
            Value::Items(
                (0..n).map(|_| f.fields.iter().filter_map(|c| valid(c).map(|v| (c.id.clone(), v))).collect()).collect(),
            )
        }
        _ => return None,
    })
}

#[test]
fn every_example_imports_into_a_schema_the_loader_accepts() {
    for name in ALL {
        let import = import(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if import.schema.pages.is_empty() {
            assert!(
                import.report.iter().any(|n| n.message.de.contains("keine Eingabefelder")),
                "{name}: an empty draft says so"
            );
            continue;
        }
        import.schema.check().unwrap_or_else(|e| panic!("{name}: {e}"));
        let json = import.schema.to_json();
        assert_eq!(portal_forms::FormSchema::from_json(&json).as_ref(), Ok(&import.schema), "{name}: round trip");
        assert!(import.schema.fields().all(|f| f.fim.is_some()), "{name}: every field names its FIM element");
        assert!(
            !portal_forms::edit::untranslated(&import.schema).is_empty(),
            "{name}: the English texts are shown as missing"
        );
    }
}

#[test]
fn the_two_complete_schemas_give_forms_a_citizen_can_fill_in() {
    for name in ["xdf2/BlaueKarte.xml", "xdf2/WaBeKa.xml"] {
        let import = import(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(import.schema.pages.len() >= 2, "{name}: pages");
        let mut answers = Answers::new();
        for f in import.schema.fields() {
            if let Some(v) = valid(f) {
                answers.insert(f.id.clone(), v);
            }
        }
        let issues = portal_forms::validate::check_all(&import.schema, &mut answers, (2026, 11, 30));
        assert!(issues.is_empty(), "{name}: {issues:?}");
        // and an empty form is refused where the schema requires answers
        let mut empty = Answers::new();
        assert!(
            !portal_forms::validate::check_all(&import.schema, &mut empty, (2026, 11, 30)).is_empty(),
            "{name}: required fields"
        );
    }
}

#[test]
fn blaue_karte_keeps_types_lengths_groups_and_fim_ids() {
    let import = import(&example("xdf2/BlaueKarte.xml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(import.xdf, XdfVersion::V2);
    let s = &import.schema;
    let family = s.fields().find(|f| f.label.de == "Familienname").unwrap_or_else(|| panic!("Familienname"));
    assert!(family.required && family.kind == Kind::Text);
    assert!(family.fim.as_ref().is_some_and(|r| r.id.starts_with('F')));
    assert!(s.fields().any(|f| f.kind == Kind::Date), "dates");
    assert!(s.fields().any(|f| f.kind == Kind::YesNo), "yes/no");
    assert!(s.fields().any(|f| f.kind == Kind::File), "files");
    assert!(s.fields().any(|f| f.kind == Kind::Number), "numbers");
    assert!(s.pages.iter().any(|p| p.title.de.starts_with("Persönliche Angaben")), "groups become pages");
    // the sex is a select whose code list the document does not carry: reported next to the field
    let sex = s.fields().find(|f| f.label.de == "Geschlecht").unwrap_or_else(|| panic!("Geschlecht"));
    assert!(import.report.iter().any(|n| n.field.as_deref() == Some(sex.id.as_str())
        && n.severity == Severity::Unmapped
        && n.message.de.contains("Codeliste")));
    // 1:* communication of an employer becomes a repeatable group
    assert!(s.fields().any(|f| f.kind == Kind::Group), "{:?}", s.fields().map(|f| (&f.id, f.kind)).collect::<Vec<_>>());
}

#[test]
fn rules_written_as_text_or_script_are_reported_next_to_their_field() {
    for name in ["xdf2/rule.xml", "xdf2/data-field-rule.xml", "xdf2/data-group-rule.xml", "xdf3/simple.xml"] {
        let import = import(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let rules: Vec<&Note> = import.report.iter().filter(|n| n.message.de.starts_with("Regel ")).collect();
        assert!(!rules.is_empty(), "{name}: {:?}", import.report);
        for r in rules {
            assert_eq!(r.severity, Severity::Unmapped);
            if let Some(f) = &r.field {
                assert!(
                    import.schema.fields().any(|x| &x.id == f || x.fields.iter().any(|c| &c.id == f)),
                    "{name}: {f} exists"
                );
            }
        }
    }
}

#[test]
fn xdf3_precision_attributes_and_optional_groups() {
    let import = import(&example("xdf3/simple.xml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(import.xdf, XdfVersion::V3);
    let street = import.schema.fields().find(|f| f.label.de == "Straße").unwrap_or_else(|| panic!("Straße"));
    assert_eq!(street.max_length, Some(55));
    assert_eq!(street.fim.as_ref().map(|r| r.version.as_str()), Some("1.1.0"));
    assert!(!street.required, "inside an optional (0:1) group");
}

#[test]
fn broken_foreign_and_empty_documents_get_clear_errors() {
    assert!(matches!(import("<xdf:x"), Err(ImportError::Xml { line: 1, .. })));
    assert_eq!(
        import("<html><body>kein FIM</body></html>"),
        Err(ImportError::Foreign { root: "html".into(), namespace: None })
    );
    let other = r#"<xdf:xdatenfelder.codeliste xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_2"><xdf:codeliste/></xdf:xdatenfelder.codeliste>"#;
    assert_eq!(
        import(other),
        Err(ImportError::NoSchema { root: "xdatenfelder.codeliste".into() }),
        "an XDatenfelder message without a schema"
    );
    let dtd = r#"<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
    assert_eq!(import(dtd), Err(ImportError::Dtd), "no DTDs (entity expansion)");
    assert_eq!(import(&" ".repeat(model::MAX_BYTES + 1)), Err(ImportError::TooLarge));
}

#[test]
fn ids_are_valid_and_unique() {
    let mut taken = map::Ids::default();
    let a = map::slug("Straße / Hausnummer (Zusatz)", "F1", &mut taken);
    let b = map::slug("Straße / Hausnummer (Zusatz)", "F1", &mut taken);
    assert_eq!(a, "strasse_hausnummer_zusatz");
    assert_eq!(b, "strasse_hausnummer_zusatz_2");
    assert!(map::slug("1. Angabe", "F0001", &mut taken).starts_with("f0001"));
    assert!(map::slug(&"x".repeat(100), "F", &mut taken).len() <= 40);
}

#[test]
fn a_hundred_thousand_fields_of_one_label_get_their_ids_without_probing_the_ones_before() {
    let mut taken = map::Ids::default();
    let ids: Vec<String> = (0..100_000).map(|_| map::slug("Angabe", "F1", &mut taken)).collect();
    assert_eq!((ids[0].as_str(), ids[1].as_str(), ids[99_999].as_str()), ("angabe", "angabe_2", "angabe_100000"));
    assert_eq!(taken.collisions, 0, "no id was tried twice");
    // an id a label already took is skipped once, not probed again for every later field
    let mut taken = map::Ids::default();
    assert_eq!(map::slug("Angabe 3", "F1", &mut taken), "angabe_3");
    let more: Vec<String> = (0..5).map(|_| map::slug("Angabe", "F1", &mut taken)).collect();
    assert_eq!(more, ["angabe", "angabe_2", "angabe_4", "angabe_5", "angabe_6"]);
    assert_eq!(taken.collisions, 1);
}

#[test]
fn rules_go_next_to_their_own_field_or_the_field_they_name_and_else_to_the_document() {
    let import = import(&example("own/rules.xml")).unwrap_or_else(|e| panic!("{e}"));
    let field_of =
        |fim: &str| import.schema.fields().find(|f| f.fim.as_ref().is_some_and(|r| r.id == fim)).map(|f| f.id.clone());
    let carrier = field_of("F90000002").unwrap_or_else(|| panic!("{:?}", import.schema));
    let rule =
        |id: &str| import.report.iter().find(|n| n.fim_id == id).unwrap_or_else(|| panic!("{id}: {:?}", import.report));
    // a group's rule naming two fields of the form: next to the first it names
    assert_eq!(rule("R90000001").field.as_deref(), Some(carrier.as_str()));
    // a field's own rule: next to that field
    assert_eq!(rule("R90000003").field.as_deref(), Some(carrier.as_str()));
    // naming what the form does not have: at the document level, with the names not found
    let missing = rule("R90000002");
    assert_eq!(missing.field, None);
    assert!(missing.message.de.starts_with("Regel R90000002 „Nachweis“ (an G90000001) nennt Elemente, die nicht im Formular sind: F90000099, G90000098. Nicht übernommen:"), "{}", missing.message.de);
    assert!(missing.message.en.starts_with("Rule R90000002 “Nachweis” (on G90000001) names elements that are not in the form: F90000099, G90000098. Not taken over:"), "{}", missing.message.en);
    // the document's own rule naming nothing: at the document level, not next to the first field
    assert_eq!(rule("R90000004").field, None);
    assert_eq!(
        map::named_ids("„F90000002 Träger“ wenn F90000001 (G1, F12, XF123456, F1234a) und F90000002"),
        ["F90000002", "F90000001"]
    );
}

#[test]
fn values_carried_in_the_document_become_the_choice_and_missing_ones_are_named_rightly() {
    let import = import(&example("own/codes.xml")).unwrap_or_else(|e| panic!("{e}"));
    let field = |label: &str| {
        import.schema.fields().find(|f| f.label.de == label).unwrap_or_else(|| panic!("{label}: {:?}", import.schema))
    };
    let notes = |label: &str| {
        import
            .report
            .iter()
            .filter(|n| n.field.as_deref() == Some(field(label).id.as_str()))
            .map(|n| n.message.de.as_str())
            .collect::<Vec<_>>()
    };
    let options =
        |label: &str| field(label).options.iter().map(|o| (o.value.as_str(), o.label.de.as_str())).collect::<Vec<_>>();
    // inline values without a code list reference: the options, and no note
    assert_eq!(field("Anrede").kind, Kind::Radio);
    assert_eq!(options("Anrede"), [("frau", "Frau"), ("herr", "Herr"), ("divers", "Keine Anrede")]);
    assert!(notes("Anrede").is_empty(), "{:?}", notes("Anrede"));
    // the field kind written as plain text, with a reference and inline values (one twice)
    assert_eq!(field("Staatsangehörigkeit").kind, Kind::Select);
    assert_eq!(options("Staatsangehörigkeit").len(), 6);
    assert_eq!(
        notes("Staatsangehörigkeit"),
        ["Auswahl „Staatsangehörigkeit“: Werte nicht übernommen (doppelt, mit Komma oder über 300 Werte): 137"]
    );
    // a reference whose values the document does not carry, and a choice with neither
    assert_eq!(field("Familienstand").kind, Kind::Text);
    assert_eq!(
        notes("Familienstand"),
        [
            "Auswahl „Familienstand“: die Werte der Codeliste urn:de:example:familienstand stehen nicht im Dokument; als Textfeld übernommen, Werte bitte im Baukasten eintragen"
        ]
    );
    assert_eq!(
        notes("Religion"),
        [
            "Auswahl „Religion“: das Dokument nennt weder Werte noch eine Codeliste; als Textfeld übernommen, Werte bitte im Baukasten eintragen"
        ]
    );
    import.schema.check().unwrap_or_else(|e| panic!("{e}"));
}
