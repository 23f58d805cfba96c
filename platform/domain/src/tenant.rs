//! Identifiers and attributes of tenants (Kommunen) and catalogue services.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The id of a tenant. Every tenant-owned row carries it as the first column of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub Uuid);

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The kind of Kommune. A Kreis contains Ämter and Städte; an Amt administers member Gemeinden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantKind {
    Stadt,
    Gemeinde,
    Amt,
    Kreis,
}

impl TenantKind {
    pub const ALL: [TenantKind; 4] = [TenantKind::Kreis, TenantKind::Amt, TenantKind::Stadt, TenantKind::Gemeinde];

    /// The value stored in the database and used in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantKind::Stadt => "stadt",
            TenantKind::Gemeinde => "gemeinde",
            TenantKind::Amt => "amt",
            TenantKind::Kreis => "kreis",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether a tenant of this kind may sit under a parent of kind `parent`.
    pub fn may_have_parent(self, parent: TenantKind) -> bool {
        matches!(
            (self, parent),
            (TenantKind::Gemeinde | TenantKind::Stadt, TenantKind::Amt | TenantKind::Kreis)
                | (TenantKind::Amt, TenantKind::Kreis)
        )
    }
}

/// Whether a tenant's portal is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    Active,
    /// The portal shows a maintenance page; staff and data are kept.
    Suspended,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }
}

/// Why a slug was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid slug: use 2–64 characters a-z, 0-9 and inner hyphens")]
pub struct SlugError(pub String);

fn parse_slug(s: &str) -> Result<String, SlugError> {
    let ok = (2..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok { Ok(s.to_owned()) } else { Err(SlugError(s.to_owned())) }
}

macro_rules! slug_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, SlugError> {
                parse_slug(s).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

slug_type!(
    /// The stable, URL-safe key of a catalogue service, e.g. `meldebescheinigung`.
    ServiceSlug
);
slug_type!(
    /// The stable, URL-safe key of a tenant, e.g. `kaiserslautern`.
    TenantSlug
);

/// A 14-digit key of the Leistungskatalog der öffentlichen Verwaltung (LeiKa).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LeikaKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a LeiKa key: exactly 14 digits")]
pub struct LeikaKeyError(pub String);

impl LeikaKey {
    pub fn parse(s: &str) -> Result<Self, LeikaKeyError> {
        if s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(LeikaKeyError(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for LeikaKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A colour as `#rrggbb` (lower-case), the only form the portal's theming accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Colour(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a colour: use the form #1a5fb4")]
pub struct ColourError(pub String);

impl Colour {
    pub fn parse(s: &str) -> Result<Self, ColourError> {
        let t = s.trim();
        let hex = t.strip_prefix('#').unwrap_or("");
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(t.to_ascii_lowercase()))
        } else {
            Err(ColourError(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn channel(&self, i: usize) -> f64 {
        let v = u8::from_str_radix(&self.0[1 + 2 * i..3 + 2 * i], 16).unwrap_or(0);
        let c = f64::from(v) / 255.0;
        if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    }

    /// WCAG relative luminance.
    pub fn luminance(&self) -> f64 {
        0.2126 * self.channel(0) + 0.7152 * self.channel(1) + 0.0722 * self.channel(2)
    }

    /// WCAG contrast ratio against another colour (1.0 to 21.0).
    pub fn contrast(&self, other: &Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

impl Default for Colour {
    /// KERN's action blue.
    fn default() -> Self {
        Self("#0b4ea2".to_owned())
    }
}

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_and_measure_contrast() {
        assert_eq!(Colour::parse("#1A5FB4").expect("valid").as_str(), "#1a5fb4");
        assert!(Colour::parse("1a5fb4").is_err());
        assert!(Colour::parse("#12345g").is_err());
        let white = Colour::parse("#ffffff").expect("valid");
        let black = Colour::parse("#000000").expect("valid");
        assert!((white.contrast(&black) - 21.0).abs() < 0.01);
    }

    #[test]
    fn slugs_and_leika_keys() {
        assert!(ServiceSlug::parse("meldebescheinigung").is_ok());
        assert!(ServiceSlug::parse("Melde").is_err());
        assert!(ServiceSlug::parse("a--b").is_err());
        assert!(LeikaKey::parse("99115002000000").is_ok());
        assert!(LeikaKey::parse("9911500200000").is_err());
    }

    #[test]
    fn hierarchy_rules() {
        assert!(TenantKind::Gemeinde.may_have_parent(TenantKind::Amt));
        assert!(TenantKind::Amt.may_have_parent(TenantKind::Kreis));
        assert!(!TenantKind::Kreis.may_have_parent(TenantKind::Amt));
        assert!(!TenantKind::Amt.may_have_parent(TenantKind::Gemeinde));
    }
}
