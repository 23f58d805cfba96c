//! Document types and which service issues which: `tenants/catalogue/documents.toml`, part of the
//! base catalogue.

use std::collections::BTreeMap;

use portal_domain::Localized;
use serde::{Deserialize, Serialize};

/// The kinds of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Bewohnerparkausweis: plate, zone, valid from/to; also in the windscreen layout.
    ParkingPermit,
    /// Meldebescheinigung.
    Registration,
    /// A general Bescheid.
    Notice,
}

pub const KINDS: [Kind; 3] = [Kind::ParkingPermit, Kind::Registration, Kind::Notice];

impl Kind {
    pub fn code(self) -> u8 {
        match self {
            Kind::ParkingPermit => 1,
            Kind::Registration => 2,
            Kind::Notice => 3,
        }
    }
    pub fn from_code(c: u8) -> Option<Self> {
        KINDS.into_iter().find(|k| k.code() == c)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ParkingPermit => "parking_permit",
            Kind::Registration => "registration",
            Kind::Notice => "notice",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        KINDS.into_iter().find(|k| k.as_str() == s)
    }
    /// The first part of the document number.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::ParkingPermit => "BPA",
            Kind::Registration => "MB",
            Kind::Notice => "BS",
        }
    }
    /// Whether the document has a windscreen-sized layout.
    pub fn has_card(self) -> bool {
        self == Kind::ParkingPermit
    }
}

/// The facts a document carries; those of [`Fact::in_token`] are also in the QR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    Plate,
    Zone,
    Name,
    BirthDate,
    Address,
    Subject,
    Reference,
}

pub const FACTS: [Fact; 7] =
    [Fact::Plate, Fact::Zone, Fact::Name, Fact::BirthDate, Fact::Address, Fact::Subject, Fact::Reference];

impl Fact {
    pub fn code(self) -> u8 {
        match self {
            Fact::Plate => 1,
            Fact::Zone => 2,
            Fact::Name => 3,
            Fact::BirthDate => 4,
            Fact::Address => 5,
            Fact::Subject => 6,
            Fact::Reference => 7,
        }
    }
    pub fn from_code(c: u8) -> Option<Self> {
        FACTS.into_iter().find(|f| f.code() == c)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Fact::Plate => "plate",
            Fact::Zone => "zone",
            Fact::Name => "name",
            Fact::BirthDate => "birth_date",
            Fact::Address => "address",
            Fact::Subject => "subject",
            Fact::Reference => "reference",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        FACTS.into_iter().find(|f| f.as_str() == s)
    }
}

/// A fact of a document type: where its value comes from and whether the QR code carries it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactSource {
    pub fact: Fact,
    /// The form field (its display value); `name` takes given and family name, `subject` the
    /// service's name and `reference` the case's reference when no field is given.
    #[serde(default)]
    pub field: Option<String>,
    /// Whether a check compares it with the paper (and so the QR code carries it).
    #[serde(default)]
    pub check: bool,
}

/// What a service issues.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentType {
    pub service: String,
    pub kind: Kind,
    pub title: Localized,
    /// How long a document is valid, in months.
    pub valid_months: u8,
    /// Issued by itself when the case is approved and its fee paid (a tenant may switch it off).
    #[serde(default)]
    pub auto_issue: bool,
    /// The service that renews it (the "Verlängern" link), if any.
    #[serde(default)]
    pub renewal: Option<String>,
    /// This service renews the documents of that service (prefill and continued validity).
    #[serde(default)]
    pub renews: Option<String>,
    /// Days before the end the holder is reminded (a tenant may change it).
    #[serde(default = "default_reminder")]
    pub reminder_days: i32,
    pub facts: Vec<FactSource>,
    /// Printed under the facts.
    pub note: Localized,
}

fn default_reminder() -> i32 {
    28
}

/// Every document type, by service.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    by_service: BTreeMap<String, DocumentType>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "type")]
    types: Vec<DocumentType>,
}

/// Why the catalogue of document types was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("documents.toml: {0}")]
    Toml(String),
    #[error("documents.toml: {0}")]
    Invalid(String),
}

impl Catalogue {
    pub fn parse(text: &str) -> Result<Self, CatalogueError> {
        let file: File = toml::from_str(text).map_err(|e| CatalogueError::Toml(e.to_string()))?;
        let mut by_service = BTreeMap::new();
        for t in file.types {
            if t.valid_months == 0 || t.valid_months > 120 {
                return Err(CatalogueError::Invalid(format!("{}: valid_months must be 1 to 120", t.service)));
            }
            if !(1..=365).contains(&t.reminder_days) {
                return Err(CatalogueError::Invalid(format!("{}: reminder_days must be 1 to 365", t.service)));
            }
            if t.facts.iter().filter(|f| f.check).count() == 0 {
                return Err(CatalogueError::Invalid(format!("{}: at least one fact must be checked", t.service)));
            }
            if by_service.insert(t.service.clone(), t).is_some() {
                return Err(CatalogueError::Invalid("a service is listed twice".into()));
            }
        }
        for t in by_service.values() {
            for other in [&t.renewal, &t.renews].into_iter().flatten() {
                if !by_service.contains_key(other) {
                    return Err(CatalogueError::Invalid(format!("{}: {other} has no document type", t.service)));
                }
            }
        }
        Ok(Self { by_service })
    }

    pub fn for_service(&self, slug: &str) -> Option<&DocumentType> {
        self.by_service.get(slug)
    }

    pub fn all(&self) -> impl Iterator<Item = &DocumentType> {
        self.by_service.values()
    }
}
