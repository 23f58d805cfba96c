//! Ties between sibling files that pass through their parent's names: a file with `use super::*`
//! sees everything its parent names, so a parent `mod inbox; use inbox::*;` hands `inbox`'s public
//! items to every sibling, and a sibling that uses one depends on `inbox.rs` without spelling a
//! path to it. These ties are found by name: the parent's `use` of its own children (globs and
//! named leaves, `self::` or relative) and its child modules themselves, matched against the
//! identifiers of each sibling that globs its parent.

use std::collections::{BTreeMap, BTreeSet};

use crate::lexer::{Tok, Token, strip, tokens};
use crate::paths::{Reference, module_path};

/// Item keywords whose next identifier is the item's name.
const ITEM_KEYWORDS: [&str; 9] = ["fn", "struct", "enum", "const", "static", "type", "trait", "mod", "union"];

/// A flattened `use` leaf: the path as written and the name it binds (`None` for a glob).
type Leaf = (Vec<String>, Option<String>);

/// What one file declares at its top level.
#[derive(Default)]
struct Items {
    /// Every top-level item name, any visibility.
    defined: BTreeSet<String>,
    /// Names the file makes visible to its parent: `pub` items and `pub use` leaves.
    public: BTreeSet<String>,
    /// Every top-level `use` leaf.
    uses: Vec<Leaf>,
}

/// Every sibling tie through a parent's names in `files` (path relative to `src`, text): the index
/// of the using file and the crate-absolute path of what it uses (the sibling module followed by
/// the name), at the first line each name is used.
pub fn ties(files: &[(String, String)]) -> Vec<(usize, Reference)> {
    let modules: Vec<Vec<String>> = files.iter().map(|(rel, _)| module_path(rel)).collect();
    let toks: Vec<Vec<Token>> = files.iter().map(|(_, text)| tokens(&strip(text))).collect();
    let items: Vec<Items> = toks.iter().map(|t| top_level(t)).collect();
    let index: BTreeMap<&[String], usize> = modules.iter().enumerate().map(|(i, m)| (m.as_slice(), i)).collect();
    let mut found = Vec::new();
    for (child, module) in modules.iter().enumerate() {
        let Some((own, parent)) = module.split_last() else { continue };
        let globs_parent = items[child].uses.iter().any(|(path, name)| name.is_none() && path == &["super"]);
        let Some(&parent_file) = index.get(parent) else { continue };
        if !globs_parent {
            continue;
        }
        let exposed = exposed_by(parent, &items[parent_file], &modules, &items, &index);
        let t = &toks[child];
        let mut seen = local_names(t);
        for (i, token) in t.iter().enumerate() {
            let Tok::Ident(name) = &token.tok else { continue };
            let Some((sibling, path)) = exposed.get(name.as_str()) else { continue };
            let before = i.checked_sub(1).map(|b| &t[b].tok);
            let after = t.get(i + 1).map(|a| &a.tok);
            let qualified = matches!(before, Some(Tok::Punct('.') | Tok::PathSep));
            let module_name = path.len() == 1;
            if sibling == own
                || qualified
                || (module_name && after != Some(&Tok::PathSep))
                || items[child].defined.contains(name)
                || !seen.insert(name.clone())
            {
                continue;
            }
            let mut target = parent.to_vec();
            target.extend(path.iter().cloned());
            found.push((child, Reference { target, line: token.line }));
        }
    }
    found
}

