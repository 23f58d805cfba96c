//! Names as the duplicate check compares them: normalised (case, umlauts and ß, accents, hyphens
//! and double names), the Jaro–Winkler similarity, and the Kölner Phonetik code used to find
//! candidates without comparing every pair.

/// Lower case, umlauts and ß written out (ä → ae, ß → ss), accents dropped, every other character
/// a separator; the parts of a double name become separate tokens.
pub fn tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in name.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match ch {
            'ä' | 'æ' => "ae",
            'ö' | 'ø' | 'œ' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            'à' | 'á' | 'â' | 'ã' | 'å' | 'ą' => "a",
            'ç' | 'ć' | 'č' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ı' => "i",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' => "o",
            'ù' | 'ú' | 'û' | 'ů' => "u",
            'ý' | 'ÿ' => "y",
            'ł' => "l",
            'ś' | 'š' | 'ş' => "s",
            'ź' | 'ż' | 'ž' => "z",
            'ř' => "r",
            'ğ' => "g",
            c if c.is_ascii_alphanumeric() => {
                cur.push(c);
                continue;
            }
            _ => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
        };
        cur.push_str(mapped);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The normalised name as one string ("Müller-Lüdenscheidt" → "mueller luedenscheidt").
pub fn normalise(name: &str) -> String {
    tokens(name).join(" ")
}

/// Jaro–Winkler similarity in 0..=1 (1: equal).
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut b_used = vec![false; b.len()];
    let mut a_matches = Vec::new();
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        if let Some(j) = (lo..hi).find(|j| !b_used[*j] && b[*j] == *ca) {
            b_used[j] = true;
            a_matches.push(*ca);
        }
    }
    let m = a_matches.len();
    if m == 0 {
        return 0.0;
    }
    let b_matches = b.iter().zip(&b_used).filter(|(_, u)| **u).map(|(c, _)| *c);
    let transpositions = a_matches.iter().zip(b_matches).filter(|(x, y)| **x != *y).count() / 2;
    let m = m as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0;
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

/// Similarity of two names given as tokens: equal token sets are 1; one double name containing the
/// other ("Meyer" in "Meyer-Schulz") counts as 0.95; otherwise the best of the whole strings and of
/// the best-matching tokens.
pub fn name_similarity(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut sa: Vec<&String> = a.iter().collect();
    let mut sb: Vec<&String> = b.iter().collect();
    sa.sort();
    sb.sort();
    if sa == sb {
        return 1.0;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.iter().all(|t| long.contains(t)) {
        return 0.95;
    }
    let whole = jaro_winkler(&a.join(" "), &b.join(" ")).max(jaro_winkler(&a.concat(), &b.concat()));
    // every token of the shorter name against its best partner in the longer one
    let tokenwise = short.iter().map(|t| long.iter().map(|u| jaro_winkler(t, u)).fold(0.0, f64::max)).sum::<f64>() / short.len() as f64;
    let penalty = if short.len() == long.len() { 1.0 } else { 0.97 };
    whole.max(tokenwise * penalty)
}

/// The Kölner Phonetik code of a normalised token (German sounds alike → same code).
pub fn koelner(token: &str) -> String {
    let s: Vec<char> = token.chars().filter(char::is_ascii_alphabetic).collect();
    let mut digits: Vec<char> = Vec::with_capacity(s.len());
    for i in 0..s.len() {
        let c = s[i];
        let prev = if i > 0 { Some(s[i - 1]) } else { None };
        let next = s.get(i + 1).copied();
        let code = match c {
            'a' | 'e' | 'i' | 'j' | 'o' | 'u' | 'y' => '0',
            'h' => '-',
            'b' => '1',
            'p' => {
                if next == Some('h') {
                    '3'
                } else {
                    '1'
                }
            }
            'd' | 't' => {
                if matches!(next, Some('c' | 's' | 'z')) {
                    '8'
                } else {
                    '2'
                }
            }
            'f' | 'v' | 'w' => '3',
            'g' | 'k' | 'q' => '4',
            'c' => {
                let hard_next = matches!(next, Some('a' | 'h' | 'k' | 'o' | 'q' | 'u' | 'x'));
                if i == 0 {
                    if matches!(next, Some('a' | 'h' | 'k' | 'l' | 'o' | 'q' | 'r' | 'u' | 'x')) { '4' } else { '8' }
                } else if matches!(prev, Some('s' | 'z')) {
                    '8'
                } else if hard_next {
                    '4'
                } else {
                    '8'
                }
            }
            'x' => {
                if matches!(prev, Some('c' | 'k' | 'q')) {
                    '8'
                } else {
                    digits.push('4');
                    '8'
                }
            }
            'l' => '5',
            'm' | 'n' => '6',
            'r' => '7',
            's' | 'z' => '8',
            _ => '-',
        };
        digits.push(code);
    }
    let mut out = String::new();
    let mut last = None;
    for (i, d) in digits.into_iter().enumerate() {
        if d == '-' {
            continue;
        }
        if Some(d) != last && (d != '0' || i == 0) {
            out.push(d);
        }
        last = Some(d);
    }
    out
}

/// The phonetic key of a whole name: the codes of its tokens, sorted (so that first and last name
/// in either order, and the parts of a double name in either order, give the same key).
pub fn phonetic_key(first: &[String], last: &[String]) -> String {
    let mut codes: Vec<String> = first.iter().chain(last).map(|t| koelner(t)).filter(|c| !c.is_empty()).collect();
    codes.sort();
    codes.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_sz_accents_and_double_names() {
        assert_eq!(normalise("Müller-Lüdenscheidt"), "mueller luedenscheidt");
        assert_eq!(normalise("  STRAẞE "), "strasse");
        assert_eq!(normalise("Groß"), normalise("Gross"));
        assert_eq!(normalise("Zoë  Łukasz"), "zoe lukasz");
        assert_eq!(tokens("Anna-Lena"), vec!["anna", "lena"]);
    }

    #[test]
    fn jaro_winkler_known_values() {
        assert!((jaro_winkler("martha", "marhta") - 0.961).abs() < 0.001);
        assert!((jaro_winkler("dixon", "dicksonx") - 0.813).abs() < 0.001);
        assert_eq!(jaro_winkler("abc", "abc"), 1.0);
        assert_eq!(jaro_winkler("abc", "xyz"), 0.0);
    }

    #[test]
    fn koelner_phonetik_examples() {
        // the examples of the published description
        assert_eq!(koelner("wikipedia"), "3412");
        assert_eq!(koelner("muellerluedenscheidt"), "65752682");
        assert_eq!(koelner("meyer"), koelner("maier"));
        assert_eq!(koelner("schmidt"), koelner("schmitt"));
    }

    #[test]
    fn double_names_and_order() {
        let t = |s: &str| tokens(s);
        assert_eq!(name_similarity(&t("Meyer-Schulz"), &t("Schulz Meyer")), 1.0);
        assert_eq!(name_similarity(&t("Meyer"), &t("Meyer-Schulz")), 0.95);
        assert!(name_similarity(&t("Schmidt"), &t("Schmitt")) > 0.9);
        assert!(name_similarity(&t("Anna"), &t("Lena")) < 0.8);
        assert_eq!(phonetic_key(&t("Jonas"), &t("Weiß")), phonetic_key(&t("Weiss"), &t("Jonas")));
    }
}
