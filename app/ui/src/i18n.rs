//! UI texts from `locales/{de,en}/<capability>.toml` (one file per capability of the web layer, plus
//! `kit.toml` for the texts every capability shares), looked up by dotted key
//! (`portal.search_label`). A new capability adds its two files; `build.rs` finds them.
//!
//! Placeholders are written `{name}` and filled by [`tr_with`]. A missing key renders as the key
//! itself (and is caught by the test that compares both files with the keys used in the code).

use std::collections::HashMap;
use std::sync::OnceLock;

use portal_domain::Lang;

// `FILES`: every `locales/de/<name>.toml` with its English twin, listed by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/", "locale_files.rs"));

fn flatten(prefix: &str, value: &toml::Value, out: &mut HashMap<String, String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// Parses a translation file into a flat key → text map.
pub fn parse(src: &str) -> Result<HashMap<String, String>, toml::de::Error> {
    let value: toml::Value = toml::from_str(src)?;
    let mut out = HashMap::new();
    flatten("", &value, &mut out);
    Ok(out)
}

/// All files of one language, merged into one key → text map.
fn merged(pick: impl Fn(&(&str, &'static str, &'static str)) -> &'static str) -> HashMap<String, String> {
    FILES.iter().flat_map(|f| parse(pick(f)).unwrap_or_default()).collect()
}

fn table(lang: Lang) -> &'static HashMap<String, String> {
    static TABLES: OnceLock<[HashMap<String, String>; 2]> = OnceLock::new();
    let tables = TABLES.get_or_init(|| [merged(|f| f.1), merged(|f| f.2)]);
    match lang {
        Lang::De => &tables[0],
        Lang::En => &tables[1],
    }
}

/// The text for `key` in `lang`.
pub fn tr(lang: Lang, key: &str) -> String {
    table(lang).get(key).cloned().unwrap_or_else(|| key.to_owned())
}

/// The text for `key` with `{placeholders}` filled in.
pub fn tr_with(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    fill(&tr(lang, key), args)
}

/// Fills the `{name}` placeholders of `template` in one pass: a value is inserted as it is, so a
/// value that itself holds `{name}` (a name, a message typed by someone) is never filled again.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after
            .find('}')
            .and_then(|close| args.iter().find(|(n, _)| *n == &after[..close]).map(|(_, value)| (value, close)));
        match filled {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether `key` has a text in every language (the check of keys built at run time).
pub fn exists(key: &str) -> bool {
    Lang::ALL.iter().all(|l| table(*l).contains_key(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_parses_and_no_key_is_in_two_files() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for (capability, de, en) in FILES {
            let de = parse(de).unwrap_or_else(|e| panic!("de/{capability}.toml: {e}"));
            parse(en).unwrap_or_else(|e| panic!("en/{capability}.toml: {e}"));
            for k in de.into_keys() {
                if let Some(other) = seen.insert(k.clone(), capability) {
                    panic!("{k} is in de/{other}.toml and de/{capability}.toml");
                }
            }
        }
    }

    #[test]
    fn every_file_is_loaded() {
        let dir = std::path::PathBuf::from(
            std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
        )
        .join("locales/de");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.path().file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        let mut loaded: Vec<String> = FILES.iter().map(|f| f.0.to_owned()).collect();
        on_disk.sort();
        loaded.sort();
        assert_eq!(on_disk, loaded, "every translation file is listed in FILES");
    }

    #[test]
    fn german_and_english_have_the_same_keys() {
        let de = merged(|f| f.1);
        let en = merged(|f| f.2);
        let mut only_de: Vec<_> = de.keys().filter(|k| !en.contains_key(*k)).collect();
        let mut only_en: Vec<_> = en.keys().filter(|k| !de.contains_key(*k)).collect();
        only_de.sort();
        only_en.sort();
        assert!(only_de.is_empty() && only_en.is_empty(), "only in de: {only_de:?}; only in en: {only_en:?}");
        for (k, v) in de.iter().chain(en.iter()) {
            assert!(!v.trim().is_empty(), "empty text for {k}");
        }
    }

    #[test]
    fn every_key_used_in_the_code_exists() {
        let de = merged(|f| f.1);
        // every string literal that starts with a section name (`"payments.`) is a key
        let mut sections: Vec<String> =
            de.keys().filter_map(|k| k.split('.').next()).map(|s| format!("\"{s}.")).collect();
        sections.sort();
        sections.dedup();
        let root = std::path::PathBuf::from(
            std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
        )
        .join("..");
        let mut missing = Vec::new();
        for dir in ["ui/src", "server/src", "../platform/mail/src"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    let p = entry.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|e| e == "rs") {
                        let src = std::fs::read_to_string(&p).unwrap_or_default();
                        for section in &sections {
                            for (at, _) in src.match_indices(section) {
                                let rest = &src[at + 1..];
                                let key: String = rest
                                    .chars()
                                    .take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == '.')
                                    .collect();
                                if !key.ends_with('.') && rest[key.len()..].starts_with('"') && !de.contains_key(&key) {
                                    missing.push(format!("{}: {key}", p.display()));
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys used in code but missing in locales: {missing:?}");
    }

    #[test]
    fn a_value_is_inserted_as_it_is_and_never_filled_again() {
        assert_eq!(fill("{a} and {b}", &[("a", "{b}"), ("b", "x")]), "{b} and x");
        assert_eq!(fill("{unknown} {a}", &[("a", "1")]), "{unknown} 1");
        assert_eq!(fill("no placeholders", &[]), "no placeholders");
        assert_eq!(fill("{a", &[("a", "1")]), "{a");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            tr_with(Lang::En, "portal.results_for", &[("count", "3"), ("query", "perso")]),
            "3 results for “perso”"
        );
        assert_eq!(tr(Lang::De, "no.such.key"), "no.such.key");
    }
}
