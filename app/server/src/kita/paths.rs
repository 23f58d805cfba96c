//! The routes of the capability kita: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

// parents
pub const SEARCH: RoutePath = RoutePath("/kita");
pub const FACILITY: RoutePath = RoutePath("/kita/einrichtungen/{id}");
pub const APPLY: RoutePath = RoutePath("/kita/anmeldung");
pub const MINE: RoutePath = RoutePath("/konto/kita");
pub const MINE_ONE: RoutePath = RoutePath("/konto/kita/{id}");
pub const MINE_PREFERENCES: RoutePath = RoutePath("/konto/kita/{id}/wuensche");
pub const MINE_ANSWER: RoutePath = RoutePath("/konto/kita/{id}/angebot/{offer}");

// the youth office and the Träger
pub const SETUP: RoutePath = RoutePath("/verwaltung/kita");
pub const SETUP_SETTINGS: RoutePath = RoutePath("/verwaltung/kita/einstellungen");
pub const SETUP_CRITERIA: RoutePath = RoutePath("/verwaltung/kita/kriterien");
pub const SETUP_DISTRICT: RoutePath = RoutePath("/verwaltung/kita/stadtteile");
pub const SETUP_PROVIDER: RoutePath = RoutePath("/verwaltung/kita/traeger");
pub const PROVIDER: RoutePath = RoutePath("/verwaltung/kita/traeger/{id}");
pub const PROVIDER_STAFF: RoutePath = RoutePath("/verwaltung/kita/traeger/{id}/mitarbeitende");
pub const PROVIDER_FACILITY: RoutePath = RoutePath("/verwaltung/kita/traeger/{id}/einrichtungen");
pub const STAFF_FACILITY: RoutePath = RoutePath("/verwaltung/kita/einrichtungen/{id}");
pub const STAFF_FACILITY_PLACES: RoutePath = RoutePath("/verwaltung/kita/einrichtungen/{id}/plaetze");
pub const RANKED: RoutePath = RoutePath("/verwaltung/kita/einrichtungen/{id}/rangliste/{care}/{month}");
pub const APPLICATIONS: RoutePath = RoutePath("/verwaltung/kita/anmeldungen");
pub const PAPER: RoutePath = RoutePath("/verwaltung/kita/anmeldungen/neu");
pub const APPLICATION: RoutePath = RoutePath("/verwaltung/kita/anmeldungen/{id}");
pub const APPLICATION_SOCIAL: RoutePath = RoutePath("/verwaltung/kita/anmeldungen/{id}/sozial");
pub const DUPLICATES: RoutePath = RoutePath("/verwaltung/kita/dubletten");
pub const DUPLICATES_SCAN: RoutePath = RoutePath("/verwaltung/kita/dubletten/pruefen");
pub const DUPLICATE_DECIDE: RoutePath = RoutePath("/verwaltung/kita/dubletten/{first}/{second}");
pub const ALLOCATION: RoutePath = RoutePath("/verwaltung/kita/vergabe");
pub const ALLOCATION_ACTION: RoutePath = RoutePath("/verwaltung/kita/vergabe/{action}");
pub const STATISTICS: RoutePath = RoutePath("/verwaltung/kita/statistik");
