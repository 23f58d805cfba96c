//! Rule 7: a posted form reaches a handler only through the kit's CSRF-checking extractor
//! (`kit/checked.rs`). Outside the kit, no handler (a function or closure taking the state) takes a
//! body by another extractor, no function at all takes a type that is nothing but a body extractor
//! (`Form`, `Bytes`, `Multipart` …) or renames one, and no type but the kit's is a body extractor.
//! Rule 8: path parameters come through the kit's `Params` (parsed by type, malformed → 404), not
//! axum's `Path`.

use crate::lexer::{Tok, Token, strip, tokens};

/// Extractors that read a request's body without checking its CSRF token.
const UNCHECKED_BODIES: [&str; 12] = [
    "Bytes",
    "Body",
    "Form",
    "Fields",
    "GatedPost",
    "Json",
    "Multipart",
    "Posted",
    "RawForm",
    "Request",
    "String",
    "WithRejection",
];

/// Of those, the types that are nothing but extractors: refused in any function's parameters (by
/// value) and under another name, handler or not.
const BODY_EXTRACTORS: [&str; 8] =
    ["Bytes", "Body", "Form", "Json", "Multipart", "RawForm", "Request", "WithRejection"];

/// Handlers allowed to read a body themselves, with the reason.
pub const UNCHECKED_ALLOWED: [(&str, &str, &str); 4] = [
    (
        "payments/webhooks.rs",
        "stripe",
        "Stripe's webhook: its signature over the raw body, not a session, proves the sender",
    ),
    ("router.rs", "dispatch", "the host dispatcher hands the whole request, unread, to the site's router"),
    ("router.rs", "route", "the dispatcher's step that runs the site's router on the request, unread"),
    (
        "catalogue/office.rs",
        "server_fn",
        "leptos server functions: the token is an argument of each call, checked by the function",
    ),
];

/// The file that defines the body extractors.
const EXTRACTOR_FILE: &str = "kit/checked.rs";

/// Every handler parameter outside `kit/` that reads a body unchecked, and every body extractor
/// (`impl FromRequest`) outside [`EXTRACTOR_FILE`], as `path:line: …`.
pub fn unchecked_bodies(display_root: &str, files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (rel, text) in files {
        let toks = tokens(&strip(text));
        if rel != EXTRACTOR_FILE {
            for i in 0..toks.len() {
                if ident(&toks, i) == Some("impl")
                    && let Some(line) = body_extractor_impl(&toks, i)
                {
                    found.push(format!(
                        "{display_root}{rel}:{line}: implements FromRequest (only {EXTRACTOR_FILE} may)"
                    ));
                }
            }
        }
        if rel.starts_with("kit/") {
            continue;
        }
        for (name, params) in handlers(&toks) {
            if UNCHECKED_ALLOWED.iter().any(|(file, handler, _)| *file == rel && *handler == name) {
                continue;
            }
            for param in split_params(params) {
                if let Some((ty, line)) = outer_type(param).filter(|(ty, _)| UNCHECKED_BODIES.contains(&ty.as_str())) {
                    found.push(format!("{display_root}{rel}:{line}: handler `{name}` takes `{ty}` (a body without the CSRF-checking extractor)"));
                }
            }
        }
        for (name, params) in functions(&toks) {
            if UNCHECKED_ALLOWED.iter().any(|(file, handler, _)| *file == rel && *handler == name) {
                continue;
            }
            for param in split_params(params) {
                let by_value = param
                    .iter()
                    .position(|t| t.tok == Tok::Punct(':'))
                    .and_then(|c| param.get(c + 1))
                    .is_some_and(|t| t.tok != Tok::Punct('&'));
                if let Some((ty, line)) =
                    outer_type(param).filter(|(ty, _)| by_value && BODY_EXTRACTORS.contains(&ty.as_str()))
                {
                    let seen =
                        found.iter().any(|f| f.starts_with(&format!("{display_root}{rel}:{line}: handler `{name}`")));
                    if !seen {
                        found.push(format!("{display_root}{rel}:{line}: `{name}` takes `{ty}` (a body without the CSRF-checking extractor)"));
                    }
                }
            }
        }
        for i in 0..toks.len() {
            if let Some(ty) = ident(&toks, i).filter(|w| BODY_EXTRACTORS.contains(w))
                && ident(&toks, i + 1) == Some("as")
            {
                found.push(format!(
                    "{display_root}{rel}:{}: `{ty}` renamed (the rule reads extractors by name)",
                    toks[i].line
                ));
            }
        }
    }
    found
}

