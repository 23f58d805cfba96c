//! Module paths of files and the crate-absolute module paths a file's source refers to.

use crate::lexer::{Tok, Token, strip, tokens};

/// A reference from a file to a crate-absolute path, e.g. `crate::kit::page::Frame` → `[kit, page, Frame]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Crate-absolute path segments (empty for the crate root itself).
    pub target: Vec<String>,
    /// 1-based line of the referenced name.
    pub line: usize,
}

/// Module path of a file given relative to the crate's `src` folder with `/` separators:
/// `a/b.rs` → `[a, b]`, `a/mod.rs` → `[a]`, `lib.rs` and `main.rs` → `[]`.
pub fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.strip_suffix(".rs").unwrap_or(&file);
    let is_root = parts.is_empty() && (stem == "lib" || stem == "main");
    if stem != "mod" && !is_root {
        parts.push(stem.to_owned());
    }
    parts
}

/// Every `crate::`, `self::` and `super::` path in `source` (a file whose module path is `module`),
/// resolved to a crate-absolute path. Comments and literals are ignored, grouped `use` trees are
/// expanded, and inline `mod name { … }` blocks shift what `self` and `super` mean.
pub fn references(module: &[String], source: &str) -> Vec<Reference> {
    let toks = tokens(&strip(source));
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i].tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                if inline.last().is_some_and(|&(_, d)| d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Punct('{'))) = (tok(&toks, i + 1), tok(&toks, i + 2)) {
                    inline.push((name.clone(), depth + 1));
                }
            }
            Tok::Ident(_) if tok(&toks, i.wrapping_sub(1)) != Some(&Tok::PathSep) => {
                let mut current = module.to_vec();
                current.extend(inline.iter().map(|(name, _)| name.clone()));
                if let Some((base, sep)) = prefix(&toks, i, &current) {
                    let (refs, end) = item(&toks, sep + 1, base);
                    found.extend(refs);
                    i = end.max(i + 1);
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The token kind at `i`, if any.
fn tok(toks: &[Token], i: usize) -> Option<&Tok> {
    toks.get(i).map(|t| &t.tok)
}

/// Whether the token at `i` is the identifier `word`.
fn is_word(toks: &[Token], i: usize, word: &str) -> bool {
    matches!(tok(toks, i), Some(Tok::Ident(w)) if w == word)
}

/// Resolves a path prefix (`crate`, `self`, `super`, `super::super`, …) starting at `i` in the
/// module `current`. Returns the base path and the index of the `::` that follows the prefix, or
/// `None` when no prefixed path starts here (e.g. `pub(crate)`, `&self`, or `super` above the root).
fn prefix(toks: &[Token], i: usize, current: &[String]) -> Option<(Vec<String>, usize)> {
    let mut base = match tok(toks, i) {
        Some(Tok::Ident(w)) if w == "crate" => Vec::new(),
        Some(Tok::Ident(w)) if w == "self" => current.to_vec(),
        Some(Tok::Ident(w)) if w == "super" => parent(current)?,
        _ => return None,
    };
    let mut sep = i + 1;
    while tok(toks, sep) == Some(&Tok::PathSep) && is_word(toks, sep + 1, "super") {
        base = parent(&base)?;
        sep += 2;
    }
    (tok(toks, sep) == Some(&Tok::PathSep)).then_some((base, sep))
}

/// The parent of a module path, or `None` at the crate root.
fn parent(path: &[String]) -> Option<Vec<String>> {
    path.split_last().map(|(_, rest)| rest.to_vec())
}

/// Parses one path item (a name with an optional tail, `self`, `*`, or a `{…}` group) at `pos`
/// relative to `base`. Returns the resolved paths and the index just past the item.
fn item(toks: &[Token], pos: usize, base: Vec<String>) -> (Vec<Reference>, usize) {
    let Some(token) = toks.get(pos) else {
        return (Vec::new(), pos);
    };
    let line = token.line;
    match &token.tok {
        Tok::Ident(w) if w == "self" => (vec![Reference { target: base, line }], pos + 1),
        Tok::Ident(name) => {
            let mut path = base;
            path.push(name.clone());
            let continues = tok(toks, pos + 1) == Some(&Tok::PathSep)
                && matches!(tok(toks, pos + 2), Some(Tok::Ident(_) | Tok::Punct('{' | '*')));
            if continues { item(toks, pos + 2, path) } else { (vec![Reference { target: path, line }], pos + 1) }
        }
        Tok::Punct('*') => (vec![Reference { target: base, line }], pos + 1),
        Tok::Punct('{') => group(toks, pos + 1, &base),
        _ => (Vec::new(), pos),
    }
}

/// Parses the items of a `{…}` group whose first item starts at `pos`; returns the index just
/// past the closing brace. Aliases (`as name`) and anything unexpected are skipped.
fn group(toks: &[Token], mut pos: usize, base: &[String]) -> (Vec<Reference>, usize) {
    let mut found = Vec::new();
    while pos < toks.len() {
        match tok(toks, pos) {
            Some(Tok::Punct('}')) => return (found, pos + 1),
            Some(Tok::Punct(',')) => pos += 1,
            _ => {
                let (refs, end) = item(toks, pos, base.to_vec());
                found.extend(refs);
                pos = skip_to_separator(toks, end.max(pos + 1));
            }
        }
    }
    (found, pos)
}

/// Index of the next `,` or `}` at the current nesting level, starting at `pos`.
fn skip_to_separator(toks: &[Token], mut pos: usize) -> usize {
    let mut depth = 0usize;
    while let Some(t) = tok(toks, pos) {
        match t {
            Tok::Punct(',' | '}') if depth == 0 => return pos,
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        pos += 1;
    }
    pos
}
