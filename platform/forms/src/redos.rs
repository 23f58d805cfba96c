//! Patterns written by tenant admins run in citizens' browsers, whose regular-expression engines
//! backtrack: a pattern like `(a+)+$` or `(\w|\d)*x` takes exponential time on a short input and
//! freezes the page. Such patterns are refused when a form is saved (the server's own engine is
//! linear-time, so only the browser is at risk).
//!
//! The check is conservative: it refuses a repetition that contains another unbounded (or long)
//! repetition, and a repetition of a choice whose branches can begin with the same character. Both
//! are the shapes behind catastrophic backtracking; plain patterns (postcodes, file numbers,
//! `[A-Z]{2}-\d+`) pass.

/// Whether `pattern` is free of the shapes that backtrack exponentially (`true` on the browser's
/// side, where schemas arrive checked).
#[cfg(not(target_arch = "wasm32"))]
pub fn pattern_is_safe(pattern: &str) -> bool {
    // the written structure matters (a browser does not simplify `a|a`), so the syntax tree is
    // walked; the characters a branch can begin with come from its compiled form
    match regex_syntax::ast::parse::Parser::new().parse(pattern) {
        Ok(ast) => regex_syntax::Parser::new().parse(pattern).is_ok() && !risky(&ast, pattern),
        Err(_) => false,
    }
}

#[cfg(target_arch = "wasm32")]
pub fn pattern_is_safe(_pattern: &str) -> bool {
    true
}

#[cfg(not(target_arch = "wasm32"))]
use regex_syntax::ast::{Ast, Repetition, RepetitionKind, RepetitionRange};
#[cfg(not(target_arch = "wasm32"))]
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind};

/// A repetition counts as "long" above this many rounds (`{0,30}` inside `+` is as bad as `*`).
#[cfg(not(target_arch = "wasm32"))]
const LONG: u32 = 10;

#[cfg(not(target_arch = "wasm32"))]
fn long(r: &Repetition) -> bool {
    match &r.op.kind {
        RepetitionKind::ZeroOrOne => false,
        RepetitionKind::ZeroOrMore | RepetitionKind::OneOrMore | RepetitionKind::Range(RepetitionRange::AtLeast(_)) => true,
        RepetitionKind::Range(RepetitionRange::Exactly(n) | RepetitionRange::Bounded(_, n)) => *n > LONG,
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn risky(a: &Ast, src: &str) -> bool {
    match a {
        Ast::Repetition(r) => (long(r) && (has_long_repetition(&r.ast) || ambiguous_choice(&r.ast, src))) || risky(&r.ast, src),
        Ast::Group(g) => risky(&g.ast, src),
        Ast::Concat(c) => c.asts.iter().any(|a| risky(a, src)),
        Ast::Alternation(x) => x.asts.iter().any(|a| risky(a, src)),
        _ => false,
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn has_long_repetition(a: &Ast) -> bool {
    match a {
        Ast::Repetition(r) => long(r) || has_long_repetition(&r.ast),
        Ast::Group(g) => has_long_repetition(&g.ast),
        Ast::Concat(c) => c.asts.iter().any(has_long_repetition),
        Ast::Alternation(x) => x.asts.iter().any(has_long_repetition),
        _ => false,
    }
}

/// A choice (inside the repeated part) whose branches may begin alike.
#[cfg(not(target_arch = "wasm32"))]
fn ambiguous_choice(a: &Ast, src: &str) -> bool {
    match a {
        Ast::Alternation(x) => {
            let firsts: Vec<Option<ClassUnicode>> = x.asts.iter().map(|b| branch_first(b, src)).collect();
            firsts.iter().enumerate().any(|(i, a)| firsts[i + 1..].iter().any(|b| overlap(a.as_ref(), b.as_ref())))
        }
        Ast::Group(g) => ambiguous_choice(&g.ast, src),
        Ast::Concat(c) => c.asts.iter().any(|a| ambiguous_choice(a, src)),
        _ => false,
    }
}

/// The characters a branch can begin with, from its own text compiled alone (`None`: unknown).
#[cfg(not(target_arch = "wasm32"))]
fn branch_first(a: &Ast, src: &str) -> Option<ClassUnicode> {
    let span = a.span();
    let text = src.get(span.start.offset..span.end.offset)?;
    first(&regex_syntax::Parser::new().parse(text).ok()?)
}

/// The characters a match of `h` can begin with; `None` when unknown (or empty: treated as "any").
#[cfg(not(target_arch = "wasm32"))]
fn first(h: &Hir) -> Option<ClassUnicode> {
    match h.kind() {
        HirKind::Literal(l) => {
            let c = std::str::from_utf8(&l.0).ok()?.chars().next()?;
            Some(ClassUnicode::new([ClassUnicodeRange::new(c, c)]))
        }
        HirKind::Class(Class::Unicode(c)) => Some(c.clone()),
        HirKind::Capture(c) => first(&c.sub),
        HirKind::Repetition(r) if r.min > 0 => first(&r.sub),
        HirKind::Concat(v) => v.first().and_then(|h| if h.properties().minimum_len() == Some(0) { None } else { first(h) }),
        HirKind::Alternation(v) => v.iter().map(first).try_fold(ClassUnicode::empty(), |mut acc, c| {
            acc.union(&c?);
            Some(acc)
        }),
        _ => None,
    }
}

#[cfg(not(target_arch = "wasm32"))]
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

#[cfg(all(test, not(target_arch = "wasm32")))]
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
        ] {
            assert!(pattern_is_safe(ok), "{ok}");
        }
        assert!(!pattern_is_safe("(unclosed"), "an invalid pattern is not safe");
    }
}
