//! The form schema: pages of fields, written as data (TOML in the catalogue, JSON in the database
//! and in exports) and checked once when loaded, so that rendering and validation can trust it.

use std::collections::HashSet;

use portal_domain::{Lang, Localized};
use serde::{Deserialize, Serialize};
mod check;
use check::*;

/// A versioned form. `version` is the author's version of the form; every stored answer set names
/// it together with the hash of the schema it was filed under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSchema {
    pub version: u32,
    /// Whether citizens without an account may apply (with an e-mail address).
    #[serde(default)]
    pub guest: bool,
    pub pages: Vec<Page>,
}

/// One page (section) of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub id: String,
    pub title: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    pub fields: Vec<Field>,
}

/// The kinds of field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Textarea,
    Number,
    Date,
    Email,
    Phone,
    Iban,
    /// Postcode and town (parts `postcode`, `town`).
    PostcodeTown,
    /// Street with house number, postcode and town (parts `street`, `postcode`, `town`).
    Address,
    Select,
    Radio,
    /// With options: several may be chosen. Without: one box to tick (a declaration).
    Checkbox,
    YesNo,
    File,
    /// A repeatable group of fields (children in `fields`).
    Group,
}

impl Kind {
    /// The parts of a composite field.
    pub fn parts(self) -> &'static [&'static str] {
        match self {
            Kind::PostcodeTown => &["postcode", "town"],
            Kind::Address => &["street", "postcode", "town"],
            _ => &[],
        }
    }
}

/// Where a prefilled value comes from in the Bürgerkonto profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrefillKey {
    GivenName,
    FamilyName,
    BirthDate,
    Email,
    Phone,
    Street,
    Postcode,
    Town,
    /// The whole address (street, postcode, town).
    Address,
}

/// What the tenant's street directory checks of a field (the check needs the database, so the
/// server runs it beside the form's own checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryRule {
    /// An address field: the address must be in the tenant's street directory (where it has one).
    InTown,
    /// A select of residents' parking zones: the zone follows from the form's `in_town` address
    /// where the directory maps its street to one.
    ParkingZone,
}

/// A date rule relative to the day of validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateRule {
    /// Today or earlier (birth dates).
    Past,
    /// Today or later (a pick-up date).
    Future,
}

/// Types of attachment recognised by their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
}

impl FileType {
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Png => "PNG",
            FileType::Jpeg => "JPEG",
        }
    }
    pub fn from_mime(mime: &str) -> Option<Self> {
        [FileType::Pdf, FileType::Png, FileType::Jpeg].into_iter().find(|t| t.mime() == mime)
    }
}

/// A regular expression with the message shown when a value does not match it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub regex: String,
    pub message: Localized,
}

/// A choice of a select, radio or checkbox field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: String,
    pub label: Localized,
}

/// Shows a field or page only when another field has a value: `equals` one value, or is
/// `any_of` several, or (`not_equals`) differs from one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<String>,
}

impl Condition {
    /// Whether the controlling field's value(s) satisfy the condition.
    pub fn holds(&self, values: &[&str]) -> bool {
        if let Some(e) = &self.equals {
            return values.iter().any(|v| v == e);
        }
        if !self.any_of.is_empty() {
            return values.iter().any(|v| self.any_of.iter().any(|a| a == v));
        }
        if let Some(n) = &self.not_equals {
            return !values.is_empty() && values.iter().all(|v| v != n && !v.is_empty());
        }
        false
    }
}

/// One field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub label: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Localized>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Whole numbers only (number fields).
    #[serde(default)]
    pub integer: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<DateRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<PrefillKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// An example value, shown as a hint ("z. B. …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// File fields: largest file in KiB, accepted types (default: PDF, PNG, JPEG), most files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_kb: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<FileType>,
    /// Children of a group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Groups: fewest and most entries; file fields: most files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
    /// Where the field comes from in a FIM schema (XDatenfelder), for traceability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fim: Option<FimRef>,
    /// Checked against the tenant's street directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<DirectoryRule>,
}

/// A FIM element (Datenfeld or Datenfeldgruppe) by its identifier and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FimRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
}

/// Default largest attachment (KiB).
pub const DEFAULT_MAX_KB: u32 = 5 * 1024;
/// Hard ceiling for any attachment (KiB); the upload route's body limit follows from it.
pub const MAX_KB_CEILING: u32 = 10 * 1024;
/// Most entries of a group when the schema sets none.
pub const DEFAULT_MAX_ITEMS: u32 = 10;
/// Longest label, help, option or message text of a schema.
pub const MAX_TEXT: usize = 2000;
/// Most options of a field.
pub const MAX_OPTIONS: usize = 300;
/// Largest min_length/max_length a schema may set.
pub const MAX_LENGTH_CEILING: u32 = 100_000;
/// Most entries of a group (or files of a field) a schema may ask for.
pub const MAX_ITEMS_CEILING: u32 = 100;
/// Longest text when the schema sets none.
pub const DEFAULT_MAX_LENGTH: u32 = 500;
/// Longest multi-line text when the schema sets none.
pub const DEFAULT_MAX_TEXTAREA: u32 = 4000;

