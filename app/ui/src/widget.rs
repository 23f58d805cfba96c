//! Widgets: the parts of a page a capability draws itself (the payment element, live waiting
//! times, the offline check, the time picker, a ticket) or that several share (the map). The shared
//! block list knows none of them: a widget is a name and a way to draw it. By its name the server
//! finds what a page with it needs (scripts, islands, CSP origins), which the capability declares
//! in its registry entry.

use std::fmt;
use std::sync::Arc;

use leptos::prelude::*;

/// A widget on a page: its name (`"<capability>/<widget>"`, or `"map"` for the shared map) and how
/// it is drawn.
#[derive(Clone)]
pub struct Widget {
    pub name: &'static str,
    draw: Arc<dyn Fn() -> AnyView + Send + Sync>,
}

impl Widget {
    /// A widget named `name`, drawn by `draw` (called once, when the page is rendered).
    pub fn new<V: IntoView + 'static>(name: &'static str, draw: impl Fn() -> V + Send + Sync + 'static) -> Self {
        Self { name, draw: Arc::new(move || draw().into_any()) }
    }

    /// The widget's view.
    pub fn view(&self) -> AnyView {
        (self.draw)()
    }
}

impl fmt::Debug for Widget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Widget").field("name", &self.name).finish_non_exhaustive()
    }
}
