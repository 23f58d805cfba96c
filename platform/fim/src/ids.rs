//! Schema ids from FIM labels (unique, in linear time) and the FIM ids a rule's text names.

use std::collections::HashSet;

/// The ids given so far, and for each base the next number to try: a thousand fields of the same
/// label get their ids in linear time (probing `x_2`, `x_3` … from the start each time took minutes
/// for a hostile upload).
#[derive(Debug, Default)]
pub struct Ids {
    taken: HashSet<String>,
    next: std::collections::HashMap<String, u32>,
    /// Candidates tried that were taken already (a test's measure of the work done).
    pub collisions: u64,
}

impl From<HashSet<String>> for Ids {
    /// The ids of an existing form, which new ones must not repeat.
    fn from(taken: HashSet<String>) -> Self {
        Self { taken, ..Self::default() }
    }
}

/// A schema id from a label: lower-case ASCII letters, digits and `_`, starting with a letter, at
/// most 40 characters, unique among `taken`.
pub fn slug(text: &str, fallback: &str, taken: &mut Ids) -> String {
    let mut s = String::new();
    for c in text.to_lowercase().chars() {
        let part = match c {
            'ä' => "ae".to_owned(),
            'ö' => "oe".to_owned(),
            'ü' => "ue".to_owned(),
            'ß' => "ss".to_owned(),
            c if c.is_ascii_alphanumeric() => c.to_string(),
            _ => "_".to_owned(),
        };
        s.push_str(&part);
    }
    let mut s: String = s.split('_').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("_");
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s = format!("{}_{s}", fallback.to_lowercase().chars().filter(char::is_ascii_alphanumeric).collect::<String>());
        s = s.trim_end_matches('_').to_owned();
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            s = format!("f{s}");
        }
    }
    s.truncate(36);
    let s = s.trim_end_matches('_').to_owned();
    if taken.taken.insert(s.clone()) {
        return s;
    }
    // the base is taken: go on from the number the last id of this base got
    let n = taken.next.entry(s.clone()).or_insert(2);
    loop {
        let candidate = format!("{s}_{n}");
        *n += 1;
        if taken.taken.insert(candidate.clone()) {
            return candidate;
        }
        taken.collisions += 1;
    }
}

/// The FIM ids a rule's text or script names (`F60000227`, `G00000082`): a letter F or G and at
/// least three digits, as a word of its own.
pub fn named_ids(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        let named = matches!(chars.next(), Some('F' | 'G')) && word.len() >= 4 && chars.all(|c| c.is_ascii_digit());
        if named && !out.iter().any(|w| w == word) {
            out.push(word.to_owned());
        }
    }
    out
}