/// Every handler parameter outside `kit/` taken by axum's `Path` instead of the kit's `Params`.
pub fn unparsed_paths(display_root: &str, files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (rel, text) in files.iter().filter(|(rel, _)| !rel.starts_with("kit/")) {
        let toks = tokens(&strip(text));
        for (name, params) in handlers(&toks) {
            for param in split_params(params) {
                if let Some((_, line)) = outer_type(param).filter(|(ty, _)| ty == "Path") {
                    found.push(format!("{display_root}{rel}:{line}: handler `{name}` takes `Path` (use the kit's `Params`: parsed by type, malformed → 404)"));
                }
            }
        }
    }
    found
}

fn ident(toks: &[Token], i: usize) -> Option<&str> {
    match toks.get(i).map(|t| &t.tok) {
        Some(Tok::Ident(w)) => Some(w),
        _ => None,
    }
}

fn punct(toks: &[Token], i: usize, c: char) -> bool {
    toks.get(i).is_some_and(|t| t.tok == Tok::Punct(c))
}

/// `impl … FromRequest<…> for …` starting at `i` (not `FromRequestParts`): its line.
fn body_extractor_impl(toks: &[Token], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < toks.len() && !punct(toks, j, '{') && !punct(toks, j, ';') {
        if ident(toks, j) == Some("FromRequest") && punct(toks, j + 1, '<') {
            return Some(toks[j].line);
        }
        j += 1;
    }
    None
}

/// The functions of a file: `(name, parameter tokens)` of every `fn` and closure (`|…|` after
/// `move`, `(` or `,`; named `closure`).
fn functions(toks: &[Token]) -> Vec<(String, &[Token])> {
    let mut found = Vec::new();
    for i in 0..toks.len() {
        let (name, open, close) = if ident(toks, i) == Some("fn") {
            let Some(name) = ident(toks, i + 1) else { continue };
            // generics before the parameters
            let Some(open) = (i + 2..toks.len()).find(|&j| punct(toks, j, '(')) else { continue };
            let Some(close) = matching(toks, open, '(', ')') else { continue };
            (name.to_owned(), open, close)
        } else if punct(toks, i, '|')
            && i > 0
            && (ident(toks, i - 1) == Some("move") || punct(toks, i - 1, '(') || punct(toks, i - 1, ','))
            && !punct(toks, i + 1, '|')
        {
            let Some(close) = (i + 1..toks.len()).find(|&j| punct(toks, j, '|')) else { continue };
            ("closure".to_owned(), i, close)
        } else {
            continue;
        };
        found.push((name, &toks[open + 1..close]));
    }
    found
}

/// The handlers of a file: the functions and closures whose parameters take the state
/// (`State(…)` or `State<…>`).
fn handlers(toks: &[Token]) -> Vec<(String, &[Token])> {
    functions(toks)
        .into_iter()
        .filter(|(_, params)| {
            params
                .windows(2)
                .any(|w| w[0].tok == Tok::Ident("State".into()) && matches!(w[1].tok, Tok::Punct('(' | '<')))
        })
        .collect()
}

/// Index of the bracket closing the one at `open`.
fn matching(toks: &[Token], open: usize, o: char, c: char) -> Option<usize> {
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        if t.tok == Tok::Punct(o) {
            depth += 1;
        } else if t.tok == Tok::Punct(c) {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

/// Splits parameter tokens at the commas outside brackets.
fn split_params(params: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (j, t) in params.iter().enumerate() {
        match t.tok {
            Tok::Punct('(' | '<' | '[') => depth += 1,
            Tok::Punct(')' | '>' | ']') => depth -= 1,
            Tok::Punct(',') if depth == 0 => {
                out.push(&params[start..j]);
                start = j + 1;
            }
            _ => {}
        }
    }
    if start < params.len() {
        out.push(&params[start..]);
    }
    out
}

/// The outermost type name of a parameter (`pattern: a::b::Type<…>` → `Type`), looking inside a
/// `Result<…>` or `Option<…>`; with its line.
fn outer_type(param: &[Token]) -> Option<(String, usize)> {
    let mut depth = 0i32;
    let colon = param.iter().position(|t| {
        match t.tok {
            Tok::Punct('(' | '<' | '[') => depth += 1,
            Tok::Punct(')' | '>' | ']') => depth -= 1,
            _ => {}
        }
        depth == 0 && t.tok == Tok::Punct(':')
    })?;
    let mut ty = &param[colon + 1..];
    loop {
        let lt = ty.iter().position(|t| matches!(t.tok, Tok::Punct('<' | ',' | '>'))).unwrap_or(ty.len());
        let name = ty[..lt]
            .iter()
            .rev()
            .find_map(|t| if let Tok::Ident(w) = &t.tok { Some((w.clone(), t.line)) } else { None })?;
        if (name.0 == "Result" || name.0 == "Option") && punct(ty, lt, '<') {
            ty = &ty[lt + 1..];
            continue;
        }
        return Some(name);
    }
}
