//! Route paths, defined once: each capability's `paths.rs` names its routes as [`RoutePath`]s, which
//! the router registers ([`RoutePath::pattern`]) and links are built from ([`RoutePath::with`] for
//! the ones with parameters, [`RoutePath::path`] for the others).

use std::fmt::Display;

/// The path of a route, as axum matches it (`/verwaltung/vorgaenge/{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutePath(pub &'static str);

impl RoutePath {
    /// The pattern the router matches.
    pub const fn pattern(self) -> &'static str {
        self.0
    }

    /// The path of a route without parameters. A route with some needs [`RoutePath::with`]: asking
    /// for its bare path panics (at compile time where it is used in a constant, like a navigation
    /// entry).
    pub const fn path(self) -> &'static str {
        let bytes = self.0.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            assert!(bytes[i] != b'{', "a route with parameters is linked with RoutePath::with");
            i += 1;
        }
        self.0
    }

    /// The path with its `{…}` segments filled in order (a parameter too few leaves the segment
    /// empty, which no route matches).
    pub fn with(self, args: &[&(dyn Display + Sync)]) -> String {
        let mut out = String::with_capacity(self.0.len() + 16);
        let mut args = args.iter();
        let mut rest = self.0;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
            if let Some(a) = args.next() {
                out.push_str(&a.to_string());
            }
            rest = &rest[close..];
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_fill_the_segments_in_order() {
        let p = RoutePath("/konto/antraege/{case}/datei/{file}");
        assert_eq!(p.with(&[&"c1", &42]), "/konto/antraege/c1/datei/42");
        assert_eq!(RoutePath("/verwaltung").with(&[]), "/verwaltung");
        assert_eq!(p.pattern(), "/konto/antraege/{case}/datei/{file}");
    }

    #[test]
    #[should_panic(expected = "RoutePath::with")]
    fn a_route_with_parameters_has_no_bare_path() {
        let _ = RoutePath("/konto/antraege/{case}").path();
    }
}
