//! A bound on the nesting of uploaded XML, checked before any parser sees it.
//!
//! roxmltree (FIM schemas, SVG logos) descends one stack frame per nested element, with no limit:
//! a few hundred levels overflow a worker thread's stack, and a stack overflow aborts the whole
//! process, for every tenant. [`check_nesting`] walks the text once, in a loop (no recursion,
//! linear time, no allocation), counting the depth of elements and their number; a document
//! beyond the limits is refused before the parser starts.
//!
//! The walk follows XML's own tokens: comments, CDATA sections, processing instructions and
//! declarations (`<!DOCTYPE …>`) are skipped whole, and a `>` inside a quoted attribute value does
//! not end a tag. For every well-formed prefix of a document it counts exactly the depth the
//! parser will reach; what is not well-formed the parser refuses afterwards anyway.

/// How deep and how many elements a document may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// The deepest nesting of elements (the root element is level 1).
    pub max_depth: usize,
    /// The most elements in the document.
    pub max_elements: usize,
}

/// Why a document is refused before parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum XmlBoundError {
    #[error("the XML document is nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("the XML document has more than {0} elements")]
    TooManyElements(usize),
}

/// Checks that `text` nests no deeper and has no more elements than `limits` allow.
pub fn check_nesting(text: &str, limits: XmlLimits) -> Result<(), XmlBoundError> {
    let b = text.as_bytes();
    let (mut i, mut depth, mut elements) = (0usize, 0usize, 0usize);
    while let Some(offset) = b[i..].iter().position(|&c| c == b'<') {
        let start = i + offset;
        let rest = &b[start..];
        i = if rest.starts_with(b"<!--") {
            after(b, start + 4, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            after(b, start + 9, b"]]>")
        } else if rest.starts_with(b"<?") {
            after(b, start + 2, b"?>")
        } else if rest.starts_with(b"<!") {
            // a declaration: never an element (the parsers refuse DTDs; an internal subset's
            // declarations are skipped one by one the same way)
            after(b, start + 2, b">")
        } else {
            let end = tag_end(b, start + 1);
            if rest.get(1) == Some(&b'/') {
                depth = depth.saturating_sub(1);
            } else {
                elements += 1;
                if elements > limits.max_elements {
                    return Err(XmlBoundError::TooManyElements(limits.max_elements));
                }
                // an empty element (`<x/>`) stands at the next level too, but closes at once
                if depth + 1 > limits.max_depth {
                    return Err(XmlBoundError::TooDeep(limits.max_depth));
                }
                let self_closing = end > start + 1 && b.get(end - 1) == Some(&b'/');
                if !self_closing {
                    depth += 1;
                }
            }
            end.saturating_add(1)
        };
        if i >= b.len() {
            break;
        }
    }
    Ok(())
}

/// The index just past the first `needle` at or after `from` (the end of the text without one).
fn after(b: &[u8], from: usize, needle: &[u8]) -> usize {
    b.get(from..)
        .and_then(|s| s.windows(needle.len()).position(|w| w == needle))
        .map_or(b.len(), |p| from + p + needle.len())
}

/// The index of the `>` that ends the tag whose name starts at `from`, outside quoted values (the
/// end of the text without one).
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (k, &c) in b.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return k,
            None => {}
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: XmlLimits = XmlLimits { max_depth: 3, max_elements: 6 };

    #[test]
    fn depth_and_count_follow_the_elements() {
        assert_eq!(check_nesting("<a><b><c/></b><b><c>x</c></b></a>", LIMITS), Ok(()));
        assert_eq!(check_nesting("<a><b><c><d/></c></b></a>", LIMITS), Err(XmlBoundError::TooDeep(3)));
        assert_eq!(check_nesting("<a><b/><b/><b/><b/><b/><b/></a>", LIMITS), Err(XmlBoundError::TooManyElements(6)));
        // self-closing elements add no depth, closing tags take it back
        assert_eq!(check_nesting("<a><b/><b/><b><c/></b></a>", LIMITS), Ok(()));
    }

    #[test]
    fn comments_cdata_instructions_declarations_and_quoted_values_are_not_elements() {
        let text = r#"<?xml version="1.0"?><!DOCTYPE a><!-- <x><y><z> --><a t="1 > 0" u='<b>'><![CDATA[<x><y><z><w>]]><?pi <x><y>?></a>"#;
        assert_eq!(check_nesting(text, XmlLimits { max_depth: 1, max_elements: 1 }), Ok(()));
    }

    #[test]
    fn a_hundred_thousand_nested_elements_are_refused_at_once_without_recursion() {
        let deep = format!("{}{}", "<g>".repeat(100_000), "</g>".repeat(100_000));
        assert_eq!(
            check_nesting(&deep, XmlLimits { max_depth: 100, max_elements: 1_000_000 }),
            Err(XmlBoundError::TooDeep(100))
        );
        let wide = format!("<r>{}</r>", "<f/>".repeat(100_000));
        assert_eq!(
            check_nesting(&wide, XmlLimits { max_depth: 100, max_elements: 50_000 }),
            Err(XmlBoundError::TooManyElements(50_000))
        );
    }

    #[test]
    fn unterminated_constructs_end_the_scan_without_panicking() {
        for text in ["<a", "<!--", "<![CDATA[", "<?", "<!", "<a b='", "</", "<", "<a/"] {
            assert!(check_nesting(text, LIMITS).is_ok(), "{text}");
        }
    }
}
