//! The same child applied twice: by both parents, or entered once more by a Träger from a paper
//! form. Pairs are found within blocks (same birth date; or same phonetic name and birth year), so
//! that ten thousand applications do not mean fifty million comparisons, and scored from the
//! names (normalised, either order, double names), the birth date (a swapped day and month or one
//! wrong digit still counts) and the address.

use crate::names;
use std::collections::HashMap;

/// What the check compares of a child.
#[derive(Debug, Clone)]
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: time::Date,
    /// Street, number, postcode and town as entered.
    pub address: String,
}

/// A person prepared for comparison.
#[derive(Debug, Clone)]
pub struct Prepared {
    first: Vec<String>,
    last: Vec<String>,
    birth: time::Date,
    address: String,
    phonetic: String,
}

impl Prepared {
    pub fn new(p: &Person) -> Self {
        let first = names::tokens(&p.first_name);
        let last = names::tokens(&p.last_name);
        let phonetic = names::phonetic_key(&first, &last);
        Self { first, last, birth: p.birth_date, address: address_key(&p.address), phonetic }
    }
}

/// The address as compared: normalised, "straße"/"str." written the same way.
pub fn address_key(address: &str) -> String {
    names::tokens(address)
        .into_iter()
        .map(|t| {
            if t == "str" || t == "strasse" {
                "str".to_owned()
            } else {
                t.strip_suffix("strasse").map_or(t.clone(), |s| format!("{s}str"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a pair was found, shown to the youth office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    SameName,
    SimilarName,
    SwappedNames,
    SameBirthDate,
    SimilarBirthDate,
    SameAddress,
    OtherAddress,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::SameName => "same_name",
            Reason::SimilarName => "similar_name",
            Reason::SwappedNames => "swapped_names",
            Reason::SameBirthDate => "same_birth_date",
            Reason::SimilarBirthDate => "similar_birth_date",
            Reason::SameAddress => "same_address",
            Reason::OtherAddress => "other_address",
        }
    }

    pub const ALL: [Reason; 7] = [
        Reason::SameName,
        Reason::SimilarName,
        Reason::SwappedNames,
        Reason::SameBirthDate,
        Reason::SimilarBirthDate,
        Reason::SameAddress,
        Reason::OtherAddress,
    ];
}

/// The score of a pair (0..=1) and its reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// A candidate is shown from this score on.
pub const CANDIDATE: f64 = 0.80;
/// From this score on the pair is the same child without doubt (names, birth date and address
/// equal after normalisation).
pub const SURE: f64 = 0.995;

/// How alike two birth dates are: 1 equal, 0.85 day and month swapped or one digit wrong, else 0.
fn birth_similarity(a: time::Date, b: time::Date) -> f64 {
    if a == b {
        return 1.0;
    }
    let digits = |d: time::Date| format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day());
    let (x, y) = (digits(a), digits(b));
    let differing = x.chars().zip(y.chars()).filter(|(p, q)| p != q).count();
    let swapped = a.year() == b.year() && u8::from(a.month()) == b.day() && a.day() == u8::from(b.month());
    if differing == 1 || swapped { 0.85 } else { 0.0 }
}

/// Compares two prepared persons; `None` when they are clearly different children.
pub fn compare(a: &Prepared, b: &Prepared) -> Option<Match> {
    let birth = birth_similarity(a.birth, b.birth);
    if birth == 0.0 {
        return None;
    }
    let straight = (names::name_similarity(&a.first, &b.first), names::name_similarity(&a.last, &b.last));
    let swapped = (names::name_similarity(&a.first, &b.last), names::name_similarity(&a.last, &b.first));
    let score_of = |(f, l): (f64, f64)| f.min(l) * 0.6 + (f + l) / 2.0 * 0.4;
    let (first, last, was_swapped) = if score_of(swapped) > score_of(straight) + 0.01 {
        (swapped.0, swapped.1, true)
    } else {
        (straight.0, straight.1, false)
    };
    // twins share last name, birth date and address: the first name has to agree too
    if first < 0.85 || last < 0.80 {
        return None;
    }
    // swapped names are likely the same child, but never sure enough to merge without a look
    let name = score_of((first, last)) * if was_swapped { 0.97 } else { 1.0 };
    let address =
        if a.address.is_empty() || b.address.is_empty() { 0.5 } else { names::jaro_winkler(&a.address, &b.address) };
    let score = name * 0.6 + birth * 0.3 + address * 0.1;
    let mut reasons = Vec::new();
    reasons.push(if was_swapped {
        Reason::SwappedNames
    } else if first == 1.0 && last == 1.0 {
        Reason::SameName
    } else {
        Reason::SimilarName
    });
    reasons.push(if birth == 1.0 { Reason::SameBirthDate } else { Reason::SimilarBirthDate });
    reasons.push(if address >= 0.95 { Reason::SameAddress } else { Reason::OtherAddress });
    (score >= CANDIDATE).then_some(Match { score, reasons })
}

/// Candidate pairs (indices into `people`, the smaller first) with their match, best first.
pub fn candidates(people: &[Person]) -> Vec<(usize, usize, Match)> {
    let prepared: Vec<Prepared> = people.iter().map(Prepared::new).collect();
    let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in prepared.iter().enumerate() {
        blocks.entry(format!("d{}", p.birth)).or_default().push(i);
        blocks.entry(format!("p{}|{}", p.birth.year(), p.phonetic)).or_default().push(i);
        // a swapped day and month: the date read the other way round
        if let Ok(m) = time::Month::try_from(p.birth.day())
            && let Ok(d) = time::Date::from_calendar_date(p.birth.year(), m, u8::from(p.birth.month()))
            && d != p.birth
        {
            blocks.entry(format!("d{d}")).or_default().push(i);
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for members in blocks.values() {
        for (k, &i) in members.iter().enumerate() {
            for &j in &members[k + 1..] {
                let (x, y) = (i.min(j), i.max(j));
                if x == y || !seen.insert((x, y)) {
                    continue;
                }
                if let Some(m) = compare(&prepared[x], &prepared[y]) {
                    out.push((x, y, m));
                }
            }
        }
    }
    out.sort_by(|a, b| b.2.score.total_cmp(&a.2.score).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{Rng, near_duplicate, random_child};

    fn person(first: &str, last: &str, birth: time::Date, address: &str) -> Person {
        Person { first_name: first.into(), last_name: last.into(), birth_date: birth, address: address.into() }
    }

    #[test]
    fn spellings_order_and_twins() {
        let d = time::macros::date!(2024 - 03 - 17);
        let a = Prepared::new(&person("Jürgen", "Weiß", d, "Hauptstraße 5, 67655 Kaiserslautern"));
        let same = compare(&a, &Prepared::new(&person("Juergen", "Weiss", d, "Hauptstr. 5, 67655 Kaiserslautern")))
            .expect("same child");
        assert!(same.score >= SURE, "{same:?}");
        let swapped = compare(&a, &Prepared::new(&person("Weiß", "Jürgen", d, "Hauptstraße 5, 67655 Kaiserslautern")))
            .expect("swapped");
        assert!(swapped.reasons.contains(&Reason::SwappedNames) && swapped.score < SURE);
        let early = Prepared::new(&person("Jürgen", "Weiß", time::macros::date!(2024 - 03 - 07), "Hauptstraße 5"));
        let swapped_date = compare(
            &early,
            &Prepared::new(&person("Jürgen", "Weiß", time::macros::date!(2024 - 07 - 03), "Hauptstraße 5")),
        )
        .expect("day and month swapped");
        assert!(swapped_date.reasons.contains(&Reason::SimilarBirthDate) && swapped_date.score < SURE);
        let twin = compare(&a, &Prepared::new(&person("Jonas", "Weiß", d, "Hauptstraße 5, 67655 Kaiserslautern")));
        assert!(twin.is_none(), "{twin:?}");
        let other_day = compare(&a, &Prepared::new(&person("Jürgen", "Weiß", time::macros::date!(2023 - 08 - 01), "")));
        assert!(other_day.is_none());
    }

    /// Children of families from Turkey, Vietnam, Serbia, Poland, Syria and Germany: the same
    /// child written with and without the letters of the name is a pair, siblings born the same
    /// day (twins) are not.
    #[test]
    fn the_same_child_is_found_in_any_spelling_and_twins_are_told_apart() {
        let d = time::macros::date!(2023 - 05 - 09);
        let addr = "Hauptstraße 5, 67655 Kaiserslautern";
        let pair = |a: (&str, &str), b: (&str, &str)| {
            compare(&Prepared::new(&person(a.0, a.1, d, addr)), &Prepared::new(&person(b.0, b.1, d, addr)))
        };
        let same = [
            (("İlhan", "Yılmaz"), ("Ilhan", "Yilmaz")),
            (("Çağlar", "Öztürk"), ("Caglar", "Oeztuerk")),
            (("Nguyễn", "Thị Mai"), ("Nguyen", "Thi Mai")),
            (("Mai", "Nguyễn"), ("Mai", "Nguyen")),
            (("Đorđe", "Đorđević"), ("Djordje", "Djordjevic")),
            (("Łukasz", "Wojciechowski"), ("Lukasz", "Wojciechowski")),
            (("محمد", "العلي"), ("مُحَمَّد", "العلي")),
            (("Sophie", "Müller"), ("Sofie", "Mueller")),
            (("Sophie", "Müller"), ("Sophie", "Muller")),
            (("Johann", "Strauß"), ("Johann", "Strauss")),
        ];
        for (a, b) in same {
            let m = pair(a, b).unwrap_or_else(|| panic!("{a:?} and {b:?} are one child"));
            assert!(m.score >= CANDIDATE, "{a:?} {b:?}: {m:?}");
        }
        let twins = [
            (("An", "Nguyễn"), ("Bao", "Nguyễn")),
            (("Nguyễn An", "Trần"), ("Nguyễn Bao", "Trần")),
            (("İlhan", "Yılmaz"), ("Ilknur", "Yilmaz")),
            (("محمد", "العلي"), ("يوسف", "العلي")),
            (("Łukasz", "Wojciechowski"), ("Tomasz", "Wojciechowski")),
            (("Đorđe", "Đorđević"), ("Milica", "Đorđević")),
        ];
        for (a, b) in twins {
            assert_eq!(pair(a, b), None, "{a:?} and {b:?} are two children");
        }
        // the block of a name in another script is the name itself, so the pair is found
        // without comparing every child born that year
        let people = [
            person("محمد", "العلي", d, addr),
            person("Anna", "Schmidt", time::macros::date!(2023 - 01 - 02), ""),
            person("مُحَمَّد", "العلي", d, ""),
        ];
        let found = candidates(&people);
        assert_eq!(found.iter().map(|(a, b, _)| (*a, *b)).collect::<Vec<_>>(), vec![(0, 2)]);
    }

    /// Precision and recall on generated near-duplicates (typos, swapped names, umlaut spellings,
    /// moved addresses, double names shortened, a wrong digit in the birth date), with twins and
    /// children born the same day as hard negatives. The figures are printed for the notes.
    #[test]
    fn precision_and_recall_on_generated_near_duplicates() {
        let mut rng = Rng::new(20261130);
        let originals: Vec<Person> = (0..3000).map(|_| random_child(&mut rng, 2027)).collect();
        let mut people = originals.clone();
        let mut truth = std::collections::HashSet::new();
        for i in 0..600 {
            let (dup, _) = near_duplicate(&mut rng, &originals[i * 5]);
            truth.insert((i * 5, people.len()));
            people.push(dup);
        }
        // twins: same family, same day, another first name
        for i in 0..200 {
            let mut twin = originals[i * 7 + 1].clone();
            twin.first_name = crate::generate::FIRST_NAMES[(i * 13) % crate::generate::FIRST_NAMES.len()].into();
            if names::name_similarity(
                &names::tokens(&twin.first_name),
                &names::tokens(&originals[i * 7 + 1].first_name),
            ) < 0.85
            {
                people.push(twin);
            }
        }
        let found = candidates(&people);
        let hits = found.iter().filter(|(a, b, _)| truth.contains(&(*a, *b))).count();
        let precision = hits as f64 / found.len().max(1) as f64;
        let recall = hits as f64 / truth.len() as f64;
        let sure_wrong = found.iter().filter(|(a, b, m)| m.score >= SURE && !truth.contains(&(*a, *b))).count();
        println!(
            "duplicates: {} people, {} true pairs, {} candidates, precision {precision:.3}, recall {recall:.3}, wrong above the sure threshold {sure_wrong}",
            people.len(),
            truth.len(),
            found.len()
        );
        assert!(precision >= 0.95, "precision {precision}");
        assert!(recall >= 0.95, "recall {recall}");
        assert_eq!(sure_wrong, 0);
    }
}
