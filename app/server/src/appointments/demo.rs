//! The demo tenants' appointment set-up (`tenants/demo/appointments/appointments.toml`).

use std::path::Path;

use anyhow::Context;
use portal_db::Db;
use portal_tenancy::repo as tenant_repo;

use crate::kit::registry::BoxFuture;

/// The demo sync of the registry: the file below the demo folder.
pub fn demo<'a>(db: &'a Db, demo_dir: &'a Path) -> BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(sync(db, demo_dir.join("appointments/appointments.toml")))
}

/// The file: each tenant's appointment set-up.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAppointments {
    #[serde(default)]
    tenant: Vec<DemoAppointmentTenant>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAppointmentTenant {
    slug: String,
    land: String,
    #[serde(default)]
    location: Vec<DemoLocation>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoLocation {
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    accessibility: String,
    display_token: String,
    /// Weekday (mo, di, mi, do, fr, sa, so) → "08:00-12:00, 13:00-16:00".
    hours: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    counter: Vec<DemoCounter>,
    #[serde(default)]
    rule: Vec<DemoRule>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCounter {
    name: String,
    services: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRule {
    service: String,
    duration: i32,
    #[serde(default)]
    buffer: i32,
    #[serde(default = "default_notice")]
    notice: i32,
    #[serde(default = "default_days_ahead")]
    days_ahead: i32,
    #[serde(default = "default_persons")]
    persons: i32,
    #[serde(default)]
    walkin_share: i32,
}

fn default_notice() -> i32 {
    60
}

fn default_days_ahead() -> i32 {
    60
}

fn default_persons() -> i32 {
    1
}

/// Syncs the demo appointment set-up: settings, locations (by name), hours, counters (by name) and
/// rules. Nothing is deleted, so bookings made in the demo keep their counters.
async fn sync(db: &Db, file: std::path::PathBuf) -> anyhow::Result<()> {
    let file = file.as_path();
    use portal_appointments::repo;
    let Ok(text) = std::fs::read_to_string(file) else { return Ok(()) };
    let demo: DemoAppointments = toml::from_str(&text).with_context(|| file.display().to_string())?;
    const DAYS: [(&str, time::Weekday); 7] = [
        ("mo", time::Weekday::Monday),
        ("di", time::Weekday::Tuesday),
        ("mi", time::Weekday::Wednesday),
        ("do", time::Weekday::Thursday),
        ("fr", time::Weekday::Friday),
        ("sa", time::Weekday::Saturday),
        ("so", time::Weekday::Sunday),
    ];
    for t in demo.tenant {
        let ctx = || format!("{}: tenant {}", file.display(), t.slug);
        let mut platform = db.platform().await?;
        let tenant = tenant_repo::get_by_slug(&mut platform, &t.slug).await?.with_context(ctx)?.id();
        let mut tx = platform.into_tenant(tenant).await?;
        let land = portal_appointments::Land::parse(&t.land).with_context(|| format!("{}: land {}", ctx(), t.land))?;
        let settings = repo::settings(&mut tx).await?.unwrap_or_default();
        repo::save_settings(&mut tx, &repo::Settings { land, ..settings }).await?;
        let existing = repo::locations(&mut tx).await?;
        for l in &t.location {
            let id = existing.iter().find(|e| e.name == l.name).map(|e| e.id);
            let id = repo::save_location(&mut tx, id, &l.name, &l.address, &l.contact, &l.accessibility, true).await?;
            repo::set_display_token(&mut tx, id, &l.display_token)
                .await
                .with_context(|| format!("{}: display_token of {}", ctx(), l.name))?;
            let mut hours = vec![];
            for (key, text) in &l.hours {
                let day = DAYS
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, w)| *w)
                    .with_context(|| format!("{}: weekday {key}", ctx()))?;
                let list = portal_appointments::slots::parse_hours(text)
                    .with_context(|| format!("{}: hours {text}", ctx()))?;
                hours.extend(list.into_iter().map(|(o, c)| (day, o, c)));
            }
            repo::set_hours(&mut tx, id, &hours).await?;
            for r in &l.rule {
                let rule = repo::Rule {
                    service: r.service.clone(),
                    duration_min: r.duration,
                    buffer_min: r.buffer,
                    min_notice_min: r.notice,
                    max_days_ahead: r.days_ahead,
                    max_persons: r.persons,
                    walkin_share: r.walkin_share,
                };
                anyhow::ensure!(
                    repo::save_rule(&mut tx, id, &rule).await?,
                    "{}: service {} is not offered",
                    ctx(),
                    r.service
                );
            }
            let counters = repo::counters(&mut tx, id).await?;
            for c in &l.counter {
                let existing = counters.iter().find(|e| e.name == c.name).map(|e| e.id);
                anyhow::ensure!(
                    repo::save_counter(&mut tx, id, existing, &c.name, &c.services, true).await?,
                    "{}: counter {}",
                    ctx(),
                    c.name
                );
            }
        }
        tx.commit().await?;
    }
    Ok(())
}
