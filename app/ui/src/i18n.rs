//! UI texts from `locales/{de,en}.toml`, looked up by dotted key (`portal.search_label`).
//!
//! Placeholders are written `{name}` and filled by [`tr_with`]. A missing key renders as the key
//! itself (and is caught by the test that compares both files with the keys used in the code).

use std::collections::HashMap;
use std::sync::OnceLock;

use portal_domain::Lang;

const DE: &str = include_str!("../locales/de.toml");
const EN: &str = include_str!("../locales/en.toml");

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

fn table(lang: Lang) -> &'static HashMap<String, String> {
    static TABLES: OnceLock<[HashMap<String, String>; 2]> = OnceLock::new();
    let tables = TABLES.get_or_init(|| [parse(DE).unwrap_or_default(), parse(EN).unwrap_or_default()]);
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
    let mut s = tr(lang, key);
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// Both source files, for the completeness test.
pub fn sources() -> [(&'static str, &'static str); 2] {
    [("de", DE), ("en", EN)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_and_english_have_the_same_keys() {
        let de = parse(DE).expect("de.toml parses");
        let en = parse(EN).expect("en.toml parses");
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
        let de = parse(DE).expect("de.toml parses");
        let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())).join("..");
        let mut missing = Vec::new();
        for dir in ["ui/src", "server/src"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    let p = entry.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|e| e == "rs") {
                        let src = std::fs::read_to_string(&p).unwrap_or_default();
                        // every string literal that starts with a section name is a key
                        for section in [
                            "\"common.",
                            "\"portal.",
                            "\"errors.",
                            "\"console.",
                            "\"validation.",
                            "\"account.",
                            "\"staff.",
                            "\"identity.",
                            "\"audit.",
                            "\"jobs.",
                            "\"cases.",
                            "\"casework.",
                            "\"payments.",
                        ] {
                            for (at, _) in src.match_indices(section) {
                                let rest = &src[at + 1..];
                                let key: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == '.').collect();
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
    fn placeholders_are_filled() {
        assert_eq!(tr_with(Lang::En, "portal.results_for", &[("count", "3"), ("query", "perso")]), "3 results for “perso”");
        assert_eq!(tr(Lang::De, "no.such.key"), "no.such.key");
    }
}
