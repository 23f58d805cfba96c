//! Blanking of comments and literals, and a small tokenizer for scanning paths.

/// One token of stripped source: an identifier (or number), `::`, or any other single character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// An identifier, keyword or number.
    Ident(String),
    /// The path separator `::`.
    PathSep,
    /// Any other non-whitespace character.
    Punct(char),
}

/// A token with the 1-based line it starts on.
#[derive(Debug, Clone)]
pub struct Token {
    /// The token itself.
    pub tok: Tok,
    /// 1-based line number.
    pub line: usize,
}

/// Returns `source` with comments and string, raw-string, byte-string and char literals replaced
/// by spaces. Newlines are kept, so line numbers in the result match the original.
pub fn strip(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let next = chars.get(i + 1).copied();
        let end = match (chars[i], next) {
            ('/', Some('/')) => Some(line_comment_end(&chars, i)),
            ('/', Some('*')) => Some(block_comment_end(&chars, i)),
            ('"', _) => Some(quoted_end(&chars, i)),
            ('\'', _) => char_literal_end(&chars, i),
            _ => raw_string_end(&chars, i),
        };
        if let Some(end) = end {
            out.extend(chars[i..end].iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The plain string literals (`"…"`, not raw or byte strings) of `source` outside comments, with
/// the 1-based line each starts on; escapes are kept as written.
pub fn string_literals(source: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = source.chars().collect();
    let mut found = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let next = chars.get(i + 1).copied();
        let previous_is_ident = i > 0 && is_ident_char(chars[i - 1]);
        let end = match (chars[i], next) {
            ('/', Some('/')) => Some(line_comment_end(&chars, i)),
            ('/', Some('*')) => Some(block_comment_end(&chars, i)),
            ('"', _) => {
                let end = quoted_end(&chars, i);
                // b"…" is a byte string, not text
                if !previous_is_ident {
                    found.push((line, chars[i + 1..end.saturating_sub(1).max(i + 1)].iter().collect()));
                }
                Some(end)
            }
            ('\'', _) => char_literal_end(&chars, i),
            _ => raw_string_end(&chars, i),
        };
        let stop = end.unwrap_or(i + 1);
        line += chars[i..stop].iter().filter(|&&c| c == '\n').count();
        i = stop;
    }
    found
}

/// Splits stripped source into tokens.
pub fn tokens(stripped: &str) -> Vec<Token> {
    let chars: Vec<char> = stripped.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if is_ident_char(c) {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let tok = Tok::Ident(chars[start..i].iter().collect());
            out.push(Token { tok, line });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Token { tok: Tok::PathSep, line });
            i += 2;
        } else {
            out.push(Token { tok: Tok::Punct(c), line });
            i += 1;
        }
    }
    out
}

/// Whether `c` can be part of an identifier or number.
fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// End (exclusive) of a `//` comment starting at `start`; the newline is not included.
fn line_comment_end(chars: &[char], start: usize) -> usize {
    chars[start..].iter().position(|&c| c == '\n').map_or(chars.len(), |n| start + n)
}

/// End (exclusive) of a possibly nested `/* */` comment starting at `start`.
fn block_comment_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// End (exclusive) of a `"..."` literal with backslash escapes starting at `start`.
fn quoted_end(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// End (exclusive) of a char literal at `start`, or `None` when the quote opens a lifetime.
fn char_literal_end(chars: &[char], start: usize) -> Option<usize> {
    if chars.get(start + 1) == Some(&'\\') {
        let from = (start + 3).min(chars.len());
        let close = chars[from..].iter().position(|&c| c == '\'');
        return Some(close.map_or(chars.len(), |n| from + n + 1));
    }
    (chars.get(start + 2) == Some(&'\'')).then_some(start + 3)
}

/// End (exclusive) of a raw string (`r"…"`, `r#"…"#`, `br#"…"#`, `cr"…"`) starting at `start`,
/// or `None` when no raw string starts there (raw identifiers such as `r#type` included).
fn raw_string_end(chars: &[char], start: usize) -> Option<usize> {
    if start > 0 && is_ident_char(chars[start - 1]) {
        return None;
    }
    let r = match chars[start] {
        'r' => start,
        'b' | 'c' if chars.get(start + 1) == Some(&'r') => start + 1,
        _ => return None,
    };
    let hashes = chars[r + 1..].iter().take_while(|&&c| c == '#').count();
    let open = r + 1 + hashes;
    if chars.get(open) != Some(&'"') {
        return None;
    }
    let mut i = open + 1;
    while i < chars.len() {
        let closing = chars.get(i + 1..i + 1 + hashes).is_some_and(|s| s.iter().all(|&c| c == '#'));
        if chars[i] == '"' && closing {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(chars.len())
}
