//! Patterns written by tenant admins run in citizens' browsers, whose regular-expression engines
//! backtrack: a pattern like `(a+)+$` or `(\w|\d)*x` takes exponential time on a short input and
//! freezes the page. Such patterns are refused when a form is saved (the server's own engine is
//! linear-time, so only the browser is at risk).
//!
//! The check is conservative. It refuses
//! - a long repetition that contains another long repetition (`(a+)+`, `(.*a){20}`),
//! - a long repetition of a choice whose branches can begin with the same character (`(a|ab)*`),
//! - a long repetition of a part of varying length whose optional pieces can begin like the part
//!   itself (`(aa?)+`, `(a?){20}`),
//! - three or more long repetitions in a row over overlapping characters (`\w*\w*\w*`: polynomial
//!   of a high degree).
//!
//! These are the shapes behind catastrophic backtracking; plain patterns (postcodes, file numbers,
//! `[A-Z]{2}-\d+`, `(\d{3} ?)+`) pass.

use regex_syntax::ast::{Ast, Repetition, RepetitionKind, RepetitionRange};
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind};

/// Whether `pattern` is free of the shapes that backtrack exponentially.
pub fn pattern_is_safe(pattern: &str) -> bool {
    // the written structure matters (a browser does not simplify `a|a`), so the syntax tree is
    // walked; the characters a branch can begin with come from its compiled form
    match regex_syntax::ast::parse::Parser::new().parse(pattern) {
        Ok(ast) => regex_syntax::Parser::new().parse(pattern).is_ok() && !risky(&ast, pattern),
        Err(_) => false,
    }
}

/// A repetition counts as "long" above this many rounds (`{0,30}` inside `+` is as bad as `*`).
const LONG: u32 = 10;

fn long(r: &Repetition) -> bool {
    match &r.op.kind {
        RepetitionKind::ZeroOrOne => false,
        RepetitionKind::ZeroOrMore | RepetitionKind::OneOrMore | RepetitionKind::Range(RepetitionRange::AtLeast(_)) => {
            true
        }
        RepetitionKind::Range(RepetitionRange::Exactly(n) | RepetitionRange::Bounded(_, n)) => *n > LONG,
    }
}

fn risky(a: &Ast, src: &str) -> bool {
    match a {
        Ast::Repetition(r) => {
            (long(r) && (has_long_repetition(&r.ast) || ambiguous_choice(&r.ast, src) || ambiguous_length(&r.ast, src)))
                || risky(&r.ast, src)
        }
        Ast::Group(g) => risky(&g.ast, src),
        Ast::Concat(c) => overlapping_run(&c.asts, src) || c.asts.iter().any(|a| risky(a, src)),
        Ast::Alternation(x) => x.asts.iter().any(|a| risky(a, src)),
        _ => false,
    }
}

fn has_long_repetition(a: &Ast) -> bool {
    match a {
        Ast::Repetition(r) => long(r) || has_long_repetition(&r.ast),
        Ast::Group(g) => has_long_repetition(&g.ast),
        Ast::Concat(c) => c.asts.iter().any(has_long_repetition),
        Ast::Alternation(x) => x.asts.iter().any(has_long_repetition),
        _ => false,
    }
}

/// A repeated part of varying length whose optional pieces may begin like the part itself: the
/// engine can split the same text into rounds in many ways.
fn ambiguous_length(a: &Ast, src: &str) -> bool {
    let Some(hir) = compiled(a, src) else { return true };
    if !varies(&hir) {
        return false;
    }
    let start = first(&hir);
    let pieces: Vec<&Ast> = match strip_groups(a) {
        Ast::Concat(c) => c.asts.iter().collect(),
        other => vec![other],
    };
    pieces.iter().any(|piece| {
        let Some(h) = compiled(piece, src) else { return true };
        varies(&h) && overlap(start.as_ref(), chars(&h).as_ref())
    })
}

/// Three or more long repetitions in a row whose characters overlap (`\w*\w*\w*`).
fn overlapping_run(items: &[Ast], src: &str) -> bool {
    let mut run: Vec<Option<ClassUnicode>> = Vec::new();
    for item in items {
        match item {
            Ast::Repetition(r) if long(r) => {
                let c = compiled(&r.ast, src).and_then(|h| chars(&h));
                if run.iter().all(|prev| overlap(prev.as_ref(), c.as_ref())) {
                    run.push(c);
                } else {
                    run = vec![c];
                }
                if run.len() >= 3 {
                    return true;
                }
            }
            _ => run.clear(),
        }
    }
    false
}

/// Whether matches of `h` differ in length, counted in characters (the compiled form's own
/// lengths are in bytes, where `\d` already varies).
fn varies(h: &Hir) -> bool {
    fn len(h: &Hir) -> (u64, Option<u64>) {
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) => (0, Some(0)),
            HirKind::Literal(l) => {
                let n = std::str::from_utf8(&l.0).map_or(l.0.len(), |t| t.chars().count()) as u64;
                (n, Some(n))
            }
            HirKind::Class(_) => (1, Some(1)),
            HirKind::Capture(c) => len(&c.sub),
            HirKind::Repetition(r) => {
                let (lo, hi) = len(&r.sub);
                (lo.saturating_mul(u64::from(r.min)), hi.and_then(|h| r.max.map(|m| h.saturating_mul(u64::from(m)))))
            }
            HirKind::Concat(v) => {
                v.iter().map(len).fold((0, Some(0)), |(a, b), (c, d)| (a + c, b.zip(d).map(|(x, y)| x + y)))
            }
            HirKind::Alternation(v) => {
                let all: Vec<_> = v.iter().map(len).collect();
                let lo = all.iter().map(|l| l.0).min().unwrap_or(0);
                let hi = all.iter().map(|l| l.1).try_fold(0u64, |acc, h| h.map(|h| acc.max(h)));
                (lo, hi)
            }
        }
    }
    let (lo, hi) = len(h);
    hi != Some(lo)
}

