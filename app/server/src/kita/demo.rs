//! The demo Kita portals (`tenants/demo/kita/kita.toml`): settings, districts with their street
//! directory, Träger, facilities and places (matched by name), and generated applications for a
//! demo allocation (reproducible from the file's seed; a retried sync adds none twice).
//!
//! Its dates are relative to the day of the sync (by the platform's clock), so the demo never
//! expires: applications close `deadline_in_days` after it, and the Kita year starts on the first
//! 1 August at least [`YEAR_AFTER_DEADLINE_DAYS`] after the deadline.

use std::collections::BTreeMap;

use anyhow::Context;
use portal_db::Db;
use portal_kita::generate::{Rng, STREETS, random_child};
use portal_kita::repo::applications::{self, Draft, Origin};
use portal_kita::repo::{self, Facility, Program, Provider, Scope, Settings};
use uuid::Uuid;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoKita {
    #[serde(default)]
    tenant: Vec<DemoTenant>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoTenant {
    slug: String,
    /// Days from the sync to the application deadline.
    deadline_in_days: i64,
    max_preferences: i32,
    accept_days: i32,
    #[serde(default)]
    generated: usize,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    district: Vec<DemoDistrict>,
    #[serde(default)]
    provider: Vec<DemoProvider>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDistrict {
    name: String,
    position: (f64, f64),
    #[serde(default)]
    streets: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoProvider {
    name: String,
    kind: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    facility: Vec<DemoFacility>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFacility {
    name: String,
    #[serde(default = "default_kind")]
    kind: String,
    address: String,
    district: String,
    position: (f64, f64),
    #[serde(default)]
    opening_hours: String,
    #[serde(default = "default_scopes")]
    scopes: Vec<i32>,
    #[serde(default = "default_languages")]
    languages: Vec<String>,
    #[serde(default)]
    meals: String,
    #[serde(default)]
    concept: String,
    #[serde(default)]
    accessible: bool,
    /// Care type → places from the first month of the Kita year.
    places: BTreeMap<String, i32>,
    /// Months after the Kita year starts ("+5") → care type → places from then.
    #[serde(default)]
    later: BTreeMap<String, BTreeMap<String, i32>>,
}

fn default_kind() -> String {
    "kita".into()
}

fn default_scopes() -> Vec<i32> {
    vec![25, 35, 45]
}

fn default_languages() -> Vec<String> {
    vec!["de".into()]
}

/// Syncs the demo Kita portals.
pub async fn sync(db: &Db, file: &std::path::Path) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(file) else { return Ok(()) };
    let demo: DemoKita = toml::from_str(&text).with_context(|| file.display().to_string())?;
    for t in demo.tenant {
        let ctx = || format!("{}: tenant {}", file.display(), t.slug);
        let mut platform = db.platform().await?;
        let tenant = portal_tenancy::repo::get_by_slug(&mut platform, &t.slug).await?.with_context(ctx)?.id();
        let mut tx = platform.into_tenant(tenant).await?;
        let (year_start, deadline) = demo_dates(db.clock().today(), t.deadline_in_days);
        let settings =
            Settings { year_start, deadline, max_preferences: t.max_preferences, accept_days: t.accept_days };
        repo::save_settings(&mut tx, &settings).await?;
        let mut districts = BTreeMap::new();
        for d in &t.district {
            districts.insert(
                d.name.clone(),
                repo::save_district(&mut tx, &d.name, d.position.0, d.position.1, &d.streets).await?,
            );
        }
        for p in &t.provider {
            let existing = repo::providers(&mut tx, &Scope::All).await?.into_iter().find(|x| x.name == p.name);
            let provider = Provider {
                id: existing.map_or_else(Uuid::now_v7, |x| x.id),
                name: p.name.clone(),
                kind: p.kind.clone(),
                contact: p.contact.clone(),
            };
            repo::save_provider(&mut tx, &provider).await?;
            for f in &p.facility {
                let existing =
                    repo::facilities(&mut tx, &Scope::All, false).await?.into_iter().find(|x| x.name == f.name);
                let facility = Facility {
                    id: existing.map_or_else(Uuid::now_v7, |x| x.id),
                    provider_id: provider.id,
                    provider_name: String::new(),
                    provider_kind: String::new(),
                    name: f.name.clone(),
                    kind: f.kind.clone(),
                    address: f.address.clone(),
                    district_id: Some(
                        *districts.get(&f.district).with_context(|| format!("{}: district {}", ctx(), f.district))?,
                    ),
                    position: Some(f.position),
                    opening_hours: f.opening_hours.clone(),
                    scopes: f.scopes.clone(),
                    concept: f.concept.clone(),
                    languages: f.languages.clone(),
                    meals: f.meals.clone(),
                    accessible: f.accessible,
                    active: true,
                };
                repo::save_facility(&mut tx, &facility).await?;
                let mut all: Vec<(time::Date, &BTreeMap<String, i32>)> = vec![(settings.year_start, &f.places)];
                for (months, places) in &f.later {
                    let start = months
                        .strip_prefix('+')
                        .and_then(|m| m.parse::<u8>().ok())
                        .and_then(|m| add_months(settings.year_start, m));
                    all.push((
                        start.with_context(|| format!("{}: \"{months}\" is no number of months (\"+5\")", ctx()))?,
                        places,
                    ));
                }
                for (start_month, places) in all {
                    for (care, n) in places {
                        repo::set_places(
                            &mut tx,
                            &Program { facility: facility.id, care_type: care.clone(), start_month },
                            *n,
                        )
                        .await?;
                    }
                }
            }
        }
        generate_applications(&mut tx, &t, &settings).await.with_context(ctx)?;
        tx.commit().await?;
    }
    Ok(())
}

/// Days from the application deadline to the earliest start of the Kita year.
pub const YEAR_AFTER_DEADLINE_DAYS: i64 = 60;

/// The demo's Kita year start and deadline for a sync on `today`.
pub fn demo_dates(today: time::Date, deadline_in_days: i64) -> (time::Date, time::Date) {
    let deadline = today + time::Duration::days(deadline_in_days);
    let earliest = deadline + time::Duration::days(YEAR_AFTER_DEADLINE_DAYS);
    let august = |y: i32| time::Date::from_calendar_date(y, time::Month::August, 1).unwrap_or(earliest);
    let start = if august(earliest.year()) >= earliest { august(earliest.year()) } else { august(earliest.year() + 1) };
    (start, deadline)
}

/// The first of the month `months` after the first of `date`'s month.
fn add_months(date: time::Date, months: u8) -> Option<time::Date> {
    let index = i32::from(u8::from(date.month())) - 1 + i32::from(months);
    let month = time::Month::try_from(u8::try_from(index % 12 + 1).ok()?).ok()?;
    time::Date::from_calendar_date(date.year() + index / 12, month, 1).ok()
}

/// Generated children apply, each for up to `max_preferences` facilities near the district they
/// live in. The key of each makes a second sync add nothing.
async fn generate_applications(
    tx: &mut portal_db::TenantTx,
    t: &DemoTenant,
    settings: &Settings,
) -> anyhow::Result<()> {
    let districts = repo::districts(tx).await?;
    let facilities = repo::facilities(tx, &Scope::All, true).await?;
    if districts.is_empty() || facilities.is_empty() {
        return Ok(());
    }
    let mut rng = Rng::new(t.seed);
    for i in 0..t.generated {
        let person = random_child(&mut rng, settings.year_start.year());
        let district = &districts[rng.below(districts.len())];
        let street = district
            .streets
            .get(rng.below(district.streets.len().max(1)))
            .cloned()
            .unwrap_or_else(|| (*rng.pick(STREETS)).to_owned());
        let months = portal_kita::criteria::age_months(person.birth_date, settings.year_start);
        if months < 6 {
            continue;
        }
        let care = match months {
            0..36 => {
                if rng.chance(0.15) {
                    "tagespflege"
                } else {
                    "krippe"
                }
            }
            36..72 => "kita",
            _ => "hort",
        };
        let mut near: Vec<(f64, &Facility)> = facilities
            .iter()
            .filter(|f| (f.kind == "tagespflege") == (care == "tagespflege"))
            .map(|f| {
                (f.position.map_or(99.0, |p| portal_kita::criteria::distance_km((district.lat, district.lon), p)), f)
            })
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut pool: Vec<Uuid> = near.iter().take(8).map(|x| x.1.id).collect();
        let n = 1 + rng.below(settings.max_preferences.max(1) as usize);
        let mut preferences = Vec::new();
        for _ in 0..n.min(pool.len()) {
            preferences.push(pool.remove(rng.below(pool.len().min(3))));
        }
        let draft = Draft {
            child_first: person.first_name.clone(),
            child_last: person.last_name.clone(),
            birth_date: Some(person.birth_date),
            address: format!("{street} {}, Demo", 1 + rng.below(90)),
            district_id: Some(district.id),
            care_type: care.into(),
            start_month: Some(settings.year_start),
            scope_hours: [25, 35, 45][rng.below(3)],
            working_parents: i16::try_from(rng.below(3)).unwrap_or(0),
            single_parent: rng.chance(0.15),
            siblings_at: if rng.chance(0.15) { preferences.first().copied().into_iter().collect() } else { vec![] },
            parent_name: format!("Familie {}", person.last_name),
            email: format!("eltern-{i}@{}.example", t.slug),
            phone: String::new(),
            preferences,
        };
        // a key of its own per tenant, seed and child (32 hex characters, like a form's)
        let key = format!("{:016x}{:016x}", t.seed ^ u64::from(crc(&t.slug)), i);
        applications::submit(tx, &draft, Origin::Demo, "de", "", &key).await?;
    }
    Ok(())
}

/// A small checksum of a tenant's slug (keeps two tenants with one seed apart).
fn crc(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// The demo sync of the registry: `kita/kita.toml` below the demo folder.
pub fn demo<'a>(db: &'a Db, demo_dir: &'a std::path::Path) -> crate::kit::registry::BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(async move { sync(db, &demo_dir.join("kita/kita.toml")).await })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_demo_kita_year_starts_on_the_first_august_two_months_after_the_deadline() {
        assert_eq!(demo_dates(date!(2026 - 12 - 07), 114), (date!(2027 - 08 - 01), date!(2027 - 03 - 31)));
        // a deadline in June leaves less than two months before August: the year after
        assert_eq!(demo_dates(date!(2027 - 03 - 01), 100), (date!(2028 - 08 - 01), date!(2027 - 06 - 09)));
        assert_eq!(demo_dates(date!(2026 - 12 - 24), 0), (date!(2027 - 08 - 01), date!(2026 - 12 - 24)));
    }

    #[test]
    fn later_starts_count_months_across_the_year() {
        assert_eq!(add_months(date!(2027 - 08 - 01), 5), Some(date!(2028 - 01 - 01)));
        assert_eq!(add_months(date!(2027 - 08 - 01), 0), Some(date!(2027 - 08 - 01)));
        assert_eq!(add_months(date!(2027 - 08 - 01), 16), Some(date!(2028 - 12 - 01)));
    }
}