/// Names a file binds itself, which shadow or merely share a sibling's name: parameters and
/// fields (`name:`), `let`/`mut`/`ref` bindings and the variants of its enums (`{`, `,` or `]`
/// before a name inside an `enum`'s braces). Missing a tie through such a name is the price of
/// matching by name without resolving scopes.
fn local_names(toks: &[Token]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut enum_depth: Option<usize> = None;
    let mut pending_enum = false;
    let mut depth = 0usize;
    for (i, token) in toks.iter().enumerate() {
        let before = i.checked_sub(1).map(|b| &toks[b].tok);
        match &token.tok {
            Tok::Punct('{') => {
                depth += 1;
                if pending_enum && enum_depth.is_none() {
                    enum_depth = Some(depth);
                }
                pending_enum = false;
            }
            Tok::Punct('}') => {
                if enum_depth == Some(depth) {
                    enum_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Punct(';') => pending_enum = false,
            Tok::Ident(name) => {
                pending_enum |= name == "enum";
                let field = toks.get(i + 1).map(|a| &a.tok) == Some(&Tok::Punct(':'));
                let bound = matches!(before, Some(Tok::Ident(w)) if w == "let" || w == "mut" || w == "ref");
                let variant = enum_depth == Some(depth) && matches!(before, Some(Tok::Punct('{' | ',' | ']')));
                if field || bound || variant {
                    names.insert(name.clone());
                }
            }
            _ => {}
        }
    }
    names
}

/// The names a parent hands its children that live in one of its child files: name → (child
/// module name, path below the parent). Its child modules are names too (path of one segment).
fn exposed_by(
    parent: &[String],
    own: &Items,
    modules: &[Vec<String>],
    items: &[Items],
    index: &BTreeMap<&[String], usize>,
) -> BTreeMap<String, (String, Vec<String>)> {
    let children: BTreeSet<&str> = modules
        .iter()
        .filter(|m| m.len() == parent.len() + 1 && m.starts_with(parent))
        .filter_map(|m| m.last().map(String::as_str))
        .collect();
    let mut exposed = BTreeMap::new();
    for child in &children {
        exposed.insert((*child).to_owned(), ((*child).to_owned(), vec![(*child).to_owned()]));
    }
    for (path, name) in &own.uses {
        let relative: &[String] = match path.first().map(String::as_str) {
            Some("self") => &path[1..],
            Some("crate") if path[1..].starts_with(parent) => &path[1 + parent.len()..],
            _ => path,
        };
        let Some(child) = relative.first().filter(|c| children.contains(c.as_str())) else { continue };
        match name {
            Some(name) if name == "_" => {}
            Some(name) => {
                exposed.insert(name.clone(), (child.clone(), relative.to_vec()));
            }
            None if relative.len() == 1 => {
                let mut module = parent.to_vec();
                module.push(child.clone());
                let Some(&file) = index.get(module.as_slice()) else { continue };
                for public in &items[file].public {
                    exposed.insert(public.clone(), (child.clone(), vec![child.clone(), public.clone()]));
                }
            }
            None => {}
        }
    }
    exposed
}

/// The top-level items and `use` leaves of a file's tokens (brace depth 0).
fn top_level(toks: &[Token]) -> Items {
    let mut items = Items::default();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i].tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    start = i + 1;
                }
            }
            Tok::Punct(';') if depth == 0 => start = i + 1,
            Tok::Ident(word) if depth == 0 => {
                let public = toks[start..i].iter().any(|t| t.tok == Tok::Ident("pub".to_owned()));
                if word == "use" {
                    let mut leaves = Vec::new();
                    i = use_tree(toks, i + 1, Vec::new(), &mut leaves);
                    if public {
                        items.public.extend(leaves.iter().filter_map(|(_, name)| name.clone()));
                    }
                    items.uses.extend(leaves);
                    continue;
                }
                if ITEM_KEYWORDS.contains(&word.as_str())
                    && let Some(Tok::Ident(name)) = toks.get(i + 1).map(|t| &t.tok)
                    && !ITEM_KEYWORDS.contains(&name.as_str())
                    && name != "unsafe"
                {
                    items.defined.insert(name.clone());
                    if public {
                        items.public.insert(name.clone());
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    items
}

/// Flattens the use tree starting at `pos` below `prefix` into `out`; returns the index just past
/// it (a `,`, `}` or `;` is left for the caller).
fn use_tree(toks: &[Token], mut pos: usize, mut prefix: Vec<String>, out: &mut Vec<Leaf>) -> usize {
    if toks.get(pos).map(|t| &t.tok) == Some(&Tok::PathSep) {
        pos += 1;
    }
    loop {
        match toks.get(pos).map(|t| &t.tok) {
            Some(Tok::Punct('*')) => {
                out.push((prefix, None));
                return pos + 1;
            }
            Some(Tok::Punct('{')) => {
                pos += 1;
                loop {
                    match toks.get(pos).map(|t| &t.tok) {
                        Some(Tok::Punct('}')) => return pos + 1,
                        Some(Tok::Punct(',')) => pos += 1,
                        None | Some(Tok::Punct(';')) => return pos,
                        _ => pos = use_tree(toks, pos, prefix.clone(), out),
                    }
                }
            }
            Some(Tok::Ident(name)) => {
                if toks.get(pos + 1).map(|t| &t.tok) == Some(&Tok::PathSep) {
                    prefix.push(name.clone());
                    pos += 2;
                    continue;
                }
                let bound = if name == "self" { prefix.last().cloned() } else { Some(name.clone()) };
                if name != "self" {
                    prefix.push(name.clone());
                }
                pos += 1;
                let alias = match (toks.get(pos).map(|t| &t.tok), toks.get(pos + 1).map(|t| &t.tok)) {
                    (Some(Tok::Ident(w)), Some(Tok::Ident(alias))) if w == "as" => {
                        pos += 2;
                        Some(alias.clone())
                    }
                    _ => bound,
                };
                out.push((prefix, alias));
                return pos;
            }
            _ => return pos,
        }
    }
}
