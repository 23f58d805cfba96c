//! What a page needs for the widgets on it, and the static assets the capabilities serve. A
//! capability declares both in its registry entry (`Capability::widgets`, `Capability::assets`);
//! the map, shared by several capabilities, is declared here. A page finds the needs of its widgets
//! by their names ([`needs_of`]); the router serves every declared asset with its content type.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use portal_ui::blocks::Block;
use portal_web::AppState;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use super::links;
use super::page::short_hash;
use super::paths::RoutePath;

/// What a page needs when a widget is on it.
#[derive(Clone, Copy)]
pub struct WidgetNeeds {
    /// The widget's name (`portal_ui::widget::Widget::name`).
    pub widget: &'static str,
    /// The page loads the islands (the widget is or holds one).
    pub islands: bool,
    /// Its scripts, in the order they load (URLs; the capability's own versioned by content).
    pub scripts: fn(&AppState) -> Vec<String>,
    /// The page's Content-Security-Policy, when the widget needs origins beyond the default.
    pub csp: fn(&AppState) -> Option<String>,
}

impl WidgetNeeds {
    /// A widget that needs nothing beyond the page (drawn on the server).
    pub const fn plain(widget: &'static str) -> Self {
        Self { widget, islands: false, scripts: no_scripts, csp: no_csp }
    }
}

fn no_scripts(_: &AppState) -> Vec<String> {
    Vec::new()
}

fn no_csp(_: &AppState) -> Option<String> {
    None
}

/// A file a capability serves from memory at a path of its own, cached for good (its URL carries
/// the content's version: [`StaticAsset::url`]).
#[derive(Clone, Copy)]
pub struct StaticAsset {
    pub path: RoutePath,
    pub content_type: &'static str,
    pub body: &'static str,
}

impl StaticAsset {
    /// The asset's URL, versioned by its content (hashed once per asset, not per page).
    pub fn url(&self) -> String {
        static VERSIONS: OnceLock<Mutex<HashMap<&'static str, String>>> = OnceLock::new();
        let mut versions = VERSIONS.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner);
        let version = versions.entry(self.path.pattern()).or_insert_with(|| short_hash(self.body.as_bytes()));
        format!("{}?v={version}", self.path.path())
    }

    /// The asset as a response.
    pub fn response(&self) -> Response {
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(self.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            ],
            self.body,
        )
            .into_response()
    }
}

/// The shared map's glue to Leaflet (Leaflet itself comes from the built site).
pub const MAP_JS: StaticAsset = StaticAsset {
    path: links::ASSET_MAP_JS,
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../../../assets/map.js"),
};

/// The assets of the shared widgets.
pub const SHARED_ASSETS: &[StaticAsset] = &[MAP_JS];

/// The needs of the shared widgets.
pub const SHARED_WIDGETS: &[WidgetNeeds] =
    &[WidgetNeeds { widget: portal_ui::map::MAP, islands: false, scripts: map_scripts, csp: map_csp_of }];

fn map_scripts(_: &AppState) -> Vec<String> {
    vec![format!("{}/leaflet.js", links::ASSETS_LEAFLET.path()), MAP_JS.url()]
}

fn map_csp_of(state: &AppState) -> Option<String> {
    map_csp(&state.config.map_tiles)
}

/// The Content-Security-Policy of a page with a map whose tiles come from `tiles` (a URL
/// template): the tile server's origin may serve images.
pub fn map_csp(tiles: &str) -> Option<String> {
    let rest = tiles.strip_prefix("https://")?;
    let host = rest.split('/').next().filter(|h| {
        !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '{' | '}'))
    })?;
    // a {s} subdomain template becomes a wildcard
    let host = host.replace("{s}", "*");
    Some(format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https://{host}; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ))
}

/// The needs of the widgets on a page, among `declared` (the shared ones and every capability's),
/// each once, in the order the widgets first appear.
pub fn needs_of<'a>(blocks: &[Block], declared: impl Iterator<Item = &'a WidgetNeeds> + Clone) -> Vec<WidgetNeeds> {
    let mut found: Vec<WidgetNeeds> = Vec::new();
    for b in blocks {
        if let Block::Widget(w) = b
            && !found.iter().any(|n| n.widget == w.name)
            && let Some(n) = declared.clone().find(|n| n.widget == w.name)
        {
            found.push(*n);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use portal_ui::blocks::Block;
    use portal_ui::widget::Widget;

    use super::{WidgetNeeds, map_csp, needs_of};

    #[test]
    fn a_pages_widgets_bring_their_needs_once_in_order_and_undeclared_ones_nothing() {
        let blocks = vec![
            Block::Widget(Widget::new("b", || "x")),
            Block::Text("t".into()),
            Block::Widget(Widget::new("a", || "y")),
            Block::Widget(Widget::new("b", || "z")),
            Block::Widget(Widget::new("unknown", || "")),
        ];
        let declared = [WidgetNeeds::plain("a"), WidgetNeeds { islands: true, ..WidgetNeeds::plain("b") }];
        let found = needs_of(&blocks, declared.iter());
        assert_eq!(found.iter().map(|n| n.widget).collect::<Vec<_>>(), ["b", "a"]);
        assert!(found[0].islands && !found[1].islands);
    }

    #[test]
    fn the_map_allows_only_its_tile_servers_origin() {
        let csp = map_csp("https://{s}.tile.example.org/{z}/{x}/{y}.png").expect("https tiles");
        assert!(csp.contains("img-src 'self' data: https://*.tile.example.org;"), "{csp}");
        assert_eq!(map_csp("http://tiles.example.org/{z}/{x}/{y}.png"), None);
        assert_eq!(map_csp("https://evil.example.org\"; script-src */x"), None);
    }
}
