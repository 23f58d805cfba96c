//! Arbitrary bytes as a form schema: parsing and checking must never panic, and a schema that
//! passes the check must survive a JSON round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portal_forms::FormSchema;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(schema) = FormSchema::from_json(text) {
        let again = FormSchema::from_json(&schema.to_json()).expect("a checked schema parses again");
        assert_eq!(schema, again);
    }
});
