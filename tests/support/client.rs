//! A browser-like client of a [`TestApp`]: one host, a cookie jar, CSRF tokens from the pages.

use crate::{TestApp, TestResponse};

/// Requests to one host with a cookie jar (as a browser would send them).
pub struct TestClient<'a> {
    pub app: &'a TestApp,
    pub host: String,
    pub cookies: std::collections::BTreeMap<String, String>,
}

impl TestClient<'_> {
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, r: &TestResponse) {
        for c in r.set_cookies() {
            if let Some((k, v)) = c.split_once('=') {
                if v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        let cookie = self.cookie_header();
        let r = self.app.get_with(&self.host, path, &[("cookie", &cookie)]).await;
        self.keep(&r);
        r
    }

    /// POST a form as-is (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let cookie = self.cookie_header();
        let r = self.app.post_form(&self.host, path, fields, &cookie).await;
        self.keep(&r);
        r
    }

    /// POST a multipart form as-is, with at most one file (field, filename, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> TestResponse {
        self.post_multipart_files(path, fields, file.as_slice()).await
    }

    /// POST a multipart form as-is, with any number of files.
    pub async fn post_multipart_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> TestResponse {
        let cookie = self.cookie_header();
        let r = self.app.post_multipart_files(&self.host, path, fields, files, &cookie).await;
        self.keep(&r);
        r
    }

    /// Opens `form_page`, takes its CSRF token and posts `fields` to `action`.
    pub async fn submit(&mut self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> TestResponse {
        let page = self.get(form_page).await;
        let csrf = page
            .hidden("_csrf")
            .unwrap_or_else(|| panic!("no CSRF token on {form_page}: {} {}", page.status, page.body));
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let cookie = self.cookie_header();
        let r = self.app.post_form(&self.host, action, &all, &cookie).await;
        self.keep(&r);
        r
    }
}
