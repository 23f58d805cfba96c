//! Rendered public pages in memory: a page the same for every visitor of a tenant (home, service
//! pages, legal pages, search results) is rendered once per tenant, content version, language and
//! address, and served from here with a strong ETag (304 on `If-None-Match`) and bodies compressed
//! once (brotli, gzip) on first demand.
//!
//! What goes in is decided by the caller, which renders these pages from the tenant's content alone,
//! never from the request (no session, no CSRF token, no cookie): see `kit::public` in the server.
//! The key holds the tenant and the version of its content, so a page is never found for another
//! tenant nor after its content changed.

use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use moka::future::Cache;
use portal_domain::{Lang, TenantId};
use sha2::{Digest, Sha256};

/// Which page: a tenant's page at an address in a language, made from one version of its content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub tenant: TenantId,
    pub version: u64,
    pub lang: Lang,
    /// Path and query the page is canonical for.
    pub address: Box<str>,
}

/// A rendered page and its compressed forms.
#[derive(Debug)]
pub struct SharedPage {
    html: Bytes,
    /// Hex of the first 16 bytes of the HTML's SHA-256: the strong validator of the page.
    hash: String,
    /// The ETag headers of the three codings, made once.
    etags: [HeaderValue; 3],
    brotli: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
}

/// A content coding the page is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl Coding {
    /// The best coding the client accepts (`Accept-Encoding`, with q-values; `q=0` refuses).
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let mut best = (Self::Identity, 0u16);
        for value in headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()) {
            for item in value.split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or("").trim();
                let q = parts.find_map(|p| p.trim().strip_prefix("q=")).map_or(1000, qvalue);
                let coding = match name {
                    n if n.eq_ignore_ascii_case("br") => Self::Brotli,
                    n if n.eq_ignore_ascii_case("gzip") || n.eq_ignore_ascii_case("x-gzip") => Self::Gzip,
                    _ => continue,
                };
                // at equal weight brotli wins (smaller)
                if q > 0 && (q > best.1 || (q == best.1 && coding == Self::Brotli)) {
                    best = (coding, q);
                }
            }
        }
        best.0
    }

    fn index(self) -> usize {
        match self {
            Self::Identity => 0,
            Self::Brotli => 1,
            Self::Gzip => 2,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Self::Brotli => "-br",
            Self::Gzip => "-gz",
            Self::Identity => "",
        }
    }
}

/// A q-value in thousandths ("0.5" → 500); what does not parse counts as 0.
fn qvalue(s: &str) -> u16 {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let whole: u16 = match int {
        "1" => 1000,
        "0" => 0,
        _ => return 0,
    };
    let digits: String = frac.chars().take(3).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return 0;
    }
    let thousandths = format!("{digits:0<3}").parse::<u16>().unwrap_or(0);
    (whole + thousandths).min(1000)
}

impl SharedPage {
    pub fn new(html: String) -> Self {
        let hash: String = Sha256::digest(html.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect();
        // hex digits, quotes and a suffix: always a valid header value
        let etags = [Coding::Identity, Coding::Brotli, Coding::Gzip].map(|c| {
            HeaderValue::from_str(&format!("\"{hash}{}\"", c.suffix())).unwrap_or(HeaderValue::from_static("\"\""))
        });
        Self { html: Bytes::from(html), hash, etags, brotli: OnceLock::new(), gzip: OnceLock::new() }
    }

    /// The page's HTML.
    pub fn html(&self) -> &[u8] {
        &self.html
    }

    /// The strong ETag of the page in `coding` (each coding is its own representation).
    pub fn etag(&self, coding: Coding) -> &HeaderValue {
        &self.etags[coding.index()]
    }

    /// The body in `coding`, compressed on first demand and kept.
    pub fn body(&self, coding: Coding) -> Bytes {
        match coding {
            Coding::Identity => self.html.clone(),
            Coding::Brotli => self.brotli.get_or_init(|| compress_brotli(&self.html)).clone(),
            Coding::Gzip => self.gzip.get_or_init(|| compress_gzip(&self.html)).clone(),
        }
    }

    /// Whether `If-None-Match` names this page (in any coding: the content behind them is the same;
    /// weak comparison, as RFC 9110 asks for this header).
    pub fn matches(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|tag| {
                let tag = tag.strip_prefix("W/").unwrap_or(tag);
                tag == "*"
                    || tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).is_some_and(|t| {
                        t.strip_suffix("-br").or_else(|| t.strip_suffix("-gz")).unwrap_or(t) == self.hash
                    })
            })
    }

    /// The answer to a GET or HEAD: 304 when the client has it, else the body in the best coding
    /// the client accepts, with `cache_control` ([`PageCache::cache_control`]).
    pub fn respond(&self, headers: &HeaderMap, cache_control: &HeaderValue) -> Response {
        let coding = Coding::negotiate(headers);
        let fresh = self.matches(headers);
        let mut r = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            Body::from(self.body(coding)).into_response()
        };
        let h = r.headers_mut();
        if !fresh {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            match coding {
                Coding::Brotli => h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br")),
                Coding::Gzip => h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
                Coding::Identity => None,
            };
        }
        h.insert(header::ETAG, self.etag(coding).clone());
        h.insert(header::CACHE_CONTROL, cache_control.clone());
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding, Accept-Language, Cookie"));
        r
    }

    /// About how many bytes it holds with its compressed forms (those are made later; HTML
    /// compresses to well under half).
    fn weight(&self) -> u32 {
        u32::try_from(self.html.len() + self.html.len() / 2 + 200).unwrap_or(u32::MAX)
    }
}

