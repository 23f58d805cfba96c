//! The page builder of the tenant's host: a page of blocks in the tenant's frame, with what its
//! widgets need (their scripts and islands, their CSP origins) as the capabilities declare them.
//! Above the registry (it reads the capabilities' widgets), below every capability.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_web::{AppError, AppState, TenantContext};

use super::page::{assets, html_status, portal_chrome};
use super::registry;
use super::widgets::{SHARED_WIDGETS, needs_of};

/// A page of `blocks` without a navigation of its own (see [`blocks_page`]).
#[expect(clippy::too_many_arguments, reason = "a page: frame, transaction to finish, path, status, title and blocks")]
pub async fn plain_page(
    state: &AppState,
    ctx: &TenantContext,
    tx: super::pipeline::Tx<TenantTx>,
    lang: Lang,
    path: &str,
    status: StatusCode,
    title: String,
    blocks: Vec<portal_ui::blocks::Block>,
) -> Result<Response, AppError> {
    blocks_page(state, ctx, tx, lang, path, status, title, vec![], blocks).await
}

/// The one page builder of the tenant's host: a page of blocks in the tenant's frame (with the staff
/// area's navigation when given), read in the page's transaction. What the blocks need comes with
/// them: the islands for forms and switches, and what each widget's capability declares (scripts,
/// islands, Content-Security-Policy).
#[expect(
    clippy::too_many_arguments,
    reason = "a page: frame, transaction, path, status, title, navigation and content"
)]
pub async fn blocks_page(
    state: &AppState,
    ctx: &TenantContext,
    tx: super::pipeline::Tx<TenantTx>,
    lang: Lang,
    path: &str,
    status: StatusCode,
    title: String,
    nav: Vec<(String, String, bool)>,
    blocks: Vec<portal_ui::blocks::Block>,
) -> Result<Response, AppError> {
    use portal_ui::block_pages::PortalBlocksPage;
    use portal_ui::blocks::Block;
    // the page has read what it shows: its connection goes back before the HTML is built
    tx.commit_page().await?;
    let mut chrome = portal_chrome(state, ctx, lang, path.to_owned()).await?;
    // the widgets on the page: their scripts and islands, their CSP origins (declared by their
    // capabilities, or shared)
    let declared = SHARED_WIDGETS.iter().chain(registry::capabilities().iter().flat_map(|c| c.widgets));
    let needs = needs_of(&blocks, declared);
    if needs.iter().any(|n| n.islands)
        || blocks.iter().any(|b| matches!(b, Block::AppForm(_) | Block::ServiceSwitches(_)))
    {
        chrome.assets = assets(state, true);
    }
    for n in &needs {
        chrome.assets.scripts.extend((n.scripts)(state));
    }
    let mut r = html_status(
        status,
        portal_ui::render_document(
            move || leptos::prelude::view! { <PortalBlocksPage chrome=chrome title=title nav=nav blocks=blocks/> },
        ),
    );
    for n in &needs {
        if let Some(v) = (n.csp)(state).and_then(|c| HeaderValue::from_str(&c).ok()) {
            r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(r)
}
