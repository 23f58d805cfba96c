//! The leptos UI.
//!
//! Pages are components rendered to complete HTML on the server (they work without JavaScript);
//! interactive parts are islands (`#[island]`), the only code shipped to the browser as wasm.
//! Server-only modules (pages, translations) are behind the `ssr` feature so that the wasm build
//! contains nothing but the islands.

#![recursion_limit = "512"]

#[cfg(feature = "ssr")]
pub mod appointments;
pub mod form_fields;
pub mod islands;
pub mod links;

#[cfg(feature = "ssr")]
pub mod block_pages;
#[cfg(feature = "ssr")]
pub mod blocks;
#[cfg(feature = "ssr")]
pub mod console;
#[cfg(feature = "ssr")]
pub mod documents;
#[cfg(feature = "ssr")]
pub mod filters;
#[cfg(feature = "ssr")]
pub mod form;
#[cfg(feature = "ssr")]
pub mod i18n;
#[cfg(feature = "ssr")]
pub mod layout;
#[cfg(feature = "ssr")]
pub mod map;
#[cfg(feature = "ssr")]
pub mod payments;
#[cfg(feature = "ssr")]
pub mod portal;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod server_api;
#[cfg(feature = "ssr")]
pub mod widget;

/// Renders a page to a complete HTML document.
#[cfg(feature = "ssr")]
pub fn render_document<V: leptos::prelude::IntoView + 'static>(page: impl FnOnce() -> V) -> String {
    use leptos::prelude::*;
    let owner = Owner::new();
    let html = owner.with(|| page().to_html());
    format!("<!DOCTYPE html>{html}")
}
