use proptest::prelude::*;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use time::macros::date;

use super::*;

fn pair() -> Ed25519KeyPair {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
    Ed25519KeyPair::from_pkcs8(doc.as_ref()).expect("pair")
}

fn permit() -> Claims {
    Claims {
        kind: Kind::ParkingPermit,
        number: "BPA-2026-7K3Q-9XW2".into(),
        valid_from: date!(2026 - 12 - 01),
        valid_until: date!(2027 - 11 - 30),
        facts: vec![(Fact::Plate, "KL-AB 123".into()), (Fact::Zone, "Zone A – Innenstadt".into())],
    }
}

fn set(keys: &[&Ed25519KeyPair]) -> Vec<(Kid, Vec<u8>)> {
    keys.iter().map(|k| (kid_of(k.public_key().as_ref()), k.public_key().as_ref().to_vec())).collect()
}

fn check(text: &str, keys: &[(Kid, Vec<u8>)]) -> Result<(Kid, Claims), Refused> {
    verify(text, keys.iter().map(|(k, p)| (k, p.as_slice())))
}

#[test]
fn a_signed_token_verifies_to_its_claims_and_is_compact() {
    let key = pair();
    let text = sign(&key, &permit()).expect("sign");
    assert!(text.len() < 200, "{} characters", text.len());
    assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "URL-safe");
    let (kid, claims) = check(&text, &set(&[&key])).expect("verifies");
    assert_eq!(claims, permit());
    assert_eq!(kid, kid_of(key.public_key().as_ref()));
}

#[test]
fn every_changed_byte_is_refused() {
    let key = pair();
    let text = sign(&key, &permit()).expect("sign");
    let bytes = URL_SAFE_NO_PAD.decode(&text).expect("b64");
    let keys = set(&[&key]);
    for i in 0..bytes.len() {
        for bit in [1u8, 0x80] {
            let mut changed = bytes.clone();
            changed[i] ^= bit;
            let r = check(&URL_SAFE_NO_PAD.encode(&changed), &keys);
            assert!(r.is_err(), "byte {i} bit {bit} accepted");
        }
    }
}

#[test]
fn an_unknown_key_is_refused_and_another_tenants_token_finds_no_key() {
    let (ours, theirs) = (pair(), pair());
    let text = sign(&theirs, &permit()).expect("sign");
    assert_eq!(check(&text, &set(&[&ours])), Err(Refused::UnknownKey));
    // a forger who copies our kid into a token signed by their key
    let mut bytes = URL_SAFE_NO_PAD.decode(&text).expect("b64");
    bytes[1..9].copy_from_slice(&kid_of(ours.public_key().as_ref()));
    assert_eq!(check(&URL_SAFE_NO_PAD.encode(&bytes), &set(&[&ours])), Err(Refused::BadSignature));
}

#[test]
fn after_rotation_old_tokens_keep_verifying_with_the_old_key_in_the_set() {
    let (old, new) = (pair(), pair());
    let before = sign(&old, &permit()).expect("sign");
    let after = sign(&new, &permit()).expect("sign");
    let keys = set(&[&new, &old]);
    assert!(check(&before, &keys).is_ok());
    assert!(check(&after, &keys).is_ok());
    assert_eq!(check(&before, &set(&[&new])), Err(Refused::UnknownKey), "once the old key is gone");
}

#[test]
fn validity_by_day_and_revocation() {
    let c = permit();
    assert_eq!(Validity::of(&c, date!(2026 - 11 - 30), false), Validity::NotYetValid);
    assert_eq!(Validity::of(&c, date!(2026 - 12 - 01), false), Validity::Valid);
    assert_eq!(Validity::of(&c, date!(2027 - 11 - 30), false), Validity::Valid, "the last day counts");
    assert_eq!(Validity::of(&c, date!(2027 - 12 - 01), false), Validity::Expired);
    assert_eq!(Validity::of(&c, date!(2027 - 01 - 01), true), Validity::Revoked);
}

#[test]
fn malformed_text_is_refused_without_panicking() {
    let keys = set(&[&pair()]);
    for text in ["", "!!!", "AAAA", &"A".repeat(5000), "QUJD\u{00e4}"] {
        assert_eq!(check(text, &keys).err(), Some(Refused::Malformed), "{text:.20}");
    }
}

#[test]
fn claims_that_cannot_be_encoded_are_refused_before_signing() {
    let key = pair();
    let mut c = permit();
    c.valid_until = date!(2200 - 01 - 01);
    assert_eq!(sign(&key, &c), Err(Unencodable::Date));
    let mut c = permit();
    c.facts[0].1 = "x".repeat(300);
    assert_eq!(sign(&key, &c), Err(Unencodable::Length));
    let mut c = permit();
    c.number = "BPA-ü".into();
    assert_eq!(sign(&key, &c), Err(Unencodable::Number));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// No input but the signed bytes verifies: random strings, random bytes, and the genuine
    /// token with any bytes changed, cut or appended.
    #[test]
    fn no_other_input_verifies(noise in proptest::collection::vec(any::<u8>(), 0..200), at in any::<usize>(), cut in any::<bool>(), text in ".{0,200}") {
        let key = pair();
        let genuine = sign(&key, &permit()).expect("sign");
        let keys = set(&[&key]);
        prop_assert!(check(&text, &keys).is_err() || text.trim() == genuine);
        prop_assert!(check(&URL_SAFE_NO_PAD.encode(&noise), &keys).is_err());
        let mut bytes = URL_SAFE_NO_PAD.decode(&genuine).expect("b64");
        if !noise.is_empty() {
            if cut {
                bytes.truncate(at % bytes.len());
            } else {
                let i = at % bytes.len();
                let mut changed = false;
                for (j, b) in noise.iter().enumerate() {
                    let k = (i + j) % bytes.len();
                    changed |= bytes[k] != *b;
                    bytes[k] = *b;
                }
                prop_assume!(changed);
            }
            prop_assert!(check(&URL_SAFE_NO_PAD.encode(&bytes), &keys).is_err());
        }
    }

    /// What is signed reads back as it was.
    #[test]
    fn claims_round_trip(plate in "[A-ZÄÖÜ]{1,3}-[A-Z]{1,2} [1-9][0-9]{0,3}", zone in ".{1,60}", from in 0u16..60000, len in 0u16..3000) {
        let key = pair();
        let c = Claims {
            kind: Kind::ParkingPermit,
            number: "BPA-2026-0000-0000".into(),
            valid_from: date(from),
            valid_until: date(from.saturating_add(len)),
            facts: vec![(Fact::Plate, plate), (Fact::Zone, zone)],
        };
        let text = sign(&key, &c).expect("sign");
        prop_assert_eq!(check(&text, &set(&[&key])).expect("verifies").1, c);
    }
}

#[test]
fn the_fingerprint_hashes_the_whole_token_not_the_number() {
    let key = pair();
    let text = sign(&key, &permit()).expect("sign");
    let bytes = URL_SAFE_NO_PAD.decode(&text).expect("base64url");
    let expected: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(fingerprint(&text).as_deref(), Some(expected.as_str()));
    let of_number: String = Sha256::digest(permit().number.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_ne!(fingerprint(&text), Some(of_number), "not the number's hash");
    // the same claims signed by another key are another document
    assert_ne!(fingerprint(&text), fingerprint(&sign(&pair(), &permit()).expect("sign")));
    assert_eq!(fingerprint("not base64!"), None);
}
