//! Cookies, parsed and built with the `cookie` crate. Cookies that carry a session or a CSRF token
//! are [`Kind::Host`] cookies: with secure cookies on they are named `__Host-…`, which a browser
//! accepts only from this very host over HTTPS, with `Path=/` and without `Domain`, so that no
//! other host under the same parent domain can set or overwrite them (cookie tossing).

use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::HeaderMap;
use cookie::{Cookie, SameSite};

/// Whether cookies are secure (`server.secure_cookies`): set once at start-up.
static SECURE: AtomicBool = AtomicBool::new(false);

/// Sets, at start-up, whether cookies are secure: host cookies are then read under their
/// `__Host-` names. (Written with the same setting: [`set`]'s `secure`.)
pub fn configure(secure: bool) {
    SECURE.store(secure, Ordering::Relaxed);
}

/// What a cookie is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A session or a token: `__Host-` prefixed when cookies are secure.
    Host,
    /// A preference (the language): its plain name.
    Plain,
}

/// A cookie's name as the platform knows it, with its [`Kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name {
    pub base: &'static str,
    pub kind: Kind,
}

impl Name {
    pub const fn host(base: &'static str) -> Self {
        Self { base, kind: Kind::Host }
    }

    pub const fn plain(base: &'static str) -> Self {
        Self { base, kind: Kind::Plain }
    }

    /// The name on the wire: `__Host-kp_session` for a host cookie when cookies are `secure`.
    pub fn wire(self, secure: bool) -> String {
        match (self.kind, secure) {
            (Kind::Host, true) => format!("__Host-{}", self.base),
            _ => self.base.to_owned(),
        }
    }
}

/// The parsed cookies of the request's `Cookie` headers (unparsable pairs left out).
fn parsed(headers: &HeaderMap) -> impl Iterator<Item = Cookie<'_>> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
}

/// The value of cookie `name` in the request, if present. With secure cookies a host cookie is
/// read only under its `__Host-` name: a plain one of the same base name is someone else's.
pub fn get(headers: &HeaderMap, name: Name) -> Option<&str> {
    get_as(headers, name, SECURE.load(Ordering::Relaxed))
}

fn get_as(headers: &HeaderMap, name: Name, secure: bool) -> Option<&str> {
    let wire = name.wire(secure);
    parsed(headers).find(|c| c.name() == wire).and_then(|c| c.value_raw())
}

/// Whether the request carries a cookie other than those named in `except` (a `Cookie` header that
/// is not text counts as one).
pub fn any_but(headers: &HeaderMap, except: &[Name]) -> bool {
    any_but_as(headers, except, SECURE.load(Ordering::Relaxed))
}

fn any_but_as(headers: &HeaderMap, except: &[Name], secure: bool) -> bool {
    let allowed: Vec<String> = except.iter().map(|n| n.wire(secure)).collect();
    headers.get_all(axum::http::header::COOKIE).iter().any(|v| v.to_str().is_err())
        || parsed(headers).any(|c| !allowed.iter().any(|a| a == c.name()))
}

/// A `Set-Cookie` value: `SameSite=Lax`, `Path=/`, `HttpOnly` when `http_only`, `Secure` when
/// `secure` (and then a host cookie's `__Host-` name). `max_age` of `None` makes a session cookie;
/// `Some(0)` deletes it.
pub fn set(name: Name, value: &str, secure: bool, max_age: Option<i64>, http_only: bool) -> String {
    let mut c = Cookie::build((name.wire(secure), value.to_owned()))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(http_only)
        .secure(secure);
    if let Some(age) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(age));
    }
    c.build().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: Name = Name::host("kp_session");
    const LANG: Name = Name::plain("lang");

    fn headers(cookie: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::COOKIE, axum::http::HeaderValue::from_static(cookie));
        h
    }

    #[test]
    fn cookies_are_read_by_their_name_on_the_wire() {
        let h = headers("a=1; lang=en; kp_session=plain; __Host-kp_session=prefixed");
        assert_eq!(get_as(&h, LANG, true), Some("en"));
        assert_eq!(get_as(&h, SESSION, true), Some("prefixed"), "secure: only the __Host- cookie counts");
        assert_eq!(get_as(&h, SESSION, false), Some("plain"));
        assert_eq!(get_as(&headers("__Host-kp_session=x"), SESSION, false), None);
        assert_eq!(get_as(&h, Name::plain("x"), false), None);
        // pairs in any order
        assert_eq!(get_as(&headers("x=1;lang=de"), LANG, false), Some("de"));
        assert!(any_but_as(&h, &[LANG], false));
        assert!(!any_but_as(&headers("lang=de"), &[LANG], true));
    }

    #[test]
    fn set_cookies_carry_the_safe_attributes_and_the_host_prefix_when_secure() {
        assert_eq!(
            set(SESSION, "v", true, Some(0), true),
            "__Host-kp_session=v; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0"
        );
        assert_eq!(set(SESSION, "v", false, None, true), "kp_session=v; HttpOnly; SameSite=Lax; Path=/");
        assert_eq!(set(LANG, "en", true, Some(60), false), "lang=en; SameSite=Lax; Secure; Path=/; Max-Age=60");
    }
}
