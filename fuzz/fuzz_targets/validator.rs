//! Arbitrary schema + answers (separated by a 0x01 byte) and arbitrary uploads: validation,
//! visibility, display and the attachment cleaner must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    portal_forms::fuzz_one(data);
});
