//! The map, a widget several capabilities share (the Kita search's facilities; reported defects):
//! places as markers on a Leaflet map (`/assets/map.js` loads Leaflet from `/assets/leaflet/`,
//! installed from npm; the tiles come from a configurable URL, none in tests). A page with a map
//! lists the same places in text too, so it works without script and with a screen reader.

use leptos::prelude::*;

/// One place on the map: its label links to `link`, `detail` is shown under it.
#[derive(Debug, Clone)]
pub struct MapMarker {
    pub lat: f64,
    pub lon: f64,
    pub label: String,
    pub detail: String,
    pub link: String,
}

/// A map of places.
#[derive(Debug, Clone)]
pub struct MapSpec {
    /// Tile URL template (`https://…/{z}/{x}/{y}.png`); empty: markers on a plain background.
    pub tiles: String,
    pub attribution: String,
    /// The map region's accessible name.
    pub label: String,
    pub markers: Vec<MapMarker>,
}

/// The name of the map widget (the server adds Leaflet, `/assets/map.js` and the tile server's origin).
pub const MAP: &str = "map";

/// The map as a block of a page.
pub fn map_block(spec: MapSpec) -> crate::blocks::Block {
    crate::blocks::Block::Widget(crate::widget::Widget::new(MAP, move || map_view(spec.clone())))
}

fn map_view(spec: MapSpec) -> impl IntoView {
    let MapSpec { tiles, attribution, label, markers } = spec;
    view! {
        <div class="map" data-map="" data-tiles=tiles data-attribution=attribution role="region" aria-label=label>
            <ul class="map__data" hidden="">
                {markers.into_iter().map(|m| view! {
                    <li data-lat=format!("{:.6}", m.lat) data-lon=format!("{:.6}", m.lon) data-link=m.link data-detail=m.detail>{m.label}</li>
                }).collect_view()}
            </ul>
        </div>
    }
}
