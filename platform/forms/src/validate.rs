//! Validation of answers against the schema. The server's result is authoritative; the browser runs
//! the same code for instant feedback. Values are normalised in place (dates to ISO, IBANs without
//! spaces), so that what is stored is what was checked.

use crate::answers::{Answers, Value, input_name};
pub use crate::answers::{page_visible, visible, visible_pages};
use crate::problem::{Issue, Problem};
use crate::schema::{DateRule, Field, FormSchema, Kind, Page};

/// A calendar day (year, month, day), e.g. today for date rules.
pub type Day = (i32, u32, u32);

/// Checks one page. Hidden fields are not checked.
pub fn check_page(page: &Page, answers: &mut Answers, today: Day) -> Vec<Issue> {
    let mut issues = Vec::new();
    for field in &page.fields {
        if !visible(field, answers, None) {
            continue;
        }
        let mut value = answers.get(&field.id).cloned();
        check_field(field, &field.id, value.as_mut(), answers, None, today, &mut issues);
        if let Some(v) = value {
            answers.insert(field.id.clone(), v);
        }
    }
    issues
}

/// Checks every visible page (before a case is filed).
pub fn check_all(schema: &FormSchema, answers: &mut Answers, today: Day) -> Vec<Issue> {
    let mut issues = Vec::new();
    for i in visible_pages(schema, answers) {
        issues.extend(check_page(&schema.pages[i], answers, today));
    }
    issues
}

fn issue(field: &Field, name: &str, problem: Problem, issues: &mut Vec<Issue>) {
    issues.push(Issue { name: name.to_owned(), label: field.label.clone(), problem });
}

fn check_field(
    field: &Field,
    name: &str,
    value: Option<&mut Value>,
    answers: &Answers,
    item: Option<&Answers>,
    today: Day,
    issues: &mut Vec<Issue>,
) {
    let _ = item;
    let empty = value.as_ref().is_none_or(|v| v.is_empty());
    match field.kind {
        Kind::Group => {
            let items: Vec<Answers> = value.as_ref().map(|v| v.items().to_vec()).unwrap_or_default();
            let min = field.min_items.unwrap_or(u32::from(field.required));
            if (items.len() as u64) < u64::from(min) {
                issue(field, name, Problem::TooFewItems { min }, issues);
            }
            if items.len() as u64 > u64::from(field.max_entries()) {
                issue(field, name, Problem::TooManyItems { max: field.max_entries() }, issues);
                return;
            }
            let mut checked = Vec::with_capacity(items.len());
            for (i, mut entry) in items.into_iter().enumerate() {
                let prefix = format!("{name}[{i}]");
                for child in &field.fields {
                    if !visible(child, answers, Some(&entry)) {
                        continue;
                    }
                    let mut v = entry.get(&child.id).cloned();
                    check_field(
                        child,
                        &input_name(&prefix, &child.id),
                        v.as_mut(),
                        answers,
                        Some(&entry),
                        today,
                        issues,
                    );
                    if let Some(v) = v {
                        entry.insert(child.id.clone(), v);
                    }
                }
                checked.push(entry);
            }
            if let Some(v) = value {
                *v = Value::Items(checked);
            }
        }
        Kind::PostcodeTown | Kind::Address => {
            let Some(v) = value else {
                if field.required {
                    for p in field.kind.parts() {
                        issue(field, &format!("{name}.{p}"), Problem::Required, issues);
                    }
                }
                return;
            };
            if empty && !field.required {
                return;
            }
            for p in field.kind.parts() {
                let part = v.part(p).trim().to_owned();
                let part_name = format!("{name}.{p}");
                if part.is_empty() {
                    issue(field, &part_name, Problem::Required, issues);
                } else if *p == "postcode" && !(part.len() == 5 && part.bytes().all(|b| b.is_ascii_digit())) {
                    issue(field, &part_name, Problem::PostcodeInvalid, issues);
                } else if part.chars().count() > 120 {
                    issue(field, &part_name, Problem::TooLong { max: 120 }, issues);
                }
            }
        }
        Kind::File => {
            let files = value.as_ref().map(|v| v.files().to_vec()).unwrap_or_default();
            if files.is_empty() {
                if field.required {
                    issue(field, name, Problem::Required, issues);
                }
                return;
            }
            if files.len() as u64 > u64::from(field.max_files()) {
                issue(field, name, Problem::TooManyFiles { max: field.max_files() }, issues);
            }
            let accepted = field.accepted();
            for f in &files {
                if f.size > field.max_bytes() {
                    issue(field, name, Problem::FileTooLarge { max_kb: (field.max_bytes() / 1024) as u32 }, issues);
                } else if !crate::schema::FileType::from_mime(&f.content_type).is_some_and(|t| accepted.contains(&t)) {
                    issue(field, name, Problem::FileType { accepted: accepted_list(field) }, issues);
                }
            }
        }
        Kind::Checkbox if !field.options.is_empty() => {
            let chosen: Vec<String> =
                value.as_ref().map(|v| v.list().into_iter().map(str::to_owned).collect()).unwrap_or_default();
            if chosen.is_empty() {
                if field.required {
                    issue(field, name, Problem::Choose, issues);
                }
                return;
            }
            if chosen.iter().any(|c| !field.options.iter().any(|o| &o.value == c)) {
                issue(field, name, Problem::NotAnOption, issues);
            }
            if let Some(v) = value {
                *v = Value::List(chosen);
            }
        }
        _ => {
            let Some(v) = value else {
                if field.required {
                    issue(field, name, required_problem(field), issues);
                }
                return;
            };
            let text = match v {
                Value::Text(t) => t.trim().to_owned(),
                _ => String::new(),
            };
            if text.is_empty() {
                *v = Value::Text(String::new());
                if field.required {
                    issue(field, name, required_problem(field), issues);
                }
                return;
            }
            match check_text(field, &text, today) {
                Ok(normalised) => *v = Value::Text(normalised),
                Err(p) => {
                    *v = Value::Text(text);
                    issue(field, name, p, issues);
                }
            }
        }
    }
}