fn strip_groups(a: &Ast) -> &Ast {
    match a {
        Ast::Group(g) => strip_groups(&g.ast),
        other => other,
    }
}

/// A piece of the pattern compiled on its own (`None` when it does not stand alone).
fn compiled(a: &Ast, src: &str) -> Option<Hir> {
    let span = a.span();
    regex_syntax::Parser::new().parse(src.get(span.start.offset..span.end.offset)?).ok()
}

/// Every character a match of `h` can contain (`None`: unknown).
fn chars(h: &Hir) -> Option<ClassUnicode> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(ClassUnicode::empty()),
        HirKind::Literal(l) => {
            let text = std::str::from_utf8(&l.0).ok()?;
            Some(ClassUnicode::new(text.chars().map(|c| ClassUnicodeRange::new(c, c))))
        }
        HirKind::Class(Class::Unicode(c)) => Some(c.clone()),
        HirKind::Class(Class::Bytes(_)) => None,
        HirKind::Capture(c) => chars(&c.sub),
        HirKind::Repetition(r) => chars(&r.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => {
            v.iter().map(chars).try_fold(ClassUnicode::empty(), |mut acc, c| {
                acc.union(&c?);
                Some(acc)
            })
        }
    }
}

/// A choice (inside the repeated part) whose branches may begin alike.
fn ambiguous_choice(a: &Ast, src: &str) -> bool {
    match a {
        Ast::Alternation(x) => {
            let firsts: Vec<Option<ClassUnicode>> =
                x.asts.iter().map(|b| compiled(b, src).and_then(|h| first(&h))).collect();
            firsts.iter().enumerate().any(|(i, a)| firsts[i + 1..].iter().any(|b| overlap(a.as_ref(), b.as_ref())))
        }
        Ast::Group(g) => ambiguous_choice(&g.ast, src),
        Ast::Concat(c) => c.asts.iter().any(|a| ambiguous_choice(a, src)),
        _ => false,
    }
}

/// The characters a match of `h` can begin with; `None` when unknown (or empty: treated as "any").
fn first(h: &Hir) -> Option<ClassUnicode> {
    match h.kind() {
        HirKind::Literal(l) => {
            let c = std::str::from_utf8(&l.0).ok()?.chars().next()?;
            Some(ClassUnicode::new([ClassUnicodeRange::new(c, c)]))
        }
        HirKind::Class(Class::Unicode(c)) => Some(c.clone()),
        HirKind::Capture(c) => first(&c.sub),
        HirKind::Repetition(r) if r.min > 0 => first(&r.sub),
        HirKind::Concat(v) => {
            v.first().and_then(|h| if h.properties().minimum_len() == Some(0) { None } else { first(h) })
        }
        HirKind::Alternation(v) => v.iter().map(first).try_fold(ClassUnicode::empty(), |mut acc, c| {
            acc.union(&c?);
            Some(acc)
        }),
        _ => None,
    }
}

fn overlap(a: Option<&ClassUnicode>, b: Option<&ClassUnicode>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            let mut both = a.clone();
            both.intersect(b);
            !both.ranges().is_empty()
        }
        _ => true,
    }
}

/// Largest compiled program of a form's pattern (regex-lite's own default is 10 MiB; a pattern of
/// 300 characters such as `[a-zäöüß]{0,60000}` would take several MiB).
#[cfg(not(target_arch = "wasm32"))]
pub const PATTERN_SIZE_LIMIT: usize = 256 * 1024;

/// Compiles a form's pattern within [`PATTERN_SIZE_LIMIT`] (the schema check and the field check
/// compile alike).
#[cfg(not(target_arch = "wasm32"))]
pub fn build_pattern(regex: &str) -> Result<regex_lite::Regex, regex_lite::Error> {
    regex_lite::RegexBuilder::new(regex).size_limit(PATTERN_SIZE_LIMIT).build()
}

#[cfg(test)]
mod tests {
    use super::pattern_is_safe;

    #[test]
    fn exponential_shapes_are_refused_and_plain_patterns_pass() {
        for bad in [
            "(a+)+$",
            "^(a*)*b$",
            "(\\w+\\s?)*$",
            "^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$",
            "(a|a)*b",
            "(\\d|\\d\\d)+x",
            "(ab|a)*c",
            "(.*a){20}",
            "(x{0,30})+y",
            "(a|aa)+$",
            "(.*)*$",
            "([a-z]+)*$",
            "(\\w+)+@",
            "(a?){20}a{20}",
            "(aa?)+$",
            "(\\w\\w?)+$",
            "\\w*\\w*\\w*\\w*$",
        ] {
            assert!(!pattern_is_safe(bad), "{bad}");
        }
        for ok in [
            "^\\d{5}$",
            "^[A-Z]{2}-\\d+$",
            "^(DE)?[0-9]{9}$",
            "^[0-9]{2}\\.[0-9]{2}\\.[0-9]{4}$",
            "^(ab|cd)+$",
            "^[A-Za-zÄÖÜäöüß .'-]+$",
            "^(\\d{3} ?)+$",
            "^KL-[0-9]{4,12}$",
            "^\\d+-\\d+$",
            "^[A-Z]+\\d*$",
            "^\\w+@\\w+\\.[a-z]{2,}$",
        ] {
            assert!(pattern_is_safe(ok), "{ok}");
        }
        assert!(!pattern_is_safe("(unclosed"), "an invalid pattern is not safe");
    }
}
