//! Tenant secrets at rest (an identity provider's client secret): sealed with AES-256-GCM under a
//! platform key that only the server holds (`APP__SECURITY__SECRETS_KEY`), bound to the tenant and
//! the object they belong to. A database dump or a row copied to another tenant reveals nothing and
//! opens nowhere else; a tenant admin types the secret once and never sees it again.
//!
//! The sealed form is `version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use uuid::Uuid;

const VERSION: u8 = 1;

/// The key that seals tenant secrets. Built only from 32 random bytes (base64).
pub struct SecretsKey {
    key: LessSafeKey,
    /// A key of its own for MACs (derived from the same bytes, for another purpose).
    mac: ring::hmac::Key,
    rng: SystemRandom,
}

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(..)")
    }
}

/// Why a key could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the secrets key must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)")]
pub struct InvalidKey;

impl SecretsKey {
    /// Parses a base64-encoded 32-byte key.
    pub fn from_base64(encoded: &str) -> Result<Self, InvalidKey> {
        let bytes = STANDARD.decode(encoded.trim()).map_err(|_| InvalidKey)?;
        if bytes.len() != 32 || bytes.iter().all(|b| *b == bytes[0]) {
            return Err(InvalidKey);
        }
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| InvalidKey)?;
        let derived =
            ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &bytes), b"kommunalportal mac key v1");
        Ok(Self {
            key: LessSafeKey::new(key),
            mac: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref()),
            rng: SystemRandom::new(),
        })
    }

    /// A keyed hash (HMAC-SHA-256) of `data` for `purpose`: what is stored of a short secret (a
    /// recovery code), so that a database dump without the key allows no guessing offline.
    pub fn mac(&self, purpose: &str, data: &str) -> Vec<u8> {
        let mut ctx = ring::hmac::Context::with_key(&self.mac);
        ctx.update(purpose.as_bytes());
        ctx.update(&[0]);
        ctx.update(data.as_bytes());
        ctx.sign().as_ref().to_vec()
    }

    /// Seals `plain` for `tenant`'s object `purpose` (e.g. `identity_provider:bundid`).
    pub fn seal(&self, tenant: Uuid, purpose: &str, plain: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        // the system's random source does not fail on the platforms we run on; a zero nonce would
        // be fatal for GCM, so refuse to continue rather than seal with it
        self.rng.fill(&mut nonce).unwrap_or_else(|_| panic!("the system random source failed"));
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plain.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        let mut body = plain.as_bytes().to_vec();
        // sealing fails only for inputs over 64 GB
        if self
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad(tenant, purpose)), &mut body)
            .is_err()
        {
            return Vec::new();
        }
        out.extend_from_slice(&body);
        out
    }

    /// Opens what [`SecretsKey::seal`] sealed for the same tenant and purpose; `None` for anything
    /// else (another key, tenant or purpose, or altered bytes).
    pub fn open(&self, tenant: Uuid, purpose: &str, sealed: &[u8]) -> Option<String> {
        let (&version, rest) = sealed.split_first()?;
        if version != VERSION || rest.len() < NONCE_LEN + 16 {
            return None;
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(aad(tenant, purpose)), &mut body).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

fn aad(tenant: Uuid, purpose: &str) -> Vec<u8> {
    let mut a = tenant.as_bytes().to_vec();
    a.extend_from_slice(purpose.as_bytes());
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "q6w1t7m4nV0pXo0pQ8rB2mYc5kLzN3sH9dFjG1aEw2U=";

    #[test]
    fn a_sealed_secret_opens_only_for_its_tenant_and_purpose() {
        let key = SecretsKey::from_base64(KEY).expect("key");
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let sealed = key.seal(a, "identity_provider:bundid", "s3cr3t");
        assert!(!sealed.windows(6).any(|w| w == b"s3cr3t"), "the plain text is not in the sealed bytes");
        assert_eq!(key.open(a, "identity_provider:bundid", &sealed).as_deref(), Some("s3cr3t"));
        assert_eq!(key.open(b, "identity_provider:bundid", &sealed), None, "another tenant");
        assert_eq!(key.open(a, "identity_provider:other", &sealed), None, "another provider");
        let mut altered = sealed.clone();
        if let Some(last) = altered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(key.open(a, "identity_provider:bundid", &altered), None, "altered bytes");
        let other = SecretsKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").expect("key");
        assert_eq!(other.open(a, "identity_provider:bundid", &sealed), None, "another key");
        assert_ne!(key.seal(a, "identity_provider:bundid", "s3cr3t"), sealed, "a fresh nonce each time");
    }

    #[test]
    fn keys_must_be_32_random_bytes() {
        assert_eq!(SecretsKey::from_base64("c2hvcnQ=").err(), Some(InvalidKey));
        assert_eq!(SecretsKey::from_base64("not base64!").err(), Some(InvalidKey));
        assert_eq!(SecretsKey::from_base64(&STANDARD.encode([0u8; 32])).err(), Some(InvalidKey));
    }
}