fn required_problem(field: &Field) -> Problem {
    match field.kind {
        Kind::Select | Kind::Radio | Kind::YesNo => Problem::Choose,
        Kind::Checkbox => Problem::MustTick,
        _ => Problem::Required,
    }
}

fn accepted_list(field: &Field) -> String {
    let names: Vec<&str> = field.accepted().iter().map(|t| t.label()).collect();
    names.join(", ")
}

/// A number as people write it: an optional sign, digits, and at most one decimal separator
/// (comma or point) followed by digits. No exponent, no thousands separators, no "inf" or "NaN",
/// at most 15 digits (exact in a double).
fn parse_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once([',', '.']) {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) || whole.len() + fraction.map_or(0, str::len) > 15 {
        return None;
    }
    let n: f64 =
        format!("{}{whole}.{}", if text.starts_with('-') { "-" } else { "" }, fraction.unwrap_or("0")).parse().ok()?;
    n.is_finite().then_some(n)
}

/// The one form a number is stored in: a point as decimal separator, no trailing zeros, no sign
/// on zero ("2,0" and "2" are both "2"; "2,50" is "2.5"), which the fee rules and exports read.
fn canonical_number(n: f64) -> String {
    if n == 0.0 { "0".to_owned() } else { format!("{n}") }
}

/// Checks and normalises one text value (non-empty).
fn check_text(field: &Field, text: &str, today: Day) -> Result<String, Problem> {
    let chars = text.chars().count() as u64;
    if chars > u64::from(field.max_len()) {
        return Err(Problem::TooLong { max: field.max_len() });
    }
    if let Some(min) = field.min_length
        && chars < u64::from(min)
    {
        return Err(Problem::TooShort { min });
    }
    let normalised = match field.kind {
        Kind::Number => {
            let n = parse_number(text).ok_or(Problem::NotANumber)?;
            if field.integer && n.fract() != 0.0 {
                return Err(Problem::NotWhole);
            }
            if let Some(min) = field.min
                && n < min
            {
                return Err(Problem::BelowMin { min });
            }
            if let Some(max) = field.max
                && n > max
            {
                return Err(Problem::AboveMax { max });
            }
            canonical_number(n)
        }
        Kind::Date => {
            let d = parse_date(text).ok_or(Problem::DateInvalid)?;
            match field.date {
                Some(DateRule::Past) if d > today => return Err(Problem::DateInFuture),
                Some(DateRule::Future) if d < today => return Err(Problem::DateInPast),
                _ => {}
            }
            format!("{:04}-{:02}-{:02}", d.0, d.1, d.2)
        }
        Kind::Email => {
            if !valid_email(text) {
                return Err(Problem::EmailInvalid);
            }
            text.to_owned()
        }
        Kind::Phone => {
            let digits = text.bytes().filter(u8::is_ascii_digit).count();
            let allowed = text
                .chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || " /-()".contains(c) || (c == '+' && i == 0));
            if !allowed || !(6..=15).contains(&digits) {
                return Err(Problem::PhoneInvalid);
            }
            text.to_owned()
        }
        Kind::Iban => normalise_iban(text).ok_or(Problem::IbanInvalid)?,
        Kind::Select | Kind::Radio => {
            if !field.options.iter().any(|o| o.value == text) {
                return Err(Problem::NotAnOption);
            }
            text.to_owned()
        }
        Kind::YesNo => {
            if text != "ja" && text != "nein" {
                return Err(Problem::NotAnOption);
            }
            text.to_owned()
        }
        Kind::Checkbox => "ja".to_owned(),
        _ => text.to_owned(),
    };
    if let Some(p) = &field.pattern
        && !pattern_matches(&p.regex, &normalised)
    {
        return Err(Problem::Pattern { message: p.message.clone() });
    }
    Ok(normalised)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Reads `2026-03-27` (date inputs) or `27.03.2026` (typed by hand).
