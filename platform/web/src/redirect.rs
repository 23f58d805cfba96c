//! Where a redirect may lead when the target comes from the request (`weiter`, `back`): only to a
//! path on the same site. One check for every such redirect.

/// The target if it is a path on this site: it starts with exactly one `/`, holds no backslash
/// and no control character (browsers drop tabs and line breaks from URLs, so `/\t/evil.example`
/// would become `//evil.example`), and is of reasonable length. `None` otherwise.
pub fn local_path(target: &str) -> Option<&str> {
    let ok = target.starts_with('/')
        && !target.starts_with("//")
        && target.len() <= 2048
        // a plain space stays in the path (browsers encode it); other white space and control
        // characters do not belong in a path and some are dropped by browsers
        && !target.chars().any(|c| c == '\\' || c.is_control() || (c.is_whitespace() && c != ' '));
    ok.then_some(target)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_are_redirect_targets() {
        for good in ["/", "/konto", "/leistungen/x?seite=2&q=a%20b", "/verwaltung/vorgaenge#neu", "/suche?q=kita platz"]
        {
            assert_eq!(local_path(good), Some(good));
        }
        for bad in [
            "",
            "konto",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "\t//evil.example",
            "/\u{0}/x",
            "/\u{85}/x",
            "https://evil.example",
            "/\u{3000}/evil.example",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(3000))), None);
    }
}
