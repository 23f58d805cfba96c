//! The pieces of the two-factor login's pages: the QR code to set up an authenticator app, and the
//! recovery codes shown once.

use leptos::prelude::*;

/// A QR code as SVG: `path` holds the dark modules (one unit per module) of a square of `side`
/// modules, drawn with its quiet zone of four; `label` says what it is.
pub fn qr_view(path: String, side: usize, label: String) -> impl IntoView {
    let view_box = format!("-4 -4 {} {}", side + 8, side + 8);
    view! {
        <figure class="qr-code">
            <svg xmlns="http://www.w3.org/2000/svg" viewBox=view_box width="232" height="232" role="img" aria-label=label shape-rendering="crispEdges">
                <rect x="-4" y="-4" width=side + 8 height=side + 8 fill="#fff"></rect>
                <path d=path fill="#000"></path>
            </svg>
        </figure>
    }
}

/// Codes to be written down, one per line, in a monospace list.
pub fn codes_view(codes: Vec<String>) -> impl IntoView {
    view! { <ol class="recovery-codes">{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ol> }
}

/// A QR code as SVG, as a block of a page (no script: drawn on the server).
pub fn qr_block(path: String, side: usize, label: String) -> crate::blocks::Block {
    crate::blocks::Block::Widget(crate::widget::Widget::new("security/qr", move || {
        qr_view(path.clone(), side, label.clone())
    }))
}

/// Codes shown once to be written down (recovery codes), as a block of a page.
pub fn codes_block(codes: Vec<String>) -> crate::blocks::Block {
    crate::blocks::Block::Widget(crate::widget::Widget::new("security/codes", move || codes_view(codes.clone())))
}
