//! Cookie helpers: reading a cookie and building `Set-Cookie` values with safe attributes.

use axum::http::HeaderMap;

/// The `name=value` pairs of the request's `Cookie` headers (trimmed, empty ones left out).
fn pairs(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers.get_all(axum::http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).map(str::trim).filter(|p| !p.is_empty())
}

/// The value of cookie `name` in the request, if present.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    pairs(headers).filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// Whether the request carries a cookie other than those named in `except` (a `Cookie` header that
/// is not text counts as one).
pub fn any_but(headers: &HeaderMap, except: &[&str]) -> bool {
    headers.get_all(axum::http::header::COOKIE).iter().any(|v| v.to_str().is_err()) || pairs(headers).any(|p| !except.contains(&p.split_once('=').map_or(p, |(k, _)| k)))
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure` when `secure`.
/// `max_age` of `None` makes a session cookie; `Some(0)` deletes it.
pub fn set(name: &str, value: &str, secure: bool, max_age: Option<i64>, http_only: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_builds_cookies() {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::COOKIE, axum::http::HeaderValue::from_static("a=1; lang=en"));
        assert_eq!(get(&h, "lang"), Some("en"));
        assert_eq!(get(&h, "x"), None);
        assert_eq!(set("s", "v", true, Some(0), true), "s=v; Path=/; SameSite=Lax; HttpOnly; Secure; Max-Age=0");
    }
}
