//! The tests' authenticator app: reads the key from the set-up page, keeps it per account, and
//! gives each login a code of a step not used before (a code is accepted once), waiting for the
//! next step (or moving a fixed clock) when the current ones are spent.

use std::collections::HashMap;
use std::sync::Mutex;

use http::StatusCode;

use crate::client::TestClient;
use crate::{TestApp, TestResponse};

/// Secrets and the last step used, per account (e-mail address).
#[derive(Default)]
pub struct Authenticator(Mutex<HashMap<String, (String, i64)>>);

/// The key shown on a set-up page for typing by hand (eight groups of four base32 characters).
pub fn secret_on_page(body: &str) -> Option<String> {
    body.split(['<', '>'])
        .map(str::trim)
        .find(|t| {
            t.len() == 39
                && t.split(' ').count() == 8
                && t.chars().all(|c| c == ' ' || c.is_ascii_uppercase() || ('2'..='7').contains(&c))
        })
        .map(|t| t.replace(' ', ""))
}

impl TestApp {
    /// Keeps the key of `account` (as read from its set-up page).
    pub fn learn_secret(&self, account: &str, secret: &str) {
        if let Ok(mut m) = self.authenticator.0.lock() {
            m.insert(account.to_lowercase(), (secret.to_owned(), 0));
        }
    }

    /// The key of `account`, if set up through [`TestClient::second_step`].
    pub fn secret_of(&self, account: &str) -> Option<String> {
        self.authenticator.0.lock().ok()?.get(&account.to_lowercase()).map(|(s, _)| s.clone())
    }

    /// A code for `account` of a step not used before by this app.
    pub async fn next_code(&self, account: &str) -> String {
        loop {
            let now = self.clock().now();
            let step = now.unix_timestamp() / 30;
            let pick = {
                let Ok(mut m) = self.authenticator.0.lock() else { panic!("authenticator") };
                let Some((secret, last)) = m.get_mut(&account.to_lowercase()) else { panic!("no key for {account}") };
                let wanted = (*last + 1).max(step);
                if wanted <= step + 1 {
                    *last = wanted;
                    let at = time::OffsetDateTime::from_unix_timestamp(wanted * 30).unwrap_or(now);
                    Some(portal_identity::second_factor::code_at(secret, at).unwrap_or_default())
                } else {
                    None
                }
            };
            if let Some(code) = pick {
                return code;
            }
            // both usable steps are spent: the next one comes
            if !self.clock().advance(time::Duration::seconds(30)) {
                tokio::time::sleep(std::time::Duration::from_secs(
                    u64::try_from(30 - now.unix_timestamp() % 30).unwrap_or(1),
                ))
                .await;
            }
        }
    }
}

impl TestClient<'_> {
    /// Completes the second step of a login that answered `r`: the set-up (the key read from the
    /// page and kept for `account`) or the code. Any other answer is returned as it is.
    pub async fn second_step(&mut self, r: TestResponse, account: &str) -> TestResponse {
        let Some(to) = r.location().map(str::to_owned) else { return r };
        if to.ends_with("/einrichten") {
            let page = self.get(&to).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            let secret =
                secret_on_page(&page.body).unwrap_or_else(|| panic!("no key on the set-up page: {}", page.body));
            self.app.learn_secret(account, &secret);
            let code = self.app.next_code(account).await;
            let r = self.submit(&to, &to, &[("code", &code)]).await;
            assert_eq!(r.status, StatusCode::OK, "set-up: {}", r.body);
            return r;
        }
        if to.ends_with("/code") {
            let code = self.app.next_code(account).await;
            return self.submit(&to, &to, &[("code", &code)]).await;
        }
        r
    }
}
