//! Who someone is, on a tenant's portal or in the console.
//!
//! - [`password`]: argon2id hashing and the password policy (length, not the e-mail, not common).
//! - [`secret`]: random tokens, their hashes, constant-time comparison.
//! - [`citizen`]: the Bürgerkonto (registration, login, profile, export, deletion).
//! - [`staff`]: municipal staff accounts (invitation, login, roles, revocation).
//! - [`session`]: server-side sessions of citizens and staff, tenant-owned.
//! - [`links`]: single-use links sent by e-mail.
//! - [`ratelimit`]: attempt counters in Postgres (servers are stateless).
//! - [`oidc`]: login through an external identity provider (BundID, eID, BayernID).

pub mod citizen;
pub mod links;
pub mod oidc;
pub mod password;
pub mod ratelimit;
pub mod sealed;
pub mod second_factor;
pub mod secret;
pub mod session;
pub mod staff;
pub mod throttle;

use portal_db::DbError;

/// An e-mail address, trimmed and lower-cased, of a plausible shape.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Email(String);

impl Email {
    /// Normalises and checks an address: one `@`, something on both sides, a dot in the domain, no
    /// white space, at most 254 characters.
    pub fn parse(input: &str) -> Option<Self> {
        let e = input.trim().to_lowercase();
        let valid = e.len() <= 254
            && e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !e.chars().any(char::is_whitespace);
        valid.then_some(Self(e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Errors of this crate's repositories.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the e-mail address is taken")]
    EmailTaken,
    #[error("password hashing failed")]
    Hash,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Sqlx(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" Erika@Example.DE ").map(|e| e.0), Some("erika@example.de".to_owned()));
        for bad in ["", "erika", "a@b", "a@.de", "a b@x.de", "@x.de", "a@x.de."] {
            assert!(Email::parse(bad).is_none(), "{bad}");
        }
    }
}
