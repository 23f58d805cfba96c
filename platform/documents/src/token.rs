//! The token in the QR code: what a check needs, signed with the tenant's Ed25519 key.
//!
//! Binary layout (version 1), then base64url without padding:
//!
//! ```text
//! version u8 = 1 | kid [8] | kind u8 | valid_from u16 | valid_until u16 | number: len u8, ASCII
//! | facts: count u8, then (code u8, len u8, UTF-8)* | signature [64] over everything before
//! ```
//!
//! Dates are days since 1970-01-01 (big-endian; `valid_until` is the last valid day). The kid is
//! the first 8 bytes of SHA-256 over the public key, so a token names its key without naming the
//! tenant, and a token of one tenant finds no key on another tenant's host. The facts are only
//! those a check compares with the paper (a parking permit's plate and zone); nothing else about
//! the holder is in the code.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sha2::{Digest, Sha256};
use time::{Date, Duration};

use crate::types::{Fact, Kind};

pub const VERSION: u8 = 1;
pub const KID_LEN: usize = 8;
pub const SIGNATURE_LEN: usize = 64;
/// Longest token text accepted before decoding (a token is ~150 characters).
pub const MAX_TEXT: usize = 1024;
const EPOCH: Date = time::macros::date!(1970 - 01 - 01);

/// A key id: derived from the public key.
pub type Kid = [u8; KID_LEN];

pub fn kid_of(public_key: &[u8]) -> Kid {
    let digest = Sha256::digest(public_key);
    let mut kid = [0u8; KID_LEN];
    kid.copy_from_slice(&digest[..KID_LEN]);
    kid
}

pub fn kid_hex(kid: &Kid) -> String {
    kid.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub kind: Kind,
    pub number: String,
    pub valid_from: Date,
    pub valid_until: Date,
    pub facts: Vec<(Fact, String)>,
}

/// Why a token was not accepted. Every one of them means "not genuine" to the person checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not a token")]
    Malformed,
    #[error("no such key")]
    UnknownKey,
    #[error("the signature does not match")]
    BadSignature,
}

/// Why claims cannot be put into a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unencodable {
    #[error("a date outside 1970 to 2149")]
    Date,
    #[error("the number or a fact is longer than 255 bytes, or there are more than 255 facts")]
    Length,
    #[error("the document number is not ASCII")]
    Number,
}

fn day(d: Date) -> Result<u16, Unencodable> {
    u16::try_from((d - EPOCH).whole_days()).map_err(|_| Unencodable::Date)
}

fn date(days: u16) -> Date {
    EPOCH + Duration::days(i64::from(days))
}

fn short(bytes: &[u8]) -> Result<u8, Unencodable> {
    u8::try_from(bytes.len()).map_err(|_| Unencodable::Length)
}

/// The signed part of a token.
pub fn payload(kid: &Kid, c: &Claims) -> Result<Vec<u8>, Unencodable> {
    if !c.number.is_ascii() {
        return Err(Unencodable::Number);
    }
    let mut out = Vec::with_capacity(64 + c.number.len());
    out.push(VERSION);
    out.extend_from_slice(kid);
    out.push(c.kind.code());
    out.extend_from_slice(&day(c.valid_from)?.to_be_bytes());
    out.extend_from_slice(&day(c.valid_until)?.to_be_bytes());
    out.push(short(c.number.as_bytes())?);
    out.extend_from_slice(c.number.as_bytes());
    out.push(u8::try_from(c.facts.len()).map_err(|_| Unencodable::Length)?);
    for (fact, value) in &c.facts {
        out.push(fact.code());
        out.push(short(value.as_bytes())?);
        out.extend_from_slice(value.as_bytes());
    }
    Ok(out)
}

/// Signs claims with a key pair: the token's text.
pub fn sign(key: &Ed25519KeyPair, c: &Claims) -> Result<String, Unencodable> {
    let kid = kid_of(key.public_key().as_ref());
    let mut bytes = payload(&kid, c)?;
    let signature = key.sign(&bytes);
    bytes.extend_from_slice(signature.as_ref());
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A byte reader that fails on running out.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Refused> {
        if self.0.len() < n {
            return Err(Refused::Malformed);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn byte(&mut self) -> Result<u8, Refused> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, Refused> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn text(&mut self) -> Result<String, Refused> {
        let n = self.byte()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| Refused::Malformed)
    }
}

/// Reads a token's parts without checking the signature: (kid, claims, signed bytes, signature).
pub fn parse(text: &str) -> Result<(Kid, Claims, Vec<u8>, Vec<u8>), Refused> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_TEXT {
        return Err(Refused::Malformed);
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| Refused::Malformed)?;
    if bytes.len() < SIGNATURE_LEN + 1 {
        return Err(Refused::Malformed);
    }
    let (signed, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
    let mut r = Reader(signed);
    if r.byte()? != VERSION {
        return Err(Refused::Malformed);
    }
    let mut kid = [0u8; KID_LEN];
    kid.copy_from_slice(r.take(KID_LEN)?);
    let kind = Kind::from_code(r.byte()?).ok_or(Refused::Malformed)?;
    let valid_from = date(r.u16()?);
    let valid_until = date(r.u16()?);
    let number = r.text()?;
    if !number.is_ascii() {
        return Err(Refused::Malformed);
    }
    let count = r.byte()?;
    let mut facts = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let fact = Fact::from_code(r.byte()?).ok_or(Refused::Malformed)?;
        facts.push((fact, r.text()?));
    }
    if !r.0.is_empty() {
        return Err(Refused::Malformed);
    }
    Ok((kid, Claims { kind, number, valid_from, valid_until, facts }, signed.to_vec(), signature.to_vec()))
}

/// The token's fingerprint: SHA-256 over its decoded bytes (everything signed and the signature),
/// hex. What the revocation list publishes and the register compares: it names one document
/// without naming its number, and cannot be turned back into anything (the 64 bytes of signature
/// in it are not guessable). `None` if the text is not base64url.
pub fn fingerprint(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_TEXT {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    Some(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// Verifies a token against a key set: the claims if a key of the set signed exactly these bytes.
/// `keys` yields (kid, raw 32-byte public key); retired keys stay in the set and keep verifying.
pub fn verify<'k>(text: &str, keys: impl IntoIterator<Item = (&'k Kid, &'k [u8])>) -> Result<(Kid, Claims), Refused> {
    let (kid, claims, signed, signature) = parse(text)?;
    let public = keys.into_iter().find(|(k, _)| **k == kid).map(|(_, p)| p).ok_or(Refused::UnknownKey)?;
    UnparsedPublicKey::new(&ED25519, public).verify(&signed, &signature).map_err(|_| Refused::BadSignature)?;
    Ok((kid, claims))
}

/// Where a genuine document stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Valid,
    NotYetValid,
    Expired,
    Revoked,
}

impl Validity {
    pub fn of(c: &Claims, today: Date, revoked: bool) -> Self {
        if revoked {
            Validity::Revoked
        } else if today < c.valid_from {
            Validity::NotYetValid
        } else if today > c.valid_until {
            Validity::Expired
        } else {
            Validity::Valid
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Validity::Valid => "valid",
            Validity::NotYetValid => "not_yet_valid",
            Validity::Expired => "expired",
            Validity::Revoked => "revoked",
        }
    }
}

#[cfg(test)]
mod tests;
