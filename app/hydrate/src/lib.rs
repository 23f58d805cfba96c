//! The wasm entry point. It links the islands of `portal-ui` and starts the reactive runtime; the
//! loader script (`islands.js`) then hydrates each `<leptos-island>` on the page.

// Without this the islands are dropped from the wasm and silently never hydrate.
extern crate portal_ui;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
