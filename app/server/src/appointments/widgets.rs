//! The needs of the appointment widgets: live waiting times load `/assets/live.js`, the time picker
//! is an island (a ticket is drawn on the server and needs nothing).

use portal_web::AppState;

use crate::appointments::paths;
use crate::kit::widgets::{StaticAsset, WidgetNeeds};

/// Live waiting times and the call display (served from memory).
pub(super) const LIVE_JS: StaticAsset = StaticAsset {
    path: paths::LIVE_JS,
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../../../assets/live.js"),
};

pub(super) const NEEDS: &[WidgetNeeds] = &[
    WidgetNeeds { scripts: live_scripts, ..WidgetNeeds::plain(portal_ui::appointments::LIVE) },
    WidgetNeeds { islands: true, ..WidgetNeeds::plain(portal_ui::appointments::TIME_PICK) },
];

fn live_scripts(_: &AppState) -> Vec<String> {
    vec![LIVE_JS.url()]
}
