//! Random secrets (session ids, link tokens, CSRF tokens), their stored hashes, and comparison in
//! constant time.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A random URL-safe token of 32 bytes (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a token: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A short, non-reversible fingerprint (for rate-limit buckets and logs).
pub fn fingerprint(value: &str) -> String {
    Sha256::digest(value.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in constant time (`subtle`, whose barrier keeps the optimiser from turning
/// the comparison into an early exit). Only the length may leak, and secrets have a fixed length.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_compare_in_constant_time() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
        assert_eq!(token_hash(&a).len(), 32);
    }

    #[test]
    fn constant_time_comparison_tells_equal_from_unequal_secrets() {
        let token = random_token();
        assert!(constant_time_eq(&token, &token.clone()));
        assert!(constant_time_eq("", ""));
        // differs in the first byte, the last byte, the length
        let mut first = token.clone().into_bytes();
        first[0] ^= 1;
        assert!(!constant_time_eq(&token, std::str::from_utf8(&first).expect("still ASCII")));
        let mut last = token.clone().into_bytes();
        last[42] ^= 1;
        assert!(!constant_time_eq(&token, std::str::from_utf8(&last).expect("still ASCII")));
        assert!(!constant_time_eq(&token, &token[..42]));
        assert!(!constant_time_eq(&token, &format!("{token}A")));
        assert!(!constant_time_eq(&token, ""));
    }
}
