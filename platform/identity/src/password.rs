//! Passwords: argon2id hashes (PHC strings) and the policy every new password must meet.

use std::collections::HashSet;
use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::IdentityError;

/// Shortest password accepted.
pub const MIN_CHARS: usize = 12;
/// Longest password accepted (hashing cost is bounded).
pub const MAX_CHARS: usize = 256;

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes at a time: argon2id takes 19 MiB and tens of milliseconds of one core; more at once
/// would only queue on the cores and hold the memory. One per core, at least two.
fn slots() -> &'static std::sync::Arc<tokio::sync::Semaphore> {
    static SLOTS: OnceLock<std::sync::Arc<tokio::sync::Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| {
        std::sync::Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()).max(2),
        ))
    })
}

/// Runs a hash or a verification on a blocking thread (never on the async runtime: a flood of
/// logins must not stall other requests), one of [`slots`] at a time.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, IdentityError> {
    let permit = std::sync::Arc::clone(slots()).acquire_owned().await.map_err(|_| IdentityError::Hash)?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(|_| IdentityError::Hash)
}

/// Hashes a password with argon2id and a random salt (off the async runtime).
pub async fn hash(password: &str) -> Result<String, IdentityError> {
    let password = password.to_owned();
    off_runtime(move || hash_now(&password)).await?
}

/// Checks a password against a PHC string (off the async runtime); false for a malformed hash.
pub async fn verify(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_owned(), phc.to_owned());
    off_runtime(move || verify_now(&password, &phc)).await.unwrap_or(false)
}

/// Spends the time of one verification, for unknown accounts: the answer's timing must not tell
/// whether an address is registered.
pub async fn verify_dummy(password: &str) {
    let password = password.to_owned();
    let _ = off_runtime(move || {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let dummy = DUMMY.get_or_init(|| hash_now("not-a-real-password-at-all").unwrap_or_default());
        verify_now(&password, dummy)
    })
    .await;
}

fn hash_now(password: &str) -> Result<String, IdentityError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| IdentityError::Hash)
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    TooLong,
    SameAsEmail,
    Common,
}

impl Weakness {
    /// Every weakness, for the check that each has a text.
    pub const ALL: [Weakness; 4] = [Weakness::TooShort, Weakness::TooLong, Weakness::SameAsEmail, Weakness::Common];

    /// Translation key of the message shown next to the field.
    pub fn message_key(self) -> &'static str {
        match self {
            Weakness::TooShort => "validation.password_too_short",
            Weakness::TooLong => "validation.password_too_long",
            Weakness::SameAsEmail => "validation.password_is_email",
            Weakness::Common => "validation.password_common",
        }
    }
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Checks a new password against the policy: at least [`MIN_CHARS`] characters, not the e-mail
/// address (nor its local part), not among the most common passwords shipped with the project.
pub fn check_policy(password: &str, email: Option<&str>) -> Result<(), Weakness> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(Weakness::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(Weakness::TooLong);
    }
    let lower = password.to_lowercase();
    if let Some(email) = email {
        let email = email.trim().to_lowercase();
        let local = email.split('@').next().unwrap_or_default();
        if lower == email || (!local.is_empty() && lower == local) {
            return Err(Weakness::SameAsEmail);
        }
    }
    if common_passwords().contains(lower.as_str()) {
        return Err(Weakness::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery").await.unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h).await);
        assert!(!verify("wrong", &h).await);
        assert!(!verify("x", "not a hash").await);
    }

    #[test]
    fn the_policy_refuses_short_email_and_common_passwords() {
        assert_eq!(check_policy("kurz", None), Err(Weakness::TooShort));
        assert_eq!(check_policy("erika@example.de", Some("Erika@example.de")), Err(Weakness::SameAsEmail));
        assert_eq!(check_policy("Password1234", None), Err(Weakness::Common));
        assert_eq!(check_policy("passwort1234", None), Err(Weakness::Common));
        assert_eq!(check_policy("1qaz2wsx3edc", None), Err(Weakness::Common));
        assert_eq!(check_policy("Amselweg-Laterne-17", Some("erika@example.de")), Ok(()));
        assert!(common_passwords().len() > 10_000);
    }
}
