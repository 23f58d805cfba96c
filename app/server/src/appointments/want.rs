//! What the booking steps have chosen so far: location, services, persons, month and day, read
//! from the query or the posted form and carried from step to step.

use portal_appointments::repo::Request;
use time::Date;
use uuid::Uuid;

use super::parse_date;
use crate::kit::form::Fields;

/// What the booking steps have chosen so far (from the query or the posted form).
#[derive(Debug, Clone, Default)]
pub(super) struct Want {
    pub(super) location: Option<Uuid>,
    pub(super) services: Vec<String>,
    pub(super) persons: i32,
    pub(super) month: Option<Date>,
    pub(super) day: Option<Date>,
}

impl Want {
    pub(super) fn from(f: &Fields) -> Self {
        let mut services: Vec<String> = f
            .all("dienst")
            .iter()
            .flat_map(|v| v.split(',').map(|s| s.trim().to_owned()).collect::<Vec<_>>())
            .filter(|s| !s.is_empty())
            .collect();
        services
            .extend(f.0.iter().filter_map(|(k, v)| k.strip_prefix("d_").filter(|_| !v.is_empty()).map(str::to_owned)));
        services.sort();
        services.dedup();
        // more than five are refused (`request`), not silently cut
        services.truncate(6);
        Self {
            location: Uuid::parse_str(&f.text("ort")).ok(),
            services,
            persons: f.text("personen").parse().ok().filter(|p| (1..=10).contains(p)).unwrap_or(1),
            month: parse_date(&format!("{}-01", f.text("monat"))),
            day: parse_date(&f.text("tag")),
        }
    }

    pub(super) fn query(&self) -> String {
        format!(
            "ort={}&dienst={}&personen={}",
            self.location.map(|l| l.to_string()).unwrap_or_default(),
            urlencoding::encode(&self.services.join(",")),
            self.persons
        )
    }

    pub(super) fn request(&self) -> Option<Request> {
        let location = self.location?;
        (!self.services.is_empty() && self.services.len() <= 5).then(|| Request {
            location,
            services: self.services.clone(),
            persons: self.persons,
        })
    }
}
