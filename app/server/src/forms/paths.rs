//! The routes of the capability forms (the form builder and own services).

use crate::kit::paths::RoutePath;

pub const LIST: RoutePath = RoutePath("/verwaltung/formulare");
pub const OWN_NEW: RoutePath = RoutePath("/verwaltung/formulare/eigene/neu");
pub const OWN_EDIT: RoutePath = RoutePath("/verwaltung/formulare/eigene/{slug}");
pub const OWN_OFFER: RoutePath = RoutePath("/verwaltung/formulare/eigene/{slug}/anbieten");
pub const BUILDER: RoutePath = RoutePath("/verwaltung/formulare/{slug}");
pub const CHANGE: RoutePath = RoutePath("/verwaltung/formulare/{slug}/aendern");
pub const ADD_PAGE: RoutePath = RoutePath("/verwaltung/formulare/{slug}/seite-neu");
pub const ADD_FIELD: RoutePath = RoutePath("/verwaltung/formulare/{slug}/seiten/{page}/feld-neu");
pub const PAGE: RoutePath = RoutePath("/verwaltung/formulare/{slug}/seiten/{page}");
pub const FIELD: RoutePath = RoutePath("/verwaltung/formulare/{slug}/seiten/{page}/felder/{field}");
pub const ADD_CHILD: RoutePath = RoutePath("/verwaltung/formulare/{slug}/seiten/{page}/felder/{field}/teil-neu");
pub const CHILD: RoutePath = RoutePath("/verwaltung/formulare/{slug}/seiten/{page}/felder/{field}/teile/{child}");
pub const PREVIEW: RoutePath = RoutePath("/verwaltung/formulare/{slug}/vorschau/{page}");
pub const PUBLISH: RoutePath = RoutePath("/verwaltung/formulare/{slug}/veroeffentlichen");
pub const DISCARD: RoutePath = RoutePath("/verwaltung/formulare/{slug}/verwerfen");
pub const IMPORT: RoutePath = RoutePath("/verwaltung/formulare/{slug}/fim-import");
pub const VERSIONS: RoutePath = RoutePath("/verwaltung/formulare/{slug}/versionen");
pub const ROLL_BACK: RoutePath = RoutePath("/verwaltung/formulare/{slug}/versionen/{number}");
