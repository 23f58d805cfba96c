//! Forms as data.
//!
//! A [`FormSchema`] is written once per catalogue service (and may be overridden by a tenant). The
//! same schema drives the citizen form (rendered on the server, checked instantly in the browser),
//! the authoritative validation on the server, the staff's case view, the PDF receipt and the export.
//! This crate is pure code without I/O so that the browser runs the very same checks.

pub mod answers;
pub mod display;
pub mod edit;
pub mod files;
pub mod prefill;
// the server checks patterns; the browser only reads checked schemas
pub mod problem;
#[cfg(not(target_arch = "wasm32"))]
pub mod redos;
pub mod schema;
pub mod validate;

pub use answers::{Answers, FileRef, Value};
pub use problem::{Issue, Problem};
pub use schema::{Field, FormSchema, Kind, Page, SchemaError};

/// Entry point of the fuzz targets (and of the property tests): parse arbitrary bytes as a schema
/// and as answers, and validate the one against the other. Must never panic.
pub fn fuzz_one(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (schema_part, answers_part) = text.split_once('\u{1}').unwrap_or((&text, "{}"));
    let schema = FormSchema::from_json(schema_part).ok();
    let answers: Option<Answers> = serde_json::from_str(answers_part).ok();
    if let (Some(schema), Some(mut answers)) = (schema, answers) {
        let _ = validate::check_all(&schema, &mut answers, (2026, 11, 22));
        let _ = answers::retain_visible(&schema, &answers);
    }
    if let Some(kind) = files::sniff(data) {
        let _ = files::strip_metadata(kind, data);
    }
}
