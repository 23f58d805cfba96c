//! The data files under tenants/: every file parses, the catalogue is large enough, LeiKa keys are real.

use std::collections::HashMap;

use portal_tests::tenants_dir;

#[test]
fn the_catalogue_parses_and_holds_at_least_100_services_in_both_languages() {
    let c = portal_catalogue::Catalogue::load(&tenants_dir().join("catalogue")).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.services.len() >= 100, "only {} services", c.services.len());
    let basic = c.preset("grundausstattung").unwrap_or_else(|| panic!("the basic installation preset is missing"));
    assert!(basic.services.len() >= 20);
    for slug in [
        "meldebescheinigung",
        "wohnsitz-anmelden",
        "melderegisterauskunft",
        "geburtsurkunde",
        "eheurkunde",
        "sterbeurkunde",
        "bewohnerparkausweis",
        "hundesteuer-anmeldung",
        "hundesteuer-abmeldung",
        "abfallbehaelter-bestellen",
        "abfallbehaelter-abbestellen",
        "muellgefaess-defekt",
        "sperrmuell-abholung",
        "briefwahl",
        "schuelerbefoerderung",
        "gewerbeanmeldung",
        "wohngeld",
        "fundsachen",
        "kita-anmeldung",
        "musikschule",
    ] {
        assert!(c.services.iter().any(|s| s.slug.as_str() == slug), "{slug} missing");
    }
}

#[test]
fn every_leika_key_exists_in_the_public_leika_list() {
    let csv_path = std::env::var("TEST_LEIKA_CSV")
        .map_or_else(|_| portal_tests::repo_root().join("tests/data/leika/leika-2019.csv"), std::path::PathBuf::from);
    let Ok(csv) = std::fs::read_to_string(&csv_path) else {
        panic!("the LeiKa list is needed for this test: {}", csv_path.display());
    };
    let keys: HashMap<&str, &str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(k, rest)| (k, rest.split(',').next().unwrap_or("")))
        .collect();
    let c = portal_catalogue::Catalogue::load(&tenants_dir().join("catalogue")).unwrap_or_else(|e| panic!("{e}"));
    let mut with_key = 0;
    for s in &c.services {
        if let Some(k) = &s.leika {
            with_key += 1;
            assert!(keys.contains_key(k.as_str()), "{}: LeiKa key {} is not in the LeiKa list", s.slug, k.as_str());
        }
    }
    assert!(with_key >= 80, "only {with_key} services carry a LeiKa key");
    // services the source marks as not in the LeiKa carry none
    for slug in ["abfallbehaelter-bestellen", "abfallbehaelter-abbestellen"] {
        assert!(
            c.services.iter().any(|s| s.slug.as_str() == slug && s.leika.is_none()),
            "{slug} must not carry an invented key"
        );
    }
}

#[test]
fn every_demo_tenant_parses_with_parents_first_and_distinct_hosts() {
    let demo = portal_tenancy::demo::load(&tenants_dir().join("demo")).unwrap_or_else(|e| panic!("{e}"));
    let catalogue =
        portal_catalogue::Catalogue::load(&tenants_dir().join("catalogue")).unwrap_or_else(|e| panic!("{e}"));
    assert!(demo.len() >= 5);
    let slugs: Vec<&str> = demo.iter().map(|t| t.slug.as_str()).collect();
    for s in ["ludwigslust-parchim", "amt-neustadt-glewe", "kaiserslautern", "dueren", "guetersloh"] {
        assert!(slugs.contains(&s), "{s} missing");
    }
    let pos = |s: &str| slugs.iter().position(|x| *x == s).unwrap_or(usize::MAX);
    assert!(pos("ludwigslust-parchim") < pos("amt-neustadt-glewe") && pos("amt-neustadt-glewe") < pos("brenz"));
    for t in &demo {
        portal_server::seed::demo_selection(&catalogue, t).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_demo_file_with_an_unknown_key_is_refused_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("kp-demo-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("x.toml"), "slug = \"x-stadt\"\nkind = \"stadt\"\nname = \"X\"\nfarbe = \"rot\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let err = portal_tenancy::demo::load(&dir).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("x.toml") && err.contains("line 4") && err.contains("farbe"), "{err}");
}