pub fn parse_date(s: &str) -> Option<Day> {
    let s = s.trim();
    let (y, m, d) = if let Some((y, rest)) = s.split_once('-') {
        let (m, d) = rest.split_once('-')?;
        (y, m, d)
    } else {
        let mut it = s.split('.');
        let (d, m, y) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        (y, m, d)
    };
    let all_digits = |x: &str| !x.is_empty() && x.len() <= 4 && x.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(y) || y.len() != 4 || !all_digits(m) || m.len() > 2 || !all_digits(d) || d.len() > 2 {
        return None;
    }
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1800..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some((y, m, d))
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty()
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// Checks an IBAN by its country length (for the SEPA countries most used here) and its mod-97
/// checksum; returns it without spaces, upper case.
pub fn normalise_iban(s: &str) -> Option<String> {
    let iban: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if !(15..=34).contains(&iban.len()) || !iban.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let country = iban.get(..2)?;
    if !country.bytes().all(|b| b.is_ascii_uppercase()) || !iban[2..4].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let expected = match country {
        "DE" => Some(22),
        "AT" => Some(20),
        "NL" => Some(18),
        "BE" => Some(16),
        "FR" | "IT" => Some(27),
        "LU" => Some(20),
        "CH" | "LI" => Some(21),
        "PL" => Some(28),
        "DK" => Some(18),
        "ES" => Some(24),
        _ => None,
    };
    if expected.is_some_and(|n| n != iban.len()) {
        return None;
    }
    let rearranged = format!("{}{}", &iban[4..], &iban[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = c.to_digit(36)?;
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    (rem == 1).then_some(iban)
}

/// Whether `text` matches the schema's pattern. The schema check has compiled it once; on the server
/// a pattern that does not compile matches nothing. Compiled patterns are kept (see [`compiled`]):
/// every check of every form would otherwise compile them anew.
#[cfg(not(target_arch = "wasm32"))]
fn pattern_matches(regex: &str, text: &str) -> bool {
    compiled(regex).is_some_and(|r| r.is_match(text))
}

/// Patterns kept compiled at most; a full cache starts over (patterns are few: a form's fields').
/// With [`PATTERN_SIZE_LIMIT`] the cache holds at most 64 MiB of compiled programs.
#[cfg(not(target_arch = "wasm32"))]
const KEPT_PATTERNS: usize = 256;

#[cfg(not(target_arch = "wasm32"))]
pub use crate::redos::{PATTERN_SIZE_LIMIT, build_pattern};

/// The compiled pattern, from the process's cache keyed by the pattern's text (the same text in
/// any form and version is the same pattern); `None` when it does not compile (remembered too).
#[cfg(not(target_arch = "wasm32"))]
pub fn compiled(regex: &str) -> Option<std::sync::Arc<regex_lite::Regex>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Cache = Mutex<HashMap<String, Option<Arc<regex_lite::Regex>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(regex).cloned()) {
        return hit;
    }
    // compiled outside the lock: another check may compile the same pattern meanwhile, harmlessly
    let made = build_pattern(regex).ok().map(Arc::new);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= KEPT_PATTERNS {
            c.clear();
        }
        c.insert(regex.to_owned(), made.clone());
    }
    made
}

/// In the browser: JavaScript's own regular expressions (the patterns use the common subset). A
/// pattern the browser cannot compile passes here; the server's check decides.
#[cfg(target_arch = "wasm32")]
fn pattern_matches(regex: &str, text: &str) -> bool {
    js::JsRegExp::new(regex, "u").map_or(true, |r| r.test(text))
}

#[cfg(target_arch = "wasm32")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = RegExp)]
        pub type JsRegExp;
        #[wasm_bindgen(constructor, catch, js_class = "RegExp")]
        pub fn new(pattern: &str, flags: &str) -> Result<JsRegExp, JsValue>;
        #[wasm_bindgen(method, js_class = "RegExp")]
        pub fn test(this: &JsRegExp, text: &str) -> bool;
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod pattern_cache_tests {
    #[test]
    fn a_pattern_is_compiled_once_and_then_reused() {
        let first = super::compiled("^[0-9]{5}$").expect("compiles");
        let again = super::compiled("^[0-9]{5}$").expect("kept");
        assert!(std::sync::Arc::ptr_eq(&first, &again), "the second check reuses the first's compiled pattern");
        assert!(super::compiled("(").is_none(), "a pattern that does not compile matches nothing");
        assert!(super::pattern_matches("^[0-9]{5}$", "67655"));
        assert!(!super::pattern_matches("^[0-9]{5}$", "6765"));
        // a short pattern whose program would take megabytes is not compiled (nor kept)
        assert!(super::build_pattern("[a-zA-Z0-9äöüß]{0,60000}").is_err());
        assert!(super::compiled("[a-zA-Z0-9äöüß]{0,60000}").is_none());
    }
}
