//! FIM import: an XDatenfelder document (versions 1, 2 and 3) becomes a draft form schema.
//!
//! The Stammdatenschema's groups become pages, groups that repeat (by their Multiplizität) become
//! repeatable groups, Datenfelder become typed fields with their lengths, ranges, options, labels
//! and help texts, and each field keeps its FIM identifier and version. What cannot be mapped (a
//! rule written as free text or script, a code list the document does not carry, a field not meant
//! for input) is listed in the report next to the field it belongs to, never dropped silently.
//! Broken or foreign XML is an error that says what it is.

mod ids;
pub mod map;
pub mod model;

use portal_forms::FormSchema;
use serde::Serialize;

pub use model::XdfVersion;

/// Why a document was not imported. Each variant carries what its message (in German and English,
/// `forms.error_import_*`) needs; the English details of the XML parser are for the log only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not well-formed XML at line {line}, column {column}: {detail}")]
    Xml { line: u32, column: u32, detail: String },
    /// A document type declaration (`<!DOCTYPE …>`): refused whole (entity expansion, external
    /// entities), never parsed.
    #[error("the file has a document type declaration (DTD), which is not accepted")]
    Dtd,
    #[error("not an XDatenfelder document: root element {root} in namespace {namespace:?}")]
    Foreign { root: String, namespace: Option<String> },
    #[error("the XDatenfelder message {root} carries no Stammdatenschema, Datenfeldgruppe or Datenfeld")]
    NoSchema { root: String },
    #[error("groups nested deeper than {0} levels")]
    GroupsTooDeep(usize),
    #[error("the XDatenfelder document cannot become a form: {0}")]
    Invalid(String),
    #[error("the file is larger than 8 MB")]
    TooLarge,
    #[error("the file is nested too deeply or has too many elements: {0}")]
    TooComplex(portal_domain::xml::XmlBoundError),
}

/// How a report entry weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Taken over in another form (a label as help text, an optional group's fields not required).
    Adjusted,
    /// Not taken over: the editor has to decide (rules, missing code lists, patterns).
    Unmapped,
}

/// One line of the import report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub fim_id: String,
    pub fim_version: String,
    /// The schema field it belongs to, when there is one.
    pub field: Option<String>,
    pub severity: Severity,
    pub message: portal_domain::Localized,
}

/// An imported draft.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub xdf: XdfVersion,
    pub fim_id: String,
    pub fim_version: String,
    pub name: String,
    pub schema: FormSchema,
    pub report: Vec<Note>,
}

/// Imports a document.
pub fn import(xml: &str) -> Result<Import, ImportError> {
    let doc = model::parse(xml)?;
    let (schema, report) = map::map(&doc)?;
    Ok(Import {
        xdf: doc.xdf,
        fim_id: doc.root.ident.id.clone(),
        fim_version: doc.root.ident.version.clone(),
        name: doc.root.label.clone(),
        schema,
        report,
    })
}

#[cfg(test)]
mod tests;