/// Brotli at quality 4 of 11 with a 256 KB window. Measured on the portal home (34 KB of HTML): 0.26 ms
/// for 5,239 bytes, where quality 6 takes 0.5 ms for 4,975, 9 takes 5 ms for 4,955 and 11 takes 44 ms
/// for 4,547. A page is compressed on the request that first asks for it (for 2,000 cold tenants
/// at once, in benches/many-tenants.sh), and pages rendered per visitor on every request.
pub(crate) fn compress_brotli(html: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(html.len() / 4);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 4, 18);
        let _ = w.write_all(html);
    }
    Bytes::from(out)
}

pub(crate) fn compress_gzip(html: &[u8]) -> Bytes {
    let mut w = flate2::write::GzEncoder::new(Vec::with_capacity(html.len() / 4), flate2::Compression::new(6));
    let _ = w.write_all(html);
    Bytes::from(w.finish().unwrap_or_default())
}

/// Limits of the page cache.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    /// Bytes of pages held at most.
    pub max_bytes: u64,
    /// A page not asked for this long is dropped.
    pub idle: Duration,
    /// How long a cache in front of the servers may serve a page without asking.
    pub shared_max_age: Duration,
}

impl Default for PageLimits {
    fn default() -> Self {
        Self {
            max_bytes: 128 * 1024 * 1024,
            idle: Duration::from_secs(10 * 60),
            shared_max_age: Duration::from_secs(30),
        }
    }
}

/// The rendered pages of all tenants. Frequency decides what stays when it is full (TinyLFU): a
/// flood of one-off search queries does not push out the home pages.
pub struct PageCache {
    pages: Cache<PageKey, Arc<SharedPage>>,
    /// `Cache-Control` of the pages: browsers ask every time (and get 304s); a cache in front (CDN,
    /// reverse proxy) may serve a page for the configured time without asking.
    pub cache_control: HeaderValue,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache").field("pages", &self.pages.entry_count()).finish()
    }
}

impl PageCache {
    pub fn new(limits: PageLimits) -> Self {
        let pages = Cache::builder()
            .name("shared_pages")
            .max_capacity(limits.max_bytes)
            .weigher(|_, v: &Arc<SharedPage>| v.weight())
            .time_to_idle(limits.idle)
            .build();
        let cache_control = HeaderValue::from_str(&format!(
            "public, max-age=0, s-maxage={}, must-revalidate",
            limits.shared_max_age.as_secs()
        ))
        .unwrap_or(HeaderValue::from_static("no-cache"));
        Self { pages, cache_control }
    }

    pub async fn get(&self, key: &PageKey) -> Option<Arc<SharedPage>> {
        self.pages.get(key).await
    }

    /// Keeps a page rendered for `key` and returns it.
    pub async fn insert(&self, key: PageKey, html: String) -> Arc<SharedPage> {
        let page = Arc::new(SharedPage::new(html));
        self.pages.insert(key, Arc::clone(&page)).await;
        page
    }

    /// Pages held and their weight in bytes.
    pub async fn usage(&self) -> (u64, u64) {
        self.pages.run_pending_tasks().await;
        (self.pages.entry_count(), self.pages.weighted_size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn negotiates_codings_by_weight() {
        assert_eq!(Coding::negotiate(&headers(&[("accept-encoding", "gzip, deflate, br")])), Coding::Brotli);
        assert_eq!(Coding::negotiate(&headers(&[("accept-encoding", "gzip")])), Coding::Gzip);
        assert_eq!(Coding::negotiate(&headers(&[("accept-encoding", "br;q=0, gzip;q=0.5")])), Coding::Gzip);
        assert_eq!(Coding::negotiate(&headers(&[("accept-encoding", "br;q=0.1, gzip;q=0.9")])), Coding::Gzip);
        assert_eq!(Coding::negotiate(&headers(&[("accept-encoding", "identity, zstd")])), Coding::Identity);
        assert_eq!(Coding::negotiate(&headers(&[("accept-encoding", "br;q=kaputt")])), Coding::Identity);
        assert_eq!(Coding::negotiate(&HeaderMap::new()), Coding::Identity);
    }

    #[test]
    fn etags_match_in_any_coding_and_list() {
        let page = SharedPage::new("<p>Hallo</p>".to_owned());
        let tag = page.etag(Coding::Identity).to_str().unwrap_or_default().to_owned();
        let br = page.etag(Coding::Brotli).to_str().unwrap_or_default().to_owned();
        assert_ne!(tag, br);
        assert!(page.matches(&headers(&[("if-none-match", Box::leak(format!("\"x\", {br}").into_boxed_str()))])));
        assert!(page.matches(&headers(&[("if-none-match", Box::leak(format!("W/{tag}").into_boxed_str()))])));
        assert!(page.matches(&headers(&[("if-none-match", "*")])));
        assert!(!page.matches(&headers(&[("if-none-match", "\"0123\"")])));
        assert!(!page.matches(&HeaderMap::new()));
    }

    #[test]
    fn compressed_bodies_decode_to_the_page() {
        use std::io::Read;
        let html = format!("<html><body>{}</body></html>", "<p>Personalausweis beantragen</p>".repeat(200));
        let page = SharedPage::new(html.clone());
        let mut out = String::new();
        let _ = brotli::Decompressor::new(&page.body(Coding::Brotli)[..], 4096).read_to_string(&mut out);
        assert_eq!(out, html);
        let mut out = String::new();
        let _ = flate2::read::GzDecoder::new(&page.body(Coding::Gzip)[..]).read_to_string(&mut out);
        assert_eq!(out, html);
        assert!(page.body(Coding::Brotli).len() < html.len() / 4);
    }
}