impl Field {
    /// A field with nothing but its id, kind and label (the builder's new fields, an import's).
    pub fn new(id: String, kind: Kind, label: Localized) -> Self {
        Field {
            id,
            kind,
            label,
            help: None,
            required: false,
            min_length: None,
            max_length: None,
            min: None,
            max: None,
            integer: false,
            date: None,
            pattern: None,
            options: vec![],
            prefill: None,
            show_if: None,
            example: None,
            max_kb: None,
            accept: vec![],
            fields: vec![],
            min_items: None,
            max_items: None,
            fim: None,
            directory: None,
        }
    }

    pub fn accepted(&self) -> Vec<FileType> {
        if self.accept.is_empty() { vec![FileType::Pdf, FileType::Png, FileType::Jpeg] } else { self.accept.clone() }
    }
    pub fn max_bytes(&self) -> u64 {
        u64::from(self.max_kb.unwrap_or(DEFAULT_MAX_KB).min(MAX_KB_CEILING)) * 1024
    }
    pub fn max_files(&self) -> u32 {
        self.max_items.unwrap_or(1).max(1)
    }
    pub fn max_entries(&self) -> u32 {
        self.max_items.unwrap_or(DEFAULT_MAX_ITEMS).max(1)
    }
    pub fn max_len(&self) -> u32 {
        self.max_length.unwrap_or(if self.kind == Kind::Textarea { DEFAULT_MAX_TEXTAREA } else { DEFAULT_MAX_LENGTH })
    }
    /// The label of a choice's value.
    pub fn choice_label(&self, value: &str, lang: Lang) -> Option<String> {
        if self.kind == Kind::YesNo {
            return match value {
                "ja" => Some(crate::problem::yes_no(true, lang).to_owned()),
                "nein" => Some(crate::problem::yes_no(false, lang).to_owned()),
                _ => None,
            };
        }
        self.options.iter().find(|c| c.value == value).map(|c| c.label.get(lang).to_owned())
    }
}

/// What is wrong with a schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("not a form schema: {0}")]
    Syntax(String),
    #[error("{0}")]
    Invalid(String),
}

fn bad(msg: String) -> SchemaError {
    SchemaError::Invalid(msg)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && id.as_bytes()[0].is_ascii_lowercase()
}

fn texts(what: &str, t: &Localized) -> Result<(), SchemaError> {
    if t.de.trim().is_empty() || t.en.trim().is_empty() {
        return Err(bad(format!("{what} needs a German and an English text")));
    }
    if t.de.chars().count() > MAX_TEXT || t.en.chars().count() > MAX_TEXT {
        return Err(bad(format!("{what} is longer than {MAX_TEXT} characters")));
    }
    Ok(())
}

impl FormSchema {
    /// Parses and checks a schema stored as JSON.
    pub fn from_json(json: &str) -> Result<Self, SchemaError> {
        let schema: Self = serde_json::from_str(json).map_err(|e| SchemaError::Syntax(e.to_string()))?;
        schema.check()?;
        Ok(schema)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Every top-level field of every page, in order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.pages.iter().flat_map(|p| p.fields.iter())
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|f| f.id == id)
    }

    pub fn page(&self, id: &str) -> Option<(usize, &Page)> {
        self.pages.iter().enumerate().find(|(_, p)| p.id == id)
    }

    /// Checks what serde cannot: unique ids, conditions that name earlier fields, choices, patterns,
    /// ranges and texts in both languages.
    pub fn check(&self) -> Result<(), SchemaError> {
        if self.pages.is_empty() {
            return Err(bad("a form needs at least one page".into()));
        }
        if self.pages.len() > 30 {
            return Err(bad("a form has at most 30 pages".into()));
        }
        let mut page_ids = HashSet::new();
        let mut seen: Vec<&Field> = Vec::new();
        for page in &self.pages {
            if !valid_id(&page.id) || !page_ids.insert(page.id.as_str()) {
                return Err(bad(format!("page id `{}` is invalid or used twice", page.id)));
            }
            texts(&format!("page `{}` title", page.id), &page.title)?;
            if let Some(c) = &page.show_if {
                check_condition(&format!("page `{}`", page.id), c, &seen)?;
            }
            if page.fields.is_empty() {
                return Err(bad(format!("page `{}` has no fields", page.id)));
            }
            for field in &page.fields {
                if seen.iter().any(|f| f.id == field.id) {
                    return Err(bad(format!("field id `{}` is used twice", field.id)));
                }
                check_field(field, &seen, false)?;
                seen.push(field);
            }
        }
        if self.guest
            && !self.pages.iter().flat_map(|p| p.fields.iter()).any(|f| {
                f.kind == Kind::Email
                    && f.prefill == Some(PrefillKey::Email)
                    && f.required
                    && f.show_if.is_none()
                    && self.pages.iter().find(|p| p.fields.contains(f)).is_some_and(|p| p.show_if.is_none())
            })
        {
            return Err(bad(
                "a form open to guests needs a required e-mail field (prefill = \"email\") that is always shown".into(),
            ));
        }
        // a group's fields count too: they are what a citizen fills in
        if seen.len() + seen.iter().map(|f| f.fields.len()).sum::<usize>() > 200 {
            return Err(bad("a form has at most 200 fields".into()));
        }
        Ok(())
    }
}
