//! The Kita portal's map: the facilities found, as markers on a Leaflet map (`/assets/map.js`
//! loads Leaflet from `/assets/leaflet/`, installed from npm; the tiles come from a configurable
//! URL, none in tests). The comparison table next to it holds the same facilities, so the page
//! works without script and with a screen reader.

use leptos::prelude::*;

/// One facility on the map.
#[derive(Debug, Clone)]
pub struct MapMarker {
    pub lat: f64,
    pub lon: f64,
    pub label: String,
    pub detail: String,
    pub link: String,
}

/// A map of facilities.
#[derive(Debug, Clone)]
pub struct MapSpec {
    /// Tile URL template (`https://…/{z}/{x}/{y}.png`); empty: markers on a plain background.
    pub tiles: String,
    pub attribution: String,
    /// The map region's accessible name.
    pub label: String,
    pub markers: Vec<MapMarker>,
}

pub fn map_view(spec: MapSpec) -> impl IntoView {
    let MapSpec { tiles, attribution, label, markers } = spec;
    view! {
        <div class="kita-map" data-kita-map="" data-tiles=tiles data-attribution=attribution role="region" aria-label=label>
            <ul class="kita-map__data" hidden="">
                {markers.into_iter().map(|m| view! {
                    <li data-lat=format!("{:.6}", m.lat) data-lon=format!("{:.6}", m.lon) data-link=m.link data-detail=m.detail>{m.label}</li>
                }).collect_view()}
            </ul>
        </div>
    }
}
